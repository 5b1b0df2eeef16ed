package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
	"github.com/keeptrail/keeptrail/web"
)

// apiKeyAnswer is the answer to key creation and rotation.
type apiKeyAnswer struct {
	APIKey keeptrail.APIKey `json:"api_key"`
	Token  string           `json:"token"`
}

// TestManagementAPI walks every management route once with an admin key and checks the
// answer and the audit entry each change leaves.
func TestManagementAPI(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ts := newTestServer(t, db, web.Config{})
		admin := ts.key(keeptrail.RoleAdmin)

		// audited runs a change and checks it left exactly these audit actions.
		audited := func(t *testing.T, want []string, change func()) {
			t.Helper()
			before := ts.auditHead()
			change()
			if got := auditActions(ts.auditSince(before)); !equalStrings(got, want) {
				t.Errorf("audit log: %v, want %v", got, want)
			}
		}

		t.Run("teams", func(t *testing.T) {
			var team keeptrail.Team
			audited(t, []string{"team.created success"}, func() {
				ts.call("POST", "/api/v1/teams", admin, map[string]any{"name": "payments"}, http.StatusCreated, &team)
			})
			var teams list[keeptrail.Team]
			ts.call("GET", "/api/v1/teams", admin, nil, http.StatusOK, &teams)
			if len(teams.Items) != 1 || teams.Items[0].Name != "payments" || teams.Items[0].ID != team.ID {
				t.Errorf("teams %+v", teams.Items)
			}
			wantError(t, ts.do("POST", "/api/v1/teams", admin, strings.NewReader(`{"name":"payments"}`)), http.StatusConflict, keeptrail.ECONFLICT)
		})

		t.Run("users", func(t *testing.T) {
			var u keeptrail.User
			audited(t, []string{"user.created success"}, func() {
				ts.call("POST", "/api/v1/users", admin, map[string]any{
					"email": "bob@acme.example", "name": "Bob", "role": "viewer", "teams": []string{"payments"},
				}, http.StatusCreated, &u)
			})
			if u.Email != "bob@acme.example" || u.Role != keeptrail.RoleViewer || !u.Active || len(u.TeamIDs) != 1 {
				t.Errorf("created user %+v", u)
			}
			audited(t, []string{"user.role_changed success"}, func() {
				ts.call("PATCH", "/api/v1/users/bob@acme.example", admin, map[string]any{"role": "auditor"}, http.StatusOK, &u)
			})
			if u.Role != keeptrail.RoleAuditor {
				t.Errorf("updated user role %q, want auditor", u.Role)
			}
			audited(t, []string{"user.deprovisioned success"}, func() {
				ts.call("POST", "/api/v1/users/bob@acme.example/deactivate", admin, nil, http.StatusOK, &u)
			})
			if u.Active || u.DeactivatedAt == nil {
				t.Errorf("deactivated user %+v", u)
			}
			var users list[keeptrail.User]
			ts.call("GET", "/api/v1/users", admin, nil, http.StatusOK, &users)
			if len(users.Items) != 1 || users.Items[0].Email != "bob@acme.example" {
				t.Errorf("users %+v", users.Items)
			}
			wantError(t, ts.do("PATCH", "/api/v1/users/nobody@acme.example", admin, strings.NewReader(`{"name":"x"}`)), http.StatusNotFound, keeptrail.ENOTFOUND)
		})

		t.Run("api keys", func(t *testing.T) {
			var created, rotated apiKeyAnswer
			audited(t, []string{"api_key.created success"}, func() {
				ts.call("POST", "/api/v1/api-keys", admin, map[string]any{"name": "ci", "role": "auditor"}, http.StatusCreated, &created)
			})
			if !strings.HasPrefix(created.Token, "kt_"+created.APIKey.Prefix+"_") || created.APIKey.Role != keeptrail.RoleAuditor {
				t.Fatalf("created key %+v", created)
			}
			ts.call("GET", "/api/v1/settings", created.Token, nil, http.StatusOK, nil)
			audited(t, []string{"api_key.rotated success"}, func() {
				ts.call("POST", "/api/v1/api-keys/"+created.APIKey.Prefix+"/rotate", admin, nil, http.StatusOK, &rotated)
			})
			if rotated.APIKey.Prefix != created.APIKey.Prefix || rotated.Token == created.Token {
				t.Errorf("rotated key %+v", rotated)
			}
			wantError(t, ts.do("GET", "/api/v1/settings", created.Token, nil), http.StatusUnauthorized, keeptrail.EUNAUTHORIZED)
			ts.call("GET", "/api/v1/settings", rotated.Token, nil, http.StatusOK, nil)
			var revoked keeptrail.APIKey
			audited(t, []string{"api_key.revoked success"}, func() {
				ts.call("POST", "/api/v1/api-keys/"+created.APIKey.Prefix+"/revoke", admin, nil, http.StatusOK, &revoked)
			})
			if revoked.RevokedAt == nil {
				t.Errorf("revoked key %+v", revoked)
			}
			wantError(t, ts.do("GET", "/api/v1/settings", rotated.Token, nil), http.StatusUnauthorized, keeptrail.EUNAUTHORIZED)
			var keys list[map[string]any]
			res := ts.call("GET", "/api/v1/api-keys", admin, nil, http.StatusOK, &keys)
			if strings.Contains(string(res.body), "secret") || strings.Contains(string(res.body), rotated.Token) {
				t.Errorf("key list shows secrets: %s", res.body)
			}
		})

		t.Run("settings", func(t *testing.T) {
			var s keeptrail.Settings
			ts.call("GET", "/api/v1/settings", admin, nil, http.StatusOK, &s)
			if s.OrganizationName != "Keeptrail" || s.SLAMinutes[keeptrail.SeverityCritical] != 60 {
				t.Errorf("default settings %+v", s)
			}
			audited(t, []string{"settings.updated success", "mfa.policy_changed success"}, func() {
				ts.call("PATCH", "/api/v1/settings", admin, map[string]any{"organization_name": "Acme", "mfa_required": true}, http.StatusOK, &s)
			})
			if s.OrganizationName != "Acme" || !s.MFARequired || s.TimeZone != "UTC" {
				t.Errorf("settings after update %+v", s)
			}
		})

		var gw keeptrail.Gateway
		t.Run("gateways", func(t *testing.T) {
			gw = ts.gatewayNamed("gw-eu-1", "payments")
			if gw.Name != "gw-eu-1" {
				t.Errorf("gateway %+v", gw)
			}
		})

		t.Run("configuration versions and deployments", func(t *testing.T) {
			var v keeptrail.ConfigurationVersion
			audited(t, []string{"configuration_version.created success"}, func() {
				ts.call("POST", "/api/v1/configuration-versions", admin, map[string]any{
					"change_summary": "block ssn", "content": map[string]any{"pii": true}, "validation_passed": true, "validation_output": "ok",
				}, http.StatusCreated, &v)
			})
			if v.Version != 1 || v.ChangeSummary != "block ssn" || !v.ValidationPassed {
				t.Errorf("configuration version %+v", v)
			}
			var versions list[keeptrail.ConfigurationVersion]
			ts.call("GET", "/api/v1/configuration-versions", admin, nil, http.StatusOK, &versions)
			if len(versions.Items) != 1 {
				t.Errorf("configuration versions %+v", versions.Items)
			}
			var d keeptrail.Deployment
			audited(t, []string{"configuration.deployed success"}, func() {
				ts.call("POST", "/api/v1/deployments", admin, map[string]any{"gateway": "gw-eu-1", "version": 1}, http.StatusCreated, &d)
			})
			if d.GatewayID != gw.ID || d.Version != 1 || d.Source != "api" {
				t.Errorf("deployment %+v", d)
			}
			var deps list[keeptrail.Deployment]
			ts.call("GET", "/api/v1/deployments", admin, nil, http.StatusOK, &deps)
			if len(deps.Items) != 1 || deps.Items[0].ID != d.ID {
				t.Errorf("deployments %+v", deps.Items)
			}
			wantError(t, ts.do("POST", "/api/v1/deployments", admin, strings.NewReader(`{"gateway":"gw-eu-1","version":9}`)), http.StatusBadRequest, keeptrail.EINVALID,
				keeptrail.FieldError{Field: "version", Reason: "unknown configuration version 9"})
		})

		t.Run("alerting rules", func(t *testing.T) {
			var r keeptrail.AlertingRule
			audited(t, []string{"alerting_rule.created success"}, func() {
				ts.call("POST", "/api/v1/alerting-rules", admin, map[string]any{
					"name": "errors", "metric": "error_rate", "condition": "> 0.05 for 10m", "channel": "email:ops@acme.example",
				}, http.StatusCreated, &r)
			})
			audited(t, []string{"alerting_rule.updated success"}, func() {
				ts.call("PUT", "/api/v1/alerting-rules/"+itoa(r.ID), admin, map[string]any{
					"name": "errors", "metric": "error_rate", "condition": "> 0.01 for 10m", "channel": "email:ops@acme.example", "enabled": false,
				}, http.StatusOK, &r)
			})
			if r.Condition != "> 0.01 for 10m" || r.Enabled {
				t.Errorf("updated rule %+v", r)
			}
			var rules list[keeptrail.AlertingRule]
			ts.call("GET", "/api/v1/alerting-rules", admin, nil, http.StatusOK, &rules)
			if len(rules.Items) != 1 {
				t.Errorf("alerting rules %+v", rules.Items)
			}
		})

		t.Run("escalations", func(t *testing.T) {
			body := event("esc-1", "escalated", "critical") + "\n" + event("esc-2", "escalated", "low") + "\n"
			if res := ts.do("POST", "/api/v1/events", ts.key(keeptrail.RoleGateway), strings.NewReader(body)); res.status != http.StatusOK {
				t.Fatalf("ingest: %d %s", res.status, res.body)
			}
			var open list[keeptrail.Escalation]
			ts.call("GET", "/api/v1/escalations?status=open", admin, nil, http.StatusOK, &open)
			if len(open.Items) != 2 {
				t.Fatalf("open escalations %+v", open.Items)
			}
			id := open.Items[0].ID
			var e keeptrail.Escalation
			audited(t, []string{"escalation.claimed success"}, func() {
				ts.call("POST", "/api/v1/escalations/"+itoa(id)+"/claim", admin, nil, http.StatusOK, &e)
			})
			if e.Status != keeptrail.EscalationClaimed {
				t.Errorf("claimed escalation %+v", e)
			}
			audited(t, []string{"escalation.reassigned success"}, func() {
				ts.call("POST", "/api/v1/escalations/"+itoa(id)+"/reassign", admin, map[string]any{"assignee": "carol@acme.example"}, http.StatusOK, &e)
			})
			if e.Assignee != "carol@acme.example" {
				t.Errorf("reassigned escalation %+v", e)
			}
			audited(t, []string{"escalation.resolved success"}, func() {
				ts.call("POST", "/api/v1/escalations/"+itoa(id)+"/resolve", admin, map[string]any{"outcome": "approved", "note": "fine"}, http.StatusOK, &e)
			})
			if e.Status != keeptrail.EscalationResolved || e.Outcome != "approved" {
				t.Errorf("resolved escalation %+v", e)
			}
			ts.call("GET", "/api/v1/escalations/"+itoa(id), admin, nil, http.StatusOK, &e)
			if len(e.Actions) != 3 {
				t.Errorf("escalation actions %+v, want claim, reassign, resolve", e.Actions)
			}
			var resolved, both list[keeptrail.Escalation]
			ts.call("GET", "/api/v1/escalations?status=resolved", admin, nil, http.StatusOK, &resolved)
			ts.call("GET", "/api/v1/escalations?status=open&status=resolved", admin, nil, http.StatusOK, &both)
			if len(resolved.Items) != 1 || resolved.Items[0].ID != id || len(both.Items) != 2 {
				t.Errorf("resolved %+v; open or resolved %+v", resolved.Items, both.Items)
			}
			wantError(t, ts.do("GET", "/api/v1/escalations/999", admin, nil), http.StatusNotFound, keeptrail.ENOTFOUND)
		})

		t.Run("spend", func(t *testing.T) {
			var w keeptrail.Wallet
			audited(t, []string{"wallet.created success"}, func() {
				ts.call("POST", "/api/v1/wallets", admin, map[string]any{"team": "payments", "name": "llm", "budget_usd": 500}, http.StatusCreated, &w)
			})
			var entry keeptrail.WalletEntry
			audited(t, []string{"wallet.top_up success"}, func() {
				ts.call("POST", "/api/v1/wallets/"+itoa(w.ID)+"/entries", admin, map[string]any{"kind": "top_up", "amount_usd": 100, "note": ""}, http.StatusCreated, &entry)
			})
			if entry.WalletID != w.ID || entry.Kind != "top_up" || entry.AmountUSD != 100 {
				t.Errorf("wallet entry %+v", entry)
			}
			var wallets list[keeptrail.Wallet]
			ts.call("GET", "/api/v1/wallets", admin, nil, http.StatusOK, &wallets)
			if len(wallets.Items) != 1 || wallets.Items[0].BudgetUSD != 500 {
				t.Errorf("wallets %+v", wallets.Items)
			}
			var ticket keeptrail.CostTicket
			audited(t, []string{"cost_ticket.opened success"}, func() {
				ts.call("POST", "/api/v1/cost-tickets", admin, map[string]any{"wallet_id": w.ID, "title": "over budget", "amount_usd": 120}, http.StatusCreated, &ticket)
			})
			audited(t, []string{"cost_ticket.resolved success"}, func() {
				ts.call("POST", "/api/v1/cost-tickets/"+itoa(ticket.ID)+"/resolve", admin, map[string]any{"resolution": "budget raised"}, http.StatusOK, &ticket)
			})
			if ticket.Status != "resolved" || ticket.Resolution != "budget raised" {
				t.Errorf("resolved ticket %+v", ticket)
			}
			var tickets list[keeptrail.CostTicket]
			ts.call("GET", "/api/v1/cost-tickets", admin, nil, http.StatusOK, &tickets)
			if len(tickets.Items) != 1 {
				t.Errorf("cost tickets %+v", tickets.Items)
			}
		})
	})
}
