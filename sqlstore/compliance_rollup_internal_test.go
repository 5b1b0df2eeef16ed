package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	keeptrail "github.com/keeptrail/keeptrail"
)

// BenchmarkRollUpEvents measures what the compliance rollups add to InsertEvents: the
// rollup of one batch of 1000 new decision events, as BenchmarkInsertEvents sends them
// (7 s apart, so a batch spans about two hours).
func BenchmarkRollUpEvents(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			db := openBenchDB(b, name)
			ctx := context.Background()
			var gw keeptrail.Gateway
			if err := db.Update(ctx, func(t keeptrail.Tx) error {
				team, _, err := t.EnsureTeam("payments")
				if err != nil {
					return err
				}
				gw, _, err = t.EnsureGateway("gw-eu-1", team.ID)
				return err
			}); err != nil {
				b.Fatal(err)
			}
			base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
			decisions := []keeptrail.Decision{keeptrail.DecisionAllowed, keeptrail.DecisionAllowed, keeptrail.DecisionAllowed, keeptrail.DecisionBlocked}
			inserted := make([]int, 1000)
			b.ResetTimer()
			// One transaction for all batches: the commit, which InsertEvents pays anyway,
			// is left out of the measure.
			err := db.Update(ctx, func(t keeptrail.Tx) error {
				for n := 0; n < b.N; n++ {
					b.StopTimer()
					events := make([]keeptrail.DecisionEvent, 1000)
					for i := range events {
						k := n*1000 + i
						inserted[i] = i
						events[i] = keeptrail.DecisionEvent{Time: base.Add(time.Duration(k) * 7 * time.Second), GatewayID: gw.ID,
							TeamID: gw.TeamID, Decision: decisions[k%4], Severity: keeptrail.Severities[k%4], PoliciesEvaluated: 3 + k%4}
						if events[i].Decision == keeptrail.DecisionBlocked {
							events[i].RulesMatched = []string{"pii.ssn"}
						}
					}
					b.StartTimer()
					if err := t.(*tx).rollUpEvents(events, inserted); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/batch")
		})
	}
}

