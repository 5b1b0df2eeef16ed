// Package recompute counts what the compliance rollups hold straight from the raw rows,
// with plain SQL over decision_events and heartbeats: the reference the rollups are
// tested against, and the baseline the benchmark compares them with. It is a
// compliance.Counter, so a compliance.Service built with it computes status and score
// from raw rows with the very same formulas.
package recompute

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/keeptrail/keeptrail"
)

// Raw counts raw rows through db (a Keeptrail database: dialect "sqlite" or "postgres").
// It reads outside the caller's transaction.
type Raw struct {
	db      *sql.DB
	dialect string
}

// New returns a counter over db.
func New(db *sql.DB, dialect string) *Raw { return &Raw{db: db, dialect: dialect} }

const hour = "3600000000"

// where returns the condition on a time column and the filter's teams and gateways.
func (r *Raw) where(col string, from, to int64, f keeptrail.ComplianceFilter, teams bool) (string, []any, bool) {
	if f.Scope.None || (f.Scope.TeamIDs != nil && len(f.Scope.TeamIDs) == 0) || (f.GatewayIDs != nil && len(f.GatewayIDs) == 0) {
		return "", nil, false
	}
	conds := []string{col + " >= ?", col + " < ?"}
	args := []any{from, to}
	in := func(column string, ids []int64) {
		conds = append(conds, column+" IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+")")
		for _, id := range ids {
			args = append(args, id)
		}
	}
	if teams && f.Scope.TeamIDs != nil {
		in("e.team_id", f.Scope.TeamIDs)
	}
	if f.GatewayIDs != nil {
		in("gateway_id", f.GatewayIDs)
	}
	return strings.Join(conds, " AND "), args, true
}

