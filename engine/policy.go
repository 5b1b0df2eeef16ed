package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/keeptrail/keeptrail"
)

// PolicyInput is the input of CreatePolicy and UpdatePolicy. For an update, empty fields
// (and nil Active and Gateways) are left as they are, and Team, if given, must be the
// policy's team.
type PolicyInput struct {
	Name     string          `json:"name"`
	Kind     string          `json:"kind"`
	Team     string          `json:"team"`
	Rules    json.RawMessage `json:"rules"`
	Active   *bool           `json:"active"`
	Gateways []string        `json:"gateways"`
}

// maxRulesBytes bounds a policy's rules document.
const maxRulesBytes = 256 * 1024

// policyTarget is the audit target of a policy.
func policyTarget(id int64) string { return "policy:" + strconv.FormatInt(id, 10) }

// kindProblem returns why k is not a policy kind, or "".
func kindProblem(k string) string {
	if k == "" {
		return "is required"
	}
	if !slices.Contains(keeptrail.PolicyKinds, k) {
		return "must be one of " + strings.Join(keeptrail.PolicyKinds, ", ")
	}
	return ""
}

// compactRules returns rules as compact JSON ("{}" when empty), or a field error.
func compactRules(v *keeptrail.Validation, rules json.RawMessage) json.RawMessage {
	if len(bytes.TrimSpace(rules)) == 0 {
		return json.RawMessage("{}")
	}
	if len(rules) > maxRulesBytes {
		v.Add("rules", "must be at most %d bytes", maxRulesBytes)
		return nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, rules); err != nil {
		v.Add("rules", "must be JSON: %v", err)
		return nil
	}
	if c := b.Bytes()[0]; c != '{' && c != '[' {
		v.Add("rules", "must be a JSON object or array")
		return nil
	}
	return b.Bytes()
}

// resolveGateways looks up gateway names given in field (as "field[i]"); unknown names
// are field errors, repeated names count once.
func resolveGateways(tx keeptrail.Tx, v *keeptrail.Validation, field string, names []string) ([]keeptrail.Gateway, error) {
	gws := make([]keeptrail.Gateway, 0, len(names))
	seen := map[string]bool{}
	for i, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		g, err := tx.GatewayByName(name)
		if keeptrail.ErrorCode(err) == keeptrail.ENOTFOUND {
			v.Add(fmt.Sprintf("%s[%d]", field, i), "unknown gateway %q", name)
			continue
		} else if err != nil {
			return nil, fmt.Errorf("engine: load gateway: %w", err)
		}
		gws = append(gws, g)
	}
	return gws, nil
}

// denyGateways returns a denial for the first gateway outside the principal's teams.
func denyGateways(tx keeptrail.Tx, p *keeptrail.Principal, o op, target string, gws []keeptrail.Gateway) error {
	for _, g := range gws {
		if p.InTeam(g.TeamID) {
			continue
		}
		id := g.TeamID
		return &denial{op: o, target: target, teamID: &id,
			reason: fmt.Sprintf("gateway %q belongs to a team outside your teams", g.Name)}
	}
	return nil
}

func gatewayIDs(gws []keeptrail.Gateway) []int64 {
	ids := make([]int64, len(gws))
	for i, g := range gws {
		ids[i] = g.ID
	}
	return ids
}

// gatewayNamesByID returns the names of the gateways with the given IDs, in order.
func gatewayNamesByID(tx keeptrail.Tx, ids []int64) ([]string, error) {
	names := make([]string, 0, len(ids))
	for _, id := range ids {
		g, err := tx.GatewayByID(id)
		if err != nil {
			return nil, fmt.Errorf("engine: load gateway %d: %w", id, err)
		}
		names = append(names, g.Name)
	}
	return names, nil
}

