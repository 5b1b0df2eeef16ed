package pdf

import (
	"strings"
	"unicode/utf8"
)

// ellipsis ends a cell that was cut short.
const ellipsis = "…"

// Clean makes s safe to print with the fonts of AddFonts; see clean.
func Clean(s string) string { return clean(s) }

// clean makes s safe to hand to fpdf: invalid UTF-8, control characters (other than the
// line breaks and tabs, which become line breaks and spaces) and runes outside the
// Basic Multilingual Plane (fpdf's UTF-8 fonts index widths by rune up to U+FFFF) are
// replaced with U+FFFD, so a value is never silently dropped and never breaks the file.
func clean(s string) string {
	ok := true
	for _, r := range s {
		if r == utf8.RuneError || r == '\t' || r == '\r' || isControl(r) || r > 0xFFFF {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				b.WriteRune(utf8.RuneError)
			} else {
				b.WriteRune(r)
			}
		case r == '\t':
			b.WriteByte(' ')
		case r == '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				continue
			}
			b.WriteByte('\n')
		case r == '\n':
			b.WriteByte('\n')
		case isControl(r) || r > 0xFFFF:
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isControl(r rune) bool {
	return (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r < 0xa0)
}

// measurer gives the width of a rune in the current font, in user units.
type measurer func(r rune) float64

// wrap breaks cleaned text into lines no wider than width, breaking after spaces where
// it can and inside a word where it must, and honouring line breaks. When more than
// maxLines lines would be needed, the last kept line ends with an ellipsis. It reports
// whether text was cut.
func wrap(text string, width float64, maxLines int, measure measurer) ([]string, bool) {
	var lines []string
	for para := range strings.SplitSeq(text, "\n") {
		lines = wrapLine(lines, para, width, measure)
		if len(lines) > maxLines {
			break
		}
	}
	if len(lines) <= maxLines {
		return lines, false
	}
	lines = lines[:maxLines]
	lines[maxLines-1] = withEllipsis(lines[maxLines-1], width, measure)
	return lines, true
}

// wrapLine appends the lines of one paragraph (no line breaks) to lines.
func wrapLine(lines []string, para string, width float64, measure measurer) []string {
	start, lastSpace := 0, -1 // byte offsets into para
	w, wAtSpace := 0.0, 0.0
	for i, r := range para {
		rw := measure(r)
		if r == ' ' && w+rw > width {
			// A space that overflows ends the line where it stands.
			lines = append(lines, strings.TrimRight(para[start:i], " "))
			start, lastSpace, w = i+1, -1, 0
			continue
		}
		if w+rw > width && i > start && lastSpace > start {
			// Break after the last space; the rest of the word moves down.
			lines = append(lines, strings.TrimRight(para[start:lastSpace], " "))
			start = lastSpace + 1
			w -= wAtSpace + measure(' ')
			lastSpace = -1
		}
		if w+rw > width && i > start {
			// Still too wide: break inside the word.
			lines = append(lines, para[start:i])
			start, lastSpace, w = i, -1, 0
		}
		if r == ' ' {
			lastSpace, wAtSpace = i, w
		}
		w += rw
	}
	return append(lines, strings.TrimRight(para[start:], " "))
}

// withEllipsis shortens line until it fits width with an ellipsis after it.
func withEllipsis(line string, width float64, measure measurer) string {
	limit := width - measure('…')
	w := 0.0
	for i, r := range line {
		w += measure(r)
		if w > limit {
			return strings.TrimRight(line[:i], " ") + ellipsis
		}
	}
	return strings.TrimRight(line, " ") + ellipsis
}
