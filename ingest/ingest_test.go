package ingest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/ingest"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// gatewayKey is the principal of an organization-wide ingest key.
var gatewayKey = &keeptrail.Principal{Kind: keeptrail.ActorAPIKey, APIKeyID: 1, Name: "key:ingest01",
	Role: keeptrail.RoleGateway, AllTeams: true, SourceIP: "192.0.2.10"}

func as(p *keeptrail.Principal) context.Context {
	return keeptrail.NewContextWithPrincipal(context.Background(), p)
}

// event returns one event line.
func event(id, at, gateway, team, decision, severity string) string {
	return fmt.Sprintf(`{"request_id":%q,"time":%q,"gateway":%q,"team":%q,"decision":%q,"severity":%q,"policies_evaluated":2}`,
		id, at, gateway, team, decision, severity)
}

func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

func mustIngest(t *testing.T, in *ingest.Ingester, kind ingest.Kind, body string) ingest.Result {
	t.Helper()
	res, err := in.Ingest(as(gatewayKey), kind, strings.NewReader(body))
	if err != nil {
		t.Fatalf("Ingest %s: %v", kind, err)
	}
	return res
}

func count(t *testing.T, db *sqlstore.DB, table string) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// auditEntries returns the whole audit log.
func auditEntries(t *testing.T, db *sqlstore.DB) []keeptrail.AuditEntry {
	t.Helper()
	var out []keeptrail.AuditEntry
	err := db.View(context.Background(), func(tx keeptrail.Tx) error {
		return tx.AuditEntries(1, 0, func(e keeptrail.AuditEntry) error { out = append(out, e); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func view[T any](t *testing.T, db *sqlstore.DB, fn func(tx keeptrail.Tx) (T, error)) T {
	t.Helper()
	var v T
	err := db.View(context.Background(), func(tx keeptrail.Tx) error {
		var err error
		v, err = fn(tx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestIngestMixedBody(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		in := ingest.New(db, ingest.Options{BatchSize: 2, MaxLineBytes: 400})
		body := lines(
			event("r-1", "2025-02-03T10:00:00Z", "gw-eu-1", "payments", "allowed", "low"), // 1
			"", // 2 blank
			`{"request_id":"r-2","decision":"allowed"}`,                                         // 3
			event("r-3", "2025-02-03T10:01:00+01:00", "gw-eu-1", "payments", "blocked", "high"), // 4
			"   \t", // 5 blank
			`{"request_id":"r-4",`+strings.Repeat(" ", 400)+`}`,                            // 6 too long
			event("r-5", "2025-02-03T10:02:00Z", "gw-us-1", "radiology", "allowed", "low"), // 7
			`not json`, // 8
			event("r-1", "2025-02-03T10:00:00Z", "gw-eu-1", "payments", "allowed", "low")+"\r",                                                                              // 9 duplicate, CRLF
			strings.Replace(event("r-6", "2025-02-03T10:03:00Z", "gw-eu-1", "payments", "allowed", "low"), `"policies_evaluated":2`, `"policies_evaluated":"2","foo":1`, 1), // 10
			event("r-7", "2025-02-03T10:04:00Z", "gw-us-1", "radiology", "escalated", "medium"),                                                                             // 11, no newline after
		)
		body = strings.TrimSuffix(body, "\n")
		res := mustIngest(t, in, ingest.KindEvents, body)
		want := ingest.Result{Accepted: 4, Duplicates: 1, Rejected: 4, EscalationsOpened: 1, Errors: []ingest.LineError{
			{Line: 3, Reason: "time: is required; gateway: is required; team: is required; severity: is required; policies_evaluated: is required"},
			{Line: 6, Reason: "line: longer than 400 bytes"},
			{Line: 8, Reason: "invalid JSON at byte 0: invalid value"},
			{Line: 10, Reason: "policies_evaluated: must be an integer; foo: unknown field"},
		}}
		if !reflect.DeepEqual(res, want) {
			t.Fatalf("result\n got  %+v\n want %+v", res, want)
		}
		if n := count(t, db, "decision_events"); n != 4 {
			t.Fatalf("%d events stored, want 4", n)
		}
		gws := view(t, db, func(tx keeptrail.Tx) ([]keeptrail.Gateway, error) { return tx.Gateways(keeptrail.TeamScope{}) })
		teams := view(t, db, func(tx keeptrail.Tx) ([]keeptrail.Team, error) { return tx.Teams(keeptrail.TeamScope{}) })
		var names []string
		for _, g := range gws {
			names = append(names, g.Name)
		}
		for _, tm := range teams {
			names = append(names, tm.Name)
		}
		if got := strings.Join(names, ","); got != "gw-eu-1,gw-us-1,payments,radiology" {
			t.Fatalf("registered %s", got)
		}
		// The offset time is stored in UTC; identifiers as sent.
		var at int64
		var gw string
		if err := db.SQL().QueryRow(`SELECT e.occurred_at, g.name FROM decision_events e JOIN gateways g ON g.id = e.gateway_id WHERE e.request_id = 'r-3'`).Scan(&at, &gw); err != nil {
			t.Fatal(err)
		}
		if got := time.UnixMicro(at).UTC(); !got.Equal(time.Date(2025, 2, 3, 9, 1, 0, 0, time.UTC)) || gw != "gw-eu-1" {
			t.Fatalf("r-3 at %v on %s", got, gw)
		}
	})
}

func TestIngestRequestAuditEntry(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		in := ingest.New(db, ingest.Options{BatchSize: 1})
		body := lines(
			event("r-1", "2025-02-03T10:00:00Z", "gw", "t", "allowed", "low"),
			event("r-1", "2025-02-03T10:00:00Z", "gw", "t", "allowed", "low"),
			`{}`,
		)
		mustIngest(t, in, ingest.KindEvents, body)
		mustIngest(t, in, ingest.KindHeartbeats, "")
		mustIngest(t, in, ingest.KindAudit, `{"x":1}`)
		log := auditEntries(t, db)
		if len(log) != 3 {
			t.Fatalf("%d audit entries, want 3: %+v", len(log), log)
		}
		type row struct{ kind, actor, action, category, severity, source, outcome, details string }
		var got []row
		for _, e := range log {
			got = append(got, row{string(e.ActorKind), e.Actor, e.Action, e.Category, string(e.Severity), e.SourceIP, e.Outcome, string(e.Details)})
		}
		want := []row{
			{"api_key", "key:ingest01", "ingest.events", "ingest", "low", "192.0.2.10", "success", `{"accepted":1,"duplicates":1,"rejected":1}`},
			{"api_key", "key:ingest01", "ingest.heartbeats", "ingest", "low", "192.0.2.10", "success", `{"accepted":0,"duplicates":0,"rejected":0}`},
			{"api_key", "key:ingest01", "ingest.audit", "ingest", "low", "192.0.2.10", "failure", `{"accepted":0,"duplicates":0,"rejected":1}`},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("audit log\n got  %+v\n want %+v", got, want)
		}
	})
}

func TestIngestIdempotent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		in := ingest.New(db, ingest.Options{BatchSize: 3})
		var ls []string
		for i := range 10 {
			d := "allowed"
			if i%4 == 0 {
				d = "escalated"
			}
			ls = append(ls, event(fmt.Sprintf("r-%d", i), "2025-02-03T10:00:00Z", "gw", "t", d, "high"))
		}
		body := lines(ls...)
		first := mustIngest(t, in, ingest.KindEvents, body)
		if want := (ingest.Result{Accepted: 10, EscalationsOpened: 3, Errors: []ingest.LineError{}}); !reflect.DeepEqual(first, want) {
			t.Fatalf("first %+v", first)
		}
		second := mustIngest(t, in, ingest.KindEvents, body)
		if want := (ingest.Result{Duplicates: 10, Errors: []ingest.LineError{}}); !reflect.DeepEqual(second, want) {
			t.Fatalf("second %+v", second)
		}
		// A fresh Ingester (no cache) sees the same.
		third := mustIngest(t, ingest.New(db, ingest.Options{}), ingest.KindEvents, body)
		if third.Duplicates != 10 || third.Accepted != 0 {
			t.Fatalf("third %+v", third)
		}
		if e, x := count(t, db, "decision_events"), count(t, db, "escalations"); e != 10 || x != 3 {
			t.Fatalf("%d events, %d escalations stored", e, x)
		}
	})
}

func TestIngestEscalationSLA(t *testing.T) {
	at := time.Date(2025, 2, 3, 10, 15, 0, 0, time.UTC)
	body := lines(
		event("c", "2025-02-03T10:15:00Z", "gw", "t", "escalated", "critical"),
		event("h", "2025-02-03T11:15:00+01:00", "gw", "t", "escalated", "high"),
		event("m", "2025-02-03T10:15:00Z", "gw", "t", "escalated", "medium"),
		event("l", "2025-02-03T10:15:00Z", "gw", "t", "escalated", "low"),
		event("b", "2025-02-03T10:15:00Z", "gw", "t", "blocked", "critical"),
	)
	tests := []struct {
		name     string
		settings func(*keeptrail.Settings)
		sla      map[string]time.Duration
		expiry   time.Duration
	}{
		{"defaults", nil, map[string]time.Duration{"c": time.Hour, "h": 4 * time.Hour, "m": 24 * time.Hour, "l": 72 * time.Hour}, 24 * time.Hour},
		{"configured", func(s *keeptrail.Settings) {
			s.SLAMinutes = map[keeptrail.Severity]int{keeptrail.SeverityCritical: 15, keeptrail.SeverityHigh: 30,
				keeptrail.SeverityMedium: 90, keeptrail.SeverityLow: 600}
			s.ExpiryAfterSLA = 60
		}, map[string]time.Duration{"c": 15 * time.Minute, "h": 30 * time.Minute, "m": 90 * time.Minute, "l": 10 * time.Hour}, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
				if tt.settings != nil {
					err := db.Update(context.Background(), func(tx keeptrail.Tx) error {
						s, err := tx.Settings()
						if err != nil {
							return err
						}
						tt.settings(&s)
						return tx.PutSettings(s)
					})
					if err != nil {
						t.Fatal(err)
					}
				}
				res := mustIngest(t, ingest.New(db, ingest.Options{}), ingest.KindEvents, body)
				if res.Accepted != 5 || res.EscalationsOpened != 4 {
					t.Fatalf("result %+v", res)
				}
				es := view(t, db, func(tx keeptrail.Tx) ([]keeptrail.Escalation, error) {
					return tx.Escalations(keeptrail.EscalationFilter{})
				})
				if len(es) != 4 {
					t.Fatalf("%d escalations", len(es))
				}
				for _, e := range es {
					want := at.Add(tt.sla[e.RequestID])
					if !e.OpenedAt.Equal(at) || !e.SLADueAt.Equal(want) || !e.ExpiresAt.Equal(want.Add(tt.expiry)) ||
						e.Status != keeptrail.EscalationOpen || string(e.Severity) != map[string]string{"c": "critical", "h": "high", "m": "medium", "l": "low"}[e.RequestID] ||
						e.EventID == 0 || e.GatewayID == 0 || e.TeamID == 0 {
						t.Fatalf("escalation %+v: want due %v", e, want)
					}
				}
			})
		})
	}
}

