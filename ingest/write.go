package ingest

import (
	"fmt"
	"slices"
	"time"

	"github.com/keeptrail/keeptrail"
)

// writeEvents stores the batch's decision events and opens the escalations of the
// escalated ones that are new.
func (r *run) writeEvents(tx keeptrail.Tx) error {
	if err := r.registerInOrder(tx); err != nil {
		return err
	}
	evs := r.evBuf[:0]
	for i := range r.events {
		le := &r.events[i]
		team, reason, err := r.team(tx, le.ev.Team)
		if err != nil {
			return err
		}
		if reason != "" {
			r.txReject(le.line, reason)
			continue
		}
		gw, reason, err := r.eventGateway(tx, le.ev.Gateway, team.ID)
		if err != nil {
			return err
		}
		if reason != "" {
			r.txReject(le.line, reason)
			continue
		}
		ev := le.ev
		ev.TeamID, ev.GatewayID = team.ID, gw.ID
		evs = append(evs, ev)
	}
	r.evBuf = evs
	if len(evs) == 0 {
		return nil
	}
	inserted, err := tx.InsertEvents(evs)
	if err != nil {
		return fmt.Errorf("ingest: insert events: %w", err)
	}
	// The store counts a request id repeated inside the batch as a duplicate of its first.
	r.tx.accepted += len(inserted)
	r.tx.duplicates += len(evs) - len(inserted)

	es := r.escBuf[:0]
	for _, i := range inserted {
		ev := &evs[i]
		if ev.Decision != keeptrail.DecisionEscalated {
			continue
		}
		if r.settings == nil {
			s, err := tx.Settings()
			if err != nil {
				return fmt.Errorf("ingest: read settings: %w", err)
			}
			r.settings = &s
		}
		due := ev.Time.Add(slaFor(r.settings, ev.Severity))
		es = append(es, keeptrail.Escalation{
			EventID:   ev.ID,
			RequestID: ev.RequestID,
			GatewayID: ev.GatewayID,
			TeamID:    ev.TeamID,
			Severity:  ev.Severity,
			OpenedAt:  ev.Time,
			SLADueAt:  due,
			ExpiresAt: due.Add(time.Duration(r.settings.ExpiryAfterSLA) * time.Minute),
			Status:    keeptrail.EscalationOpen,
		})
	}
	r.escBuf = es
	if len(es) > 0 {
		if err := tx.CreateEscalations(es); err != nil {
			return fmt.Errorf("ingest: open escalations: %w", err)
		}
		r.tx.escalations += len(es)
	}
	return nil
}

// slaFor is the SLA of a severity from the settings, or the default when they lack it.
func slaFor(s *keeptrail.Settings, sev keeptrail.Severity) time.Duration {
	m, ok := s.SLAMinutes[sev]
	if !ok {
		m = keeptrail.DefaultSettings().SLAMinutes[sev]
	}
	return time.Duration(m) * time.Minute
}

