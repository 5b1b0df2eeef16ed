package sqlstore

import (
	"cmp"
	"database/sql/driver"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	keeptrail "github.com/keeptrail/keeptrail"
)

// Rollup buckets, in microseconds. Integer division truncates toward zero in Go, SQLite
// and PostgreSQL alike, so the three agree on every hour and day.
const (
	hourMicros int64 = 3_600_000_000
	dayMicros  int64 = 24 * hourMicros
)

func hourOf(us int64) int64 { return us / hourMicros * hourMicros }
func dayOf(us int64) int64  { return us / dayMicros * dayMicros }

// monthOf is the start of the UTC calendar month of us.
func monthOf(us int64) int64 {
	t := time.UnixMicro(us).UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).UnixMicro()
}

// maxRollupChunk is the most rows one rollup upsert statement carries. Like the event
// insert, rows are written in chunks whose sizes are powers of two, so that a table needs
// at most 9 distinct statements, which the drivers prepare once and keep.
const maxRollupChunk = 256

// eventKey is one row of compliance_event_hours, _days or _months.
type eventKey struct {
	bucket, team, gateway int64
	severity              string
}

// ruleKey is one row of compliance_rule_hours, _days or _months.
type ruleKey struct {
	bucket, team, gateway int64
	rule                  string
}

// ruleTally counts the decision events that matched a rule, and those of them blocked
// and escalated.
type ruleTally struct{ matches, blocked, escalated int64 }

func (a ruleTally) plus(b ruleTally) ruleTally {
	return ruleTally{a.matches + b.matches, a.blocked + b.blocked, a.escalated + b.escalated}
}

// gatewayHourKey is one row of compliance_gateway_hours.
type gatewayHourKey struct{ hour, gateway int64 }

// eventTally counts requests, those evaluated by at least one policy, those blocked and
// those escalated.
type eventTally struct{ requests, enforced, blocked, escalated int64 }

func (a eventTally) plus(b eventTally) eventTally {
	return eventTally{a.requests + b.requests, a.enforced + b.enforced, a.blocked + b.blocked, a.escalated + b.escalated}
}

// gatewayTally counts the events and heartbeats of a gateway in an hour.
type gatewayTally struct{ events, heartbeats int64 }

// Rollup levels: the event and rule tables of each, and the bucket column.
var rollupLevels = []struct {
	events, rules, bucket string
	of                    func(int64) int64
}{
	{"compliance_event_hours", "compliance_rule_hours", "hour", hourOf},
	{"compliance_event_days", "compliance_rule_days", "day", dayOf},
	{"compliance_event_months", "compliance_rule_months", "month", monthOf},
}

// rollup aggregates rows in memory before they are added to the rollup tables: one map of
// events and one of rules per level.
type rollup struct {
	events       [3]map[eventKey]eventTally
	rules        [3]map[ruleKey]ruleTally
	gatewayHours map[gatewayHourKey]gatewayTally
	lastMonth    monthCache
}

func newRollup() *rollup {
	r := &rollup{gatewayHours: map[gatewayHourKey]gatewayTally{}}
	for i := range r.events {
		r.events[i] = map[eventKey]eventTally{}
		r.rules[i] = map[ruleKey]ruleTally{}
	}
	return r
}

// addEvent counts one stored decision event. A rule listed twice by one event counts once.
func (r *rollup) addEvent(at, team, gateway int64, decision, severity string, policies int, rules []string) {
	v := eventTally{requests: 1}
	if policies >= 1 {
		v.enforced = 1
	}
	switch keeptrail.Decision(decision) {
	case keeptrail.DecisionBlocked:
		v.blocked = 1
	case keeptrail.DecisionEscalated:
		v.escalated = 1
	}
	h, d := hourOf(at), dayOf(at)
	buckets := [3]int64{h, d, 0}
	if m := r.lastMonth; m.day == d && m.month != 0 {
		buckets[2] = m.month
	} else {
		buckets[2] = monthOf(at)
		r.lastMonth = monthCache{d, buckets[2]}
	}
	for i, b := range buckets {
		k := eventKey{b, team, gateway, severity}
		r.events[i][k] = r.events[i][k].plus(v)
	}
	r.addRules(buckets, team, gateway, ruleTally{1, v.blocked, v.escalated}, rules)
	g := r.gatewayHours[gatewayHourKey{h, gateway}]
	g.events++
	r.gatewayHours[gatewayHourKey{h, gateway}] = g
}

