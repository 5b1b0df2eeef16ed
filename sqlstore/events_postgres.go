package sqlstore

import (
	"fmt"

	"github.com/jackc/pgx/v5/stdlib"
	keeptrail "github.com/keeptrail/keeptrail"
)

// unnestEventsSQL inserts a whole batch with one statement of 15 array parameters, the
// same statement whatever the batch size, so pgx prepares it once per connection.
// BenchmarkInsertEvents and CPU measurements chose it over a multi-row INSERT ... VALUES
// (15 parameters a row; about 15% more CPU per event, most of it in the client) and over
// COPY into a temporary staging table followed by INSERT ... SELECT (as fast per event,
// but four round trips a batch and a staging table per connection).
const unnestEventsSQL = "INSERT INTO decision_events (" + eventColumns + `)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[],
    $9::integer[], $10::text[], $11::text[], $12::bigint[], $13::bigint[], $14::bigint[], $15::float8[])
ON CONFLICT (request_id) DO NOTHING RETURNING id, request_id`

// unnestEvents inserts events[unique] on PostgreSQL.
func (t *tx) unnestEvents(events []keeptrail.DecisionEvent, unique []int, stored func(int64, string) error) error {
	n := len(unique)
	requestID, user, model, decision := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	severity, rules, categories := make([]string, n), make([]string, n), make([]string, n)
	at, gateway, team := make([]int64, n), make([]int64, n), make([]int64, n)
	latency, tokensIn, tokensOut := make([]int64, n), make([]int64, n), make([]int64, n)
	policies, cost := make([]int32, n), make([]float64, n)
	var js jsonText
	for k, i := range unique {
		e := &events[i]
		requestID[k], at[k], gateway[k], team[k] = e.RequestID, e.Time.UnixMicro(), e.GatewayID, e.TeamID
		user[k], model[k], decision[k], severity[k] = e.User, e.Model, string(e.Decision), string(e.Severity)
		policies[k], rules[k], categories[k] = int32(e.PoliciesEvaluated), js.strings(e.RulesMatched), js.strings(e.Categories)
		latency[k], tokensIn[k], tokensOut[k], cost[k] = e.LatencyMS, e.TokensIn, e.TokensOut, e.CostUSD
	}
	// Through the pgx connection itself: its statement cache prepares the statement once
	// per connection, and the arrays and returned rows skip database/sql's conversions.
	return t.conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("driver connection %T is not pgx", dc)
		}
		rows, err := sc.Conn().Query(t.ctx, unnestEventsSQL, requestID, at, gateway, team, user, model, decision, severity,
			policies, rules, categories, latency, tokensIn, tokensOut, cost)
		if err != nil {
			return err
		}
		defer rows.Close()
		var id int64
		var rid string
		for rows.Next() {
			if err := rows.Scan(&id, &rid); err != nil {
				return err
			}
			if err := stored(id, rid); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}
