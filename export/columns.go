package export

import (
	"bytes"
	"encoding/json"

	"github.com/keeptrail/keeptrail"
)

// column is one column of an export: its name (the CSV header and the JSON key) and how
// a row's value is put into a sink. The column lists below are the documented, stable
// order of each type (docs/exports.md); new columns are only ever added at the end.
type column[R any] struct {
	name string
	put  func(s sink, r *R, n *idNames)
}

// idNames maps team and gateway ids to their names, read in the export's snapshot.
type idNames struct {
	teams    map[int64]string
	gateways map[int64]string
	// by id for small ids (the common case), avoiding a map lookup per row
	teamByID, gatewayByID []string
}

func newIDNames(teams []keeptrail.Team, gateways []keeptrail.Gateway) *idNames {
	n := &idNames{teams: map[int64]string{}, gateways: map[int64]string{}}
	for _, t := range teams {
		n.teams[t.ID] = t.Name
	}
	for _, g := range gateways {
		n.gateways[g.ID] = g.Name
	}
	n.teamByID = dense(n.teams)
	n.gatewayByID = dense(n.gateways)
	return n
}

// dense returns the names indexed by id when the ids are small enough.
func dense(m map[int64]string) []string {
	var top int64
	for id := range m {
		if id < 0 || id > 1<<20 {
			return nil
		}
		top = max(top, id)
	}
	out := make([]string, top+1)
	for id, name := range m {
		out[id] = name
	}
	return out
}

func (n *idNames) team(id int64) string {
	if id >= 0 && id < int64(len(n.teamByID)) {
		return n.teamByID[id]
	}
	return n.teams[id]
}

func (n *idNames) gateway(id int64) string {
	if id >= 0 && id < int64(len(n.gatewayByID)) {
		return n.gatewayByID[id]
	}
	return n.gateways[id]
}

// textOrNull writes s, or null when it is empty (optional identifiers).
func textOrNull(s sink, v string) {
	if v == "" {
		s.null()
	} else {
		s.text(v)
	}
}

// auditColumns are the columns of audit_log exports.
var auditColumns = []column[keeptrail.AuditEntry]{
	{"seq", func(s sink, e *keeptrail.AuditEntry, _ *idNames) { s.int(e.Seq) }},
	{"time", func(s sink, e *keeptrail.AuditEntry, _ *idNames) { s.time(e.Time) }},
	{"actor_kind", func(s sink, e *keeptrail.AuditEntry, _ *idNames) { s.text(string(e.ActorKind)) }},
	{"actor", func(s sink, e *keeptrail.AuditEntry, _ *idNames) { s.text(e.Actor) }},
	{"action", func(s sink, e *keeptrail.AuditEntry, _ *idNames) { s.text(e.Action) }},
	{"category", func(s sink, e *keeptrail.AuditEntry, _ *idNames) { s.text(e.Category) }},
	{"team", func(s sink, e *keeptrail.AuditEntry, n *idNames) {
		if e.TeamID == nil {
			s.null()
		} else {
			s.text(n.team(*e.TeamID))
		}
	}},
	{"target", func(s sink, e *keeptrail.AuditEntry, _ *idNames) { textOrNull(s, e.Target) }},
	{"severity", func(s sink, e *keeptrail.AuditEntry, _ *idNames) { s.text(string(e.Severity)) }},
	{"source_ip", func(s sink, e *keeptrail.AuditEntry, _ *idNames) { textOrNull(s, e.SourceIP) }},
	{"outcome", func(s sink, e *keeptrail.AuditEntry, _ *idNames) { s.text(e.Outcome) }},
	{"details", func(s sink, e *keeptrail.AuditEntry, _ *idNames) { s.raw(string(e.Details)) }},
	{"prev_hash", func(s sink, e *keeptrail.AuditEntry, _ *idNames) { s.text(e.PrevHash) }},
	{"hash", func(s sink, e *keeptrail.AuditEntry, _ *idNames) { s.text(e.Hash) }},
}

