package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestPackageAndVerifyBundle builds a SOC 2 package from the command line twice with the
// same --generated-at (same bytes), verifies it with the data folder's key and with
// --pubkey, and sees verify name an altered bundle.
func TestPackageAndVerifyBundle(t *testing.T) {
	f := dirs(t)
	if code, _, errs := cli(t, "", append([]string{"demo", "--events", "2000", "--from", "2025-01-01", "--to", "2025-01-15"}, f...)...); code != 0 {
		t.Fatalf("demo: %d %q", code, errs)
	}
	dir := t.TempDir()
	b1, b2 := filepath.Join(dir, "b1.zip"), filepath.Join(dir, "b2.zip")
	args := []string{"package", "soc2", "--from", "2025-01-01", "--to", "2025-01-14", "--generated-at", "2025-01-16T08:00:00Z"}
	for _, out := range []string{b1, b2} {
		code, stdout, errs := cli(t, "", append(append(args, "-o", out), f...)...)
		if code != 0 || !strings.HasPrefix(stdout, "Wrote "+out) {
			t.Fatalf("package: %d %q %q", code, stdout, errs)
		}
	}
	x, _ := os.ReadFile(b1)
	y, _ := os.ReadFile(b2)
	if len(x) == 0 || !bytes.Equal(x, y) {
		t.Fatalf("same data and --generated-at gave different bundles (%d and %d bytes)", len(x), len(y))
	}
	code, out, errs := cli(t, "", append([]string{"verify", b1}, f...)...)
	if code != 0 || !strings.HasPrefix(out, "OK: "+b1+" verified") {
		t.Fatalf("verify: %d %q %q", code, out, errs)
	}
	pub := filepath.Join(f[3], "keys", "package-signing.key.pub")
	if code, out, _ := cli(t, "", "verify", b1, "--pubkey", pub); code != 0 {
		t.Fatalf("verify --pubkey: %d %q", code, out)
	}
	// Flip one byte of the stored data near the end of the first member.
	bad := filepath.Join(dir, "bad.zip")
	z := bytes.Clone(x)
	z[200] ^= 0xff
	if err := os.WriteFile(bad, z, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = cli(t, "", "verify", bad, "--pubkey", pub)
	if code != 1 || !strings.Contains(out, "FAILED") || !strings.Contains(out, "evidence/audit_log.csv") {
		t.Fatalf("altered bundle: %d %q", code, out)
	}
	// Unknown framework: exit 2 naming it.
	code, _, errs = cli(t, "", append([]string{"package", "nist-none", "--from", "2025-01-01", "--to", "2025-01-14", "-o", b1}, f...)...)
	if code != 2 || !strings.Contains(errs, "nist-none") {
		t.Fatalf("unknown framework: %d %q", code, errs)
	}
}

// TestPackageCustomFramework creates a custom framework template from the command line
// and packages it: the bundle verifies, its manifest names the template at version 1,
// and it holds the files the template's sources need beside the period sections.
func TestPackageCustomFramework(t *testing.T) {
	f := dirs(t)
	if code, _, errs := cli(t, "", append([]string{"demo", "--events", "500", "--from", "2025-01-01", "--to", "2025-01-08"}, f...)...); code != 0 {
		t.Fatalf("demo: %d %q", code, errs)
	}
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "acme.yaml")
	doc := "name: acme-ai\ntitle: ACME AI governance\nsections:\n" +
		"  - {id: AI-1, title: Prompt screening, sources: [events.blocks_by_rule]}\n" +
		"  - {id: AI-2, title: Access, sources: [access.mfa_sso]}\n"
	if err := os.WriteFile(tmpl, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := cli(t, "", append([]string{"framework", "create", tmpl}, f...)...); code != 0 {
		t.Fatalf("framework create: %d %q %q", code, out, errs)
	}
	b := filepath.Join(dir, "acme.zip")
	code, out, errs := cli(t, "", append([]string{"package", "acme-ai", "--from", "2025-01-01", "--to", "2025-01-07",
		"--generated-at", "2025-01-09T08:00:00Z", "-o", b}, f...)...)
	if code != 0 || !strings.HasPrefix(out, "Wrote "+b) {
		t.Fatalf("package: %d %q %q", code, out, errs)
	}
	if code, out, errs := cli(t, "", append([]string{"verify", b}, f...)...); code != 0 {
		t.Fatalf("verify: %d %q %q", code, out, errs)
	}
	zr, err := zip.OpenReader(b)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	var m struct {
		Framework struct {
			Name    string `json:"name"`
			Version int64  `json:"version"`
		} `json:"framework"`
	}
	for _, zf := range zr.File {
		names = append(names, zf.Name)
		if zf.Name == "manifest.json" {
			rc, _ := zf.Open()
			err := json.NewDecoder(rc).Decode(&m)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if m.Framework.Name != "acme-ai" || m.Framework.Version != 1 {
		t.Errorf("manifest framework %+v", m.Framework)
	}
	for _, want := range []string{"evidence/blocks_by_rule.csv", "evidence/users.csv", "evidence/audit_log.csv", "report.pdf"} {
		if !slices.Contains(names, want) {
			t.Errorf("bundle lacks %s: %v", want, names)
		}
	}
	for _, not := range []string{"evidence/api_keys.csv", "evidence/gateways.csv", "evidence/wallets.csv"} {
		if slices.Contains(names, not) {
			t.Errorf("bundle has %s, which no source of the template needs", not)
		}
	}
}
