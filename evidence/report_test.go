package evidence_test

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keeptrail/keeptrail/evidence"
	"github.com/keeptrail/keeptrail/internal/testtool"
)

// testReportPDF checks report.pdf of a SOC 2 and a HIPAA package with real tools: qpdf
// finds the file sound, pdftotext finds every criterion id, "Page X of Y" on every page
// and no claim words, and every page rendered by pdftoppm has ink on it.
func testReportPDF(t *testing.T, fx *packageFixture) {
	qpdf := testtool.Require(t, "qpdf")
	pdftotext := testtool.Require(t, "pdftotext")
	pdftoppm := testtool.Require(t, "pdftoppm")
	for _, name := range []string{"soc2", "hipaa"} {
		t.Run(name, func(t *testing.T) {
			bundle, _ := fx.write(t, name)
			pdf := member(t, bundle, evidence.ReportPath)
			dir := t.TempDir()
			file := filepath.Join(dir, "report.pdf")
			if err := os.WriteFile(file, pdf, 0o644); err != nil {
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
			fw, _ := evidence.LookupBuiltIn(name)
			for _, s := range fw.Sections {
				if !strings.Contains(text, s.ID) {
					t.Errorf("criterion %s is not in the report's text", s.ID)
				}
			}
			pages := strings.Count(text, "\f")
			if pages < len(fw.Sections)+3 {
				t.Errorf("%d pages for %d criteria", pages, len(fw.Sections))
			}
			for i, page := range strings.Split(strings.TrimSuffix(text, "\f"), "\f") {
				want := "Page " + itoa(i+1) + " of " + itoa(pages)
				if !strings.Contains(page, want) {
					t.Errorf("page %d lacks %q", i+1, want)
				}
			}
			for _, want := range []string{"Compliance score breakdown", "Appendix: evidence files", evidence.FileAuditLog,
				"supports", "Notable items"} {
				if !strings.Contains(text, want) {
					t.Errorf("report lacks %q", want)
				}
			}
			if w := evidence.ClaimWords(text); len(w) > 0 {
				t.Errorf("report claims more than support: %v", w)
			}
			if out, err := exec.Command(pdftoppm, "-png", "-r", "40", file, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
				t.Fatalf("pdftoppm: %v\n%s", err, out)
			}
			imgs, _ := filepath.Glob(filepath.Join(dir, "p-*.png"))
			if len(imgs) != pages {
				t.Fatalf("pdftoppm wrote %d pages, pdftotext saw %d", len(imgs), pages)
			}
			for _, f := range imgs {
				if ink := inkShare(t, f); ink < 0.002 {
					t.Errorf("%s is blank (%.4f of pixels dark)", filepath.Base(f), ink)
				}
			}
		})
	}
}

// inkShare is the share of pixels of a PNG that are clearly not white.
func inkShare(t *testing.T, file string) float64 {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	r := img.Bounds()
	var dark int
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if cr+cg+cb < 3*0xc000 {
				dark++
			}
		}
	}
	return float64(dark) / float64(r.Dx()*r.Dy())
}

func itoa(n int) string {
	var b []byte
	if n == 0 {
		return "0"
	}
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
