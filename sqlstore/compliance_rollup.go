package sqlstore

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

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

// rollupRows is how many rows one rollup upsert statement carries.
const rollupRows = 400

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
	rules        [3]map[ruleKey]int64
	gatewayHours map[gatewayHourKey]gatewayTally
	lastMonth    monthCache
}

func newRollup() *rollup {
	r := &rollup{gatewayHours: map[gatewayHourKey]gatewayTally{}}
	for i := range r.events {
		r.events[i] = map[eventKey]eventTally{}
		r.rules[i] = map[ruleKey]int64{}
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
	for i, rule := range rules {
		if slices.Contains(rules[:i], rule) {
			continue
		}
		for l, b := range buckets {
			r.rules[l][ruleKey{b, team, gateway, rule}]++
		}
	}
	g := r.gatewayHours[gatewayHourKey{h, gateway}]
	g.events++
	r.gatewayHours[gatewayHourKey{h, gateway}] = g
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
func (t *tx) addRollup(r *rollup) error {
	for i, l := range rollupLevels {
		if err := t.upsertEventTallies(l.events, l.bucket, r.events[i]); err != nil {
			return err
		}
		if err := t.upsertRuleTallies(l.rules, l.bucket, r.rules[i]); err != nil {
			return err
		}
	}
	return t.upsertGatewayTallies(r.gatewayHours)
}

// upsertSQLCache holds the upsert statements by table and row count.
var upsertSQLCache sync.Map // struct{table string; rows int} -> string

// upsertSQL returns a multi-row INSERT of rows rows into table that adds the sum columns
// to an existing row with the same key.
func upsertSQL(table string, keys, sums []string, rows int) string {
	key := struct {
		table string
		rows  int
	}{table, rows}
	if q, ok := upsertSQLCache.Load(key); ok {
		return q.(string)
	}
	set := make([]string, len(sums))
	for i, c := range sums {
		set[i] = c + " = " + table + "." + c + " + excluded." + c
	}
	cols := append(slices.Clone(keys), sums...)
	q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + placeholders(rows, len(cols)) +
		" ON CONFLICT (" + strings.Join(keys, ", ") + ") DO UPDATE SET " + strings.Join(set, ", ")
	upsertSQLCache.Store(key, q)
	return q
}

// upsertChunks writes args (cols values per row, n rows) in statements of rollupRows rows.
func (t *tx) upsertChunks(table string, keys, sums []string, n int, args []any) error {
	cols := len(keys) + len(sums)
	for start := 0; start < n; start += rollupRows {
		end := min(start+rollupRows, n)
		if _, err := t.exec(upsertSQL(table, keys, sums, end-start), args[start*cols:end*cols]...); err != nil {
			return fmt.Errorf("add to %s: %w", table, err)
		}
	}
	return nil
}

func (t *tx) upsertEventTallies(table, bucket string, m map[eventKey]eventTally) error {
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
	return t.upsertChunks(table, []string{bucket, "team_id", "gateway_id", "severity"},
		[]string{"requests", "enforced", "blocked", "escalated"}, len(keys), args)
}

func (t *tx) upsertRuleTallies(table, bucket string, m map[ruleKey]int64) error {
	keys := make([]ruleKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b ruleKey) int {
		return cmp.Or(cmp.Compare(a.bucket, b.bucket), cmp.Compare(a.team, b.team), cmp.Compare(a.gateway, b.gateway),
			cmp.Compare(a.rule, b.rule))
	})
	args := make([]any, 0, len(keys)*5)
	for _, k := range keys {
		args = append(args, k.bucket, k.team, k.gateway, k.rule, m[k])
	}
	return t.upsertChunks(table, []string{bucket, "team_id", "gateway_id", "rule"}, []string{"matches"}, len(keys), args)
}

func (t *tx) upsertGatewayTallies(m map[gatewayHourKey]gatewayTally) error {
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
	return t.upsertChunks("compliance_gateway_hours", []string{"hour", "gateway_id"}, []string{"events", "heartbeats"},
		len(keys), args)
}
