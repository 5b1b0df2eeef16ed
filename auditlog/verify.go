package auditlog

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/keeptrail/keeptrail"
)

// Problem is one thing wrong with the audit log. Seq is the first sequence number it
// concerns (for a missing tail, the first missing entry); What is a complete sentence that
// names it, e.g. "seq 5: content altered (hash mismatch)".
type Problem struct {
	Seq  int64  `json:"seq"`
	What string `json:"what"`
}

// String returns What.
func (p Problem) String() string { return p.What }

// Report is the result of Verify. From and To are the first and last sequence numbers
// stored (both 0 for an empty log), Entries how many entries were read, Checkpoints how
// many signed checkpoints were checked. OK is true only when Problems is empty.
type Report struct {
	OK          bool      `json:"ok"`
	From        int64     `json:"from"`
	To          int64     `json:"to"`
	Entries     int64     `json:"entries"`
	Checkpoints int       `json:"checkpoints"`
	Problems    []Problem `json:"problems"`
}

// Verify reads the whole audit log, its head and its checkpoints in one read transaction
// and reports, in the order found: sequence gaps and disorder, entries whose prev_hash is
// not the hash of the entry before, entries whose content no longer matches their hash,
// checkpoints whose signature does not verify with pub, entries that differ from a signed
// checkpoint, a head row that disagrees with the last entry, and a log that ends before a
// signed checkpoint. An error means the log could not be read, not that it is bad.
func Verify(ctx context.Context, st keeptrail.Store, pub ed25519.PublicKey) (Report, error) {
	var rep Report
	err := st.View(ctx, func(tx keeptrail.Tx) error {
		cps, err := tx.AuditCheckpoints()
		if err != nil {
			return fmt.Errorf("read audit checkpoints: %w", err)
		}
		headSeq, headHash, err := tx.AuditHead()
		if err != nil {
			return fmt.Errorf("read audit head: %w", err)
		}
		v := newVerifier(pub, cps)
		err = tx.AuditEntries(math.MinInt64, 0, func(e keeptrail.AuditEntry) error {
			if v.rep.Entries%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			v.entry(e)
			return nil
		})
		if err != nil {
			return fmt.Errorf("read audit entries: %w", err)
		}
		rep = v.finish(headSeq, headHash)
		return nil
	})
	if err != nil {
		return Report{}, err
	}
	return rep, nil
}

// verifier walks entries in sequence order; it is separate from the store so that the
// rules can be tested on plain slices.
type verifier struct {
	pub   ed25519.PublicKey
	keyID string
	cps   []keeptrail.AuditCheckpoint // by seq, then oldest first
	next  int                         // first checkpoint not yet checked
	rep   Report
	last  int64 // seq of the last entry read, 0 before the first
	hash  string
	// differsSeq is the last seq reported as differing from a checkpoint, so that several
	// checkpoints of one head give one problem.
	differsSeq int64
	// beyond is the highest validly signed checkpoint seq past the end of the log.
	beyond int64
}

