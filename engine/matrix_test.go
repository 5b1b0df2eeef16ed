package engine_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/engine"
)

// class is who may do an action.
type class int

const (
	administer class = iota // admin only
	manageTeam              // admin, compliance officer, team admin in the object's team
	manageOrg               // admin, compliance officer (organization-wide objects)
	read                    // everyone but gateway keys
)

// matrixAction runs one action as the principal in ctx on objects of team tm (created
// as admin before the call), and names the audit action it writes.
type matrixAction struct {
	name  string
	audit string // action of the success (and denied) entry; "" for reads
	class class
	// denied is the action of a denied entry when it differs from audit: a user update
	// is refused before it is known which kinds of change it holds.
	denied string
	run    func(x *env, ctx context.Context, tm keeptrail.Team, gw keeptrail.Gateway) error
}

var matrixActions = []matrixAction{
	{"CreateUser", "user.created", administer, "", func(x *env, ctx context.Context, tm keeptrail.Team, _ keeptrail.Gateway) error {
		_, err := x.e.CreateUser(ctx, engine.NewUser{Email: x.name("new") + "@acme.example", Name: "New", Role: keeptrail.RoleViewer, Teams: []string{tm.Name}})
		return err
	}},
	{"UpdateUser", "user.role_changed", administer, "user.updated", func(x *env, ctx context.Context, tm keeptrail.Team, _ keeptrail.Gateway) error {
		u := x.user(keeptrail.RoleViewer, tm.Name)
		r := keeptrail.RoleAuditor
		_, err := x.e.UpdateUser(ctx, u.Email, engine.UserUpdate{Role: &r})
		return err
	}},
	{"DeactivateUser", "user.deprovisioned", administer, "", func(x *env, ctx context.Context, tm keeptrail.Team, _ keeptrail.Gateway) error {
		_, err := x.e.DeactivateUser(ctx, x.user(keeptrail.RoleViewer, tm.Name).Email)
		return err
	}},
	{"CreateAPIKey", "api_key.created", administer, "", func(x *env, ctx context.Context, tm keeptrail.Team, _ keeptrail.Gateway) error {
		_, _, err := x.e.CreateAPIKey(ctx, engine.NewAPIKey{Name: "ingest", Role: keeptrail.RoleGateway, Teams: []string{tm.Name}})
		return err
	}},
	{"RotateAPIKey", "api_key.rotated", administer, "", func(x *env, ctx context.Context, tm keeptrail.Team, _ keeptrail.Gateway) error {
		k, _ := x.apiKey(keeptrail.RoleGateway, tm.Name)
		_, _, err := x.e.RotateAPIKey(ctx, k.Prefix)
		return err
	}},
	{"RevokeAPIKey", "api_key.revoked", administer, "", func(x *env, ctx context.Context, tm keeptrail.Team, _ keeptrail.Gateway) error {
		k, _ := x.apiKey(keeptrail.RoleGateway, tm.Name)
		_, err := x.e.RevokeAPIKey(ctx, k.Prefix)
		return err
	}},
	{"APIKeys", "api_key.list", administer, "", func(x *env, ctx context.Context, _ keeptrail.Team, _ keeptrail.Gateway) error {
		_, err := x.e.APIKeys(ctx)
		return err
	}},
	{"UpdateSettings", "settings.updated", administer, "", func(x *env, ctx context.Context, _ keeptrail.Team, _ keeptrail.Gateway) error {
		name := x.name("Acme")
		_, err := x.e.UpdateSettings(ctx, engine.SettingsUpdate{OrganizationName: &name})
		return err
	}},
	{"CreateTeam", "team.created", administer, "", func(x *env, ctx context.Context, _ keeptrail.Team, _ keeptrail.Gateway) error {
		_, err := x.e.CreateTeam(ctx, x.name("growth"))
		return err
	}},
	{"CreatePolicy", "policy.created", manageTeam, "", func(x *env, ctx context.Context, tm keeptrail.Team, _ keeptrail.Gateway) error {
		_, err := x.e.CreatePolicy(ctx, engine.PolicyInput{Name: x.name("phi"), Kind: "phi", Team: tm.Name})
		return err
	}},
	{"UpdatePolicy", "policy.updated", manageTeam, "", func(x *env, ctx context.Context, tm keeptrail.Team, _ keeptrail.Gateway) error {
		_, err := x.e.UpdatePolicy(ctx, x.policy(tm).ID, engine.PolicyInput{Rules: json.RawMessage(`{"block":["iban"]}`)})
		return err
	}},
	{"SetPolicyActive", "policy.deactivated", manageTeam, "", func(x *env, ctx context.Context, tm keeptrail.Team, _ keeptrail.Gateway) error {
		_, err := x.e.SetPolicyActive(ctx, x.policy(tm).ID, false)
		return err
	}},
	{"AssignPolicy", "policy.assigned", manageTeam, "", func(x *env, ctx context.Context, tm keeptrail.Team, gw keeptrail.Gateway) error {
		_, err := x.e.AssignPolicy(ctx, x.policy(tm).ID, []string{gw.Name})
		return err
	}},
	{"CreateConfigurationVersion", "configuration_version.created", manageOrg, "", func(x *env, ctx context.Context, _ keeptrail.Team, _ keeptrail.Gateway) error {
		_, err := x.e.CreateConfigurationVersion(ctx, engine.ConfigurationInput{ChangeSummary: "tighten", Content: json.RawMessage(`{"policies":[]}`)})
		return err
	}},
	{"Deploy", "configuration.deployed", manageTeam, "", func(x *env, ctx context.Context, _ keeptrail.Team, gw keeptrail.Gateway) error {
		_, err := x.e.Deploy(ctx, gw.Name, x.version().Version)
		return err
	}},
	{"CreateAlertingRule", "alerting_rule.created", manageOrg, "", func(x *env, ctx context.Context, _ keeptrail.Team, _ keeptrail.Gateway) error {
		_, err := x.e.CreateAlertingRule(ctx, engine.AlertingRuleInput{Name: x.name("gap"), Metric: "heartbeat_gap_minutes", Condition: "> 60"})
		return err
	}},
	{"UpdateAlertingRule", "alerting_rule.updated", manageOrg, "", func(x *env, ctx context.Context, _ keeptrail.Team, _ keeptrail.Gateway) error {
		_, err := x.e.UpdateAlertingRule(ctx, x.alertingRule().ID, engine.AlertingRuleInput{Condition: "> 0.1 for 5m"})
		return err
	}},
	{"ClaimEscalation", "escalation.claimed", manageTeam, "", func(x *env, ctx context.Context, _ keeptrail.Team, gw keeptrail.Gateway) error {
		_, err := x.e.ClaimEscalation(ctx, x.escalation(gw, keeptrail.EscalationOpen).ID)
		return err
	}},
	{"ReassignEscalation", "escalation.reassigned", manageTeam, "", func(x *env, ctx context.Context, _ keeptrail.Team, gw keeptrail.Gateway) error {
		_, err := x.e.ReassignEscalation(ctx, x.escalation(gw, keeptrail.EscalationOpen).ID, "bob@acme.example")
		return err
	}},
	{"ResolveEscalation", "escalation.resolved", manageTeam, "", func(x *env, ctx context.Context, _ keeptrail.Team, gw keeptrail.Gateway) error {
		_, err := x.e.ResolveEscalation(ctx, x.escalation(gw, keeptrail.EscalationOpen).ID, "false_positive", "")
		return err
	}},
	{"Escalation", "escalation.read", read | teamScoped, "", func(x *env, ctx context.Context, _ keeptrail.Team, gw keeptrail.Gateway) error {
		_, err := x.e.Escalation(ctx, x.escalation(gw, keeptrail.EscalationOpen).ID)
		return err
	}},
	{"CreateWallet", "wallet.created", manageTeam, "", func(x *env, ctx context.Context, tm keeptrail.Team, _ keeptrail.Gateway) error {
		_, err := x.e.CreateWallet(ctx, tm.Name, "llm", 500)
		return err
	}},
	{"AddWalletEntry", "wallet.top_up", manageTeam, "", func(x *env, ctx context.Context, tm keeptrail.Team, _ keeptrail.Gateway) error {
		_, err := x.e.AddWalletEntry(ctx, x.wallet(tm).ID, keeptrail.WalletTopUp, 250, "")
		return err
	}},
	{"OpenCostTicket", "cost_ticket.opened", manageTeam, "", func(x *env, ctx context.Context, tm keeptrail.Team, _ keeptrail.Gateway) error {
		_, err := x.e.OpenCostTicket(ctx, x.wallet(tm).ID, "spike", 80)
		return err
	}},
	{"ResolveCostTicket", "cost_ticket.resolved", manageTeam, "", func(x *env, ctx context.Context, tm keeptrail.Team, _ keeptrail.Gateway) error {
		_, err := x.e.ResolveCostTicket(ctx, x.costTicket(tm).ID, "budget raised")
		return err
	}},
	{"Users", "user.list", read, "", func(x *env, ctx context.Context, _ keeptrail.Team, _ keeptrail.Gateway) error {
		_, err := x.e.Users(ctx)
		return err
	}},
	{"Settings", "settings.read", read, "", func(x *env, ctx context.Context, _ keeptrail.Team, _ keeptrail.Gateway) error {
		_, err := x.e.Settings(ctx)
		return err
	}},
	{"Policies", "policy.list", read, "", func(x *env, ctx context.Context, _ keeptrail.Team, _ keeptrail.Gateway) error {
		_, err := x.e.Policies(ctx)
		return err
	}},
	{"Escalations", "escalation.list", read, "", func(x *env, ctx context.Context, _ keeptrail.Team, _ keeptrail.Gateway) error {
		_, err := x.e.Escalations(ctx, keeptrail.EscalationFilter{})
		return err
	}},
	{"Wallets", "wallet.list", read, "", func(x *env, ctx context.Context, _ keeptrail.Team, _ keeptrail.Gateway) error {
		_, err := x.e.Wallets(ctx)
		return err
	}},
}

