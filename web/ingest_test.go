package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/ingest"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
	"github.com/keeptrail/keeptrail/web"
)

// event returns one NDJSON decision event line (without newline).
func event(requestID, decision, severity string) string {
	return fmt.Sprintf(`{"request_id":%q,"time":"2025-02-03T10:15:00Z","gateway":"gw-eu-1","team":"payments",`+
		`"user":"alice@acme.example","model":"gpt-4o","decision":%q,"severity":%q,"policies_evaluated":3,`+
		`"rules_matched":["pii.ssn"],"categories":["pii"],"latency_ms":42,"tokens_in":512,"tokens_out":0,"cost_usd":0.0031}`,
		requestID, decision, severity)
}

// ingestAnswer is the body of an ingest response. In a wanted answer, a line error reason
// ending in "*" matches any reason that starts with the rest.
type ingestAnswer struct {
	Accepted          int                `json:"accepted"`
	Duplicates        int                `json:"duplicates"`
	Rejected          int                `json:"rejected"`
	EscalationsOpened int                `json:"escalations_opened"`
	Errors            []ingest.LineError `json:"errors"`
}

func equalAnswers(a, b ingestAnswer) bool {
	if a.Accepted != b.Accepted || a.Duplicates != b.Duplicates || a.Rejected != b.Rejected ||
		a.EscalationsOpened != b.EscalationsOpened || len(a.Errors) != len(b.Errors) {
		return false
	}
	for i := range a.Errors {
		got, want := a.Errors[i], b.Errors[i]
		if prefix, ok := strings.CutSuffix(want.Reason, "*"); ok {
			if got.Line != want.Line || !strings.HasPrefix(got.Reason, prefix) {
				return false
			}
		} else if got != want {
			return false
		}
	}
	return true
}

// countEvents returns how many decision events with the request ids are stored.
func countEvents(t *testing.T, db *sqlstore.DB) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM decision_events").Scan(&n); err != nil {
		t.Fatalf("count events: %v", err)
	}
	return n
}

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := io.WriteString(zw, s); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestIngestEvents(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ts := newTestServer(t, db, web.Config{})
		gw := ts.key(keeptrail.RoleGateway)

		mixed := strings.Join([]string{
			event("r-1", "allowed", "low"),
			event("r-2", "escalated", "high"),
			strings.Replace(event("r-3", "allowed", "low"), `"allowed"`, `"maybe"`, 1),
			"",
			`{"request_id":"r-5"}`,
			event("r-6", "blocked", "critical"),
			`not json`,
		}, "\n") + "\n"

		tests := []struct {
			name    string
			body    func() io.Reader
			headers []string
			status  int
			want    ingestAnswer
			stored  int // events stored after the request
		}{{
			name:   "mixed good and bad lines",
			body:   func() io.Reader { return strings.NewReader(mixed) },
			status: http.StatusOK,
			want: ingestAnswer{Accepted: 3, Rejected: 3, EscalationsOpened: 1, Errors: []ingest.LineError{
				{Line: 3, Reason: "decision: must be one of allowed, blocked, escalated"},
				{Line: 5, Reason: "time: is required; gateway: is required; team: is required; decision: is required; severity: is required; policies_evaluated: is required"},
				{Line: 7, Reason: "invalid JSON at byte 0*"}, // the wording after the position is the parser's
			}},
			stored: 3,
		}, {
			name: "the same lines again are duplicates",
			body: func() io.Reader {
				return strings.NewReader(event("r-1", "allowed", "low") + "\n" + event("r-2", "escalated", "high") + "\n")
			},
			status: http.StatusOK,
			want:   ingestAnswer{Duplicates: 2, Errors: []ingest.LineError{}},
			stored: 3,
		}, {
			name: "gzip detected from the body",
			body: func() io.Reader {
				return bytes.NewReader(gzipped(t, event("r-10", "allowed", "low")+"\n"+event("r-11", "blocked", "medium")+"\n"))
			},
			status: http.StatusOK,
			want:   ingestAnswer{Accepted: 2, Errors: []ingest.LineError{}},
			stored: 5,
		}, {
			name: "gzip announced by Content-Encoding",
			body: func() io.Reader {
				return bytes.NewReader(gzipped(t, event("r-12", "allowed", "low")+"\n"+event("r-10", "allowed", "low")+"\n"))
			},
			headers: []string{"Content-Encoding", "gzip"},
			status:  http.StatusOK,
			want:    ingestAnswer{Accepted: 1, Duplicates: 1, Errors: []ingest.LineError{}},
			stored:  6,
		}, {
			name:   "every line rejected is 400 with the same shape",
			body:   func() io.Reader { return strings.NewReader("{}\n\n" + `{"request_id":1}` + "\n") },
			status: http.StatusBadRequest,
			want: ingestAnswer{Rejected: 2, Errors: []ingest.LineError{
				{Line: 1, Reason: "request_id: is required; time: is required; gateway: is required; team: is required; decision: is required; severity: is required; policies_evaluated: is required"},
				{Line: 3, Reason: "request_id: must be a string; time: is required; gateway: is required; team: is required; decision: is required; severity: is required; policies_evaluated: is required"},
			}},
			stored: 6,
		}}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := ts.do("POST", "/api/v1/events", gw, tt.body(), tt.headers...)
				if res.status != tt.status {
					t.Fatalf("status %d, want %d; body %s", res.status, tt.status, res.body)
				}
				var got ingestAnswer
				res.json(t, &got)
				if !equalAnswers(got, tt.want) {
					t.Errorf("answer\n got %v\nwant %v", got, tt.want)
				}
				if n := countEvents(t, db); n != tt.stored {
					t.Errorf("%d events stored, want %d", n, tt.stored)
				}
			})
		}

		// The escalated event opened one escalation, visible through the API.
		admin := ts.key(keeptrail.RoleAdmin)
		var escs struct{ Items []keeptrail.Escalation }
		ts.call("GET", "/api/v1/escalations?status=open", admin, nil, http.StatusOK, &escs)
		if len(escs.Items) != 1 || escs.Items[0].RequestID != "r-2" || escs.Items[0].Severity != keeptrail.SeverityHigh {
			t.Errorf("open escalations %+v, want one for r-2 with severity high", escs.Items)
		}

		// The ingest counters saw every line.
		metrics := string(ts.do("GET", "/metrics", "", nil).body)
		for _, want := range []string{
			`keeptrail_ingest_lines_total{kind="events",result="accepted"} 6`,
			`keeptrail_ingest_lines_total{kind="events",result="duplicate"} 3`,
			`keeptrail_ingest_lines_total{kind="events",result="rejected"} 5`,
			`keeptrail_ingest_escalations_opened_total 1`,
			`keeptrail_http_requests_total{route="POST /api/v1/events",status="200"} 4`,
			`keeptrail_http_requests_total{route="POST /api/v1/events",status="400"} 1`,
		} {
			if !strings.Contains(metrics, want+"\n") {
				t.Errorf("/metrics lacks %q", want)
			}
		}
	})
}

