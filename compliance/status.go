package compliance

import (
	"cmp"
	"slices"
	"time"

	"github.com/keeptrail/keeptrail"
)

// Status is the policy compliance status of a period and scope. Event measures count the
// decision events of the period; policy and configuration measures describe the state at
// AsOf, the end of the period or now, whichever is earlier.
type Status struct {
	Period   Period    `json:"period"`
	AsOf     time.Time `json:"as_of"`
	Teams    []string  `json:"teams"`              // the teams in scope
	Gateways []string  `json:"gateways,omitempty"` // the gateways asked for, if any

	// ActivePolicies counts active policies assigned to at least one gateway in scope.
	ActivePolicies int `json:"active_policies"`
	// PolicyCoverage: active gateways with at least one active policy, of active gateways.
	PolicyCoverage Rate `json:"policy_coverage"`
	// EnforcementRate: requests evaluated by at least one policy, of all requests.
	EnforcementRate Rate `json:"enforcement_rate"`
	// ViolationRate: requests blocked or escalated, of all requests.
	ViolationRate Rate  `json:"violation_rate"`
	Requests      int64 `json:"requests"`
	Blocked       int64 `json:"blocked"`
	Escalated     int64 `json:"escalated"`
	// ConfigurationDrift lists the gateways that do not run the latest configuration
	// version they should, longest behind first.
	ConfigurationDrift []Drift `json:"configuration_drift"`

	ByTeam     []TeamStatus     `json:"by_team"`
	ByGateway  []GatewayStatus  `json:"by_gateway"`
	BySeverity []SeverityStatus `json:"by_severity"`
	ByRule     []RuleStatus     `json:"by_rule"`
}

// Drift is a gateway behind the configuration version it should run.
type Drift struct {
	Gateway string `json:"gateway"`
	Team    string `json:"team"`
	GatewayConfiguration
}

// TeamStatus is the status of one team: its gateways, and the decision events sent for it.
type TeamStatus struct {
	Team            string `json:"team"`
	ActivePolicies  int    `json:"active_policies"`
	PolicyCoverage  Rate   `json:"policy_coverage"`
	Requests        int64  `json:"requests"`
	EnforcementRate Rate   `json:"enforcement_rate"`
	ViolationRate   Rate   `json:"violation_rate"`
	Blocked         int64  `json:"blocked"`
	Escalated       int64  `json:"escalated"`
	DriftedGateways int    `json:"drifted_gateways"`
}

// GatewayStatus is the status of one gateway. A gateway outside the scope that carried
// decision events of teams in scope (a shared gateway) has only its event measures.
type GatewayStatus struct {
	Gateway         string                `json:"gateway"`
	Team            string                `json:"team"`
	InScope         bool                  `json:"in_scope"`
	ActivePolicies  int                   `json:"active_policies"`
	Requests        int64                 `json:"requests"`
	EnforcementRate Rate                  `json:"enforcement_rate"`
	ViolationRate   Rate                  `json:"violation_rate"`
	Blocked         int64                 `json:"blocked"`
	Escalated       int64                 `json:"escalated"`
	Configuration   *GatewayConfiguration `json:"configuration,omitempty"`
}

// SeverityStatus counts the decision events of one severity.
type SeverityStatus struct {
	Severity      keeptrail.Severity `json:"severity"`
	Requests      int64              `json:"requests"`
	Blocked       int64              `json:"blocked"`
	Escalated     int64              `json:"escalated"`
	ViolationRate Rate               `json:"violation_rate"`
}

// RuleStatus counts the decision events that matched a rule.
type RuleStatus struct {
	Rule    string `json:"rule"`
	Matches int64  `json:"matches"`
}

// eventTotals adds up event counts.
type eventTotals struct{ requests, enforced, blocked, escalated int64 }

func (t *eventTotals) add(c keeptrail.EventCount) {
	t.requests += c.Requests
	t.enforced += c.Enforced
	t.blocked += c.Blocked
	t.escalated += c.Escalated
}

// statusInput is what a status is computed from.
type statusInput struct {
	period   Period
	asOf     time.Time
	scope    scope
	state    *orgState
	config   configurations
	events   []keeptrail.EventCount
	rules    []keeptrail.RuleCount
	gateways []keeptrail.Gateway // active gateways in scope at asOf
}

// coverage counts, for each gateway of gws, the active policies assigned to it, and the
// active policies assigned to at least one of them.
func coverage(gws []keeptrail.Gateway, policies []keeptrail.Policy) (perGateway map[int64]int, active int) {
	perGateway = make(map[int64]int, len(gws))
	in := make(map[int64]bool, len(gws))
	for _, g := range gws {
		in[g.ID] = true
		perGateway[g.ID] = 0
	}
	for _, p := range policies {
		if !p.Active {
			continue
		}
		enforced := false
		for _, id := range p.GatewayIDs {
			if in[id] {
				perGateway[id]++
				enforced = true
			}
		}
		if enforced {
			active++
		}
	}
	return perGateway, active
}

