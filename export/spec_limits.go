package export

import (
	"strconv"
	"time"
)

// Limits bound what a spec decoder accepts. Zero fields take the defaults below.
type Limits struct {
	// MaxBytes is the largest spec document accepted (default 64 KiB); larger input is
	// an ETOOLARGE error.
	MaxBytes int
	// MaxRange is the longest time range accepted (default 400 days); negative means
	// no maximum (used when reloading specs that were accepted earlier).
	MaxRange time.Duration
	// MaxListItems is the most entries any one list may have (default 1000).
	MaxListItems int
}

// Defaults.
const (
	DefaultMaxBytes     = 64 << 10
	DefaultMaxRange     = 400 * 24 * time.Hour
	DefaultMaxListItems = 1000
)

// maxIdentifierBytes is the longest team, gateway, user or action name, as at ingest.
const maxIdentifierBytes = 256

// maxFieldErrors caps the field errors reported for one spec.
const maxFieldErrors = 50

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxRange == 0 {
		l.MaxRange = DefaultMaxRange
	}
	if l.MaxListItems <= 0 {
		l.MaxListItems = DefaultMaxListItems
	}
	return l
}

// describeDuration says d in days when it is a whole number of days.
func describeDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d%day == 0 {
		n := int64(d / day)
		if n == 1 {
			return "1 day"
		}
		return strconv.FormatInt(n, 10) + " days"
	}
	return d.String()
}
