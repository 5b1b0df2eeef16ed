package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"

	keeptrail "github.com/keeptrail/keeptrail"
)

const gatewayColumns = `id, name, team_id, environment, tls_min_version, encryption_at_rest, healthy, error_rate,
last_heartbeat_at, running_version, active, created_at`

func scanGateway(s scanner) (keeptrail.Gateway, error) {
	var g keeptrail.Gateway
	var heartbeat, running sql.NullInt64
	var created int64
	if err := s.Scan(&g.ID, &g.Name, &g.TeamID, &g.Environment, &g.TLSMinVersion, &g.EncryptionAtRest, &g.Healthy,
		&g.ErrorRate, &heartbeat, &running, &g.Active, &created); err != nil {
		return g, err
	}
	g.LastHeartbeatAt = timePtr(heartbeat)
	g.RunningVersion = intPtr(running)
	g.CreatedAt = fromMicros(created)
	return g, nil
}

// EnsureGateway returns the gateway with the name, creating it in the team if needed (active
// and healthy). A concurrent creator of the same name does not make it fail.
func (t *tx) EnsureGateway(name string, teamID int64) (keeptrail.Gateway, bool, error) {
	g := keeptrail.Gateway{Name: name, TeamID: teamID, Healthy: true, Active: true, CreatedAt: t.now}
	err := t.queryRow(`INSERT INTO gateways (name, team_id, healthy, active, created_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (name) DO NOTHING RETURNING id`, name, teamID, true, true, micros(t.now)).Scan(&g.ID)
	if err == nil {
		return g, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return keeptrail.Gateway{}, false, fmt.Errorf("insert gateway: %w", err)
	}
	g, err = t.GatewayByName(name)
	return g, false, err
}

// GatewayByName returns the gateway with the name; ENOTFOUND if there is none.
func (t *tx) GatewayByName(name string) (keeptrail.Gateway, error) {
	g, err := scanGateway(t.queryRow("SELECT "+gatewayColumns+" FROM gateways WHERE name = ?", name))
	if err != nil {
		return g, rowErr(err, "select gateway by name", "gateway", name)
	}
	return g, nil
}

// GatewayByID returns the gateway with the id; ENOTFOUND if there is none.
func (t *tx) GatewayByID(id int64) (keeptrail.Gateway, error) {
	g, err := scanGateway(t.queryRow("SELECT "+gatewayColumns+" FROM gateways WHERE id = ?", id))
	if err != nil {
		return g, rowErr(err, "select gateway by id", "gateway", id)
	}
	return g, nil
}

// Gateways lists the gateways of teams in scope, ordered by name.
func (t *tx) Gateways(scope keeptrail.TeamScope) ([]keeptrail.Gateway, error) {
	if scopeEmpty(scope) {
		return nil, nil
	}
	where, args := scopeFilter("team_id", scope)
	q := "SELECT " + gatewayColumns + " FROM gateways"
	if where != "" {
		q += " WHERE " + where
	}
	return queryAll(t, "gateways", scanGateway, q+" ORDER BY name", args...)
}

// UpdateGateway writes the mutable fields (environment, TLS, encryption, health, error
// rate, last heartbeat, running version, active); ENOTFOUND if the gateway does not exist.
func (t *tx) UpdateGateway(g *keeptrail.Gateway) error {
	g.LastHeartbeatAt = truncPtr(g.LastHeartbeatAt)
	res, err := t.exec(`UPDATE gateways SET environment = ?, tls_min_version = ?, encryption_at_rest = ?, healthy = ?,
error_rate = ?, last_heartbeat_at = ?, running_version = ?, active = ? WHERE id = ?`,
		g.Environment, g.TLSMinVersion, g.EncryptionAtRest, g.Healthy, g.ErrorRate, nullMicros(g.LastHeartbeatAt),
		nullInt(g.RunningVersion), g.Active, g.ID)
	if err != nil {
		return fmt.Errorf("update gateway: %w", err)
	}
	return mustAffect(res, "update gateway", "gateway", g.ID)
}
