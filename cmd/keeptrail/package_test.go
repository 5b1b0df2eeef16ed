package main

import (
	"bytes"
	"os"
	"path/filepath"
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
