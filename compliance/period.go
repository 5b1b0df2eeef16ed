package compliance

import (
	"errors"
	"time"
)

// Period is a half-open range of time, [From, To), in UTC.
type Period struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// errBadTime is the reason given for a time in none of the accepted forms.
var errBadTime = errors.New("not an RFC 3339 time such as 2025-01-01T00:00:00Z or a date such as 2025-01-01")

// ParseStart parses the start of a period: an RFC 3339 time, or a date (midnight UTC).
func ParseStart(s string) (time.Time, error) {
	t, _, err := parseInstant(s)
	return t, err
}

// ParseEnd parses the end of a period as written by a person: a date means the end of
// that day, and a time includes the unit it is written in (23:59:59Z ends at midnight),
// the rule export specs follow too. It returns the exclusive end.
func ParseEnd(s string) (time.Time, error) {
	t, unit, err := parseInstant(s)
	if err != nil {
		return time.Time{}, err
	}
	return t.Add(unit), nil
}

// parseInstant parses an RFC 3339 time or a date and returns it in UTC with the unit it
// was written in: 24 h for a date, 1 s for whole seconds, 1 ms for .000, and so on.
func parseInstant(s string) (time.Time, time.Duration, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil && len(s) == len(time.DateOnly) {
		return t.UTC(), 24 * time.Hour, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || len(s) < len("2006-01-02T15:04:05Z") || s[10] != 'T' {
		return time.Time{}, 0, errBadTime
	}
	unit := time.Second
	if dot := indexByte(s, '.'); dot > 0 {
		end := dot + 1
		for end < len(s) && s[end] >= '0' && s[end] <= '9' {
			end++
			unit /= 10
		}
	}
	if y := t.UTC().Year(); y < 1970 || y > 9999 {
		return time.Time{}, 0, errors.New("year must be between 1970 and 9999 (in UTC)")
	}
	return t.UTC(), max(unit, time.Microsecond), nil
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// floorHour and ceilHour round a time to UTC hours; floorDay rounds down to a UTC day.
func floorHour(t time.Time) time.Time { return t.UTC().Truncate(time.Hour) }

func ceilHour(t time.Time) time.Time {
	f := floorHour(t)
	if f.Before(t) {
		return f.Add(time.Hour)
	}
	return f
}

func floorDay(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

// ParseAt parses the time of a score as a person writes it: a date means the end of that
// day and a time includes the unit it is written in, as ParseEnd; but a day or second that
// is still running means now, returned as the zero time.
func (s *Service) ParseAt(v string) (time.Time, error) {
	t, unit, err := parseInstant(v)
	if err != nil {
		return time.Time{}, err
	}
	end := t.Add(unit)
	if now := s.clock(); !t.After(now) && end.After(now) {
		return time.Time{}, nil
	}
	return end, nil
}