func TestIngestHeartbeats(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		in := ingest.New(db, ingest.Options{BatchSize: 2})
		mustIngest(t, in, ingest.KindEvents, lines(event("r", "2025-02-03T09:00:00Z", "gw-eu-1", "payments", "allowed", "low")))
		res := mustIngest(t, in, ingest.KindHeartbeats, lines(
			`{"gateway":"gw-eu-1","time":"2025-02-03T10:00:00Z","config_version":11,"healthy":true,"error_rate":0.001,"tls_min_version":"1.2","encryption_at_rest":true}`,
			`{"gateway":"gw-eu-1","time":"2025-02-03T10:15:00Z","config_version":11,"healthy":true,"error_rate":0.002}`,
			`{"gateway":"gw-eu-1","time":"2025-02-03T10:30:00Z","config_version":12,"healthy":false,"error_rate":0.2,"tls_min_version":"1.3"}`,
			// older than the newest: stored, but does not change the gateway
			`{"gateway":"gw-eu-1","time":"2025-02-03T10:20:00Z","config_version":11,"healthy":true,"error_rate":0}`,
			`{"gateway":"gw-new","time":"2025-02-03T10:00:00Z","healthy":true}`,
			`{"gateway":"gw-lab","team":"research","time":"2025-02-03T10:00:00Z","config_version":3,"healthy":true,"encryption_at_rest":false}`,
			`{"gateway":"gw-eu-1","time":"2025-02-03T10:45:00Z","healthy":true}`,
			`{"gateway":"gw-eu-1","time":"yesterday","healthy":true}`,
		))
		if res.Accepted != 7 || res.Rejected != 1 || res.Errors[0] != (ingest.LineError{Line: 8, Reason: "time: must be an RFC 3339 time"}) {
			t.Fatalf("result %+v", res)
		}
		gws := view(t, db, func(tx keeptrail.Tx) ([]keeptrail.Gateway, error) { return tx.Gateways(keeptrail.TeamScope{}) })
		byName := map[string]keeptrail.Gateway{}
		for _, g := range gws {
			byName[g.Name] = g
		}
		eu := byName["gw-eu-1"]
		if eu.LastHeartbeatAt == nil || !eu.LastHeartbeatAt.Equal(time.Date(2025, 2, 3, 10, 45, 0, 0, time.UTC)) ||
			!eu.Healthy || eu.ErrorRate != 0 || eu.TLSMinVersion != "1.3" || !eu.EncryptionAtRest ||
			eu.RunningVersion == nil || *eu.RunningVersion != 12 {
			t.Fatalf("gw-eu-1 %+v", eu)
		}
		teamName := func(id int64) string {
			return view(t, db, func(tx keeptrail.Tx) (string, error) { tm, err := tx.TeamByID(id); return tm.Name, err })
		}
		if n := teamName(byName["gw-new"].TeamID); n != "unassigned" {
			t.Fatalf("gw-new in team %q", n)
		}
		lab := byName["gw-lab"]
		if n := teamName(lab.TeamID); n != "research" || lab.EncryptionAtRest || lab.RunningVersion == nil || *lab.RunningVersion != 3 {
			t.Fatalf("gw-lab %+v in %q", lab, n)
		}
		deps := view(t, db, func(tx keeptrail.Tx) ([]keeptrail.Deployment, error) { return tx.Deployments(keeptrail.TeamScope{}) })
		type dep struct {
			gw      int64
			version int64
			at      string
			by, src string
		}
		var got []dep
		for _, d := range deps {
			got = append(got, dep{d.GatewayID, d.Version, d.DeployedAt.Format(time.RFC3339), d.DeployedBy, d.Source})
		}
		want := []dep{
			{eu.ID, 11, "2025-02-03T10:00:00Z", "key:ingest01", "heartbeat"},
			{lab.ID, 3, "2025-02-03T10:00:00Z", "key:ingest01", "heartbeat"},
			{eu.ID, 12, "2025-02-03T10:30:00Z", "key:ingest01", "heartbeat"},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("deployments\n got  %+v\n want %+v", got, want)
		}
		if n := count(t, db, "heartbeats"); n != 7 {
			t.Fatalf("%d heartbeats stored", n)
		}
		// A later request reporting the same version records nothing; an older one changes nothing.
		mustIngest(t, in, ingest.KindHeartbeats, lines(
			`{"gateway":"gw-eu-1","time":"2025-02-03T11:00:00Z","config_version":12,"healthy":true}`,
			`{"gateway":"gw-lab","time":"2025-02-03T09:00:00Z","config_version":2,"healthy":false}`,
		))
		if n := count(t, db, "deployments"); n != 3 {
			t.Fatalf("%d deployments after a repeat, want 3", n)
		}
	})
}

