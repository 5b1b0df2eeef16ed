package sqlstore

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// rollupTables are the tables RebuildComplianceRollups recomputes.
var rollupTables = []string{"compliance_event_hours", "compliance_event_days", "compliance_event_months",
	"compliance_rule_hours", "compliance_rule_days", "compliance_rule_months", "compliance_gateway_hours"}

// ComplianceRollupsPending reports whether rows stored before the rollups existed still
// have to be rolled up.
func (t *tx) ComplianceRollupsPending() (bool, error) {
	var pending bool
	if err := t.queryRow("SELECT rebuild_pending FROM compliance_rollup_state WHERE id = 1").Scan(&pending); err != nil {
		return false, fmt.Errorf("read compliance rollup state: %w", err)
	}
	return pending, nil
}

// RebuildComplianceRollups recomputes the rollups from the raw decision events and
// heartbeats. The counts are plain GROUP BY statements; the rules matched, stored as JSON
// text, are read and counted here, since the two databases spell JSON functions
// differently.
func (t *tx) RebuildComplianceRollups() error {
	if t.db.d.name == "postgres" {
		// Ingest transactions add to these tables after storing their rows; taking the
		// lock first means every committed row is either seen below or added after.
		if _, err := t.exec("LOCK TABLE " + strings.Join(rollupTables, ", ") + " IN EXCLUSIVE MODE"); err != nil {
			return fmt.Errorf("lock rollup tables: %w", err)
		}
	}
	for _, table := range rollupTables {
		if _, err := t.exec("DELETE FROM " + table); err != nil {
			return fmt.Errorf("empty %s: %w", table, err)
		}
	}
	h, d := strconv.FormatInt(hourMicros, 10), strconv.FormatInt(dayMicros, 10)
	statements := []string{
		`INSERT INTO compliance_event_hours (hour, team_id, gateway_id, severity, requests, enforced, blocked, escalated)
SELECT occurred_at / ` + h + ` * ` + h + `, team_id, gateway_id, severity, COUNT(*),
    SUM(CASE WHEN policies_evaluated >= 1 THEN 1 ELSE 0 END),
    SUM(CASE WHEN decision = 'blocked' THEN 1 ELSE 0 END),
    SUM(CASE WHEN decision = 'escalated' THEN 1 ELSE 0 END)
FROM decision_events GROUP BY occurred_at / ` + h + ` * ` + h + `, team_id, gateway_id, severity`,
		`INSERT INTO compliance_event_days (day, team_id, gateway_id, severity, requests, enforced, blocked, escalated)
SELECT hour / ` + d + ` * ` + d + `, team_id, gateway_id, severity, SUM(requests), SUM(enforced), SUM(blocked), SUM(escalated)
FROM compliance_event_hours GROUP BY hour / ` + d + ` * ` + d + `, team_id, gateway_id, severity`,
		`INSERT INTO compliance_gateway_hours (hour, gateway_id, events, heartbeats)
SELECT hour, gateway_id, SUM(events), SUM(heartbeats) FROM (
    SELECT occurred_at / ` + h + ` * ` + h + ` AS hour, gateway_id, COUNT(*) AS events, 0 AS heartbeats
    FROM decision_events GROUP BY occurred_at / ` + h + ` * ` + h + `, gateway_id
    UNION ALL
    SELECT occurred_at / ` + h + ` * ` + h + ` AS hour, gateway_id, 0 AS events, COUNT(*) AS heartbeats
    FROM heartbeats GROUP BY occurred_at / ` + h + ` * ` + h + `, gateway_id
) AS activity GROUP BY hour, gateway_id`,
	}
	for _, q := range statements {
		if _, err := t.exec(q); err != nil {
			return fmt.Errorf("rebuild compliance rollups: %w", err)
		}
	}
	if err := t.rebuildMonthRollups(); err != nil {
		return err
	}
	if err := t.rebuildRuleRollups(); err != nil {
		return err
	}
	// Escalations are settled again on the next read.
	if _, err := t.exec("DELETE FROM compliance_sla_days"); err != nil {
		return fmt.Errorf("empty compliance_sla_days: %w", err)
	}
	if _, err := t.exec("UPDATE compliance_sla_state SET settled_until = 0, max_id = 0 WHERE id = 1"); err != nil {
		return fmt.Errorf("reset escalation settlement: %w", err)
	}
	if _, err := t.exec("UPDATE compliance_rollup_state SET rebuild_pending = FALSE WHERE id = 1"); err != nil {
		return fmt.Errorf("clear compliance rollup state: %w", err)
	}
	return nil
}

// rebuildMonthRollups adds up the day rows by calendar month, which SQL would spell
// differently on each database.
func (t *tx) rebuildMonthRollups() error {
	rows, err := t.query("SELECT day, team_id, gateway_id, severity, requests, enforced, blocked, escalated FROM compliance_event_days")
	if err != nil {
		return fmt.Errorf("read day rollups: %w", err)
	}
	months := map[eventKey]eventTally{}
	for rows.Next() {
		var k eventKey
		var v eventTally
		if err := rows.Scan(&k.bucket, &k.team, &k.gateway, &k.severity, &v.requests, &v.enforced, &v.blocked, &v.escalated); err != nil {
			rows.Close()
			return fmt.Errorf("scan day rollups: %w", err)
		}
		k.bucket = monthOf(k.bucket)
		months[k] = months[k].plus(v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read day rollups: %w", err)
	}
	var w upsertWriter
	w.eventTallies(t, "compliance_event_months", "month", months)
	return w.flush(t)
}

// rebuildRuleRollups counts the rules matched by every stored event, and of those the
// blocked and escalated ones.
func (t *tx) rebuildRuleRollups() error {
	rows, err := t.query("SELECT occurred_at, team_id, gateway_id, decision, rules_matched FROM decision_events WHERE rules_matched <> '[]'")
	if err != nil {
		return fmt.Errorf("read matched rules: %w", err)
	}
	r := newRollup()
	for rows.Next() {
		var at, team, gateway int64
		var decision, text string
		if err := rows.Scan(&at, &team, &gateway, &decision, &text); err != nil {
			rows.Close()
			return fmt.Errorf("scan matched rules: %w", err)
		}
		var rules []string
		if err := json.Unmarshal([]byte(text), &rules); err != nil {
			rows.Close()
			return fmt.Errorf("decode matched rules %q: %w", text, err)
		}
		r.addRules([3]int64{hourOf(at), dayOf(at), monthOf(at)}, team, gateway, decisionTally(decision), rules)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read matched rules: %w", err)
	}
	var w upsertWriter
	for i, l := range rollupLevels {
		w.ruleTallies(t, l.rules, l.bucket, r.rules[i])
	}
	return w.flush(t)
}
