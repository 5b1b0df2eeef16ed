package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/engine"
	"github.com/keeptrail/keeptrail/ingest"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
	"github.com/keeptrail/keeptrail/web"
)

// The benchmarks here run the server's ingest path in one process so that a CPU profile
// shows where the time of bench/ingest.sh goes (HTTP, ingest parsing, sqlstore):
//
//	go test ./bench/ingestbench -run '^$' -bench HTTPIngest/sqlite -benchtime 40x -cpuprofile cpu.out
//	go tool pprof -top -cum ingestbench.test cpu.out
//
// Each iteration posts one batch of 5000 new events; three clients post at once.

const profileBatch = 5000

// batches returns n NDJSON bodies of profileBatch generated events each.
func batches(tb testing.TB, n int) [][]byte {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	times := eventTimes(rng, n*profileBatch, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC))
	out := make([][]byte, n)
	for i := range out {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		for j := range profileBatch {
			k := i*profileBatch + j
			e := newEvent(rng, k, times[k])
			if err := enc.Encode(&e); err != nil {
				tb.Fatal(err)
			}
		}
		out[i] = b.Bytes()
	}
	return out
}

// startServer serves the real handler over db and returns its URL and a gateway token.
func startServer(tb testing.TB, db *sqlstore.DB) (string, string) {
	tb.Helper()
	log := slog.New(slog.DiscardHandler)
	eng := engine.New(db, engine.Options{Logger: log})
	srv := web.NewServer(web.Config{Store: db, Engine: eng, Ingester: ingest.New(db, ingest.Options{BatchSize: benchBatchSize()}),
		Logger: log, MaxBodyBytes: 32 << 20, Registry: prometheus.NewRegistry(), Version: "bench"})
	ts := httptest.NewServer(srv.Handler())
	tb.Cleanup(ts.Close)
	ctx := keeptrail.NewContextWithPrincipal(context.Background(), keeptrail.SystemPrincipal("bench"))
	_, token, err := eng.CreateAPIKey(ctx, engine.NewAPIKey{Name: "bench", Role: keeptrail.RoleGateway})
	if err != nil {
		tb.Fatal(err)
	}
	var hb bytes.Buffer
	for i, g := range gateways {
		json.NewEncoder(&hb).Encode(map[string]any{"gateway": g, "team": teams[gatewayTeam[i]],
			"time": "2025-01-01T00:00:00Z", "healthy": true})
	}
	mustPost(tb, ts.URL+"/api/v1/heartbeats", token, hb.Bytes(), len(gateways))
	return ts.URL, token
}

func mustPost(tb testing.TB, url, token string, body []byte, want int) {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Error(err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var res ingestResult
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &res) != nil || res.Accepted != want {
		tb.Errorf("POST %s: %s %s, want %d accepted", url, resp.Status, b, want)
	}
}

func BenchmarkHTTPIngest(b *testing.B) {
	open := map[string]func(testing.TB, ...sqlstore.Options) *sqlstore.DB{
		"sqlite": testdb.SQLite, "postgres": testdb.Postgres,
	}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			db := open[name](b)
			url, token := startServer(b, db)
			bodies := batches(b, b.N)
			work := make(chan []byte)
			var wg sync.WaitGroup
			b.ResetTimer()
			for range 3 {
				wg.Go(func() {
					for body := range work {
						mustPost(b, url+"/api/v1/events", token, body, profileBatch)
					}
				})
			}
			for _, body := range bodies {
				work <- body
			}
			close(work)
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N*profileBatch)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// benchBatchSize is ingest.Options.BatchSize for the benchmark: $INGEST_BATCH_SIZE, or the
// default.
func benchBatchSize() int {
	n, _ := strconv.Atoi(os.Getenv("INGEST_BATCH_SIZE"))
	return n
}
