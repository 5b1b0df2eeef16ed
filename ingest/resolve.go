package ingest

import (
	"fmt"

	"github.com/keeptrail/keeptrail"
)

// unassignedTeam receives a gateway first seen on a heartbeat that names no team.
const unassignedTeam = "unassigned"

// Reasons for lines refused by the principal's team scope.
const (
	reasonTeamOutside    = "team: is outside your teams"
	reasonGatewayOutside = "gateway: belongs to a team outside your teams"
	reasonTeamRequired   = "team: is required to register a new gateway"
)

// team resolves a team name, registering it on first sight when the principal may act
// for every team. reason is set when the principal may not write for the team.
func (r *run) team(tx keeptrail.Tx, name string) (t keeptrail.Team, reason string, err error) {
	t, ok := r.txTeams[name]
	if !ok {
		t, ok = r.teams[name]
	}
	if !ok {
		if r.p.AllTeams {
			t, _, err = tx.EnsureTeam(name)
		} else {
			t, err = tx.TeamByName(name)
			if isNotFound(err) {
				return t, reasonTeamOutside, nil
			}
		}
		if err != nil {
			return t, "", fmt.Errorf("ingest: resolve team: %w", err)
		}
		r.txTeams[name] = t
	}
	if !r.p.InTeam(t.ID) {
		return t, reasonTeamOutside, nil
	}
	return t, "", nil
}

// cachedGateway returns the gateway from the caches; the current transaction gets its own
// copy, which it may change.
func (r *run) cachedGateway(name string) (*keeptrail.Gateway, bool) {
	if g, ok := r.txGateways[name]; ok {
		return g, true
	}
	if g, ok := r.gateways[name]; ok {
		c := *g
		r.txGateways[name] = &c
		return &c, true
	}
	return nil, false
}

// eventGateway resolves the gateway of a decision event, registering it in the event's
// team on first sight.
func (r *run) eventGateway(tx keeptrail.Tx, name string, teamID int64) (*keeptrail.Gateway, string, error) {
	g, ok := r.cachedGateway(name)
	if !ok {
		gw, _, err := tx.EnsureGateway(name, teamID)
		if err != nil {
			return nil, "", fmt.Errorf("ingest: resolve gateway: %w", err)
		}
		g = &gw
		r.txGateways[name] = g
	}
	if !r.p.InTeam(g.TeamID) {
		return nil, reasonGatewayOutside, nil
	}
	return g, "", nil
}

// heartbeatGateway resolves the gateway of a heartbeat. A new gateway joins the
// heartbeat's team, else the principal's only team, else "unassigned".
func (r *run) heartbeatGateway(tx keeptrail.Tx, hb *keeptrail.Heartbeat) (*keeptrail.Gateway, string, error) {
	g, ok := r.cachedGateway(hb.Gateway)
	if !ok {
		gw, err := tx.GatewayByName(hb.Gateway)
		if isNotFound(err) {
			var team keeptrail.Team
			var reason string
			switch {
			case hb.Team != "":
				team, reason, err = r.team(tx, hb.Team)
			case r.p.AllTeams:
				team, reason, err = r.team(tx, unassignedTeam)
			case len(r.p.TeamIDs) == 1:
				team, err = tx.TeamByID(r.p.TeamIDs[0])
			default:
				reason = reasonTeamRequired
			}
			if err != nil || reason != "" {
				return nil, reason, err
			}
			gw, _, err = tx.EnsureGateway(hb.Gateway, team.ID)
		}
		if err != nil {
			return nil, "", fmt.Errorf("ingest: resolve gateway: %w", err)
		}
		g = &gw
		r.txGateways[hb.Gateway] = g
	}
	if !r.p.InTeam(g.TeamID) {
		return nil, reasonGatewayOutside, nil
	}
	return g, "", nil
}
