package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"

	keeptrail "github.com/keeptrail/keeptrail"
)

const teamColumns = "id, name, created_at"

func scanTeam(s scanner) (keeptrail.Team, error) {
	var t keeptrail.Team
	var created int64
	if err := s.Scan(&t.ID, &t.Name, &created); err != nil {
		return t, err
	}
	t.CreatedAt = fromMicros(created)
	return t, nil
}

// EnsureTeam returns the team with the name, creating it if needed. A concurrent creator
// of the same name does not make it fail.
func (t *tx) EnsureTeam(name string) (keeptrail.Team, bool, error) {
	team := keeptrail.Team{Name: name, CreatedAt: t.now}
	err := t.queryRow("INSERT INTO teams (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING RETURNING id",
		name, micros(t.now)).Scan(&team.ID)
	if err == nil {
		return team, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return keeptrail.Team{}, false, fmt.Errorf("insert team: %w", err)
	}
	team, err = t.TeamByName(name)
	return team, false, err
}

// TeamByName returns the team with the name; ENOTFOUND if there is none.
func (t *tx) TeamByName(name string) (keeptrail.Team, error) {
	team, err := scanTeam(t.queryRow("SELECT "+teamColumns+" FROM teams WHERE name = ?", name))
	if err != nil {
		return team, rowErr(err, "select team by name", "team", name)
	}
	return team, nil
}

// TeamByID returns the team with the id; ENOTFOUND if there is none.
func (t *tx) TeamByID(id int64) (keeptrail.Team, error) {
	team, err := scanTeam(t.queryRow("SELECT "+teamColumns+" FROM teams WHERE id = ?", id))
	if err != nil {
		return team, rowErr(err, "select team by id", "team", id)
	}
	return team, nil
}

// Teams lists the teams in scope, ordered by name.
func (t *tx) Teams(scope keeptrail.TeamScope) ([]keeptrail.Team, error) {
	if scopeEmpty(scope) {
		return nil, nil
	}
	where, args := scopeFilter("id", scope)
	q := "SELECT " + teamColumns + " FROM teams"
	if where != "" {
		q += " WHERE " + where
	}
	return queryAll(t, "teams", scanTeam, q+" ORDER BY name", args...)
}
