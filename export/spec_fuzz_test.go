package export

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// addSeeds adds every spec file under testdata/spec with the given extension.
func addSeeds(f *testing.F, ext string) {
	files, err := filepath.Glob("testdata/spec/*/*" + ext)
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// checkRoundTrip asserts the fuzz property: an accepted spec re-encodes to canonical
// JSON that parses back to the same spec and the same bytes.
func checkRoundTrip(t *testing.T, s Spec) {
	t.Helper()
	c := s.Canonical()
	back, err := ParseJSON(c, Limits{MaxBytes: 16 << 20, MaxRange: -1})
	if err != nil {
		t.Fatalf("canonical form %s does not parse: %v", c, err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Fatalf("canonical form %s parses to\n%#v\nwant\n%#v", c, back, s)
	}
	if c2 := back.Canonical(); string(c2) != string(c) {
		t.Fatalf("canonical form changed:\n%s\n%s", c, c2)
	}
}

func FuzzParseYAML(f *testing.F) {
	addSeeds(f, ".yaml")
	for _, s := range []string{
		"", "export:", "export: {}", "export: []", "export: !!binary aGVsbG8=", "a: &a [*a]",
		base, base + "  scope: {teams: [all]}\n",
		base + "  filters: {users: [\"\\u0085\"]}\n",
		"export:\n  type: events\n  time_range: {start: 2025-01-01T00:00:00.123456789+14:00, end: 9999-12-31}\n  format: json\n",
		"export:\n  type: events\n  time_range: {start: 1970-01-01, end: 1970-01-01}\n  format: csv\n",
		"export: {type: events, format: csv, time_range: {start: 2025-01-01, end: 2025-01-01}, scope: {teams: [\"<&>\", \"\u2028\"]}}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseYAML(b, Limits{MaxRange: -1})
		if err != nil {
			if s.Type != "" || s.Format != "" {
				t.Fatalf("error %v came with a non-zero spec", err)
			}
			return
		}
		checkRoundTrip(t, s)
	})
}

func FuzzParseJSON(f *testing.F) {
	addSeeds(f, ".json")
	for _, s := range []string{
		"", "{}", "null", "[]", `{"export":null}`, productJSON, `{"export":` + productJSON + `}`,
		`{"type":"events","format":"csv","time_range":{"start":"2025-01-01","end":"2025-01-01T00:00:00.5Z"}}`,
		`{"type":"audit_log","format":"csv","time_range":{"start":"2025-01-01","end":"2025-01-02"},"filters":{"actions":["a\u003cb"]}}`,
		strings.Repeat(`{"a":`, 50),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseJSON(b, Limits{MaxRange: -1})
		if err != nil {
			return
		}
		checkRoundTrip(t, s)
	})
}