func TestIngestAudit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		in := ingest.New(db, ingest.Options{})
		res := mustIngest(t, in, ingest.KindAudit, lines(
			`{"time":"2025-02-03T10:15:00Z","actor":"okta-scim","action":"user.deprovisioned","category":"authorization","team":"payments","target":"user:bob@acme.example","severity":"medium","outcome":"success","source_ip":"203.0.113.7","details":{ "idp" : "okta" }}`,
			`{"time":"2025-02-03T10:16:00+02:00","actor":"okta","action":"auth.login_failed","category":"authentication","severity":"medium","outcome":"failure"}`,
			`{"time":"2025-02-03T10:17:00Z","actor":"okta","action":"auth.login","category":"logins","severity":"low","outcome":"success"}`,
		))
		if res.Accepted != 2 || res.Rejected != 1 || res.Errors[0].Line != 3 ||
			res.Errors[0].Reason != "category: must be one of authentication, authorization, configuration, escalation, financial, security, export, ingest" {
			t.Fatalf("result %+v", res)
		}
		log := auditEntries(t, db)
		if len(log) != 3 {
			t.Fatalf("%d entries", len(log))
		}
		payments := view(t, db, func(tx keeptrail.Tx) (keeptrail.Team, error) { return tx.TeamByName("payments") })
		e := log[0]
		if e.Seq != 1 || e.ActorKind != keeptrail.ActorExternal || e.Actor != "okta-scim" || e.Action != "user.deprovisioned" ||
			e.TeamID == nil || *e.TeamID != payments.ID || e.Target != "user:bob@acme.example" || e.SourceIP != "203.0.113.7" ||
			string(e.Details) != `{"idp":"okta"}` || !e.Time.Equal(time.Date(2025, 2, 3, 10, 15, 0, 0, time.UTC)) || e.Hash != e.ComputeHash() {
			t.Fatalf("entry %+v", e)
		}
		if e := log[1]; e.TeamID != nil || !e.Time.Equal(time.Date(2025, 2, 3, 8, 16, 0, 0, time.UTC)) || e.Outcome != "failure" || e.PrevHash != log[0].Hash {
			t.Fatalf("entry %+v", e)
		}
		if e := log[2]; e.Action != "ingest.audit" || string(e.Details) != `{"accepted":2,"duplicates":0,"rejected":1}` {
			t.Fatalf("request entry %+v", e)
		}
	})
}

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestIngestGzip(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		in := ingest.New(db, ingest.Options{})
		body := lines(event("r-1", "2025-02-03T10:00:00Z", "gw", "t", "allowed", "low"), `{"bad":1}`,
			event("r-2", "2025-02-03T10:00:00Z", "gw", "t", "allowed", "low"))
		res, err := in.Ingest(as(gatewayKey), ingest.KindEvents, bytes.NewReader(gz(t, body)))
		if err != nil || res.Accepted != 2 || res.Rejected != 1 || res.Errors[0].Line != 2 {
			t.Fatalf("gzip: %+v, %v", res, err)
		}
		// Two gzip members in a row are one body.
		two := append(gz(t, lines(event("r-3", "2025-02-03T10:00:00Z", "gw", "t", "allowed", "low"))),
			gz(t, lines(event("r-4", "2025-02-03T10:00:00Z", "gw", "t", "allowed", "low")))...)
		res, err = in.Ingest(as(gatewayKey), ingest.KindEvents, bytes.NewReader(two))
		if err != nil || res.Accepted != 2 {
			t.Fatalf("multistream: %+v, %v", res, err)
		}
		// Corrupt and truncated gzip are EINVALID.
		good := gz(t, body)
		for name, b := range map[string][]byte{
			"truncated": good[:len(good)-6],
			"corrupt":   append(append([]byte{}, good[:12]...), bytes.Repeat([]byte{0xff}, 40)...),
			"header":    {0x1f, 0x8b, 0x00},
		} {
			_, err := in.Ingest(as(gatewayKey), ingest.KindEvents, bytes.NewReader(b))
			if keeptrail.ErrorCode(err) != keeptrail.EINVALID || !strings.HasPrefix(err.Error(), "body: invalid gzip data") {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if n := count(t, db, "decision_events"); n != 4 {
			t.Fatalf("%d events", n)
		}
	})
}

