package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail/sqlstore"
)

// cli runs the command line in-process and returns its exit status, stdout and stderr.
func cli(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// dirs returns --db and --data-dir flags for a fresh SQLite database in a temp folder.
func dirs(t *testing.T) []string {
	d := t.TempDir()
	return []string{"--db", filepath.Join(d, "k.db"), "--data-dir", filepath.Join(d, "data")}
}

func TestMigrateTwice(t *testing.T) {
	f := dirs(t)
	code, out, errs := cli(t, "", append([]string{"migrate"}, f...)...)
	if code != 0 || !strings.Contains(out, "applied 0001_init") {
		t.Fatalf("first migrate: code %d, out %q, err %q", code, out, errs)
	}
	code, out, _ = cli(t, "", append([]string{"migrate"}, f...)...)
	if code != 0 || out != "sqlite schema is up to date\n" {
		t.Fatalf("second migrate: code %d, out %q", code, out)
	}
}

func TestBadInputExitsTwoWithOneLine(t *testing.T) {
	f := dirs(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"ingest", "nonsense", "x.ndjson"}, `keeptrail: ingest: kind must be events, heartbeats or audit, not "nonsense"` + "\n"},
		{[]string{"demo", "--from", "2025-13-01"}, `keeptrail: --from: "2025-13-01" is not a date (YYYY-MM-DD)` + "\n"},
		{[]string{"demo", "--from", "2025-02-01", "--to", "2025-01-01"}, "keeptrail: --to: must be after --from\n"},
		{[]string{"verify"}, "keeptrail: verify: say what to verify: --audit-log, or a BUNDLE.zip\n"},
		{[]string{"serve", "--log-format", "xml"}, `keeptrail: --log-format: must be text or json, not "xml"` + "\n"},
	}
	for _, tt := range tests {
		code, _, errs := cli(t, "", append(tt.args, f...)...)
		if code != 2 || errs != tt.want {
			t.Errorf("%v: code %d, stderr %q; want 2, %q", tt.args, code, errs, tt.want)
		}
	}
}

func TestUserAndAPIKeyLifecycle(t *testing.T) {
	f := dirs(t)
	code, out, errs := cli(t, "correct horse battery staple\n", append([]string{"user", "create", "--email", "ann@acme.example",
		"--name", "Ann", "--role", "compliance_officer", "--password-stdin", "--mfa"}, f...)...)
	if code != 0 || out != "created user ann@acme.example (compliance_officer)\n" {
		t.Fatalf("user create: %d %q %q", code, out, errs)
	}
	code, _, errs = cli(t, "", append([]string{"user", "create", "--email", "not-an-email", "--role", "emperor"}, f...)...)
	if code != 2 || !strings.Contains(errs, "role") {
		t.Fatalf("bad user create: %d %q", code, errs)
	}
	code, out, errs = cli(t, "", append([]string{"apikey", "create", "--name", "gw", "--role", "gateway", "--json"}, f...)...)
	if code != 0 {
		t.Fatalf("apikey create: %d %q", code, errs)
	}
	var created apikeyOutput
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(created.Token, "kt_"+created.Key.Prefix+"_") {
		t.Fatalf("token %q does not carry prefix %q", created.Token, created.Key.Prefix)
	}
	code, out, _ = cli(t, "", append([]string{"apikey", "revoke", created.Key.Prefix}, f...)...)
	if code != 0 || out != fmt.Sprintf("revoked API key %s (gw)\n", created.Key.Prefix) {
		t.Fatalf("revoke: %d %q", code, out)
	}
	code, out, _ = cli(t, "", append([]string{"apikey", "list"}, f...)...)
	if code != 0 || !strings.Contains(out, created.Key.Prefix) || !strings.Contains(out, "revoked") || strings.Contains(out, created.Token) {
		t.Fatalf("list: %d %q", code, out)
	}
	// Every change above is in the audit log, and the chain verifies.
	code, out, errs = cli(t, "", append([]string{"verify", "--audit-log"}, f...)...)
	if code != 0 || !strings.HasPrefix(out, "OK: audit log entries 1 to ") {
		t.Fatalf("verify: %d %q %q", code, out, errs)
	}
}

func TestIngestFileReportsBadLines(t *testing.T) {
	f := dirs(t)
	file := filepath.Join(t.TempDir(), "events.ndjson")
	body := `{"request_id":"r-1","time":"2025-02-03T10:15:00Z","gateway":"gw-eu-1","team":"payments","decision":"allowed","severity":"low","policies_evaluated":2}
{"request_id":"r-2","time":"2025-02-03T10:16:00Z","gateway":"gw-eu-1","team":"payments","decision":"maybe","severity":"low","policies_evaluated":2}

{"request_id":"r-3","time":"2025-02-03T10:17:00Z","gateway":"gw-eu-1","team":"payments","decision":"escalated","severity":"high","policies_evaluated":1}
{"request_id":"r-1","time":"2025-02-03T10:15:00Z","gateway":"gw-eu-1","team":"payments","decision":"allowed","severity":"low","policies_evaluated":2}
`
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := cli(t, "", append([]string{"ingest", "events", file}, f...)...)
	if code != 1 || errs != "keeptrail: 1 line rejected\n" {
		t.Fatalf("code %d, stderr %q", code, errs)
	}
	if !strings.HasPrefix(out, file+": 2 accepted, 1 duplicates, 1 rejected, 1 escalations opened\n  line 2: decision") {
		t.Fatalf("out %q", out)
	}
}

