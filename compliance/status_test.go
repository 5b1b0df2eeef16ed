package compliance_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/compliance"
	"github.com/keeptrail/keeptrail/sqlstore"
)

func rate(count, of int64, percent *float64) compliance.Rate {
	return compliance.Rate{Count: count, Of: of, Percent: percent}
}

func config(running, latest int64, behind *time.Time) *compliance.GatewayConfiguration {
	return &compliance.GatewayConfiguration{Running: i64(running), Latest: latest, BehindSince: behind}
}

// TestStatusFixture checks the status of the hand-built organization against figures
// worked out by hand.
func TestStatusFixture(t *testing.T) {
	openFixture(t, func(t *testing.T, db *sqlstore.DB, ids fixtureIDs) {
		s := fixtureService(t, db, compliance.Options{})
		got, err := s.Status(admin, compliance.StatusRequest{})
		if err != nil {
			t.Fatal(err)
		}
		want := compliance.Status{
			// No period given: the window (one day) before now.
			Period: compliance.Period{From: fixtureDay, To: fixtureNow},
			AsOf:   fixtureNow,
			Teams:  []string{"payments", "radiology"},
			// PII redaction (gw-pay-1, gw-pay-2) and PHI detection (gw-rad-1). Secrets is
			// inactive; Research is assigned to no gateway.
			ActivePolicies: 2,
			// gw-pay-1, gw-pay-2, gw-rad-1 of the 4 active gateways (gw-old is inactive):
			// 3/4 = 75 %.
			PolicyCoverage: rate(3, 4, pct(75)),
			// Requests: gw-pay-1 9 + 1 shared, gw-pay-2 5, gw-rad-1 6, gw-rad-2 3 = 24.
			// Evaluated by a policy: 9 + 1 + 1 (gw-pay-2's block) + 6 + 0 = 17;
			// 17/24 = 70.8333 % -> 70.83.
			EnforcementRate: rate(17, 24, pct(70.83)),
			// Blocked 2 + 1 + 1 = 4, escalated 1 + 1 = 2: 6/24 = 25 %.
			ViolationRate: rate(6, 24, pct(25)),
			Requests:      24, Blocked: 4, Escalated: 2,
			// v2 was released (first deployed, validated) on 5 March 10:00, so it is the
			// latest for every gateway from 6 March 10:00 on (the one-day release grace).
			// gw-rad-2 never got it; gw-pay-2 got it and was rolled back on 8 March 09:00.
			// gw-pay-1 runs v3, newer but unvalidated: current, and v3 is no release for
			// the others.
			ConfigurationDrift: []compliance.Drift{
				{Gateway: "gw-rad-2", Team: "radiology", GatewayConfiguration: *config(1, 2, tm(march(6, 10)))},
				{Gateway: "gw-pay-2", Team: "payments", GatewayConfiguration: *config(1, 2, tm(march(8, 9)))},
			},
			ByTeam: []compliance.TeamStatus{
				// payments: 14 requests (9 + 5), 10 evaluated (9 + 1): 71.43 %; blocked 2 + 1,
				// escalated 1: 4/14 = 28.57 %.
				{Team: "payments", ActivePolicies: 1, PolicyCoverage: rate(2, 2, pct(100)), Requests: 14,
					EnforcementRate: rate(10, 14, pct(71.43)), ViolationRate: rate(4, 14, pct(28.57)), Blocked: 3, Escalated: 1, DriftedGateways: 1},
				// radiology: 10 requests (6 + 3 + 1 shared), 7 evaluated: 70 %; the shared block
				// and one escalation: 2/10 = 20 %.
				{Team: "radiology", ActivePolicies: 1, PolicyCoverage: rate(1, 2, pct(50)), Requests: 10,
					EnforcementRate: rate(7, 10, pct(70)), ViolationRate: rate(2, 10, pct(20)), Blocked: 1, Escalated: 1, DriftedGateways: 1},
			},
			ByGateway: []compliance.GatewayStatus{
				{Gateway: "gw-pay-1", Team: "payments", InScope: true, ActivePolicies: 1, Requests: 10, EnforcementRate: rate(10, 10, pct(100)),
					ViolationRate: rate(4, 10, pct(40)), Blocked: 3, Escalated: 1, Configuration: config(3, 3, nil)},
				{Gateway: "gw-pay-2", Team: "payments", InScope: true, ActivePolicies: 1, Requests: 5, EnforcementRate: rate(1, 5, pct(20)),
					ViolationRate: rate(1, 5, pct(20)), Blocked: 1, Configuration: config(1, 2, tm(march(8, 9)))},
				// 1/6 = 16.6667 % -> 16.67.
				{Gateway: "gw-rad-1", Team: "radiology", InScope: true, ActivePolicies: 1, Requests: 6, EnforcementRate: rate(6, 6, pct(100)),
					ViolationRate: rate(1, 6, pct(16.67)), Escalated: 1, Configuration: config(2, 2, nil)},
				{Gateway: "gw-rad-2", Team: "radiology", InScope: true, Requests: 3, EnforcementRate: rate(0, 3, pct(0)),
					ViolationRate: rate(0, 3, pct(0)), Configuration: config(1, 2, tm(march(6, 10)))},
			},
			BySeverity: []compliance.SeverityStatus{
				// low: 6 + 4 + 3 + 1 shared block: 1/14 = 7.14 %.
				{Severity: keeptrail.SeverityLow, Requests: 14, Blocked: 1, ViolationRate: rate(1, 14, pct(7.14))},
				// medium: gw-pay-2's block and gw-rad-1's 5 allowed: 1/6.
				{Severity: keeptrail.SeverityMedium, Requests: 6, Blocked: 1, ViolationRate: rate(1, 6, pct(16.67))},
				{Severity: keeptrail.SeverityHigh, Requests: 3, Blocked: 2, Escalated: 1, ViolationRate: rate(3, 3, pct(100))},
				{Severity: keeptrail.SeverityCritical, Requests: 1, Escalated: 1, ViolationRate: rate(1, 1, pct(100))},
			},
			// pii.ssn: 2 blocks, the critical escalation and the shared block.
			ByRule: []compliance.RuleStatus{{Rule: "pii.ssn", Matches: 4}, {Rule: "phi.mrn", Matches: 1}, {Rule: "pii.card", Matches: 1},
				{Rule: "pii.email", Matches: 1}},
		}
		wantJSON(t, "status", got, want)
	})
}

