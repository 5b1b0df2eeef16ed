package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/engine"
)

const adminName = "ada@acme.example"

// TestAuditEntriesIdentity checks the exact audit entries of user, API key, settings and
// team operations.
func TestAuditEntriesIdentity(t *testing.T) {
	each(t, func(t *testing.T, x *env) {
		ctx := x.asAdmin()
		pay, res := team(x.payments.ID), team(x.research.ID)

		seq := x.head()
		u, err := x.e.CreateUser(ctx, engine.NewUser{Email: " Bob@Acme.example ", Name: "Bob", Role: keeptrail.RoleTeamAdmin,
			Teams: []string{"payments"}, Password: "correct horse battery"})
		wantCode(t, err, "")
		if u.Email != "bob@acme.example" || !u.Active || u.PasswordHash == "" || fmt.Sprint(u.TeamIDs) != fmt.Sprint([]int64{x.payments.ID}) {
			t.Fatalf("created user %+v", u)
		}
		x.expect(t, seq, entry{adminName, "user.created", "authorization", pay, "user:bob@acme.example", "medium", "success",
			`{"email":"bob@acme.example","local_password":true,"mfa_enrolled":false,"name":"Bob","role":"team_admin","sso_enrolled":false,"teams":["payments"]}`})

		seq = x.head()
		name, role, mfa := "Bobby", keeptrail.RoleComplianceOfficer, true
		teams := []string{"payments", "research"}
		_, err = x.e.UpdateUser(ctx, "bob@acme.example", engine.UserUpdate{Name: &name, Role: &role, Teams: &teams, MFAEnrolled: &mfa})
		wantCode(t, err, "")
		x.expect(t, seq,
			entry{adminName, "user.updated", "authorization", nil, "user:bob@acme.example", "low", "success",
				`{"mfa_enrolled":{"after":true,"before":false},"name":{"after":"Bobby","before":"Bob"}}`},
			entry{adminName, "user.role_changed", "authorization", nil, "user:bob@acme.example", "high", "success",
				`{"after":"compliance_officer","before":"team_admin"}`},
			entry{adminName, "team.membership_changed", "authorization", res, "user:bob@acme.example", "medium", "success",
				`{"change":"added","team":"research"}`})

		seq = x.head()
		teams = []string{"research"}
		pw := "another long passphrase"
		_, err = x.e.UpdateUser(ctx, "bob@acme.example", engine.UserUpdate{Teams: &teams, Password: &pw})
		wantCode(t, err, "")
		x.expect(t, seq,
			entry{adminName, "user.updated", "authorization", res, "user:bob@acme.example", "low", "success", `{"password":"changed"}`},
			entry{adminName, "team.membership_changed", "authorization", pay, "user:bob@acme.example", "medium", "success",
				`{"change":"removed","team":"payments"}`})

		seq = x.head()
		_, err = x.e.UpdateUser(ctx, "bob@acme.example", engine.UserUpdate{Name: &name})
		wantCode(t, err, "")
		x.expect(t, seq) // nothing changed, nothing recorded

		seq = x.head()
		k, token, err := x.e.CreateAPIKey(ctx, engine.NewAPIKey{Name: "ci", Role: keeptrail.RoleAuditor, Teams: []string{"research"}, OwnerEmail: "BOB@acme.example"})
		wantCode(t, err, "")
		if k.SecretHash != nil || len(token) != 44 || k.OwnerUserID == nil || *k.OwnerUserID != u.ID {
			t.Fatalf("created key %+v token %q", k, token)
		}
		keyTarget := "api_key:" + k.Prefix
		x.expect(t, seq, entry{adminName, "api_key.created", "security", res, keyTarget, "medium", "success",
			`{"name":"ci","owner":"bob@acme.example","role":"auditor","teams":["research"]}`})

		x.clock.Add(5 * time.Minute)
		seq = x.head()
		_, _, err = x.e.RotateAPIKey(ctx, k.Prefix)
		wantCode(t, err, "")
		x.expect(t, seq, entry{adminName, "api_key.rotated", "security", res, keyTarget, "low", "success",
			`{"name":"ci","rotated_at":{"after":"2025-02-03T10:05:00Z","before":"2025-02-03T10:00:00Z"}}`})

		seq = x.head()
		d, err := x.e.DeactivateUser(ctx, "bob@acme.example")
		wantCode(t, err, "")
		if d.Active || d.DeactivatedAt == nil || !d.DeactivatedAt.Equal(start.Add(5*time.Minute)) {
			t.Fatalf("deactivated user %+v", d)
		}
		x.expect(t, seq,
			entry{adminName, "api_key.revoked", "security", res, keyTarget, "medium", "success", `{"name":"ci","reason":"owner deprovisioned"}`},
			entry{adminName, "user.deprovisioned", "authorization", res, "user:bob@acme.example", "high", "success",
				`{"api_keys_revoked":["` + k.Prefix + `"],"role":"compliance_officer"}`})
		_, err = x.e.DeactivateUser(ctx, "bob@acme.example")
		wantCode(t, err, keeptrail.ECONFLICT)

		seq = x.head()
		org, tz, on := "Acme Corp", "Europe/Berlin", true
		s, err := x.e.UpdateSettings(ctx, engine.SettingsUpdate{OrganizationName: &org, TimeZone: &tz, SSOConfigured: &on,
			MFARequired: &on, SLAMinutes: map[keeptrail.Severity]int{keeptrail.SeverityHigh: 120}})
		wantCode(t, err, "")
		if s.OrganizationName != org || s.TimeZone != tz || !s.SSOConfigured || !s.MFARequired || s.SLAMinutes[keeptrail.SeverityHigh] != 120 ||
			s.SLAMinutes[keeptrail.SeverityCritical] != 60 {
			t.Fatalf("settings %+v", s)
		}
		x.expect(t, seq,
			entry{adminName, "settings.updated", "security", nil, "settings", "medium", "success",
				`{"organization_name":{"after":"Acme Corp","before":"Keeptrail"},"sla_minutes.high":{"after":120,"before":240},"time_zone":{"after":"Europe/Berlin","before":"UTC"}}`},
			entry{adminName, "sso.configuration_changed", "security", nil, "settings", "high", "success",
				`{"sso_configured":{"after":true,"before":false}}`},
			entry{adminName, "mfa.policy_changed", "security", nil, "settings", "high", "success",
				`{"mfa_required":{"after":true,"before":false}}`})
		got, err := x.e.Settings(as(x.viewer()))
		wantCode(t, err, "")
		if got.OrganizationName != org || !got.MFARequired {
			t.Fatalf("settings read back %+v", got)
		}

		seq = x.head()
		tm, err := x.e.CreateTeam(ctx, "growth")
		wantCode(t, err, "")
		x.expect(t, seq, entry{adminName, "team.created", "authorization", team(tm.ID), "team:growth", "low", "success", `{"name":"growth"}`})
		_, err = x.e.CreateTeam(ctx, "growth")
		wantCode(t, err, keeptrail.ECONFLICT)
	})
}