// teamScoped marks a read of one object, which a team admin may do in its own teams only.
const teamScoped class = 8

// matrixRole is one row of the matrix: a principal and whether the object it acts on is
// in its own team.
type matrixRole struct {
	name      string
	principal func(x *env) *keeptrail.Principal
	otherTeam bool
}

var matrixRoles = []matrixRole{
	{"admin", (*env).admin, false},
	{"compliance_officer", (*env).officer, false},
	{"team_admin_own_team", (*env).teamAdmin, false},
	{"team_admin_other_team", (*env).teamAdmin, true},
	{"auditor", (*env).auditor, false},
	{"viewer", (*env).viewer, false},
	{"gateway_key", (*env).gatewayKey, false},
}

// expected returns the error code role r gets for an action of class c.
func expected(r matrixRole, c class) string {
	allowed := false
	switch c &^ teamScoped {
	case administer:
		allowed = r.name == "admin"
	case manageTeam:
		allowed = r.name == "admin" || r.name == "compliance_officer" || r.name == "team_admin_own_team"
	case manageOrg:
		allowed = r.name == "admin" || r.name == "compliance_officer"
	case read:
		allowed = r.name != "gateway_key" && !(c&teamScoped != 0 && r.name == "team_admin_other_team")
	}
	if allowed {
		return ""
	}
	return keeptrail.EFORBIDDEN
}

