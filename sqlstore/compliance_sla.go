package sqlstore

import (
	"cmp"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	keeptrail "github.com/keeptrail/keeptrail"
)

// metSQL is 1 for an escalation resolved no later than its SLA, else 0.
const metSQL = "CASE WHEN status = 'resolved' AND resolved_at <= sla_due_at THEN 1 ELSE 0 END"

// slaState is the row of compliance_sla_state.
type slaState struct{ settledUntil, maxID int64 }

func (t *tx) slaState() (slaState, error) {
	var s slaState
	if err := t.queryRow("SELECT settled_until, max_id FROM compliance_sla_state WHERE id = 1").Scan(&s.settledUntil, &s.maxID); err != nil {
		return s, fmt.Errorf("read escalation settlement: %w", err)
	}
	return s, nil
}

// ComplianceEscalationsSettled returns the time before which escalations are settled.
func (t *tx) ComplianceEscalationsSettled() (time.Time, error) {
	s, err := t.slaState()
	if err != nil || s.settledUntil == 0 {
		return time.Time{}, err
	}
	return fromMicros(s.settledUntil), nil
}

// slaWhere adds the filter's teams and gateways to conds. The columns carry a
// unary plus so that neither database picks an index on them: the time range (or the ID
// range) is what narrows these counts.
func slaWhere(conds []string, args []any, f keeptrail.ComplianceFilter) (string, []any, bool) {
	if scopeEmpty(f.Scope) || (f.GatewayIDs != nil && len(f.GatewayIDs) == 0) {
		return "", nil, false
	}
	if !f.Scope.Unrestricted() {
		conds = append(conds, "+team_id IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(f.Scope.TeamIDs)), ", ")+")")
		for _, id := range f.Scope.TeamIDs {
			args = append(args, id)
		}
	}
	if f.GatewayIDs != nil {
		conds = append(conds, "+gateway_id IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(f.GatewayIDs)), ", ")+")")
		for _, id := range f.GatewayIDs {
			args = append(args, id)
		}
	}
	return " WHERE " + strings.Join(conds, " AND "), args, true
}

// ComplianceEscalationCounts counts the escalations due in [From, To) and those met:
// whole settled days from the rollup (plus escalations stored since the settlement with a
// due time in them), the rest from the rows through the due-time index.
func (t *tx) ComplianceEscalationCounts(f keeptrail.ComplianceFilter) (keeptrail.EscalationSLACount, error) {
	var total keeptrail.EscalationSLACount
	from, to := f.From.UnixMicro(), f.To.UnixMicro()
	if from >= to {
		return total, nil
	}
	state, err := t.slaState()
	if err != nil {
		return total, err
	}
	count := func(what, q string, args []any) error {
		var due, met int64
		if err := t.queryRow(q, args...).Scan(&due, &met); err != nil {
			return fmt.Errorf("count escalations due (%s): %w", what, err)
		}
		total.Due += due
		total.Met += met
		return nil
	}
	raw := func(a, b int64) error {
		if a >= b {
			return nil
		}
		where, args, ok := slaWhere([]string{"sla_due_at >= ?", "sla_due_at < ?"}, []any{a, b}, f)
		if !ok {
			return nil
		}
		return count("rows", "SELECT COUNT(*), COALESCE(SUM("+metSQL+"), 0) FROM escalations"+where, args)
	}
	c0, c1 := ceilTo(from, dayMicros), dayOf(min(to, state.settledUntil))
	if c0 >= c1 {
		return total, raw(from, to)
	}
	if err := raw(from, c0); err != nil {
		return total, err
	}
	if err := raw(c1, to); err != nil {
		return total, err
	}
	where, args, ok := complianceWhere("day", span{c0, c1}, f)
	if !ok {
		return total, nil
	}
	if err := count("settled days", "SELECT COALESCE(SUM(due), 0), COALESCE(SUM(met), 0) FROM compliance_sla_days"+where, args); err != nil {
		return total, err
	}
	// Stored after the settlement, due in a settled day: found by ID, not by due time.
	where, args, _ = slaWhere([]string{"id > ?", "+sla_due_at >= ?", "+sla_due_at < ?"}, []any{state.maxID, c0, c1}, f)
	return total, count("stored since settled", "SELECT COUNT(*), COALESCE(SUM("+metSQL+"), 0) FROM escalations"+where, args)
}

// slaKey is one row of compliance_sla_days.
type slaKey struct{ day, team, gateway int64 }

// SettleComplianceEscalations rolls up the escalations due before the time, and those
// stored since the last settlement with a due time already settled.
func (t *tx) SettleComplianceEscalations(before time.Time) error {
	if t.db.d.name == "postgres" {
		// Wait for transactions that are storing escalations and keep new ones out, so
		// that every escalation with an ID up to the maximum read below is visible.
		if _, err := t.exec("LOCK TABLE escalations IN SHARE ROW EXCLUSIVE MODE"); err != nil {
			return fmt.Errorf("lock escalations: %w", err)
		}
	}
	state, err := t.slaState()
	if err != nil {
		return err
	}
	var maxID sql.NullInt64
	if err := t.queryRow("SELECT MAX(id) FROM escalations").Scan(&maxID); err != nil {
		return fmt.Errorf("read the last escalation: %w", err)
	}
	until := max(state.settledUntil, dayOf(before.UnixMicro()))
	d := strconv.FormatInt(dayMicros, 10)
	sums := map[slaKey][2]int64{}
	add := func(q string, args ...any) error {
		rows, err := t.query(q, args...)
		if err != nil {
			return fmt.Errorf("settle escalations: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var k slaKey
			var due, met int64
			if err := rows.Scan(&k.day, &k.team, &k.gateway, &due, &met); err != nil {
				return fmt.Errorf("settle escalations: %w", err)
			}
			v := sums[k]
			sums[k] = [2]int64{v[0] + due, v[1] + met}
		}
		return rows.Err()
	}
	const grouped = `SELECT sla_due_at / %s * %s, team_id, gateway_id, COUNT(*), CAST(SUM(` + metSQL + `) AS BIGINT)
FROM escalations WHERE %s GROUP BY sla_due_at / %s * %s, team_id, gateway_id`
	if err := add(fmt.Sprintf(grouped, d, d, "id > ? AND id <= ? AND +sla_due_at < ?", d, d), state.maxID, maxID.Int64, state.settledUntil); err != nil {
		return err
	}
	if until > state.settledUntil {
		if err := add(fmt.Sprintf(grouped, d, d, "sla_due_at >= ? AND sla_due_at < ?", d, d), state.settledUntil, until); err != nil {
			return err
		}
	}
	keys := make([]slaKey, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b slaKey) int {
		return cmp.Or(cmp.Compare(a.day, b.day), cmp.Compare(a.team, b.team), cmp.Compare(a.gateway, b.gateway))
	})
	args := make([]any, 0, len(keys)*5)
	for _, k := range keys {
		args = append(args, k.day, k.team, k.gateway, sums[k][0], sums[k][1])
	}
	if err := t.upsertChunks("compliance_sla_days", []string{"day", "team_id", "gateway_id"}, []string{"due", "met"}, len(keys), args); err != nil {
		return err
	}
	if _, err := t.exec("UPDATE compliance_sla_state SET settled_until = ?, max_id = ? WHERE id = 1", until, max(state.maxID, maxID.Int64)); err != nil {
		return fmt.Errorf("record escalation settlement: %w", err)
	}
	return nil
}
