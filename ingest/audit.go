package ingest

import (
	"encoding/json"

	"github.com/keeptrail/keeptrail"
)

// Bits of the outside audit entry fields.
const (
	auTime uint32 = 1 << iota
	auActor
	auAction
	auCategory
	auTeam
	auTarget
	auSeverity
	auOutcome
	auSourceIP
	auDetails
)

var (
	auditRequired      = []uint32{auTime, auActor, auAction, auCategory, auSeverity, auOutcome}
	auditRequiredNames = []string{"time", "actor", "action", "category", "severity", "outcome"}
	// auditOutcomes are the outcomes an audit entry may record.
	auditOutcomes = []string{"success", "failure", "denied"}
)

// ParseAudit parses one NDJSON line of POST /api/v1/audit: an audit entry written by an
// outside system (identity provider, control plane). Required: time, actor, action,
// category (one of keeptrail.AuditCategories), severity, outcome (success, failure,
// denied). Optional: team, target, source_ip (an IP address), details (a JSON object,
// returned compact). ActorKind is external; Seq and hashes are left for the store.
// Errors as for ParseEvent.
func ParseAudit(line []byte) (keeptrail.AuditEntry, error) {
	e := keeptrail.AuditEntry{ActorKind: keeptrail.ActorExternal}
	p := newParser(line)
	for p.next() {
		switch string(p.key) {
		case "time":
			e.Time, _ = p.time(auTime, "time")
		case "actor":
			e.Actor, _ = p.text(auActor, "actor", true)
		case "action":
			e.Action, _ = p.text(auAction, "action", true)
		case "category":
			e.Category, _ = p.enum(auCategory, "category", keeptrail.AuditCategories)
		case "team":
			e.Team, _ = p.text(auTeam, "team", false)
		case "target":
			e.Target, _ = p.text(auTarget, "target", false)
		case "severity":
			s, _ := p.enum(auSeverity, "severity", severityChoices)
			e.Severity = keeptrail.Severity(s)
		case "outcome":
			e.Outcome, _ = p.enum(auOutcome, "outcome", auditOutcomes)
		case "source_ip":
			e.SourceIP, _ = p.ipAddress(auSourceIP, "source_ip")
		case "details":
			e.Details, _ = p.object(auDetails, "details")
		default:
			p.unknown()
		}
	}
	if p.s.err == nil && !p.notObject {
		p.require(auditRequired, auditRequiredNames)
	}
	if err := p.err(); err != nil {
		return keeptrail.AuditEntry{}, err
	}
	if e.Details == nil {
		e.Details = json.RawMessage("{}")
	}
	return e, nil
}
