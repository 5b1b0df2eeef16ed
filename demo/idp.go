package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/ingest"
)

// idpLine is one audit entry of the identity provider, waiting to be forwarded.
type idpLine struct {
	at   time.Time
	line []byte
}

// idpEntry is the outside audit entry format of POST /api/v1/audit.
type idpEntry struct {
	Time     string         `json:"time"`
	Actor    string         `json:"actor"`
	Action   string         `json:"action"`
	Category string         `json:"category"`
	Team     string         `json:"team,omitempty"`
	Target   string         `json:"target"`
	Severity string         `json:"severity"`
	Outcome  string         `json:"outcome"`
	SourceIP string         `json:"source_ip"`
	Details  map[string]any `json:"details"`
}

// hasMFA reports whether the member is enrolled in MFA at t.
func (m *member) hasMFA(t time.Time) bool {
	return m.mfa || (!m.mfaFrom.IsZero() && !t.Before(m.mfaFrom))
}

// startDay begins a day of the period: the integrations authenticate (their keys show
// daily use) and the identity provider's entries of the day are prepared.
func (r *run) startDay(ctx context.Context, day time.Time) error {
	var err error
	if r.fleet, err = r.authenticate(ctx, keyFleet, "10.20.0.5"); err != nil {
		return err
	}
	if r.forwarder, err = r.authenticate(ctx, keyForwarder, "10.30.0.9"); err != nil {
		return err
	}
	r.escToday = 0
	r.planIdP(day)
	return nil
}