// openBenchDB opens a fresh SQLite file, or a fresh schema in $KEEPTRAIL_TEST_POSTGRES
// (skipping without it).
func openBenchDB(b testing.TB, name string) *DB {
	ctx := context.Background()
	dsn := filepath.Join(b.TempDir(), "k.db")
	if name == "postgres" {
		base := os.Getenv("KEEPTRAIL_TEST_POSTGRES")
		if base == "" {
			b.Skip("KEEPTRAIL_TEST_POSTGRES is unset")
		}
		schema := fmt.Sprintf("bench_rollup_%d", time.Now().UnixNano())
		admin, err := sql.Open("pgx", base)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE")
			admin.Close()
		})
		u, err := url.Parse(base)
		if err != nil {
			b.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		dsn = u.String()
	}
	db, err := Open(ctx, dsn, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// ruleDecisions reads ComplianceRuleCounts for [from, to) as rule -> {matches,
// blocked, escalated}.
func ruleDecisions(t *testing.T, db *DB, from, to time.Time) map[string]ruleTally {
	t.Helper()
	out := map[string]ruleTally{}
	err := db.View(context.Background(), func(kt keeptrail.Tx) error {
		counts, err := kt.ComplianceRuleCounts(keeptrail.ComplianceFilter{From: from, To: to})
		for _, c := range counts {
			out[c.Rule] = out[c.Rule].plus(ruleTally{c.Matches, c.Blocked, c.Escalated})
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRuleDecisionsMigration checks the blocked and escalated counts of the rule rollups
// on both databases: counted at ingest (a rule listed twice by an event counts once),
// read the same from months, days, hours and raw edges, and, for a database whose rule
// rollups predate migration 0005 (the columns dropped and the migration applied again),
// zero until the rebuild the migration asks for, then right.
func TestRuleDecisionsMigration(t *testing.T) {
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			db := openBenchDB(t, name)
			ctx := context.Background()
			at := func(month, day, hour, minute int) time.Time {
				return time.Date(2025, time.Month(month), day, hour, minute, 0, 0, time.UTC)
			}
			err := db.Update(ctx, func(kt keeptrail.Tx) error {
				team, _, err := kt.EnsureTeam("payments")
				if err != nil {
					return err
				}
				gw, _, err := kt.EnsureGateway("gw-1", team.ID)
				if err != nil {
					return err
				}
				ev := func(id string, when time.Time, d keeptrail.Decision, rules ...string) keeptrail.DecisionEvent {
					return keeptrail.DecisionEvent{RequestID: id, Time: when, GatewayID: gw.ID, TeamID: team.ID, Decision: d,
						Severity: keeptrail.SeverityHigh, PoliciesEvaluated: 1, RulesMatched: rules}
				}
				_, err = kt.InsertEvents([]keeptrail.DecisionEvent{
					ev("e1", at(1, 10, 9, 15), keeptrail.DecisionBlocked, "pii.ssn", "pii.email", "pii.ssn"),
					ev("e2", at(1, 10, 9, 45), keeptrail.DecisionEscalated, "pii.ssn"),
					ev("e3", at(1, 20, 14, 5), keeptrail.DecisionAllowed, "pii.email"),
					ev("e4", at(1, 21, 0, 0), keeptrail.DecisionBlocked),
					ev("e5", at(2, 3, 23, 59), keeptrail.DecisionBlocked, "secrets.aws_key"),
					ev("e6", at(2, 3, 8, 0), keeptrail.DecisionEscalated, "secrets.aws_key", "pii.email"),
				})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]ruleTally{"pii.ssn": {2, 1, 1}, "pii.email": {3, 1, 1}, "secrets.aws_key": {2, 1, 1}}
			periods := [][2]time.Time{
				{at(1, 1, 0, 0), at(3, 1, 0, 0)},                          // whole months
				{at(1, 10, 9, 30), at(2, 4, 0, 0)},                        // a raw edge, hours, days
				{at(1, 10, 9, 0), at(2, 3, 23, 59).Add(time.Microsecond)}, // hours, days, hours, a raw edge
			}
			wants := []map[string]ruleTally{want,
				{"pii.ssn": {1, 0, 1}, "pii.email": {2, 0, 1}, "secrets.aws_key": {2, 1, 1}}, want}
			for i, p := range periods {
				if got := ruleDecisions(t, db, p[0], p[1]); !reflect.DeepEqual(got, wants[i]) {
					t.Errorf("period %d (%v .. %v): %+v, want %+v", i, p[0], p[1], got, wants[i])
				}
			}

			// A database whose rule rollups were written before migration 0005.
			for _, table := range []string{"compliance_rule_hours", "compliance_rule_days", "compliance_rule_months"} {
				for _, col := range []string{"blocked", "escalated"} {
					if _, err := db.SQL().ExecContext(ctx, "ALTER TABLE "+table+" DROP COLUMN "+col); err != nil {
						t.Fatal(err)
					}
				}
			}
			for _, q := range []string{"DELETE FROM schema_migrations WHERE version = 5", "UPDATE compliance_rollup_state SET rebuild_pending = FALSE"} {
				if _, err := db.SQL().ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			applied, err := db.Migrate(ctx)
			if err != nil || !reflect.DeepEqual(applied, []string{"0005_rule_decisions"}) {
				t.Fatalf("migrate: applied %v, %v", applied, err)
			}
			pending := func() bool {
				var p bool
				if err := db.View(ctx, func(kt keeptrail.Tx) error {
					var err error
					p, err = kt.ComplianceRollupsPending()
					return err
				}); err != nil {
					t.Fatal(err)
				}
				return p
			}
			if !pending() {
				t.Fatal("migration 0005 on rule rollups with rows did not ask for a rebuild")
			}
			if got := ruleDecisions(t, db, periods[0][0], periods[0][1]); !reflect.DeepEqual(got,
				map[string]ruleTally{"pii.ssn": {2, 0, 0}, "pii.email": {3, 0, 0}, "secrets.aws_key": {2, 0, 0}}) {
				t.Errorf("before the rebuild: %+v", got)
			}
			if err := db.Update(ctx, func(kt keeptrail.Tx) error { return kt.RebuildComplianceRollups() }); err != nil {
				t.Fatal(err)
			}
			if pending() {
				t.Error("still pending after the rebuild")
			}
			for i, p := range periods {
				if got := ruleDecisions(t, db, p[0], p[1]); !reflect.DeepEqual(got, wants[i]) {
					t.Errorf("after the rebuild, period %d: %+v, want %+v", i, got, wants[i])
				}
			}

			// A database without rule rollups needs no rebuild.
			empty := openBenchDB(t, name)
			var p bool
			if err := empty.View(ctx, func(kt keeptrail.Tx) error {
				var err error
				p, err = kt.ComplianceRollupsPending()
				return err
			}); err != nil || p {
				t.Errorf("a fresh database: pending %v, %v", p, err)
			}
		})
	}
}
