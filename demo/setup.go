package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/engine"
)

// API keys of the demo, by name.
const (
	keyAdmin     = "Demo admin key"
	keyFleet     = "Gateway fleet ingest"
	keyForwarder = "Okta log forwarder"
	keySCIM      = "Okta SCIM provisioning"
	keyCI        = "CI release pipeline"
	keyExport    = "Compliance export bot"
	keyReporting = "Personal reporting key"
	keyPayments  = "Payments gateway key"
)

// planSetup plans the day before the period: the administrator's first sign-in,
// settings, teams, users, keys, gateways coming online, policies, the first
// configuration version and its deployment, alerting rules and wallets.
func (r *run) planSetup() error {
	r.members = newMembers()
	day := -1
	tl := &r.timeline
	admin := r.members[0]
	tl.add(r.at(day, 8, 0), "create the administrator", func(ctx context.Context) error {
		u, err := r.eng.CreateUser(as(ctx, keeptrail.SystemPrincipal("setup")), engine.NewUser{
			Email: admin.email, Name: admin.name(), Role: admin.role, Password: AdminPassword(r.opts.Seed),
			MFAEnrolled: admin.mfa,
		})
		admin.setUser(u)
		return err
	})
	r.planAdminSession(day, 8, 2, false)
	tl.add(r.at(day, 8, 5), "configure the organization", func(ctx context.Context) error {
		name, zone, scim, rotation := orgName, orgZone, true, 90
		if _, err := time.LoadLocation(zone); err != nil {
			zone = "UTC" // a host without time zone data
		}
		_, err := r.eng.UpdateSettings(as(ctx, r.admin), engine.SettingsUpdate{
			OrganizationName: &name, TimeZone: &zone, SCIMEnabled: &scim, KeyRotationDays: &rotation,
		})
		return err
	})
	for i, t := range teams {
		tl.add(r.at(day, 8, 10+i), "create team "+t.name, func(ctx context.Context) error {
			team, err := r.eng.CreateTeam(as(ctx, r.admin), t.name)
			r.teamIDs[t.name] = team.ID
			return err
		})
	}
	for i, m := range r.members[1:len(people)] {
		tl.add(r.at(day, 8, 30).Add(time.Duration(i)*2*time.Minute), "create user "+m.email, func(ctx context.Context) error {
			return r.createUser(ctx, r.admin, m)
		})
	}
	keys := []struct {
		name  string
		role  keeptrail.Role
		owner string
		teams []string
	}{
		{keyAdmin, keeptrail.RoleAdmin, adminEmail, nil},
		{keyFleet, keeptrail.RoleGateway, "", nil},
		{keyForwarder, keeptrail.RoleGateway, "", nil},
		{keySCIM, keeptrail.RoleAdmin, "", nil},
		{keyCI, keeptrail.RoleComplianceOfficer, "", nil},
		{keyExport, keeptrail.RoleComplianceOfficer, emailOf(people[2]), nil},
	}
	for i, k := range keys {
		tl.add(r.at(day, 9, 20+i), "create API key "+k.name, func(ctx context.Context) error {
			return r.createKey(ctx, engine.NewAPIKey{Name: k.name, Role: k.role, OwnerEmail: k.owner, Teams: k.teams})
		})
	}
	tl.add(r.at(day, 9, 40), "connect the integrations", func(ctx context.Context) error {
		var err error
		if r.fleet, err = r.authenticate(ctx, keyFleet, "10.20.0.5"); err != nil {
			return err
		}
		if r.forwarder, err = r.authenticate(ctx, keyForwarder, "10.30.0.9"); err != nil {
			return err
		}
		if r.scim, err = r.authenticate(ctx, keySCIM, "10.30.0.10"); err != nil {
			return err
		}
		r.ci, err = r.authenticate(ctx, keyCI, "10.40.0.2")
		return err
	})
	// Gateways register themselves with their first heartbeat.
	tl.add(r.at(day, 10, 0), "gateways come online", func(ctx context.Context) error {
		r.hbCursor = r.clock.Now()
		return r.flushHeartbeats(ctx, r.clock.Now().Add(time.Second))
	})
	for i := range policies {
		ps := &policies[i]
		tl.add(r.at(day, 10, 30+i*2), "create policy "+ps.name, func(ctx context.Context) error {
			by := r.policyAuthor(ps.team)
			active := true
			pol, err := r.eng.CreatePolicy(as(ctx, by), engine.PolicyInput{
				Name: ps.name, Kind: ps.kind, Team: ps.team, Rules: json.RawMessage(ps.rules),
				Active: &active, Gateways: ps.gateways,
			})
			if err != nil {
				return err
			}
			r.policies = append(r.policies, &policyState{spec: ps, id: pol.ID, active: true, gateways: ps.gateways})
			r.countPolicies()
			return nil
		})
	}
	r.planVersion(1, r.at(day, 11, 30), true)
	for i, g := range gateways {
		tl.add(r.at(day, 12, 30+i*3), "deploy version 1 to "+g.name, r.deployment(g.name, 1)).heartbeats = true
	}
	rules := []engine.AlertingRuleInput{
		{Name: "Gateway error rate", Metric: "error_rate", Condition: "> 0.05 for 10m", Channel: "email:sre@" + orgDomain},
		{Name: "Block rate spike", Metric: "block_rate", Condition: "> 0.20 for 30m", Channel: "webhook:https://hooks." + orgDomain + "/keeptrail"},
		{Name: "Latency p95", Metric: "latency_p95_ms", Condition: "> 2000 for 15m", Channel: "email:sre@" + orgDomain},
		{Name: "Heartbeat gap", Metric: "heartbeat_gap_minutes", Condition: "> 30", Channel: "email:compliance@" + orgDomain},
		{Name: "PHI block rate", Metric: "block_rate", Condition: "> 0.10 for 1h on team radiology", Channel: "email:privacy@" + orgDomain},
	}
	for i, in := range rules {
		tl.add(r.at(day, 13, i*3), "create alerting rule "+in.Name, func(ctx context.Context) error {
			rule, err := r.eng.CreateAlertingRule(as(ctx, r.memberNamed("Marcus").p), in)
			r.ruleIDs = append(r.ruleIDs, rule.ID)
			return err
		})
	}
	for i, t := range teams {
		tl.add(r.at(day, 14, i*4), "create the wallet of "+t.name, func(ctx context.Context) error {
			budget := float64(int(t.share*40000/100)) * 100
			w, err := r.eng.CreateWallet(as(ctx, r.memberNamed("Priya").p), t.name, t.name+" AI spend", budget)
			if err != nil {
				return err
			}
			r.walletIDs = append(r.walletIDs, w.ID)
			_, err = r.eng.AddWalletEntry(as(ctx, r.memberNamed("Priya").p), w.ID, keeptrail.WalletAllocation,
				budget/3, "initial allocation")
			return err
		})
	}
	tl.add(r.at(day, 15, 0), "create a personal reporting key", func(ctx context.Context) error {
		return r.createKey(ctx, engine.NewAPIKey{Name: keyReporting, Role: keeptrail.RoleViewer, OwnerEmail: r.memberNamed("Elif").email})
	})
	return nil
}

