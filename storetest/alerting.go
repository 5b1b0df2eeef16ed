package storetest

import (
	"testing"

	keeptrail "github.com/keeptrail/keeptrail"
)

func testAlertingRules(t *testing.T, st keeptrail.Store) {
	rs := []keeptrail.AlertingRule{
		{Name: "gateway errors", Metric: "error_rate", Condition: "> 0.05 for 10m", Channel: "email:oncall@acme.example", Enabled: true, CreatedAt: at(3, 9, 0)},
		{Name: "silent gateway", Metric: "heartbeat_gap_minutes", Condition: "> 15", Enabled: false},
	}
	update(t, st, func(tx keeptrail.Tx) error {
		for i := range rs {
			if err := tx.CreateAlertingRule(&rs[i]); err != nil {
				return err
			}
		}
		wantEqual(t, "created at defaults to now", rs[1].CreatedAt, tx.Now())
		wantEqual(t, "updated at defaults to created at", rs[1].UpdatedAt, tx.Now())
		err := tx.CreateAlertingRule(&keeptrail.AlertingRule{Name: "gateway errors", Metric: "block_rate", Condition: "> 0.5"})
		wantErr(t, err, keeptrail.ECONFLICT, `alerting rule "gateway errors" already exists`)
		return nil
	})
	wantEqual(t, "created time", rs[0].CreatedAt, stored(at(3, 9, 0)))
	wantEqual(t, "updated time", rs[0].UpdatedAt, stored(at(3, 9, 0)))
	view(t, st, func(tx keeptrail.Tx) error {
		got, err := tx.AlertingRuleByID(rs[1].ID)
		if err != nil {
			return err
		}
		wantEqual(t, "AlertingRuleByID", got, rs[1])
		all, err := tx.AlertingRules()
		if err != nil {
			return err
		}
		wantEqual(t, "AlertingRules", all, rs)
		_, err = tx.AlertingRuleByID(321)
		wantErr(t, err, keeptrail.ENOTFOUND, "alerting rule 321 not found")
		return nil
	})
	r := rs[1]
	r.Name, r.Metric, r.Condition, r.Channel, r.Enabled = "silent gateway (30m)", "heartbeat_gap_minutes", "> 30", "webhook:https://hooks.acme.example/x", true
	update(t, st, func(tx keeptrail.Tx) error {
		if err := tx.UpdateAlertingRule(&r); err != nil {
			return err
		}
		wantEqual(t, "updated at is now", r.UpdatedAt, tx.Now())
		clash := r
		clash.Name = "gateway errors"
		err := tx.UpdateAlertingRule(&clash)
		wantErr(t, err, keeptrail.ECONFLICT, `alerting rule "gateway errors" already exists`)
		err = tx.UpdateAlertingRule(&keeptrail.AlertingRule{ID: 322, Name: "new"})
		wantErr(t, err, keeptrail.ENOTFOUND, "alerting rule 322 not found")
		return nil
	})
	view(t, st, func(tx keeptrail.Tx) error {
		got, err := tx.AlertingRuleByID(r.ID)
		if err != nil {
			return err
		}
		wantEqual(t, "alerting rule after update", got, r)
		return nil
	})
}