// TestAuditEntriesConfiguration checks the exact audit entries of policy, configuration
// version, deployment and alerting rule operations.
func TestAuditEntriesConfiguration(t *testing.T) {
	each(t, func(t *testing.T, x *env) {
		ctx := as(x.officer())
		actor := "cora@acme.example"
		pay := team(x.payments.ID)

		seq := x.head()
		pol, err := x.e.CreatePolicy(ctx, engine.PolicyInput{Name: "pii-guard", Kind: "pii", Team: "payments",
			Rules: json.RawMessage(`{ "block": ["ssn"] }`), Gateways: []string{"gw-pay-1"}})
		wantCode(t, err, "")
		if !pol.Active || string(pol.Rules) != `{"block":["ssn"]}` || fmt.Sprint(pol.GatewayIDs) != fmt.Sprint([]int64{x.gwPay.ID}) {
			t.Fatalf("policy %+v", pol)
		}
		target := fmt.Sprintf("policy:%d", pol.ID)
		x.expect(t, seq, entry{actor, "policy.created", "configuration", pay, target, "low", "success",
			`{"active":true,"gateways":["gw-pay-1"],"kind":"pii","name":"pii-guard","team":"payments"}`})
		_, err = x.e.CreatePolicy(ctx, engine.PolicyInput{Name: "pii-guard", Kind: "phi", Team: "payments"})
		wantCode(t, err, keeptrail.ECONFLICT)

		seq = x.head()
		off := false
		pol, err = x.e.UpdatePolicy(ctx, pol.ID, engine.PolicyInput{Name: "pii-strict", Rules: json.RawMessage(`{"block":["ssn","iban"]}`),
			Active: &off, Gateways: []string{}})
		wantCode(t, err, "")
		if pol.Active || pol.Name != "pii-strict" || len(pol.GatewayIDs) != 0 {
			t.Fatalf("updated policy %+v", pol)
		}
		x.expect(t, seq,
			entry{actor, "policy.updated", "configuration", pay, target, "low", "success",
				`{"name":{"after":"pii-strict","before":"pii-guard"},"rules":{"after":{"block":["ssn","iban"]},"before":{"block":["ssn"]}}}`},
			entry{actor, "policy.deactivated", "configuration", pay, target, "medium", "success",
				`{"active":{"after":false,"before":true},"name":"pii-strict"}`},
			entry{actor, "policy.assigned", "configuration", pay, target, "low", "success",
				`{"gateways":{"after":[],"before":["gw-pay-1"]},"name":"pii-strict"}`})

		seq = x.head()
		_, err = x.e.SetPolicyActive(ctx, pol.ID, true)
		wantCode(t, err, "")
		_, err = x.e.SetPolicyActive(ctx, pol.ID, true) // already active: nothing recorded
		wantCode(t, err, "")
		_, err = x.e.AssignPolicy(ctx, pol.ID, []string{"gw-pay-1", "gw-pay-1"})
		wantCode(t, err, "")
		x.expect(t, seq,
			entry{actor, "policy.activated", "configuration", pay, target, "low", "success",
				`{"active":{"after":true,"before":false},"name":"pii-strict"}`},
			entry{actor, "policy.assigned", "configuration", pay, target, "low", "success",
				`{"gateways":{"after":["gw-pay-1"],"before":[]},"name":"pii-strict"}`})

		seq = x.head()
		v1, err := x.e.CreateConfigurationVersion(ctx, engine.ConfigurationInput{ChangeSummary: "baseline",
			Content: json.RawMessage(`{"policies":[{"name":"pii-guard","kind":"pii"}]}`)})
		wantCode(t, err, "")
		v2, err := x.e.CreateConfigurationVersion(ctx, engine.ConfigurationInput{ChangeSummary: "experiment",
			Content: json.RawMessage(`{"policies":[{"name":"","kind":"magic"}]}`)})
		wantCode(t, err, "")
		if v1.Version != 1 || !v1.ValidationPassed || v1.ValidationOutput != "ok" || v1.Author != actor ||
			v2.Version != 2 || v2.ValidationPassed || v2.ValidationOutput != "policies[0].name: is required\npolicies[0].kind: unknown kind \"magic\"" {
			t.Fatalf("versions %+v %+v", v1, v2)
		}
		x.expect(t, seq,
			entry{actor, "configuration_version.created", "configuration", nil, "configuration_version:1", "low", "success",
				`{"change_summary":"baseline","validation_passed":true,"version":1}`},
			entry{actor, "configuration_version.created", "configuration", nil, "configuration_version:2", "low", "success",
				`{"change_summary":"experiment","validation_passed":false,"version":2}`})

		seq = x.head()
		x.clock.Add(time.Minute)
		d, err := x.e.Deploy(ctx, "gw-pay-1", 1)
		wantCode(t, err, "")
		if d.GatewayID != x.gwPay.ID || d.Version != 1 || d.DeployedBy != actor || d.Source != "api" || !d.DeployedAt.Equal(start.Add(time.Minute)) {
			t.Fatalf("deployment %+v", d)
		}
		_, err = x.e.Deploy(ctx, "gw-pay-1", 2)
		wantCode(t, err, "")
		x.expect(t, seq,
			entry{actor, "configuration.deployed", "configuration", pay, "gateway:gw-pay-1", "medium", "success",
				`{"previous_version":null,"validation_passed":true,"version":1}`},
			entry{actor, "configuration.deployed", "configuration", pay, "gateway:gw-pay-1", "high", "success",
				`{"previous_version":1,"validation_passed":false,"version":2}`})
		gws, err := x.e.Gateways(ctx)
		wantCode(t, err, "")
		for _, g := range gws {
			if g.Name == "gw-pay-1" && (g.RunningVersion == nil || *g.RunningVersion != 2) {
				t.Fatalf("gateway running version %v, want 2", g.RunningVersion)
			}
		}
		ds, err := x.e.Deployments(ctx)
		wantCode(t, err, "")
		if len(ds) != 2 || ds[0].Version != 1 || ds[1].Version != 2 {
			t.Fatalf("deployments %+v", ds)
		}

		seq = x.head()
		r, err := x.e.CreateAlertingRule(ctx, engine.AlertingRuleInput{Name: "error-rate", Metric: "error_rate",
			Condition: "> 0.05 for 10m", Channel: "email:secops@acme.example"})
		wantCode(t, err, "")
		off = false
		r, err = x.e.UpdateAlertingRule(ctx, r.ID, engine.AlertingRuleInput{Condition: "> 0.02 for 10m", Enabled: &off})
		wantCode(t, err, "")
		if r.Enabled || r.Condition != "> 0.02 for 10m" || r.Metric != "error_rate" {
			t.Fatalf("alerting rule %+v", r)
		}
		rt := fmt.Sprintf("alerting_rule:%d", r.ID)
		x.expect(t, seq,
			entry{actor, "alerting_rule.created", "configuration", nil, rt, "low", "success",
				`{"channel":"email:secops@acme.example","condition":"> 0.05 for 10m","enabled":true,"metric":"error_rate","name":"error-rate"}`},
			entry{actor, "alerting_rule.updated", "configuration", nil, rt, "low", "success",
				`{"condition":{"after":"> 0.02 for 10m","before":"> 0.05 for 10m"},"enabled":{"after":false,"before":true}}`})
	})
}

