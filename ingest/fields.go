package ingest

import (
	"bytes"
	"encoding/json"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/keeptrail/keeptrail"
)

// Limits on the values of one line.
const (
	// MaxIdentifierBytes is the longest identifier (request id, gateway, team, user,
	// model, actor, target, action, rule, category) a line may carry.
	MaxIdentifierBytes = 256
	// maxListItems bounds rules_matched and categories.
	maxListItems = 256
	// maxLineErrors bounds the field errors reported for one line.
	maxLineErrors = 20
	// maxNameInError bounds how much of an unknown field's name an error repeats.
	maxNameInError = 64
	// maxInt32 is the largest policies_evaluated (an INTEGER column).
	maxInt32 = math.MaxInt32
)

// parser walks the fields of one JSON object line and collects every bad field.
type parser struct {
	s       scanner
	started bool
	pending bool // the current key's value has not been read yet
	key     []byte
	fields  []keeptrail.FieldError
	dropped int
	keys    uint32 // fields whose key appeared (duplicate detection)
	nulls   uint32 // fields whose value was null
	cur     uint32 // the field being read
	// notObject is set when the line is well-formed JSON but not an object.
	notObject bool
}

func newParser(line []byte) parser { return parser{s: scanner{b: line}} }

// next advances to the next field and reports whether there is one; the caller reads
// its value with one of the value methods, or leaves it to be skipped.
func (p *parser) next() bool {
	s := &p.s
	if s.err != nil {
		return false
	}
	if p.pending {
		p.pending = false
		s.skip(1)
		if s.err != nil {
			return false
		}
	}
	p.key = nil
	s.ws()
	if !p.started {
		p.started = true
		if s.peek() != '{' {
			// Tell a well-formed value of another kind from malformed JSON.
			s.skip(1)
			p.end()
			p.notObject = s.err == nil
			return false
		}
		s.i++
		s.ws()
		if s.peek() == '}' {
			s.i++
			p.end()
			return false
		}
	} else {
		switch s.peek() {
		case ',':
			s.i++
			s.ws()
		case '}':
			s.i++
			p.end()
			return false
		default:
			s.fail(s.i, "expected ',' or '}'")
			return false
		}
	}
	if s.peek() != '"' {
		s.fail(s.i, "expected a field name")
		return false
	}
	raw, esc, utf, ok := s.str()
	if !ok {
		return false
	}
	if esc {
		raw = unescape(raw)
	}
	if !utf {
		raw = []byte(strings.ToValidUTF8(string(raw), "\uFFFD"))
	}
	p.key = raw
	s.ws()
	if s.peek() != ':' {
		s.fail(s.i, "expected ':'")
		return false
	}
	s.i++
	s.ws()
	p.pending = true
	return true
}

// end checks that nothing but white space follows the object.
func (p *parser) end() {
	p.s.ws()
	if p.s.i < len(p.s.b) {
		p.s.fail(p.s.i, "unexpected data after the JSON object")
	}
}

// add records a bad field.
func (p *parser) add(field, reason string) {
	if len(p.fields) >= maxLineErrors {
		p.dropped++
		return
	}
	p.fields = append(p.fields, keeptrail.FieldError{Field: field, Reason: reason})
}

// claim marks field bit as seen and reports whether it is the first time; a repeated key
// is an error (encoding/json would silently keep the last one).
func (p *parser) claim(bit uint32, field string) bool {
	if p.keys&bit != 0 {
		p.add(field, "duplicate field")
		return false
	}
	p.keys |= bit
	p.cur = bit
	return true
}

// unknown records the current key as an unknown field.
func (p *parser) unknown() {
	p.add(nameInError(p.key), "unknown field")
}

// nameInError shortens an unknown field's name so that errors stay small, and quotes it
// when it is empty or holds characters that would blur the message (separators, quotes,
// control characters).
func nameInError(key []byte) string {
	name := string(key)
	if len(key) > maxNameInError {
		n := maxNameInError
		for n > 0 && !utf8.RuneStart(key[n]) {
			n--
		}
		name = string(key[:n]) + "…"
	}
	if name == "" || strings.ContainsAny(name, ":;\"\\") || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return strconv.Quote(name)
	}
	return name
}

// require reports each required field that is absent or null.
func (p *parser) require(bits []uint32, names []string) {
	for i, bit := range bits {
		if p.keys&bit == 0 || p.nulls&bit != 0 {
			p.add(names[i], "is required")
		}
	}
}

