package export

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keeptrail/keeptrail"
)

// defaultOwner names this process in leases.
func defaultOwner() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:])
}

// Run runs workers export workers until ctx ends. It first removes temporary files that
// no live worker can still be writing (jobs whose lease expired, and files idle for
// longer than a lease).
func (q *Jobs) Run(ctx context.Context, workers int) {
	q.sweep(ctx)
	var wg sync.WaitGroup
	for range max(1, workers) {
		wg.Go(func() {
			for ctx.Err() == nil {
				ran, err := q.RunOne(ctx)
				if err != nil && ctx.Err() == nil {
					q.log.Error("export worker", "err", err)
				}
				if ran {
					continue
				}
				select {
				case <-ctx.Done():
				case <-q.wake:
				case <-time.After(q.opt.Poll):
				}
			}
		})
	}
	wg.Wait()
}

// sweep removes the temporary files of jobs whose worker died, and any temporary file
// idle for longer than two leases.
func (q *Jobs) sweep(ctx context.Context) {
	var running []keeptrail.ExportJob
	err := q.st.View(ctx, func(tx keeptrail.Tx) error {
		var err error
		running, err = tx.ExportJobs(keeptrail.ExportJobFilter{Statuses: []keeptrail.ExportJobStatus{keeptrail.ExportRunning}})
		return err
	})
	if err != nil {
		q.log.Error("export: list running jobs for the sweep", "err", err)
		return
	}
	now := time.Now()
	removed := 0
	for _, j := range running {
		if j.LeaseExpiresAt != nil && j.LeaseExpiresAt.Before(now) {
			n, _ := q.opt.Artifacts.RemoveTemp(FileName(j.ID, Type(j.Type), Format(j.Format)))
			removed += n
		}
	}
	n, err := q.opt.Artifacts.Sweep(2 * q.opt.Lease)
	if err != nil {
		q.log.Error("export: sweep temporary files", "err", err)
	}
	if removed+n > 0 {
		q.log.Info("export: removed temporary files of unfinished exports", "count", removed+n)
	}
}

// RunOne claims one job and runs it to its end; it reports whether there was one.
func (q *Jobs) RunOne(ctx context.Context) (bool, error) {
	var job keeptrail.ExportJob
	err := q.st.Update(ctx, func(tx keeptrail.Tx) error {
		var err error
		job, err = tx.ClaimExportJob(q.opt.Owner, tx.Now().Add(q.opt.Lease))
		return err
	})
	if keeptrail.ErrorCode(err) == keeptrail.ENOTFOUND {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	q.log.Info("export started", "job", job.ID, "type", job.Type, "format", job.Format, "attempt", job.Attempts)
	return true, q.run(ctx, job)
}

// run produces the job's file while a heartbeat records progress and keeps the lease,
// then records the outcome and sends the notice.
func (q *Jobs) run(ctx context.Context, job keeptrail.ExportJob) error {
	var s Spec
	if err := json.Unmarshal(job.Spec, &s); err != nil {
		return q.finish(ctx, job, s, nil, fmt.Errorf("export: stored spec of job %d: %w", job.ID, err))
	}
	if job.Attempts > q.opt.MaxAttempts {
		return q.finish(ctx, job, s, nil, keeptrail.Errorf(keeptrail.EINTERNAL,
			"gave up after %d attempts", q.opt.MaxAttempts))
	}
	name := FileName(job.ID, Type(job.Type), Format(job.Format))
	if _, err := q.opt.Artifacts.RemoveTemp(name); err != nil { // an earlier attempt's, whose lease expired
		q.log.Warn("export: remove temporary files of an earlier attempt", "job", job.ID, "err", err)
	}
	jobCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var rows, bytes atomic.Int64
	beat := make(chan struct{})
	go func() {
		defer close(beat)
		q.heartbeat(jobCtx, job.ID, &rows, &bytes, cancel)
	}()
	m, err := q.x.Produce(jobCtx, s, job.Principal(), q.opt.Artifacts, name, job.ID, func(r, b int64) {
		rows.Store(r)
		bytes.Store(b)
	})
	cause := context.Cause(jobCtx)
	cancel(nil)
	<-beat
	switch {
	case errors.Is(cause, errCanceled), errors.Is(cause, errLeaseLost):
		// Canceled by a user (already recorded) or taken over by another worker.
		if err == nil {
			q.opt.Artifacts.Remove(name)
			q.opt.Artifacts.Remove(ManifestName(name))
		}
		q.log.Info("export stopped", "job", job.ID, "reason", cause.Error())
		return nil
	case ctx.Err() != nil:
		// Shutting down: end the lease now, so that the next worker (here after a restart,
		// or another replica) claims the job at once instead of waiting for it to expire.
		err := q.st.Update(context.WithoutCancel(ctx), func(tx keeptrail.Tx) error {
			_, err := tx.UpdateExportJobProgress(job.ID, q.opt.Owner, rows.Load(), bytes.Load(), tx.Now())
			return err
		})
		if err != nil {
			q.log.Warn("export: lease not released at shutdown", "job", job.ID, "err", err)
		}
		return nil
	}
	return q.finish(ctx, job, s, &m, err)
}

var (
	errCanceled  = errors.New("export canceled")
	errLeaseLost = errors.New("export lease lost to another worker")
)

// progressInterval is the longest time between progress writes of a running job.
const progressInterval = time.Second

// heartbeat writes progress and extends the lease every second (or third of a lease,
// if that is shorter) until ctx ends; it cancels the job when it was canceled or its lease
// was lost.
func (q *Jobs) heartbeat(ctx context.Context, id int64, rows, bytes *atomic.Int64, cancel context.CancelCauseFunc) {
	t := time.NewTicker(min(progressInterval, q.opt.Lease/3))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var status keeptrail.ExportJobStatus
		err := q.st.Update(ctx, func(tx keeptrail.Tx) error {
			var err error
			status, err = tx.UpdateExportJobProgress(id, q.opt.Owner, rows.Load(), bytes.Load(), tx.Now().Add(q.opt.Lease))
			return err
		})
		switch {
		case keeptrail.ErrorCode(err) == keeptrail.ECONFLICT:
			cancel(errLeaseLost)
			return
		case err != nil:
			if ctx.Err() == nil {
				q.log.Warn("export: progress not written", "job", id, "err", err)
			}
		case status != keeptrail.ExportRunning:
			cancel(errCanceled)
			return
		}
	}
}

