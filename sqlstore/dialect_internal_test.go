package sqlstore

import (
	"slices"
	"testing"
)

func TestRebindDollar(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT * FROM t WHERE a = ? AND b IN (?, ?)", "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)"},
		{"SELECT '?' , ?", "SELECT '?' , $1"},
		{"SELECT 'it''s ?', ?, 'x?'", "SELECT 'it''s ?', $1, 'x?'"},
		{`SELECT "odd?col" FROM t WHERE x = ?`, `SELECT "odd?col" FROM t WHERE x = $1`},
		{"INSERT INTO t VALUES (?, ?), (?, ?)", "INSERT INTO t VALUES ($1, $2), ($3, $4)"},
	}
	for _, tc := range tests {
		if got := rebindDollar(tc.in); got != tc.want {
			t.Errorf("rebindDollar(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := newSQLiteDialect().rebind("a = ?"); got != "a = ?" {
		t.Errorf("sqlite rebind changed the query: %q", got)
	}
}

func TestEventChunks(t *testing.T) {
	tests := []struct {
		n    int
		want []int
	}{
		{1, []int{1}},
		{2, []int{2}},
		{3, []int{2, 1}},
		{1000, []int{512, 256, 128, 64, 32, 8}},
		{1024, []int{1024}},
		{2500, []int{1024, 1024, 256, 128, 64, 4}},
	}
	sizes := map[int]bool{}
	for _, tc := range tests {
		var got []int
		for left := tc.n; left > 0; {
			c := eventChunk(left)
			got = append(got, c)
			sizes[c] = true
			left -= c
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("chunks of %d = %v, want %v", tc.n, got, tc.want)
		}
	}
	for n := 1; n <= 5000; n++ {
		sizes[eventChunk(n)] = true
	}
	if len(sizes) != 11 {
		t.Errorf("%d distinct chunk sizes, want 11 (1 to 1024)", len(sizes))
	}
	if maxEventChunk*eventColumnCount > newSQLiteDialect().maxParams {
		t.Errorf("a chunk of %d events needs %d parameters, more than SQLite's %d", maxEventChunk,
			maxEventChunk*eventColumnCount, newSQLiteDialect().maxParams)
	}
}

func TestPlaceholders(t *testing.T) {
	if got, want := placeholders(2, 3), "(?, ?, ?), (?, ?, ?)"; got != want {
		t.Errorf("placeholders(2, 3) = %q, want %q", got, want)
	}
}

func TestJSONStrings(t *testing.T) {
	var js jsonText
	tests := []struct {
		in   []string
		want string
	}{
		{nil, "[]"},
		{[]string{}, "[]"},
		{[]string{"pii.ssn"}, `["pii.ssn"]`},
		{[]string{"a", `b"c`, `d\e`, "<x>", "tab\there", "é"}, `["a","b\"c","d\\e","\u003cx\u003e","tab\there","é"]`},
	}
	for _, tc := range tests {
		if got := js.strings(tc.in); got != tc.want {
			t.Errorf("strings(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
