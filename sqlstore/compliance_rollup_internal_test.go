package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
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

// openBenchDB opens a fresh SQLite file, or a fresh schema in $KEEPTRAIL_TEST_POSTGRES.
func openBenchDB(b *testing.B, name string) *DB {
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
