package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
	"github.com/keeptrail/keeptrail/web"
)

func TestHealthReadyMetrics(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ts := newTestServer(t, db, web.Config{Version: "v0.0.0-test"})

		res := ts.do("GET", "/healthz", "", nil)
		if res.status != http.StatusOK || string(res.body) != `{"status":"ok"}`+"\n" {
			t.Errorf("/healthz: %d %q", res.status, res.body)
		}
		res = ts.do("GET", "/readyz", "", nil)
		if res.status != http.StatusOK || string(res.body) != `{"status":"ready"}`+"\n" {
			t.Errorf("/readyz: %d %q", res.status, res.body)
		}

		res = ts.do("GET", "/metrics", "", nil)
		if res.status != http.StatusOK {
			t.Fatalf("/metrics: %d", res.status)
		}
		for _, want := range []string{
			`keeptrail_build_info{version="v0.0.0-test"} 1`,
			`keeptrail_http_requests_total{route="GET /healthz",status="200"} 1`,
			`keeptrail_http_requests_total{route="GET /readyz",status="200"} 1`,
			`keeptrail_http_request_duration_seconds_count{route="GET /healthz",status="200"} 1`,
			"# TYPE go_goroutines gauge",
			"# TYPE process_open_fds gauge",
		} {
			if !strings.Contains(string(res.body), want+"\n") {
				t.Errorf("/metrics lacks %q", want)
			}
		}

		admin := ts.key(keeptrail.RoleAdmin)

		// A store that cannot be read makes the server unready, but still alive.
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		res = ts.do("GET", "/readyz", "", nil)
		if res.status != http.StatusServiceUnavailable || string(res.body) != `{"status":"unavailable"}`+"\n" {
			t.Errorf("/readyz with the store closed: %d %q", res.status, res.body)
		}
		if res := ts.do("GET", "/healthz", "", nil); res.status != http.StatusOK {
			t.Errorf("/healthz with the store closed: %d", res.status)
		}

		// An internal error is shown as "internal error" and logged with its cause.
		e := wantError(t, ts.do("GET", "/api/v1/teams", admin, nil), http.StatusInternalServerError, keeptrail.EINTERNAL)
		if e.Error.Message != "internal error" {
			t.Errorf("internal error message %q", e.Error.Message)
		}
		logged := ts.logs.logLines(t, "request failed")
		if len(logged) != 1 || logged[0]["route"] != "GET /api/v1/teams" || logged[0]["err"] == "" || logged[0]["level"] != "ERROR" {
			t.Errorf("logged internal errors: %v", logged)
		}
	})
}

func TestUnknownRoutesAnswerJSON(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, testdb.SQLite(t), web.Config{})
	wantError(t, ts.do("GET", "/nowhere", "", nil), http.StatusNotFound, keeptrail.ENOTFOUND)
	wantError(t, ts.do("GET", "/api/v1/nothing", "", nil), http.StatusNotFound, keeptrail.ENOTFOUND)
	res := ts.do("DELETE", "/api/v1/teams", "", nil)
	wantError(t, res, http.StatusMethodNotAllowed, "method_not_allowed")
	if got := res.header.Get("Allow"); got != "GET, HEAD, POST" {
		t.Errorf("Allow %q, want GET, HEAD, POST", got)
	}
	res = ts.do("GET", "/api/v1/events", "", nil)
	wantError(t, res, http.StatusMethodNotAllowed, "method_not_allowed")
	if got := res.header.Get("Allow"); got != "POST" {
		t.Errorf("Allow %q, want POST", got)
	}
	metrics := string(ts.do("GET", "/metrics", "", nil).body)
	if want := `keeptrail_http_requests_total{route="unmatched",status="404"} 2`; !strings.Contains(metrics, want) {
		t.Errorf("/metrics lacks %q", want)
	}
}

func TestAccessLog(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, testdb.SQLite(t), web.Config{})
	admin := ts.key(keeptrail.RoleAdmin)
	prefix := strings.Split(admin, "_")[1]
	ts.call("GET", "/api/v1/teams", admin, nil, http.StatusOK, nil)
	ts.do("GET", "/api/v1/teams", "kt_zzzzzzzz_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", nil)

	lines := ts.logs.logLines(t, "http request")
	if len(lines) != 2 {
		t.Fatalf("access log lines: %v", lines)
	}
	for i, want := range []map[string]any{
		{"method": "GET", "route": "GET /api/v1/teams", "path": "/api/v1/teams", "status": float64(200), "principal": "key:" + prefix},
		{"method": "GET", "route": "GET /api/v1/teams", "status": float64(401), "error_code": "unauthorized"},
	} {
		for k, v := range want {
			if lines[i][k] != v {
				t.Errorf("access log line %d: %s = %v, want %v (%v)", i, k, lines[i][k], v, lines[i])
			}
		}
		if _, ok := lines[i]["duration"]; !ok {
			t.Errorf("access log line %d has no duration", i)
		}
	}
	if _, ok := lines[1]["principal"]; ok {
		t.Errorf("a refused request has a principal: %v", lines[1])
	}
}
