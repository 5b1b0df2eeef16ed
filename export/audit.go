package export

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strconv"

	"github.com/keeptrail/keeptrail"
)

// Audit actions of exports (category export). Details carry the job id, the canonical
// spec and, once there is a file, its SHA-256.
const (
	ActionRequested  = "export.requested"
	ActionCompleted  = "export.completed"
	ActionFailed     = "export.failed"
	ActionCanceled   = "export.canceled"
	ActionDownloaded = "export.downloaded"
)

// Audit outcomes.
const (
	outcomeSuccess = "success"
	outcomeFailure = "failure"
	outcomeDenied  = "denied"
)

// auditDetails are the details of an export audit entry.
type auditDetails struct {
	JobID      int64           `json:"job_id,omitempty"`
	Spec       json.RawMessage `json:"spec,omitempty"`
	Population *int64          `json:"population,omitempty"`
	Rows       *int64          `json:"rows,omitempty"`
	Bytes      *int64          `json:"bytes,omitempty"`
	SHA256     string          `json:"sha256,omitempty"`
	File       string          `json:"file,omitempty"`
	Via        string          `json:"via,omitempty"`
	Reason     string          `json:"reason,omitempty"`
	Role       keeptrail.Role  `json:"role,omitempty"`
}

// jobTarget is the audit target of a job.
func jobTarget(id int64) string {
	if id == 0 {
		return ""
	}
	return "export:" + strconv.FormatInt(id, 10)
}

// appendAudit writes an export audit entry for p in tx.
func appendAudit(tx keeptrail.Tx, p *keeptrail.Principal, action, outcome string, sev keeptrail.Severity,
	teamID *int64, jobID int64, d auditDetails) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return err
	}
	e := keeptrail.AuditEntry{
		ActorKind: p.Kind, Actor: p.Name, Action: action, Category: keeptrail.CategoryExport, TeamID: teamID,
		Target: jobTarget(jobID), Severity: sev, SourceIP: p.SourceIP, Outcome: outcome,
		Details: bytes.TrimSuffix(b.Bytes(), []byte("\n")),
	}
	return tx.AppendAudit(&e)
}

// recordDenied writes the audit entry of a denied attempt in a transaction of its own
// and returns the EFORBIDDEN error to answer (ENOTFOUND when notFound, so that the
// existence of another's job is not revealed). A lost entry is logged; the attempt fails
// either way.
func recordDenied(ctx context.Context, st keeptrail.Store, log *slog.Logger, p *keeptrail.Principal, action string,
	jobID int64, d auditDetails, teamID *int64, answer error) error {
	d.Role = p.Role
	err := st.Update(context.WithoutCancel(ctx), func(tx keeptrail.Tx) error {
		return appendAudit(tx, p, action, outcomeDenied, keeptrail.SeverityMedium, teamID, jobID, d)
	})
	if err != nil {
		log.Error("export: audit entry of a denied attempt was not written", "action", action, "actor", p.Name, "err", err)
	}
	return answer
}

func ptr[T any](v T) *T { return &v }
