package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/keeptrail/keeptrail"
)

// ConfigurationInput is the input of CreateConfigurationVersion. When ValidationPassed
// is nil the engine validates Content itself and writes its own ValidationOutput; when
// set (by an outside validator), both are stored as given.
type ConfigurationInput struct {
	ChangeSummary    string          `json:"change_summary"`
	Content          json.RawMessage `json:"content"`
	ValidationPassed *bool           `json:"validation_passed"`
	ValidationOutput string          `json:"validation_output"`
}

// Bounds of configuration versions.
const (
	maxContentBytes          = 1 << 20
	maxChangeSummaryLength   = 2000
	maxValidationOutputBytes = 64 * 1024
)

// versionTarget is the audit target of a configuration version.
func versionTarget(n int64) string { return "configuration_version:" + strconv.FormatInt(n, 10) }

// ValidateConfiguration checks a configuration's content: a JSON object with a "policies"
// array whose items each have a non-empty "name" and a "kind" from keeptrail.PolicyKinds.
// It returns whether it passed and the output: "ok", or one problem a line.
func ValidateConfiguration(content json.RawMessage) (bool, string) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(content, &doc); err != nil || doc == nil {
		return false, "content: must be a JSON object"
	}
	raw, ok := doc["policies"]
	if !ok {
		return false, "policies: is required"
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || items == nil {
		return false, "policies: must be an array"
	}
	var problems []string
	for i, item := range items {
		var pol struct {
			Name *string `json:"name"`
			Kind *string `json:"kind"`
		}
		if err := json.Unmarshal(item, &pol); err != nil || bytes.TrimSpace(item)[0] != '{' {
			problems = append(problems, fmt.Sprintf("policies[%d]: must be an object", i))
			continue
		}
		if pol.Name == nil || strings.TrimSpace(*pol.Name) == "" {
			problems = append(problems, fmt.Sprintf("policies[%d].name: is required", i))
		}
		switch {
		case pol.Kind == nil || *pol.Kind == "":
			problems = append(problems, fmt.Sprintf("policies[%d].kind: is required", i))
		case !slices.Contains(keeptrail.PolicyKinds, *pol.Kind):
			problems = append(problems, fmt.Sprintf("policies[%d].kind: unknown kind %q", i, *pol.Kind))
		}
	}
	if len(problems) > 0 {
		return false, strings.Join(problems, "\n")
	}
	return true, "ok"
}