func TestIngestTooLarge(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		in := ingest.New(db, ingest.Options{MaxBodyBytes: 1000, BatchSize: 2})
		var ls []string
		for i := range 20 {
			ls = append(ls, event(fmt.Sprintf("r-%02d", i), "2025-02-03T10:00:00Z", "gw", "t", "allowed", "low"))
		}
		body := lines(ls...) // about 2,900 bytes
		res, err := in.Ingest(as(gatewayKey), ingest.KindEvents, strings.NewReader(body))
		if keeptrail.ErrorCode(err) != keeptrail.ETOOLARGE || err.Error() != "body: larger than the limit after decompression" {
			t.Fatalf("plain: %v", err)
		}
		// The batches written before the limit stay, and are counted.
		if n := count(t, db, "decision_events"); n != res.Accepted || n != 6 {
			t.Fatalf("%d events stored, result %+v", n, res)
		}
		// A small gzip body that inflates past the limit (a zip bomb) stops the same way.
		bomb := gz(t, strings.Repeat(" ", 10<<20))
		if _, err := in.Ingest(as(gatewayKey), ingest.KindEvents, bytes.NewReader(bomb)); keeptrail.ErrorCode(err) != keeptrail.ETOOLARGE {
			t.Fatalf("gzip bomb: %v", err)
		}
		// Exactly at the limit is fine.
		exact := ls[0] + strings.Repeat("\n", 1000-len(ls[0]))
		if res, err := in.Ingest(as(gatewayKey), ingest.KindEvents, strings.NewReader(exact)); err != nil || res.Duplicates != 1 {
			t.Fatalf("at the limit: %+v, %v", res, err)
		}
		// Each failed request is in the audit log.
		var failures int
		for _, e := range auditEntries(t, db) {
			if e.Outcome == "failure" && strings.Contains(string(e.Details), `"error":"too_large"`) {
				failures++
			}
		}
		if failures != 2 {
			t.Fatalf("%d failure entries, want 2", failures)
		}
	})
}

