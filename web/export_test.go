package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/artifact"
	"github.com/keeptrail/keeptrail/delivery"
	"github.com/keeptrail/keeptrail/engine"
	"github.com/keeptrail/keeptrail/export"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
	"github.com/keeptrail/keeptrail/web"
)

// exportServer is a test server with exports wired, on clock now.
type exportServer struct {
	*testServer
	jobs     *export.Jobs
	notifier *export.Notifier
}

func newExportServer(t *testing.T, db *sqlstore.DB, maxActive int, now func() time.Time) *exportServer {
	t.Helper()
	d, err := artifact.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	signer, err := delivery.NewLinkSigner(bytes.Repeat([]byte("k"), 32), now)
	if err != nil {
		t.Fatal(err)
	}
	var n *export.Notifier
	var q *export.Jobs
	ts := newTestServerAt(t, db, web.Config{}, func(url string, cfg *web.Config) {
		n = &export.Notifier{Links: signer, BaseURL: url, Now: now}
		q = export.NewJobs(export.New(db, export.Options{Version: "test"}),
			export.JobsOptions{Artifacts: d, MaxActive: maxActive, RetryAfter: 42 * time.Second, Notifier: n})
		cfg.Exports = &web.ExportConfig{Jobs: q, Notifier: n}
	})
	return &exportServer{testServer: ts, jobs: q, notifier: n}
}

// userKey creates a user with the role (and teams) and a key owned by them; it returns
// the user and the token.
func (ts *exportServer) userKey(email string, role keeptrail.Role, teams ...string) (keeptrail.User, string) {
	ts.t.Helper()
	u, err := ts.eng.CreateUser(system(), engine.NewUser{Email: email, Name: email, Role: role, Teams: teams})
	if err != nil {
		ts.t.Fatal(err)
	}
	_, token, err := ts.eng.CreateAPIKey(system(), engine.NewAPIKey{Name: email, Role: role, OwnerEmail: email})
	if err != nil {
		ts.t.Fatal(err)
	}
	return u, token
}

// events stores n events a minute apart from Feb 3, 2025 in the gateway (of the team).
func (ts *exportServer) events(gateway, team string, n int) {
	ts.t.Helper()
	err := ts.db.Update(context.Background(), func(tx keeptrail.Tx) error {
		tm, _, err := tx.EnsureTeam(team)
		if err != nil {
			return err
		}
		gw, _, err := tx.EnsureGateway(gateway, tm.ID)
		if err != nil {
			return err
		}
		events := make([]keeptrail.DecisionEvent, n)
		for i := range events {
			events[i] = keeptrail.DecisionEvent{RequestID: fmt.Sprintf("%s-%d", gateway, i), Time: time.Date(2025, 2, 3, 9, i, 0, 0, time.UTC),
				GatewayID: gw.ID, TeamID: tm.ID, User: "=1+1", Decision: keeptrail.DecisionBlocked, Severity: keeptrail.SeverityHigh,
				PoliciesEvaluated: 2}
		}
		_, err = tx.InsertEvents(events)
		return err
	})
	if err != nil {
		ts.t.Fatal(err)
	}
}

func (ts *exportServer) runJobs() {
	ts.t.Helper()
	for {
		ran, err := ts.jobs.RunOne(context.Background())
		if err != nil {
			ts.t.Fatal(err)
		}
		if !ran {
			return
		}
	}
}

const eventsSpec = `{"export":{"type":"events","time_range":{"start":"2025-02-01T00:00:00Z","end":"2025-02-28T23:59:59Z"},
"scope":{"teams":["all"],"gateways":["all"]},"format":"csv"}}`

func TestExportAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ts := newExportServer(t, db, 2, time.Now)
		ts.team("payments")
		ts.team("claims")
		ts.events("gw-pay", "payments", 3)
		ts.events("gw-claims", "claims", 2)
		_, admin := ts.userKey("ana@acme.example", keeptrail.RoleAdmin)
		_, teamAdmin := ts.userKey("tom@acme.example", keeptrail.RoleTeamAdmin, "claims")
		_, auditor := ts.userKey("aud@acme.example", keeptrail.RoleAuditor)

		// JSON, wrapped or not, and YAML: 202 with the id.
		res := ts.do("POST", "/api/v1/exports", teamAdmin, strings.NewReader(eventsSpec), "Content-Type", "application/json")
		var created struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		}
		if res.status != 202 {
			t.Fatalf("POST: %d %s", res.status, res.body)
		}
		res.json(t, &created)
		if created.Status != "queued" || res.header.Get("Location") != fmt.Sprintf("/api/v1/exports/%d", created.ID) {
			t.Fatalf("POST answer %s, Location %q", res.body, res.header.Get("Location"))
		}
		yaml := "export:\n  type: audit_log\n  time_range:\n    start: \"2025-01-01T00:00:00Z\"\n    end: \"2099-12-31T23:59:59Z\"\n  format: ndjson\n"
		res = ts.do("POST", "/api/v1/exports", auditor, strings.NewReader(yaml), "Content-Type", "application/yaml")
		wantError(t, res, 400, "invalid", keeptrail.FieldError{Field: "export.time_range", Reason: "longer than the maximum of 400 days (line 3)"})
		yaml = strings.Replace(yaml, "2099-12-31", "2025-12-31", 1)
		res = ts.do("POST", "/api/v1/exports", auditor, strings.NewReader(yaml), "Content-Type", "application/yaml; charset=utf-8")
		if res.status != 202 {
			t.Fatalf("YAML POST: %d %s", res.status, res.body)
		}
		// Strict: an unknown field, nothing queued.
		res = ts.do("POST", "/api/v1/exports", admin, strings.NewReader(`{"type":"events","formt":"csv"}`), "Content-Type", "application/json")
		wantError(t, res, 400, "invalid", keeptrail.FieldError{Field: "export.formt", Reason: "unknown field"},
			keeptrail.FieldError{Field: "export.time_range", Reason: "required"}, keeptrail.FieldError{Field: "export.format", Reason: "required"})
		// Another team named: 403.
		res = ts.do("POST", "/api/v1/exports", teamAdmin, strings.NewReader(strings.Replace(eventsSpec, `"teams":["all"]`, `"teams":["payments"]`, 1)),
			"Content-Type", "application/json")
		wantError(t, res, 403, "forbidden")

		ts.runJobs()
		var job keeptrail.ExportJob
		ts.call("GET", fmt.Sprintf("/api/v1/exports/%d", created.ID), teamAdmin, nil, 200, &job)
		if job.Status != keeptrail.ExportSucceeded || job.Rows != 2 || job.Population != 2 || job.SHA256 == "" {
			t.Fatalf("job %+v", job)
		}
		res = ts.do("GET", fmt.Sprintf("/api/v1/exports/%d/download", created.ID), teamAdmin, nil)
		sum := sha256.Sum256(res.body)
		if res.status != 200 || hex.EncodeToString(sum[:]) != job.SHA256 ||
			res.header.Get("Content-Disposition") != fmt.Sprintf(`attachment; filename=export-%d.csv`, created.ID) ||
			res.header.Get("Content-Type") != "text/csv; charset=utf-8" || res.header.Get("X-Content-Type-Options") != "nosniff" ||
			res.header.Get("X-Checksum-SHA256") != job.SHA256 {
			t.Fatalf("download: %d %v\n%s", res.status, res.header, res.body)
		}
		if !bytes.Contains(res.body, []byte(",claims,'=1+1,")) || bytes.Contains(res.body, []byte("gw-pay")) {
			t.Fatalf("team admin's file:\n%s", res.body)
		}
		var manifest export.Manifest
		ts.call("GET", fmt.Sprintf("/api/v1/exports/%d/manifest", created.ID), teamAdmin, nil, 200, &manifest)
		if manifest.File.SHA256 != job.SHA256 || manifest.RowsWritten != 2 || manifest.Population != 2 ||
			manifest.RequestedBy.Role != keeptrail.RoleTeamAdmin || !manifest.Formula.Applied || manifest.Formula.Cells != 2 {
			t.Fatalf("manifest %+v", manifest)
		}
		// Others: not found; the list shows one's own.
		wantError(t, ts.do("GET", fmt.Sprintf("/api/v1/exports/%d/download", created.ID), auditor, nil), 404, "not_found")
		var mine struct{ Items []keeptrail.ExportJob }
		ts.call("GET", "/api/v1/exports", auditor, nil, 200, &mine)
		if len(mine.Items) != 1 || mine.Items[0].Type != "audit_log" {
			t.Fatalf("auditor's list %+v", mine.Items)
		}
		ts.call("GET", "/api/v1/exports", admin, nil, 200, &mine)
		if len(mine.Items) != 2 {
			t.Fatalf("admin's list has %d exports", len(mine.Items))
		}

		// The limit: 2 queued or running, then 429 with Retry-After; cancel makes room.
		var a, b exportCreatedBody
		ts.call("POST", "/api/v1/exports", admin, json.RawMessage(eventsSpec), 202, &a)
		ts.call("POST", "/api/v1/exports", admin, json.RawMessage(eventsSpec), 202, &b)
		res = ts.do("POST", "/api/v1/exports", admin, strings.NewReader(eventsSpec), "Content-Type", "application/json")
		wantError(t, res, 429, "too_many_requests")
		if res.header.Get("Retry-After") != "42" {
			t.Fatalf("Retry-After %q", res.header.Get("Retry-After"))
		}
		var canceled keeptrail.ExportJob
		ts.call("POST", fmt.Sprintf("/api/v1/exports/%d/cancel", a.ID), admin, nil, 200, &canceled)
		if canceled.Status != keeptrail.ExportCanceled {
			t.Fatalf("canceled: %+v", canceled)
		}
		wantError(t, ts.do("POST", fmt.Sprintf("/api/v1/exports/%d/cancel", a.ID), admin, nil), 409, "conflict")
		ts.call("POST", "/api/v1/exports", admin, json.RawMessage(eventsSpec), 202, nil)
		wantError(t, ts.do("GET", fmt.Sprintf("/api/v1/exports/%d/download", b.ID), admin, nil), 409, "conflict")
		wantError(t, ts.do("GET", "/api/v1/exports/0/download", admin, nil), 400, "invalid",
			keeptrail.FieldError{Field: "id", Reason: "must be a positive integer"})
		wantError(t, ts.do("GET", "/api/v1/exports/99999", admin, nil), 404, "not_found")
	})
}

