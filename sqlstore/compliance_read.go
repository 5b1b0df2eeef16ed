package sqlstore

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	keeptrail "github.com/keeptrail/keeptrail"
)

// span is a half-open range of microseconds.
type span struct{ from, to int64 }

// periodParts splits [from, to) into whole UTC calendar months, whole UTC days outside
// them, whole hours outside those, and the parts of hours at the edges: the rollups
// answer the first three, raw rows the last. parts[0] are the hours, [1] the days, [2]
// the months, in the order of rollupLevels.
type periodParts struct {
	parts [3][]span
	raw   []span
}

func splitPeriod(from, to time.Time) periodParts {
	var p periodParts
	f, t := from.UnixMicro(), to.UnixMicro()
	if f >= t {
		return p
	}
	add := func(list *[]span, a, b int64) {
		if a < b {
			*list = append(*list, span{a, b})
		}
	}
	h0, h1 := ceilTo(f, hourMicros), hourOf(t)
	if h0 >= h1 {
		add(&p.raw, f, t)
		return p
	}
	add(&p.raw, f, h0)
	add(&p.raw, h1, t)
	d0, d1 := ceilTo(h0, dayMicros), dayOf(h1)
	if d0 >= d1 {
		add(&p.parts[0], h0, h1)
		return p
	}
	add(&p.parts[0], h0, d0)
	add(&p.parts[0], d1, h1)
	m0, m1 := monthOf(d0), monthOf(d1)
	if m0 < d0 {
		m0 = nextMonth(m0)
	}
	if m0 >= m1 {
		add(&p.parts[1], d0, d1)
		return p
	}
	add(&p.parts[1], d0, m0)
	add(&p.parts[1], m1, d1)
	add(&p.parts[2], m0, m1)
	return p
}

// nextMonth is the start of the month after the one starting at us.
func nextMonth(us int64) int64 {
	return time.UnixMicro(us).UTC().AddDate(0, 1, 0).UnixMicro()
}

// ceilTo rounds us up to a multiple of unit (for times after the epoch).
func ceilTo(us, unit int64) int64 {
	b := us / unit * unit
	if b < us {
		b += unit
	}
	return b
}

// complianceWhere returns the conditions and arguments that restrict a rollup or raw
// query to a range of timeCol and to the filter's teams and gateways; ok is false when
// the scope admits nothing.
func complianceWhere(timeCol string, s span, f keeptrail.ComplianceFilter) (string, []any, bool) {
	if scopeEmpty(f.Scope) || (f.GatewayIDs != nil && len(f.GatewayIDs) == 0) {
		return "", nil, false
	}
	where := []string{timeCol + " >= ?", timeCol + " < ?"}
	args := []any{s.from, s.to}
	if cond, a := scopeFilter("team_id", f.Scope); cond != "" {
		where = append(where, cond)
		args = append(args, a...)
	}
	if f.GatewayIDs != nil {
		where = append(where, "gateway_id IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(f.GatewayIDs)), ", ")+")")
		for _, id := range f.GatewayIDs {
			args = append(args, id)
		}
	}
	return " WHERE " + strings.Join(where, " AND "), args, true
}

