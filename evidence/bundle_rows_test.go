package evidence

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"testing"
)

// countRows feeds data to the counter for path in chunks of the given size.
func countRows(path string, data []byte, chunk int) (int64, bool) {
	c := newRowCounter(path)
	for len(data) > 0 {
		n := min(chunk, len(data))
		c.Write(data[:n])
		data = data[n:]
	}
	return c.Rows()
}

func TestRowCounts(t *testing.T) {
	for _, tc := range []struct {
		path string
		data string
		rows int64
		ok   bool
	}{
		{"a.csv", "", 0, true},
		{"a.csv", "h1,h2\r\n", 0, true},
		{"a.csv", "h1,h2\r\n1,2\r\n3,4\r\n", 2, true},
		{"a.csv", "h1,h2\n1,2\n3,4", 2, true},
		{"a.csv", "h\n\n1\n\r\n2\n", 2, true},
		{"a.csv", "h,n\n1,\"two\nlines\"\n2,\"a \"\"quoted\"\"\r\nvalue\"\n", 2, true},
		{"a.csv", "h\n\"\"\n", 1, true},
		{"a.csv", "h\r", 0, true},
		{"A.CSV", "h\nx\r", 1, true},
		{"a.ndjson", "", 0, true},
		{"a.ndjson", "{}\n{}\n", 2, true},
		{"a.ndjson", "{}\n \t\r\n{}", 2, true},
		{"a.jsonl", "{\"a\":1}\n", 1, true},
		{"a.json", "[]", 0, true},
		{"a.json", " [ ]\n", 0, true},
		{"a.json", "[1, \"two, ]\", {\"x\": [3, 4]}, [5, [6]], null, true]", 6, true},
		{"a.json", `["\"", "\\", "\\\"]"]`, 3, true},
		{"a.json", `{"rows": [1, 2]}`, 0, false},
		{"a.json", "", 0, false},
		{"a.json", `"text"`, 0, false},
	} {
		for _, chunk := range []int{1, 3, 1 << 20} {
			rows, ok := countRows(tc.path, []byte(tc.data), chunk)
			if rows != tc.rows || ok != tc.ok {
				t.Errorf("%s %q (chunks of %d): rows %d, %v; want %d, %v", tc.path, tc.data, chunk, rows, ok, tc.rows, tc.ok)
			}
		}
	}
	for _, p := range []string{"report.pdf", "x.txt", "noext"} {
		if c := newRowCounter(p); c != nil {
			t.Errorf("%s has a row counter", p)
		}
	}
}

// FuzzCSVRows checks the CSV row counter against encoding/csv on every input that
// encoding/csv reads without error.
func FuzzCSVRows(f *testing.F) {
	for _, s := range []string{"h\n1\n", "h,n\n1,\"a\nb\"\n", "\r\n\r\n", "h\r\r\n1\r", "\"a\"\"b\"\n\n\"c\n\"", "a\rb\nc"} {
		f.Add([]byte(s))
	}
	for _, m := range fixtureMembers {
		f.Add([]byte(m.data))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := csv.NewReader(bytes.NewReader(data))
		r.FieldsPerRecord = -1
		var records int64
		for {
			_, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return // not valid CSV: nothing to compare
			}
			records++
		}
		want := max(records-1, 0)
		for _, chunk := range []int{1, 7, len(data) + 1} {
			if got, _ := countRows("x.csv", data, chunk); got != want {
				t.Fatalf("%q (chunks of %d): %d rows, encoding/csv reads %d", data, chunk, got, want)
			}
		}
	})
}

// FuzzJSONArrayRows checks the JSON array counter against encoding/json.
func FuzzJSONArrayRows(f *testing.F) {
	for _, s := range []string{"[]", "[1,2]", `[{"a":"]"},"\"",[[]]]`, `{"a":[1]}`, " [ \"x\" ] ", "1"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		arr, isArray := v.([]any)
		got, ok := countRows("x.json", data, 5)
		if ok != isArray || (isArray && got != int64(len(arr))) {
			t.Fatalf("%q: %d rows, %v; encoding/json reads an array: %v of %d", data, got, ok, isArray, len(arr))
		}
	})
}