// planIdP prepares the identity provider's audit entries of a day: single sign-on
// sign-ins with MFA challenges (some failing), sign-outs, session revocations, and the
// provisioning and deprovisioning of accounts.
func (r *run) planIdP(day time.Time) {
	rng := r.rngIdP
	var lines []idpLine
	add := func(at time.Time, e idpEntry) {
		e.Time = at.Format(time.RFC3339)
		if e.Details == nil {
			e.Details = map[string]any{}
		}
		b, err := json.Marshal(e)
		if err != nil {
			panic(err)
		}
		lines = append(lines, idpLine{at: at, line: append(b, '\n')})
	}
	local := day.Add(utcOffsetHours * time.Hour)
	working := local.Weekday() != time.Saturday && local.Weekday() != time.Sunday
	for _, m := range r.members {
		team := ""
		if len(m.teams) == 1 {
			team = m.teams[0]
		}
		target := "user:" + m.email
		if !m.joins.IsZero() && m.joins.Truncate(24*time.Hour).Equal(day) && m.user.ID == 0 {
			add(m.joins.Add(-30*time.Second), idpEntry{Actor: "okta-scim", Action: "user.provisioned",
				Category: keeptrail.CategoryAuthorization, Team: team, Target: target, Severity: "low", Outcome: "success",
				SourceIP: "10.30.0.10", Details: map[string]any{"role": m.role, "idp": "okta"}})
		}
		if !m.leaves.IsZero() && m.leaves.Truncate(24*time.Hour).Equal(day) {
			add(m.leaves.Add(-30*time.Second), idpEntry{Actor: "okta-scim", Action: "user.deprovisioned",
				Category: keeptrail.CategoryAuthorization, Team: team, Target: target, Severity: "medium", Outcome: "success",
				SourceIP: "10.30.0.10", Details: map[string]any{"reason": "employment ended", "idp": "okta"}})
			add(m.leaves.Add(time.Minute), idpEntry{Actor: "okta", Action: "session.revoked",
				Category: keeptrail.CategorySecurity, Team: team, Target: target, Severity: "medium", Outcome: "success",
				SourceIP: "10.30.0.10", Details: map[string]any{"reason": "user deprovisioned", "sessions": 1 + rng.IntN(3)}})
		}
		if m.password {
			continue // signs in with a local password, not through the identity provider
		}
		p := 0.08
		if working {
			p = 0.85
		}
		if rng.Float64() >= p {
			continue
		}
		minutes := min(max(60+40*rng.NormFloat64(), -60), 210)
		login := day.Add(time.Duration(7*60+30-utcOffsetHours*60+int(minutes))*time.Minute + time.Duration(rng.IntN(60))*time.Second)
		if !m.active(login) {
			continue
		}
		if rng.IntN(100) < 3 {
			add(login.Add(-2*time.Minute), idpEntry{Actor: m.email, Action: "auth.login_failed",
				Category: keeptrail.CategoryAuthentication, Team: team, Target: "app:keeptrail", Severity: "medium", Outcome: "failure",
				SourceIP: m.ip, Details: map[string]any{"idp": "okta", "reason": "invalid credentials"}})
		}
		if m.hasMFA(login) {
			if rng.IntN(100) < 3 {
				add(login.Add(-70*time.Second), idpEntry{Actor: m.email, Action: "auth.mfa_challenge",
					Category: keeptrail.CategoryAuthentication, Team: team, Target: "app:keeptrail", Severity: "medium", Outcome: "failure",
					SourceIP: m.ip, Details: map[string]any{"idp": "okta", "factor": "okta_verify_push", "reason": "push denied"}})
			}
			add(login.Add(-20*time.Second), idpEntry{Actor: m.email, Action: "auth.mfa_challenge",
				Category: keeptrail.CategoryAuthentication, Team: team, Target: "app:keeptrail", Severity: "low", Outcome: "success",
				SourceIP: m.ip, Details: map[string]any{"idp": "okta", "factor": "okta_verify_push"}})
		}
		add(login, idpEntry{Actor: m.email, Action: "auth.login", Category: keeptrail.CategoryAuthentication,
			Team: team, Target: "app:keeptrail", Severity: "low", Outcome: "success", SourceIP: m.ip,
			Details: map[string]any{"idp": "okta", "method": "sso", "mfa": m.hasMFA(login)}})
		if rng.IntN(100) < 1 {
			at := day.Add(time.Duration(12-utcOffsetHours)*time.Hour + time.Duration(rng.IntN(180))*time.Minute)
			add(at, idpEntry{Actor: "okta", Action: "session.revoked", Category: keeptrail.CategorySecurity, Team: team,
				Target: target, Severity: "medium", Outcome: "success", SourceIP: "10.30.0.10",
				Details: map[string]any{"reason": "password reset", "sessions": 1}})
		}
		logout := day.Add(time.Duration(16*60+30-utcOffsetHours*60+rng.IntN(150)) * time.Minute)
		if rng.IntN(2) == 0 && m.active(logout) {
			add(logout, idpEntry{Actor: m.email, Action: "auth.logout", Category: keeptrail.CategoryAuthentication,
				Team: team, Target: "app:keeptrail", Severity: "low", Outcome: "success", SourceIP: m.ip,
				Details: map[string]any{"idp": "okta"}})
		}
	}
	slices.SortStableFunc(lines, func(a, b idpLine) int { return a.at.Compare(b.at) })
	r.idpLines = append(r.idpLines, lines...)
}

// flushIdP forwards the identity provider's entries dated before upTo.
func (r *run) flushIdP(ctx context.Context, upTo time.Time) error {
	n := 0
	for n < len(r.idpLines) && r.idpLines[n].at.Before(upTo) {
		n++
	}
	if n == 0 {
		return nil
	}
	var b bytes.Buffer
	for _, l := range r.idpLines[:n] {
		b.Write(l.line)
	}
	r.idpLines = r.idpLines[n:]
	res, err := r.in.Ingest(as(ctx, r.forwarder), ingest.KindAudit, &b)
	if err != nil {
		return fmt.Errorf("demo: ingest identity provider entries: %w", err)
	}
	if res.Accepted != n {
		return fmt.Errorf("demo: ingest identity provider entries: %d of %d accepted: %v", res.Accepted, n, res.Errors)
	}
	return nil
}
