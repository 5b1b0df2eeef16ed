package demo

import (
	"fmt"
	"strings"
	"time"

	"github.com/keeptrail/keeptrail"
)

// member is a console user as the demo tracks them.
type member struct {
	person
	email string
	ip    string
	user  keeptrail.User
	p     *keeptrail.Principal
	// joins and leaves: when the user is provisioned and deprovisioned (zero: never)
	joins, leaves time.Time
	// mfaFrom: when a member without MFA enrols (zero: never)
	mfaFrom time.Time
}

// name is the display name.
func (m *member) name() string { return m.first + " " + m.last }

// active reports whether the member can sign in at t.
func (m *member) active(t time.Time) bool {
	return m.user.ID != 0 && !t.Before(m.joins) && (m.leaves.IsZero() || t.Before(m.leaves))
}

// emailOf derives a person's address: first.last in plain ASCII.
func emailOf(p person) string {
	fold := strings.NewReplacer("á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "ç", "c", "ñ", "n", "ö", "o", "ü", "u")
	return strings.ToLower(fold.Replace(p.first) + "." + fold.Replace(p.last) + "@" + orgDomain)
}

// newMembers lists the organization's people with their addresses and office addresses.
func newMembers() []*member {
	var ms []*member
	for i, p := range append(append([]person{}, people...), newHires...) {
		m := &member{person: p, email: emailOf(p), ip: fmt.Sprintf("198.51.100.%d", 20+i)}
		switch i {
		case 0:
			m.email = adminEmail
		case 1:
			m.email = breakGlass
		}
		if i%5 == 3 { // some work remotely
			m.ip = fmt.Sprintf("192.0.2.%d", 40+i)
		}
		ms = append(ms, m)
	}
	return ms
}

// principalOf is the principal of a signed-in user, scoped as the console scopes it: team
// admins, and viewers given teams, see their teams; everyone else the organization.
func principalOf(m *member) *keeptrail.Principal {
	u := m.user
	p := &keeptrail.Principal{Kind: keeptrail.ActorUser, UserID: u.ID, Name: u.Email, Role: u.Role, SourceIP: m.ip}
	if u.Role == keeptrail.RoleTeamAdmin || (u.Role == keeptrail.RoleViewer && len(u.TeamIDs) > 0) {
		p.TeamIDs = append([]int64(nil), u.TeamIDs...)
	} else {
		p.AllTeams = true
	}
	return p
}

// memberNamed returns the member with the first name.
func (r *run) memberNamed(first string) *member {
	for _, m := range r.members {
		if m.first == first {
			return m
		}
	}
	panic("demo: no member " + first)
}

// setUser records the user as stored and refreshes the member's principal.
func (m *member) setUser(u keeptrail.User) {
	m.user = u
	m.p = principalOf(m)
}

// teamAdmin returns the current team admin of a team, or nil.
func (r *run) teamAdmin(teamID int64, t time.Time) *member {
	for _, m := range r.members {
		if m.active(t) && m.user.Role == keeptrail.RoleTeamAdmin && len(m.user.TeamIDs) > 0 && m.user.TeamIDs[0] == teamID {
			return m
		}
	}
	return nil
}

// officers returns the compliance officers active at t.
func (r *run) officers(t time.Time) []*member {
	var out []*member
	for _, m := range r.members {
		if m.active(t) && m.user.Role == keeptrail.RoleComplianceOfficer {
			out = append(out, m)
		}
	}
	return out
}