func TestIngestHeartbeatsAndAudit(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ts := newTestServer(t, db, web.Config{})
		gw := ts.key(keeptrail.RoleGateway)

		hb := `{"gateway":"gw-eu-1","team":"payments","time":"2025-02-03T10:15:00Z","config_version":12,"healthy":true,"error_rate":0.002,"tls_min_version":"1.2","encryption_at_rest":true}` + "\n" +
			`{"gateway":"gw-eu-1","time":"yesterday"}` + "\n"
		res := ts.do("POST", "/api/v1/heartbeats", gw, strings.NewReader(hb))
		var got ingestAnswer
		res.json(t, &got)
		if res.status != http.StatusOK || got.Accepted != 1 || got.Rejected != 1 || len(got.Errors) != 1 || got.Errors[0].Line != 2 {
			t.Errorf("heartbeats: status %d, answer %v; want 200 with 1 accepted and line 2 rejected", res.status, got)
		}

		before := ts.auditHead()
		audit := `{"time":"2025-02-03T10:15:00Z","actor":"okta-scim","action":"user.deprovisioned","category":"authorization","team":"payments","target":"user:bob@acme.example","severity":"medium","outcome":"success","source_ip":"203.0.113.7","details":{}}` + "\n"
		res = ts.do("POST", "/api/v1/audit", gw, strings.NewReader(audit))
		got = ingestAnswer{}
		res.json(t, &got)
		if res.status != http.StatusOK || got.Accepted != 1 || got.Rejected != 0 {
			t.Errorf("audit: status %d, answer %v; want 200 with 1 accepted", res.status, got)
		}
		var actions []string
		for _, e := range ts.auditSince(before) {
			actions = append(actions, e.Action)
		}
		if want := []string{"user.deprovisioned", "ingest.audit"}; !equalStrings(actions, want) {
			t.Errorf("audit log after ingest: %v, want %v", actions, want)
		}
	})
}

func TestIngestTooLarge(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		const limit = 4096
		ts := newTestServer(t, db, web.Config{MaxBodyBytes: limit})
		gw := ts.key(keeptrail.RoleGateway)
		var big strings.Builder
		for i := 0; big.Len() <= limit; i++ {
			big.WriteString(event(fmt.Sprintf("big-%04d", i), "allowed", "low") + "\n")
		}

		// Content-Length says it: refused before the body is read.
		res := ts.do("POST", "/api/v1/events", gw, strings.NewReader(big.String()))
		wantError(t, res, http.StatusRequestEntityTooLarge, keeptrail.ETOOLARGE)

		// Chunked, with no length: refused when the limit is crossed.
		res = ts.do("POST", "/api/v1/events", gw, io.MultiReader(strings.NewReader(big.String())))
		wantError(t, res, http.StatusRequestEntityTooLarge, keeptrail.ETOOLARGE)

		// A body under the limit passes.
		res = ts.do("POST", "/api/v1/events", gw, strings.NewReader(event("small", "allowed", "low")+"\n"))
		if res.status != http.StatusOK {
			t.Errorf("small body: status %d, want 200; body %s", res.status, res.body)
		}
	})
}

func TestIngestContentEncoding(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ts := newTestServer(t, db, web.Config{})
		gw := ts.key(keeptrail.RoleGateway)
		res := ts.do("POST", "/api/v1/events", gw, strings.NewReader(event("r-1", "allowed", "low")), "Content-Encoding", "br")
		wantError(t, res, http.StatusBadRequest, keeptrail.EINVALID,
			keeptrail.FieldError{Field: "Content-Encoding", Reason: "must be gzip or absent, not br"})
	})
}

func equalStrings(a, b []string) bool {
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
