package export

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/spec")

// parseFile parses a spec file by its extension.
func parseFile(path string, b []byte) (Spec, error) {
	if strings.HasSuffix(path, ".json") {
		return ParseJSON(b, Limits{})
	}
	return ParseYAML(b, Limits{})
}

// TestGoldenSpecs parses every file under testdata/spec: each valid/ file must give the
// canonical JSON in its .golden file, each invalid/ file the errors in its .golden file.
func TestGoldenSpecs(t *testing.T) {
	for _, dir := range []string{"valid", "invalid"} {
		files, err := filepath.Glob(filepath.Join("testdata/spec", dir, "*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			if strings.HasSuffix(path, ".golden") {
				continue
			}
			t.Run(path, func(t *testing.T) {
				in, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				s, err := parseFile(path, in)
				var got []byte
				if dir == "valid" {
					if err != nil {
						t.Fatal(err)
					}
					got = append(s.Canonical(), '\n')
				} else {
					got = []byte(strings.Join(fieldErrors(t, err), "\n") + "\n")
				}
				golden := path + ".golden"
				if *update {
					if err := os.WriteFile(golden, got, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test -update)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("got:\n%s\nwant:\n%s", got, want)
				}
			})
		}
	}
}

func TestCanonicalStable(t *testing.T) {
	a, err := ParseYAML([]byte(`export:
  type: audit_log
  time_range: {start: "2025-01-01T01:00:00+01:00", end: "2025-01-31"}
  scope: {teams: [b, a, b]}
  filters: {severity: [high, low], categories: [security, authentication]}
  format: csv
`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseJSON([]byte(`{"format":"csv","filters":{"categories":["authentication","security","security"],"severity":["low","high"]},`+
		`"scope":{"teams":["a","b"],"gateways":["all"]},"time_range":{"end":"2025-01-31T23:59:59Z","start":"2025-01-01T00:00:00Z"},"type":"audit_log"}`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"audit_log","time_range":{"start":"2025-01-01T00:00:00Z","end":"2025-01-31T23:59:59Z"},` +
		`"scope":{"teams":["a","b"],"gateways":["all"]},"filters":{"severity":["low","high"],` +
		`"categories":["authentication","security"]},"format":"csv"}`
	if string(a.Canonical()) != want || string(b.Canonical()) != want {
		t.Errorf("canonical:\n%s\n%s\nwant\n%s", a.Canonical(), b.Canonical(), want)
	}
}

func TestNormalizeDoesNotShare(t *testing.T) {
	s := Spec{Scope: Scope{Teams: []string{"b", "a"}}, Filters: Filters{Users: []string{"z", "y"}}}
	n := s.Normalize()
	n.Scope.Teams[0] = "x"
	n.Filters.Users[0] = "x"
	if s.Scope.Teams[0] != "b" || s.Scope.Teams[1] != "a" || s.Filters.Users[0] != "z" {
		t.Errorf("Normalize changed its receiver: %+v", s)
	}
}
