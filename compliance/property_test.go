package compliance_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/compliance"
	"github.com/keeptrail/keeptrail/compliance/recompute"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// TestRollupsEqualRawRows is the property that status and score computed from the
// rollups equal status and score computed from the raw rows (plain SQL over
// decision_events and heartbeats, package recompute), for random organizations, random
// periods (to the microsecond, on and off hour and day boundaries) and random scopes.
func TestRollupsEqualRawRows(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
				rng := rand.New(rand.NewPCG(seed, 42))
				org := randomOrganization(t, db, rng)
				now := org.start.Add(8 * 24 * time.Hour)
				clock := func() time.Time { return now }
				rollups, err := compliance.New(db, compliance.Options{Now: clock})
				if err != nil {
					t.Fatal(err)
				}
				counter := recompute.New(db.SQL(), db.Dialect())
				raw, err := compliance.New(db, compliance.Options{Now: clock, Counter: counter})
				if err != nil {
					t.Fatal(err)
				}
				for i := range 40 {
					if i == 20 {
						// Escalations stored after the first settlement, due on settled days.
						org.addEscalations(t, db, rng, 100)
					}
					ctx, teams, gateways := org.randomScope(rng)
					from, to := org.randomPeriod(rng)
					what := fmt.Sprintf("case %d: %s .. %s, teams %v, gateways %v", i, from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano), teams, gateways)
					req := compliance.StatusRequest{From: from, To: to, Teams: teams, Gateways: gateways}
					got, err := rollups.Status(ctx, req)
					if err != nil {
						t.Fatalf("%s: %v", what, err)
					}
					want, err := raw.Status(ctx, req)
					if err != nil {
						t.Fatalf("%s: raw: %v", what, err)
					}
					wantJSON(t, "status, "+what, got, want)
					if i == 0 && got.Requests == 0 {
						t.Errorf("%s: no requests counted; the property would hold trivially", what)
					}

					sreq := compliance.ScoreRequest{From: from, At: minTime(to, now), Teams: teams}
					gotScore, err := rollups.Score(ctx, sreq)
					if err != nil {
						t.Fatalf("%s: score: %v", what, err)
					}
					wantScore, err := raw.Score(ctx, sreq)
					if err != nil {
						t.Fatalf("%s: raw score: %v", what, err)
					}
					wantJSON(t, "score, "+what, gotScore, wantScore)

					// The rule rollups' blocked and escalated counts, by team, gateway and rule.
					flt := org.filter(ctx, from, to, teams, gateways)
					var gotCounts []keeptrail.RuleCount
					if err := db.View(ctx, func(tx keeptrail.Tx) error {
						var err error
						gotCounts, err = tx.ComplianceRuleCounts(flt)
						return err
					}); err != nil {
						t.Fatalf("%s: rule decisions: %v", what, err)
					}
					wantCounts, err := counter.RuleCounts(ctx, nil, flt)
					if err != nil {
						t.Fatalf("%s: raw rule decisions: %v", what, err)
					}
					gotRules, wantRules := byRule(gotCounts), byRule(wantCounts)
					wantJSON(t, "rule decisions, "+what, gotRules, wantRules)
					if i == 0 && len(wantRules) == 0 {
						t.Errorf("%s: no rule matched; the property would hold trivially", what)
					}
				}
			})
		})
	}
}

// ruleDecisions are the counts by team, gateway and rule as "team/gateway/rule" ->
// [matches, blocked, escalated].
type ruleDecisions map[string][3]int64

// byRule keys rule counts by team, gateway and rule.
func byRule(counts []keeptrail.RuleCount) ruleDecisions {
	r := ruleDecisions{}
	for _, c := range counts {
		r[fmt.Sprintf("%d/%d/%s", c.TeamID, c.GatewayID, c.Rule)] = [3]int64{c.Matches, c.Blocked, c.Escalated}
	}
	return r
}