// TestStatusFixtureTeamAdmin checks a team admin's status of part of a day: only its
// team's events count, the shared gateway of another team appears with its events only.
func TestStatusFixtureTeamAdmin(t *testing.T) {
	openFixture(t, func(t *testing.T, db *sqlstore.DB, ids fixtureIDs) {
		s := fixtureService(t, db, compliance.Options{})
		to, err := compliance.ParseEnd("2025-03-10T08:29:59Z") // inclusive: up to 08:30:00
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Status(teamAdmin(ids.radiology), compliance.StatusRequest{From: fixtureDay, To: to})
		if err != nil {
			t.Fatal(err)
		}
		want := compliance.Status{
			Period: compliance.Period{From: fixtureDay, To: day10(8, 30)},
			AsOf:   day10(8, 30),
			Teams:  []string{"radiology"},
			// PHI detection on gw-rad-1; gw-rad-2 has none: 1/2.
			ActivePolicies: 1,
			PolicyCoverage: rate(1, 2, pct(50)),
			// Radiology's events before 08:30: gw-rad-1 00:45, 05:30 and the 08:00 escalation,
			// gw-rad-2 02:30, and the shared block on gw-pay-1 at 08:29:59.999999: 5.
			// Evaluated: 3 + 0 + 1 = 4/5 = 80 %. Violations: 1 blocked + 1 escalated = 40 %.
			EnforcementRate: rate(4, 5, pct(80)),
			ViolationRate:   rate(2, 5, pct(40)),
			Requests:        5, Blocked: 1, Escalated: 1,
			ConfigurationDrift: []compliance.Drift{
				{Gateway: "gw-rad-2", Team: "radiology", GatewayConfiguration: *config(1, 2, tm(march(6, 10)))},
			},
			ByTeam: []compliance.TeamStatus{
				{Team: "radiology", ActivePolicies: 1, PolicyCoverage: rate(1, 2, pct(50)), Requests: 5,
					EnforcementRate: rate(4, 5, pct(80)), ViolationRate: rate(2, 5, pct(40)), Blocked: 1, Escalated: 1, DriftedGateways: 1},
			},
			ByGateway: []compliance.GatewayStatus{
				// Payments' gateway: only radiology's event on it, none of its own state.
				{Gateway: "gw-pay-1", Team: "payments", Requests: 1, EnforcementRate: rate(1, 1, pct(100)),
					ViolationRate: rate(1, 1, pct(100)), Blocked: 1},
				{Gateway: "gw-rad-1", Team: "radiology", InScope: true, ActivePolicies: 1, Requests: 3, EnforcementRate: rate(3, 3, pct(100)),
					ViolationRate: rate(1, 3, pct(33.33)), Escalated: 1, Configuration: config(2, 2, nil)},
				{Gateway: "gw-rad-2", Team: "radiology", InScope: true, Requests: 1, EnforcementRate: rate(0, 1, pct(0)),
					ViolationRate: rate(0, 1, pct(0)), Configuration: config(1, 2, tm(march(6, 10)))},
			},
			BySeverity: []compliance.SeverityStatus{
				{Severity: keeptrail.SeverityLow, Requests: 2, Blocked: 1, ViolationRate: rate(1, 2, pct(50))},
				{Severity: keeptrail.SeverityMedium, Requests: 2, ViolationRate: rate(0, 2, pct(0))},
				{Severity: keeptrail.SeverityHigh, Requests: 1, Escalated: 1, ViolationRate: rate(1, 1, pct(100))},
				{Severity: keeptrail.SeverityCritical, ViolationRate: rate(0, 0, nil)},
			},
			ByRule: []compliance.RuleStatus{{Rule: "phi.mrn", Matches: 1}, {Rule: "pii.ssn", Matches: 1}},
		}
		wantJSON(t, "team admin status", got, want)

		// Narrowed to one gateway.
		got, err = s.Status(teamAdmin(ids.radiology), compliance.StatusRequest{From: fixtureDay, To: to, Gateways: []string{"gw-rad-2"}})
		if err != nil {
			t.Fatal(err)
		}
		if got.Requests != 1 || got.PolicyCoverage.Count != 0 || got.PolicyCoverage.Of != 1 || len(got.ByGateway) != 1 || len(got.ByTeam) != 1 ||
			!reflect.DeepEqual(got.Gateways, []string{"gw-rad-2"}) {
			t.Errorf("status of gw-rad-2: %+v", got)
		}
	})
}

