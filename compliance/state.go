package compliance

import (
	"fmt"
	"time"

	"github.com/keeptrail/keeptrail"
)

// orgState is the current state of the organization that the measures read: small tables,
// read whole in the measure's transaction.
type orgState struct {
	teams       []keeptrail.Team
	teamByID    map[int64]keeptrail.Team
	gateways    []keeptrail.Gateway
	gatewayByID map[int64]keeptrail.Gateway
	policies    []keeptrail.Policy
	deployments []keeptrail.Deployment
	validated   map[int64]bool // configuration version -> passed validation
}

// readState reads the organization's teams, gateways, policies, deployments and
// configuration versions. Team scope is applied later, by the measures: a team's gateways
// can run policies of another team, and releases are organization-wide.
func readState(tx keeptrail.Tx) (*orgState, error) {
	all := keeptrail.TeamScope{}
	st := &orgState{teamByID: map[int64]keeptrail.Team{}, gatewayByID: map[int64]keeptrail.Gateway{}, validated: map[int64]bool{}}
	var err error
	if st.teams, err = tx.Teams(all); err != nil {
		return nil, fmt.Errorf("compliance: read teams: %w", err)
	}
	for _, t := range st.teams {
		st.teamByID[t.ID] = t
	}
	if st.gateways, err = tx.Gateways(all); err != nil {
		return nil, fmt.Errorf("compliance: read gateways: %w", err)
	}
	for _, g := range st.gateways {
		st.gatewayByID[g.ID] = g
	}
	if st.policies, err = tx.Policies(all); err != nil {
		return nil, fmt.Errorf("compliance: read policies: %w", err)
	}
	if st.deployments, err = tx.Deployments(all); err != nil {
		return nil, fmt.Errorf("compliance: read deployments: %w", err)
	}
	versions, err := tx.ConfigurationVersions()
	if err != nil {
		return nil, fmt.Errorf("compliance: read configuration versions: %w", err)
	}
	for _, v := range versions {
		st.validated[v.Version] = v.ValidationPassed
	}
	return st, nil
}

func (st *orgState) teamName(id int64) string {
	if t, ok := st.teamByID[id]; ok {
		return t.Name
	}
	return fmt.Sprintf("team %d", id)
}

func (st *orgState) gateway(id int64) keeptrail.Gateway {
	if g, ok := st.gatewayByID[id]; ok {
		return g
	}
	return keeptrail.Gateway{ID: id, Name: fmt.Sprintf("gateway %d", id)}
}

// activeGateways returns the active gateways in scope that existed at the time: first
// seen (first activity or registration, whichever is earlier) before it.
func (st *orgState) activeGateways(sc scope, first map[int64]time.Time, at time.Time) []keeptrail.Gateway {
	var out []keeptrail.Gateway
	for _, g := range st.gateways {
		if !g.Active || !sc.teams.Allows(g.TeamID) || !sc.hasGateway(g.ID) {
			continue
		}
		f, seen := first[g.ID]
		if !(seen && f.Before(at)) && g.CreatedAt.After(at) {
			continue
		}
		out = append(out, g)
	}
	return out
}
