package evidence

import (
	"encoding/json"
	"time"

	"github.com/keeptrail/keeptrail"
)

// ManifestKind identifies a compliance package manifest.
const ManifestKind = "keeptrail.compliance_package.manifest"

// ManifestFormatVersion is the version of the manifest format written here; Decode
// refuses any other.
const ManifestFormatVersion = 1

// Manifest is manifest.json, the signed index of a compliance package: every file with
// its size, SHA-256 and rows, and the "information produced by the entity" an auditor
// tests before relying on the evidence (AT-C 205.36): the population each evidence query
// read, with which parameters, from which snapshot, by whom, from which system version,
// and the audit log's sequence range and chain check.
//
// The assembler fills everything but Kind, FormatVersion and Files, which Seal sets.
// Fields are encoded in the order declared here (see Encode).
type Manifest struct {
	Kind          string            `json:"kind"`
	FormatVersion int               `json:"format_version"`
	Organization  string            `json:"organization"`
	Framework     ManifestFramework `json:"framework"`
	Period        AuditPeriod       `json:"period"`
	GeneratedAt   time.Time         `json:"generated_at"`
	GeneratedBy   GeneratedBy       `json:"generated_by"`
	Software      Software          `json:"software"`
	// SchemaVersion is the database schema version the evidence was read from.
	SchemaVersion string `json:"schema_version"`
	// Files are the bundle's members other than manifest.json and manifest.sig, ordered
	// by path.
	Files    []Member          `json:"files"`
	Queries  []EvidenceQuery   `json:"evidence_queries"`
	AuditLog *AuditLogEvidence `json:"audit_log,omitempty"`
	Score    *ScoreSummary     `json:"compliance_score,omitempty"`
}

// ManifestFramework names the framework a package maps its evidence to.
type ManifestFramework struct {
	Name    string `json:"name"`    // "soc2", "hipaa" or a custom template's name
	Title   string `json:"title"`   // "SOC 2"
	Version int64  `json:"version"` // the template's revision; 1 for the built-in ones
}

// AuditPeriod is the period the evidence covers: from Start to End in UTC, saying which
// ends belong to it (normally the half-open [Start, End): StartInclusive true,
// EndInclusive false) and the time zone its bounds were given in.
type AuditPeriod struct {
	Start          time.Time `json:"start"`
	End            time.Time `json:"end"`
	TimeZone       string    `json:"time_zone"`
	StartInclusive bool      `json:"start_inclusive"`
	EndInclusive   bool      `json:"end_inclusive"`
}

// HalfOpenPeriod is the period [start, end) given in the named time zone.
func HalfOpenPeriod(start, end time.Time, zone string) AuditPeriod {
	return AuditPeriod{Start: start, End: end, TimeZone: zone, StartInclusive: true}
}

// Kinds of GeneratedBy.
const (
	GeneratedByUser     = "user"
	GeneratedByAPIKey   = "api_key"
	GeneratedBySchedule = "schedule"
	GeneratedBySystem   = "system"
)

// GeneratedBy is who asked for the package: a user or API key in a role, or a schedule
// (Name is the schedule's, Role its owner's, OnBehalfOf its owner).
type GeneratedBy struct {
	Kind       string         `json:"kind"`
	Name       string         `json:"name"`
	Role       keeptrail.Role `json:"role,omitempty"`
	OnBehalfOf string         `json:"on_behalf_of,omitempty"`
}

// Software names the system that produced the package.
type Software struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Build   string `json:"build,omitempty"` // e.g. the VCS revision
}

// EvidenceQuery is one query behind the evidence: what population it read (Parameters,
// normalised; Encode also sorts their keys), in which snapshot, how many rows that
// population held, how many were written to File and how many left out and why.
type EvidenceQuery struct {
	Name         string          `json:"name"`
	File         string          `json:"file,omitempty"`
	Parameters   json.RawMessage `json:"parameters"`
	SnapshotAt   time.Time       `json:"snapshot_at"`
	Population   int64           `json:"population"`
	RowsWritten  int64           `json:"rows_written"`
	RowsExcluded int64           `json:"rows_excluded"`
	Exclusions   []Exclusion     `json:"exclusions"`
}

// Exclusion is why some rows of a population were not written.
type Exclusion struct {
	Reason string `json:"reason"`
	Rows   int64  `json:"rows"`
}

// Results of an audit log chain check.
const (
	ChainIntact = "intact"
	ChainBroken = "broken"
)

// AuditLogEvidence describes the audit log file of a package: the sequence numbers it
// holds and the result of checking the hash chain and signed checkpoints over them.
type AuditLogEvidence struct {
	File       string     `json:"file"`
	FirstSeq   int64      `json:"first_seq"`
	LastSeq    int64      `json:"last_seq"`
	Entries    int64      `json:"entries"`
	ChainCheck ChainCheck `json:"chain_check"`
}

// ChainCheck is the result of verifying the audit log's hash chain (auditlog.Verify):
// Result is ChainIntact when no problem was found.
type ChainCheck struct {
	Result          string         `json:"result"`
	CheckedFrom     int64          `json:"checked_from"`
	CheckedTo       int64          `json:"checked_to"`
	Entries         int64          `json:"entries"`
	Checkpoints     int            `json:"checkpoints"`
	CheckpointKeyID string         `json:"checkpoint_key_id,omitempty"`
	Problems        []ChainProblem `json:"problems"`
}

// ChainProblem is one break found in the chain.
type ChainProblem struct {
	Seq  int64  `json:"seq"`
	What string `json:"what"`
}

// ScoreSummary is the compliance score of the period with its breakdown.
type ScoreSummary struct {
	Score      float64          `json:"score"`
	At         time.Time        `json:"at"`
	Components []ScoreComponent `json:"components"`
}

// ScoreComponent is one weighted term of the score (see compliance.Component).
type ScoreComponent struct {
	Name      string           `json:"name"`
	Weight    float64          `json:"weight"`
	MaxPoints float64          `json:"max_points"`
	Ratio     float64          `json:"ratio"`
	Points    float64          `json:"points"`
	Parts     []ScoreComponent `json:"parts,omitempty"`
}