// createUser creates a member's account as the principal by.
func (r *run) createUser(ctx context.Context, by *keeptrail.Principal, m *member) error {
	in := engine.NewUser{Email: m.email, Name: m.name(), Role: m.role, Teams: m.teams,
		MFAEnrolled: m.mfa, SSOEnrolled: !m.password}
	if m.password {
		in.Password = AdminPassword(r.opts.Seed) + "-" + m.first
	}
	u, err := r.eng.CreateUser(as(ctx, by), in)
	if err != nil {
		return err
	}
	m.joins = r.clock.Now()
	m.setUser(u)
	return nil
}

// createKey creates an API key as the administrator and keeps its token.
func (r *run) createKey(ctx context.Context, in engine.NewAPIKey) error {
	k, token, err := r.eng.CreateAPIKey(as(ctx, r.admin), in)
	if err != nil {
		return err
	}
	r.tokens[in.Name], r.prefixes[in.Name] = token, k.Prefix
	if in.Name == keyAdmin {
		r.adminToken = token
	}
	return nil
}

// authenticate signs in with a key's token as an integration would.
func (r *run) authenticate(ctx context.Context, key, ip string) (*keeptrail.Principal, error) {
	p, err := r.eng.Authenticate(ctx, r.tokens[key], ip)
	if err != nil {
		return nil, fmt.Errorf("authenticate %s: %w", key, err)
	}
	return p, nil
}

// policyAuthor is who writes a team's policies: its team admin.
func (r *run) policyAuthor(team string) *keeptrail.Principal {
	if m := r.teamAdmin(r.teamIDs[team], r.clock.Now()); m != nil {
		return m.p
	}
	return r.memberNamed("Priya").p
}

// planAdminSession plans the administrator signing in with a password (and MFA) in the
// morning of a day and out in the evening; typo makes the first attempt fail.
func (r *run) planAdminSession(day, hour, minute int, typo bool) {
	admin := r.members[0]
	start := r.at(day, hour, minute)
	if typo {
		r.timeline.add(start.Add(-40*time.Second), "administrator mistypes the password", func(ctx context.Context) error {
			_, err := r.eng.Login(ctx, admin.email, AdminPassword(r.opts.Seed)+"!", admin.ip)
			if keeptrail.ErrorCode(err) != keeptrail.EUNAUTHORIZED {
				return fmt.Errorf("a wrong password was not refused: %v", err)
			}
			return nil
		})
	}
	r.timeline.add(start, "administrator signs in", func(ctx context.Context) error {
		p, err := r.eng.Login(ctx, admin.email, AdminPassword(r.opts.Seed), admin.ip)
		if err != nil {
			return err
		}
		r.admin = p
		_, err = r.eng.RecordAudit(as(ctx, p), keeptrail.AuditEntry{Action: "auth.mfa_challenge",
			Category: keeptrail.CategoryAuthentication, Target: "user:" + admin.email, Outcome: "success",
			Details: keeptrail.MustDetails(map[string]string{"factor": "totp"})})
		return err
	})
	r.timeline.add(r.at(day, 17, 10+minute%20), "administrator signs out", func(ctx context.Context) error {
		_, err := r.eng.RecordAudit(as(ctx, r.admin), keeptrail.AuditEntry{Action: "auth.logout",
			Category: keeptrail.CategoryAuthentication, Target: "user:" + admin.email, Outcome: "success"})
		return err
	})
}