// addRules counts one decision event (v: one match, and whether it was blocked or
// escalated) for each rule it matched, in the hour, day and month buckets. A rule listed
// twice counts once.
func (r *rollup) addRules(buckets [3]int64, team, gateway int64, v ruleTally, rules []string) {
	for i, rule := range rules {
		if slices.Contains(rules[:i], rule) {
			continue
		}
		for l, b := range buckets {
			k := ruleKey{b, team, gateway, rule}
			r.rules[l][k] = r.rules[l][k].plus(v)
		}
	}
}

// monthCache remembers the month of the last day seen: events come mostly in time order.
type monthCache struct{ day, month int64 }

// addHeartbeat counts one stored heartbeat.
func (r *rollup) addHeartbeat(at, gateway int64) {
	k := gatewayHourKey{hourOf(at), gateway}
	g := r.gatewayHours[k]
	g.heartbeats++
	r.gatewayHours[k] = g
}

// rollUpEvents adds the inserted events (indexes into events) to the rollups. InsertEvents
// calls it in its own transaction, so the rollups count exactly the rows it stored.
func (t *tx) rollUpEvents(events []keeptrail.DecisionEvent, inserted []int) error {
	if len(inserted) == 0 {
		return nil
	}
	r := newRollup()
	for _, i := range inserted {
		e := &events[i]
		r.addEvent(e.Time.UnixMicro(), e.TeamID, e.GatewayID, string(e.Decision), string(e.Severity), e.PoliciesEvaluated, e.RulesMatched)
	}
	return t.addRollup(r)
}

// rollUpHeartbeats adds stored heartbeats to the gateway activity rollup.
func (t *tx) rollUpHeartbeats(hbs []keeptrail.Heartbeat) error {
	if len(hbs) == 0 {
		return nil
	}
	r := newRollup()
	for i := range hbs {
		r.addHeartbeat(hbs[i].Time.UnixMicro(), hbs[i].GatewayID)
	}
	return t.addRollup(r)
}

// addRollup adds r to the rollup tables. Rows are written in key order, so concurrent
// PostgreSQL transactions lock shared rows in the same order and cannot deadlock on them.
// On PostgreSQL the statements go in one round trip (a pgx batch).
func (t *tx) addRollup(r *rollup) error {
	var w upsertWriter
	for i, l := range rollupLevels {
		w.eventTallies(t, l.events, l.bucket, r.events[i])
		w.ruleTallies(t, l.rules, l.bucket, r.rules[i])
	}
	w.gatewayTallies(t, r.gatewayHours)
	return w.flush(t)
}

// upsertWriter collects upsert statements to run together.
type upsertWriter struct {
	stmts []upsertStmt
}

type upsertStmt struct {
	table, sql string
	args       []any
}

// add queues args (cols values per row, n rows) as upserts in chunks of power-of-two sizes.
func (w *upsertWriter) add(t *tx, table string, keys, sums []string, n int, args []any) {
	cols := len(keys) + len(sums)
	for start := 0; start < n; {
		size := 1
		for size*2 <= n-start && size*2 <= maxRollupChunk {
			size *= 2
		}
		end := start + size
		w.stmts = append(w.stmts, upsertStmt{table, t.upsertSQL(table, keys, sums, size), args[start*cols : end*cols]})
		start = end
	}
}