// filter is the compliance filter of a request: the principal's teams, narrowed to the
// teams named, and the gateways named.
func (o *organization) filter(ctx context.Context, from, to time.Time, teams, gateways []string) keeptrail.ComplianceFilter {
	f := keeptrail.ComplianceFilter{From: from, To: to, Scope: keeptrail.PrincipalFromContext(ctx).Scope()}
	if len(teams) > 0 {
		f.Scope = keeptrail.TeamScope{}
		for _, tm := range o.teams {
			if slices.Contains(teams, tm.Name) {
				f.Scope.TeamIDs = append(f.Scope.TeamIDs, tm.ID)
			}
		}
	}
	if len(gateways) > 0 {
		f.GatewayIDs = []int64{}
		for _, g := range o.gateways {
			if slices.Contains(gateways, g.Name) {
				f.GatewayIDs = append(f.GatewayIDs, g.ID)
			}
		}
	}
	return f
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// organization is a random organization the property test draws requests against.
type organization struct {
	start       time.Time
	teams       []keeptrail.Team
	gateways    []keeptrail.Gateway
	escalations int
}

// randomOrganization stores 3 teams, 6 gateways (one inactive), random policies and
// deployments, and over a week about 1,500 decision events (in batches that repeat
// earlier request ids), 600 heartbeats and 300 escalations.
func randomOrganization(t *testing.T, db *sqlstore.DB, rng *rand.Rand) *organization {
	t.Helper()
	org := &organization{start: time.Date(2025, 5, 5, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(3600)) * time.Second)}
	update(t, db, func(tx keeptrail.Tx) error {
		for _, name := range []string{"alpha", "bravo", "charlie"} {
			team, _, err := tx.EnsureTeam(name)
			if err != nil {
				return err
			}
			org.teams = append(org.teams, team)
		}
		for i := range 6 {
			g, _, err := tx.EnsureGateway(fmt.Sprintf("gw-%d", i), org.teams[i%3].ID)
			if err != nil {
				return err
			}
			if i == 5 {
				g.Active = false
				if err := tx.UpdateGateway(&g); err != nil {
					return err
				}
			}
			org.gateways = append(org.gateways, g)
		}
		for i := range 4 {
			p := keeptrail.Policy{Name: fmt.Sprintf("policy %d", i), Kind: "pii", TeamID: org.teams[i%3].ID, Active: rng.IntN(4) > 0}
			for _, g := range org.gateways {
				if rng.IntN(3) == 0 {
					p.GatewayIDs = append(p.GatewayIDs, g.ID)
				}
			}
			if err := tx.CreatePolicy(&p); err != nil {
				return err
			}
		}
		for range 3 {
			v := keeptrail.ConfigurationVersion{Author: "x", ChangeSummary: "x", Content: []byte(`{}`), ValidationPassed: rng.IntN(3) > 0}
			if err := tx.CreateConfigurationVersion(&v); err != nil {
				return err
			}
		}
		for range 10 {
			d := keeptrail.Deployment{GatewayID: org.gateways[rng.IntN(6)].ID, Version: int64(1 + rng.IntN(3)),
				DeployedAt: org.start.Add(time.Duration(rng.Int64N(int64(7 * 24 * time.Hour)))), DeployedBy: "x", Source: "api"}
			if err := tx.CreateDeployment(&d); err != nil {
				return err
			}
		}
		return nil
	})
	decisions := []keeptrail.Decision{keeptrail.DecisionAllowed, keeptrail.DecisionAllowed, keeptrail.DecisionBlocked, keeptrail.DecisionEscalated}
	rules := []string{"pii.ssn", "pii.email", "phi.mrn", "secrets.aws", "üñï.rule", `quo"te`}
	n := 0
	for batch := range 6 {
		var events []keeptrail.DecisionEvent
		for range 300 {
			k := n
			if batch > 0 && rng.IntN(6) == 0 {
				k = rng.IntN(n) // a request id sent before: a duplicate
			} else {
				n++
			}
			g := org.gateways[rng.IntN(6)]
			team := g.TeamID
			if rng.IntN(5) == 0 {
				team = org.teams[rng.IntN(3)].ID // shared traffic
			}
			e := keeptrail.DecisionEvent{RequestID: fmt.Sprintf("p-%05d", k),
				Time:      org.start.Add(time.Duration(rng.Int64N(int64(7*24*time.Hour)) / 1000 * 1000)),
				GatewayID: g.ID, TeamID: team, Decision: decisions[rng.IntN(4)], Severity: keeptrail.Severities[rng.IntN(4)],
				PoliciesEvaluated: rng.IntN(3)}
			for range rng.IntN(3) {
				e.RulesMatched = append(e.RulesMatched, rules[rng.IntN(len(rules))])
			}
			events = append(events, e)
		}
		var hbs []keeptrail.Heartbeat
		for range 100 {
			hbs = append(hbs, keeptrail.Heartbeat{GatewayID: org.gateways[rng.IntN(6)].ID,
				Time: org.start.Add(time.Duration(rng.Int64N(int64(7 * 24 * time.Hour)))), Healthy: true})
		}
		update(t, db, func(tx keeptrail.Tx) error {
			if _, err := tx.InsertEvents(events); err != nil {
				return err
			}
			return tx.InsertHeartbeats(hbs)
		})
	}
	org.addEscalations(t, db, rng, 300)
	return org
}

