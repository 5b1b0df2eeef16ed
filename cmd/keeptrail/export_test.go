package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
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

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/export"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// buildBinary builds cmd/keeptrail once per test.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "keeptrail")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// server is a keeptrail serve process.
type server struct {
	cmd *exec.Cmd
	url string
}

// startServer runs the binary's serve on a free port with the flags and waits for its URL.
func startServer(t *testing.T, bin string, args ...string) *server {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	urlRE := regexp.MustCompile(`listening on (http://\S+)`)
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := urlRE.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, stderr)
			return &server{cmd: cmd, url: m[1]}
		}
	}
	t.Fatal("server did not print its URL")
	return nil
}

// adminKey creates an admin API key through the CLI and returns its token.
func adminKey(t *testing.T, f []string) string {
	t.Helper()
	code, out, errs := cli(t, "", append([]string{"apikey", "create", "--name", "exporter", "--role", "admin", "--json"}, f...)...)
	if code != 0 {
		t.Fatalf("apikey: %q", errs)
	}
	var key apikeyOutput
	json.Unmarshal([]byte(out), &key)
	return key.Token
}

// getJob reads an export job from the server.
func getJob(t *testing.T, url, token string, id int64) keeptrail.ExportJob {
	t.Helper()
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/exports/%d", url, id), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var j keeptrail.ExportJob
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&j) != nil {
		t.Fatalf("GET export %d: %s", id, resp.Status)
	}
	return j
}

