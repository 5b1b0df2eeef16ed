package compliance_test

import (
	"context"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/compliance"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// TestRollupsBuiltForOlderDatabases checks that a database migrated with decision events
// already in it (its rollups empty, marked pending by the migration) gets them built on
// the first compliance read, with the same figures.
func TestRollupsBuiltForOlderDatabases(t *testing.T) {
	openFixture(t, func(t *testing.T, db *sqlstore.DB, ids fixtureIDs) {
		want, err := fixtureService(t, db, compliance.Options{}).Status(admin, compliance.StatusRequest{})
		if err != nil {
			t.Fatal(err)
		}
		wantRules := allRuleDecisions(t, db)
		if len(wantRules) == 0 {
			t.Fatal("the fixture matched no rule")
		}
		for _, q := range []string{
			"DELETE FROM compliance_event_hours", "DELETE FROM compliance_event_days", "DELETE FROM compliance_event_months",
			"DELETE FROM compliance_rule_hours", "DELETE FROM compliance_rule_days", "DELETE FROM compliance_rule_months",
			"DELETE FROM compliance_gateway_hours", "UPDATE compliance_rollup_state SET rebuild_pending = TRUE",
		} {
			if _, err := db.SQL().ExecContext(context.Background(), q); err != nil {
				t.Fatal(err)
			}
		}
		// A new service (a new process) sees the mark and builds the rollups.
		got, err := fixtureService(t, db, compliance.Options{}).Status(admin, compliance.StatusRequest{})
		if err != nil {
			t.Fatal(err)
		}
		wantJSON(t, "status after the rollups were built", got, want)
		wantJSON(t, "rule decisions after the rollups were built", allRuleDecisions(t, db), wantRules)
		if got.Requests != 24 {
			t.Errorf("requests = %d, want 24", got.Requests)
		}
	})
}

// allRuleDecisions reads the store's blocked and escalated counts by rule for every time.
func allRuleDecisions(t *testing.T, db *sqlstore.DB) ruleDecisions {
	t.Helper()
	var counts []keeptrail.RuleCount
	f := keeptrail.ComplianceFilter{From: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := db.View(context.Background(), func(tx keeptrail.Tx) error {
		var err error
		counts, err = tx.ComplianceRuleCounts(f)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return byRule(counts)
}