// err returns the line's error: a syntax error alone, or every bad field.
func (p *parser) err() error {
	if p.s.err != nil {
		e := &keeptrail.Error{Code: keeptrail.EINVALID}
		if p.key != nil {
			e.Fields = []keeptrail.FieldError{{Field: nameInError(p.key),
				Reason: "invalid JSON at byte " + strconv.Itoa(p.s.err.off) + ": " + p.s.err.msg}}
		} else {
			e.Message = "invalid JSON at byte " + strconv.Itoa(p.s.err.off) + ": " + p.s.err.msg
		}
		return e
	}
	if p.notObject {
		return &keeptrail.Error{Code: keeptrail.EINVALID, Message: "line: must be a JSON object"}
	}
	if len(p.fields) == 0 {
		return nil
	}
	fields := p.fields
	if p.dropped > 0 {
		fields = append(fields, keeptrail.FieldError{Field: "line",
			Reason: strconv.Itoa(p.dropped) + " more errors not shown"})
	}
	return &keeptrail.Error{Code: keeptrail.EINVALID, Fields: fields}
}

// kind of the pending value, consuming a null. It returns 0 for null.
func (p *parser) value() byte {
	p.pending = false
	c := p.s.peek()
	if c == 'n' {
		p.s.literal("null")
		p.nulls |= p.cur
		return 0
	}
	return c
}

// mismatch skips a value of the wrong kind and records why.
func (p *parser) mismatch(field, reason string) {
	p.s.skip(1)
	if p.s.err == nil {
		p.add(field, reason)
	}
}

// text reads an identifier: a string of valid UTF-8 without NUL, at most
// MaxIdentifierBytes. It returns present false for null or a bad value.
func (p *parser) text(bit uint32, field string, required bool) (string, bool) {
	if !p.claim(bit, field) {
		return "", false
	}
	c := p.value()
	if c == 0 {
		return "", false
	}
	if c != '"' {
		p.mismatch(field, "must be a string")
		return "", false
	}
	v, reason := p.identifier(required)
	if reason != "" {
		if p.s.err == nil {
			p.add(field, reason)
		}
		return "", false
	}
	return v, true
}

// identifier reads the string at the cursor and checks it as an identifier; reason says
// why it is bad ("" when good; "-" after a syntax error).
func (p *parser) identifier(required bool) (v, reason string) {
	raw, esc, utf, ok := p.s.str()
	if !ok {
		return "", "-"
	}
	if !utf {
		return "", "must be valid UTF-8"
	}
	if esc {
		raw = unescape(raw)
	}
	switch {
	case len(raw) == 0 && required:
		return "", "must not be empty"
	case len(raw) > MaxIdentifierBytes:
		return "", "must be at most " + strconv.Itoa(MaxIdentifierBytes) + " bytes"
	case esc && bytes.IndexByte(raw, 0) >= 0:
		return "", "must not contain NUL characters"
	}
	return string(raw), ""
}

// enum reads a string that must be one of choices; it returns the matching choice.
func (p *parser) enum(bit uint32, field string, choices []string) (string, bool) {
	if !p.claim(bit, field) {
		return "", false
	}
	c := p.value()
	if c == 0 {
		return "", false
	}
	if c == '"' {
		raw, esc, _, ok := p.s.str()
		if !ok {
			return "", false
		}
		if esc {
			raw = unescape(raw)
		}
		for _, ch := range choices {
			if string(raw) == ch {
				return ch, true
			}
		}
		p.add(field, "must be one of "+strings.Join(choices, ", "))
		return "", false
	}
	p.mismatch(field, "must be one of "+strings.Join(choices, ", "))
	return "", false
}

// time reads an RFC 3339 time with any offset, returned in UTC at microsecond precision.
func (p *parser) time(bit uint32, field string) (time.Time, bool) {
	if !p.claim(bit, field) {
		return time.Time{}, false
	}
	c := p.value()
	if c == 0 {
		return time.Time{}, false
	}
	if c != '"' {
		p.mismatch(field, "must be an RFC 3339 time")
		return time.Time{}, false
	}
	raw, esc, _, ok := p.s.str()
	if !ok {
		return time.Time{}, false
	}
	if esc {
		raw = unescape(raw)
	}
	t, err := time.Parse(time.RFC3339, string(raw))
	if err != nil {
		p.add(field, "must be an RFC 3339 time")
		return time.Time{}, false
	}
	return keeptrail.TruncTime(t), true
}