// bind turns ? into $n for PostgreSQL.
func (r *Raw) bind(q string) string {
	if r.dialect != "postgres" {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (r *Raw) query(ctx context.Context, q string, args []any, scan func(*sql.Rows) error) error {
	rows, err := r.db.QueryContext(ctx, r.bind(q), args...)
	if err != nil {
		return fmt.Errorf("recompute: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("recompute: scan: %w", err)
		}
	}
	return rows.Err()
}

// EventCounts counts decision events with one GROUP BY over the period's rows.
func (r *Raw) EventCounts(ctx context.Context, _ keeptrail.Tx, f keeptrail.ComplianceFilter) ([]keeptrail.EventCount, error) {
	where, args, ok := r.where("e.occurred_at", f.From.UnixMicro(), f.To.UnixMicro(), f, true)
	if !ok {
		return nil, nil
	}
	var out []keeptrail.EventCount
	err := r.query(ctx, `SELECT e.team_id, e.gateway_id, e.severity, COUNT(*),
    CAST(SUM(CASE WHEN e.policies_evaluated >= 1 THEN 1 ELSE 0 END) AS BIGINT),
    CAST(SUM(CASE WHEN e.decision = 'blocked' THEN 1 ELSE 0 END) AS BIGINT),
    CAST(SUM(CASE WHEN e.decision = 'escalated' THEN 1 ELSE 0 END) AS BIGINT)
FROM decision_events e WHERE `+where+`
GROUP BY e.team_id, e.gateway_id, e.severity ORDER BY e.team_id, e.gateway_id, e.severity`, args,
		func(rows *sql.Rows) error {
			var c keeptrail.EventCount
			if err := rows.Scan(&c.TeamID, &c.GatewayID, &c.Severity, &c.Requests, &c.Enforced, &c.Blocked, &c.Escalated); err != nil {
				return err
			}
			out = append(out, c)
			return nil
		})
	return out, err
}

// RuleCounts counts the events matching each rule with the database's JSON functions
// (a rule listed twice by one event counts once), and of those the blocked and the
// escalated ones.
func (r *Raw) RuleCounts(ctx context.Context, _ keeptrail.Tx, f keeptrail.ComplianceFilter) ([]keeptrail.RuleCount, error) {
	where, args, ok := r.where("e.occurred_at", f.From.UnixMicro(), f.To.UnixMicro(), f, true)
	if !ok {
		return nil, nil
	}
	rules := "json_each(e.rules_matched) AS j"
	value := "j.value"
	if r.dialect == "postgres" {
		rules = "jsonb_array_elements_text(e.rules_matched::jsonb) AS j(value)"
	}
	var out []keeptrail.RuleCount
	err := r.query(ctx, `SELECT e.team_id, e.gateway_id, `+value+`, COUNT(DISTINCT e.id),
COUNT(DISTINCT CASE WHEN e.decision = 'blocked' THEN e.id END),
COUNT(DISTINCT CASE WHEN e.decision = 'escalated' THEN e.id END)
FROM decision_events e, `+rules+` WHERE `+where+`
GROUP BY e.team_id, e.gateway_id, `+value+` ORDER BY e.team_id, e.gateway_id, `+value, args,
		func(rows *sql.Rows) error {
			var c keeptrail.RuleCount
			if err := rows.Scan(&c.TeamID, &c.GatewayID, &c.Rule, &c.Matches, &c.Blocked, &c.Escalated); err != nil {
				return err
			}
			out = append(out, c)
			return nil
		})
	return out, err
}

// GatewayHours finds the hours in which each gateway stored an event or a heartbeat.
func (r *Raw) GatewayHours(ctx context.Context, _ keeptrail.Tx, f keeptrail.ComplianceFilter) ([]keeptrail.GatewayHourCount, error) {
	from, to := ceilHour(f.From.UnixMicro()), ceilHour(f.To.UnixMicro())
	where, args, ok := r.where("occurred_at", from, to, keeptrail.ComplianceFilter{GatewayIDs: f.GatewayIDs}, false)
	if !ok {
		return nil, nil
	}
	var out []keeptrail.GatewayHourCount
	err := r.query(ctx, `SELECT hour, COUNT(*), CAST(SUM(gateway_id) AS BIGINT) FROM (
    SELECT occurred_at / `+hour+` * `+hour+` AS hour, gateway_id FROM decision_events WHERE `+where+`
    UNION
    SELECT occurred_at / `+hour+` * `+hour+` AS hour, gateway_id FROM heartbeats WHERE `+where+`
) AS activity GROUP BY hour ORDER BY hour`, append(args, args...),
		func(rows *sql.Rows) error {
			var c keeptrail.GatewayHourCount
			var h int64
			if err := rows.Scan(&h, &c.Gateways, &c.IDSum); err != nil {
				return err
			}
			c.Hour = time.UnixMicro(h).UTC()
			out = append(out, c)
			return nil
		})
	return out, err
}

// FirstActivity finds each gateway's first event or heartbeat in an hour starting before
// the time.
func (r *Raw) FirstActivity(ctx context.Context, _ keeptrail.Tx, before time.Time) (map[int64]time.Time, error) {
	to := ceilHour(before.UnixMicro())
	out := map[int64]time.Time{}
	err := r.query(ctx, `SELECT gateway_id, MIN(first) FROM (
    SELECT gateway_id, MIN(occurred_at) AS first FROM decision_events WHERE occurred_at < ? GROUP BY gateway_id
    UNION ALL
    SELECT gateway_id, MIN(occurred_at) AS first FROM heartbeats WHERE occurred_at < ? GROUP BY gateway_id
) AS firsts GROUP BY gateway_id`, []any{to, to}, func(rows *sql.Rows) error {
		var gw, first int64
		if err := rows.Scan(&gw, &first); err != nil {
			return err
		}
		out[gw] = time.UnixMicro(first / 3600000000 * 3600000000).UTC()
		return nil
	})
	return out, err
}

// ceilHour rounds microseconds up to a whole hour.
func ceilHour(us int64) int64 {
	h := us / 3600000000 * 3600000000
	if h < us {
		h += 3600000000
	}
	return h
}

// EscalationCounts counts the escalations due in the period, and those resolved within
// their SLA, from the escalation rows.
func (r *Raw) EscalationCounts(ctx context.Context, _ keeptrail.Tx, f keeptrail.ComplianceFilter) (keeptrail.EscalationSLACount, error) {
	var c keeptrail.EscalationSLACount
	where, args, ok := r.where("e.sla_due_at", f.From.UnixMicro(), f.To.UnixMicro(), f, true)
	if !ok {
		return c, nil
	}
	err := r.query(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN e.status = 'resolved' AND e.resolved_at <= e.sla_due_at THEN 1 ELSE 0 END), 0)
FROM escalations e WHERE `+where, args, func(rows *sql.Rows) error { return rows.Scan(&c.Due, &c.Met) })
	return c, err
}