// writeHeartbeats stores the batch's heartbeats and brings each gateway's state up to
// its newest heartbeat, recording a deployment when the running version changes.
func (r *run) writeHeartbeats(tx keeptrail.Tx) error {
	hbs := r.hbBuf[:0]
	gws := make([]*keeptrail.Gateway, 0, len(r.heartbeats))
	for i := range r.heartbeats {
		lh := &r.heartbeats[i]
		g, reason, err := r.heartbeatGateway(tx, &lh.hb)
		if err != nil {
			return err
		}
		if reason != "" {
			r.txReject(lh.line, reason)
			continue
		}
		hb := lh.hb
		hb.GatewayID = g.ID
		hbs = append(hbs, hb)
		gws = append(gws, g)
	}
	r.hbBuf = hbs
	if len(hbs) == 0 {
		return nil
	}
	if err := tx.InsertHeartbeats(hbs); err != nil {
		return fmt.Errorf("ingest: insert heartbeats: %w", err)
	}
	r.tx.accepted += len(hbs)

	dirty := r.dirty[:0]
	for i := range hbs {
		hb, g := &hbs[i], gws[i]
		if g.LastHeartbeatAt != nil && !hb.Time.After(*g.LastHeartbeatAt) {
			continue // an older report does not overwrite a newer state
		}
		at := hb.Time
		g.LastHeartbeatAt = &at
		g.Healthy = hb.Healthy
		g.ErrorRate = hb.ErrorRate
		if hb.TLSMinVersion != "" {
			g.TLSMinVersion = hb.TLSMinVersion
		}
		if hb.EncryptionAtRest != nil {
			g.EncryptionAtRest = *hb.EncryptionAtRest
		}
		if v := hb.ConfigVersion; v != nil && (g.RunningVersion == nil || *g.RunningVersion != *v) {
			d := keeptrail.Deployment{GatewayID: g.ID, Version: *v, DeployedAt: hb.Time,
				DeployedBy: r.p.Name, Source: "heartbeat"}
			if err := tx.CreateDeployment(&d); err != nil {
				return fmt.Errorf("ingest: record deployment of version %d on %q: %w", *v, g.Name, err)
			}
			version := *v
			g.RunningVersion = &version
		}
		if !contains(dirty, g.Name) {
			dirty = append(dirty, g.Name)
		}
	}
	r.dirty = dirty
	for _, name := range dirty {
		if err := tx.UpdateGateway(r.txGateways[name]); err != nil {
			return fmt.Errorf("ingest: update gateway %q: %w", name, err)
		}
	}
	return nil
}

func contains(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// writeAudit appends the batch's outside audit entries.
func (r *run) writeAudit(tx keeptrail.Tx) error {
	for i := range r.audits {
		la := &r.audits[i]
		e := la.entry
		if e.Team != "" {
			team, reason, err := r.team(tx, e.Team)
			if err != nil {
				return err
			}
			if reason != "" {
				r.txReject(la.line, reason)
				continue
			}
			id := team.ID
			e.TeamID = &id
		}
		if err := tx.AppendAudit(&e); err != nil {
			return fmt.Errorf("ingest: append audit entry: %w", err)
		}
		r.tx.accepted++
	}
	return nil
}

// registerInOrder resolves the batch's teams, then its gateways, each in sorted name
// order, before any event is written. Registering a new name locks its unique index
// entry until commit; two concurrent requests that registered the same new names in
// different orders would wait for each other forever (PostgreSQL reports a deadlock and
// one request fails). One global order makes that cycle impossible. A gateway is
// registered in the team of the first line that names it, as the line loop would.
func (r *run) registerInOrder(tx keeptrail.Tx) error {
	var teams []string
	seenTeam := map[string]bool{}
	gatewayTeam := map[string]string{}
	var gateways []string
	for i := range r.events {
		ev := &r.events[i].ev
		if _, ok := r.txTeams[ev.Team]; !ok {
			if _, ok := r.teams[ev.Team]; !ok && !seenTeam[ev.Team] {
				seenTeam[ev.Team] = true
				teams = append(teams, ev.Team)
			}
		}
		if _, ok := gatewayTeam[ev.Gateway]; !ok {
			if _, cached := r.cachedGateway(ev.Gateway); !cached {
				gatewayTeam[ev.Gateway] = ev.Team
				gateways = append(gateways, ev.Gateway)
			}
		}
	}
	slices.Sort(teams)
	for _, name := range teams {
		if _, _, err := r.team(tx, name); err != nil {
			return err
		}
	}
	slices.Sort(gateways)
	for _, name := range gateways {
		team, reason, err := r.team(tx, gatewayTeam[name])
		if err != nil {
			return err
		}
		if reason != "" {
			continue // the line loop rejects these lines
		}
		if _, _, err := r.eventGateway(tx, name, team.ID); err != nil {
			return err
		}
	}
	return nil
}
