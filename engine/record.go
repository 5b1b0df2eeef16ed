package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/keeptrail/keeptrail"
)

// Limits on an audit entry recorded through RecordAudit, in bytes.
const (
	maxActionLength  = 128
	maxTargetLength  = 512
	maxDetailsLength = 16 * 1024
)

// RecordAudit writes an audit entry for an action that changes nothing else (sign-out,
// session revocation, MFA challenge). Any authenticated principal may record its own
// actions: the actor, actor kind and (when empty) source address come from the principal,
// never from entry. Action is required; category must be one of keeptrail.AuditCategories;
// severity defaults to low and outcome to success (else success, failure or denied);
// details must be a JSON object; a team_id outside the caller's teams is EFORBIDDEN. Seq, time and hashes are set by the store. It returns
// the entry as written.
func (e *Engine) RecordAudit(ctx context.Context, entry keeptrail.AuditEntry) (keeptrail.AuditEntry, error) {
	p, err := principal(ctx)
	if err != nil {
		return keeptrail.AuditEntry{}, err
	}
	var v keeptrail.Validation
	if msg := textProblem(entry.Action, true, maxActionLength); msg != "" {
		v.Add("action", "%s", msg)
	}
	if !slices.Contains(keeptrail.AuditCategories, entry.Category) {
		v.Add("category", "must be one of the audit log categories")
	}
	if entry.Severity == "" {
		entry.Severity = keeptrail.SeverityLow
	} else if !entry.Severity.Valid() {
		v.Add("severity", "must be low, medium, high or critical")
	}
	switch entry.Outcome {
	case "":
		entry.Outcome = outcomeSuccess
	case outcomeSuccess, outcomeFailure, outcomeDenied:
	default:
		v.Add("outcome", "must be success, failure or denied")
	}
	if msg := textProblem(entry.Target, false, maxTargetLength); msg != "" {
		v.Add("target", "%s", msg)
	}
	details, err := keeptrail.CompactDetails(entry.Details)
	switch {
	case err != nil || details[0] != '{':
		v.Add("details", "must be a JSON object")
	case len(details) > maxDetailsLength:
		v.Add("details", "must be at most %d bytes", maxDetailsLength)
	}
	if err := v.Err(); err != nil {
		return keeptrail.AuditEntry{}, err
	}
	out := keeptrail.AuditEntry{
		ActorKind: p.Kind, Actor: p.Name, Action: entry.Action, Category: entry.Category,
		TeamID: entry.TeamID, Target: entry.Target, Severity: entry.Severity,
		SourceIP: p.SourceIP, Outcome: entry.Outcome, Details: details,
	}
	if out.SourceIP == "" {
		out.SourceIP = entry.SourceIP
	}
	err = e.update(ctx, p, func(tx keeptrail.Tx) error {
		if out.TeamID != nil {
			t, err := tx.TeamByID(*out.TeamID)
			if keeptrail.ErrorCode(err) == keeptrail.ENOTFOUND {
				var v keeptrail.Validation
				v.Add("team_id", "unknown team %d", *out.TeamID)
				return v.Err()
			} else if err != nil {
				return fmt.Errorf("engine: load team: %w", err)
			}
			o := op{action: out.Action, category: out.Category, what: "record audit entries"}
			if err := denyTeam(p, o, out.Target, t.ID, t.Name); err != nil {
				return err
			}
		}
		if err := tx.AppendAudit(&out); err != nil {
			return fmt.Errorf("engine: record audit entry: %w", err)
		}
		return nil
	})
	if err != nil {
		return keeptrail.AuditEntry{}, err
	}
	return out, nil
}
