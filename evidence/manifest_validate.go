package evidence

import (
	"fmt"
	"math"

	"github.com/keeptrail/keeptrail"
)

// Validate checks that the manifest is complete and that its figures reconcile: each
// query's written rows equal the rows of its file (when the file has rows), its
// exclusions add up to its excluded rows, the audit log's file is listed and its chain
// result agrees with its problems. It returns EINVALID naming each bad field.
func (m Manifest) Validate() error {
	var v keeptrail.Validation
	required := func(field, s string) {
		if s == "" {
			v.Add(field, "is required")
		}
	}
	required("organization", m.Organization)
	required("framework.name", m.Framework.Name)
	required("framework.title", m.Framework.Title)
	m.Period.validate(&v)
	if m.GeneratedAt.IsZero() {
		v.Add("generated_at", "is required")
	}
	switch m.GeneratedBy.Kind {
	case GeneratedByUser, GeneratedByAPIKey, GeneratedBySchedule, GeneratedBySystem:
	default:
		v.Add("generated_by.kind", "must be user, api_key, schedule or system, not %q", m.GeneratedBy.Kind)
	}
	required("generated_by.name", m.GeneratedBy.Name)
	required("software.name", m.Software.Name)
	required("software.version", m.Software.Version)
	required("schema_version", m.SchemaVersion)

	files := m.validateFiles(&v)
	m.validateQueries(&v, files)
	if a := m.AuditLog; a != nil {
		a.validate(&v, files)
	}
	if s := m.Score; s != nil {
		if math.IsNaN(s.Score) || s.Score < 0 || s.Score > 100 {
			v.Add("compliance_score.score", "must be between 0 and 100")
		}
		if s.At.IsZero() {
			v.Add("compliance_score.at", "is required")
		}
	}
	return v.Err()
}

func (p AuditPeriod) validate(v *keeptrail.Validation) {
	switch {
	case p.Start.IsZero():
		v.Add("period.start", "is required")
	case p.End.IsZero():
		v.Add("period.end", "is required")
	case !p.End.After(p.Start):
		v.Add("period.end", "must be after period.start")
	}
	if p.TimeZone == "" {
		v.Add("period.time_zone", "is required")
	}
}

func (m Manifest) validateFiles(v *keeptrail.Validation) map[string]Member {
	files := make(map[string]Member, len(m.Files))
	if len(m.Files) == 0 {
		v.Add("files", "must list at least one file")
	}
	for i, f := range m.Files {
		field := fmt.Sprintf("files[%d]", i)
		if reason := CheckPath(f.Path); reason != "" {
			v.Add(field+".path", "%q %s", f.Path, reason)
			continue
		}
		if reserved(f.Path) {
			v.Add(field+".path", "%s is not listed in the manifest", f.Path)
		}
		if _, dup := files[f.Path]; dup {
			v.Add(field+".path", "%s is listed twice", f.Path)
		}
		if len(f.SHA256) != 64 {
			v.Add(field+".sha256", "must be 64 hex digits")
		}
		if f.Size < 0 {
			v.Add(field+".size", "must not be negative")
		}
		files[f.Path] = f
	}
	return files
}

func (m Manifest) validateQueries(v *keeptrail.Validation, files map[string]Member) {
	names := map[string]bool{}
	for i, q := range m.Queries {
		field := fmt.Sprintf("evidence_queries[%d]", i)
		if q.Name == "" {
			v.Add(field+".name", "is required")
		} else if names[q.Name] {
			v.Add(field+".name", "%s is listed twice", q.Name)
		}
		names[q.Name] = true
		if _, err := canonicalJSON(q.Parameters); err != nil {
			v.Add(field+".parameters", "%v", err)
		}
		if q.SnapshotAt.IsZero() {
			v.Add(field+".snapshot_at", "is required")
		}
		if q.Population < 0 || q.RowsWritten < 0 || q.RowsExcluded < 0 {
			v.Add(field, "counts must not be negative")
		}
		var excluded int64
		for j, e := range q.Exclusions {
			if e.Reason == "" {
				v.Add(fmt.Sprintf("%s.exclusions[%d].reason", field, j), "is required")
			}
			excluded += e.Rows
		}
		if excluded != q.RowsExcluded {
			v.Add(field+".rows_excluded", "is %d but the exclusions add up to %d", q.RowsExcluded, excluded)
		}
		if q.File == "" {
			continue
		}
		f, ok := files[q.File]
		switch {
		case !ok:
			v.Add(field+".file", "%s is not among the files", q.File)
		case f.Rows != nil && *f.Rows != q.RowsWritten:
			v.Add(field+".rows_written", "is %d but %s has %d rows", q.RowsWritten, q.File, *f.Rows)
		}
	}
}

func (a AuditLogEvidence) validate(v *keeptrail.Validation, files map[string]Member) {
	if _, ok := files[a.File]; !ok {
		v.Add("audit_log.file", "%q is not among the files", a.File)
	}
	if a.FirstSeq > a.LastSeq {
		v.Add("audit_log.last_seq", "must not be less than first_seq")
	}
	switch a.ChainCheck.Result {
	case ChainIntact:
		if len(a.ChainCheck.Problems) > 0 {
			v.Add("audit_log.chain_check.result", "is intact but problems are listed")
		}
	case ChainBroken:
		if len(a.ChainCheck.Problems) == 0 {
			v.Add("audit_log.chain_check.problems", "must name what is broken")
		}
	default:
		v.Add("audit_log.chain_check.result", "must be intact or broken, not %q", a.ChainCheck.Result)
	}
}
