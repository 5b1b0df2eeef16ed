package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"

	keeptrail "github.com/keeptrail/keeptrail"
)

const userColumns = "id, email, name, role, password_hash, sso_enrolled, mfa_enrolled, active, created_at, deactivated_at"

func scanUser(s scanner) (keeptrail.User, error) {
	var u keeptrail.User
	var created int64
	var deactivated sql.NullInt64
	if err := s.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &u.SSOEnrolled, &u.MFAEnrolled,
		&u.Active, &created, &deactivated); err != nil {
		return u, err
	}
	u.CreatedAt = fromMicros(created)
	u.DeactivatedAt = timePtr(deactivated)
	return u, nil
}

// CreateUser inserts u with its team memberships and sets its ID and CreatedAt (the
// transaction's time when zero). ECONFLICT on a taken email.
func (t *tx) CreateUser(u *keeptrail.User) error {
	u.CreatedAt = t.orNow(u.CreatedAt)
	u.DeactivatedAt = truncPtr(u.DeactivatedAt)
	err := t.queryRow(`INSERT INTO users (email, name, role, password_hash, sso_enrolled, mfa_enrolled, active, created_at, deactivated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		u.Email, u.Name, string(u.Role), u.PasswordHash, u.SSOEnrolled, u.MFAEnrolled, u.Active,
		micros(u.CreatedAt), nullMicros(u.DeactivatedAt)).Scan(&u.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return conflict("user", u.Email)
	}
	if err != nil {
		return fmt.Errorf("insert user: %w", err)
	}
	return t.setUserTeams(u)
}

// setUserTeams replaces the user's team memberships with u.TeamIDs.
func (t *tx) setUserTeams(u *keeptrail.User) error {
	if _, err := t.exec("DELETE FROM user_teams WHERE user_id = ?", u.ID); err != nil {
		return fmt.Errorf("delete user teams: %w", err)
	}
	ids := slices.Clone(u.TeamIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for _, id := range ids {
		if _, err := t.exec("INSERT INTO user_teams (user_id, team_id) VALUES (?, ?)", u.ID, id); err != nil {
			return fmt.Errorf("insert user team: %w", err)
		}
	}
	u.TeamIDs = ids
	return nil
}

// userTeams returns the team ids of the user, ascending.
func (t *tx) userTeams(userID int64) ([]int64, error) {
	rows, err := t.query("SELECT team_id FROM user_teams WHERE user_id = ? ORDER BY team_id", userID)
	if err != nil {
		return nil, fmt.Errorf("query user teams: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("scan user team: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read user teams: %w", err)
	}
	return ids, nil
}

func (t *tx) userBy(col string, key any) (keeptrail.User, error) {
	u, err := scanUser(t.queryRow("SELECT "+userColumns+" FROM users WHERE "+col+" = ?", key))
	if err != nil {
		return u, rowErr(err, "select user by "+col, "user", key)
	}
	if u.TeamIDs, err = t.userTeams(u.ID); err != nil {
		return keeptrail.User{}, err
	}
	return u, nil
}

// UserByID returns the user with the id; ENOTFOUND if there is none.
func (t *tx) UserByID(id int64) (keeptrail.User, error) { return t.userBy("id", id) }

// UserByEmail returns the user with the email; ENOTFOUND if there is none.
func (t *tx) UserByEmail(email string) (keeptrail.User, error) { return t.userBy("email", email) }

// Users lists users who belong to at least one team in scope (every user when the scope
// is unrestricted), ordered by email.
func (t *tx) Users(scope keeptrail.TeamScope) ([]keeptrail.User, error) {
	if scopeEmpty(scope) {
		return nil, nil
	}
	where, args := scopeFilter("ut.team_id", scope)
	q := "SELECT " + userColumns + " FROM users"
	if where != "" {
		q += " WHERE EXISTS (SELECT 1 FROM user_teams ut WHERE ut.user_id = users.id AND " + where + ")"
	}
	users, err := queryAll(t, "users", scanUser, q+" ORDER BY email", args...)
	if err != nil || len(users) == 0 {
		return users, err
	}
	rows, err := t.query("SELECT user_id, team_id FROM user_teams ORDER BY user_id, team_id")
	if err != nil {
		return nil, fmt.Errorf("query all user teams: %w", err)
	}
	defer rows.Close()
	teams := map[int64][]int64{}
	for rows.Next() {
		var uid, tid int64
		if err := rows.Scan(&uid, &tid); err != nil {
			return nil, fmt.Errorf("scan all user teams: %w", err)
		}
		teams[uid] = append(teams[uid], tid)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read all user teams: %w", err)
	}
	for i := range users {
		users[i].TeamIDs = teams[users[i].ID]
	}
	return users, nil
}

// UpdateUser writes every mutable field of u (name, role, teams, password hash, SSO, MFA,
// active, deactivated at); ENOTFOUND if the user does not exist.
func (t *tx) UpdateUser(u *keeptrail.User) error {
	u.DeactivatedAt = truncPtr(u.DeactivatedAt)
	res, err := t.exec(`UPDATE users SET name = ?, role = ?, password_hash = ?, sso_enrolled = ?, mfa_enrolled = ?,
active = ?, deactivated_at = ? WHERE id = ?`,
		u.Name, string(u.Role), u.PasswordHash, u.SSOEnrolled, u.MFAEnrolled, u.Active, nullMicros(u.DeactivatedAt), u.ID)
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	if err := mustAffect(res, "update user", "user", u.ID); err != nil {
		return err
	}
	return t.setUserTeams(u)
}
