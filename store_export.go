package keeptrail

import (
	"context"
	"encoding/json"
	"time"
)

// ExportTx is the part of Tx that the export engine and its job queue use: streaming,
// scoped reads of each export type in one snapshot, and the durable export jobs.
//
// The readers call fn once per row in a deterministic order (time, then a unique key) with
// a pointer to a value the store reuses for the next row: fn must copy what it keeps. They
// stop at fn's first error and return it. Filters become bind parameters; the store never
// builds SQL from their values.
type ExportTx interface {
	ExportSchemaTx

	// CountAuditEntries counts the audit entries ExportAuditEntries would read.
	CountAuditEntries(f ExportFilter) (int64, error)
	// ExportAuditEntries reads audit entries with Start <= time < End, ordered by sequence
	// number (which is time order). Scope: entries of a team in scope; entries without a
	// team only when the scope is unrestricted. Filters: Severities, Users (the actor),
	// Categories, Actions.
	ExportAuditEntries(f ExportFilter, fn func(*AuditEntry) error) error

	// CountDecisionEvents counts the decision events ExportDecisionEvents would read.
	CountDecisionEvents(f ExportFilter) (int64, error)
	// ExportDecisionEvents reads decision events with Start <= time < End, ordered by time,
	// team id, then id (the order of the time index, so no database sorts them). Filters: Scope, GatewayIDs, Severities, Users, Decisions.
	ExportDecisionEvents(f ExportFilter, fn func(*DecisionEventRow) error) error

	// CountEscalations counts the escalations ExportEscalations would read.
	CountEscalations(f ExportFilter) (int64, error)
	// ExportEscalations reads escalations opened in [Start, End), ordered by opened time,
	// team id, then id, each with all its actions (oldest first). Filters: Scope, GatewayIDs,
	// Severities, Statuses.
	ExportEscalations(f ExportFilter, fn func(*Escalation) error) error

	// CountConfigurationChanges counts the rows ExportConfigurationChanges would read.
	CountConfigurationChanges(f ExportFilter) (int64, error)
	// ExportConfigurationChanges reads the configuration changelog in [Start, End): the
	// configuration versions created (organization-wide, so only when the scope is
	// unrestricted and no gateway is named) and the deployments to gateways in scope,
	// ordered by time, versions before deployments, then id.
	ExportConfigurationChanges(f ExportFilter, fn func(*ConfigurationChange) error) error

	// CreateExportJob inserts j as queued, setting ID, Status and CreatedAt.
	CreateExportJob(j *ExportJob) error
	// ExportJobByID returns one job; ENOTFOUND if there is none.
	ExportJobByID(id int64) (ExportJob, error)
	// ExportJobs lists jobs, newest first.
	ExportJobs(f ExportJobFilter) ([]ExportJob, error)
	// CountActiveExportJobs counts the queued and running jobs of a requester. On
	// PostgreSQL it first takes a transaction lock on the requester, so a count followed
	// by CreateExportJob in the same transaction cannot race another request.
	CountActiveExportJobs(requester string) (int, error)
	// ClaimExportJob takes the oldest job that is queued, or running under a lease that
	// expired before Now(): it becomes running under owner until leaseUntil, its attempts
	// grow by one and StartedAt is set when first claimed. ENOTFOUND when there is none.
	// Replicas never claim one job twice (PostgreSQL FOR UPDATE SKIP LOCKED; SQLite's
	// single writer).
	ClaimExportJob(owner string, leaseUntil time.Time) (ExportJob, error)
	// UpdateExportJobProgress records the rows and bytes written so far and extends the
	// lease, if the job is running under owner. It returns the job's status either way;
	// ECONFLICT when the job is running under another owner (the lease was lost).
	UpdateExportJobProgress(id int64, owner string, rows, bytes int64, leaseUntil time.Time) (ExportJobStatus, error)
	// FinishExportJob writes j's final status, counts, SHA-256, artifact, error and
	// FinishedAt (Now() when zero) if j is still running under owner; ECONFLICT otherwise
	// (canceled meanwhile, or claimed by another worker).
	FinishExportJob(j *ExportJob, owner string) error
	// CancelExportJob marks a queued or running job canceled (FinishedAt = Now()) and
	// returns it; ECONFLICT when it has already finished, ENOTFOUND when there is none.
	CancelExportJob(id int64) (ExportJob, error)
	// SetExportJobNotification records how the completion notice went.
	SetExportJobNotification(id int64, status, lastError string) error
}

// ExportFilter selects the rows of one export. Zero fields do not filter, except the
// time range, which is required: rows with Start <= time < End.
type ExportFilter struct {
	Start, End time.Time
	// Scope is the teams the rows must belong to: the caller's scope narrowed by the
	// spec's teams.
	Scope TeamScope
	// GatewayIDs limits events, escalations and deployments to these gateways.
	GatewayIDs []int64
	Severities []Severity
	// Users is the actor of audit entries, the user of decision events.
	Users      []string
	Decisions  []Decision
	Categories []string
	Actions    []string
	Statuses   []EscalationStatus
}

// DecisionEventRow is a decision event as an export reads it: ids instead of names (the
// engine maps them), and the rules matched and categories as the stored compact JSON
// arrays, so they stream without being decoded.
type DecisionEventRow struct {
	ID                int64
	RequestID         string
	Time              time.Time
	GatewayID         int64
	TeamID            int64
	User              string
	Model             string
	Decision          string
	Severity          string
	PoliciesEvaluated int64
	RulesMatched      string // e.g. ["pii.ssn"]
	Categories        string // e.g. ["pii"]
	LatencyMS         int64
	TokensIn          int64
	TokensOut         int64
	CostUSD           float64
}

// Configuration change kinds.
const (
	ChangeVersionCreated = "version_created"
	ChangeDeployed       = "deployed"
)

// ConfigurationChange is one row of the configuration changelog: a configuration version
// created, or a deployment of a version to a gateway (with the version's details when the
// version is known).
type ConfigurationChange struct {
	ID        int64 // of the version or the deployment
	Time      time.Time
	Change    string // ChangeVersionCreated or ChangeDeployed
	Version   int64
	GatewayID int64 // deployments only
	TeamID    int64 // deployments only: the gateway's team
	// Author, ChangeSummary, ValidationPassed and ValidationOutput describe the version;
	// ValidationPassed is nil for a deployment of a version that is not recorded.
	Author           string
	ChangeSummary    string
	ValidationPassed *bool
	ValidationOutput string
	// Content is the version's configuration (versions only).
	Content json.RawMessage
	// DeployedBy and Source describe a deployment.
	DeployedBy string
	Source     string
}

// ExportSchemaTx is embedded in ExportTx: what a manifest says about the database.
type ExportSchemaTx interface {
	// SchemaVersion returns the name of the latest applied migration ("0002_exports").
	SchemaVersion() (string, error)
}

// ParallelViewer is implemented by stores that can give one snapshot to several read
// transactions at once, so that a large export reads on several connections (and cores)
// in parallel while every row still comes from the same snapshot.
type ParallelViewer interface {
	// ViewParallel runs fn with n read-only transactions on n connections that all see
	// the same snapshot and share one Now(). fn may use each transaction from its own
	// goroutine, one goroutine per transaction.
	ViewParallel(ctx context.Context, n int, fn func(txs []Tx) error) error
}
