package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/keeptrail/keeptrail"
)

// NewUser is the input of CreateUser. An empty Password creates a user who can only sign
// in through single sign-on.
type NewUser struct {
	Email       string         `json:"email"`
	Name        string         `json:"name"`
	Role        keeptrail.Role `json:"role"`
	Teams       []string       `json:"teams"`
	Password    string         `json:"password"`
	MFAEnrolled bool           `json:"mfa_enrolled"`
	SSOEnrolled bool           `json:"sso_enrolled"`
}

// UserUpdate is the input of UpdateUser; nil fields are left as they are.
type UserUpdate struct {
	Name        *string         `json:"name"`
	Role        *keeptrail.Role `json:"role"`
	Teams       *[]string       `json:"teams"`
	Password    *string         `json:"password"`
	MFAEnrolled *bool           `json:"mfa_enrolled"`
	SSOEnrolled *bool           `json:"sso_enrolled"`
}

// Limits on identity fields, in bytes.
const (
	maxEmailLength = 254
	maxNameLength  = 256
)

// normalizeEmail trims and lower-cases an email address: addresses are compared that way.
func normalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// emailProblem returns why a normalized email is not acceptable, or "".
func emailProblem(s string) string {
	local, domain, ok := strings.Cut(s, "@")
	switch {
	case s == "":
		return "is required"
	case len(s) > maxEmailLength:
		return fmt.Sprintf("must be at most %d bytes", maxEmailLength)
	case !ok || local == "" || domain == "" || strings.Contains(domain, "@"):
		return "must be an email address (name@domain)"
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return "must not contain spaces or control characters"
	}
	return ""
}

// userRoleProblem returns why r is not a role a user may have, or "".
func userRoleProblem(r keeptrail.Role) string {
	if r == "" {
		return "is required"
	}
	if !r.Valid() || r == keeptrail.RoleGateway {
		return "must be one of admin, compliance_officer, team_admin, auditor, viewer"
	}
	return ""
}

// textProblem returns why a required or optional free-text field is not acceptable, or "".
func textProblem(s string, required bool, max int) string {
	switch {
	case required && strings.TrimSpace(s) == "":
		return "is required"
	case len(s) > max:
		return fmt.Sprintf("must be at most %d bytes", max)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "must not contain control characters"
	}
	return ""
}

// CreateUser adds a user. It needs a role that may administer (admin). The email is
// stored trimmed and lower-cased; a taken email is ECONFLICT. Recorded as user.created.
func (e *Engine) CreateUser(ctx context.Context, in NewUser) (keeptrail.User, error) {
	email := normalizeEmail(in.Email)
	p, err := e.authorize(ctx, keeptrail.ActAdminister, opUserCreated, "user:"+truncate(email, maxAuditedIdentity))
	if err != nil {
		return keeptrail.User{}, err
	}
	var v keeptrail.Validation
	if msg := emailProblem(email); msg != "" {
		v.Add("email", "%s", msg)
	}
	if msg := textProblem(in.Name, true, maxNameLength); msg != "" {
		v.Add("name", "%s", msg)
	}
	if msg := userRoleProblem(in.Role); msg != "" {
		v.Add("role", "%s", msg)
	}
	if in.Role == keeptrail.RoleTeamAdmin && len(in.Teams) == 0 {
		v.Add("teams", "a team_admin needs at least one team")
	}
	if in.Password != "" {
		if msg := checkPassword(in.Password); msg != "" {
			v.Add("password", "%s", msg)
		}
	}
	var hash string
	if len(v.Fields) == 0 && in.Password != "" {
		if hash, err = hashPassword(in.Password, e.cost); err != nil {
			return keeptrail.User{}, err
		}
	}
	var u keeptrail.User
	err = e.update(ctx, p, func(tx keeptrail.Tx) error {
		v := v // fn may run again
		teams, err := resolveTeams(tx, &v, "teams", in.Teams)
		if err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		u = keeptrail.User{
			Email: email, Name: strings.TrimSpace(in.Name), Role: in.Role, TeamIDs: teamIDs(teams),
			PasswordHash: hash, MFAEnrolled: in.MFAEnrolled, SSOEnrolled: in.SSOEnrolled, Active: true,
			CreatedAt: e.clock(),
		}
		if err := tx.CreateUser(&u); err != nil {
			if keeptrail.ErrorCode(err) == keeptrail.ECONFLICT {
				return keeptrail.Errorf(keeptrail.ECONFLICT, "a user with email %q already exists", email)
			}
			return fmt.Errorf("engine: create user: %w", err)
		}
		return record(tx, p, opUserCreated, "user:"+email, singleTeam(u.TeamIDs), map[string]any{
			"email": email, "name": u.Name, "role": u.Role, "teams": teamNames(teams),
			"mfa_enrolled": u.MFAEnrolled, "sso_enrolled": u.SSOEnrolled, "local_password": hash != "",
		})
	})
	if err != nil {
		return keeptrail.User{}, err
	}
	return u, nil
}

