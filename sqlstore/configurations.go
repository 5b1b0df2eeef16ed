package sqlstore

import (
	"encoding/json"
	"fmt"

	keeptrail "github.com/keeptrail/keeptrail"
)

// configurationLockKey is the PostgreSQL advisory lock under which the next configuration
// version number is chosen (SQLite's write transaction already serializes).
const configurationLockKey = 7_265_746_102

const configurationColumns = "id, version, author, created_at, change_summary, content, validation_passed, validation_output"

func scanConfiguration(s scanner) (keeptrail.ConfigurationVersion, error) {
	var v keeptrail.ConfigurationVersion
	var content string
	var created int64
	if err := s.Scan(&v.ID, &v.Version, &v.Author, &created, &v.ChangeSummary, &content, &v.ValidationPassed,
		&v.ValidationOutput); err != nil {
		return v, err
	}
	v.Content = json.RawMessage(content)
	v.CreatedAt = fromMicros(created)
	return v, nil
}

// CreateConfigurationVersion assigns the next version number (1, 2, 3 ...) and inserts v,
// setting its ID, Version and CreatedAt (the transaction's time when zero). Content is
// stored as compact JSON ("{}" when empty).
func (t *tx) CreateConfigurationVersion(v *keeptrail.ConfigurationVersion) error {
	content, err := compactJSON(v.Content, "{}")
	if err != nil {
		return fmt.Errorf("compact configuration content: %w", err)
	}
	if t.db.d.name == "postgres" {
		if _, err := t.exec("SELECT pg_advisory_xact_lock(?)", int64(configurationLockKey)); err != nil {
			return fmt.Errorf("lock configuration versions: %w", err)
		}
	}
	var next int64
	if err := t.queryRow("SELECT COALESCE(MAX(version), 0) + 1 FROM configuration_versions").Scan(&next); err != nil {
		return fmt.Errorf("select next configuration version: %w", err)
	}
	v.Version = next
	v.Content = json.RawMessage(content)
	v.CreatedAt = t.orNow(v.CreatedAt)
	err = t.queryRow(`INSERT INTO configuration_versions (version, author, created_at, change_summary, content, validation_passed, validation_output)
VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		v.Version, v.Author, micros(v.CreatedAt), v.ChangeSummary, content, v.ValidationPassed, v.ValidationOutput).Scan(&v.ID)
	if err != nil {
		return writeErr(err, "insert configuration version", "configuration version", v.Version)
	}
	return nil
}

// ConfigurationVersion returns the configuration version with the number; ENOTFOUND if
// there is none.
func (t *tx) ConfigurationVersion(version int64) (keeptrail.ConfigurationVersion, error) {
	v, err := scanConfiguration(t.queryRow("SELECT "+configurationColumns+" FROM configuration_versions WHERE version = ?", version))
	if err != nil {
		return v, rowErr(err, "select configuration version", "configuration version", version)
	}
	return v, nil
}

// ConfigurationVersions lists every configuration version in version order.
func (t *tx) ConfigurationVersions() ([]keeptrail.ConfigurationVersion, error) {
	return queryAll(t, "configuration versions", scanConfiguration,
		"SELECT "+configurationColumns+" FROM configuration_versions ORDER BY version")
}

const deploymentColumns = "d.id, d.gateway_id, d.version, d.deployed_at, d.deployed_by, d.source"

func scanDeployment(s scanner) (keeptrail.Deployment, error) {
	var d keeptrail.Deployment
	var at int64
	if err := s.Scan(&d.ID, &d.GatewayID, &d.Version, &at, &d.DeployedBy, &d.Source); err != nil {
		return d, err
	}
	d.DeployedAt = fromMicros(at)
	return d, nil
}

// CreateDeployment inserts d and sets its ID; DeployedAt defaults to the transaction's
// time. ENOTFOUND when the gateway does not exist.
func (t *tx) CreateDeployment(d *keeptrail.Deployment) error {
	if _, err := t.GatewayByID(d.GatewayID); err != nil {
		return err
	}
	d.DeployedAt = t.orNow(d.DeployedAt)
	err := t.queryRow("INSERT INTO deployments (gateway_id, version, deployed_at, deployed_by, source) VALUES (?, ?, ?, ?, ?) RETURNING id",
		d.GatewayID, d.Version, micros(d.DeployedAt), d.DeployedBy, d.Source).Scan(&d.ID)
	if err != nil {
		return fmt.Errorf("insert deployment: %w", err)
	}
	return nil
}

// Deployments lists deployments of gateways in scope, oldest first.
func (t *tx) Deployments(scope keeptrail.TeamScope) ([]keeptrail.Deployment, error) {
	if scopeEmpty(scope) {
		return nil, nil
	}
	where, args := scopeFilter("g.team_id", scope)
	q := "SELECT " + deploymentColumns + " FROM deployments d"
	if where != "" {
		q += " JOIN gateways g ON g.id = d.gateway_id WHERE " + where
	}
	return queryAll(t, "deployments", scanDeployment, q+" ORDER BY d.deployed_at, d.id", args...)
}