// flush runs the queued statements: on PostgreSQL as one pgx batch on the transaction's
// connection, elsewhere one after the other.
func (w *upsertWriter) flush(t *tx) error {
	if len(w.stmts) == 0 {
		return nil
	}
	if t.db.d.name != "postgres" {
		// Through the connection's prepared statements: preparing a 256-row upsert
		// again for every batch took 40 % of the rollup time.
		var args []driver.NamedValue
		for _, s := range w.stmts {
			args = args[:0]
			for i, v := range s.args {
				args = append(args, driver.NamedValue{Ordinal: i + 1, Value: v})
			}
			if _, _, err := t.execPrepared(s.sql, args); err != nil {
				return fmt.Errorf("add to %s: %w", s.table, err)
			}
		}
		return nil
	}
	return t.conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("driver connection %T is not pgx", dc)
		}
		var batch pgx.Batch
		for _, s := range w.stmts {
			batch.Queue(s.sql, s.args...)
		}
		res := sc.Conn().SendBatch(t.ctx, &batch)
		for _, s := range w.stmts {
			if _, err := res.Exec(); err != nil {
				res.Close()
				return fmt.Errorf("add to %s: %w", s.table, err)
			}
		}
		return res.Close()
	})
}

// upsertSQLCache holds the upsert statements, rebound for their database, by dialect,
// table and row count.
var upsertSQLCache sync.Map // struct{dialect, table string; rows int} -> string

// upsertSQL returns a multi-row INSERT of rows rows into table that adds the sum columns
// to an existing row with the same key.
func (t *tx) upsertSQL(table string, keys, sums []string, rows int) string {
	key := struct {
		dialect, table string
		rows           int
	}{t.db.d.name, table, rows}
	if q, ok := upsertSQLCache.Load(key); ok {
		return q.(string)
	}
	set := make([]string, len(sums))
	for i, c := range sums {
		set[i] = c + " = " + table + "." + c + " + excluded." + c
	}
	cols := append(slices.Clone(keys), sums...)
	q := t.db.d.rebind("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + placeholders(rows, len(cols)) +
		" ON CONFLICT (" + strings.Join(keys, ", ") + ") DO UPDATE SET " + strings.Join(set, ", "))
	upsertSQLCache.Store(key, q)
	return q
}

// upsertChunks writes args (cols values per row, n rows) at once.
func (t *tx) upsertChunks(table string, keys, sums []string, n int, args []any) error {
	var w upsertWriter
	w.add(t, table, keys, sums, n, args)
	return w.flush(t)
}

func (w *upsertWriter) eventTallies(t *tx, table, bucket string, m map[eventKey]eventTally) {
	keys := make([]eventKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b eventKey) int {
		return cmp.Or(cmp.Compare(a.bucket, b.bucket), cmp.Compare(a.team, b.team), cmp.Compare(a.gateway, b.gateway),
			cmp.Compare(a.severity, b.severity))
	})
	args := make([]any, 0, len(keys)*8)
	for _, k := range keys {
		v := m[k]
		args = append(args, k.bucket, k.team, k.gateway, k.severity, v.requests, v.enforced, v.blocked, v.escalated)
	}
	w.add(t, table, []string{bucket, "team_id", "gateway_id", "severity"},
		[]string{"requests", "enforced", "blocked", "escalated"}, len(keys), args)
}

func (w *upsertWriter) ruleTallies(t *tx, table, bucket string, m map[ruleKey]ruleTally) {
	keys := make([]ruleKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b ruleKey) int {
		return cmp.Or(cmp.Compare(a.bucket, b.bucket), cmp.Compare(a.team, b.team), cmp.Compare(a.gateway, b.gateway),
			cmp.Compare(a.rule, b.rule))
	})
	args := make([]any, 0, len(keys)*7)
	for _, k := range keys {
		v := m[k]
		args = append(args, k.bucket, k.team, k.gateway, k.rule, v.matches, v.blocked, v.escalated)
	}
	w.add(t, table, []string{bucket, "team_id", "gateway_id", "rule"}, []string{"matches", "blocked", "escalated"}, len(keys), args)
}

func (w *upsertWriter) gatewayTallies(t *tx, m map[gatewayHourKey]gatewayTally) {
	keys := make([]gatewayHourKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b gatewayHourKey) int {
		return cmp.Or(cmp.Compare(a.hour, b.hour), cmp.Compare(a.gateway, b.gateway))
	})
	args := make([]any, 0, len(keys)*4)
	for _, k := range keys {
		v := m[k]
		args = append(args, k.hour, k.gateway, v.events, v.heartbeats)
	}
	w.add(t, "compliance_gateway_hours", []string{"hour", "gateway_id"}, []string{"events", "heartbeats"}, len(keys), args)
}
