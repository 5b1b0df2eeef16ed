package export

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
)

// fixtureDay is the first day of the fixture's data; the golden specs cover February 2025.
var fixtureDay = time.Date(2025, 2, 3, 9, 0, 0, 0, time.UTC)

// adminPrincipal sees every team.
var adminPrincipal = &keeptrail.Principal{Kind: keeptrail.ActorUser, UserID: 1, Name: "ana@acme.example",
	Role: keeptrail.RoleAdmin, AllTeams: true}

// fixtureOrg is what loadFixture created.
type fixtureOrg struct {
	teams    map[string]keeptrail.Team
	gateways map[string]keeptrail.Gateway
}

// loadFixture fills st with a small, fixed organization whose text holds formula
// payloads, line breaks and the characters § é ø, so the golden files show how each
// format renders them. Every time is fixed, so the data (and the hashes of the audit
// chain) are the same on every run and on both databases.
func loadFixture(t testing.TB, st keeptrail.Store) fixtureOrg {
	t.Helper()
	org := fixtureOrg{teams: map[string]keeptrail.Team{}, gateways: map[string]keeptrail.Gateway{}}
	at := func(minutes int) time.Time { return fixtureDay.Add(time.Duration(minutes) * time.Minute) }
	err := st.Update(context.Background(), func(tx keeptrail.Tx) error {
		s := keeptrail.DefaultSettings()
		s.OrganizationName = "Acme Førsikring §"
		if err := tx.PutSettings(s); err != nil {
			return err
		}
		for _, name := range []string{"payments", "claims", "støtte"} {
			team, _, err := tx.EnsureTeam(name)
			if err != nil {
				return err
			}
			org.teams[name] = team
		}
		for _, g := range []struct{ name, team string }{{"gw-eu-1", "payments"}, {"gw-us-1", "claims"}, {"gw-no-1", "støtte"}} {
			gw, _, err := tx.EnsureGateway(g.name, org.teams[g.team].ID)
			if err != nil {
				return err
			}
			org.gateways[g.name] = gw
		}
		events := []keeptrail.DecisionEvent{
			fixtureEvent(org, "r-0001", at(0), "gw-eu-1", "alice@acme.example", "gpt-4o", keeptrail.DecisionAllowed, keeptrail.SeverityLow, nil, nil),
			fixtureEvent(org, "r-0002", at(5), "gw-us-1", `=HYPERLINK("http://evil.example","click")`, "+cmd|' /C calc'!A0",
				keeptrail.DecisionBlocked, keeptrail.SeverityHigh, []string{"pii.ssn", "-2+3"}, []string{"pii"}),
			fixtureEvent(org, "r-0003", at(5), "gw-no-1", "bjørn@acme.example", "@SUM(A1:A9)", keeptrail.DecisionEscalated,
				keeptrail.SeverityCritical, []string{"phi.diagnosis"}, []string{"phi", "\tsecret"}),
			fixtureEvent(org, "-r-0004", at(7), "gw-eu-1", "line one\nline two, \"quoted\"", "", keeptrail.DecisionEscalated,
				keeptrail.SeverityMedium, []string{"prompt_injection.jailbreak"}, []string{"prompt_injection"}),
			fixtureEvent(org, "r-0005", at(60*24*3), "gw-us-1", "", "claude-sonnet-4", keeptrail.DecisionBlocked, keeptrail.SeverityLow,
				[]string{"cost.budget_exceeded"}, []string{"cost"}),
			// Outside February: never exported by the golden specs.
			fixtureEvent(org, "r-0006", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), "gw-eu-1", "alice@acme.example", "gpt-4o",
				keeptrail.DecisionAllowed, keeptrail.SeverityLow, nil, nil),
		}
		events[1].LatencyMS, events[1].TokensIn, events[1].TokensOut, events[1].CostUSD = 120, 2048, 0, 0.0153
		events[2].CostUSD = -0.25 // a typed negative number stays a number
		if _, err := tx.InsertEvents(events); err != nil {
			return err
		}
		// Escalations of the two escalated events, one handled to the end.
		es := []keeptrail.Escalation{
			{EventID: events[2].ID, RequestID: "r-0003", GatewayID: events[2].GatewayID, TeamID: events[2].TeamID,
				Severity: keeptrail.SeverityCritical, OpenedAt: at(5), SLADueAt: at(65), ExpiresAt: at(65 + 1440)},
			{EventID: events[3].ID, RequestID: "-r-0004", GatewayID: events[3].GatewayID, TeamID: events[3].TeamID,
				Severity: keeptrail.SeverityMedium, OpenedAt: at(7), SLADueAt: at(7 + 1440), ExpiresAt: at(7 + 2880)},
		}
		if err := tx.CreateEscalations(es); err != nil {
			return err
		}
		e := &es[0]
		e.Status, e.Assignee = keeptrail.EscalationClaimed, "bjørn@acme.example"
		if err := tx.AddEscalationAction(e, &keeptrail.EscalationAction{Action: keeptrail.EscalationClaim, Actor: "bjørn@acme.example", At: at(10)}); err != nil {
			return err
		}
		resolved := at(40)
		e.Status, e.ResolvedAt, e.Outcome = keeptrail.EscalationResolved, &resolved, "false_positive"
		if err := tx.AddEscalationAction(e, &keeptrail.EscalationAction{Action: keeptrail.EscalationResolve, Actor: "bjørn@acme.example",
			At: resolved, Outcome: "false_positive", Note: "=not a formula, § 3 ok"}); err != nil {
			return err
		}
		// Configuration versions and deployments.
		v1 := keeptrail.ConfigurationVersion{Author: "ana@acme.example", CreatedAt: at(-60), ChangeSummary: "Block SSNs (§ 4.2)",
			Content: json.RawMessage(`{"rules":["pii.ssn"],"note":"café"}`), ValidationPassed: true, ValidationOutput: "ok"}
		v2 := keeptrail.ConfigurationVersion{Author: "ana@acme.example", CreatedAt: at(120), ChangeSummary: "=IMPORTXML(\"x\")",
			Content: json.RawMessage(`{"rules":[]}`), ValidationPassed: false, ValidationOutput: "rules: empty"}
		for _, v := range []*keeptrail.ConfigurationVersion{&v1, &v2} {
			if err := tx.CreateConfigurationVersion(v); err != nil {
				return err
			}
		}
		for _, d := range []keeptrail.Deployment{
			{GatewayID: org.gateways["gw-eu-1"].ID, Version: 1, DeployedAt: at(-30), DeployedBy: "ana@acme.example", Source: "api"},
			{GatewayID: org.gateways["gw-no-1"].ID, Version: 2, DeployedAt: at(130), DeployedBy: "gw-no-1", Source: "heartbeat"},
			{GatewayID: org.gateways["gw-us-1"].ID, Version: 7, DeployedAt: at(140), DeployedBy: "gw-us-1", Source: "heartbeat"},
		} {
			if err := tx.CreateDeployment(&d); err != nil {
				return err
			}
		}
		// Audit entries.
		payments, claims := org.teams["payments"].ID, org.teams["claims"].ID
		for i, a := range []keeptrail.AuditEntry{
			{Time: at(1), ActorKind: keeptrail.ActorUser, Actor: "ana@acme.example", Action: "auth.login", Category: keeptrail.CategoryAuthentication,
				Severity: keeptrail.SeverityLow, SourceIP: "203.0.113.7", Outcome: "success", Details: json.RawMessage(`{"method":"password"}`)},
			{Time: at(2), ActorKind: keeptrail.ActorUser, Actor: "=cmd|' /C calc'!A0", Action: "auth.login_failed",
				Category: keeptrail.CategoryAuthentication, Severity: keeptrail.SeverityMedium, SourceIP: "198.51.100.9", Outcome: "failure",
				Details: json.RawMessage(`{"reason":"unknown user"}`)},
			{Time: at(3), ActorKind: keeptrail.ActorAPIKey, Actor: "key:abcdefgh", Action: "policy.updated", Category: keeptrail.CategoryConfiguration,
				TeamID: &payments, Target: "policy:12", Severity: keeptrail.SeverityMedium, Outcome: "success",
				Details: json.RawMessage(`{"change":"§ 164.312 — rules for é and ø","before":{"active":false}}`)},
			{Time: at(4), ActorKind: keeptrail.ActorUser, Actor: "bjørn@acme.example", Action: "escalation.resolved", Category: keeptrail.CategoryEscalation,
				TeamID: &claims, Target: "escalation:1", Severity: keeptrail.SeverityHigh, SourceIP: "2001:db8::1", Outcome: "success",
				Details: json.RawMessage(`{"outcome":"false_positive","note":"line 1\nline 2"}`)},
			{Time: at(60 * 24 * 40), ActorKind: keeptrail.ActorSystem, Actor: "system:expiry", Action: "escalation.expired",
				Category: keeptrail.CategoryEscalation, Severity: keeptrail.SeverityLow, Outcome: "success"},
		} {
			if err := tx.AppendAudit(&a); err != nil {
				return fmt.Errorf("audit entry %d: %w", i, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("load fixture: %v", err)
	}
	return org
}

func fixtureEvent(org fixtureOrg, id string, at time.Time, gateway, user, model string, d keeptrail.Decision,
	s keeptrail.Severity, rules, categories []string) keeptrail.DecisionEvent {
	gw := org.gateways[gateway]
	return keeptrail.DecisionEvent{RequestID: id, Time: at, GatewayID: gw.ID, Gateway: gw.Name, TeamID: gw.TeamID,
		User: user, Model: model, Decision: d, Severity: s, PoliciesEvaluated: 3, RulesMatched: rules, Categories: categories,
		LatencyMS: 42, TokensIn: 512, TokensOut: 64, CostUSD: 0.0031}
}
