package compliance

import (
	"slices"
	"time"

	"github.com/keeptrail/keeptrail"
)

// activeAt reports whether a user was active at a time: created by then and not yet
// deprovisioned.
func activeAt(u keeptrail.User, at time.Time) bool {
	if u.CreatedAt.After(at) {
		return false
	}
	if u.DeactivatedAt != nil {
		return u.DeactivatedAt.After(at)
	}
	return u.Active
}

// mfaFacts counts the users active at the time and those enrolled in MFA, and lists the
// others by email.
func mfaFacts(users []keeptrail.User, at time.Time) (active, enrolled int64, without []string) {
	for _, u := range users {
		if !activeAt(u, at) {
			continue
		}
		active++
		if u.MFAEnrolled {
			enrolled++
		} else {
			without = append(without, u.Email)
		}
	}
	slices.Sort(without)
	return active, enrolled, without
}

// keyInScope reports whether an API key belongs to the scope: every key for an
// unrestricted scope, otherwise a key limited to at least one team in scope.
func keyInScope(k keeptrail.APIKey, s keeptrail.TeamScope) bool {
	if s.Unrestricted() {
		return true
	}
	for _, id := range k.TeamIDs {
		if s.Allows(id) {
			return true
		}
	}
	return false
}

// keyFacts counts the API keys in scope that were live (created, not revoked) at the
// time and those rotated within the rotation policy: last rotated no more than
// rotationDays days before it. A key rotated after the time is taken as last rotated when
// it was created, the latest rotation known to have happened by then. rotationDays 0
// means no rotation policy: every key complies.
func keyFacts(keys []keeptrail.APIKey, s keeptrail.TeamScope, rotationDays int, at time.Time) (live, rotated int64, stale []string) {
	limit := time.Duration(rotationDays) * 24 * time.Hour
	for _, k := range keys {
		if !keyInScope(k, s) || k.CreatedAt.After(at) || (k.RevokedAt != nil && !k.RevokedAt.After(at)) {
			continue
		}
		live++
		last := k.RotatedAt
		if last.After(at) || last.IsZero() {
			last = k.CreatedAt
		}
		if rotationDays <= 0 || at.Sub(last) <= limit {
			rotated++
		} else {
			stale = append(stale, k.Prefix+" ("+k.Name+")")
		}
	}
	slices.Sort(stale)
	return live, rotated, stale
}
