package engine

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/keeptrail/keeptrail"
)

// AlertingRuleInput is the input of CreateAlertingRule and UpdateAlertingRule. For an
// update, empty fields and a nil Enabled are left as they are. Enabled defaults to true.
type AlertingRuleInput struct {
	Name      string `json:"name"`
	Metric    string `json:"metric"`
	Condition string `json:"condition"`
	Channel   string `json:"channel"`
	Enabled   *bool  `json:"enabled"`
}

// AlertingMetrics lists the metrics an alerting rule may watch.
var AlertingMetrics = []string{"error_rate", "block_rate", "latency_p95_ms", "heartbeat_gap_minutes"}

// maxConditionLength bounds an alerting rule's condition and channel, in bytes.
const maxConditionLength = 512

// alertingRuleTarget is the audit target of an alerting rule.
func alertingRuleTarget(id int64) string { return "alerting_rule:" + strconv.FormatInt(id, 10) }

// validate checks in; for an update (create false) empty fields are allowed.
func (in AlertingRuleInput) validate(create bool) error {
	var v keeptrail.Validation
	if create || in.Name != "" {
		if msg := textProblem(in.Name, true, maxNameLength); msg != "" {
			v.Add("name", "%s", msg)
		}
	}
	if create || in.Metric != "" {
		if in.Metric == "" {
			v.Add("metric", "is required")
		} else if !slices.Contains(AlertingMetrics, in.Metric) {
			v.Add("metric", "must be one of %s", strings.Join(AlertingMetrics, ", "))
		}
	}
	if create || in.Condition != "" {
		if msg := textProblem(in.Condition, true, maxConditionLength); msg != "" {
			v.Add("condition", "%s", msg)
		}
	}
	if msg := textProblem(in.Channel, false, maxConditionLength); msg != "" {
		v.Add("channel", "%s", msg)
	}
	return v.Err()
}

// AlertingRules lists the alerting rules. It needs the read permission.
func (e *Engine) AlertingRules(ctx context.Context) ([]keeptrail.AlertingRule, error) {
	if _, err := e.authorize(ctx, keeptrail.ActRead, opAlertingRulesRead, ""); err != nil {
		return nil, err
	}
	var rs []keeptrail.AlertingRule
	err := e.st.View(ctx, func(tx keeptrail.Tx) error {
		var err error
		rs, err = tx.AlertingRules()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("engine: list alerting rules: %w", err)
	}
	return rs, nil
}

// CreateAlertingRule adds an alerting rule. Alerting rules are organization-wide, so it
// needs the manage permission over every team; a taken name is ECONFLICT. Recorded as
// alerting_rule.created.
func (e *Engine) CreateAlertingRule(ctx context.Context, in AlertingRuleInput) (keeptrail.AlertingRule, error) {
	p, err := e.authorize(ctx, keeptrail.ActManage, opAlertingRuleAdded, "")
	if err != nil {
		return keeptrail.AlertingRule{}, err
	}
	if err := e.requireAllTeams(ctx, p, opAlertingRuleAdded, ""); err != nil {
		return keeptrail.AlertingRule{}, err
	}
	if err := in.validate(true); err != nil {
		return keeptrail.AlertingRule{}, err
	}
	var r keeptrail.AlertingRule
	err = e.update(ctx, p, func(tx keeptrail.Tx) error {
		now := e.clock()
		r = keeptrail.AlertingRule{
			Name: strings.TrimSpace(in.Name), Metric: in.Metric, Condition: strings.TrimSpace(in.Condition),
			Channel: strings.TrimSpace(in.Channel), Enabled: in.Enabled == nil || *in.Enabled,
			CreatedAt: now, UpdatedAt: now,
		}
		if err := tx.CreateAlertingRule(&r); err != nil {
			if keeptrail.ErrorCode(err) == keeptrail.ECONFLICT {
				return keeptrail.Errorf(keeptrail.ECONFLICT, "an alerting rule named %q already exists", r.Name)
			}
			return fmt.Errorf("engine: create alerting rule: %w", err)
		}
		return record(tx, p, opAlertingRuleAdded, alertingRuleTarget(r.ID), nil, map[string]any{
			"name": r.Name, "metric": r.Metric, "condition": r.Condition, "channel": r.Channel, "enabled": r.Enabled,
		})
	})
	if err != nil {
		return keeptrail.AlertingRule{}, err
	}
	return r, nil
}

// UpdateAlertingRule changes the fields of in that are set. It needs the manage
// permission over every team. Recorded as alerting_rule.updated with before/after of each
// changed field; an update that changes nothing writes nothing.
func (e *Engine) UpdateAlertingRule(ctx context.Context, id int64, in AlertingRuleInput) (keeptrail.AlertingRule, error) {
	target := alertingRuleTarget(id)
	p, err := e.authorize(ctx, keeptrail.ActManage, opAlertingRuleChange, target)
	if err != nil {
		return keeptrail.AlertingRule{}, err
	}
	if err := e.requireAllTeams(ctx, p, opAlertingRuleChange, target); err != nil {
		return keeptrail.AlertingRule{}, err
	}
	if err := in.validate(false); err != nil {
		return keeptrail.AlertingRule{}, err
	}
	var r keeptrail.AlertingRule
	err = e.update(ctx, p, func(tx keeptrail.Tx) error {
		var err error
		if r, err = tx.AlertingRuleByID(id); err != nil {
			return lookupErr(err, "alerting rule %d", id)
		}
		changed := map[string]any{}
		set := func(field string, cur *string, val string) {
			val = strings.TrimSpace(val)
			if val != "" && val != *cur {
				changed[field] = map[string]string{"before": *cur, "after": val}
				*cur = val
			}
		}
		set("name", &r.Name, in.Name)
		set("metric", &r.Metric, in.Metric)
		set("condition", &r.Condition, in.Condition)
		set("channel", &r.Channel, in.Channel)
		if in.Enabled != nil && *in.Enabled != r.Enabled {
			changed["enabled"] = map[string]bool{"before": r.Enabled, "after": *in.Enabled}
			r.Enabled = *in.Enabled
		}
		if len(changed) == 0 {
			return nil
		}
		r.UpdatedAt = e.clock()
		if err := tx.UpdateAlertingRule(&r); err != nil {
			if keeptrail.ErrorCode(err) == keeptrail.ECONFLICT {
				return keeptrail.Errorf(keeptrail.ECONFLICT, "an alerting rule named %q already exists", r.Name)
			}
			return fmt.Errorf("engine: update alerting rule: %w", err)
		}
		return record(tx, p, opAlertingRuleChange, target, nil, changed)
	})
	if err != nil {
		return keeptrail.AlertingRule{}, err
	}
	return r, nil
}
