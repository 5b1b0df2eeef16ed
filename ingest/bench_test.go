package ingest_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail/ingest"
	"github.com/keeptrail/keeptrail/internal/testdb"
)

// benchBody returns n realistic decision event lines with request ids from first on.
func benchBody(first, n int) []byte {
	var b bytes.Buffer
	start := time.Date(2025, 2, 3, 0, 0, 0, 0, time.UTC)
	decisions := []string{"allowed", "allowed", "allowed", "allowed", "allowed", "allowed", "allowed", "allowed", "blocked", "escalated"}
	severities := []string{"low", "low", "medium", "high", "critical"}
	for i := first; i < first+n; i++ {
		fmt.Fprintf(&b, `{"request_id":"req-%09d","time":%q,"gateway":"gw-%02d","team":"team-%d","user":"user%03d@acme.example",`+
			`"model":"gpt-4o","decision":%q,"severity":%q,"policies_evaluated":%d,"rules_matched":["pii.email"],"categories":["pii"],`+
			`"latency_ms":%d,"tokens_in":%d,"tokens_out":%d,"cost_usd":%.6f}`+"\n",
			i, start.Add(time.Duration(i)*time.Second).Format(time.RFC3339), i%12, i%5, i%300,
			decisions[i%len(decisions)], severities[i%len(severities)], 1+i%6, 20+i%80, 100+i%900, i%700, float64(i%1000)/100000)
	}
	return b.Bytes()
}

// BenchmarkIngestEvents ingests 10,000 new events per operation into SQLite, in batches
// of the default size, and reports events per second.
func BenchmarkIngestEvents(b *testing.B) {
	const perOp = 10000
	db := testdb.SQLite(b)
	in := ingest.New(db, ingest.Options{})
	ctx := as(gatewayKey)
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		body := benchBody(i*perOp, perOp)
		b.SetBytes(int64(len(body)))
		b.StartTimer()
		t0 := time.Now()
		res, err := in.Ingest(ctx, ingest.KindEvents, bytes.NewReader(body))
		total += time.Since(t0)
		if err != nil || res.Accepted != perOp {
			b.Fatalf("%+v, %v", res, err)
		}
	}
	b.ReportMetric(float64(perOp*b.N)/total.Seconds(), "events/s")
}
