package compliance_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/compliance"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// The hand-built organization. Everything happens around Monday 10 March 2025 (UTC); the
// service's clock reads 11 March 00:00, so that day is over, and the score window is one
// day, so the score covers exactly 10 March.
//
// Teams: payments, radiology.
// Gateways (all active but gw-old, which is decommissioned and must count nowhere):
//
//	gw-pay-1  payments   policies: PII redaction           runs v3 (deployed to it only; v3 failed validation)
//	gw-pay-2  payments   policies: PII redaction           rolled back to v1 by a heartbeat on 8 March, 09:00
//	gw-rad-1  radiology  policies: PHI detection           runs v2
//	gw-rad-2  radiology  policies: none                    still on v1; silent in hours 05, 06 and 07
//	gw-old    radiology  inactive
//
// Policies: PII redaction (payments, active, gw-pay-1 + gw-pay-2), Secrets (payments,
// inactive, gw-pay-2), PHI detection (radiology, active, gw-rad-1), Research (radiology,
// active, assigned to no gateway). Active policies: PII redaction and PHI detection = 2.
//
// Configuration versions: v1 and v2 passed validation, v3 failed. v1 to every gateway on
// 1 March; v2 to gw-pay-1 (5 March 10:00: the release of v2), gw-pay-2 (11:00), gw-rad-1
// (12:00); v3 to gw-pay-1 on 6 March; heartbeat of gw-pay-2 reporting v1 on 8 March 09:00.
var fixtureDay = time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)

func day10(hour, minute int) time.Time {
	return fixtureDay.Add(time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute)
}

func march(day, hour int) time.Time { return time.Date(2025, 3, day, hour, 0, 0, 0, time.UTC) }

// fixtureNow is the service's clock: 10 March is over.
var fixtureNow = time.Date(2025, 3, 11, 0, 0, 0, 0, time.UTC)

type fixtureIDs struct {
	payments, radiology keeptrail.Team
	gw                  map[string]keeptrail.Gateway
}

// ev is a decision event of the fixture.
type ev struct {
	id       string
	at       time.Time
	gateway  string
	team     string
	decision keeptrail.Decision
	severity keeptrail.Severity
	policies int
	rules    []string
}

// fixtureEvents are the decision events. On 10 March:
//
//	gw-pay-1, payments:  6 allowed low (2 policies), 2 blocked high [pii.ssn],
//	                     1 escalated critical [pii.ssn, pii.email] (1 policy)
//	gw-pay-2, payments:  4 allowed low (0 policies), 1 blocked medium [pii.card] (1 policy)
//	gw-rad-1, radiology: 5 allowed medium (1 policy), 1 escalated high [phi.mrn] (1 policy)
//	gw-rad-2, radiology: 3 allowed low (0 policies)
//	gw-pay-1, radiology: 1 blocked low [pii.ssn] (1 policy): shared traffic
//
// and one escalated medium event of gw-rad-1 on 9 March, outside the period.
func fixtureEvents() []ev {
	low, medium, high, critical := keeptrail.SeverityLow, keeptrail.SeverityMedium, keeptrail.SeverityHigh, keeptrail.SeverityCritical
	allowed, blocked, escalated := keeptrail.DecisionAllowed, keeptrail.DecisionBlocked, keeptrail.DecisionEscalated
	var out []ev
	for i, at := range []time.Time{day10(1, 0), day10(1, 10), day10(4, 0), day10(9, 0), day10(15, 0), day10(22, 0)} {
		out = append(out, ev{fmt.Sprintf("pay1-allowed-%d", i), at, "gw-pay-1", "payments", allowed, low, 2, nil})
	}
	out = append(out,
		ev{"pay1-blocked-0", day10(3, 30), "gw-pay-1", "payments", blocked, high, 2, []string{"pii.ssn"}},
		ev{"pay1-blocked-1", day10(10, 45), "gw-pay-1", "payments", blocked, high, 2, []string{"pii.ssn"}},
		ev{"pay1-escalated", day10(2, 0), "gw-pay-1", "payments", escalated, critical, 1, []string{"pii.ssn", "pii.email"}},
	)
	for i, at := range []time.Time{day10(0, 30), day10(6, 0), day10(12, 0), day10(18, 0)} {
		out = append(out, ev{fmt.Sprintf("pay2-allowed-%d", i), at, "gw-pay-2", "payments", allowed, low, 0, nil})
	}
	out = append(out, ev{"pay2-blocked", day10(7, 15), "gw-pay-2", "payments", blocked, medium, 1, []string{"pii.card"}})
	for i, at := range []time.Time{day10(0, 45), day10(5, 30), day10(11, 0), day10(16, 0), day10(23, 59).Add(59 * time.Second)} {
		out = append(out, ev{fmt.Sprintf("rad1-allowed-%d", i), at, "gw-rad-1", "radiology", allowed, medium, 1, nil})
	}
	out = append(out, ev{"rad1-escalated", day10(8, 0), "gw-rad-1", "radiology", escalated, high, 1, []string{"phi.mrn"}})
	for i, at := range []time.Time{day10(2, 30), day10(13, 0), day10(20, 0)} {
		out = append(out, ev{fmt.Sprintf("rad2-allowed-%d", i), at, "gw-rad-2", "radiology", allowed, low, 0, nil})
	}
	out = append(out,
		ev{"shared-blocked", day10(8, 29).Add(59*time.Second + 999999*time.Microsecond), "gw-pay-1", "radiology", blocked, low, 1, []string{"pii.ssn"}},
		ev{"rad1-yesterday", march(9, 9), "gw-rad-1", "radiology", escalated, medium, 1, []string{"phi.mrn"}},
	)
	return out
}