// UpdateUser changes the fields of in that are set. It needs the administer role. Each kind
// of change is its own audit entry: user.role_changed (before/after), one
// team.membership_changed per team joined or left, and user.updated for name, password,
// MFA and SSO enrollment. A deprovisioned user cannot be changed (ECONFLICT).
func (e *Engine) UpdateUser(ctx context.Context, email string, in UserUpdate) (keeptrail.User, error) {
	email = normalizeEmail(email)
	target := "user:" + truncate(email, maxAuditedIdentity)
	p, err := e.authorize(ctx, keeptrail.ActAdminister, opUserUpdated, target)
	if err != nil {
		return keeptrail.User{}, err
	}
	var v keeptrail.Validation
	if in.Name != nil {
		if msg := textProblem(*in.Name, true, maxNameLength); msg != "" {
			v.Add("name", "%s", msg)
		}
	}
	if in.Role != nil {
		if msg := userRoleProblem(*in.Role); msg != "" {
			v.Add("role", "%s", msg)
		}
	}
	var hash string
	if in.Password != nil {
		if msg := checkPassword(*in.Password); msg != "" {
			v.Add("password", "%s", msg)
		} else if hash, err = hashPassword(*in.Password, e.cost); err != nil {
			return keeptrail.User{}, err
		}
	}
	var u keeptrail.User
	err = e.update(ctx, p, func(tx keeptrail.Tx) error {
		v := v // fn may run again
		var err error
		u, err = tx.UserByEmail(email)
		if err != nil {
			return lookupErr(err, "user %q", email)
		}
		var newTeams []keeptrail.Team
		if in.Teams != nil {
			if newTeams, err = resolveTeams(tx, &v, "teams", *in.Teams); err != nil {
				return err
			}
		}
		role := u.Role
		if in.Role != nil {
			role = *in.Role
		}
		if role == keeptrail.RoleTeamAdmin && ((in.Teams != nil && len(*in.Teams) == 0) ||
			(in.Teams == nil && len(u.TeamIDs) == 0)) {
			v.Add("teams", "a team_admin needs at least one team")
		}
		if err := v.Err(); err != nil {
			return err
		}
		if !u.Active {
			return keeptrail.Errorf(keeptrail.ECONFLICT, "user %q is deprovisioned", email)
		}
		return e.applyUserUpdate(tx, p, &u, in, hash, newTeams)
	})
	if err != nil {
		return keeptrail.User{}, err
	}
	return u, nil
}

// applyUserUpdate writes the changes of in to u and their audit entries.
func (e *Engine) applyUserUpdate(tx keeptrail.Tx, p *keeptrail.Principal, u *keeptrail.User, in UserUpdate, hash string, newTeams []keeptrail.Team) error {
	target := "user:" + u.Email
	before := *u
	changed := map[string]any{}
	if in.Name != nil && strings.TrimSpace(*in.Name) != u.Name {
		u.Name = strings.TrimSpace(*in.Name)
		changed["name"] = map[string]string{"before": before.Name, "after": u.Name}
	}
	if in.MFAEnrolled != nil && *in.MFAEnrolled != u.MFAEnrolled {
		u.MFAEnrolled = *in.MFAEnrolled
		changed["mfa_enrolled"] = map[string]bool{"before": before.MFAEnrolled, "after": u.MFAEnrolled}
	}
	if in.SSOEnrolled != nil && *in.SSOEnrolled != u.SSOEnrolled {
		u.SSOEnrolled = *in.SSOEnrolled
		changed["sso_enrolled"] = map[string]bool{"before": before.SSOEnrolled, "after": u.SSOEnrolled}
	}
	if hash != "" {
		u.PasswordHash = hash
		changed["password"] = "changed"
	}
	roleChanged := in.Role != nil && *in.Role != u.Role
	if roleChanged {
		u.Role = *in.Role
	}
	var added, removed []int64
	if in.Teams != nil {
		ids := teamIDs(newTeams)
		for _, id := range ids {
			if !slices.Contains(before.TeamIDs, id) {
				added = append(added, id)
			}
		}
		for _, id := range before.TeamIDs {
			if !slices.Contains(ids, id) {
				removed = append(removed, id)
			}
		}
		u.TeamIDs = ids
	}
	if len(changed) == 0 && !roleChanged && len(added) == 0 && len(removed) == 0 {
		return nil
	}
	if err := tx.UpdateUser(u); err != nil {
		return fmt.Errorf("engine: update user: %w", err)
	}
	team := singleTeam(u.TeamIDs)
	if len(changed) > 0 {
		if err := record(tx, p, opUserUpdated, target, team, changed); err != nil {
			return err
		}
	}
	if roleChanged {
		if err := record(tx, p, opUserRoleChanged, target, team,
			map[string]keeptrail.Role{"before": before.Role, "after": u.Role}); err != nil {
			return err
		}
	}
	for _, m := range []struct {
		ids    []int64
		change string
	}{{added, "added"}, {removed, "removed"}} {
		for _, id := range m.ids {
			t, err := tx.TeamByID(id)
			if err != nil {
				return fmt.Errorf("engine: load team %d: %w", id, err)
			}
			if err := record(tx, p, opMembershipChanged, target, teamRef(id),
				map[string]string{"team": t.Name, "change": m.change}); err != nil {
				return err
			}
		}
	}
	return nil
}

