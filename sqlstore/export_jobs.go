package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	keeptrail "github.com/keeptrail/keeptrail"
)

// exportQueueLockKey is the first key of the PostgreSQL advisory lock taken per requester
// around the concurrency count (the second is a hash of the requester).
const exportQueueLockKey = 72_657_461

const exportJobColumns = `id, spec, type, format, requester, requester_kind, requester_user_id, requester_key_id, role,
team_ids, source_ip, status, population, rows_written, bytes, sha256, error, artifact, created_at, started_at,
finished_at, lease_owner, lease_expires_at, attempts, notify_status, notify_error`

func scanExportJob(s scanner) (keeptrail.ExportJob, error) {
	var j keeptrail.ExportJob
	var spec string
	var userID, keyID, started, finished, lease sql.NullInt64
	var teams sql.NullString
	var created int64
	if err := s.Scan(&j.ID, &spec, &j.Type, &j.Format, &j.Requester, &j.RequesterKind, &userID, &keyID, &j.Role,
		&teams, &j.SourceIP, &j.Status, &j.Population, &j.Rows, &j.Bytes, &j.SHA256, &j.Error, &j.Artifact, &created,
		&started, &finished, &j.LeaseOwner, &lease, &j.Attempts, &j.NotifyStatus, &j.NotifyError); err != nil {
		return j, err
	}
	j.Spec = json.RawMessage(spec)
	j.RequesterUserID, j.RequesterKeyID = userID.Int64, keyID.Int64
	j.CreatedAt = fromMicros(created)
	j.StartedAt, j.FinishedAt, j.LeaseExpiresAt = timePtr(started), timePtr(finished), timePtr(lease)
	if teams.Valid {
		ids, err := parseInt64s(teams.String)
		if err != nil {
			return j, fmt.Errorf("export job %d team ids: %w", j.ID, err)
		}
		j.TeamIDs = ids
	} else {
		j.AllTeams = true
	}
	return j, nil
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// CreateExportJob inserts j as queued, setting ID, Status and CreatedAt (the
// transaction's time when zero).
func (t *tx) CreateExportJob(j *keeptrail.ExportJob) error {
	spec, err := compactJSON(j.Spec, "")
	if err != nil || spec == "" {
		return fmt.Errorf("insert export job: spec is not JSON")
	}
	j.Spec = json.RawMessage(spec)
	j.Status = keeptrail.ExportQueued
	j.CreatedAt = t.orNow(j.CreatedAt)
	teams := sql.NullString{}
	if !j.AllTeams {
		teams = sql.NullString{String: int64sJSON(j.TeamIDs), Valid: true}
	}
	err = t.queryRow(`INSERT INTO export_jobs (spec, type, format, requester, requester_kind, requester_user_id,
requester_key_id, role, team_ids, source_ip, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		spec, j.Type, j.Format, j.Requester, string(j.RequesterKind), nullID(j.RequesterUserID), nullID(j.RequesterKeyID),
		string(j.Role), teams, j.SourceIP, string(j.Status), micros(j.CreatedAt)).Scan(&j.ID)
	if err != nil {
		return fmt.Errorf("insert export job: %w", err)
	}
	return nil
}

// ExportJobByID returns one job; ENOTFOUND if there is none.
func (t *tx) ExportJobByID(id int64) (keeptrail.ExportJob, error) {
	j, err := scanExportJob(t.queryRow("SELECT "+exportJobColumns+" FROM export_jobs WHERE id = ?", id))
	if err != nil {
		return j, rowErr(err, "select export job", "export job", id)
	}
	return j, nil
}

// ExportJobs lists jobs, newest first.
func (t *tx) ExportJobs(f keeptrail.ExportJobFilter) ([]keeptrail.ExportJob, error) {
	w := &exportWhere{}
	if f.Requester != "" {
		w.add("requester = ?", f.Requester)
	}
	in(w, "status", strList(f.Statuses))
	q := "SELECT " + exportJobColumns + " FROM export_jobs" + string(w.sql()) + " ORDER BY created_at DESC, id DESC"
	if f.Limit > 0 {
		q += " LIMIT ?"
		w.args = append(w.args, f.Limit)
	}
	return queryAll(t, "export jobs", scanExportJob, q, w.args...)
}

// CountActiveExportJobs counts the queued and running jobs of a requester, under a
// per-requester transaction lock on PostgreSQL.
func (t *tx) CountActiveExportJobs(requester string) (int, error) {
	if t.db.d.name == "postgres" {
		if _, err := t.exec("SELECT pg_advisory_xact_lock(?, hashtext(?))", int32(exportQueueLockKey), requester); err != nil {
			return 0, fmt.Errorf("lock export queue: %w", err)
		}
	}
	var n int
	err := t.queryRow("SELECT count(*) FROM export_jobs WHERE requester = ? AND status IN (?, ?)",
		requester, string(keeptrail.ExportQueued), string(keeptrail.ExportRunning)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count active export jobs: %w", err)
	}
	return n, nil
}

// ClaimExportJob takes the oldest queued job, or one running under an expired lease.
func (t *tx) ClaimExportJob(owner string, leaseUntil time.Time) (keeptrail.ExportJob, error) {
	skipLocked := ""
	if t.db.d.name == "postgres" {
		skipLocked = " FOR UPDATE SKIP LOCKED"
	}
	now := micros(t.now)
	q := `UPDATE export_jobs SET status = ?, lease_owner = ?, lease_expires_at = ?, attempts = attempts + 1,
started_at = COALESCE(started_at, ?)
WHERE id = (SELECT id FROM export_jobs WHERE status = ? OR (status = ? AND lease_expires_at < ?)
ORDER BY created_at, id LIMIT 1` + skipLocked + `) RETURNING ` + exportJobColumns
	j, err := scanExportJob(t.queryRow(q, string(keeptrail.ExportRunning), owner, micros(leaseUntil), now,
		string(keeptrail.ExportQueued), string(keeptrail.ExportRunning), now))
	if err != nil {
		return j, rowErr(err, "claim export job", "queued export job", "")
	}
	return j, nil
}

// UpdateExportJobProgress records progress and extends the lease of a job running under
// owner, and returns the job's status.
func (t *tx) UpdateExportJobProgress(id int64, owner string, rows, bytes int64, leaseUntil time.Time) (keeptrail.ExportJobStatus, error) {
	res, err := t.exec(`UPDATE export_jobs SET rows_written = ?, bytes = ?, lease_expires_at = ?
WHERE id = ? AND status = ? AND lease_owner = ?`, rows, bytes, micros(leaseUntil), id, string(keeptrail.ExportRunning), owner)
	if err != nil {
		return "", fmt.Errorf("update export job progress: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return "", fmt.Errorf("update export job progress: %w", err)
	} else if n == 1 {
		return keeptrail.ExportRunning, nil
	}
	return t.leaseLost(id, owner)
}

// leaseLost explains why a conditional write to a running job changed nothing: the job
// finished (its status is returned) or another worker holds it (ECONFLICT).
func (t *tx) leaseLost(id int64, owner string) (keeptrail.ExportJobStatus, error) {
	var status, holder string
	err := t.queryRow("SELECT status, lease_owner FROM export_jobs WHERE id = ?", id).Scan(&status, &holder)
	if err != nil {
		return "", rowErr(err, "select export job", "export job", id)
	}
	if status == string(keeptrail.ExportRunning) && holder != owner {
		return keeptrail.ExportJobStatus(status), keeptrail.Errorf(keeptrail.ECONFLICT,
			"export job %d is running under another worker", id)
	}
	return keeptrail.ExportJobStatus(status), nil
}

// FinishExportJob writes j's outcome if it is still running under owner.
func (t *tx) FinishExportJob(j *keeptrail.ExportJob, owner string) error {
	if !j.Status.Final() {
		return fmt.Errorf("finish export job %d: status %q is not final", j.ID, j.Status)
	}
	finished := t.now
	if j.FinishedAt != nil {
		finished = keeptrail.TruncTime(*j.FinishedAt)
	}
	j.FinishedAt = &finished
	res, err := t.exec(`UPDATE export_jobs SET status = ?, population = ?, rows_written = ?, bytes = ?, sha256 = ?, error = ?,
artifact = ?, finished_at = ?, lease_expires_at = NULL WHERE id = ? AND status = ? AND lease_owner = ?`,
		string(j.Status), j.Population, j.Rows, j.Bytes, j.SHA256, j.Error, j.Artifact, micros(finished), j.ID,
		string(keeptrail.ExportRunning), owner)
	if err != nil {
		return fmt.Errorf("finish export job: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("finish export job: %w", err)
	} else if n == 1 {
		return nil
	}
	status, err := t.leaseLost(j.ID, owner)
	if err != nil {
		return err
	}
	return keeptrail.Errorf(keeptrail.ECONFLICT, "export job %d is %s, no longer running under this worker", j.ID, status)
}

// CancelExportJob marks a queued or running job canceled.
func (t *tx) CancelExportJob(id int64) (keeptrail.ExportJob, error) {
	res, err := t.exec("UPDATE export_jobs SET status = ?, finished_at = ?, lease_expires_at = NULL WHERE id = ? AND status IN (?, ?)",
		string(keeptrail.ExportCanceled), micros(t.now), id, string(keeptrail.ExportQueued), string(keeptrail.ExportRunning))
	if err != nil {
		return keeptrail.ExportJob{}, fmt.Errorf("cancel export job: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return keeptrail.ExportJob{}, fmt.Errorf("cancel export job: %w", err)
	}
	j, err := t.ExportJobByID(id)
	if err != nil {
		return j, err
	}
	if n == 0 {
		return j, keeptrail.Errorf(keeptrail.ECONFLICT, "export job %d has already %s", id, j.Status)
	}
	return j, nil
}

// SetExportJobNotification records how the completion notice went.
func (t *tx) SetExportJobNotification(id int64, status, lastError string) error {
	res, err := t.exec("UPDATE export_jobs SET notify_status = ?, notify_error = ? WHERE id = ?", status, lastError, id)
	if err != nil {
		return fmt.Errorf("record export notification: %w", err)
	}
	return mustAffect(res, "record export notification", "export job", id)
}

// SchemaVersion returns the name of the latest applied migration.
func (t *tx) SchemaVersion() (string, error) {
	var name string
	if err := t.queryRow("SELECT name FROM schema_migrations ORDER BY version DESC LIMIT 1").Scan(&name); err != nil {
		return "", fmt.Errorf("select schema version: %w", err)
	}
	return name, nil
}