// ComplianceEventCounts counts the decision events of the filter by team, gateway and
// severity.
func (t *tx) ComplianceEventCounts(f keeptrail.ComplianceFilter) ([]keeptrail.EventCount, error) {
	parts := splitPeriod(f.From, f.To)
	sum := map[eventKey]eventTally{}
	read := func(q, timeCol string, s span) error {
		where, args, ok := complianceWhere(timeCol, s, f)
		if !ok {
			return nil
		}
		rows, err := t.query(strings.Replace(q, "{{WHERE}}", where, 1), args...)
		if err != nil {
			return fmt.Errorf("count decision events: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var k eventKey
			var v eventTally
			if err := rows.Scan(&k.team, &k.gateway, &k.severity, &v.requests, &v.enforced, &v.blocked, &v.escalated); err != nil {
				return fmt.Errorf("scan decision event counts: %w", err)
			}
			sum[k] = sum[k].plus(v)
		}
		return rows.Err()
	}
	const rollupQ = `SELECT team_id, gateway_id, severity, CAST(SUM(requests) AS BIGINT), CAST(SUM(enforced) AS BIGINT),
CAST(SUM(blocked) AS BIGINT), CAST(SUM(escalated) AS BIGINT) FROM %s{{WHERE}} GROUP BY team_id, gateway_id, severity`
	const rawQ = `SELECT team_id, gateway_id, severity, COUNT(*),
CAST(SUM(CASE WHEN policies_evaluated >= 1 THEN 1 ELSE 0 END) AS BIGINT),
CAST(SUM(CASE WHEN decision = 'blocked' THEN 1 ELSE 0 END) AS BIGINT),
CAST(SUM(CASE WHEN decision = 'escalated' THEN 1 ELSE 0 END) AS BIGINT)
FROM decision_events{{WHERE}} GROUP BY team_id, gateway_id, severity`
	for i, l := range rollupLevels {
		for _, s := range parts.parts[i] {
			if err := read(fmt.Sprintf(rollupQ, l.events), l.bucket, s); err != nil {
				return nil, err
			}
		}
	}
	for _, s := range parts.raw {
		if err := read(rawQ, "occurred_at", s); err != nil {
			return nil, err
		}
	}
	out := make([]keeptrail.EventCount, 0, len(sum))
	for k, v := range sum {
		out = append(out, keeptrail.EventCount{TeamID: k.team, GatewayID: k.gateway, Severity: keeptrail.Severity(k.severity),
			Requests: v.requests, Enforced: v.enforced, Blocked: v.blocked, Escalated: v.escalated})
	}
	slices.SortFunc(out, func(a, b keeptrail.EventCount) int {
		return cmp.Or(cmp.Compare(a.TeamID, b.TeamID), cmp.Compare(a.GatewayID, b.GatewayID), cmp.Compare(a.Severity, b.Severity))
	})
	return out, nil
}

// ComplianceRuleCounts counts, by team, gateway and rule, the decision events of the
// filter that matched each rule, and of those the blocked and the escalated ones.
func (t *tx) ComplianceRuleCounts(f keeptrail.ComplianceFilter) ([]keeptrail.RuleCount, error) {
	sum, err := t.ruleTallies(f)
	if err != nil {
		return nil, err
	}
	out := make([]keeptrail.RuleCount, 0, len(sum))
	for k, v := range sum {
		out = append(out, keeptrail.RuleCount{TeamID: k.team, GatewayID: k.gateway, Rule: k.rule,
			Matches: v.matches, Blocked: v.blocked, Escalated: v.escalated})
	}
	slices.SortFunc(out, func(a, b keeptrail.RuleCount) int {
		return cmp.Or(cmp.Compare(a.TeamID, b.TeamID), cmp.Compare(a.GatewayID, b.GatewayID), cmp.Compare(a.Rule, b.Rule))
	})
	return out, nil
}

// ruleTallies sums, by team, gateway and rule (bucket 0), the rollups for the whole
// months, days and hours of the filter's period and the raw events at its edges.
func (t *tx) ruleTallies(f keeptrail.ComplianceFilter) (map[ruleKey]ruleTally, error) {
	parts := splitPeriod(f.From, f.To)
	sum := map[ruleKey]ruleTally{}
	const rollupQ = `SELECT team_id, gateway_id, rule, CAST(SUM(matches) AS BIGINT), CAST(SUM(blocked) AS BIGINT),
CAST(SUM(escalated) AS BIGINT) FROM %s{{WHERE}} GROUP BY team_id, gateway_id, rule`
	read := func(table, timeCol string, s span) error {
		where, args, ok := complianceWhere(timeCol, s, f)
		if !ok {
			return nil
		}
		rows, err := t.query(strings.Replace(fmt.Sprintf(rollupQ, table), "{{WHERE}}", where, 1), args...)
		if err != nil {
			return fmt.Errorf("count matched rules: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var k ruleKey
			var v ruleTally
			if err := rows.Scan(&k.team, &k.gateway, &k.rule, &v.matches, &v.blocked, &v.escalated); err != nil {
				return fmt.Errorf("scan matched rule counts: %w", err)
			}
			sum[k] = sum[k].plus(v)
		}
		return rows.Err()
	}
	for i, l := range rollupLevels {
		for _, s := range parts.parts[i] {
			if err := read(l.rules, l.bucket, s); err != nil {
				return nil, err
			}
		}
	}
	for _, s := range parts.raw {
		if err := t.rawRuleCounts(s, f, sum); err != nil {
			return nil, err
		}
	}
	return sum, nil
}

// decisionTally is one match of a rule by an event with the decision.
func decisionTally(decision string) ruleTally {
	v := ruleTally{matches: 1}
	switch keeptrail.Decision(decision) {
	case keeptrail.DecisionBlocked:
		v.blocked = 1
	case keeptrail.DecisionEscalated:
		v.escalated = 1
	}
	return v
}

// rawRuleCounts adds the rules matched by the raw events of s to sum (bucket 0).
func (t *tx) rawRuleCounts(s span, f keeptrail.ComplianceFilter, sum map[ruleKey]ruleTally) error {
	where, args, ok := complianceWhere("occurred_at", s, f)
	if !ok {
		return nil
	}
	rows, err := t.query("SELECT team_id, gateway_id, decision, rules_matched FROM decision_events"+where+" AND rules_matched <> '[]'", args...)
	if err != nil {
		return fmt.Errorf("read matched rules: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var team, gateway int64
		var decision, text string
		if err := rows.Scan(&team, &gateway, &decision, &text); err != nil {
			return fmt.Errorf("scan matched rules: %w", err)
		}
		var rules []string
		if err := json.Unmarshal([]byte(text), &rules); err != nil {
			return fmt.Errorf("decode matched rules %q: %w", text, err)
		}
		v := decisionTally(decision)
		for i, r := range rules {
			if !slices.Contains(rules[:i], r) {
				k := ruleKey{0, team, gateway, r}
				sum[k] = sum[k].plus(v)
			}
		}
	}
	return rows.Err()
}

// ComplianceGatewayHours returns, per UTC hour starting in [From, To), how many of the
// filter's gateways reported and the sum of their IDs.
func (t *tx) ComplianceGatewayHours(f keeptrail.ComplianceFilter) ([]keeptrail.GatewayHourCount, error) {
	if f.GatewayIDs != nil && len(f.GatewayIDs) == 0 {
		return nil, nil
	}
	q := "SELECT hour, COUNT(*), CAST(SUM(gateway_id) AS BIGINT) FROM compliance_gateway_hours WHERE hour >= ? AND hour < ?"
	args := []any{f.From.UnixMicro(), f.To.UnixMicro()}
	if f.GatewayIDs != nil {
		q += " AND gateway_id IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(f.GatewayIDs)), ", ") + ")"
		for _, id := range f.GatewayIDs {
			args = append(args, id)
		}
	}
	q += " GROUP BY hour ORDER BY hour"
	return queryAll(t, "gateway activity", func(s scanner) (keeptrail.GatewayHourCount, error) {
		var c keeptrail.GatewayHourCount
		var hour int64
		err := s.Scan(&hour, &c.Gateways, &c.IDSum)
		c.Hour = fromMicros(hour)
		return c, err
	}, q, args...)
}

// ComplianceFirstActivity returns each gateway's first hour of activity before the time.
func (t *tx) ComplianceFirstActivity(before time.Time) (map[int64]time.Time, error) {
	type first struct {
		gateway, hour int64
	}
	rows, err := queryAll(t, "first gateway activity", func(s scanner) (first, error) {
		var f first
		err := s.Scan(&f.gateway, &f.hour)
		return f, err
	}, "SELECT gateway_id, MIN(hour) FROM compliance_gateway_hours WHERE hour < ? GROUP BY gateway_id", before.UnixMicro())
	if err != nil {
		return nil, err
	}
	out := make(map[int64]time.Time, len(rows))
	for _, r := range rows {
		out[r.gateway] = fromMicros(r.hour)
	}
	return out, nil
}