// auditPDFColumns are the columns of the audit log PDF (no hashes: the CSV and JSON
// carry the chain) and their relative widths.
var auditPDFColumns = []struct {
	column string
	title  string
	width  float64
	align  string
}{
	{"seq", "Seq", 5, "R"},
	{"time", "Time (UTC)", 15, ""},
	{"actor", "Actor", 16, ""},
	{"action", "Action", 15, ""},
	{"category", "Category", 10, ""},
	{"team", "Team", 9, ""},
	{"target", "Target", 15, ""},
	{"severity", "Severity", 7, ""},
	{"outcome", "Outcome", 8, ""},
	{"source_ip", "Source", 10, ""},
	{"details", "Details", 19, ""},
}

// eventColumns are the columns of events exports.
var eventColumns = []column[keeptrail.DecisionEventRow]{
	{"time", func(s sink, e *keeptrail.DecisionEventRow, _ *idNames) { s.time(e.Time) }},
	{"request_id", func(s sink, e *keeptrail.DecisionEventRow, _ *idNames) { s.text(e.RequestID) }},
	{"gateway", func(s sink, e *keeptrail.DecisionEventRow, n *idNames) { s.text(n.gateway(e.GatewayID)) }},
	{"team", func(s sink, e *keeptrail.DecisionEventRow, n *idNames) { s.text(n.team(e.TeamID)) }},
	{"user", func(s sink, e *keeptrail.DecisionEventRow, _ *idNames) { textOrNull(s, e.User) }},
	{"model", func(s sink, e *keeptrail.DecisionEventRow, _ *idNames) { textOrNull(s, e.Model) }},
	{"decision", func(s sink, e *keeptrail.DecisionEventRow, _ *idNames) { s.text(e.Decision) }},
	{"severity", func(s sink, e *keeptrail.DecisionEventRow, _ *idNames) { s.text(e.Severity) }},
	{"policies_evaluated", func(s sink, e *keeptrail.DecisionEventRow, _ *idNames) { s.int(e.PoliciesEvaluated) }},
	{"rules_matched", func(s sink, e *keeptrail.DecisionEventRow, _ *idNames) { s.raw(e.RulesMatched) }},
	{"categories", func(s sink, e *keeptrail.DecisionEventRow, _ *idNames) { s.raw(e.Categories) }},
	{"latency_ms", func(s sink, e *keeptrail.DecisionEventRow, _ *idNames) { s.int(e.LatencyMS) }},
	{"tokens_in", func(s sink, e *keeptrail.DecisionEventRow, _ *idNames) { s.int(e.TokensIn) }},
	{"tokens_out", func(s sink, e *keeptrail.DecisionEventRow, _ *idNames) { s.int(e.TokensOut) }},
	{"cost_usd", func(s sink, e *keeptrail.DecisionEventRow, _ *idNames) { s.float(e.CostUSD) }},
}

// escalationColumns are the columns of escalations exports.
var escalationColumns = []column[keeptrail.Escalation]{
	{"id", func(s sink, e *keeptrail.Escalation, _ *idNames) { s.int(e.ID) }},
	{"opened_at", func(s sink, e *keeptrail.Escalation, _ *idNames) { s.time(e.OpenedAt) }},
	{"request_id", func(s sink, e *keeptrail.Escalation, _ *idNames) { s.text(e.RequestID) }},
	{"gateway", func(s sink, e *keeptrail.Escalation, n *idNames) { s.text(n.gateway(e.GatewayID)) }},
	{"team", func(s sink, e *keeptrail.Escalation, n *idNames) { s.text(n.team(e.TeamID)) }},
	{"severity", func(s sink, e *keeptrail.Escalation, _ *idNames) { s.text(string(e.Severity)) }},
	{"status", func(s sink, e *keeptrail.Escalation, _ *idNames) { s.text(string(e.Status)) }},
	{"sla_due_at", func(s sink, e *keeptrail.Escalation, _ *idNames) { s.time(e.SLADueAt) }},
	{"expires_at", func(s sink, e *keeptrail.Escalation, _ *idNames) { s.time(e.ExpiresAt) }},
	{"assignee", func(s sink, e *keeptrail.Escalation, _ *idNames) { textOrNull(s, e.Assignee) }},
	{"resolved_at", func(s sink, e *keeptrail.Escalation, _ *idNames) {
		if e.ResolvedAt == nil {
			s.null()
		} else {
			s.time(*e.ResolvedAt)
		}
	}},
	{"outcome", func(s sink, e *keeptrail.Escalation, _ *idNames) { textOrNull(s, e.Outcome) }},
	{"resolved_within_sla", func(s sink, e *keeptrail.Escalation, _ *idNames) {
		if e.ResolvedAt == nil {
			s.null()
		} else {
			s.bool(!e.ResolvedAt.After(e.SLADueAt))
		}
	}},
	{"actions", func(s sink, e *keeptrail.Escalation, _ *idNames) { s.raw(actionsJSON(e.Actions)) }},
}