func TestIngestForbidden(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		in := ingest.New(db, ingest.Options{})
		body := lines(event("r-1", "2025-02-03T10:00:00Z", "gw", "t", "allowed", "low"))
		for _, role := range []keeptrail.Role{keeptrail.RoleViewer, keeptrail.RoleAuditor, keeptrail.RoleComplianceOfficer, keeptrail.RoleTeamAdmin} {
			p := &keeptrail.Principal{Kind: keeptrail.ActorUser, UserID: 7, Name: "vera@acme.example", Role: role, AllTeams: true, SourceIP: "198.51.100.4"}
			_, err := in.Ingest(as(p), ingest.KindEvents, strings.NewReader(body))
			if keeptrail.ErrorCode(err) != keeptrail.EFORBIDDEN || err.Error() != "role "+string(role)+" may not ingest events" {
				t.Fatalf("%s: %v", role, err)
			}
		}
		if _, err := in.Ingest(context.Background(), ingest.KindEvents, strings.NewReader(body)); keeptrail.ErrorCode(err) != keeptrail.EUNAUTHORIZED {
			t.Fatalf("no principal: %v", err)
		}
		if n := count(t, db, "decision_events"); n != 0 {
			t.Fatalf("%d events stored by forbidden callers", n)
		}
		log := auditEntries(t, db)
		if len(log) != 4 || log[0].Outcome != "denied" || log[0].Actor != "vera@acme.example" || log[0].Action != "ingest.events" ||
			log[0].SourceIP != "198.51.100.4" || string(log[0].Details) != `{"reason":"role viewer may not ingest events","role":"viewer"}` {
			t.Fatalf("audit log %+v", log)
		}
		// An admin may ingest.
		admin := &keeptrail.Principal{Kind: keeptrail.ActorUser, UserID: 1, Name: "root@acme.example", Role: keeptrail.RoleAdmin, AllTeams: true}
		if res, err := in.Ingest(as(admin), ingest.KindEvents, strings.NewReader(body)); err != nil || res.Accepted != 1 {
			t.Fatalf("admin: %+v, %v", res, err)
		}
	})
}

