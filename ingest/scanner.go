package ingest

import (
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of arrays and objects inside one line (details, unknown
// fields), so a line of brackets cannot exhaust the stack.
const maxDepth = 64

// syntaxError is a line that is not one well-formed JSON object.
type syntaxError struct {
	off int
	msg string
}

// scanner reads a single JSON text from one line, validating as it goes. It never
// allocates for what it skips; strings are copied only when a caller asks for them.
type scanner struct {
	b   []byte
	i   int
	err *syntaxError
}

func (s *scanner) fail(off int, format string, args ...any) {
	if s.err == nil {
		s.err = &syntaxError{off: off, msg: fmt.Sprintf(format, args...)}
	}
	s.i = len(s.b)
}

func (s *scanner) ws() {
	if s.i < len(s.b) && s.b[s.i] > ' ' {
		return
	}
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next byte, or 0 at the end.
func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// str reads the string at s.i (which holds '"'). raw is its content between the quotes
// as written; esc reports escapes in it; utf reports that its raw bytes are valid UTF-8.
func (s *scanner) str() (raw []byte, esc, utf, ok bool) {
	start := s.i + 1
	ascii := true
	b := s.b
	for i := start; ; {
		for i < len(b) && plain[b[i]] {
			i++
		}
		if i >= len(s.b) {
			s.fail(i, "unterminated string")
			return nil, false, false, false
		}
		c := s.b[i]
		switch {
		case c == '"':
			raw = s.b[start:i]
			s.i = i + 1
			return raw, esc, ascii || utf8.Valid(raw), true
		case c == '\\':
			esc = true
			if i+1 >= len(s.b) {
				s.fail(i, "unterminated string")
				return nil, false, false, false
			}
			switch s.b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(s.b) || !isHex4(s.b[i+2:i+6]) {
					s.fail(i, "invalid \\u escape")
					return nil, false, false, false
				}
				i += 6
			default:
				s.fail(i, "invalid escape \\%c", s.b[i+1])
				return nil, false, false, false
			}
		case c < 0x20:
			s.fail(i, "control character in string")
			return nil, false, false, false
		case c >= 0x80:
			ascii = false
			i++
		default:
			i++
		}
	}
}

// plain marks the bytes a string may hold that need no further look: not a quote, a
// backslash, a control character or the start of a multi-byte UTF-8 sequence.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isHex4(b []byte) bool {
	for _, c := range b {
		if hexVal(c) < 0 {
			return false
		}
	}
	return true
}

func hexVal(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

func hex4(b []byte) rune {
	return hexVal(b[0])<<12 | hexVal(b[1])<<8 | hexVal(b[2])<<4 | hexVal(b[3])
}

// unescape decodes the content of a validated JSON string that has escapes. Lone
// surrogates become U+FFFD, as encoding/json does.
func unescape(raw []byte) []byte {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		switch raw[i+1] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(raw[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					r2 = hex4(raw[i+2 : i+6])
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
			continue
		default: // '"', '\\', '/'
			out = append(out, raw[i+1])
		}
		i += 2
	}
	return out
}

// number reads the number at s.i. integer reports that it has neither a fraction nor an
// exponent.
func (s *scanner) number() (tok []byte, integer, ok bool) {
	start := s.i
	i := s.i
	if i < len(s.b) && s.b[i] == '-' {
		i++
	}
	switch {
	case i < len(s.b) && s.b[i] == '0':
		i++
	case i < len(s.b) && s.b[i] >= '1' && s.b[i] <= '9':
		for i < len(s.b) && s.b[i] >= '0' && s.b[i] <= '9' {
			i++
		}
	default:
		s.fail(i, "invalid number")
		return nil, false, false
	}
	integer = true
	if i < len(s.b) && s.b[i] == '.' {
		integer = false
		i++
		d := i
		for i < len(s.b) && s.b[i] >= '0' && s.b[i] <= '9' {
			i++
		}
		if i == d {
			s.fail(i, "invalid number")
			return nil, false, false
		}
	}
	if i < len(s.b) && (s.b[i] == 'e' || s.b[i] == 'E') {
		integer = false
		i++
		if i < len(s.b) && (s.b[i] == '+' || s.b[i] == '-') {
			i++
		}
		d := i
		for i < len(s.b) && s.b[i] >= '0' && s.b[i] <= '9' {
			i++
		}
		if i == d {
			s.fail(i, "invalid number")
			return nil, false, false
		}
	}
	s.i = i
	return s.b[start:i], integer, true
}

// literal reads true, false or null.
func (s *scanner) literal(word string) bool {
	if len(s.b)-s.i >= len(word) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	s.fail(s.i, "invalid value")
	return false
}

// skip reads one value of any kind, validating it, and reports whether it was valid JSON.
// utf is false when a string inside it is not valid UTF-8.
func (s *scanner) skip(depth int) (utf bool) {
	utf = true
	if depth > maxDepth {
		s.fail(s.i, "nesting deeper than %d levels", maxDepth)
		return
	}
	switch c := s.peek(); {
	case c == '"':
		_, _, u, _ := s.str()
		return u
	case c == '-' || (c >= '0' && c <= '9'):
		s.number()
	case c == 't':
		s.literal("true")
	case c == 'f':
		s.literal("false")
	case c == 'n':
		s.literal("null")
	case c == '[':
		s.i++
		s.ws()
		if s.peek() == ']' {
			s.i++
			return
		}
		for s.err == nil {
			s.ws()
			utf = s.skip(depth+1) && utf
			s.ws()
			switch s.peek() {
			case ',':
				s.i++
			case ']':
				s.i++
				return
			default:
				s.fail(s.i, "expected ',' or ']'")
			}
		}
	case c == '{':
		s.i++
		s.ws()
		if s.peek() == '}' {
			s.i++
			return
		}
		for s.err == nil {
			s.ws()
			if s.peek() != '"' {
				s.fail(s.i, "expected a field name")
				return
			}
			_, _, u, _ := s.str()
			utf = u && utf
			s.ws()
			if s.peek() != ':' {
				s.fail(s.i, "expected ':'")
				return
			}
			s.i++
			s.ws()
			utf = s.skip(depth+1) && utf
			s.ws()
			switch s.peek() {
			case ',':
				s.i++
			case '}':
				s.i++
				return
			default:
				s.fail(s.i, "expected ',' or '}'")
			}
		}
	case c == 0 && s.i >= len(s.b):
		s.fail(s.i, "unexpected end of line")
	default:
		s.fail(s.i, "invalid character %q", c)
	}
	return
}
