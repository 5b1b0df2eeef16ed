package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
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
// Each iteration posts one batch of 5000 new events; three clients post at once ($CLIENTS).

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
			w0 := writtenBytes()
			for range benchClients() {
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
			reportRate(b, w0)
		})
	}
}

// benchClients is how many clients post at once: $CLIENTS, or 3.
func benchClients() int {
	if n, _ := strconv.Atoi(os.Getenv("CLIENTS")); n > 0 {
		return n
	}
	return 3
}

// benchBatchSize is ingest.Options.BatchSize for the benchmark: $INGEST_BATCH_SIZE, or the
// default.
func benchBatchSize() int {
	n, _ := strconv.Atoi(os.Getenv("INGEST_BATCH_SIZE"))
	return n
}

// BenchmarkLayers posts the same batches at three depths, one batch per iteration and one
// at a time, to split the time of the HTTP ingest path: "store" is sqlstore InsertEvents
// alone (events already parsed, gateway and team IDs set, one transaction per batch),
// "ingest" adds ingest.Ingest (NDJSON parsing, name resolution, escalations, the audit
// entry), "http" adds the web handler, authentication and the HTTP round trip.
func BenchmarkLayers(b *testing.B) {
	open := map[string]func(testing.TB, ...sqlstore.Options) *sqlstore.DB{
		"sqlite": testdb.SQLite, "postgres": testdb.Postgres,
	}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name+"/store", func(b *testing.B) {
			db := open[name](b)
			bodies := batches(b, b.N)
			evs := make([][]keeptrail.DecisionEvent, len(bodies))
			for i, body := range bodies {
				evs[i] = parsedBatch(b, db, body)
			}
			b.ResetTimer()
			w0 := writtenBytes()
			for _, batch := range evs {
				err := db.Update(context.Background(), func(tx keeptrail.Tx) error {
					ins, err := tx.InsertEvents(batch)
					if err == nil && len(ins) != len(batch) {
						err = fmt.Errorf("%d of %d inserted", len(ins), len(batch))
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b, w0)
		})
		b.Run(name+"/ingest", func(b *testing.B) {
			db := open[name](b)
			in := ingest.New(db, ingest.Options{BatchSize: benchBatchSize()})
			ctx := keeptrail.NewContextWithPrincipal(context.Background(),
				&keeptrail.Principal{Kind: keeptrail.ActorAPIKey, Name: "key:bench", Role: keeptrail.RoleGateway, AllTeams: true})
			bodies := batches(b, b.N)
			b.ResetTimer()
			w0 := writtenBytes()
			for _, body := range bodies {
				res, err := in.Ingest(ctx, ingest.KindEvents, bytes.NewReader(body))
				if err != nil || res.Accepted != profileBatch {
					b.Fatalf("ingest: %+v, %v", res, err)
				}
			}
			reportRate(b, w0)
		})
		b.Run(name+"/http", func(b *testing.B) {
			db := open[name](b)
			url, token := startServer(b, db)
			bodies := batches(b, b.N)
			b.ResetTimer()
			w0 := writtenBytes()
			for _, body := range bodies {
				mustPost(b, url+"/api/v1/events", token, body, profileBatch)
			}
			reportRate(b, w0)
		})
	}
}

// parsedBatch parses an NDJSON batch and sets gateway and team IDs from gateways and
// teams registered in db, as ingest does before calling InsertEvents.
func parsedBatch(tb testing.TB, db *sqlstore.DB, body []byte) []keeptrail.DecisionEvent {
	tb.Helper()
	var evs []keeptrail.DecisionEvent
	ids := map[string]int64{}
	err := db.Update(context.Background(), func(tx keeptrail.Tx) error {
		for _, line := range bytes.Split(bytes.TrimSpace(body), []byte("\n")) {
			ev, err := ingest.ParseEvent(line)
			if err != nil {
				return err
			}
			if _, ok := ids[ev.Gateway]; !ok {
				t, _, err := tx.EnsureTeam(ev.Team)
				if err != nil {
					return err
				}
				g, _, err := tx.EnsureGateway(ev.Gateway, t.ID)
				if err != nil {
					return err
				}
				ids[ev.Team], ids[ev.Gateway] = t.ID, g.ID
			}
			ev.TeamID, ev.GatewayID = ids[ev.Team], ids[ev.Gateway]
			evs = append(evs, ev)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return evs
}

// writtenBytes returns the bytes this process has caused to be written to storage so far
// (Linux /proc/self/io), or -1 where that is not available.
func writtenBytes() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "write_bytes: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}

// reportRate reports events/s and, where known, bytes written to storage per event since
// w0 (write amplification: the stored row is about 230 bytes with its indexes).
func reportRate(b *testing.B, w0 int64) {
	b.ReportMetric(float64(b.N*profileBatch)/b.Elapsed().Seconds(), "events/s")
	if w1 := writtenBytes(); w0 >= 0 && w1 >= 0 {
		b.ReportMetric(float64(w1-w0)/float64(b.N*profileBatch), "written-B/event")
	}
}