func TestIngestTeamScope(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		var payments, radiology keeptrail.Team
		err := db.Update(context.Background(), func(tx keeptrail.Tx) error {
			var err error
			if payments, _, err = tx.EnsureTeam("payments"); err != nil {
				return err
			}
			if radiology, _, err = tx.EnsureTeam("radiology"); err != nil {
				return err
			}
			_, _, err = tx.EnsureGateway("gw-rad", radiology.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		key := &keeptrail.Principal{Kind: keeptrail.ActorAPIKey, Name: "key:paym0001", Role: keeptrail.RoleGateway, TeamIDs: []int64{payments.ID}}
		in := ingest.New(db, ingest.Options{})
		res, err := in.Ingest(as(key), ingest.KindEvents, strings.NewReader(lines(
			event("r-1", "2025-02-03T10:00:00Z", "gw-pay", "payments", "allowed", "low"),
			event("r-2", "2025-02-03T10:00:00Z", "gw-pay", "radiology", "allowed", "low"),
			event("r-3", "2025-02-03T10:00:00Z", "gw-pay", "newteam", "allowed", "low"),
			event("r-4", "2025-02-03T10:00:00Z", "gw-rad", "payments", "allowed", "low"),
		)))
		want := ingest.Result{Accepted: 1, Rejected: 3, Errors: []ingest.LineError{
			{Line: 2, Reason: "team: is outside your teams"},
			{Line: 3, Reason: "team: is outside your teams"},
			{Line: 4, Reason: "gateway: belongs to a team outside your teams"},
		}}
		if err != nil || !reflect.DeepEqual(res, want) {
			t.Fatalf("events: %+v, %v", res, err)
		}
		res, err = in.Ingest(as(key), ingest.KindHeartbeats, strings.NewReader(lines(
			`{"gateway":"gw-pay-2","time":"2025-02-03T10:00:00Z","healthy":true}`,
			`{"gateway":"gw-rad","time":"2025-02-03T10:00:00Z","healthy":true}`,
		)))
		if err != nil || res.Accepted != 1 || res.Rejected != 1 || res.Errors[0].Reason != "gateway: belongs to a team outside your teams" {
			t.Fatalf("heartbeats: %+v, %v", res, err)
		}
		g := view(t, db, func(tx keeptrail.Tx) (keeptrail.Gateway, error) { return tx.GatewayByName("gw-pay-2") })
		if g.TeamID != payments.ID {
			t.Fatalf("gw-pay-2 in team %d, want the key's team %d", g.TeamID, payments.ID)
		}
		if _, err := db.SQL().Exec("SELECT 1"); err != nil {
			t.Fatal(err)
		}
		teams := view(t, db, func(tx keeptrail.Tx) ([]keeptrail.Team, error) { return tx.Teams(keeptrail.TeamScope{}) })
		if len(teams) != 2 {
			t.Fatalf("a team-scoped key registered a team: %+v", teams)
		}
	})
}

func TestIngestErrorListCapped(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		var b strings.Builder
		for range 1500 {
			b.WriteString("{}\n")
		}
		b.WriteString(event("r-1", "2025-02-03T10:00:00Z", "gw", "t", "allowed", "low"))
		res := mustIngest(t, ingest.New(db, ingest.Options{BatchSize: 7}), ingest.KindEvents, b.String())
		if res.Rejected != 1500 || res.Accepted != 1 || len(res.Errors) != ingest.MaxReportedErrors ||
			res.Errors[0].Line != 1 || res.Errors[999].Line != 1000 {
			t.Fatalf("rejected %d, accepted %d, %d errors listed", res.Rejected, res.Accepted, len(res.Errors))
		}
	})
}

func TestIngestResultJSON(t *testing.T) {
	b, err := json.Marshal(ingest.Result{Accepted: 1, Errors: []ingest.LineError{{Line: 2, Reason: "x"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); got != `{"accepted":1,"duplicates":0,"rejected":0,"escalations_opened":0,"errors":[{"line":2,"reason":"x"}]}` {
		t.Fatal(got)
	}
}

func TestIngestCanceled(t *testing.T) {
	db := testdb.SQLite(t)
	ctx, cancel := context.WithCancel(as(gatewayKey))
	cancel()
	_, err := ingest.New(db, ingest.Options{}).Ingest(ctx, ingest.KindEvents, strings.NewReader(lines(event("r", "2025-02-03T10:00:00Z", "g", "t", "allowed", "low"))))
	if err == nil {
		t.Fatal("no error from a canceled context")
	}
	if n := count(t, db, "decision_events"); n != 0 {
		t.Fatalf("%d events", n)
	}
}
