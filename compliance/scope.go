package compliance

import (
	"slices"
	"strconv"

	"github.com/keeptrail/keeptrail"
)

// scope is what a request may see: the caller's teams narrowed by the teams and gateways
// it asked for.
type scope struct {
	teams        keeptrail.TeamScope
	askedTeams   []int64
	gatewayIDs   []int64 // nil: every gateway
	gatewayNames []string
}

// resolveScope checks the teams and gateways a principal asked for: an unknown name is
// EINVALID naming "team" or "gateway", a team outside the principal's teams EFORBIDDEN.
func resolveScope(st *orgState, p *keeptrail.Principal, teams, gateways []string) (scope, error) {
	sc := scope{teams: p.Scope()}
	var v keeptrail.Validation
	var outside string
	for _, name := range teams {
		id, ok := int64(0), false
		for _, t := range st.teams {
			if t.Name == name {
				id, ok = t.ID, true
				break
			}
		}
		switch {
		case !ok:
			v.Add("team", "unknown team %q", name)
		case !p.InTeam(id):
			if outside == "" {
				outside = name
			}
		case !slices.Contains(sc.askedTeams, id):
			sc.askedTeams = append(sc.askedTeams, id)
		}
	}
	for _, name := range gateways {
		id, ok := int64(0), false
		for _, g := range st.gateways {
			if g.Name == name {
				id, ok = g.ID, true
				break
			}
		}
		if !ok {
			v.Add("gateway", "unknown gateway %q", name)
			continue
		}
		if !slices.Contains(sc.gatewayIDs, id) {
			sc.gatewayIDs = append(sc.gatewayIDs, id)
			sc.gatewayNames = append(sc.gatewayNames, name)
		}
	}
	if err := v.Err(); err != nil {
		return scope{}, err
	}
	if outside != "" {
		return scope{}, &denial{reason: "team " + strconv.Quote(outside) + " is outside your teams"}
	}
	if len(sc.askedTeams) > 0 {
		sc.teams = keeptrail.TeamScope{TeamIDs: sc.askedTeams}
	}
	return sc, nil
}

// hasGateway reports whether the gateway filter admits the gateway.
func (sc scope) hasGateway(id int64) bool {
	return sc.gatewayIDs == nil || slices.Contains(sc.gatewayIDs, id)
}

// askedTeam reports whether the request named the team.
func (sc scope) askedTeam(id int64) bool { return slices.Contains(sc.askedTeams, id) }

// teamIDs lists the teams in scope, in name order.
func (sc scope) teamIDs(st *orgState) []int64 {
	var ids []int64
	for _, t := range st.teams { // Teams are listed by name
		if sc.teams.Allows(t.ID) {
			ids = append(ids, t.ID)
		}
	}
	return ids
}

// teamNames lists the names of the teams in scope.
func (sc scope) teamNames(st *orgState) []string {
	names := []string{}
	for _, id := range sc.teamIDs(st) {
		names = append(names, st.teamName(id))
	}
	return names
}

// filter is the store filter of the scope over a period.
func (sc scope) filter(p Period) keeptrail.ComplianceFilter {
	return keeptrail.ComplianceFilter{From: p.From, To: p.To, Scope: sc.teams, GatewayIDs: sc.gatewayIDs}
}

// denial is a request the caller's role or teams do not allow; the service records it in
// the audit log and returns EFORBIDDEN.
type denial struct{ reason string }

func (d *denial) Error() string { return d.reason }