// TestRoleMatrix runs every action as every role and checks the error code and the audit
// entries: a success entry for a change, a denied entry (medium, the actor, the object's
// team when the team scope denied it) for a refusal, nothing for a permitted read.
func TestRoleMatrix(t *testing.T) {
	each(t, func(t *testing.T, x *env) {
		for _, a := range matrixActions {
			for _, r := range matrixRoles {
				t.Run(a.name+"/"+r.name, func(t *testing.T) {
					x.t = t
					tm, gw := x.payments, x.gwPay
					if r.otherTeam {
						tm, gw = x.research, x.gwRes
					}
					p := r.principal(x)
					var seq int64
					err := a.run(x, &seqCtx{Context: as(p), x: x, seq: &seq}, tm, gw)
					want := expected(r, a.class)
					wantCode(t, err, want)
					got := x.since(seq)
					switch {
					case want != "":
						if len(got) != 1 {
							t.Fatalf("%d audit entries after a denied attempt, want 1", len(got))
						}
						g := got[0]
						wantAction := a.audit
						if a.denied != "" {
							wantAction = a.denied
						}
						if g.Action != wantAction || g.Outcome != "denied" || g.Severity != keeptrail.SeverityMedium ||
							g.Actor != p.Name || g.ActorKind != p.Kind || g.SourceIP != p.SourceIP {
							t.Fatalf("denied entry %+v", g)
						}
						scopeDenied := r.otherTeam && (a.class&^teamScoped == manageTeam || a.class&teamScoped != 0)
						if scopeDenied && fmtTeam(g.TeamID) != fmtTeam(&tm.ID) {
							t.Fatalf("denied entry team %s, want %d", fmtTeam(g.TeamID), tm.ID)
						}
					case a.class&^teamScoped == read || a.audit == "api_key.list":
						if len(got) != 0 {
							t.Fatalf("%d audit entries after a read, want 0", len(got))
						}
					default:
						if len(got) == 0 || got[len(got)-1].Action != a.audit || got[len(got)-1].Outcome != "success" {
							t.Fatalf("last audit entry %+v, want %s success", got, a.audit)
						}
					}
				})
			}
		}
	})
}

// seqCtx is the principal's context; the first time the action reads it (after its
// fixtures were made as admin) it notes the audit head, so that only the action's own
// entries are checked.
type seqCtx struct {
	context.Context
	x    *env
	seq  *int64
	done bool
}

func (c *seqCtx) Value(key any) any {
	if !c.done {
		c.done = true
		*c.seq = c.x.head()
	}
	return c.Context.Value(key)
}
