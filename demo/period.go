package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/engine"
)

// attackerIP is where the burst of failed sign-ins comes from.
const attackerIP = "203.0.113.66"

// planPeriod plans the operations of the period. Fractions place them in the period, so
// that a short period still has each of them.
func (r *run) planPeriod() {
	r.planVersions()
	r.planPolicyChanges()
	r.planSessions()
	r.planPeopleChanges()
	r.planKeys()
	r.planSettings()
	r.planAlerting()
	r.planSpend()
	r.planIncidents()
}

// planSessions plans the administrator's weekly password sign-ins (some with a typo), the
// break-glass sign-in, and a burst of failed sign-ins from one address at night.
func (r *run) planSessions() {
	for day := 0; day < r.days; day++ {
		if r.at(day, 12, 0).Weekday() == time.Monday {
			r.planAdminSession(day, 8, 40+r.rngOps.IntN(15), r.rngOps.IntN(3) == 0)
		}
	}
	burst := r.dayOf(0.57)
	targets := []string{adminEmail, breakGlass, "root@" + orgDomain, "administrator@" + orgDomain, breakGlass, adminEmail, "it-admin@" + orgDomain}
	start := r.at(burst, 2, 10)
	for i := range 14 {
		email := targets[i%len(targets)]
		at := start.Add(time.Duration(i*17+r.rngOps.IntN(9)) * time.Second)
		r.timeline.add(at, "failed sign-in burst", func(ctx context.Context) error {
			_, err := r.eng.Login(ctx, email, fmt.Sprintf("Winter2025!%d", i), attackerIP)
			if keeptrail.ErrorCode(err) != keeptrail.EUNAUTHORIZED {
				return fmt.Errorf("a guessed password was not refused: %v", err)
			}
			return nil
		})
	}
	// The next morning the administrator revokes the break-glass sessions and changes
	// its password.
	r.timeline.add(r.at(burst, 9, 5), "revoke sessions after the burst", func(ctx context.Context) error {
		_, err := r.eng.RecordAudit(as(ctx, r.admin), keeptrail.AuditEntry{Action: "session.revoked",
			Category: keeptrail.CategorySecurity, Target: "user:" + breakGlass, Severity: keeptrail.SeverityHigh,
			Details: keeptrail.MustDetails(map[string]any{"reason": "failed sign-in burst from " + attackerIP, "sessions": 1})})
		if err != nil {
			return err
		}
		pw := AdminPassword(r.opts.Seed) + "-rotated"
		_, err = r.eng.UpdateUser(as(ctx, r.admin), breakGlass, engine.UserUpdate{Password: &pw})
		return err
	})
	// The break-glass account is used once, during the key leak.
	bg := r.members[1]
	r.timeline.add(r.at(r.dayOf(0.52), 7, 50), "break-glass sign-in", func(ctx context.Context) error {
		_, err := r.eng.Login(ctx, bg.email, AdminPassword(r.opts.Seed)+"-"+bg.first, bg.ip)
		return err
	})
}

// planPeopleChanges plans role changes, team membership changes, MFA enrolment, new
// hires (provisioned by the identity provider) and two deprovisionings (SCIM).
func (r *run) planPeopleChanges() {
	update := func(f float64, hour int, first, what string, in func() engine.UserUpdate) {
		r.timeline.add(r.at(r.dayOf(f), hour, 10), what, func(ctx context.Context) error {
			m := r.memberNamed(first)
			u, err := r.eng.UpdateUser(as(ctx, r.admin), m.email, in())
			if err != nil {
				return err
			}
			m.setUser(u)
			return nil
		})
	}
	role := func(x keeptrail.Role) *keeptrail.Role { return &x }
	teamsOf := func(t ...string) *[]string { return &t }
	yes := func() *bool { v := true; return &v }
	update(0.22, 10, "Chloe", "add a team membership", func() engine.UserUpdate {
		return engine.UserUpdate{Teams: teamsOf("research", "platform", "payments")}
	})
	update(0.30, 11, "Jonas", "promote a viewer to team admin", func() engine.UserUpdate {
		return engine.UserUpdate{Role: role(keeptrail.RoleTeamAdmin)}
	})
	update(0.50, 11, "Jonas", "remove a team membership", func() engine.UserUpdate {
		return engine.UserUpdate{Teams: teamsOf("payments")}
	})
	update(0.62, 16, "Ines", "demote a team admin", func() engine.UserUpdate {
		return engine.UserUpdate{Role: role(keeptrail.RoleViewer)}
	})
	update(0.70, 10, "Peter", "add a team membership", func() engine.UserUpdate {
		return engine.UserUpdate{Teams: teamsOf("claims", "radiology")}
	})
	update(0.85, 9, "Aisha", "add a team membership", func() engine.UserUpdate {
		return engine.UserUpdate{Teams: teamsOf("payments", "customer-support")}
	})
	for i, first := range []string{"Tomás", "Lena", "Rafael", "Chloe"} {
		f := []float64{0.41, 0.42, 0.44, 0.66}[i]
		update(f, 9+i, first, "enrol in MFA", func() engine.UserUpdate {
			return engine.UserUpdate{MFAEnrolled: yes()}
		})
		r.memberNamed(first).mfaFrom = r.at(r.dayOf(f), 9+i, 10)
	}
	for i, m := range r.members[len(people):] {
		m.joins = r.at(r.dayOf([]float64{0.15, 0.5, 0.8}[i]), 9, 30)
		r.timeline.add(m.joins, "provision "+m.email, func(ctx context.Context) error {
			err := r.createUser(ctx, r.scim, m)
			m.joins = r.clock.Now()
			return err
		})
	}
	for i, first := range []string{"Elif", "Rafael"} {
		m := r.memberNamed(first)
		m.leaves = r.at(r.dayOf([]float64{0.35, 0.75}[i]), 11, 0)
		r.timeline.add(m.leaves, "deprovision "+m.email, func(ctx context.Context) error {
			u, err := r.eng.DeactivateUser(as(ctx, r.scim), m.email)
			m.user = u
			return err
		})
	}
}

