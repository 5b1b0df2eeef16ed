package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"

	keeptrail "github.com/keeptrail/keeptrail"
)

const auditColumns = "seq, at, actor_kind, actor, action, category, team_id, target, severity, source_ip, outcome, details, prev_hash, hash"

func scanAudit(s scanner) (keeptrail.AuditEntry, error) {
	var e keeptrail.AuditEntry
	var at int64
	var team sql.NullInt64
	var details string
	if err := s.Scan(&e.Seq, &at, &e.ActorKind, &e.Actor, &e.Action, &e.Category, &team, &e.Target, &e.Severity,
		&e.SourceIP, &e.Outcome, &details, &e.PrevHash, &e.Hash); err != nil {
		return e, err
	}
	e.Time = fromMicros(at)
	e.TeamID = intPtr(team)
	e.Details = json.RawMessage(details)
	return e, nil
}

// AppendAudit appends e to the audit log. Under a lock on the log's head (PostgreSQL: the
// head row FOR UPDATE; SQLite: the write transaction) it sets e.Seq to head+1, e.PrevHash
// to the head's hash, e.Time to the transaction's time when zero (else truncated),
// e.Details to compact JSON and e.Hash to e.ComputeHash(), then inserts e and moves the
// head. A rolled-back transaction leaves the head where it was, so no number is skipped.
func (t *tx) AppendAudit(e *keeptrail.AuditEntry) error {
	details, err := keeptrail.CompactDetails(e.Details)
	if err != nil {
		return fmt.Errorf("compact audit details: %w", err)
	}
	var seq int64
	var prev string
	if err := t.queryRow("SELECT seq, hash FROM audit_head WHERE id = 1"+t.db.d.forUpdate).Scan(&seq, &prev); err != nil {
		return fmt.Errorf("lock audit head: %w", err)
	}
	e.Seq = seq + 1
	e.PrevHash = prev
	e.Time = t.orNow(e.Time)
	e.Details = details
	e.Hash = e.ComputeHash()
	if _, err := t.exec("INSERT INTO audit_entries ("+auditColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		e.Seq, micros(e.Time), string(e.ActorKind), e.Actor, e.Action, e.Category, nullInt(e.TeamID), e.Target,
		string(e.Severity), e.SourceIP, e.Outcome, string(details), e.PrevHash, e.Hash); err != nil {
		return writeErr(err, "insert audit entry", "audit entry", e.Seq)
	}
	if _, err := t.exec("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", e.Seq, e.Hash); err != nil {
		return fmt.Errorf("move audit head: %w", err)
	}
	return nil
}

// AuditHead returns the last sequence number and hash ("" and 0 for an empty log).
func (t *tx) AuditHead() (int64, string, error) {
	var seq int64
	var hash string
	if err := t.queryRow("SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&seq, &hash); err != nil {
		return 0, "", fmt.Errorf("select audit head: %w", err)
	}
	if seq == 0 {
		return 0, "", nil
	}
	return seq, hash, nil
}

// auditPage is how many entries AuditEntries reads per query. Entries are handed to fn
// between queries, so fn may use the transaction and memory stays bounded.
const auditPage = 1000

// AuditEntries calls fn for each entry with from <= seq <= to (to 0: to the end) in
// sequence order, as stored; it stops at fn's first error and returns it.
func (t *tx) AuditEntries(from, to int64, fn func(keeptrail.AuditEntry) error) error {
	next := from
	for {
		q := "SELECT " + auditColumns + " FROM audit_entries WHERE seq >= ?"
		args := []any{next}
		if to > 0 {
			q += " AND seq <= ?"
			args = append(args, to)
		}
		q += " ORDER BY seq LIMIT ?"
		args = append(args, auditPage)
		page, err := queryAll(t, "audit entries", scanAudit, q, args...)
		if err != nil {
			return err
		}
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(page) < auditPage {
			return nil
		}
		next = page[len(page)-1].Seq + 1
	}
}

const checkpointColumns = "id, seq, hash, at, key_id, signature"

func scanCheckpoint(s scanner) (keeptrail.AuditCheckpoint, error) {
	var c keeptrail.AuditCheckpoint
	var at int64
	if err := s.Scan(&c.ID, &c.Seq, &c.Hash, &at, &c.KeyID, &c.Signature); err != nil {
		return c, err
	}
	c.At = fromMicros(at)
	return c, nil
}

// CreateAuditCheckpoint inserts c and sets its ID; At defaults to the transaction's time.
func (t *tx) CreateAuditCheckpoint(c *keeptrail.AuditCheckpoint) error {
	c.At = t.orNow(c.At)
	err := t.queryRow("INSERT INTO audit_checkpoints (seq, hash, at, key_id, signature) VALUES (?, ?, ?, ?, ?) RETURNING id",
		c.Seq, c.Hash, micros(c.At), c.KeyID, secretBytes(c.Signature)).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("insert audit checkpoint: %w", err)
	}
	return nil
}

// AuditCheckpoints lists checkpoints, oldest first.
func (t *tx) AuditCheckpoints() ([]keeptrail.AuditCheckpoint, error) {
	return queryAll(t, "audit checkpoints", scanCheckpoint, "SELECT "+checkpointColumns+" FROM audit_checkpoints ORDER BY id")
}
