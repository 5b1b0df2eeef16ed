package export

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/keeptrail/keeptrail"
)

// ManifestKind identifies an export manifest.
const ManifestKind = "keeptrail.export.manifest"

// Manifest is the record written beside every export file: what population was asked
// for (the normalized spec, the period with its ends), by whom, when, from which system,
// how many rows the snapshot held and were written, and the file's size and SHA-256. It
// is the "information produced by the entity" evidence an auditor tests.
type Manifest struct {
	Kind            string          `json:"kind"`
	ManifestVersion int             `json:"manifest_version"`
	JobID           int64           `json:"job_id,omitempty"`
	Type            Type            `json:"type"`
	Format          Format          `json:"format"`
	Spec            json.RawMessage `json:"spec"`
	Period          periodJSON      `json:"period"`
	Filters         string          `json:"filters"`
	RequestedBy     Requester       `json:"requested_by"`
	GeneratedAt     time.Time       `json:"generated_at"`
	SnapshotAt      time.Time       `json:"snapshot_at"`
	Software        Software        `json:"software"`
	SchemaVersion   string          `json:"schema_version"`
	Population      int64           `json:"population"`
	RowsWritten     int64           `json:"rows_written"`
	RowsExcluded    int64           `json:"rows_excluded"`
	File            FileInfo        `json:"file"`
	Formula         Neutralisation  `json:"formula_neutralisation"`
	AuditLog        *AuditRange     `json:"audit_log,omitempty"`
}

// periodJSON is a period with both forms of its end.
type periodJSON struct {
	Start        string `json:"start"`
	End          string `json:"end"`           // inclusive, as written in canonical form
	EndExclusive string `json:"end_exclusive"` // the half-open bound applied
	TimeZone     string `json:"time_zone"`
}

func period(r TimeRange) periodJSON {
	return periodJSON{Start: formatStart(r.Start), End: formatEnd(r.End),
		EndExclusive: formatStart(r.End), TimeZone: "UTC"}
}

// Requester is who asked for an export, and in which role.
type Requester struct {
	Name string              `json:"name"`
	Kind keeptrail.ActorKind `json:"kind"`
	Role keeptrail.Role      `json:"role"`
}

// Software names the system that produced a file.
type Software struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// FileInfo is the produced file.
type FileInfo struct {
	Name      string `json:"name"`
	MediaType string `json:"media_type"`
	Bytes     int64  `json:"bytes"`
	SHA256    string `json:"sha256"`
}

// Neutralisation says whether spreadsheet formula neutralisation applied (CSV) and to
// how many cells.
type Neutralisation struct {
	Applied bool  `json:"applied"`
	Cells   int64 `json:"cells"`
}

// AuditRange is the sequence numbers an audit log export covers.
type AuditRange struct {
	FirstSeq int64 `json:"first_seq"`
	LastSeq  int64 `json:"last_seq"`
}

// MediaType is the MIME type of the file an export of type t in format f produces. A
// compliance package is a ZIP bundle whatever its format (the format names its report).
func MediaType(t Type, f Format) string {
	if t == TypeCompliancePackage {
		return "application/zip"
	}
	switch f {
	case FormatCSV:
		return "text/csv; charset=utf-8"
	case FormatJSON:
		return "application/json"
	case FormatNDJSON:
		return "application/x-ndjson"
	case FormatPDF:
		return "application/pdf"
	}
	return "application/octet-stream"
}

// newManifest describes a finished export.
func (x *Exporter) newManifest(s Spec, p *keeptrail.Principal, jobID int64, res Result, file FileInfo) Manifest {
	s = s.Normalize()
	m := Manifest{
		Kind: ManifestKind, ManifestVersion: 1, JobID: jobID, Type: s.Type, Format: s.Format,
		Spec: s.Canonical(), Period: period(s.TimeRange), Filters: s.FiltersText(),
		RequestedBy: Requester{Name: p.Name, Kind: p.Kind, Role: p.Role},
		GeneratedAt: keeptrail.TruncTime(x.opt.Now()), SnapshotAt: res.SnapshotAt,
		Software:      Software{Name: "keeptrail", Version: x.opt.Version},
		SchemaVersion: res.SchemaVersion, Population: res.Population, RowsWritten: res.Rows,
		RowsExcluded: res.Population - res.Rows, File: file,
		Formula: Neutralisation{Applied: s.Format == FormatCSV, Cells: res.Neutralized},
	}
	if s.Type == TypeAuditLog {
		m.AuditLog = &AuditRange{FirstSeq: res.FirstSeq, LastSeq: res.LastSeq}
	}
	return m
}

// FileName is the artifact name of a job's export file: export-ID.FORMAT, or
// package-ID.zip for a compliance package.
func FileName(jobID int64, t Type, f Format) string {
	if t == TypeCompliancePackage {
		return "package-" + strconv.FormatInt(jobID, 10) + ".zip"
	}
	return "export-" + strconv.FormatInt(jobID, 10) + "." + string(f)
}

// ManifestName is the name of the manifest beside a file.
func ManifestName(file string) string { return file + ".manifest.json" }