// planKeys plans API key rotations, a suspected leak (revocation, a rejected use of the
// revoked key, a replacement) and a per-team key.
func (r *run) planKeys() {
	r.timeline.add(r.at(r.dayOf(0.10), 10, 0), "create a team gateway key", func(ctx context.Context) error {
		return r.createKey(ctx, engine.NewAPIKey{Name: keyPayments, Role: keeptrail.RoleGateway, Teams: []string{"payments"}})
	})
	leak := r.dayOf(0.52)
	var leaked string
	r.timeline.add(r.at(leak, 8, 20), "revoke a leaked key", func(ctx context.Context) error {
		leaked = r.tokens[keyPayments]
		_, err := r.eng.RevokeAPIKey(as(ctx, r.admin), r.prefixes[keyPayments])
		return err
	})
	r.timeline.add(r.at(leak, 8, 35), "someone tries the leaked key", func(ctx context.Context) error {
		_, err := r.eng.Authenticate(ctx, leaked, "198.18.7.23")
		if keeptrail.ErrorCode(err) != keeptrail.EUNAUTHORIZED {
			return fmt.Errorf("a revoked key was accepted: %v", err)
		}
		return nil
	})
	r.timeline.add(r.at(leak, 9, 0), "replace the leaked key", func(ctx context.Context) error {
		return r.createKey(ctx, engine.NewAPIKey{Name: keyPayments + " (2)", Role: keeptrail.RoleGateway, Teams: []string{"payments"}})
	})
	rotate := func(f float64, hour int, name string, after func(ctx context.Context) error) {
		r.timeline.add(r.at(r.dayOf(f), hour, 30), "rotate "+name, func(ctx context.Context) error {
			_, token, err := r.eng.RotateAPIKey(as(ctx, r.admin), r.prefixes[name])
			if err != nil {
				return err
			}
			r.tokens[name] = token
			if name == keyAdmin {
				r.adminToken = token
			}
			if after != nil {
				return after(ctx)
			}
			return nil
		})
	}
	for f := 0.3; f < 1; f += 0.33 {
		rotate(f, 9, keyExport, nil)
	}
	rotate(0.45, 10, keyCI, func(ctx context.Context) (err error) {
		r.ci, err = r.authenticate(ctx, keyCI, "10.40.0.2")
		return err
	})
	rotate(0.50, 10, keyAdmin, nil)
	rotate(0.60, 10, keyFleet, func(ctx context.Context) (err error) {
		r.fleet, err = r.authenticate(ctx, keyFleet, "10.20.0.5")
		return err
	})
}

// planSettings plans single sign-on being configured and MFA becoming required.
func (r *run) planSettings() {
	set := func(f float64, what string, in func() engine.SettingsUpdate) {
		r.timeline.add(r.at(r.dayOf(f), 16, 0), what, func(ctx context.Context) error {
			_, err := r.eng.UpdateSettings(as(ctx, r.admin), in())
			return err
		})
	}
	yes := true
	set(0.20, "configure single sign-on", func() engine.SettingsUpdate { return engine.SettingsUpdate{SSOConfigured: &yes} })
	set(0.40, "require MFA", func() engine.SettingsUpdate { return engine.SettingsUpdate{MFARequired: &yes} })
}

