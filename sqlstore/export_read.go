package sqlstore

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"

	keeptrail "github.com/keeptrail/keeptrail"
)

// The export readers: each type has one WHERE builder shared by its count and its rows,
// so the population counted is exactly the population read.

func timeRange(w *exportWhere, col sqlConst, f keeptrail.ExportFilter) {
	// col is one of this file's constants; the times are parameters.
	w.add(col+" >= ?", micros(f.Start))
	w.add(col+" < ?", micros(f.End))
}

// count runs SELECT count(*) FROM from + where.
func (t *tx) exportCount(what string, from sqlConst, w *exportWhere) (int64, error) {
	var n int64
	if err := t.queryRow(string("SELECT count(*) FROM "+from+w.sql()), w.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", what, err)
	}
	return n, nil
}

// --- audit log ---

func auditWhere(f keeptrail.ExportFilter) *exportWhere {
	w := &exportWhere{}
	timeRange(w, "at", f)
	if !f.Scope.Unrestricted() {
		// Entries without a team (sign-ins, settings) are organization-wide: only an
		// unrestricted scope sees them.
		w.add("team_id IS NOT NULL")
		w.scope("team_id", f.Scope)
	}
	in(w, "severity", strList(f.Severities))
	in(w, "actor", f.Users)
	in(w, "category", f.Categories)
	in(w, "action", f.Actions)
	return w
}

// CountAuditEntries counts the audit entries ExportAuditEntries would read.
func (t *tx) CountAuditEntries(f keeptrail.ExportFilter) (int64, error) {
	if scopeEmpty(f.Scope) {
		return 0, nil
	}
	return t.exportCount("audit entries", "audit_entries", auditWhere(f))
}

// ExportAuditEntries reads the audit entries of f in sequence order.
func (t *tx) ExportAuditEntries(f keeptrail.ExportFilter, fn func(*keeptrail.AuditEntry) error) error {
	if scopeEmpty(f.Scope) {
		return nil
	}
	w := auditWhere(f)
	var e keeptrail.AuditEntry
	var c colReader
	err := t.exportRows("SELECT "+auditColumns+" FROM audit_entries"+w.sql()+" ORDER BY seq", w.args,
		func(d []driver.Value) error {
			e.Seq = c.int64(d, 0)
			e.Time = c.time(d, 1)
			e.ActorKind = keeptrail.ActorKind(c.string(d, 2))
			e.Actor = c.string(d, 3)
			e.Action = c.string(d, 4)
			e.Category = c.string(d, 5)
			e.TeamID = nil
			if id, ok := c.nullInt64(d, 6); ok {
				e.TeamID = &id
			}
			e.Target = c.string(d, 7)
			e.Severity = keeptrail.Severity(c.string(d, 8))
			e.SourceIP = c.string(d, 9)
			e.Outcome = c.string(d, 10)
			e.Details = json.RawMessage(c.string(d, 11))
			e.PrevHash = c.string(d, 12)
			e.Hash = c.string(d, 13)
			if c.err != nil {
				return c.err
			}
			return fn(&e)
		})
	if err != nil {
		return fmt.Errorf("export audit entries: %w", err)
	}
	return nil
}

// --- decision events ---

func eventWhere(f keeptrail.ExportFilter) *exportWhere {
	w := &exportWhere{}
	timeRange(w, "occurred_at", f)
	w.scope("team_id", f.Scope)
	in(w, "gateway_id", f.GatewayIDs)
	in(w, "severity", strList(f.Severities))
	in(w, "user_name", f.Users)
	in(w, "decision", strList(f.Decisions))
	return w
}

// exportEventColumns are read in this order by ExportDecisionEvents.
const exportEventColumns sqlConst = `id, request_id, occurred_at, gateway_id, team_id, user_name, model, decision, severity,
policies_evaluated, rules_matched, categories, latency_ms, tokens_in, tokens_out, cost_usd`

// CountDecisionEvents counts the decision events ExportDecisionEvents would read.
func (t *tx) CountDecisionEvents(f keeptrail.ExportFilter) (int64, error) {
	if scopeEmpty(f.Scope) {
		return 0, nil
	}
	return t.exportCount("decision events", "decision_events", eventWhere(f))
}

