package engine_test

import (
	"fmt"
	"testing"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/engine"
)

func policyTarget(id int64) string { return fmt.Sprintf("policy:%d", id) }

// TestListScope checks that lists hold only the caller's teams, whatever the caller asks
// for.
func TestListScope(t *testing.T) {
	each(t, func(t *testing.T, x *env) {
		x.policy(x.payments)
		x.policy(x.research)
		x.wallet(x.payments)
		x.wallet(x.research)
		x.costTicket(x.research)
		x.escalation(x.gwPay, keeptrail.EscalationOpen)
		x.escalation(x.gwRes, keeptrail.EscalationOpen)
		x.user(keeptrail.RoleViewer, "payments")
		x.user(keeptrail.RoleViewer, "research")
		pay := x.payments.ID

		ta := as(x.teamAdmin())
		ps, err := x.e.Policies(ta)
		wantCode(t, err, "")
		ws, err := x.e.Wallets(ta)
		wantCode(t, err, "")
		cs, err := x.e.CostTickets(ta)
		wantCode(t, err, "")
		es, err := x.e.Escalations(ta, keeptrail.EscalationFilter{Scope: keeptrail.TeamScope{}}) // asks for every team
		wantCode(t, err, "")
		gs, err := x.e.Gateways(ta)
		wantCode(t, err, "")
		ts, err := x.e.Teams(ta)
		wantCode(t, err, "")
		us, err := x.e.Users(ta)
		wantCode(t, err, "")
		if len(ps) != 1 || ps[0].TeamID != pay || len(ws) != 1 || len(cs) != 0 || len(es) != 1 || es[0].TeamID != pay ||
			len(gs) != 1 || gs[0].TeamID != pay || len(ts) != 1 || ts[0].ID != pay || len(us) != 1 {
			t.Fatalf("team admin sees policies %d, wallets %d, tickets %d, escalations %d, gateways %d, teams %d, users %d",
				len(ps), len(ws), len(cs), len(es), len(gs), len(ts), len(us))
		}
		for _, w := range ws {
			if w.TeamID != pay {
				t.Fatalf("wallet of team %d listed", w.TeamID)
			}
		}

		all := as(x.auditor())
		ps, _ = x.e.Policies(all)
		es, _ = x.e.Escalations(all, keeptrail.EscalationFilter{})
		if len(ps) != 2 || len(es) != 2 {
			t.Fatalf("auditor sees %d policies, %d escalations", len(ps), len(es))
		}

		// A team admin naming another team's gateway in its own policy is refused.
		seq := x.head()
		_, err = x.e.CreatePolicy(ta, engine.PolicyInput{Name: "sneaky", Kind: "pii", Team: "payments", Gateways: []string{"gw-res-1"}})
		wantCode(t, err, keeptrail.EFORBIDDEN)
		x.expect(t, seq, entry{"tom@acme.example", "policy.created", "configuration", team(x.research.ID), "", "medium", "denied",
			`{"reason":"gateway \"gw-res-1\" belongs to a team outside your teams","role":"team_admin"}`})
	})
}

// TestManagementValidation checks that bad management input names each bad field.
func TestManagementValidation(t *testing.T) {
	each(t, func(t *testing.T, x *env) {
		ctx := x.asAdmin()
		_, err := x.e.CreatePolicy(ctx, engine.PolicyInput{Kind: "magic", Team: "nope", Rules: []byte(`{"a":`), Gateways: []string{"gw-pay-1", "gw-nope"}})
		wantFields(t, err, "name", "kind", "rules", "team", "gateways[1]")
		_, err = x.e.CreatePolicy(ctx, engine.PolicyInput{Name: "x", Kind: "pii", Rules: []byte(`42`)})
		wantFields(t, err, "team", "rules")
		pol := x.policy(x.payments)
		_, err = x.e.UpdatePolicy(ctx, pol.ID, engine.PolicyInput{Team: "research", Kind: "nope"})
		wantFields(t, err, "kind", "team")
		_, err = x.e.AssignPolicy(ctx, pol.ID, []string{"gw-ghost"})
		wantFields(t, err, "gateways[0]")
		_, err = x.e.UpdatePolicy(ctx, 424242, engine.PolicyInput{})
		wantCode(t, err, keeptrail.ENOTFOUND)

		_, err = x.e.CreateConfigurationVersion(ctx, engine.ConfigurationInput{Content: []byte(`not json`), ValidationOutput: "fine"})
		wantFields(t, err, "change_summary", "content", "validation_output")
		_, err = x.e.Deploy(ctx, "gw-ghost", 99)
		wantFields(t, err, "gateway", "version")

		_, err = x.e.CreateAlertingRule(ctx, engine.AlertingRuleInput{Metric: "vibes"})
		wantFields(t, err, "name", "metric", "condition")
		_, err = x.e.UpdateAlertingRule(ctx, 424242, engine.AlertingRuleInput{})
		wantCode(t, err, keeptrail.ENOTFOUND)

		_, err = x.e.CreateWallet(ctx, "nope", "", -1)
		wantFields(t, err, "name", "budget_usd", "team")
		w := x.wallet(x.payments)
		_, err = x.e.AddWalletEntry(ctx, w.ID, "refund", 0, "")
		wantFields(t, err, "kind", "amount_usd")
		_, err = x.e.AddWalletEntry(ctx, 424242, "top_up", 1, "")
		wantCode(t, err, keeptrail.ENOTFOUND)
		_, err = x.e.OpenCostTicket(ctx, w.ID, "", -5)
		wantFields(t, err, "title", "amount_usd")
		c := x.costTicket(x.payments)
		_, err = x.e.ResolveCostTicket(ctx, c.ID, " ")
		wantFields(t, err, "resolution")

		// An outside validator's result is stored as given.
		passed := true
		v, err := x.e.CreateConfigurationVersion(ctx, engine.ConfigurationInput{ChangeSummary: "from CI", Content: []byte(`{"anything":1}`),
			ValidationPassed: &passed, ValidationOutput: "ci run 812: ok"})
		wantCode(t, err, "")
		if !v.ValidationPassed || v.ValidationOutput != "ci run 812: ok" || string(v.Content) != `{"anything":1}` {
			t.Fatalf("version %+v", v)
		}
	})
}
