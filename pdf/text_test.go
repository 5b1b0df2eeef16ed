package pdf

import (
	"reflect"
	"testing"
)

// unit measures every rune as 1, so widths are rune counts.
func unit(rune) float64 { return 1 }

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		name     string
		text     string
		width    float64
		maxLines int
		want     []string
		cut      bool
	}{
		{"fits", "alice", 10, 3, []string{"alice"}, false},
		{"empty", "", 10, 3, []string{""}, false},
		{"breaks after spaces", "aaa bbb ccc", 7, 3, []string{"aaa bbb", "ccc"}, false},
		{"breaks inside a long word", "abcdefghij", 4, 3, []string{"abcd", "efgh", "ij"}, false},
		{"honours line breaks", "one\ntwo", 10, 3, []string{"one", "two"}, false},
		{"cut with an ellipsis", "aaa bbb ccc ddd", 4, 2, []string{"aaa", "bbb…"}, true},
		{"ellipsis replaces the end of a full line", "abcdefgh", 4, 1, []string{"abc…"}, true},
		{"too many paragraphs", "a\nb\nc\nd", 5, 2, []string{"a", "b…"}, true},
		{"multibyte", "§é ø€", 2, 3, []string{"§é", "ø€"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, cut := wrap(tc.text, tc.width, tc.maxLines, unit)
			if !reflect.DeepEqual(got, tc.want) || cut != tc.cut {
				t.Errorf("wrap(%q, %v, %d) = %q, %v; want %q, %v", tc.text, tc.width, tc.maxLines, got, cut, tc.want, tc.cut)
			}
		})
	}
}

func TestClean(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain § é ø €", "plain § é ø €"},
		{"a\tb", "a b"},
		{"a\r\nb\rc", "a\nb\nc"},
		{"nul\x00bell\x07", "nul\ufffdbell\ufffd"},
		{"bad \xff utf8", "bad \ufffd utf8"},
		{"emoji 😀 and U+10000 \U00010000", "emoji \ufffd and U+10000 \ufffd"},
		{"C1 \u0085", "C1 \ufffd"},
	} {
		if got := clean(tc.in); got != tc.want {
			t.Errorf("clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
