package sqlstore

import (
	"database/sql/driver"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	keeptrail "github.com/keeptrail/keeptrail"
)

// defaultPGEventStrategy is how InsertEvents writes to PostgreSQL: "values" (multi-row
// INSERT, as on SQLite), "unnest" (one INSERT ... SELECT FROM unnest of 15 arrays) or
// "copy" (COPY into a temporary staging table, then INSERT ... SELECT).
const defaultPGEventStrategy = "values"

var eventColumnNames = []string{"request_id", "occurred_at", "gateway_id", "team_id", "user_name", "model", "decision",
	"severity", "policies_evaluated", "rules_matched", "categories", "latency_ms", "tokens_in", "tokens_out", "cost_usd"}

// pgxConn runs fn with the pgx connection under the transaction.
func (t *tx) pgxConn(fn func(c *pgx.Conn) error) error {
	return t.conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("driver connection %T is not pgx", dc)
		}
		return fn(sc.Conn())
	})
}

func (t *tx) copyEvents(events []keeptrail.DecisionEvent, unique []int, stored func(int64, string) error) error {
	return t.pgxConn(func(c *pgx.Conn) error {
		if _, err := c.Exec(t.ctx, `CREATE TEMP TABLE IF NOT EXISTS decision_events_stage (
    ord BIGINT, request_id TEXT, occurred_at BIGINT, gateway_id BIGINT, team_id BIGINT, user_name TEXT, model TEXT,
    decision TEXT, severity TEXT, policies_evaluated INTEGER, rules_matched TEXT, categories TEXT, latency_ms BIGINT,
    tokens_in BIGINT, tokens_out BIGINT, cost_usd DOUBLE PRECISION)`); err != nil {
			return fmt.Errorf("create staging table: %w", err)
		}
		// TRUNCATE, not DELETE: autovacuum never visits temporary tables, so deleted rows
		// would pile up and every later INSERT ... SELECT would scan them.
		if _, err := c.Exec(t.ctx, "TRUNCATE decision_events_stage"); err != nil {
			return fmt.Errorf("empty staging table: %w", err)
		}
		var js jsonText
		k := 0
		src := pgx.CopyFromFunc(func() ([]any, error) {
			if k == len(unique) {
				return nil, nil
			}
			e := &events[unique[k]]
			k++
			return []any{int64(k), e.RequestID, e.Time.UnixMicro(), e.GatewayID, e.TeamID, e.User, e.Model, string(e.Decision),
				string(e.Severity), int32(e.PoliciesEvaluated), js.strings(e.RulesMatched), js.strings(e.Categories),
				e.LatencyMS, e.TokensIn, e.TokensOut, e.CostUSD}, nil
		})
		cols := append([]string{"ord"}, eventColumnNames...)
		if _, err := c.CopyFrom(t.ctx, pgx.Identifier{"decision_events_stage"}, cols, src); err != nil {
			return fmt.Errorf("copy into staging table: %w", err)
		}
		rows, err := c.Query(t.ctx, "INSERT INTO decision_events ("+eventColumns+") SELECT "+eventColumns+
			" FROM decision_events_stage ORDER BY ord ON CONFLICT (request_id) DO NOTHING RETURNING id, request_id")
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var rid string
			if err := rows.Scan(&id, &rid); err != nil {
				rows.Close()
				return err
			}
			if err := stored(id, rid); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		return nil
	})
}

const unnestEventsSQL = "INSERT INTO decision_events (" + eventColumns + `)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[],
    $9::integer[], $10::text[], $11::text[], $12::bigint[], $13::bigint[], $14::bigint[], $15::float8[])
ON CONFLICT (request_id) DO NOTHING RETURNING id, request_id`

func (t *tx) unnestEvents(events []keeptrail.DecisionEvent, unique []int, stored func(int64, string) error) error {
	n := len(unique)
	var (
		rid, user, model, decision, severity, rules, cats = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		at, gw, team, lat, tin, tout                      = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		pol                                               = make([]int32, n)
		cost                                              = make([]float64, n)
	)
	var js jsonText
	for k, i := range unique {
		e := &events[i]
		rid[k], at[k], gw[k], team[k], user[k], model[k] = e.RequestID, e.Time.UnixMicro(), e.GatewayID, e.TeamID, e.User, e.Model
		decision[k], severity[k], pol[k] = string(e.Decision), string(e.Severity), int32(e.PoliciesEvaluated)
		rules[k], cats[k], lat[k], tin[k], tout[k], cost[k] = js.strings(e.RulesMatched), js.strings(e.Categories), e.LatencyMS, e.TokensIn, e.TokensOut, e.CostUSD
	}
	vals := []any{rid, at, gw, team, user, model, decision, severity, pol, rules, cats, lat, tin, tout, cost}
	args := make([]driver.NamedValue, len(vals))
	for k, v := range vals {
		args[k] = driver.NamedValue{Ordinal: k + 1, Value: v}
	}
	return t.queryPrepared(unnestEventsSQL, args, func(dest []driver.Value) error { return storedRow(dest, stored) })
}
