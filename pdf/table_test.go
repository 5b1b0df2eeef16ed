package pdf

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail/internal/testtool"
)

var generatedAt = time.Date(2025, 4, 1, 8, 0, 0, 0, time.UTC)

func auditColumns() []Column {
	return []Column{{"Seq", 5, "R"}, {"Time", 18, ""}, {"Actor", 18, ""}, {"Action", 14, ""}, {"Category", 11, ""},
		{"Team", 10, ""}, {"Target", 18, ""}, {"Severity", 8, ""}, {"Outcome", 8, ""}, {"Details", 30, ""}}
}

// render builds an audit-log-like table of n rows and returns the PDF.
func render(t testing.TB, n int) []byte {
	t.Helper()
	doc, err := NewTable(TableOptions{
		Title: "Audit log", Subtitle: "Acme Corp, Q1 2025",
		Period:      "2025-01-01T00:00:00Z to 2025-03-31T23:59:59Z (inclusive)",
		Filters:     "teams: all; gateways: all; categories: authentication, security",
		Columns:     auditColumns(),
		GeneratedAt: generatedAt,
	})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 2, 3, 10, 15, 0, 0, time.UTC)
	for i := range n {
		err := doc.Row(strconv.Itoa(i+1), at.Add(time.Duration(i)*time.Minute).Format("2006-01-02T15:04:05.000000Z"),
			"alice@acme.example", "auth.login_failed", "authentication", "payments", "user:bob@acme.example",
			"high", "failure", fmt.Sprintf("§164.312(b) café ø 12 € row-%06d %s", i+1, strings.Repeat("detail ", i%20)))
		if err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := doc.Write(&b); err != nil {
		t.Fatal(err)
	}
	if doc.Rows() != n {
		t.Fatalf("Rows() = %d, want %d", doc.Rows(), n)
	}
	return b.Bytes()
}

// tool returns the path of a command-line tool (see testtool.Require).
func tool(t *testing.T, name string) string {
	t.Helper()
	return testtool.Require(t, name)
}

func writeTemp(t *testing.T, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "table.pdf")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(tool(t, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestTableUnicodeText(t *testing.T) {
	path := writeTemp(t, render(t, 3))
	run(t, "qpdf", "--check", path)
	text := run(t, "pdftotext", "-layout", path, "-")
	for _, want := range []string{"Audit log", "Acme Corp, Q1 2025", "§164.312(b) café ø 12 €", "row-000003",
		"2025-01-01T00:00:00Z to 2025-03-31T23:59:59Z (inclusive)", "teams: all; gateways: all",
		"Generated 2025-04-01T08:00:00Z, Keeptrail", "Page 1 of 1"} {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext output lacks %q:\n%s", want, text)
		}
	}
	info := run(t, "pdfinfo", path)
	for _, want := range []string{"Title:           Audit log", "Producer:        Keeptrail", "Pages:           1"} {
		if !strings.Contains(info, want) {
			t.Errorf("pdfinfo lacks %q:\n%s", want, info)
		}
	}
	fonts := run(t, "pdffonts", path)
	if !strings.Contains(fonts, "utf8dejavusans ") || !strings.Contains(fonts, "utf8dejavusansB ") ||
		strings.Count(fonts, "Identity-H       yes") != 2 {
		t.Errorf("fonts are not embedded:\n%s", fonts)
	}
}

func TestTable2000Rows(t *testing.T) {
	b := render(t, 2000)
	path := writeTemp(t, b)
	run(t, "qpdf", "--check", path)
	pages := 0
	for line := range strings.SplitSeq(run(t, "pdfinfo", path), "\n") {
		if v, ok := strings.CutPrefix(line, "Pages:"); ok {
			pages, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if pages < 10 {
		t.Fatalf("2000 rows on %d pages", pages)
	}
	last := 0
	for _, p := range []int{3, pages} {
		text := run(t, "pdftotext", "-f", strconv.Itoa(p), "-l", strconv.Itoa(p), "-layout", path, "-")
		for _, want := range []string{
			"Audit log · Period: 2025-01-01T00:00:00Z to 2025-03-31T23:59:59Z (inclusive) · Filters: teams: all; gateways: all",
			"Seq", "Time", "Actor", "Details", // the header row
			fmt.Sprintf("Page %d of %d", p, pages),
		} {
			if !strings.Contains(text, want) {
				t.Errorf("page %d lacks %q:\n%s", p, want, text)
			}
		}
		if strings.Contains(text, "Acme Corp") {
			t.Errorf("page %d repeats the title block", p)
		}
		if p == pages {
			last = strings.Count(text, "row-002000")
		}
	}
	if last != 1 {
		t.Errorf("the last row appears %d times on the last page", last)
	}
	all := run(t, "pdftotext", path, "-")
	for _, row := range []string{"row-000001", "row-001000", "row-002000"} {
		if strings.Count(all, row) != 1 {
			t.Errorf("%s appears %d times", row, strings.Count(all, row))
		}
	}
	// Page 1 rendered small is not blank.
	dir := t.TempDir()
	run(t, "pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", path, filepath.Join(dir, "page"))
	pngs, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
	if len(pngs) != 1 {
		t.Fatalf("pdftoppm wrote %v", pngs)
	}
	f, err := os.Open(pngs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	dark, total := 0, 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			total++
			if (r+g+bl)/3 < 0x8000 {
				dark++
			}
		}
	}
	if dark*100 < total { // at least 1% of the page is ink
		t.Errorf("page 1 is nearly blank: %d dark pixels of %d", dark, total)
	}
}

func TestTableByteIdentical(t *testing.T) {
	a, b := render(t, 150), render(t, 150)
	if !bytes.Equal(a, b) {
		t.Fatalf("two renders of the same table differ (%d and %d bytes)", len(a), len(b))
	}
	if !bytes.Contains(a, []byte("/CreationDate (D:20250401080000")) {
		t.Errorf("creation date is not GeneratedAt")
	}
}

func TestTableEmpty(t *testing.T) {
	path := writeTemp(t, render(t, 0))
	text := run(t, "pdftotext", path, "-")
	if !strings.Contains(text, "No rows match this period and these filters.") || !strings.Contains(text, "Page 1 of 1") {
		t.Errorf("empty table:\n%s", text)
	}
}

func TestTableErrors(t *testing.T) {
	cols := []Column{{Title: "A", Width: 1}}
	for _, tc := range []struct {
		name string
		opt  TableOptions
		want string
	}{
		{"no columns", TableOptions{GeneratedAt: generatedAt}, "pdf: a table needs columns"},
		{"no date", TableOptions{Columns: cols}, "pdf: GeneratedAt is required (the document date comes from it, never the clock)"},
		{"zero width", TableOptions{GeneratedAt: generatedAt, Columns: []Column{{Title: "A"}}},
			"pdf: column 1 (A) has width 0; widths must be positive"},
	} {
		if _, err := NewTable(tc.opt); err == nil || err.Error() != tc.want {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	doc, err := NewTable(TableOptions{GeneratedAt: generatedAt, Columns: cols})
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Row("a", "b"); err == nil || err.Error() != "pdf: row 1 has 2 cells, the table 1 columns" {
		t.Errorf("wide row: %v", err)
	}
	if err := doc.Row("\x00\xff😀 odd but fine"); err != nil {
		t.Errorf("odd text: %v", err)
	}
	if err := doc.Write(&bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if err := doc.Row("late"); err == nil || err.Error() != "pdf: row after Write" {
		t.Errorf("row after Write: %v", err)
	}
}
