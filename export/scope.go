package export

import (
	"fmt"

	"github.com/keeptrail/keeptrail"
)

// denial is a scope violation found while resolving a spec: the principal named a team or
// gateway outside its teams. It is an EFORBIDDEN error; the caller records the denied
// attempt in the audit log.
type denial struct {
	reason string
	teamID *int64
}

func (d *denial) Error() string { return d.reason }

// Unwrap lets keeptrail.ErrorCode see EFORBIDDEN.
func (d *denial) Unwrap() error { return keeptrail.Errorf(keeptrail.EFORBIDDEN, "%s", d.reason) }

// resolveFilter turns the spec's period, scope and filters into the store filter for p:
// teams "all" is p's own scope; every named team and gateway must exist and lie in p's
// scope. An unknown name is EINVALID for a principal who sees every team, and a denial
// (EFORBIDDEN) for one who does not, so that names outside one's teams reveal nothing.
func resolveFilter(tx keeptrail.Tx, s Spec, p *keeptrail.Principal) (keeptrail.ExportFilter, error) {
	f := keeptrail.ExportFilter{
		Start: s.TimeRange.Start, End: s.TimeRange.End,
		Severities: s.Filters.Severity, Users: s.Filters.Users, Decisions: s.Filters.Decisions,
		Categories: s.Filters.Categories, Actions: s.Filters.Actions, Statuses: s.Filters.Statuses,
	}
	var v keeptrail.Validation
	if len(s.Scope.Teams) == 0 {
		f.Scope = p.Scope()
	} else {
		ids := make([]int64, 0, len(s.Scope.Teams))
		for _, name := range s.Scope.Teams {
			t, err := tx.TeamByName(name)
			switch {
			case keeptrail.ErrorCode(err) == keeptrail.ENOTFOUND && p.AllTeams:
				v.Add("export.scope.teams", "unknown team %q", name)
				continue
			case keeptrail.ErrorCode(err) == keeptrail.ENOTFOUND:
				return f, &denial{reason: fmt.Sprintf("team %q is outside your teams", name)}
			case err != nil:
				return f, fmt.Errorf("export: load team: %w", err)
			case !p.InTeam(t.ID):
				id := t.ID
				return f, &denial{reason: fmt.Sprintf("team %q is outside your teams", name), teamID: &id}
			}
			ids = append(ids, t.ID)
		}
		f.Scope = keeptrail.TeamScope{TeamIDs: ids}
	}
	if len(s.Scope.Gateways) > 0 {
		f.GatewayIDs = make([]int64, 0, len(s.Scope.Gateways))
		for _, name := range s.Scope.Gateways {
			g, err := tx.GatewayByName(name)
			switch {
			case keeptrail.ErrorCode(err) == keeptrail.ENOTFOUND && p.AllTeams:
				v.Add("export.scope.gateways", "unknown gateway %q", name)
				continue
			case keeptrail.ErrorCode(err) == keeptrail.ENOTFOUND:
				return f, &denial{reason: fmt.Sprintf("gateway %q is outside your teams", name)}
			case err != nil:
				return f, fmt.Errorf("export: load gateway: %w", err)
			case !p.InTeam(g.TeamID):
				id := g.TeamID
				return f, &denial{reason: fmt.Sprintf("gateway %q is outside your teams", name), teamID: &id}
			}
			f.GatewayIDs = append(f.GatewayIDs, g.ID)
		}
	}
	if err := v.Err(); err != nil {
		return f, &keeptrail.Error{Code: keeptrail.EINVALID, Message: "invalid export spec", Fields: v.Fields}
	}
	return f, nil
}
