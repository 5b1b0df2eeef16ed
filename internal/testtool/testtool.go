// Package testtool finds the command-line tools that tests check real output with
// (qpdf, pdftotext, pdftoppm, minisign, sqlite3, ...).
package testtool

import (
	"os"
	"os/exec"
	"testing"
)

// Require returns the path of the named tool. When it is missing the test is skipped, or
// fails when KEEPTRAIL_REQUIRE_TOOLS=1 (CI sets it, and installs every tool), so a check
// can never silently stop running there.
func Require(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("KEEPTRAIL_REQUIRE_TOOLS") == "1" {
		t.Fatalf("%s is not installed and KEEPTRAIL_REQUIRE_TOOLS=1 (apt-get install -y qpdf poppler-utils minisign sqlite3)", name)
	}
	t.Skipf("%s is not installed (apt-get install -y qpdf poppler-utils minisign sqlite3)", name)
	return ""
}
