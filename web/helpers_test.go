package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/engine"
	"github.com/keeptrail/keeptrail/ingest"
	"github.com/keeptrail/keeptrail/sqlstore"
	"github.com/keeptrail/keeptrail/web"
	"github.com/prometheus/client_golang/prometheus"
)

// testServer is a real server on a real store, reached over HTTP through httptest.
type testServer struct {
	t    *testing.T
	db   *sqlstore.DB
	eng  *engine.Engine
	srv  *web.Server
	url  string
	logs *syncBuffer
}

// newTestServer starts a server on db; cfg's Store, Engine, Ingester, Logger and Registry
// are filled in.
func newTestServer(t *testing.T, db *sqlstore.DB, cfg web.Config) *testServer {
	t.Helper()
	return newTestServerAt(t, db, cfg, nil)
}

// newTestServerAt is newTestServer with withURL, when not nil, completing cfg with the
// server's URL before the server is built (the export notifier's links need it).
func newTestServerAt(t *testing.T, db *sqlstore.DB, cfg web.Config, withURL func(url string, cfg *web.Config)) *testServer {
	t.Helper()
	ts := &testServer{t: t, db: db, logs: &syncBuffer{}}
	ts.eng = engine.New(db, engine.Options{})
	cfg.Store = db
	cfg.Engine = ts.eng
	cfg.Ingester = ingest.New(db, ingest.Options{})
	cfg.Logger = slog.New(slog.NewJSONHandler(ts.logs, nil))
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	hs := httptest.NewUnstartedServer(nil)
	ts.url = "http://" + hs.Listener.Addr().String()
	if withURL != nil {
		withURL(ts.url, &cfg)
	}
	ts.srv = web.NewServer(cfg)
	hs.Config.Handler = ts.srv.Handler()
	hs.Start()
	t.Cleanup(hs.Close)
	return ts
}

// system is a context acting as the system principal, to set up fixtures.
func system() context.Context {
	return keeptrail.NewContextWithPrincipal(context.Background(), keeptrail.SystemPrincipal("test"))
}

// key creates an API key with the role (and teams) and returns its token.
func (ts *testServer) key(role keeptrail.Role, teams ...string) string {
	ts.t.Helper()
	_, token, err := ts.eng.CreateAPIKey(system(), engine.NewAPIKey{Name: "test " + string(role), Role: role, Teams: teams})
	if err != nil {
		ts.t.Fatalf("create %s key: %v", role, err)
	}
	return token
}

// teamAdminKey creates a team_admin user in the teams and a key owned by them.
func (ts *testServer) teamAdminKey(email string, teams ...string) string {
	ts.t.Helper()
	if _, err := ts.eng.CreateUser(system(), engine.NewUser{Email: email, Name: email, Role: keeptrail.RoleTeamAdmin, Teams: teams}); err != nil {
		ts.t.Fatalf("create team admin: %v", err)
	}
	_, token, err := ts.eng.CreateAPIKey(system(), engine.NewAPIKey{Name: "team admin", Role: keeptrail.RoleTeamAdmin, OwnerEmail: email})
	if err != nil {
		ts.t.Fatalf("create team admin key: %v", err)
	}
	return token
}

// team creates a team.
func (ts *testServer) team(name string) keeptrail.Team {
	ts.t.Helper()
	team, err := ts.eng.CreateTeam(system(), name)
	if err != nil {
		ts.t.Fatalf("create team %s: %v", name, err)
	}
	return team
}

// response is an HTTP answer read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into v, failing the test if it is not JSON of that shape.
func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("response body %q: %v", r.body, err)
	}
}

// do sends a request; headers come in name, value pairs.
func (ts *testServer) do(method, path, token string, body io.Reader, headers ...string) response {
	ts.t.Helper()
	req, err := http.NewRequest(method, ts.url+path, body)
	if err != nil {
		ts.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		ts.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// call sends a JSON body (nil for none) and decodes a JSON answer into out (nil to skip),
// failing the test unless the status is want.
func (ts *testServer) call(method, path, token string, in any, want int, out any) response {
	ts.t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			ts.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	res := ts.do(method, path, token, body, "Content-Type", "application/json")
	if res.status != want {
		ts.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, res.status, want, res.body)
	}
	if out != nil {
		res.json(ts.t, out)
	}
	return res
}

// auditHead returns the audit log's last sequence number.
func (ts *testServer) auditHead() int64 {
	ts.t.Helper()
	var seq int64
	err := ts.db.View(context.Background(), func(tx keeptrail.Tx) error {
		var err error
		seq, _, err = tx.AuditHead()
		return err
	})
	if err != nil {
		ts.t.Fatalf("audit head: %v", err)
	}
	return seq
}

// auditSince returns the audit entries after seq.
func (ts *testServer) auditSince(seq int64) []keeptrail.AuditEntry {
	ts.t.Helper()
	var out []keeptrail.AuditEntry
	err := ts.db.View(context.Background(), func(tx keeptrail.Tx) error {
		return tx.AuditEntries(seq+1, 0, func(e keeptrail.AuditEntry) error {
			out = append(out, e)
			return nil
		})
	})
	if err != nil {
		ts.t.Fatalf("audit entries: %v", err)
	}
	return out
}

// auditActions lists "action outcome" of entries, for compact comparisons.
func auditActions(entries []keeptrail.AuditEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Action + " " + e.Outcome
	}
	return out
}

// errorBody is the JSON error shape.
type errorBody struct {
	Error struct {
		Code    string                 `json:"code"`
		Message string                 `json:"message"`
		Fields  []keeptrail.FieldError `json:"fields"`
	} `json:"error"`
}

// wantError checks a JSON error answer's status, code and fields.
func wantError(t *testing.T, res response, status int, code string, fields ...keeptrail.FieldError) errorBody {
	t.Helper()
	if res.status != status {
		t.Fatalf("status %d, want %d; body %s", res.status, status, res.body)
	}
	if ct := res.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var e errorBody
	res.json(t, &e)
	if e.Error.Code != code {
		t.Errorf("error code %q, want %q; body %s", e.Error.Code, code, res.body)
	}
	if e.Error.Message == "" {
		t.Errorf("error message is empty; body %s", res.body)
	}
	if len(fields) > 0 || len(e.Error.Fields) > 0 {
		if !equalFields(e.Error.Fields, fields) {
			t.Errorf("error fields %v, want %v", e.Error.Fields, fields)
		}
	}
	return e
}

func equalFields(a, b []keeptrail.FieldError) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// syncBuffer is a bytes.Buffer safe for the server's concurrent log writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// logLines returns the JSON log records whose msg is msg.
func (s *syncBuffer) logLines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(s.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
