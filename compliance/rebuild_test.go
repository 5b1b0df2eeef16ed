package compliance_test

import (
	"context"
	"testing"

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
		if got.Requests != 24 {
			t.Errorf("requests = %d, want 24", got.Requests)
		}
	})
}