// planAlerting plans alerting rule changes: a threshold, a rule paused and resumed, a new rule.
func (r *run) planAlerting() {
	marcus := func() *keeptrail.Principal { return r.memberNamed("Marcus").p }
	change := func(f float64, rule int, in engine.AlertingRuleInput) {
		r.timeline.add(r.at(r.dayOf(f), 14, 15), "change an alerting rule", func(ctx context.Context) error {
			_, err := r.eng.UpdateAlertingRule(as(ctx, marcus()), r.ruleIDs[rule], in)
			return err
		})
	}
	no, yes := false, true
	change(0.25, 0, engine.AlertingRuleInput{Condition: "> 0.03 for 10m"})
	change(0.60, 2, engine.AlertingRuleInput{Enabled: &no})
	change(0.66, 2, engine.AlertingRuleInput{Enabled: &yes, Condition: "> 2500 for 15m"})
	r.timeline.add(r.at(r.dayOf(0.80), 14, 40), "create an alerting rule", func(ctx context.Context) error {
		rule, err := r.eng.CreateAlertingRule(as(ctx, marcus()), engine.AlertingRuleInput{
			Name: "Escalated PHI", Metric: "block_rate", Condition: "> 0.02 for 1h", Channel: "email:privacy@" + orgDomain})
		r.ruleIDs = append(r.ruleIDs, rule.ID)
		return err
	})
}

// planSpend plans monthly allocations, top-ups, and cost tickets (all but the last resolved).
func (r *run) planSpend() {
	priya := func() *keeptrail.Principal { return r.memberNamed("Priya").p }
	for day := 1; day < r.days; day++ {
		if r.at(day, 12, 0).Day() != 1 {
			continue
		}
		for i := range teams {
			r.timeline.add(r.at(day, 9, i*2), "monthly allocation", func(ctx context.Context) error {
				w := r.walletIDs[i]
				amount := float64(int(teams[i].share*40000/3/100)) * 100
				_, err := r.eng.AddWalletEntry(as(ctx, priya()), w, keeptrail.WalletAllocation, amount, "monthly allocation")
				return err
			})
		}
	}
	for i, f := range []float64{0.33, 0.58, 0.77, 0.90} {
		team := []int{2, 3, 5, 0}[i]
		r.timeline.add(r.at(r.dayOf(f), 13, 20), "top up a wallet", func(ctx context.Context) error {
			amount := float64(500 + 250*i)
			_, err := r.eng.AddWalletEntry(as(ctx, priya()), r.walletIDs[team], keeptrail.WalletTopUp, amount, "top-up after spend review")
			return err
		})
	}
	tickets := []struct {
		f        float64
		team     int
		title    string
		amount   float64
		days     int
		decision string
	}{
		{0.12, 3, "Token spend 40% above forecast", 1240.50, 2, "Forecast raised; prompt caching enabled"},
		{0.30, 1, "Unexpected gpt-4o usage spike", 860, 1, "Batch job moved to gpt-4o-mini"},
		{0.48, 5, "Shared gateway over daily budget", 2100, 3, "Budget increased after review"},
		{0.63, 2, "Duplicate calls from the claims pipeline", 430.25, 1, "Retry bug fixed"},
		{0.81, 0, "Card-data tests billed to production", 315, 2, "Costs moved to the test wallet"},
		{0.93, 4, "Research fine-tuning run over allocation", 3900, 0, ""},
	}
	for i, tk := range tickets {
		var id int64
		r.timeline.add(r.at(r.dayOf(tk.f), 15, 30), "open a cost ticket", func(ctx context.Context) error {
			t, err := r.eng.OpenCostTicket(as(ctx, priya()), r.walletIDs[tk.team], tk.title, tk.amount)
			id = t.ID
			return err
		})
		if tk.decision == "" {
			continue
		}
		at := r.at(r.dayOf(tk.f)+tk.days, 11, 45+i)
		if !at.Before(r.opts.To) {
			continue
		}
		r.timeline.add(at, "resolve a cost ticket", func(ctx context.Context) error {
			_, err := r.eng.ResolveCostTicket(as(ctx, r.memberNamed("Marcus").p), id, tk.decision)
			return err
		})
	}
}

// planIncidents places the gateway health incidents.
func (r *run) planIncidents() {
	a := r.state["gw-rad-us-west-2"]
	a.incidentFrom = r.at(r.dayOf(0.38), 13, 10)
	a.incidentTo = a.incidentFrom.Add(2 * time.Hour)
	b := r.state["gw-support-eu-west-1"]
	b.incidentFrom = r.at(r.dayOf(0.70), 4, 30)
	b.incidentTo = b.incidentFrom.Add(5 * time.Hour)
}