// TestExportCLIInProcessAndRemoteGiveSameBytes exports the same spec from the database
// directly and through a running server: the files are identical, and the YAML file and
// the flags give the same spec.
func TestExportCLIInProcessAndRemoteGiveSameBytes(t *testing.T) {
	bin := buildBinary(t)
	f := dirs(t)
	if code, _, errs := cli(t, "", append([]string{"demo", "--events", "3000", "--from", "2025-01-01", "--to", "2025-01-15"}, f...)...); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	token := adminKey(t, f)
	out := t.TempDir()
	cfg := filepath.Join(out, "export.yaml")
	os.WriteFile(cfg, []byte(`export:
  type: events
  time_range:
    start: "2025-01-01T00:00:00Z"
    end: "2025-01-14T23:59:59Z"
  scope:
    teams: ["all"]
    gateways: ["all"]
  filters:
    decisions: [blocked, escalated]
  format: csv
`), 0o600)

	local := filepath.Join(out, "local.csv")
	code, stdout, errs := cli(t, "", append([]string{"export", "--config", cfg, "-o", local}, f...)...)
	if code != 0 || !strings.HasPrefix(stdout, "wrote "+local+": ") {
		t.Fatalf("local export: %d %q %q", code, stdout, errs)
	}
	flagsFile := filepath.Join(out, "flags.csv")
	code, _, errs = cli(t, "", append([]string{"export", "--type", "events", "--start", "2025-01-01", "--end", "2025-01-14",
		"--decision", "blocked,escalated", "--format", "csv", "-o", flagsFile}, f...)...)
	if code != 0 {
		t.Fatalf("flags export: %q", errs)
	}

	srv := startServer(t, bin, f...)
	remote := filepath.Join(out, "remote.csv")
	code, stdout, errs = cli(t, "", append([]string{"export", "--config", cfg, "-o", remote, "--server", srv.url, "--api-key", token,
		"--poll", "50ms", "--json"}, f...)...)
	if code != 0 {
		t.Fatalf("remote export: %d %q %q", code, stdout, errs)
	}
	var m export.Manifest
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatalf("--json output %q: %v", stdout, err)
	}
	a, _ := os.ReadFile(local)
	b, _ := os.ReadFile(remote)
	c, _ := os.ReadFile(flagsFile)
	sum := sha256.Sum256(b)
	if len(a) < 1000 || !bytes.Equal(a, b) || !bytes.Equal(a, c) {
		t.Fatalf("files differ: in-process %d bytes, remote %d bytes, flags %d bytes", len(a), len(b), len(c))
	}
	if m.File.SHA256 != hex.EncodeToString(sum[:]) || m.JobID == 0 || m.RowsWritten != m.Population || m.RequestedBy.Kind != keeptrail.ActorAPIKey {
		t.Fatalf("remote manifest %+v", m)
	}
	var lm export.Manifest
	lb, err := os.ReadFile(local + ".manifest.json")
	if err != nil || json.Unmarshal(lb, &lm) != nil || lm.File.SHA256 != m.File.SHA256 || lm.RequestedBy.Kind != keeptrail.ActorSystem ||
		!strings.HasPrefix(lm.RequestedBy.Name, "cli") {
		t.Fatalf("local manifest %s: %v", lb, err)
	}
	if _, err := os.Stat(remote + ".manifest.json"); err != nil {
		t.Fatal(err)
	}
	// Nothing but the files and their manifests is left in the folder.
	entries, _ := os.ReadDir(out)
	if len(entries) != 7 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("output folder holds %v", names)
	}

	// Bad input: one line, exit 2; a server refusal is the server's message.
	code, _, errs = cli(t, "", append([]string{"export", "--type", "events", "--start", "2025-02-01", "--end", "2025-01-01", "--format", "csv", "-o", remote}, f...)...)
	if code != 2 || errs != "keeptrail: invalid export spec: --end: before start\n" {
		t.Fatalf("bad flags: %d %q", code, errs)
	}
	code, _, errs = cli(t, "", append([]string{"export", "--config", cfg, "-o", remote, "--server", srv.url, "--api-key", "kt_aaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}, f...)...)
	if code != 2 || errs != "keeptrail: invalid API key\n" {
		t.Fatalf("bad key: %d %q", code, errs)
	}
}

// fillEvents stores n events of January 2025 directly in the database at dsn.
func fillEvents(t *testing.T, dsn string, n int) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var gw keeptrail.Gateway
	err = db.Update(ctx, func(tx keeptrail.Tx) error {
		team, _, err := tx.EnsureTeam("payments")
		if err == nil {
			gw, _, err = tx.EnsureGateway("gw-eu-1", team.ID)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i += 5000 {
		batch := make([]keeptrail.DecisionEvent, 0, 5000)
		for j := i; j < min(n, i+5000); j++ {
			batch = append(batch, keeptrail.DecisionEvent{RequestID: fmt.Sprintf("r-%08d", j), Time: start.Add(time.Duration(j) * time.Second),
				GatewayID: gw.ID, TeamID: gw.TeamID, User: "ana@acme.example", Model: "gpt-4o", Decision: keeptrail.DecisionAllowed,
				Severity: keeptrail.SeverityLow, PoliciesEvaluated: 3, RulesMatched: []string{"pii.email"}, Categories: []string{"pii"},
				LatencyMS: 40, TokensIn: 100, TokensOut: 50, CostUSD: 0.001})
		}
		if err := db.Update(ctx, func(tx keeptrail.Tx) error { _, err := tx.InsertEvents(batch); return err }); err != nil {
			t.Fatal(err)
		}
	}
}

// TestExportSurvivesKill9 really kills the server (SIGKILL) while it writes an export: no
// partial file is visible in the artifacts folder nor served, and after a restart the job
// completes with a file whose SHA-256 matches its manifest.
func TestExportSurvivesKill9(t *testing.T) {
	bin := buildBinary(t)
	f := dirs(t)
	fillEvents(t, f[1], 400_000)
	token := adminKey(t, f)
	dataDir := f[3]
	flags := append([]string{"--export-lease", "2s"}, f...)
	srv := startServer(t, bin, flags...)

	req, _ := http.NewRequest("POST", srv.url+"/api/v1/exports", strings.NewReader(
		`{"type":"events","time_range":{"start":"2025-01-01","end":"2025-01-31"},"format":"json"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("submit: %v %v", err, resp)
	}
	var created struct{ ID int64 }
	json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		j := getJob(t, srv.url, token, created.ID)
		if j.Status == keeptrail.ExportRunning {
			break
		}
		if j.Status.Final() || time.Now().After(deadline) {
			t.Fatalf("the export did not start running in time: %+v", j)
		}
		time.Sleep(5 * time.Millisecond)
	}
	srv.cmd.Process.Signal(syscall.SIGKILL)
	srv.cmd.Wait()

	arts := filepath.Join(dataDir, "artifacts")
	name := fmt.Sprintf("export-%d.json", created.ID)
	visible := func() []string {
		entries, _ := os.ReadDir(arts)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	if names := visible(); strings.Join(names, ",") != ".tmp" {
		t.Fatalf("after kill -9 the artifacts folder shows %v", names)
	}
	parts, _ := os.ReadDir(filepath.Join(arts, ".tmp"))
	t.Logf("after kill -9: %d temporary file(s) in artifacts/.tmp", len(parts))

	srv = startServer(t, bin, flags...)
	dl := func() (int, []byte) {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/exports/%d/download", srv.url, created.ID), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if status, body := dl(); status != http.StatusConflict {
		t.Fatalf("download right after the restart: %d %.200s", status, body)
	}
	var j keeptrail.ExportJob
	for deadline = time.Now().Add(120 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		j = getJob(t, srv.url, token, created.ID)
		if j.Status.Final() || time.Now().After(deadline) {
			break
		}
	}
	if j.Status != keeptrail.ExportSucceeded || j.Attempts != 2 || j.Rows != 400_000 {
		t.Fatalf("after the restart: %+v", j)
	}
	status, body := dl()
	sum := sha256.Sum256(body)
	var m export.Manifest
	mb, err := os.ReadFile(filepath.Join(arts, name+".manifest.json"))
	if err != nil || json.Unmarshal(mb, &m) != nil {
		t.Fatalf("manifest: %v", err)
	}
	if status != 200 || hex.EncodeToString(sum[:]) != m.File.SHA256 || m.File.SHA256 != j.SHA256 || int64(len(body)) != m.File.Bytes {
		t.Fatalf("download %d of %d bytes, SHA-256 %x; manifest %+v; job %s", status, len(body), sum, m.File, j.SHA256)
	}
	if parts, _ := os.ReadDir(filepath.Join(arts, ".tmp")); len(parts) != 0 {
		t.Fatalf("temporary files left after the export completed: %d", len(parts))
	}
	if names := visible(); strings.Join(names, ",") != ".tmp,"+name+","+name+".manifest.json" {
		t.Fatalf("artifacts folder: %v", names)
	}
}