// addEscalations stores escalations due at random times of the week, met, late, open or
// expired.
func (o *organization) addEscalations(t *testing.T, db *sqlstore.DB, rng *rand.Rand, n int) {
	t.Helper()
	var es []keeptrail.Escalation
	for range n {
		o.escalations++
		g := o.gateways[rng.IntN(6)]
		due := o.start.Add(time.Duration(rng.Int64N(int64(7*24*time.Hour))) / 1000 * 1000)
		e := keeptrail.Escalation{EventID: int64(100000 + o.escalations), RequestID: fmt.Sprintf("esc-%d", o.escalations), GatewayID: g.ID,
			TeamID: g.TeamID, Severity: keeptrail.SeverityHigh, OpenedAt: due.Add(-time.Hour), SLADueAt: due, ExpiresAt: due.Add(time.Hour),
			Status: keeptrail.EscalationResolved}
		switch rng.IntN(4) {
		case 0:
			e.Status = keeptrail.EscalationOpen
		case 1:
			e.Status = keeptrail.EscalationExpired
		default:
			at := due.Add(time.Duration(rng.IntN(120)-90) * time.Minute)
			if rng.IntN(10) == 0 {
				at = due // exactly at the due time: met
			}
			e.ResolvedAt = &at
		}
		es = append(es, e)
	}
	update(t, db, func(tx keeptrail.Tx) error { return tx.CreateEscalations(es) })
}

// randomPeriod draws a period inside or around the week: whole days, whole hours, or
// arbitrary microseconds.
func (o *organization) randomPeriod(rng *rand.Rand) (time.Time, time.Time) {
	span := int64(9 * 24 * time.Hour)
	base := o.start.Add(-24 * time.Hour)
	pick := func() time.Time {
		t := base.Add(time.Duration(rng.Int64N(span)))
		switch rng.IntN(3) {
		case 0:
			return t.Truncate(24 * time.Hour)
		case 1:
			return t.Truncate(time.Hour)
		}
		return t.Truncate(time.Microsecond)
	}
	a, b := pick(), pick()
	for !a.Before(b) {
		a, b = pick(), pick()
	}
	return a, b
}

// randomScope draws a caller (the system, or a team admin of one or two teams) and the
// teams and gateways it asks for, within what it may see.
func (o *organization) randomScope(rng *rand.Rand) (context.Context, []string, []string) {
	p := keeptrail.SystemPrincipal("property")
	allowed := o.teams
	if rng.IntN(2) == 0 {
		allowed = nil
		for _, tm := range o.teams {
			if rng.IntN(2) == 0 || len(allowed) == 0 {
				allowed = append(allowed, tm)
			}
		}
		p = &keeptrail.Principal{Kind: keeptrail.ActorUser, Name: "team-admin", Role: keeptrail.RoleTeamAdmin}
		for _, tm := range allowed {
			p.TeamIDs = append(p.TeamIDs, tm.ID)
		}
	}
	var teams, gateways []string
	if rng.IntN(2) == 0 {
		for _, tm := range allowed {
			if rng.IntN(2) == 0 {
				teams = append(teams, tm.Name)
			}
		}
	}
	if rng.IntN(3) == 0 {
		for _, g := range o.gateways {
			if rng.IntN(2) == 0 {
				gateways = append(gateways, g.Name)
			}
		}
	}
	slices.Sort(teams)
	return keeptrail.NewContextWithPrincipal(context.Background(), p), teams, gateways
}
