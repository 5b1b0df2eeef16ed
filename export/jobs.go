package export

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/artifact"
)

// Defaults of JobsOptions.
const (
	DefaultMaxActive   = 3
	DefaultLease       = 30 * time.Second
	DefaultPoll        = time.Second
	DefaultMaxAttempts = 5
	DefaultRetryAfter  = 30 * time.Second
)

// JobsOptions configure the export job queue.
type JobsOptions struct {
	// Artifacts is the folder finished files go to. Required.
	Artifacts *artifact.Dir
	// MaxActive is how many queued and running exports one requester (a user or an API
	// key) may have at once; more is ETOOMANY (HTTP 429).
	MaxActive int
	// RetryAfter is what a refused requester is told to wait.
	RetryAfter time.Duration
	// Lease is how long a worker holds a job between progress writes; a job whose worker
	// died is claimed again once its lease has expired.
	Lease time.Duration
	// Poll is how often idle workers look for queued jobs (a submit wakes them at once).
	Poll time.Duration
	// MaxAttempts is how often a job is claimed before it is failed for good.
	MaxAttempts int
	// Owner names this process in leases (hostname-pid-random when empty).
	Owner string
	// Notifier sends notify_on_complete notices; nil records them as not configured.
	Notifier *Notifier
	Logger   *slog.Logger
}

// Jobs is the durable export queue: submission (with the per-requester limit and the
// scope check), status, cancel, download, and the workers that run jobs. It is safe for
// concurrent use; several processes may run workers against one database.
type Jobs struct {
	x    *Exporter
	st   keeptrail.Store
	opt  JobsOptions
	log  *slog.Logger
	wake chan struct{}
}