// ExportDecisionEvents reads the decision events of f ordered by time, team, then id:
// the order of the index decision_events_time_team (whose last column is the rowid on
// SQLite), so that neither database sorts the rows.
func (t *tx) ExportDecisionEvents(f keeptrail.ExportFilter, fn func(*keeptrail.DecisionEventRow) error) error {
	if scopeEmpty(f.Scope) {
		return nil
	}
	w := eventWhere(f)
	q := "SELECT " + exportEventColumns + " FROM decision_events" + w.sql() + " ORDER BY occurred_at, team_id, id"
	if t.db.d.name == "postgres" {
		if err := t.exportEventsPgx(q, w.args, fn); err != nil {
			return fmt.Errorf("export decision events: %w", err)
		}
		return nil
	}
	var e keeptrail.DecisionEventRow
	var c colReader
	err := t.exportRows(q, w.args,
		func(d []driver.Value) error {
			e.ID = c.int64(d, 0)
			e.RequestID = c.string(d, 1)
			e.Time = c.time(d, 2)
			e.GatewayID = c.int64(d, 3)
			e.TeamID = c.int64(d, 4)
			e.User = c.string(d, 5)
			e.Model = c.string(d, 6)
			e.Decision = c.string(d, 7)
			e.Severity = c.string(d, 8)
			e.PoliciesEvaluated = c.int64(d, 9)
			e.RulesMatched = c.string(d, 10)
			e.Categories = c.string(d, 11)
			e.LatencyMS = c.int64(d, 12)
			e.TokensIn = c.int64(d, 13)
			e.TokensOut = c.int64(d, 14)
			e.CostUSD = c.float64(d, 15)
			if c.err != nil {
				return c.err
			}
			return fn(&e)
		})
	if err != nil {
		return fmt.Errorf("export decision events: %w", err)
	}
	return nil
}

// --- escalations ---

func escalationWhere(f keeptrail.ExportFilter) *exportWhere {
	w := &exportWhere{}
	timeRange(w, "opened_at", f)
	w.scope("team_id", f.Scope)
	in(w, "gateway_id", f.GatewayIDs)
	in(w, "severity", strList(f.Severities))
	in(w, "status", strList(f.Statuses))
	return w
}

// CountEscalations counts the escalations ExportEscalations would read.
func (t *tx) CountEscalations(f keeptrail.ExportFilter) (int64, error) {
	if scopeEmpty(f.Scope) {
		return 0, nil
	}
	return t.exportCount("escalations", "escalations", escalationWhere(f))
}

// escalationExportPage is how many escalations are read per query; their actions are
// read by a second query per page (one result set at a time, as PostgreSQL connections
// require).
const escalationExportPage = 500

// ExportEscalations reads the escalations of f ordered by opened time, team, then id
// (the order of the index escalations_time_team), each with its actions.
func (t *tx) ExportEscalations(f keeptrail.ExportFilter, fn func(*keeptrail.Escalation) error) error {
	if scopeEmpty(f.Scope) {
		return nil
	}
	var afterAt, afterTeam, afterID int64
	first := true
	for {
		w := escalationWhere(f)
		if !first {
			w.add("(opened_at, team_id, id) > (?, ?, ?)", afterAt, afterTeam, afterID)
		}
		w.args = append(w.args, escalationExportPage)
		page, err := queryAll(t, "escalations", scanEscalation,
			string("SELECT "+escalationColumns+" FROM escalations"+w.sql()+" ORDER BY opened_at, team_id, id LIMIT ?"), w.args...)
		if err != nil {
			return fmt.Errorf("export escalations: %w", err)
		}
		if len(page) == 0 {
			return nil
		}
		if err := t.attachActions(page); err != nil {
			return err
		}
		for i := range page {
			if err := fn(&page[i]); err != nil {
				return err
			}
		}
		if len(page) < escalationExportPage {
			return nil
		}
		last := page[len(page)-1]
		afterAt, afterTeam, afterID, first = micros(last.OpenedAt), last.TeamID, last.ID, false
	}
}