func TestDemoThenVerifyDetectsTampering(t *testing.T) {
	f := dirs(t)
	code, out, errs := cli(t, "", append([]string{"demo", "--events", "3000", "--from", "2025-01-01", "--to", "2025-01-15", "--json"}, f...)...)
	if code != 0 {
		t.Fatalf("demo: %d %q", code, errs)
	}
	var got struct {
		Summary struct {
			Teams, Gateways, Events, Escalations, AuditEntries int
			AdminEmail, APIKey                                 string
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	s := got.Summary
	if s.Teams < 5 || s.Gateways < 12 || s.Events != 3000 || s.Escalations == 0 || s.AuditEntries == 0 || s.AdminEmail == "" || s.APIKey == "" {
		t.Fatalf("summary %+v", s)
	}
	// A second demo on the same database refuses without --serve or --reset.
	code, _, errs = cli(t, "", append([]string{"demo", "--events", "10"}, f...)...)
	if code != 2 || !strings.Contains(errs, "already holds an organization") {
		t.Fatalf("second demo: %d %q", code, errs)
	}
	code, out, _ = cli(t, "", append([]string{"verify", "--audit-log"}, f...)...)
	if code != 0 || !strings.HasPrefix(out, "OK: ") {
		t.Fatalf("verify clean: %d %q", code, out)
	}
	db, err := sqlstore.Open(context.Background(), f[1], sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec(`UPDATE audit_entries SET actor = 'mallory' WHERE seq = 7`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, errs = cli(t, "", append([]string{"verify", "--audit-log"}, f...)...)
	if code != 1 || errs != "keeptrail: audit log verification failed: seq 7: content altered (hash mismatch)\n" || !strings.Contains(out, "  seq 7: content altered (hash mismatch)\n") {
		t.Fatalf("verify tampered: %d out %q err %q", code, out, errs)
	}
}

// TestServeBinary starts the real binary on a free port, ingests over HTTP, and stops it
// with SIGTERM, which must shut down cleanly.
func TestServeBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "keeptrail")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	f := dirs(t)
	code, out, errs := cli(t, "", append([]string{"apikey", "create", "--name", "gw", "--role", "gateway", "--json"}, f...)...)
	if code != 0 {
		t.Fatalf("apikey: %q", errs)
	}
	var key apikeyOutput
	json.Unmarshal([]byte(out), &key)

	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, f...)...)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	urlRE := regexp.MustCompile(`listening on (http://\S+)`)
	sc := bufio.NewScanner(stderr)
	var url string
	for sc.Scan() {
		if m := urlRE.FindStringSubmatch(sc.Text()); m != nil {
			url = m[1]
			break
		}
	}
	if url == "" {
		t.Fatal("server did not print its URL")
	}
	go io.Copy(io.Discard, stderr)

	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(url + path)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", path, err, resp)
		}
		resp.Body.Close()
	}
	body := `{"request_id":"r-1","time":"2025-02-03T10:15:00Z","gateway":"gw-eu-1","team":"payments","decision":"blocked","severity":"high","policies_evaluated":3,"rules_matched":["pii.ssn"],"categories":["pii"]}
{"request_id":"r-2","time":"not a time","gateway":"gw-eu-1","team":"payments","decision":"blocked","severity":"high","policies_evaluated":3}
`
	req, _ := http.NewRequest("POST", url+"/api/v1/events", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Accepted, Duplicates, Rejected int
		Errors                         []struct {
			Line   int
			Reason string
		}
	}
	json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if resp.StatusCode != 200 || res.Accepted != 1 || res.Rejected != 1 || len(res.Errors) != 1 || res.Errors[0].Line != 2 ||
		!strings.HasPrefix(res.Errors[0].Reason, "time") {
		t.Fatalf("ingest: status %d, %+v", resp.StatusCode, res)
	}
	req, _ = http.NewRequest("POST", url+"/api/v1/events", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer kt_nottakenx_secretsecretsecretsecretsecretse")
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 401 {
		t.Fatalf("bad key: %v %v", err, resp)
	}
	resp.Body.Close()

	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop after SIGTERM")
	}
	// The failed authentication is in the audit log, which still verifies.
	code, out, _ = cli(t, "", append([]string{"verify", "--audit-log", "--json"}, f...)...)
	if code != 0 || !strings.Contains(out, `"ok": true`) {
		t.Fatalf("verify after serve: %d %q", code, out)
	}
}
