package export

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// benchEvents is how many events the export benchmarks read (KEEPTRAIL_BENCH_EVENTS).
func benchEvents() int {
	if n, err := strconv.Atoi(os.Getenv("KEEPTRAIL_BENCH_EVENTS")); err == nil && n > 0 {
		return n
	}
	return 200_000
}

// fillEvents stores n events over January 2025 in gateways of five teams.
func fillEvents(b *testing.B, st keeptrail.Store, n int) {
	b.Helper()
	ctx := context.Background()
	var gws []keeptrail.Gateway
	err := st.Update(ctx, func(tx keeptrail.Tx) error {
		for i := range 12 {
			team, _, err := tx.EnsureTeam(fmt.Sprintf("team-%d", i%5))
			if err != nil {
				return err
			}
			gw, _, err := tx.EnsureGateway(fmt.Sprintf("gw-%02d", i), team.ID)
			if err != nil {
				return err
			}
			gws = append(gws, gw)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	step := 31 * 24 * time.Hour / time.Duration(n)
	decisions := []keeptrail.Decision{keeptrail.DecisionAllowed, keeptrail.DecisionAllowed, keeptrail.DecisionBlocked, keeptrail.DecisionEscalated}
	batch := make([]keeptrail.DecisionEvent, 0, 5000)
	for i := 0; i < n; {
		batch = batch[:0]
		for ; i < n && len(batch) < cap(batch); i++ {
			gw := gws[i%len(gws)]
			batch = append(batch, keeptrail.DecisionEvent{
				RequestID: fmt.Sprintf("req-%09d", i), Time: start.Add(time.Duration(i) * step), GatewayID: gw.ID, TeamID: gw.TeamID,
				User: fmt.Sprintf("user%03d@acme.example", i%250), Model: "gpt-4o-mini", Decision: decisions[i%4],
				Severity: keeptrail.Severities[i%4], PoliciesEvaluated: 3, RulesMatched: []string{"pii.email"},
				Categories: []string{"pii"}, LatencyMS: int64(20 + i%80), TokensIn: int64(100 + i%900), TokensOut: int64(i % 400),
				CostUSD: float64(i%1000) * 0.000013,
			})
		}
		if err := st.Update(ctx, func(tx keeptrail.Tx) error { _, err := tx.InsertEvents(batch); return err }); err != nil {
			b.Fatal(err)
		}
	}
}

// benchDB opens $KEEPTRAIL_BENCH_DSN when set (filled once, kept between runs, so that
// native tools can be timed on the same file), else a fresh test database from open.
func benchDB(b *testing.B, open func(testing.TB, ...sqlstore.Options) *sqlstore.DB, dialect string) *sqlstore.DB {
	dsn := os.Getenv("KEEPTRAIL_BENCH_DSN")
	if dsn == "" {
		db := open(b)
		fillEvents(b, db, benchEvents())
		return db
	}
	db, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if db.Dialect() != dialect {
		b.Skipf("KEEPTRAIL_BENCH_DSN is %s", db.Dialect())
	}
	var have int64
	err = db.View(context.Background(), func(tx keeptrail.Tx) error {
		var err error
		have, err = tx.CountDecisionEvents(keeptrail.ExportFilter{Start: time.Unix(0, 0), End: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)})
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	if have == 0 {
		fillEvents(b, db, benchEvents())
	} else if have != int64(benchEvents()) {
		b.Fatalf("%s holds %d events, want %d", dsn, have, benchEvents())
	}
	return db
}

func benchmarkExport(b *testing.B, db *sqlstore.DB, format Format) {
	n := benchEvents()
	s, err := FromFlags(Flags{Type: "events", Format: string(format), Start: "2025-01-01", End: "2025-01-31"}, Limits{})
	if err != nil {
		b.Fatal(err)
	}
	x := New(db, Options{SingleReader: os.Getenv("KEEPTRAIL_BENCH_SINGLE") == "1"})
	b.ResetTimer()
	for range b.N {
		res, err := x.Write(context.Background(), s, adminPrincipal, io.Discard, nil)
		if err != nil {
			b.Fatal(err)
		}
		if res.Rows != int64(n) {
			b.Fatalf("exported %d rows, want %d", res.Rows, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkExportEventsCSVSQLite(b *testing.B) {
	benchmarkExport(b, benchDB(b, testdb.SQLite, "sqlite"), FormatCSV)
}

func BenchmarkExportEventsCSVPostgres(b *testing.B) {
	benchmarkExport(b, benchDB(b, testdb.Postgres, "postgres"), FormatCSV)
}

func BenchmarkExportEventsNDJSONSQLite(b *testing.B) {
	benchmarkExport(b, benchDB(b, testdb.SQLite, "sqlite"), FormatNDJSON)
}