// attachActions reads the actions of a page of escalations.
func (t *tx) attachActions(page []keeptrail.Escalation) error {
	ids := make([]int64, len(page))
	at := make(map[int64]int, len(page))
	for i, e := range page {
		ids[i] = e.ID
		at[e.ID] = i
	}
	w := &exportWhere{}
	in(w, "escalation_id", ids)
	actions, err := queryAll(t, "escalation actions", scanEscalationAction,
		string("SELECT "+escalationActionColumns+" FROM escalation_actions"+w.sql()+" ORDER BY escalation_id, at, id"), w.args...)
	if err != nil {
		return fmt.Errorf("export escalation actions: %w", err)
	}
	for _, a := range actions {
		e := &page[at[a.EscalationID]]
		e.Actions = append(e.Actions, a)
	}
	return nil
}

// --- configuration changelog ---

// configurationBranches returns the parts of the changelog query: the versions created
// (only for an unrestricted scope without gateways) and the deployments in scope.
func configurationBranches(f keeptrail.ExportFilter) (versions, deployments *exportWhere) {
	if f.Scope.Unrestricted() && f.GatewayIDs == nil {
		versions = &exportWhere{}
		timeRange(versions, "v.created_at", f)
	}
	deployments = &exportWhere{}
	timeRange(deployments, "d.deployed_at", f)
	deployments.scope("g.team_id", f.Scope)
	in(deployments, "d.gateway_id", f.GatewayIDs)
	return versions, deployments
}

const (
	versionBranch sqlConst = `SELECT 0 AS kind, v.id, v.created_at AS at, v.version, 0 AS gateway_id, 0 AS team_id,
v.author, v.change_summary, v.validation_passed, v.validation_output, v.content, '' AS deployed_by, '' AS source
FROM configuration_versions v`
	deploymentBranch sqlConst = `SELECT 1 AS kind, d.id, d.deployed_at AS at, d.version, d.gateway_id, g.team_id,
COALESCE(v.author, ''), COALESCE(v.change_summary, ''), v.validation_passed, COALESCE(v.validation_output, ''), '',
d.deployed_by, d.source
FROM deployments d JOIN gateways g ON g.id = d.gateway_id LEFT JOIN configuration_versions v ON v.version = d.version`
	deploymentFrom sqlConst = "deployments d JOIN gateways g ON g.id = d.gateway_id"
)

// CountConfigurationChanges counts the rows ExportConfigurationChanges would read.
func (t *tx) CountConfigurationChanges(f keeptrail.ExportFilter) (int64, error) {
	if scopeEmpty(f.Scope) {
		return 0, nil
	}
	versions, deployments := configurationBranches(f)
	n, err := t.exportCount("deployments", deploymentFrom, deployments)
	if err != nil || versions == nil {
		return n, err
	}
	m, err := t.exportCount("configuration versions", "configuration_versions v", versions)
	return n + m, err
}

// ExportConfigurationChanges reads the configuration changelog of f.
func (t *tx) ExportConfigurationChanges(f keeptrail.ExportFilter, fn func(*keeptrail.ConfigurationChange) error) error {
	if scopeEmpty(f.Scope) {
		return nil
	}
	versions, deployments := configurationBranches(f)
	q := deploymentBranch + deployments.sql()
	args := deployments.args
	if versions != nil {
		q = versionBranch + versions.sql() + " UNION ALL " + q
		args = append(versions.args, args...)
	}
	q += " ORDER BY 3, 1, 2"
	var ch keeptrail.ConfigurationChange
	var c colReader
	err := t.exportRows(q, args, func(d []driver.Value) error {
		ch = keeptrail.ConfigurationChange{
			ID: c.int64(d, 1), Time: c.time(d, 2), Version: c.int64(d, 3), GatewayID: c.int64(d, 4),
			TeamID: c.int64(d, 5), Author: c.string(d, 6), ChangeSummary: c.string(d, 7),
			ValidationPassed: c.nullBool(d, 8), ValidationOutput: c.string(d, 9),
			DeployedBy: c.string(d, 11), Source: c.string(d, 12),
		}
		if c.int64(d, 0) == 0 {
			ch.Change = keeptrail.ChangeVersionCreated
			ch.Content = json.RawMessage(c.string(d, 10))
		} else {
			ch.Change = keeptrail.ChangeDeployed
		}
		if c.err != nil {
			return c.err
		}
		return fn(&ch)
	})
	if err != nil {
		return fmt.Errorf("export configuration changes: %w", err)
	}
	return nil
}