// TestAuditEntriesSpend checks the exact audit entries of wallet and cost ticket
// operations, and that resolving a resolved ticket is a conflict.
func TestAuditEntriesSpend(t *testing.T) {
	each(t, func(t *testing.T, x *env) {
		ctx := as(x.teamAdmin())
		actor := "tom@acme.example"
		pay := team(x.payments.ID)

		seq := x.head()
		w, err := x.e.CreateWallet(ctx, "payments", "llm-spend", 5000)
		wantCode(t, err, "")
		wt := fmt.Sprintf("wallet:%d", w.ID)
		_, err = x.e.AddWalletEntry(ctx, w.ID, "allocation", 2500, "Q1")
		wantCode(t, err, "")
		we, err := x.e.AddWalletEntry(ctx, w.ID, "top_up", 500, "")
		wantCode(t, err, "")
		if we.Actor != actor || we.Kind != "top_up" || we.AmountUSD != 500 || !we.At.Equal(start) {
			t.Fatalf("wallet entry %+v", we)
		}
		c, err := x.e.OpenCostTicket(ctx, w.ID, "over budget", 120.5)
		wantCode(t, err, "")
		ct := fmt.Sprintf("cost_ticket:%d", c.ID)
		c, err = x.e.ResolveCostTicket(ctx, c.ID, "budget raised")
		wantCode(t, err, "")
		if c.Status != "resolved" || c.ResolvedBy != actor || c.Resolution != "budget raised" || c.ResolvedAt == nil {
			t.Fatalf("cost ticket %+v", c)
		}
		x.expect(t, seq,
			entry{actor, "wallet.created", "financial", pay, wt, "low", "success", `{"budget_usd":5000,"name":"llm-spend","team":"payments"}`},
			entry{actor, "wallet.allocation", "financial", pay, wt, "low", "success", `{"amount_usd":2500,"note":"Q1"}`},
			entry{actor, "wallet.top_up", "financial", pay, wt, "low", "success", `{"amount_usd":500}`},
			entry{actor, "cost_ticket.opened", "financial", pay, ct, "low", "success", `{"amount_usd":120.5,"title":"over budget","wallet":"` + wt + `"}`},
			entry{actor, "cost_ticket.resolved", "financial", pay, ct, "low", "success",
				`{"resolution":"budget raised","status":{"after":"resolved","before":"open"}}`})

		_, err = x.e.ResolveCostTicket(ctx, c.ID, "again")
		wantCode(t, err, keeptrail.ECONFLICT)
	})
}