// exportAction is an escalation action as exports write it.
type exportAction struct {
	Action   string `json:"action"`
	Actor    string `json:"actor"`
	At       string `json:"at"`
	Assignee string `json:"assignee,omitempty"`
	Outcome  string `json:"outcome,omitempty"`
	Note     string `json:"note,omitempty"`
}

// actionsJSON is the actions as a compact JSON array, oldest first.
func actionsJSON(actions []keeptrail.EscalationAction) string {
	out := make([]exportAction, len(actions))
	for i, a := range actions {
		out[i] = exportAction{Action: a.Action, Actor: a.Actor, At: string(appendTime(nil, a.At)),
			Assignee: a.Assignee, Outcome: a.Outcome, Note: a.Note}
	}
	b, err := marshalCompact(out)
	if err != nil {
		return "[]"
	}
	return string(b)
}

// configurationColumns are the columns of configurations exports (the changelog).
var configurationColumns = []column[keeptrail.ConfigurationChange]{
	{"time", func(s sink, c *keeptrail.ConfigurationChange, _ *idNames) { s.time(c.Time) }},
	{"change", func(s sink, c *keeptrail.ConfigurationChange, _ *idNames) { s.text(c.Change) }},
	{"version", func(s sink, c *keeptrail.ConfigurationChange, _ *idNames) { s.int(c.Version) }},
	{"gateway", func(s sink, c *keeptrail.ConfigurationChange, n *idNames) {
		if c.GatewayID == 0 {
			s.null()
		} else {
			s.text(n.gateway(c.GatewayID))
		}
	}},
	{"team", func(s sink, c *keeptrail.ConfigurationChange, n *idNames) {
		if c.TeamID == 0 {
			s.null()
		} else {
			s.text(n.team(c.TeamID))
		}
	}},
	{"author", func(s sink, c *keeptrail.ConfigurationChange, _ *idNames) { textOrNull(s, c.Author) }},
	{"change_summary", func(s sink, c *keeptrail.ConfigurationChange, _ *idNames) { textOrNull(s, c.ChangeSummary) }},
	{"validation_passed", func(s sink, c *keeptrail.ConfigurationChange, _ *idNames) {
		if c.ValidationPassed == nil {
			s.null()
		} else {
			s.bool(*c.ValidationPassed)
		}
	}},
	{"validation_output", func(s sink, c *keeptrail.ConfigurationChange, _ *idNames) { textOrNull(s, c.ValidationOutput) }},
	{"deployed_by", func(s sink, c *keeptrail.ConfigurationChange, _ *idNames) { textOrNull(s, c.DeployedBy) }},
	{"source", func(s sink, c *keeptrail.ConfigurationChange, _ *idNames) { textOrNull(s, c.Source) }},
	{"content", func(s sink, c *keeptrail.ConfigurationChange, _ *idNames) {
		if len(c.Content) == 0 {
			s.null()
		} else {
			s.raw(string(c.Content))
		}
	}},
}

// columnNames lists the names of cols.
func columnNames[R any](cols []column[R]) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.name
	}
	return out
}

// marshalCompact is json.Marshal without HTML escaping.
func marshalCompact(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
