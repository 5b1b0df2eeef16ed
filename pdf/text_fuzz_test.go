package pdf

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCellText checks that any cell text renders without error or panic and wraps to at
// most MaxLines lines, each fitting its column unless it is a single character.
func FuzzCellText(f *testing.F) {
	for _, s := range []string{"", "§ é ø €", "a\r\nb\tc", "\x00\xff", "😀\U00010000", strings.Repeat("w", 300),
		"   leading", "trailing   ", "a \n \n b", "…", "\u0085\u200b\ufeff"} {
		f.Add(s)
	}
	doc, err := NewTable(TableOptions{GeneratedAt: generatedAt, Columns: []Column{{"A", 1, ""}, {"B", 6, ""}}})
	if err != nil {
		f.Fatal(err)
	}
	width := doc.widths[0] - 2*cellPadX
	f.Fuzz(func(t *testing.T, s string) {
		if err := doc.Row(s, s); err != nil {
			t.Fatal(err)
		}
		c := clean(s)
		if !utf8.ValidString(c) {
			t.Fatalf("clean(%q) = %q is not valid UTF-8", s, c)
		}
		doc.setFont(false, bodySize)
		lines, _ := wrap(c, width, 3, doc.measure)
		if len(lines) > 3 {
			t.Fatalf("%d lines", len(lines))
		}
		for _, l := range lines {
			w := 0.0
			for _, r := range l {
				w += doc.measure(r)
			}
			if w > width+1e-9 && utf8.RuneCountInString(l) > 1 {
				t.Fatalf("line %q is %.2f mm wide in a %.2f mm column", l, w, width)
			}
		}
	})
}