// Policies lists the policies of the teams the caller may see. It needs the read
// permission.
func (e *Engine) Policies(ctx context.Context) ([]keeptrail.Policy, error) {
	p, err := e.authorize(ctx, keeptrail.ActRead, opPoliciesRead, "")
	if err != nil {
		return nil, err
	}
	var ps []keeptrail.Policy
	err = e.st.View(ctx, func(tx keeptrail.Tx) error {
		ps, err = tx.Policies(p.Scope())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("engine: list policies: %w", err)
	}
	return ps, nil
}

// CreatePolicy adds a policy to a team and assigns it to the given gateways. It needs the
// manage permission and the policy's team (and every gateway's team) in scope; a name
// taken within the team is ECONFLICT. Active defaults to true. Recorded as
// policy.created.
func (e *Engine) CreatePolicy(ctx context.Context, in PolicyInput) (keeptrail.Policy, error) {
	p, err := e.authorize(ctx, keeptrail.ActManage, opPolicyCreated, "")
	if err != nil {
		return keeptrail.Policy{}, err
	}
	var v keeptrail.Validation
	if msg := textProblem(in.Name, true, maxNameLength); msg != "" {
		v.Add("name", "%s", msg)
	}
	if msg := kindProblem(in.Kind); msg != "" {
		v.Add("kind", "%s", msg)
	}
	if in.Team == "" {
		v.Add("team", "is required")
	}
	rules := compactRules(&v, in.Rules)
	var pol keeptrail.Policy
	err = e.update(ctx, p, func(tx keeptrail.Tx) error {
		v := v // fn may run again
		var team keeptrail.Team
		if in.Team != "" {
			t, err := tx.TeamByName(in.Team)
			if keeptrail.ErrorCode(err) == keeptrail.ENOTFOUND {
				v.Add("team", "unknown team %q", in.Team)
			} else if err != nil {
				return fmt.Errorf("engine: load team: %w", err)
			}
			team = t
		}
		gws, err := resolveGateways(tx, &v, "gateways", in.Gateways)
		if err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := denyTeam(p, opPolicyCreated, "", team.ID, team.Name); err != nil {
			return err
		}
		if err := denyGateways(tx, p, opPolicyCreated, "", gws); err != nil {
			return err
		}
		now := e.clock()
		pol = keeptrail.Policy{
			Name: strings.TrimSpace(in.Name), Kind: in.Kind, TeamID: team.ID, Rules: rules,
			Active: in.Active == nil || *in.Active, GatewayIDs: gatewayIDs(gws),
			CreatedAt: now, UpdatedAt: now,
		}
		if err := tx.CreatePolicy(&pol); err != nil {
			if keeptrail.ErrorCode(err) == keeptrail.ECONFLICT {
				return keeptrail.Errorf(keeptrail.ECONFLICT, "team %q already has a policy named %q", team.Name, pol.Name)
			}
			return fmt.Errorf("engine: create policy: %w", err)
		}
		return record(tx, p, opPolicyCreated, policyTarget(pol.ID), teamRef(team.ID), map[string]any{
			"name": pol.Name, "kind": pol.Kind, "team": team.Name, "active": pol.Active,
			"gateways": nonNil(gatewayNames(gws)),
		})
	})
	if err != nil {
		return keeptrail.Policy{}, err
	}
	return pol, nil
}

func gatewayNames(gws []keeptrail.Gateway) []string {
	names := make([]string, len(gws))
	for i, g := range gws {
		names[i] = g.Name
	}
	return names
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// loadPolicy reads a policy for an action o, checking that its team is in scope.
func loadPolicy(tx keeptrail.Tx, p *keeptrail.Principal, o op, id int64) (keeptrail.Policy, keeptrail.Team, error) {
	pol, err := tx.PolicyByID(id)
	if err != nil {
		return pol, keeptrail.Team{}, lookupErr(err, "policy %d", id)
	}
	team, err := tx.TeamByID(pol.TeamID)
	if err != nil {
		return pol, team, fmt.Errorf("engine: load policy team: %w", err)
	}
	return pol, team, denyTeam(p, o, policyTarget(id), team.ID, team.Name)
}

// UpdatePolicy changes the fields of in that are set. It needs the manage permission and
// the policy's team in scope. Each kind of change is its own audit entry: policy.updated
// (name, kind, rules, with before/after), policy.activated or policy.deactivated, and
// policy.assigned (gateways before/after). An update that changes nothing writes nothing.
func (e *Engine) UpdatePolicy(ctx context.Context, id int64, in PolicyInput) (keeptrail.Policy, error) {
	p, err := e.authorize(ctx, keeptrail.ActManage, opPolicyUpdated, policyTarget(id))
	if err != nil {
		return keeptrail.Policy{}, err
	}
	var v keeptrail.Validation
	if in.Name != "" {
		if msg := textProblem(in.Name, true, maxNameLength); msg != "" {
			v.Add("name", "%s", msg)
		}
	}
	if in.Kind != "" {
		if msg := kindProblem(in.Kind); msg != "" {
			v.Add("kind", "%s", msg)
		}
	}
	var rules json.RawMessage
	if len(bytes.TrimSpace(in.Rules)) > 0 {
		rules = compactRules(&v, in.Rules)
	}
	var pol keeptrail.Policy
	err = e.update(ctx, p, func(tx keeptrail.Tx) error {
		v := v // fn may run again
		var team keeptrail.Team
		var err error
		if pol, team, err = loadPolicy(tx, p, opPolicyUpdated, id); err != nil {
			return err
		}
		if in.Team != "" && in.Team != team.Name {
			v.Add("team", "a policy stays in its team %q; create a new policy in the other team", team.Name)
		}
		var gws []keeptrail.Gateway
		if in.Gateways != nil {
			if gws, err = resolveGateways(tx, &v, "gateways", in.Gateways); err != nil {
				return err
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := denyGateways(tx, p, opPolicyUpdated, policyTarget(id), gws); err != nil {
			return err
		}
		before := pol
		changed := map[string]any{}
		if in.Name != "" && strings.TrimSpace(in.Name) != pol.Name {
			pol.Name = strings.TrimSpace(in.Name)
			changed["name"] = map[string]string{"before": before.Name, "after": pol.Name}
		}
		if in.Kind != "" && in.Kind != pol.Kind {
			pol.Kind = in.Kind
			changed["kind"] = map[string]string{"before": before.Kind, "after": pol.Kind}
		}
		if rules != nil && !bytes.Equal(rules, pol.Rules) {
			pol.Rules = rules
			changed["rules"] = map[string]json.RawMessage{"before": jsonOrEmpty(before.Rules), "after": rules}
		}
		activeChanged := in.Active != nil && *in.Active != pol.Active
		if activeChanged {
			pol.Active = *in.Active
		}
		var gwChanged bool
		if in.Gateways != nil {
			ids := gatewayIDs(gws)
			gwChanged = !sameIDs(ids, pol.GatewayIDs)
			pol.GatewayIDs = ids
		}
		if len(changed) == 0 && !activeChanged && !gwChanged {
			pol = before
			return nil
		}
		pol.UpdatedAt = e.clock()
		if err := tx.UpdatePolicy(&pol); err != nil {
			if keeptrail.ErrorCode(err) == keeptrail.ECONFLICT {
				return keeptrail.Errorf(keeptrail.ECONFLICT, "team %q already has a policy named %q", team.Name, pol.Name)
			}
			return fmt.Errorf("engine: update policy: %w", err)
		}
		if len(changed) > 0 {
			if err := record(tx, p, opPolicyUpdated, policyTarget(id), teamRef(team.ID), changed); err != nil {
				return err
			}
		}
		if activeChanged {
			if err := recordActive(tx, p, pol, team); err != nil {
				return err
			}
		}
		if gwChanged {
			return recordAssigned(tx, p, pol, team, before.GatewayIDs)
		}
		return nil
	})
	if err != nil {
		return keeptrail.Policy{}, err
	}
	return pol, nil
}

func jsonOrEmpty(r json.RawMessage) json.RawMessage {
	if len(r) == 0 {
		return json.RawMessage("{}")
	}
	return r
}

// sameIDs reports whether a and b hold the same IDs, in any order.
func sameIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// recordActive writes policy.activated or policy.deactivated for pol's new state.
func recordActive(tx keeptrail.Tx, p *keeptrail.Principal, pol keeptrail.Policy, team keeptrail.Team) error {
	o := opPolicyDeactivated
	if pol.Active {
		o = opPolicyActivated
	}
	return record(tx, p, o, policyTarget(pol.ID), teamRef(team.ID),
		map[string]any{"name": pol.Name, "active": map[string]bool{"before": !pol.Active, "after": pol.Active}})
}

// recordAssigned writes policy.assigned with the gateways before and after.
func recordAssigned(tx keeptrail.Tx, p *keeptrail.Principal, pol keeptrail.Policy, team keeptrail.Team, before []int64) error {
	b, err := gatewayNamesByID(tx, before)
	if err != nil {
		return err
	}
	a, err := gatewayNamesByID(tx, pol.GatewayIDs)
	if err != nil {
		return err
	}
	return record(tx, p, opPolicyAssigned, policyTarget(pol.ID), teamRef(team.ID),
		map[string]any{"name": pol.Name, "gateways": map[string][]string{"before": nonNil(b), "after": nonNil(a)}})
}

// SetPolicyActive activates or deactivates a policy. It needs the manage permission and
// the policy's team in scope. Recorded as policy.activated or policy.deactivated; setting
// the state it already has changes and records nothing.
func (e *Engine) SetPolicyActive(ctx context.Context, id int64, active bool) (keeptrail.Policy, error) {
	o := opPolicyDeactivated
	if active {
		o = opPolicyActivated
	}
	p, err := e.authorize(ctx, keeptrail.ActManage, o, policyTarget(id))
	if err != nil {
		return keeptrail.Policy{}, err
	}
	var pol keeptrail.Policy
	err = e.update(ctx, p, func(tx keeptrail.Tx) error {
		var team keeptrail.Team
		var err error
		if pol, team, err = loadPolicy(tx, p, o, id); err != nil {
			return err
		}
		if pol.Active == active {
			return nil
		}
		pol.Active = active
		pol.UpdatedAt = e.clock()
		if err := tx.UpdatePolicy(&pol); err != nil {
			return fmt.Errorf("engine: update policy: %w", err)
		}
		return recordActive(tx, p, pol, team)
	})
	if err != nil {
		return keeptrail.Policy{}, err
	}
	return pol, nil
}

// AssignPolicy sets the gateways a policy is assigned to (replacing the previous list).
// It needs the manage permission with the policy's team and every gateway's team in
// scope; unknown gateways are EINVALID naming gateways[i]. Recorded as policy.assigned;
// an unchanged list records nothing.
func (e *Engine) AssignPolicy(ctx context.Context, id int64, gateways []string) (keeptrail.Policy, error) {
	p, err := e.authorize(ctx, keeptrail.ActManage, opPolicyAssigned, policyTarget(id))
	if err != nil {
		return keeptrail.Policy{}, err
	}
	var pol keeptrail.Policy
	err = e.update(ctx, p, func(tx keeptrail.Tx) error {
		var team keeptrail.Team
		var err error
		if pol, team, err = loadPolicy(tx, p, opPolicyAssigned, id); err != nil {
			return err
		}
		var v keeptrail.Validation
		gws, err := resolveGateways(tx, &v, "gateways", gateways)
		if err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := denyGateways(tx, p, opPolicyAssigned, policyTarget(id), gws); err != nil {
			return err
		}
		ids := gatewayIDs(gws)
		if sameIDs(ids, pol.GatewayIDs) {
			return nil
		}
		before := pol.GatewayIDs
		pol.GatewayIDs = ids
		pol.UpdatedAt = e.clock()
		if err := tx.UpdatePolicy(&pol); err != nil {
			return fmt.Errorf("engine: update policy: %w", err)
		}
		return recordAssigned(tx, p, pol, team, before)
	})
	if err != nil {
		return keeptrail.Policy{}, err
	}
	return pol, nil
}