// buildFixture stores the organization through the store's transactions, as the engine
// and the ingester would.
func buildFixture(t *testing.T, db *sqlstore.DB) fixtureIDs {
	t.Helper()
	ids := fixtureIDs{gw: map[string]keeptrail.Gateway{}}
	update(t, db, func(tx keeptrail.Tx) error {
		var err error
		if ids.payments, _, err = tx.EnsureTeam("payments"); err != nil {
			return err
		}
		if ids.radiology, _, err = tx.EnsureTeam("radiology"); err != nil {
			return err
		}
		for _, g := range []struct {
			name string
			team keeptrail.Team
		}{{"gw-pay-1", ids.payments}, {"gw-pay-2", ids.payments}, {"gw-rad-1", ids.radiology}, {"gw-rad-2", ids.radiology}, {"gw-old", ids.radiology}} {
			gw, _, err := tx.EnsureGateway(g.name, g.team.ID)
			if err != nil {
				return err
			}
			ids.gw[g.name] = gw
		}
		old := ids.gw["gw-old"]
		old.Active = false
		if err := tx.UpdateGateway(&old); err != nil {
			return err
		}

		gws := func(names ...string) []int64 {
			var out []int64
			for _, n := range names {
				out = append(out, ids.gw[n].ID)
			}
			return out
		}
		for _, p := range []keeptrail.Policy{
			{Name: "PII redaction", Kind: "pii", TeamID: ids.payments.ID, Active: true, GatewayIDs: gws("gw-pay-1", "gw-pay-2")},
			{Name: "Secrets", Kind: "secrets", TeamID: ids.payments.ID, Active: false, GatewayIDs: gws("gw-pay-2")},
			{Name: "PHI detection", Kind: "phi", TeamID: ids.radiology.ID, Active: true, GatewayIDs: gws("gw-rad-1")},
			{Name: "Research", Kind: "secrets", TeamID: ids.radiology.ID, Active: true},
		} {
			if err := tx.CreatePolicy(&p); err != nil {
				return err
			}
		}

		for _, passed := range []bool{true, true, false} {
			v := keeptrail.ConfigurationVersion{Author: "priya", ChangeSummary: "release", Content: []byte(`{}`), ValidationPassed: passed}
			if err := tx.CreateConfigurationVersion(&v); err != nil {
				return err
			}
		}
		for _, d := range []keeptrail.Deployment{
			{GatewayID: ids.gw["gw-pay-1"].ID, Version: 1, DeployedAt: march(1, 9), Source: "api"},
			{GatewayID: ids.gw["gw-pay-2"].ID, Version: 1, DeployedAt: march(1, 9), Source: "api"},
			{GatewayID: ids.gw["gw-rad-1"].ID, Version: 1, DeployedAt: march(1, 9), Source: "api"},
			{GatewayID: ids.gw["gw-rad-2"].ID, Version: 1, DeployedAt: march(1, 9), Source: "api"},
			{GatewayID: ids.gw["gw-pay-1"].ID, Version: 2, DeployedAt: march(5, 10), Source: "api"},
			{GatewayID: ids.gw["gw-pay-2"].ID, Version: 2, DeployedAt: march(5, 11), Source: "api"},
			{GatewayID: ids.gw["gw-rad-1"].ID, Version: 2, DeployedAt: march(5, 12), Source: "api"},
			{GatewayID: ids.gw["gw-pay-1"].ID, Version: 3, DeployedAt: march(6, 9), Source: "api"},
			{GatewayID: ids.gw["gw-pay-2"].ID, Version: 1, DeployedAt: march(8, 9), Source: "heartbeat"},
		} {
			d.DeployedBy = "ci"
			if err := tx.CreateDeployment(&d); err != nil {
				return err
			}
		}

		// Users: four active, three of them enrolled in MFA; erin was deprovisioned.
		deactivated := march(5, 0)
		for _, u := range []keeptrail.User{
			{Email: "alice@acme.example", Role: keeptrail.RoleAdmin, TeamIDs: []int64{ids.payments.ID}, MFAEnrolled: true, Active: true},
			{Email: "bob@acme.example", Role: keeptrail.RoleTeamAdmin, TeamIDs: []int64{ids.payments.ID}, Active: true},
			{Email: "carol@acme.example", Role: keeptrail.RoleTeamAdmin, TeamIDs: []int64{ids.radiology.ID}, MFAEnrolled: true, Active: true},
			{Email: "dave@acme.example", Role: keeptrail.RoleViewer, TeamIDs: []int64{ids.radiology.ID}, MFAEnrolled: true, Active: true},
			{Email: "erin@acme.example", Role: keeptrail.RoleViewer, TeamIDs: []int64{ids.radiology.ID}, DeactivatedAt: &deactivated},
		} {
			u.Name = u.Email
			u.CreatedAt = march(1, 0)
			if err := tx.CreateUser(&u); err != nil {
				return err
			}
		}

		// API keys (rotation policy: 90 days; the score is taken on 11 March): k1 rotated
		// 38 days before, k2 130 days before (stale), k3 and k5 recently; k4 revoked.
		revoked := march(2, 0)
		for i, k := range []keeptrail.APIKey{
			{Name: "ci", TeamIDs: []int64{ids.payments.ID}, CreatedAt: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), RotatedAt: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)},
			{Name: "pacs-export", TeamIDs: []int64{ids.radiology.ID}, CreatedAt: time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC)},
			{Name: "gateway-fleet", CreatedAt: march(1, 0)},
			{Name: "old", CreatedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), RevokedAt: &revoked},
			{Name: "siem", TeamIDs: []int64{ids.payments.ID, ids.radiology.ID}, CreatedAt: time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC), RotatedAt: time.Date(2025, 2, 20, 0, 0, 0, 0, time.UTC)},
		} {
			k.Prefix = fmt.Sprintf("k%d", i+1)
			k.Role = keeptrail.RoleAdmin
			k.SecretHash = []byte("hash")
			if err := tx.CreateAPIKey(&k); err != nil {
				return err
			}
		}

		s, err := tx.Settings()
		if err != nil {
			return err
		}
		s.SSOConfigured, s.KeyRotationDays = true, 90
		if err := tx.PutSettings(s); err != nil {
			return err
		}
		for i := range 5 {
			e := keeptrail.AuditEntry{Time: march(1, i), ActorKind: keeptrail.ActorUser, Actor: "alice@acme.example",
				Action: "policy.updated", Category: keeptrail.CategoryConfiguration, Severity: keeptrail.SeverityLow, Outcome: "success"}
			if err := tx.AppendAudit(&e); err != nil {
				return err
			}
		}
		return nil
	})

	// Decision events, sent twice over: the second time must change nothing.
	var events []keeptrail.DecisionEvent
	for _, e := range fixtureEvents() {
		team := ids.payments
		if e.team == "radiology" {
			team = ids.radiology
		}
		gw := ids.gw[e.gateway]
		events = append(events, keeptrail.DecisionEvent{RequestID: e.id, Time: e.at, GatewayID: gw.ID, Gateway: gw.Name,
			TeamID: team.ID, Team: team.Name, Decision: e.decision, Severity: e.severity, PoliciesEvaluated: e.policies,
			RulesMatched: e.rules})
	}
	for range 2 {
		update(t, db, func(tx keeptrail.Tx) error {
			_, err := tx.InsertEvents(events)
			return err
		})
	}
	// Heartbeats: every active gateway at a quarter past every hour of 10 March, except
	// gw-rad-2 in hours 05, 06 and 07.
	var hbs []keeptrail.Heartbeat
	for h := range 24 {
		for _, name := range []string{"gw-pay-1", "gw-pay-2", "gw-rad-1", "gw-rad-2"} {
			if name == "gw-rad-2" && h >= 5 && h <= 7 {
				continue
			}
			hbs = append(hbs, keeptrail.Heartbeat{GatewayID: ids.gw[name].ID, Gateway: name, Time: day10(h, 15), Healthy: true})
		}
	}
	update(t, db, func(tx keeptrail.Tx) error { return tx.InsertHeartbeats(hbs) })

	// Escalations due on 10 March: the critical one of 02:00 (SLA 60 min, due 03:00)
	// resolved at 02:40: met; the high one of 08:00 (SLA 240 min, due 12:00) resolved at
	// 13:30: breached; the medium one of 9 March 09:00 (SLA 1440 min, due 10 March 09:00)
	// resolved at 08:00: met.
	resolved := func(t time.Time) *time.Time { return &t }
	esc := []struct {
		event    string
		opened   time.Time
		sla      time.Duration
		resolved *time.Time
	}{
		{"pay1-escalated", day10(2, 0), time.Hour, resolved(day10(2, 40))},
		{"rad1-escalated", day10(8, 0), 4 * time.Hour, resolved(day10(13, 30))},
		{"rad1-yesterday", march(9, 9), 24 * time.Hour, resolved(day10(8, 0))},
	}
	update(t, db, func(tx keeptrail.Tx) error {
		var es []keeptrail.Escalation
		for i, e := range esc {
			var ev keeptrail.DecisionEvent
			for _, x := range events {
				if x.RequestID == e.event {
					ev = x
				}
			}
			es = append(es, keeptrail.Escalation{EventID: int64(100 + i), RequestID: e.event, GatewayID: ev.GatewayID, TeamID: ev.TeamID,
				Severity: ev.Severity, OpenedAt: e.opened, SLADueAt: e.opened.Add(e.sla), ExpiresAt: e.opened.Add(e.sla + 24*time.Hour),
				Status: keeptrail.EscalationResolved, ResolvedAt: e.resolved, Outcome: "approved"})
		}
		return tx.CreateEscalations(es)
	})
	return ids
}