// TestRecordAudit checks that recorded entries take the actor from the principal.
func TestRecordAudit(t *testing.T) {
	each(t, func(t *testing.T, x *env) {
		seq := x.head()
		p := x.viewer()
		got, err := x.e.RecordAudit(as(p), keeptrail.AuditEntry{Actor: "someone-else", Action: "auth.logout",
			Category: "authentication", Target: "session:abc", Details: json.RawMessage(`{ "reason": "user" }`)})
		wantCode(t, err, "")
		if got.Seq != seq+1 || got.Hash == "" {
			t.Fatalf("recorded entry %+v", got)
		}
		x.expect(t, seq, entry{"vic@acme.example", "auth.logout", "authentication", nil, "session:abc", "low", "success", `{"reason":"user"}`})

		_, err = x.e.RecordAudit(as(p), keeptrail.AuditEntry{Category: "nope", Severity: "extreme", Outcome: "maybe", Details: json.RawMessage(`[1]`)})
		wantFields(t, err, "action", "category", "severity", "outcome", "details")
		_, err = x.e.RecordAudit(context.Background(), keeptrail.AuditEntry{Action: "auth.logout", Category: "authentication"})
		wantCode(t, err, keeptrail.EUNAUTHORIZED)

		seq = x.head()
		_, err = x.e.RecordAudit(as(x.teamAdmin()), keeptrail.AuditEntry{Action: "auth.mfa_challenge", Category: "authentication", TeamID: team(x.research.ID)})
		wantCode(t, err, keeptrail.EFORBIDDEN)
		x.expect(t, seq, entry{"tom@acme.example", "auth.mfa_challenge", "authentication", team(x.research.ID), "", "medium", "denied", ""})
	})
}
