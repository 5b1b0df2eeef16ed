package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/keeptrail/keeptrail"
)

// maxTeamNameLength bounds team and gateway names, as the ingest contract does (bytes).
const maxTeamNameLength = 256

// Teams lists the teams the caller may see. It needs the read permission.
func (e *Engine) Teams(ctx context.Context) ([]keeptrail.Team, error) {
	p, err := e.authorize(ctx, keeptrail.ActRead, opTeamsRead, "")
	if err != nil {
		return nil, err
	}
	var ts []keeptrail.Team
	err = e.st.View(ctx, func(tx keeptrail.Tx) error {
		ts, err = tx.Teams(p.Scope())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("engine: list teams: %w", err)
	}
	return ts, nil
}

// CreateTeam adds a team. It needs the administer role; a taken name is ECONFLICT.
// Recorded as team.created.
func (e *Engine) CreateTeam(ctx context.Context, name string) (keeptrail.Team, error) {
	p, err := e.authorize(ctx, keeptrail.ActAdminister, opTeamCreated, "team:"+truncate(name, maxTeamNameLength))
	if err != nil {
		return keeptrail.Team{}, err
	}
	var v keeptrail.Validation
	if msg := textProblem(name, true, maxTeamNameLength); msg != "" {
		v.Add("name", "%s", msg)
	} else if strings.TrimSpace(name) != name {
		v.Add("name", "must not start or end with spaces")
	}
	if err := v.Err(); err != nil {
		return keeptrail.Team{}, err
	}
	var t keeptrail.Team
	err = e.update(ctx, p, func(tx keeptrail.Tx) error {
		var created bool
		var err error
		if t, created, err = tx.EnsureTeam(name); err != nil {
			return fmt.Errorf("engine: create team: %w", err)
		}
		if !created {
			return keeptrail.Errorf(keeptrail.ECONFLICT, "team %q already exists", name)
		}
		return record(tx, p, opTeamCreated, "team:"+name, teamRef(t.ID), map[string]string{"name": name})
	})
	if err != nil {
		return keeptrail.Team{}, err
	}
	return t, nil
}

// Gateways lists the gateways of the teams the caller may see. It needs the read
// permission. Gateways are registered by ingest, not created here.
func (e *Engine) Gateways(ctx context.Context) ([]keeptrail.Gateway, error) {
	p, err := e.authorize(ctx, keeptrail.ActRead, opGatewaysRead, "")
	if err != nil {
		return nil, err
	}
	var gs []keeptrail.Gateway
	err = e.st.View(ctx, func(tx keeptrail.Tx) error {
		gs, err = tx.Gateways(p.Scope())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("engine: list gateways: %w", err)
	}
	return gs, nil
}

// resolveTeams looks up team names given in field (as "field[i]"), adding a field error
// for each unknown or repeated name, and returns the IDs in input order.
func resolveTeams(tx keeptrail.Tx, v *keeptrail.Validation, field string, names []string) ([]keeptrail.Team, error) {
	teams := make([]keeptrail.Team, 0, len(names))
	seen := map[string]bool{}
	for i, name := range names {
		f := fmt.Sprintf("%s[%d]", field, i)
		if seen[name] {
			v.Add(f, "team %q is listed twice", name)
			continue
		}
		seen[name] = true
		t, err := tx.TeamByName(name)
		if keeptrail.ErrorCode(err) == keeptrail.ENOTFOUND {
			v.Add(f, "unknown team %q", name)
			continue
		} else if err != nil {
			return nil, fmt.Errorf("engine: load team: %w", err)
		}
		teams = append(teams, t)
	}
	return teams, nil
}

func teamIDs(ts []keeptrail.Team) []int64 {
	ids := make([]int64, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	return ids
}

func teamNames(ts []keeptrail.Team) []string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Name
	}
	return names
}