// buildStatus computes the status from its input.
func buildStatus(in statusInput) Status {
	st := in.state
	s := Status{Period: in.period, AsOf: in.asOf, Teams: in.scope.teamNames(st), Gateways: in.scope.gatewayNames,
		ConfigurationDrift: []Drift{}}
	perGateway, active := coverage(in.gateways, st.policies)
	s.ActivePolicies = active
	covered := 0
	for _, g := range in.gateways {
		if perGateway[g.ID] > 0 {
			covered++
		}
	}
	s.PolicyCoverage = rate(int64(covered), int64(len(in.gateways)))

	var total eventTotals
	byTeam := map[int64]*eventTotals{}
	byGateway := map[int64]*eventTotals{}
	bySeverity := map[keeptrail.Severity]*eventTotals{}
	get := func(m map[int64]*eventTotals, id int64) *eventTotals {
		if m[id] == nil {
			m[id] = &eventTotals{}
		}
		return m[id]
	}
	for _, c := range in.events {
		total.add(c)
		get(byTeam, c.TeamID).add(c)
		get(byGateway, c.GatewayID).add(c)
		if bySeverity[c.Severity] == nil {
			bySeverity[c.Severity] = &eventTotals{}
		}
		bySeverity[c.Severity].add(c)
	}
	s.Requests, s.Blocked, s.Escalated = total.requests, total.blocked, total.escalated
	s.EnforcementRate = rate(total.enforced, total.requests)
	s.ViolationRate = rate(total.blocked+total.escalated, total.requests)

	drifted := map[int64]int{} // by team
	for _, g := range in.gateways {
		c := in.config.of(g.ID)
		if !c.Current() {
			s.ConfigurationDrift = append(s.ConfigurationDrift, Drift{Gateway: g.Name, Team: st.teamName(g.TeamID), GatewayConfiguration: c})
			drifted[g.TeamID]++
		}
	}
	slices.SortFunc(s.ConfigurationDrift, func(a, b Drift) int {
		return cmp.Or(compareTimePtr(a.BehindSince, b.BehindSince), cmp.Compare(a.Gateway, b.Gateway))
	})

	// Teams: those in scope, narrowed to the ones the gateway filter touches.
	teamIDs := in.scope.teamIDs(st)
	if in.scope.gatewayIDs != nil {
		touched := map[int64]bool{}
		for _, g := range in.gateways {
			touched[g.TeamID] = true
		}
		for id := range byTeam {
			touched[id] = true
		}
		teamIDs = slices.DeleteFunc(teamIDs, func(id int64) bool { return !touched[id] && !in.scope.askedTeam(id) })
	}
	for _, id := range teamIDs {
		var gws []keeptrail.Gateway
		for _, g := range in.gateways {
			if g.TeamID == id {
				gws = append(gws, g)
			}
		}
		per, act := coverage(gws, st.policies)
		cov := 0
		for _, n := range per {
			if n > 0 {
				cov++
			}
		}
		t := byTeam[id]
		if t == nil {
			t = &eventTotals{}
		}
		s.ByTeam = append(s.ByTeam, TeamStatus{Team: st.teamName(id), ActivePolicies: act, PolicyCoverage: rate(int64(cov), int64(len(gws))),
			Requests: t.requests, EnforcementRate: rate(t.enforced, t.requests), ViolationRate: rate(t.blocked+t.escalated, t.requests),
			Blocked: t.blocked, Escalated: t.escalated, DriftedGateways: drifted[id]})
	}
	slices.SortFunc(s.ByTeam, func(a, b TeamStatus) int { return cmp.Compare(a.Team, b.Team) })

	inSet := map[int64]bool{}
	for _, g := range in.gateways {
		inSet[g.ID] = true
		t := byGateway[g.ID]
		if t == nil {
			t = &eventTotals{}
		}
		c := in.config.of(g.ID)
		s.ByGateway = append(s.ByGateway, GatewayStatus{Gateway: g.Name, Team: st.teamName(g.TeamID), InScope: true,
			ActivePolicies: perGateway[g.ID], Requests: t.requests, EnforcementRate: rate(t.enforced, t.requests),
			ViolationRate: rate(t.blocked+t.escalated, t.requests), Blocked: t.blocked, Escalated: t.escalated, Configuration: &c})
	}
	for id, t := range byGateway {
		if inSet[id] {
			continue
		}
		g := st.gateway(id)
		s.ByGateway = append(s.ByGateway, GatewayStatus{Gateway: g.Name, Team: st.teamName(g.TeamID),
			Requests: t.requests, EnforcementRate: rate(t.enforced, t.requests),
			ViolationRate: rate(t.blocked+t.escalated, t.requests), Blocked: t.blocked, Escalated: t.escalated})
	}
	slices.SortFunc(s.ByGateway, func(a, b GatewayStatus) int { return cmp.Compare(a.Gateway, b.Gateway) })

	for _, sev := range keeptrail.Severities {
		t := bySeverity[sev]
		if t == nil {
			t = &eventTotals{}
		}
		s.BySeverity = append(s.BySeverity, SeverityStatus{Severity: sev, Requests: t.requests, Blocked: t.blocked,
			Escalated: t.escalated, ViolationRate: rate(t.blocked+t.escalated, t.requests)})
	}

	matches := map[string]int64{}
	for _, r := range in.rules {
		matches[r.Rule] += r.Matches
	}
	s.ByRule = make([]RuleStatus, 0, len(matches))
	for rule, n := range matches {
		s.ByRule = append(s.ByRule, RuleStatus{Rule: rule, Matches: n})
	}
	slices.SortFunc(s.ByRule, func(a, b RuleStatus) int {
		return cmp.Or(cmp.Compare(b.Matches, a.Matches), cmp.Compare(a.Rule, b.Rule))
	})
	return s
}

// compareTimePtr orders times, nil last.
func compareTimePtr(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return a.Compare(*b)
}