// NewJobs returns the queue over st, running exports with x.
func NewJobs(x *Exporter, opt JobsOptions) *Jobs {
	if opt.MaxActive <= 0 {
		opt.MaxActive = DefaultMaxActive
	}
	if opt.RetryAfter <= 0 {
		opt.RetryAfter = DefaultRetryAfter
	}
	if opt.Lease <= 0 {
		opt.Lease = DefaultLease
	}
	if opt.Poll <= 0 {
		opt.Poll = DefaultPoll
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = DefaultMaxAttempts
	}
	if opt.Owner == "" {
		opt.Owner = defaultOwner()
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Jobs{x: x, st: x.st, opt: opt, log: log, wake: make(chan struct{}, 1)}
}

// TooManyError is the ETOOMANY answer to a requester over the limit; RetryAfter says
// when to try again (the HTTP Retry-After header).
type TooManyError struct {
	Err        *keeptrail.Error
	RetryAfter time.Duration
}

func (e *TooManyError) Error() string { return e.Err.Error() }

// Unwrap exposes the domain error.
func (e *TooManyError) Unwrap() error { return e.Err }

func principalOf(ctx context.Context) (*keeptrail.Principal, error) {
	p := keeptrail.PrincipalFromContext(ctx)
	if p == nil {
		return nil, keeptrail.Errorf(keeptrail.EUNAUTHORIZED, "authentication required")
	}
	return p, nil
}

// Submit queues an export of s for the principal in ctx and records export.requested.
// Errors: EFORBIDDEN (role, or a team or gateway outside the caller's teams; recorded as
// a denied attempt), EINVALID (unsupported type, unknown team or gateway), ETOOMANY
// (*TooManyError) when the requester already has MaxActive exports queued or running.
func (q *Jobs) Submit(ctx context.Context, s Spec) (keeptrail.ExportJob, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return keeptrail.ExportJob{}, err
	}
	s = s.Normalize()
	spec := s.Canonical()
	if err := q.x.Check(ctx, s, p); err != nil {
		var d *denial
		if errors.As(err, &d) {
			return keeptrail.ExportJob{}, recordDenied(ctx, q.st, q.log, p, ActionRequested, 0,
				auditDetails{Spec: spec, Reason: d.reason}, d.teamID, keeptrail.Errorf(keeptrail.EFORBIDDEN, "%s", d.reason))
		}
		return keeptrail.ExportJob{}, err
	}
	job := keeptrail.ExportJob{Spec: spec, Type: string(s.Type), Format: string(s.Format)}
	job.SetRequester(p)
	err = q.st.Update(ctx, func(tx keeptrail.Tx) error {
		n, err := tx.CountActiveExportJobs(p.Name)
		if err != nil {
			return err
		}
		if n >= q.opt.MaxActive {
			return &TooManyError{RetryAfter: q.opt.RetryAfter, Err: keeptrail.Errorf(keeptrail.ETOOMANY,
				"you already have %d exports queued or running (the limit is %d); try again when one has finished", n, q.opt.MaxActive)}
		}
		if err := tx.CreateExportJob(&job); err != nil {
			return err
		}
		return appendAudit(tx, p, ActionRequested, outcomeSuccess, keeptrail.SeverityLow, nil, job.ID,
			auditDetails{JobID: job.ID, Spec: spec})
	})
	if err != nil {
		return keeptrail.ExportJob{}, err
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return job, nil
}

// covers reports whether p's team scope includes the whole scope of the job.
func covers(p *keeptrail.Principal, j *keeptrail.ExportJob) bool {
	if p.AllTeams {
		return true
	}
	if j.AllTeams {
		return false
	}
	for _, id := range j.TeamIDs {
		if !slices.Contains(p.TeamIDs, id) {
			return false
		}
	}
	return true
}

// mayAccess reports whether p may see, download or cancel the job: its role may export,
// its teams cover the job's scope, and it is the requester (the same principal or the
// same user) or an admin.
func mayAccess(p *keeptrail.Principal, j *keeptrail.ExportJob) bool {
	if !p.Role.Can(keeptrail.ActExport) || !covers(p, j) {
		return false
	}
	same := p.Name == j.Requester || (p.UserID != 0 && p.UserID == j.RequesterUserID)
	return same || p.Role == keeptrail.RoleAdmin
}

// errNoJob is the answer for a job that does not exist or that the caller may not see.
func errNoJob(id int64) error {
	return keeptrail.Errorf(keeptrail.ENOTFOUND, "export %d not found", id)
}

// load returns the job if the principal in ctx may access it; a job it may not access is
// ENOTFOUND, recorded as a denied attempt of action when action is not empty.
func (q *Jobs) load(ctx context.Context, id int64, action string) (*keeptrail.Principal, keeptrail.ExportJob, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, keeptrail.ExportJob{}, err
	}
	var j keeptrail.ExportJob
	err = q.st.View(ctx, func(tx keeptrail.Tx) error {
		j, err = tx.ExportJobByID(id)
		return err
	})
	if keeptrail.ErrorCode(err) == keeptrail.ENOTFOUND {
		return p, j, errNoJob(id)
	}
	if err != nil {
		return p, j, err
	}
	if !mayAccess(p, &j) {
		if action != "" {
			return p, j, recordDenied(ctx, q.st, q.log, p, action, id, auditDetails{JobID: id,
				Reason: "not the requester's export, or outside the caller's teams"}, nil, errNoJob(id))
		}
		return p, j, errNoJob(id)
	}
	return p, j, nil
}

// Job returns one export job the caller may access (ENOTFOUND otherwise).
func (q *Jobs) Job(ctx context.Context, id int64) (keeptrail.ExportJob, error) {
	_, j, err := q.load(ctx, id, "")
	return j, err
}