// integer reads a non-negative integer no larger than max.
func (p *parser) integer(bit uint32, field string, max int64) (int64, bool) {
	if !p.claim(bit, field) {
		return 0, false
	}
	c := p.value()
	if c == 0 {
		return 0, false
	}
	if c != '-' && (c < '0' || c > '9') {
		p.mismatch(field, "must be an integer")
		return 0, false
	}
	tok, integer, ok := p.s.number()
	if !ok {
		return 0, false
	}
	if !integer {
		p.add(field, "must be an integer")
		return 0, false
	}
	neg := tok[0] == '-'
	if neg {
		tok = tok[1:]
	}
	var n int64
	for _, d := range tok {
		if n > (max-int64(d-'0'))/10 {
			if neg {
				p.add(field, "must not be negative")
			} else {
				p.add(field, "must be at most "+strconv.FormatInt(max, 10))
			}
			return 0, false
		}
		n = n*10 + int64(d-'0')
	}
	if neg && n != 0 {
		p.add(field, "must not be negative")
		return 0, false
	}
	return n, true
}

// number reads a finite number within [min, max].
func (p *parser) number(bit uint32, field string, min, max float64) (float64, bool) {
	if !p.claim(bit, field) {
		return 0, false
	}
	c := p.value()
	if c == 0 {
		return 0, false
	}
	if c != '-' && (c < '0' || c > '9') {
		p.mismatch(field, "must be a number")
		return 0, false
	}
	tok, _, ok := p.s.number()
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(tok), 64)
	switch {
	case err != nil:
		p.add(field, "is out of range")
		return 0, false
	case f < min && min == 0:
		p.add(field, "must not be negative")
		return 0, false
	case f < min || f > max:
		p.add(field, "must be between "+strconv.FormatFloat(min, 'g', -1, 64)+" and "+
			strconv.FormatFloat(max, 'g', -1, 64))
		return 0, false
	}
	return f, true
}

// boolean reads true or false.
func (p *parser) boolean(bit uint32, field string) (bool, bool) {
	if !p.claim(bit, field) {
		return false, false
	}
	switch p.value() {
	case 0:
		return false, false
	case 't':
		if p.s.literal("true") {
			return true, true
		}
	case 'f':
		if p.s.literal("false") {
			return false, true
		}
	default:
		p.mismatch(field, "must be a boolean")
	}
	return false, false
}

// textList reads an array of identifiers (field[i] named in errors).
func (p *parser) textList(bit uint32, field string) ([]string, bool) {
	if !p.claim(bit, field) {
		return nil, false
	}
	c := p.value()
	if c == 0 {
		return nil, false
	}
	if c != '[' {
		p.mismatch(field, "must be an array of strings")
		return nil, false
	}
	s := &p.s
	s.i++
	s.ws()
	if s.peek() == ']' {
		s.i++
		return nil, true
	}
	var out []string
	good := true
	for n := 0; s.err == nil; n++ {
		s.ws()
		if n == maxListItems {
			p.add(field, "must have at most "+strconv.Itoa(maxListItems)+" items")
			good = false
		}
		if s.peek() == '"' {
			v, reason := p.identifier(true)
			switch {
			case reason == "-":
			case reason != "":
				p.add(field+"["+strconv.Itoa(n)+"]", reason)
				good = false
			case n < maxListItems:
				out = append(out, v)
			}
		} else {
			s.skip(2)
			if s.err == nil {
				p.add(field+"["+strconv.Itoa(n)+"]", "must be a string")
			}
			good = false
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return out, good
		default:
			s.fail(s.i, "expected ',' or ']'")
		}
	}
	return nil, false
}

// object reads a JSON object and returns it as compact JSON.
func (p *parser) object(bit uint32, field string) (json.RawMessage, bool) {
	if !p.claim(bit, field) {
		return nil, false
	}
	c := p.value()
	if c == 0 {
		return nil, false
	}
	if c != '{' {
		p.mismatch(field, "must be an object")
		return nil, false
	}
	start := p.s.i
	utf := p.s.skip(1)
	if p.s.err != nil {
		return nil, false
	}
	if !utf {
		p.add(field, "must be valid UTF-8")
		return nil, false
	}
	compact, err := keeptrail.CompactDetails(p.s.b[start:p.s.i])
	if err != nil {
		p.add(field, "must be an object")
		return nil, false
	}
	return compact, true
}

// ipAddress reads an IP address, returned in its canonical form.
func (p *parser) ipAddress(bit uint32, field string) (string, bool) {
	if !p.claim(bit, field) {
		return "", false
	}
	c := p.value()
	if c == 0 {
		return "", false
	}
	if c != '"' {
		p.mismatch(field, "must be an IP address")
		return "", false
	}
	raw, esc, _, ok := p.s.str()
	if !ok {
		return "", false
	}
	if esc {
		raw = unescape(raw)
	}
	a, err := netip.ParseAddr(string(raw))
	if err != nil {
		p.add(field, "must be an IP address")
		return "", false
	}
	return a.String(), true
}