// ConfigurationVersions lists every configuration version, oldest first. It needs the
// read permission.
func (e *Engine) ConfigurationVersions(ctx context.Context) ([]keeptrail.ConfigurationVersion, error) {
	if _, err := e.authorize(ctx, keeptrail.ActRead, opVersionsRead, ""); err != nil {
		return nil, err
	}
	var vs []keeptrail.ConfigurationVersion
	err := e.st.View(ctx, func(tx keeptrail.Tx) error {
		var err error
		vs, err = tx.ConfigurationVersions()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("engine: list configuration versions: %w", err)
	}
	return vs, nil
}

// CreateConfigurationVersion stores a new, immutable configuration version; the store
// numbers it. Configuration versions are organization-wide, so it needs the manage
// permission over every team. The author is the caller. Content must be JSON; whether it
// passes validation is recorded, not enforced. Recorded as configuration_version.created.
func (e *Engine) CreateConfigurationVersion(ctx context.Context, in ConfigurationInput) (keeptrail.ConfigurationVersion, error) {
	p, err := e.authorize(ctx, keeptrail.ActManage, opVersionCreated, "")
	if err != nil {
		return keeptrail.ConfigurationVersion{}, err
	}
	if err := e.requireAllTeams(ctx, p, opVersionCreated, ""); err != nil {
		return keeptrail.ConfigurationVersion{}, err
	}
	var v keeptrail.Validation
	switch {
	case strings.TrimSpace(in.ChangeSummary) == "":
		v.Add("change_summary", "is required")
	case len(in.ChangeSummary) > maxChangeSummaryLength:
		v.Add("change_summary", "must be at most %d bytes", maxChangeSummaryLength)
	}
	content := bytes.TrimSpace(in.Content)
	switch {
	case len(content) == 0:
		v.Add("content", "is required")
	case len(content) > maxContentBytes:
		v.Add("content", "must be at most %d bytes", maxContentBytes)
	case !json.Valid(content):
		v.Add("content", "must be JSON")
	}
	if len(in.ValidationOutput) > maxValidationOutputBytes {
		v.Add("validation_output", "must be at most %d bytes", maxValidationOutputBytes)
	}
	if in.ValidationPassed == nil && in.ValidationOutput != "" {
		v.Add("validation_output", "is written by the engine unless validation_passed is given")
	}
	if err := v.Err(); err != nil {
		return keeptrail.ConfigurationVersion{}, err
	}
	passed, output := false, in.ValidationOutput
	if in.ValidationPassed != nil {
		passed = *in.ValidationPassed
	} else {
		passed, output = ValidateConfiguration(content)
	}
	var cv keeptrail.ConfigurationVersion
	err = e.update(ctx, p, func(tx keeptrail.Tx) error {
		cv = keeptrail.ConfigurationVersion{
			Author: p.Name, CreatedAt: e.clock(), ChangeSummary: strings.TrimSpace(in.ChangeSummary),
			Content: json.RawMessage(content), ValidationPassed: passed, ValidationOutput: output,
		}
		if err := tx.CreateConfigurationVersion(&cv); err != nil {
			return fmt.Errorf("engine: create configuration version: %w", err)
		}
		return record(tx, p, opVersionCreated, versionTarget(cv.Version), nil, map[string]any{
			"version": cv.Version, "change_summary": cv.ChangeSummary, "validation_passed": cv.ValidationPassed,
		})
	})
	if err != nil {
		return keeptrail.ConfigurationVersion{}, err
	}
	return cv, nil
}

// Deploy records that a gateway runs a configuration version from now on and sets the
// gateway's running version. It needs the manage permission and the gateway's team in
// scope; an unknown gateway or version is EINVALID naming "gateway" or "version".
// Recorded as configuration.deployed (high severity when the version did not pass
// validation).
func (e *Engine) Deploy(ctx context.Context, gateway string, version int64) (keeptrail.Deployment, error) {
	target := "gateway:" + truncate(gateway, maxTeamNameLength)
	p, err := e.authorize(ctx, keeptrail.ActManage, opDeployed, target)
	if err != nil {
		return keeptrail.Deployment{}, err
	}
	var d keeptrail.Deployment
	err = e.update(ctx, p, func(tx keeptrail.Tx) error {
		var v keeptrail.Validation
		g, err := tx.GatewayByName(gateway)
		if keeptrail.ErrorCode(err) == keeptrail.ENOTFOUND {
			v.Add("gateway", "unknown gateway %q", gateway)
		} else if err != nil {
			return fmt.Errorf("engine: load gateway: %w", err)
		}
		cv, err := tx.ConfigurationVersion(version)
		if keeptrail.ErrorCode(err) == keeptrail.ENOTFOUND {
			v.Add("version", "unknown configuration version %d", version)
		} else if err != nil {
			return fmt.Errorf("engine: load configuration version: %w", err)
		}
		if err := v.Err(); err != nil {
			return err
		}
		team, err := tx.TeamByID(g.TeamID)
		if err != nil {
			return fmt.Errorf("engine: load gateway team: %w", err)
		}
		if err := denyTeam(p, opDeployed, target, team.ID, team.Name); err != nil {
			return err
		}
		now := e.clock()
		d = keeptrail.Deployment{GatewayID: g.ID, Version: cv.Version, DeployedAt: now, DeployedBy: p.Name, Source: "api"}
		if err := tx.CreateDeployment(&d); err != nil {
			return fmt.Errorf("engine: create deployment: %w", err)
		}
		var previous any
		if g.RunningVersion != nil {
			previous = *g.RunningVersion
		}
		g.RunningVersion = &d.Version
		if err := tx.UpdateGateway(&g); err != nil {
			return fmt.Errorf("engine: set running version: %w", err)
		}
		o := opDeployed
		if !cv.ValidationPassed {
			o.severity = deployedUnvalidated
		}
		return record(tx, p, o, target, teamRef(team.ID), map[string]any{
			"version": cv.Version, "previous_version": previous, "validation_passed": cv.ValidationPassed,
		})
	})
	if err != nil {
		return keeptrail.Deployment{}, err
	}
	return d, nil
}

// Deployments lists the deployments of the gateways the caller may see, oldest first. It
// needs the read permission.
func (e *Engine) Deployments(ctx context.Context) ([]keeptrail.Deployment, error) {
	p, err := e.authorize(ctx, keeptrail.ActRead, opDeploymentsRead, "")
	if err != nil {
		return nil, err
	}
	var ds []keeptrail.Deployment
	err = e.st.View(ctx, func(tx keeptrail.Tx) error {
		ds, err = tx.Deployments(p.Scope())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("engine: list deployments: %w", err)
	}
	return ds, nil
}
