package export

import (
	"errors"
	"time"
)

// errBadInstant is the reason given for a time that is not in one of the accepted forms.
var errBadInstant = errors.New("not an RFC 3339 time such as 2025-01-01T00:00:00Z or a date such as 2025-01-01")

// errYearRange is the reason given for a time outside the years a spec may name.
var errYearRange = errors.New("year must be between 1970 and 9999 (in UTC)")

// parseInstant parses an RFC 3339 time with a zone, or a date alone (taken in UTC), and
// returns it in UTC together with the unit of precision it was written in: 24 h for a
// date, 1 s for whole seconds, 100 ms for one fractional digit, and so on.
func parseInstant(s string) (time.Time, time.Duration, error) {
	if len(s) == len("2006-01-02") && isDate(s) {
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			return time.Time{}, 0, errBadInstant
		}
		return t.UTC(), 24 * time.Hour, nil
	}
	digits, ok := lexRFC3339(s)
	if !ok {
		return time.Time{}, 0, errBadInstant
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, 0, errBadInstant
	}
	unit := time.Second
	for range digits {
		unit /= 10
	}
	return t.UTC(), unit, nil
}

// isDate reports whether s has the shape YYYY-MM-DD.
func isDate(s string) bool {
	for i := 0; i < len(s); i++ {
		switch i {
		case 4, 7:
			if s[i] != '-' {
				return false
			}
		default:
			if !isDigit(s[i]) {
				return false
			}
		}
	}
	return true
}

// lexRFC3339 checks that s has the shape YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM) and
// returns the number of fractional digits. Calendar validity is left to time.Parse.
func lexRFC3339(s string) (int, bool) {
	const head = "2006-01-02T15:04:05"
	if len(s) < len(head)+1 || !isDate(s[:10]) || s[10] != 'T' {
		return 0, false
	}
	for i := 11; i < len(head); i++ {
		if i == 13 || i == 16 {
			if s[i] != ':' {
				return 0, false
			}
		} else if !isDigit(s[i]) {
			return 0, false
		}
	}
	rest := s[len(head):]
	digits := 0
	if rest[0] == '.' {
		rest = rest[1:]
		for digits < len(rest) && isDigit(rest[digits]) {
			digits++
		}
		if digits == 0 || digits > 9 {
			return 0, false
		}
		rest = rest[digits:]
	}
	switch {
	case rest == "Z":
		return digits, true
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && isDigit(rest[1]) &&
		isDigit(rest[2]) && rest[3] == ':' && isDigit(rest[4]) && isDigit(rest[5]):
		return digits, true
	}
	return 0, false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// yearOK reports whether t (in UTC) lies in the years a spec may name.
func yearOK(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 1970 && y <= 9999
}

// floorMicro rounds t down to the microsecond, in UTC.
func floorMicro(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// ceilMicro rounds t up to the microsecond, in UTC.
func ceilMicro(t time.Time) time.Time {
	f := floorMicro(t)
	if f.Equal(t) {
		return f
	}
	return f.Add(time.Microsecond)
}

// exclusiveEnd turns an end written at the given precision into the half-open End.
func exclusiveEnd(end time.Time, unit time.Duration) time.Time {
	return ceilMicro(end.Add(unit))
}

// formatStart writes a start time in the coarsest precision that keeps it exact.
func formatStart(t time.Time) string {
	t = t.UTC()
	switch ns := t.Nanosecond(); {
	case ns == 0:
		return t.Format("2006-01-02T15:04:05Z")
	case ns%int(time.Millisecond) == 0:
		return t.Format("2006-01-02T15:04:05.000Z")
	case ns%int(time.Microsecond) == 0:
		return t.Format("2006-01-02T15:04:05.000000Z")
	default:
		return t.Format("2006-01-02T15:04:05.000000000Z")
	}
}

// formatEnd writes the half-open End as an inclusive end, in the coarsest precision
// that parses back to the same End.
func formatEnd(end time.Time) string {
	end = end.UTC()
	switch ns := end.Nanosecond(); {
	case ns == 0:
		return end.Add(-time.Second).Format("2006-01-02T15:04:05Z")
	case ns%int(time.Millisecond) == 0:
		return end.Add(-time.Millisecond).Format("2006-01-02T15:04:05.000Z")
	case ns%int(time.Microsecond) == 0:
		return end.Add(-time.Microsecond).Format("2006-01-02T15:04:05.000000Z")
	default:
		return end.Add(-time.Nanosecond).Format("2006-01-02T15:04:05.000000000Z")
	}
}