// DeactivateUser deprovisions a user (SCIM style): the user can no longer sign in, and
// every API key the user owns is revoked. It needs the administer role; an already
// deprovisioned user is ECONFLICT, and nobody may deprovision themselves. Recorded as
// user.deprovisioned plus one api_key.revoked per key.
func (e *Engine) DeactivateUser(ctx context.Context, email string) (keeptrail.User, error) {
	email = normalizeEmail(email)
	target := "user:" + truncate(email, maxAuditedIdentity)
	p, err := e.authorize(ctx, keeptrail.ActAdminister, opUserDeprovisioned, target)
	if err != nil {
		return keeptrail.User{}, err
	}
	var u keeptrail.User
	err = e.update(ctx, p, func(tx keeptrail.Tx) error {
		var err error
		u, err = tx.UserByEmail(email)
		if err != nil {
			return lookupErr(err, "user %q", email)
		}
		if !u.Active {
			return keeptrail.Errorf(keeptrail.ECONFLICT, "user %q is already deprovisioned", email)
		}
		if p.Kind == keeptrail.ActorUser && p.UserID == u.ID {
			return keeptrail.Errorf(keeptrail.ECONFLICT, "you cannot deprovision your own account")
		}
		now := e.clock()
		u.Active = false
		u.DeactivatedAt = &now
		if err := tx.UpdateUser(&u); err != nil {
			return fmt.Errorf("engine: deprovision user: %w", err)
		}
		keys, err := tx.APIKeys()
		if err != nil {
			return fmt.Errorf("engine: list api keys: %w", err)
		}
		revoked := []string{}
		for _, k := range keys {
			if k.OwnerUserID == nil || *k.OwnerUserID != u.ID || k.RevokedAt != nil {
				continue
			}
			k.RevokedAt = &now
			if err := tx.UpdateAPIKey(&k); err != nil {
				return fmt.Errorf("engine: revoke api key: %w", err)
			}
			if err := record(tx, p, opAPIKeyRevoked, "api_key:"+k.Prefix, singleTeam(k.TeamIDs),
				map[string]string{"name": k.Name, "reason": "owner deprovisioned"}); err != nil {
				return err
			}
			revoked = append(revoked, k.Prefix)
		}
		return record(tx, p, opUserDeprovisioned, "user:"+email, singleTeam(u.TeamIDs),
			map[string]any{"role": u.Role, "api_keys_revoked": revoked})
	})
	if err != nil {
		return keeptrail.User{}, err
	}
	return u, nil
}

// Users lists the users the caller may see: those in its teams, or all of them for a
// caller with every team. It needs the read permission.
func (e *Engine) Users(ctx context.Context) ([]keeptrail.User, error) {
	p, err := e.authorize(ctx, keeptrail.ActRead, opUsersRead, "")
	if err != nil {
		return nil, err
	}
	var us []keeptrail.User
	err = e.st.View(ctx, func(tx keeptrail.Tx) error {
		us, err = tx.Users(p.Scope())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("engine: list users: %w", err)
	}
	return us, nil
}
