package export

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// goldenSpec is the spec of a golden file: February 2025, every team.
func goldenSpec(t *testing.T, typ Type, format Format) Spec {
	t.Helper()
	s, err := FromFlags(Flags{Type: string(typ), Format: string(format), Start: "2025-02-01", End: "2025-02-28"}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// goldenCases are every type in every format it has.
func goldenCases() [][2]string {
	var out [][2]string
	for _, typ := range []Type{TypeAuditLog, TypeEvents, TypeEscalations, TypeConfigurations} {
		for _, f := range Formats {
			for _, allowed := range FormatTypes[f] {
				if allowed == typ {
					out = append(out, [2]string{string(typ), string(f)})
				}
			}
		}
	}
	return out
}

// TestGoldenExports exports the fixture as each type in each format, on SQLite and on
// PostgreSQL, and compares the bytes with export/testdata/export/<type>.<format>: both
// databases give the same file. go test ./export -run TestGoldenExports -update rewrites
// them (from SQLite).
func TestGoldenExports(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		loadFixture(t, db)
		x := New(db, Options{Version: "test"})
		for _, c := range goldenCases() {
			t.Run(c[0]+"."+c[1], func(t *testing.T) {
				s := goldenSpec(t, Type(c[0]), Format(c[1]))
				var out bytes.Buffer
				res, err := x.Write(context.Background(), s, adminPrincipal, &out, nil)
				if err != nil {
					t.Fatal(err)
				}
				if res.Rows != res.Population || res.Bytes != int64(out.Len()) {
					t.Fatalf("result %+v for %d bytes", res, out.Len())
				}
				path := filepath.Join("testdata", "export", c[0]+"."+c[1])
				if *update && db.Dialect() == "sqlite" {
					os.MkdirAll(filepath.Dir(path), 0o755)
					if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if !bytes.Equal(out.Bytes(), want) {
					if c[1] != "pdf" {
						t.Fatalf("%s differs from the golden file:\n--- got ---\n%s\n--- want ---\n%s", path, out.Bytes(), want)
					}
					t.Fatalf("%s differs from the golden file (%d bytes, want %d)", path, out.Len(), len(want))
				}
				// Twice: the same spec over the same data gives the same bytes.
				var again bytes.Buffer
				if _, err := x.Write(context.Background(), s, adminPrincipal, &again, nil); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(again.Bytes(), out.Bytes()) {
					t.Fatal("a second export of the same spec differs")
				}
			})
		}
	})
}

// TestGoldenPDFText checks the audit log PDF with the tools an auditor has: qpdf finds it
// well-formed, and pdftotext reads back §, é, ø, the period, the filters and the page
// count. Skipped when the tools are missing (apt-get install qpdf poppler-utils).
func TestGoldenPDFText(t *testing.T) {
	for _, tool := range []string{"qpdf", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	path := filepath.Join("testdata", "export", "audit_log.pdf")
	if out, err := exec.Command("qpdf", "--check", path).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, want := range []string{"Audit log", "Acme Førsikring §", "§ 164.312", "for é and", `ø","before"`, "bjørn@acme.example",
		"2025-02-01T00:00:00Z to 2025-02-28T23:59:59Z (inclusive)", "teams: all; gateways: all", "Page 1 of 1",
		"=cmd|' /C calc'!A0", "auth.login_failed"} {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext output lacks %q:\n%s", want, text)
		}
	}
}

// TestEmptyExports: a period without rows gives a header-only CSV, a JSON document with
// an empty rows array, an empty NDJSON file and a PDF that says so.
func TestEmptyExports(t *testing.T) {
	db := testdb.SQLite(t)
	loadFixture(t, db)
	x := New(db, Options{})
	for _, format := range []Format{FormatCSV, FormatJSON, FormatNDJSON, FormatPDF} {
		s, err := FromFlags(Flags{Type: "audit_log", Format: string(format), Start: "2024-01-01", End: "2024-01-31"}, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		res, err := x.Write(context.Background(), s, adminPrincipal, &out, nil)
		if err != nil || res.Rows != 0 || res.Population != 0 {
			t.Fatalf("%s: %+v, %v", format, res, err)
		}
		switch format {
		case FormatCSV:
			if out.String() != "seq,time,actor_kind,actor,action,category,team,target,severity,source_ip,outcome,details,prev_hash,hash\r\n" {
				t.Fatalf("empty csv %q", out.String())
			}
		case FormatJSON:
			var doc struct {
				Export struct{ Population int64 }
				Rows   []json.RawMessage
			}
			if err := json.Unmarshal(out.Bytes(), &doc); err != nil || doc.Rows == nil || len(doc.Rows) != 0 || !strings.HasSuffix(out.String(), `,"rows":[]}`+"\n") {
				t.Fatalf("empty json %q: %v", out.String(), err)
			}
		case FormatNDJSON:
			if out.Len() != 0 {
				t.Fatalf("empty ndjson %q", out.String())
			}
		case FormatPDF:
			if !bytes.HasPrefix(out.Bytes(), []byte("%PDF-")) {
				t.Fatalf("empty pdf starts %q", out.Bytes()[:min(8, out.Len())])
			}
		}
	}
}
