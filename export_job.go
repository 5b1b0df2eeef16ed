package keeptrail

import (
	"encoding/json"
	"time"
)

// ExportJobStatus is where an export job stands.
type ExportJobStatus string

// Export job statuses. Queued and running jobs are active; the other three are final.
const (
	ExportQueued    ExportJobStatus = "queued"
	ExportRunning   ExportJobStatus = "running"
	ExportSucceeded ExportJobStatus = "succeeded"
	ExportFailed    ExportJobStatus = "failed"
	ExportCanceled  ExportJobStatus = "canceled"
)

// ExportJobStatuses lists the statuses in lifecycle order.
var ExportJobStatuses = []ExportJobStatus{ExportQueued, ExportRunning, ExportSucceeded, ExportFailed, ExportCanceled}

// Final reports whether a job in status s will not change any more.
func (s ExportJobStatus) Final() bool {
	return s == ExportSucceeded || s == ExportFailed || s == ExportCanceled
}

// ExportJob is one durable export: the canonical spec it runs, who asked for it (a copy of
// the requester's principal at request time, so a worker runs it with that scope), and its
// progress and outcome. A worker holds a running job under a lease (LeaseOwner until
// LeaseExpiresAt); a job whose lease expired is claimed again by another worker.
type ExportJob struct {
	ID int64 `json:"id"`
	// Spec is the canonical JSON of the export spec (export.Spec.Canonical).
	Spec json.RawMessage `json:"spec"`
	// Type and Format repeat the spec's, for listings.
	Type   string `json:"type"`
	Format string `json:"format"`

	// Requester is the principal's name (email, key:PREFIX, cli:USER, system:JOB).
	Requester       string    `json:"requester"`
	RequesterKind   ActorKind `json:"requester_kind"`
	RequesterUserID int64     `json:"requester_user_id,omitempty"`
	RequesterKeyID  int64     `json:"-"`
	Role            Role      `json:"role"`
	// AllTeams and TeamIDs are the requester's team scope when the job was requested.
	AllTeams bool    `json:"-"`
	TeamIDs  []int64 `json:"-"`
	SourceIP string  `json:"-"`

	Status     ExportJobStatus `json:"status"`
	Population int64           `json:"population"`
	Rows       int64           `json:"rows"`
	Bytes      int64           `json:"bytes"`
	SHA256     string          `json:"sha256,omitempty"`
	Error      string          `json:"error,omitempty"`
	// Artifact is the file name of the finished file in the artifact store.
	Artifact string `json:"artifact,omitempty"`

	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`

	LeaseOwner     string     `json:"-"`
	LeaseExpiresAt *time.Time `json:"-"`
	// Attempts counts the claims of the job (a job is claimed again after its worker died).
	Attempts int `json:"attempts"`

	// NotifyStatus is "", "sent" or "failed"; NotifyError the last delivery error.
	NotifyStatus string `json:"notify_status,omitempty"`
	NotifyError  string `json:"notify_error,omitempty"`
}

// Principal returns the requester as the principal the job runs under.
func (j *ExportJob) Principal() *Principal {
	p := &Principal{Kind: j.RequesterKind, UserID: j.RequesterUserID, APIKeyID: j.RequesterKeyID, Name: j.Requester,
		Role: j.Role, AllTeams: j.AllTeams, SourceIP: j.SourceIP}
	if !j.AllTeams {
		p.TeamIDs = append([]int64{}, j.TeamIDs...)
	}
	return p
}

// SetRequester copies p into the job's requester fields.
func (j *ExportJob) SetRequester(p *Principal) {
	j.Requester, j.RequesterKind, j.RequesterUserID, j.RequesterKeyID = p.Name, p.Kind, p.UserID, p.APIKeyID
	j.Role, j.AllTeams, j.SourceIP = p.Role, p.AllTeams, p.SourceIP
	j.TeamIDs = nil
	if !p.AllTeams {
		j.TeamIDs = append([]int64{}, p.TeamIDs...)
	}
}

// ExportJobFilter selects export jobs. Zero fields do not filter.
type ExportJobFilter struct {
	// Requester selects the jobs of one principal name.
	Requester string
	Statuses  []ExportJobStatus
	// Limit caps the list (newest first).
	Limit int
}
