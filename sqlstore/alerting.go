package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"

	keeptrail "github.com/keeptrail/keeptrail"
)

const alertingRuleColumns = "id, name, metric, condition, channel, enabled, created_at, updated_at"

func scanAlertingRule(s scanner) (keeptrail.AlertingRule, error) {
	var r keeptrail.AlertingRule
	var created, updated int64
	if err := s.Scan(&r.ID, &r.Name, &r.Metric, &r.Condition, &r.Channel, &r.Enabled, &created, &updated); err != nil {
		return r, err
	}
	r.CreatedAt = fromMicros(created)
	r.UpdatedAt = fromMicros(updated)
	return r, nil
}

// CreateAlertingRule inserts r and sets its ID; CreatedAt defaults to the transaction's
// time and UpdatedAt to CreatedAt. ECONFLICT on a taken name.
func (t *tx) CreateAlertingRule(r *keeptrail.AlertingRule) error {
	r.CreatedAt = t.orNow(r.CreatedAt)
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	r.UpdatedAt = keeptrail.TruncTime(r.UpdatedAt)
	err := t.queryRow(`INSERT INTO alerting_rules (name, metric, condition, channel, enabled, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		r.Name, r.Metric, r.Condition, r.Channel, r.Enabled, micros(r.CreatedAt), micros(r.UpdatedAt)).Scan(&r.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return conflict("alerting rule", r.Name)
	}
	if err != nil {
		return fmt.Errorf("insert alerting rule: %w", err)
	}
	return nil
}

// AlertingRuleByID returns the alerting rule with the id; ENOTFOUND if there is none.
func (t *tx) AlertingRuleByID(id int64) (keeptrail.AlertingRule, error) {
	r, err := scanAlertingRule(t.queryRow("SELECT "+alertingRuleColumns+" FROM alerting_rules WHERE id = ?", id))
	if err != nil {
		return r, rowErr(err, "select alerting rule", "alerting rule", id)
	}
	return r, nil
}

// AlertingRules lists every alerting rule, oldest first.
func (t *tx) AlertingRules() ([]keeptrail.AlertingRule, error) {
	return queryAll(t, "alerting rules", scanAlertingRule, "SELECT "+alertingRuleColumns+" FROM alerting_rules ORDER BY id")
}

// UpdateAlertingRule writes name, metric, condition, channel and enabled, and sets
// UpdatedAt to the transaction's time. ENOTFOUND if the rule does not exist, ECONFLICT when
// another rule has the new name.
func (t *tx) UpdateAlertingRule(r *keeptrail.AlertingRule) error {
	var taken int
	if err := t.queryRow("SELECT COUNT(*) FROM alerting_rules WHERE name = ? AND id <> ?", r.Name, r.ID).Scan(&taken); err != nil {
		return fmt.Errorf("check alerting rule name: %w", err)
	}
	if taken > 0 {
		return conflict("alerting rule", r.Name)
	}
	r.UpdatedAt = t.now
	res, err := t.exec("UPDATE alerting_rules SET name = ?, metric = ?, condition = ?, channel = ?, enabled = ?, updated_at = ? WHERE id = ?",
		r.Name, r.Metric, r.Condition, r.Channel, r.Enabled, micros(r.UpdatedAt), r.ID)
	if err != nil {
		return writeErr(err, "update alerting rule", "alerting rule", r.Name)
	}
	return mustAffect(res, "update alerting rule", "alerting rule", r.ID)
}