func newVerifier(pub ed25519.PublicKey, cps []keeptrail.AuditCheckpoint) *verifier {
	cps = slices.Clone(cps)
	slices.SortStableFunc(cps, func(a, b keeptrail.AuditCheckpoint) int {
		if a.Seq != b.Seq {
			return cmp.Compare(a.Seq, b.Seq)
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return &verifier{pub: pub, keyID: PublicKeyID(pub), cps: cps, rep: Report{Checkpoints: len(cps)},
		differsSeq: -1}
}

func (v *verifier) problem(seq int64, format string, args ...any) {
	v.rep.Problems = append(v.rep.Problems, Problem{Seq: seq, What: fmt.Sprintf(format, args...)})
}

// entry checks one entry against the one before it and against the checkpoints up to its
// sequence number.
func (v *verifier) entry(e keeptrail.AuditEntry) {
	v.rep.Entries++
	if v.rep.Entries == 1 {
		v.rep.From = e.Seq
	}
	if e.Seq < 1 {
		v.problem(e.Seq, "seq %d: not a valid sequence number (the log starts at 1)", e.Seq)
		return
	}
	if e.Seq <= v.last {
		v.problem(e.Seq, "seq %d: out of order (read after seq %d)", e.Seq, v.last)
		return
	}
	expected := v.last + 1
	gap := e.Seq != expected
	if gap {
		v.missing(expected, e.Seq)
	}
	// Checkpoints of sequence numbers that are not in the log (a gap, or seq 0) can only
	// have their signature checked.
	for v.next < len(v.cps) && v.cps[v.next].Seq < e.Seq {
		v.signed(v.cps[v.next])
		v.next++
	}
	if !gap {
		if v.last == 0 && e.PrevHash != keeptrail.AuditGenesisHash {
			v.problem(e.Seq, "seq %d: prev_hash is not the genesis hash", e.Seq)
		} else if v.last > 0 && e.PrevHash != v.hash {
			v.problem(e.Seq, "seq %d: prev_hash does not match hash of seq %d", e.Seq, v.last)
		}
	}
	if e.ComputeHash() != e.Hash {
		v.problem(e.Seq, "seq %d: content altered (hash mismatch)", e.Seq)
	}
	for v.next < len(v.cps) && v.cps[v.next].Seq == e.Seq {
		c := v.cps[v.next]
		v.next++
		if v.signed(c) && c.Hash != e.Hash && v.differsSeq != e.Seq {
			v.differsSeq = e.Seq
			v.problem(e.Seq, "seq %d: differs from signed checkpoint of %s", e.Seq, formatTime(c.At))
		}
	}
	v.last, v.hash = e.Seq, e.Hash
}

// missing reports the entries from..to-1 as missing.
func (v *verifier) missing(from, to int64) {
	what := fmt.Sprintf("seq %d", from)
	if to-1 > from {
		what = fmt.Sprintf("seq %d-%d", from, to-1)
	}
	if v.last == 0 {
		v.problem(from, "%s: missing (log starts at %d)", what, to)
		return
	}
	v.problem(from, "%s: missing (log jumps from %d to %d)", what, v.last, to)
}

// signed checks c's signature, reports it when bad, and reports whether c can be trusted.
func (v *verifier) signed(c keeptrail.AuditCheckpoint) bool {
	err := VerifyCheckpoint(v.pub, c)
	switch {
	case err == nil:
		return true
	case errors.Is(err, ErrUnknownKey):
		v.problem(c.Seq, "checkpoint %d (seq %d): signed by unknown key %s (verifying with key %s)",
			c.ID, c.Seq, c.KeyID, v.keyID)
	default:
		v.problem(c.Seq, "checkpoint %d (seq %d): signature invalid", c.ID, c.Seq)
	}
	return false
}

// finish checks the head row and the checkpoints past the last entry, and returns the
// report.
func (v *verifier) finish(headSeq int64, headHash string) Report {
	v.rep.To = v.last
	switch {
	case headSeq > v.last:
		v.problem(v.last+1, "log truncated: head records seq %d but the log ends at %d", headSeq, v.last)
	case headSeq < v.last:
		v.problem(headSeq+1, "seq %d: beyond the head (head records seq %d)", headSeq+1, headSeq)
	case headSeq > 0 && headHash != v.hash:
		v.problem(headSeq, "seq %d: head hash does not match the entry's hash", headSeq)
	}
	for ; v.next < len(v.cps); v.next++ {
		c := v.cps[v.next]
		if v.signed(c) && c.Seq > v.beyond {
			v.beyond = c.Seq
		}
	}
	if v.beyond > v.last {
		v.problem(v.last+1, "log truncated: signed checkpoint covers seq %d but the log ends at %d", v.beyond, v.last)
	}
	v.rep.OK = len(v.rep.Problems) == 0
	return v.rep
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