// TestStatusRejects checks roles, team scope and bad requests.
func TestStatusRejects(t *testing.T) {
	openFixture(t, func(t *testing.T, db *sqlstore.DB, ids fixtureIDs) {
		s := fixtureService(t, db, compliance.Options{})
		gateway := keeptrail.NewContextWithPrincipal(admin, &keeptrail.Principal{Kind: keeptrail.ActorAPIKey, Name: "key:gw",
			Role: keeptrail.RoleGateway, AllTeams: true})
		tests := []struct {
			name string
			ctx  context.Context
			req  compliance.StatusRequest
			code string
			msg  string
		}{
			{"another team", teamAdmin(ids.payments), compliance.StatusRequest{Teams: []string{"radiology"}},
				keeptrail.EFORBIDDEN, `team "radiology" is outside your teams`},
			{"gateway key", gateway, compliance.StatusRequest{},
				keeptrail.EFORBIDDEN, "role gateway may not read compliance figures"},
			{"unknown team and gateway", admin, compliance.StatusRequest{Teams: []string{"nope"}, Gateways: []string{"gw-x"}},
				keeptrail.EINVALID, `team: unknown team "nope"; gateway: unknown gateway "gw-x"`},
			{"backwards", admin, compliance.StatusRequest{From: fixtureNow, To: fixtureDay},
				keeptrail.EINVALID, "from: must be before to (2025-03-10T00:00:00Z)"},
		}
		for _, tt := range tests {
			_, err := s.Status(tt.ctx, tt.req)
			if keeptrail.ErrorCode(err) != tt.code || err.Error() != tt.msg {
				t.Errorf("%s: error %q (%s), want %q (%s)", tt.name, err, keeptrail.ErrorCode(err), tt.msg, tt.code)
			}
		}
		// Each denial is in the audit log.
		var denied []string
		update(t, db, func(tx keeptrail.Tx) error {
			return tx.AuditEntries(1, 0, func(e keeptrail.AuditEntry) error {
				if e.Outcome == "denied" {
					denied = append(denied, e.Action+" by "+e.Actor+": "+string(e.Details))
				}
				return nil
			})
		})
		want := []string{
			`compliance.status_read by admin@payments: {"reason":"team \"radiology\" is outside your teams","role":"team_admin"}`,
			`compliance.status_read by key:gw: {"reason":"role gateway may not read compliance figures","role":"gateway"}`,
		}
		if !reflect.DeepEqual(denied, want) {
			t.Errorf("denied entries:\n got  %q\n want %q", denied, want)
		}
	})
}

// wantJSON compares values through their JSON form, which is what users see.
func wantJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.MarshalIndent(want, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if string(g) != string(w) {
		t.Errorf("%s:\n got  %s\n want %s", what, g, w)
	}
}