// finish records the job's outcome with its audit entry, then notifies.
func (q *Jobs) finish(ctx context.Context, job keeptrail.ExportJob, s Spec, m *Manifest, runErr error) error {
	p := job.Principal()
	done := job
	action, outcome, sev := ActionCompleted, outcomeSuccess, keeptrail.SeverityLow
	d := auditDetails{JobID: job.ID, Spec: job.Spec}
	if runErr == nil {
		done.Status = keeptrail.ExportSucceeded
		done.Population, done.Rows, done.Bytes, done.SHA256, done.Artifact = m.Population, m.RowsWritten, m.File.Bytes, m.File.SHA256, m.File.Name
		d.Population, d.Rows, d.Bytes, d.SHA256, d.File = ptr(m.Population), ptr(m.RowsWritten), ptr(m.File.Bytes), m.File.SHA256, m.File.Name
	} else {
		done.Status = keeptrail.ExportFailed
		done.Error = keeptrail.ErrorMessage(runErr)
		action, outcome, sev, d.Reason = ActionFailed, outcomeFailure, keeptrail.SeverityMedium, done.Error
		var den *denial
		if errors.As(runErr, &den) {
			outcome = outcomeDenied
		}
		q.log.Error("export failed", "job", job.ID, "err", runErr)
	}
	err := q.st.Update(context.WithoutCancel(ctx), func(tx keeptrail.Tx) error {
		if err := tx.FinishExportJob(&done, q.opt.Owner); err != nil {
			return err
		}
		return appendAudit(tx, p, action, outcome, sev, nil, job.ID, d)
	})
	if keeptrail.ErrorCode(err) == keeptrail.ECONFLICT {
		// Canceled or taken over while finishing: the file is not this job's result.
		if runErr == nil {
			q.opt.Artifacts.Remove(done.Artifact)
			q.opt.Artifacts.Remove(ManifestName(done.Artifact))
		}
		q.log.Info("export finished after it was canceled or taken over", "job", job.ID, "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("export: record outcome of job %d: %w", job.ID, err)
	}
	q.log.Info("export finished", "job", job.ID, "status", done.Status, "rows", done.Rows, "bytes", done.Bytes)
	if s.NotifyOnComplete != "" {
		status, lastErr := q.notify(context.WithoutCancel(ctx), done, s)
		err := q.st.Update(context.WithoutCancel(ctx), func(tx keeptrail.Tx) error {
			return tx.SetExportJobNotification(job.ID, status, lastErr)
		})
		if err != nil {
			q.log.Error("export: record notification", "job", job.ID, "err", err)
		}
	}
	return nil
}