type exportCreatedBody struct {
	ID int64 `json:"id"`
}

// TestExportDownloadLink: a signed link works for the user it was issued to, with that
// user's own credentials, until it expires; for anyone else, tampered or expired, it is
// 403, and a link never opens another team's export.
func TestExportDownloadLink(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		now := time.Now()
		clock := func() time.Time { return now }
		ts := newExportServer(t, db, 5, clock)
		ts.team("payments")
		ts.team("claims")
		ts.events("gw-pay", "payments", 2)
		owner, ownerKey := ts.userKey("tom@acme.example", keeptrail.RoleTeamAdmin, "payments")
		other, otherKey := ts.userKey("una@acme.example", keeptrail.RoleTeamAdmin, "claims")
		var created exportCreatedBody
		ts.call("POST", "/api/v1/exports", ownerKey, json.RawMessage(eventsSpec), 202, &created)
		ts.runJobs()
		link, _ := ts.notifier.DownloadLink(created.ID, owner.ID)
		u, err := url.Parse(link)
		if err != nil || !strings.HasPrefix(link, ts.url+fmt.Sprintf("/api/v1/exports/%d/download?", created.ID)) {
			t.Fatalf("link %q: %v", link, err)
		}
		path := u.RequestURI()
		if res := ts.do("GET", path, ownerKey, nil); res.status != 200 || !bytes.Contains(res.body, []byte("gw-pay")) {
			t.Fatalf("owner with the link: %d %s", res.status, res.body)
		}
		wantError(t, ts.do("GET", path, otherKey, nil), 403, "forbidden")
		wantError(t, ts.do("GET", path, "", nil), 401, "unauthorized")
		wantError(t, ts.do("GET", strings.Replace(path, "sig=", "sig=A", 1), ownerKey, nil), 403, "forbidden")
		// A link for the other user, to the owner's export, does not let the other in.
		stolen, _ := ts.notifier.DownloadLink(created.ID, other.ID)
		su, _ := url.Parse(stolen)
		wantError(t, ts.do("GET", su.RequestURI(), otherKey, nil), 404, "not_found")
		// A link for another export id is invalid here.
		wantError(t, ts.do("GET", strings.Replace(path, fmt.Sprintf("/exports/%d/", created.ID), fmt.Sprintf("/exports/%d/", created.ID+1), 1), ownerKey, nil), 403, "forbidden")
		now = now.Add(export.DefaultLinkTTL + time.Second)
		e := wantError(t, ts.do("GET", path, ownerKey, nil), 403, "forbidden")
		if e.Error.Message != "download link has expired" {
			t.Fatalf("expired link message %q", e.Error.Message)
		}
		var downloads []string
		for _, a := range ts.auditSince(0) {
			if a.Action == export.ActionDownloaded {
				var d struct{ Via string }
				json.Unmarshal(a.Details, &d)
				downloads = append(downloads, a.Actor+" "+a.Outcome+" "+d.Via)
			}
		}
		want := []string{"key:" + keyPrefix(ownerKey) + " success link", "key:" + keyPrefix(otherKey) + " denied "}
		if strings.Join(downloads, "|") != strings.Join(want, "|") {
			t.Fatalf("download audit %q, want %q", downloads, want)
		}
	})
}

// keyPrefix returns the prefix of a kt_PREFIX_SECRET token.
func keyPrefix(token string) string { return strings.Split(token, "_")[1] }

// TestExportsNotConfigured checks that a server built without Config.Exports answers
// every export route 503, and that its export queue is its own: a server with exports
// beside it does not lend it its queue.
func TestExportsNotConfigured(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		with := newExportServer(t, db, 2, time.Now)
		without := newTestServer(t, db, web.Config{})
		admin := without.key(keeptrail.RoleAdmin)
		for _, r := range []struct{ method, path string }{
			{"POST", "/api/v1/exports"}, {"GET", "/api/v1/exports"}, {"GET", "/api/v1/exports/1"},
			{"GET", "/api/v1/exports/1/download"}, {"GET", "/api/v1/exports/1/manifest"}, {"POST", "/api/v1/exports/1/cancel"},
		} {
			var body io.Reader
			if r.method == "POST" {
				body = strings.NewReader(eventsSpec)
			}
			e := wantError(t, without.do(r.method, r.path, admin, body, "Content-Type", "application/json"), 503, "unavailable")
			if e.Error.Message != "exports are not configured on this server" {
				t.Errorf("%s %s: message %q", r.method, r.path, e.Error.Message)
			}
		}
		with.call("GET", "/api/v1/exports", admin, nil, 200, nil)
	})
}
