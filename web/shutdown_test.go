package web_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
	"github.com/keeptrail/keeptrail/web"
	"github.com/prometheus/client_golang/prometheus"
)

// TestGracefulShutdown starts an ingest request on a real listener, cancels the server's
// context while the body is still being sent, and checks that the request finishes with
// 200, its events are stored, new connections are refused and Serve returns nil.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ts := newTestServer(t, db, web.Config{Registry: prometheus.NewRegistry()})
		gw := ts.key(keeptrail.RoleGateway)

		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		served := make(chan error, 1)
		go func() { served <- ts.srv.Serve(ctx, ln) }()

		const n = 30
		var body strings.Builder
		for i := range n {
			body.WriteString(event(fmt.Sprintf("slow-%02d", i), "allowed", "low") + "\n")
		}
		full := body.String()
		third := len(full) / 3

		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		br := bufio.NewReader(conn)
		fmt.Fprintf(conn, "POST /api/v1/events HTTP/1.1\r\nHost: keeptrail\r\nAuthorization: Bearer %s\r\n"+
			"Content-Type: application/x-ndjson\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", gw, len(full))

		// "100 Continue" comes when the handler starts reading the body: the request is in
		// flight from here on.
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("read 100 Continue: %v", err)
		}
		if res.StatusCode != http.StatusContinue {
			t.Fatalf("status %d before the body was sent, want 100", res.StatusCode)
		}
		if _, err := conn.Write([]byte(full[:third])); err != nil {
			t.Fatal(err)
		}

		cancel()
		// Serve must wait for the request; new connections are refused once the listener
		// is closed.
		waitUntil(t, func() bool {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err == nil {
				c.Close()
			}
			return err != nil
		})
		select {
		case err := <-served:
			t.Fatalf("Serve returned %v with a request in flight", err)
		default:
		}

		for _, part := range []string{full[third : 2*third], full[2*third:]} {
			time.Sleep(20 * time.Millisecond)
			if _, err := conn.Write([]byte(part)); err != nil {
				t.Fatalf("write the rest of the body: %v", err)
			}
		}
		res, err = http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("read the response: %v", err)
		}
		var got ingestAnswer
		readJSON(t, res, &got)
		if res.StatusCode != http.StatusOK || got.Accepted != n || got.Rejected != 0 {
			t.Errorf("in-flight ingest: status %d, answer %v; want 200 with %d accepted", res.StatusCode, got, n)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve returned %v, want nil", err)
		}
		if stored := countEvents(t, db); stored != n {
			t.Errorf("%d events stored, want %d", stored, n)
		}
	})
}

// waitUntil polls cond until it holds, failing the test after a generous bound.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not reached in 10 s")
}

func readJSON(t *testing.T, res *http.Response, v any) {
	t.Helper()
	defer res.Body.Close()
	var b strings.Builder
	if _, err := bufio.NewReader(res.Body).WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	response{status: res.StatusCode, body: []byte(b.String())}.json(t, v)
}