func update(t *testing.T, db *sqlstore.DB, fn func(tx keeptrail.Tx) error) {
	t.Helper()
	if err := db.Update(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// fixtureService is a service over the fixture with the fixture's clock and a one-day window.
func fixtureService(t *testing.T, db *sqlstore.DB, opts compliance.Options) *compliance.Service {
	t.Helper()
	opts.Now = func() time.Time { return fixtureNow }
	opts.Window = 24 * time.Hour
	s, err := compliance.New(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func openFixture(t *testing.T, fn func(t *testing.T, db *sqlstore.DB, ids fixtureIDs)) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		fn(t, db, buildFixture(t, db))
	}, sqlstore.Options{Now: func() time.Time { return march(1, 0) }})
}

var (
	admin = keeptrail.NewContextWithPrincipal(context.Background(), keeptrail.SystemPrincipal("test"))
)

// teamAdmin is a team admin of one team.
func teamAdmin(team keeptrail.Team) context.Context {
	return keeptrail.NewContextWithPrincipal(context.Background(), &keeptrail.Principal{Kind: keeptrail.ActorUser,
		Name: "admin@" + team.Name, Role: keeptrail.RoleTeamAdmin, TeamIDs: []int64{team.ID}})
}

func pct(p float64) *float64 { return &p }

func i64(v int64) *int64 { return &v }

func tm(t time.Time) *time.Time { return &t }
