package evidence

import (
	"strings"
	"unicode"

	"github.com/google/uuid"
)

// oscalUUIDNamespace is the UUIDv5 namespace of every UUID in Keeptrail's OSCAL output.
var oscalUUIDNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte(OSCALNamespace))

// stableUUID returns the version 5 UUID of the parts, joined with a separator that no
// part holds (the unit separator, U+001F).
func stableUUID(parts ...string) string {
	return uuid.NewSHA1(oscalUUIDNamespace, []byte(strings.Join(parts, "\x1f"))).String()
}

// ncName maps s to the characters of an NCName: lower case; letters, digits, '.', '-'
// and '_' kept; '(' becomes '.', ')' is dropped; anything else becomes '-'; runs of '.'
// and '-' are collapsed and none is left at either end.
func ncName(s string) string {
	var b strings.Builder
	last := rune(0)
	put := func(r rune) {
		if (r == '.' || r == '-') && (last == '.' || last == '-' || last == 0) {
			return
		}
		b.WriteRune(r)
		last = r
	}
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.IsLetter(r) || unicode.IsNumber(r) || r == '.' || r == '-' || r == '_':
			put(r)
		case r == '(':
			put('.')
		case r == ')':
		default:
			put('-')
		}
	}
	return strings.TrimRight(b.String(), ".-")
}

// startsNCName reports whether s starts as an NCName must: a letter or '_'.
func startsNCName(s string) bool {
	for _, r := range s {
		return unicode.IsLetter(r) || r == '_'
	}
	return false
}

// validNCName reports whether s matches OSCAL's token pattern
// ^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$.
func validNCName(s string) bool {
	if !startsNCName(s) {
		return false
	}
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsNumber(r) || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