// List returns the caller's export jobs (an admin's list holds everyone's), newest first.
func (q *Jobs) List(ctx context.Context, limit int) ([]keeptrail.ExportJob, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	if !p.Role.Can(keeptrail.ActExport) {
		return nil, keeptrail.Errorf(keeptrail.EFORBIDDEN, "role %s may not export", p.Role)
	}
	f := keeptrail.ExportJobFilter{Limit: limit}
	if p.Role != keeptrail.RoleAdmin {
		f.Requester = p.Name
	}
	var jobs []keeptrail.ExportJob
	err = q.st.View(ctx, func(tx keeptrail.Tx) error {
		jobs, err = tx.ExportJobs(f)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := jobs[:0]
	for i := range jobs {
		if mayAccess(p, &jobs[i]) {
			out = append(out, jobs[i])
		}
	}
	return out, nil
}

// Cancel cancels a queued or running export of the caller's (ECONFLICT once finished) and
// records export.canceled. A running job stops at its worker's next progress write.
func (q *Jobs) Cancel(ctx context.Context, id int64) (keeptrail.ExportJob, error) {
	p, _, err := q.load(ctx, id, ActionCanceled)
	if err != nil {
		return keeptrail.ExportJob{}, err
	}
	var j keeptrail.ExportJob
	err = q.st.Update(ctx, func(tx keeptrail.Tx) error {
		var err error
		if j, err = tx.CancelExportJob(id); err != nil {
			return err
		}
		return appendAudit(tx, p, ActionCanceled, outcomeSuccess, keeptrail.SeverityLow, nil, id,
			auditDetails{JobID: id, Spec: j.Spec})
	})
	if keeptrail.ErrorCode(err) == keeptrail.ECONFLICT {
		return j, keeptrail.Errorf(keeptrail.ECONFLICT, "export %d has already %s", id, j.Status)
	}
	return j, err
}

// Download is an export file opened for the caller.
type Download struct {
	Job       keeptrail.ExportJob
	File      *os.File
	Name      string
	MediaType string
	Size      int64
}

// Via says how a download was asked for, for its audit entry.
const (
	ViaAPI  = "api"
	ViaLink = "link"
)

// Open opens a succeeded export's file for the caller and records export.downloaded
// (before any byte is sent: an unrecorded download does not happen). A job the caller
// may not access is ENOTFOUND (and recorded as denied); one that has not succeeded is
// ECONFLICT. The file's size must match the job's record. The caller closes File.
func (q *Jobs) Open(ctx context.Context, id int64, via string) (Download, error) {
	p, j, err := q.load(ctx, id, ActionDownloaded)
	if err != nil {
		return Download{}, err
	}
	if j.Status != keeptrail.ExportSucceeded {
		return Download{}, keeptrail.Errorf(keeptrail.ECONFLICT, "export %d is %s; only a succeeded export can be downloaded", id, j.Status)
	}
	f, err := q.opt.Artifacts.Open(j.Artifact)
	if err != nil {
		return Download{}, fmt.Errorf("export: open artifact of job %d: %w", id, err)
	}
	st, err := f.Stat()
	if err != nil || st.Size() != j.Bytes {
		f.Close()
		return Download{}, fmt.Errorf("export: artifact of job %d has %d bytes, the job records %d (%v)", id, st.Size(), j.Bytes, err)
	}
	err = q.st.Update(ctx, func(tx keeptrail.Tx) error {
		return appendAudit(tx, p, ActionDownloaded, outcomeSuccess, keeptrail.SeverityLow, nil, id,
			auditDetails{JobID: id, Spec: j.Spec, SHA256: j.SHA256, Bytes: ptr(j.Bytes), File: j.Artifact, Via: via})
	})
	if err != nil {
		f.Close()
		return Download{}, err
	}
	return Download{Job: j, File: f, Name: j.Artifact, MediaType: MediaType(Type(j.Type), Format(j.Format)), Size: j.Bytes}, nil
}

// Manifest returns the manifest JSON of a succeeded export the caller may access.
func (q *Jobs) Manifest(ctx context.Context, id int64) ([]byte, error) {
	_, j, err := q.load(ctx, id, "")
	if err != nil {
		return nil, err
	}
	if j.Status != keeptrail.ExportSucceeded {
		return nil, keeptrail.Errorf(keeptrail.ECONFLICT, "export %d is %s; a manifest exists once it has succeeded", id, j.Status)
	}
	b, err := q.opt.Artifacts.ReadFile(ManifestName(j.Artifact))
	if err != nil {
		return nil, fmt.Errorf("export: read manifest of job %d: %w", id, err)
	}
	return b, nil
}
