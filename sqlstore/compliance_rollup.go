package sqlstore

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"

	keeptrail "github.com/keeptrail/keeptrail"
)

// Rollup buckets, in microseconds. Integer division truncates toward zero in Go, SQLite
// and PostgreSQL alike, so the three agree on every bucket.
const (
	hourMicros int64 = 3_600_000_000
	dayMicros  int64 = 24 * hourMicros
)

func hourOf(us int64) int64 { return us / hourMicros * hourMicros }
func dayOf(us int64) int64  { return us / dayMicros * dayMicros }

// rollupRows is how many rows one rollup upsert statement carries.
const rollupRows = 400

// eventKey is one row of compliance_event_hours or compliance_event_days.
type eventKey struct {
	bucket, team, gateway int64
	decision, severity    string
}

// ruleKey is one row of compliance_rule_hours or compliance_rule_days.
type ruleKey struct {
	bucket, team, gateway int64
	rule                  string
}

// gatewayHourKey is one row of compliance_gateway_hours.
type gatewayHourKey struct{ hour, gateway int64 }

// eventTally counts requests and those evaluated by at least one policy.
type eventTally struct{ requests, enforced int64 }

// gatewayTally counts the events and heartbeats of a gateway in an hour.
type gatewayTally struct{ events, heartbeats int64 }

// rollup aggregates rows in memory before they are added to the rollup tables.
type rollup struct {
	eventHours, eventDays map[eventKey]eventTally
	ruleHours, ruleDays   map[ruleKey]int64
	gatewayHours          map[gatewayHourKey]gatewayTally
}

func newRollup() *rollup {
	return &rollup{
		eventHours: map[eventKey]eventTally{}, eventDays: map[eventKey]eventTally{},
		ruleHours: map[ruleKey]int64{}, ruleDays: map[ruleKey]int64{},
		gatewayHours: map[gatewayHourKey]gatewayTally{},
	}
}

// addEvent counts one stored decision event. A rule listed twice by one event counts once.
func (r *rollup) addEvent(at, team, gateway int64, decision, severity string, policies int, rules []string) {
	h, d := hourOf(at), dayOf(at)
	enforced := int64(0)
	if policies >= 1 {
		enforced = 1
	}
	for _, k := range []struct {
		m      map[eventKey]eventTally
		bucket int64
	}{{r.eventHours, h}, {r.eventDays, d}} {
		key := eventKey{k.bucket, team, gateway, decision, severity}
		v := k.m[key]
		v.requests++
		v.enforced += enforced
		k.m[key] = v
	}
	for i, rule := range rules {
		if slices.Contains(rules[:i], rule) {
			continue
		}
		r.ruleHours[ruleKey{h, team, gateway, rule}]++
		r.ruleDays[ruleKey{d, team, gateway, rule}]++
	}
	g := r.gatewayHours[gatewayHourKey{h, gateway}]
	g.events++
	r.gatewayHours[gatewayHourKey{h, gateway}] = g
}

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
	if err := t.upsertEventTallies("compliance_event_hours", "hour", r.eventHours); err != nil {
		return err
	}
	if err := t.upsertEventTallies("compliance_event_days", "day", r.eventDays); err != nil {
		return err
	}
	if err := t.upsertRuleTallies("compliance_rule_hours", "hour", r.ruleHours); err != nil {
		return err
	}
	if err := t.upsertRuleTallies("compliance_rule_days", "day", r.ruleDays); err != nil {
		return err
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
			cmp.Compare(a.decision, b.decision), cmp.Compare(a.severity, b.severity))
	})
	args := make([]any, 0, len(keys)*7)
	for _, k := range keys {
		v := m[k]
		args = append(args, k.bucket, k.team, k.gateway, k.decision, k.severity, v.requests, v.enforced)
	}
	return t.upsertChunks(table, []string{bucket, "team_id", "gateway_id", "decision", "severity"},
		[]string{"requests", "enforced"}, len(keys), args)
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
