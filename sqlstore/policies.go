package sqlstore

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	keeptrail "github.com/keeptrail/keeptrail"
)

const policyColumns = "id, name, kind, team_id, rules, active, created_at, updated_at"

func scanPolicy(s scanner) (keeptrail.Policy, error) {
	var p keeptrail.Policy
	var rules string
	var created, updated int64
	if err := s.Scan(&p.ID, &p.Name, &p.Kind, &p.TeamID, &rules, &p.Active, &created, &updated); err != nil {
		return p, err
	}
	p.Rules = json.RawMessage(rules)
	p.CreatedAt = fromMicros(created)
	p.UpdatedAt = fromMicros(updated)
	return p, nil
}

// CreatePolicy inserts p with its gateway assignments and sets its ID; CreatedAt defaults
// to the transaction's time and UpdatedAt to CreatedAt. Rules are stored as compact JSON
// ("{}" when empty). ECONFLICT when the team already has a policy of that name.
func (t *tx) CreatePolicy(p *keeptrail.Policy) error {
	rules, err := compactJSON(p.Rules, "{}")
	if err != nil {
		return fmt.Errorf("compact policy rules: %w", err)
	}
	p.Rules = json.RawMessage(rules)
	p.CreatedAt = t.orNow(p.CreatedAt)
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = p.CreatedAt
	}
	p.UpdatedAt = keeptrail.TruncTime(p.UpdatedAt)
	err = t.queryRow(`INSERT INTO policies (name, kind, team_id, rules, active, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		p.Name, p.Kind, p.TeamID, rules, p.Active, micros(p.CreatedAt), micros(p.UpdatedAt)).Scan(&p.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return conflict("policy", p.Name)
	}
	if err != nil {
		return fmt.Errorf("insert policy: %w", err)
	}
	return t.setPolicyGateways(p)
}

// setPolicyGateways replaces the policy's gateway assignments with p.GatewayIDs.
func (t *tx) setPolicyGateways(p *keeptrail.Policy) error {
	if _, err := t.exec("DELETE FROM policy_gateways WHERE policy_id = ?", p.ID); err != nil {
		return fmt.Errorf("delete policy gateways: %w", err)
	}
	ids := slices.Clone(p.GatewayIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for _, id := range ids {
		if _, err := t.exec("INSERT INTO policy_gateways (policy_id, gateway_id) VALUES (?, ?)", p.ID, id); err != nil {
			return fmt.Errorf("insert policy gateway: %w", err)
		}
	}
	p.GatewayIDs = ids
	return nil
}

// policyGateways returns the gateway ids assigned to the policy (to every policy when
// policyID is 0), by policy id, each list ascending.
func (t *tx) policyGateways(policyID int64) (map[int64][]int64, error) {
	q := "SELECT policy_id, gateway_id FROM policy_gateways ORDER BY policy_id, gateway_id"
	var args []any
	if policyID != 0 {
		q = "SELECT policy_id, gateway_id FROM policy_gateways WHERE policy_id = ? ORDER BY gateway_id"
		args = append(args, policyID)
	}
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("query policy gateways: %w", err)
	}
	defer rows.Close()
	out := map[int64][]int64{}
	for rows.Next() {
		var pid, gid int64
		if err := rows.Scan(&pid, &gid); err != nil {
			return nil, fmt.Errorf("scan policy gateway: %w", err)
		}
		out[pid] = append(out[pid], gid)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read policy gateways: %w", err)
	}
	return out, nil
}

// PolicyByID returns the policy with its gateway assignments; ENOTFOUND if there is none.
func (t *tx) PolicyByID(id int64) (keeptrail.Policy, error) {
	p, err := scanPolicy(t.queryRow("SELECT "+policyColumns+" FROM policies WHERE id = ?", id))
	if err != nil {
		return p, rowErr(err, "select policy", "policy", id)
	}
	gws, err := t.policyGateways(id)
	if err != nil {
		return keeptrail.Policy{}, err
	}
	p.GatewayIDs = gws[id]
	return p, nil
}

// Policies lists the policies of teams in scope with their gateway assignments, oldest
// first.
func (t *tx) Policies(scope keeptrail.TeamScope) ([]keeptrail.Policy, error) {
	if scopeEmpty(scope) {
		return nil, nil
	}
	where, args := scopeFilter("team_id", scope)
	q := "SELECT " + policyColumns + " FROM policies"
	if where != "" {
		q += " WHERE " + where
	}
	ps, err := queryAll(t, "policies", scanPolicy, q+" ORDER BY id", args...)
	if err != nil || len(ps) == 0 {
		return ps, err
	}
	gws, err := t.policyGateways(0)
	if err != nil {
		return nil, err
	}
	for i := range ps {
		ps[i].GatewayIDs = gws[ps[i].ID]
	}
	return ps, nil
}

// UpdatePolicy writes name, kind, rules, active and the gateway assignments, and sets
// UpdatedAt to the transaction's time. ENOTFOUND if the policy does not exist, ECONFLICT
// when its team has another policy of the new name.
func (t *tx) UpdatePolicy(p *keeptrail.Policy) error {
	rules, err := compactJSON(p.Rules, "{}")
	if err != nil {
		return fmt.Errorf("compact policy rules: %w", err)
	}
	var taken int
	if err := t.queryRow("SELECT COUNT(*) FROM policies WHERE name = ? AND team_id = (SELECT team_id FROM policies WHERE id = ?) AND id <> ?",
		p.Name, p.ID, p.ID).Scan(&taken); err != nil {
		return fmt.Errorf("check policy name: %w", err)
	}
	if taken > 0 {
		return conflict("policy", p.Name)
	}
	p.Rules = json.RawMessage(rules)
	p.UpdatedAt = t.now
	res, err := t.exec("UPDATE policies SET name = ?, kind = ?, rules = ?, active = ?, updated_at = ? WHERE id = ?",
		p.Name, p.Kind, rules, p.Active, micros(p.UpdatedAt), p.ID)
	if err != nil {
		return writeErr(err, "update policy", "policy", p.Name)
	}
	if err := mustAffect(res, "update policy", "policy", p.ID); err != nil {
		return err
	}
	return t.setPolicyGateways(p)
}
