package auditlog

import (
	"context"
	"testing"

	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// BenchmarkVerify100k verifies a log of 100,000 entries with a checkpoint every 10,000
// and reports entries verified per second:
//
//	go test ./auditlog -run '^$' -bench Verify100k -benchtime 3x
func BenchmarkVerify100k(b *testing.B) {
	const n, step = 100_000, 10_000
	open := map[string]func(testing.TB, ...sqlstore.Options) *sqlstore.DB{
		"sqlite":   testdb.SQLite,
		"postgres": testdb.Postgres,
	}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			db := open[name](b)
			s := testSigner(1)
			for first := 1; first <= n; first += step {
				appendEntries(b, db, first, first+step-1)
				if _, err := Checkpoint(context.Background(), db, s); err != nil {
					b.Fatal(err)
				}
			}
			var rep Report
			runs := 0
			for b.Loop() {
				runs++
				var err error
				rep, err = Verify(context.Background(), db, s.PublicKey())
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if !rep.OK || rep.Entries != n {
				b.Fatalf("report = OK %v, %d entries, problems %v", rep.OK, rep.Entries, rep.Problems)
			}
			b.ReportMetric(float64(n)*float64(runs)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}
