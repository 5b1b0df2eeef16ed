package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	keeptrail "github.com/keeptrail/keeptrail"
)

// PutComplianceSnapshot stores s unless its day and team already have a snapshot.
func (t *tx) PutComplianceSnapshot(s *keeptrail.ComplianceSnapshot) (bool, error) {
	s.Day = keeptrail.TruncTime(s.Day)
	s.CreatedAt = t.now
	body, err := compactJSON(s.Body, "{}")
	if err != nil {
		return false, fmt.Errorf("compliance snapshot body: %w", err)
	}
	res, err := t.exec(`INSERT INTO compliance_snapshots (day, team_id, score, body, created_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (day, team_id) DO NOTHING`, micros(s.Day), s.TeamID, s.Score, body, micros(s.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("insert compliance snapshot: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("insert compliance snapshot: rows affected: %w", err)
	}
	return n == 1, nil
}

// ComplianceSnapshots lists the snapshots of days in [from, to) of the teams (0: the
// organization), by day then team.
func (t *tx) ComplianceSnapshots(from, to time.Time, teamIDs []int64) ([]keeptrail.ComplianceSnapshot, error) {
	if len(teamIDs) == 0 {
		return nil, nil
	}
	args := []any{micros(from), micros(to)}
	for _, id := range teamIDs {
		args = append(args, id)
	}
	q := "SELECT day, team_id, score, body, created_at FROM compliance_snapshots WHERE day >= ? AND day < ? AND team_id IN (" +
		strings.TrimSuffix(strings.Repeat("?, ", len(teamIDs)), ", ") + ") ORDER BY day, team_id"
	return queryAll(t, "compliance snapshots", func(s scanner) (keeptrail.ComplianceSnapshot, error) {
		var c keeptrail.ComplianceSnapshot
		var day, created int64
		var body string
		err := s.Scan(&day, &c.TeamID, &c.Score, &body, &created)
		c.Day, c.CreatedAt, c.Body = fromMicros(day), fromMicros(created), []byte(body)
		return c, err
	}, q, args...)
}

// LatestComplianceSnapshotDay returns the latest day with an organization snapshot.
func (t *tx) LatestComplianceSnapshotDay() (time.Time, bool, error) {
	var day sql.NullInt64
	if err := t.queryRow("SELECT MAX(day) FROM compliance_snapshots WHERE team_id = 0").Scan(&day); err != nil {
		return time.Time{}, false, fmt.Errorf("read latest compliance snapshot: %w", err)
	}
	if !day.Valid {
		return time.Time{}, false, nil
	}
	return fromMicros(day.Int64), true, nil
}

// AuditVerification returns how far the audit log's chain has been verified.
func (t *tx) AuditVerification() (keeptrail.AuditVerification, error) {
	var v keeptrail.AuditVerification
	var checked int64
	err := t.queryRow("SELECT seq, hash, first_bad_seq, checked_at FROM compliance_audit_verification WHERE id = 1").
		Scan(&v.Seq, &v.Hash, &v.FirstBadSeq, &checked)
	if errors.Is(err, sql.ErrNoRows) {
		return keeptrail.AuditVerification{}, nil
	}
	if err != nil {
		return v, fmt.Errorf("read audit verification: %w", err)
	}
	v.CheckedAt = fromMicros(checked)
	return v, nil
}

// PutAuditVerification replaces the record of how far the chain has been verified.
func (t *tx) PutAuditVerification(v keeptrail.AuditVerification) error {
	_, err := t.exec(`INSERT INTO compliance_audit_verification (id, seq, hash, first_bad_seq, checked_at) VALUES (1, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, first_bad_seq = excluded.first_bad_seq,
checked_at = excluded.checked_at`, v.Seq, v.Hash, v.FirstBadSeq, micros(t.orNow(v.CheckedAt)))
	if err != nil {
		return fmt.Errorf("write audit verification: %w", err)
	}
	return nil
}
