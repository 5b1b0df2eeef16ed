package evidence_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/engine"
	"github.com/keeptrail/keeptrail/evidence"
	"github.com/keeptrail/keeptrail/internal/testtool"
)

// testReportUnicode names the organization and a user without MFA in scripts beyond
// Latin-1: report.pdf prints them in the embedded DejaVu Sans (pdffonts lists it
// embedded, pdftotext reads the names back, qpdf finds the file sound), and the same
// data and generated-at still give byte-identical bundles. It changes the fixture's
// settings and users, so it runs last.
func testReportUnicode(t *testing.T, fx *packageFixture) {
	qpdf := testtool.Require(t, "qpdf")
	pdftotext := testtool.Require(t, "pdftotext")
	pdffonts := testtool.Require(t, "pdffonts")
	sys := keeptrail.NewContextWithPrincipal(fx.ctx, keeptrail.SystemPrincipal("test"))
	eng := engine.New(fx.db, engine.Options{Now: func() time.Time { return pkgGeneratedAt },
		PasswordCost: engine.PasswordCost{Time: 1, MemoryKiB: 64, Threads: 1}})
	org := "Ødegård Łódź Αθήνα Київ 東京 §164.312"
	if _, err := eng.UpdateSettings(sys, engine.SettingsUpdate{OrganizationName: &org}); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.CreateUser(sys, engine.NewUser{Email: "zoe@example.com", Name: "Zoë Ødegård", Role: keeptrail.RoleViewer,
		Password: "correct horse battery staple"}); err != nil {
		t.Fatal(err)
	}
	bundle, m := fx.write(t, "soc2")
	again, _ := fx.write(t, "soc2")
	if !bytes.Equal(bundle, again) {
		t.Errorf("the same data and generated-at gave different bundles")
		diffMembers(t, bundle, again)
	}
	if m.Organization != org {
		t.Errorf("manifest organization %q", m.Organization)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "report.pdf")
	if err := os.WriteFile(file, member(t, bundle, evidence.ReportPath), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(qpdf, "--check", file).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
	out, err := exec.Command(pdftotext, "-layout", file, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, want := range []string{"Ødegård Łódź Αθήνα Київ 東京 §164.312", "Zoë Ødegård <zoe@example.com> (viewer)"} {
		if !strings.Contains(text, want) {
			t.Errorf("the report's text lacks %q", want)
		}
	}
	if n := strings.Count(text, "Ødegård Łódź"); n < strings.Count(text, "\f") {
		t.Errorf("the organization is in %d places for %d pages (cover and every footer)", n, strings.Count(text, "\f"))
	}
	// A subset: the whole regular font alone is 740 kB.
	if n := len(member(t, bundle, evidence.ReportPath)); n > 400<<10 {
		t.Errorf("report.pdf is %d bytes: the fonts are not subset", n)
	}
	fonts, err := exec.Command(pdffonts, file).Output()
	if err != nil {
		t.Fatal(err)
	}
	// name type encoding emb sub uni: every font is DejaVu Sans, embedded with a Unicode
	// map (fpdf embeds a subset but does not tag its name, so pdffonts says sub "no").
	rows := regexp.MustCompile(`(?m)^(\S+)\s+(.+?)\s+(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+$`).FindAllStringSubmatch(string(fonts), -1)
	if len(rows) != 2 {
		t.Fatalf("pdffonts lists %d fonts, want DejaVu Sans regular and bold:\n%s", len(rows), fonts)
	}
	for _, r := range rows {
		if !strings.Contains(strings.ToLower(r[1]), "dejavusans") || r[3] != "yes" || r[5] != "yes" {
			t.Errorf("font %q: emb %s uni %s, want DejaVu Sans embedded with a Unicode map", r[1], r[3], r[5])
		}
	}
}
