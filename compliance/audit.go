package compliance

import (
	"context"
	"fmt"
	"math"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/auditlog"
)

// chainState is whether the audit log's hash chain is intact, and where it first breaks.
type chainState struct {
	intact   bool
	firstBad int64
}

// auditChain reports whether the audit log's hash chain is intact. It does not re-read the
// whole log each time: the store records how far the chain has been verified (sequence
// number and hash), and only that entry (which must still have the recorded hash and match
// it) and the entries written since are checked. The snapshot job
// runs the full verification (auditlog.Verify, signed checkpoints included) once a day
// and records its result, so an edit of an entry verified earlier is found within a day,
// and at once by keeptrail verify.
func (s *Service) auditChain(ctx context.Context) (chainState, error) {
	s.chainMu.Lock()
	defer s.chainMu.Unlock()
	var v keeptrail.AuditVerification
	var checked bool
	err := s.st.View(ctx, func(tx keeptrail.Tx) error {
		var err error
		if v, err = tx.AuditVerification(); err != nil {
			return err
		}
		if v.FirstBadSeq > 0 {
			return nil
		}
		headSeq, headHash, err := tx.AuditHead()
		if err != nil {
			return fmt.Errorf("read audit head: %w", err)
		}
		next, err := verifyChainFrom(tx, v, headSeq, headHash)
		if err != nil {
			return err
		}
		checked = next.Seq != v.Seq || next.Hash != v.Hash || next.FirstBadSeq != v.FirstBadSeq
		v = next
		return nil
	})
	if err != nil {
		return chainState{}, fmt.Errorf("compliance: verify the audit log chain: %w", err)
	}
	if checked {
		if err := s.st.Update(ctx, func(tx keeptrail.Tx) error { return tx.PutAuditVerification(v) }); err != nil {
			return chainState{}, fmt.Errorf("compliance: record the audit log verification: %w", err)
		}
	}
	return chainState{intact: v.FirstBadSeq == 0, firstBad: v.FirstBadSeq}, nil
}

// verifyChainFrom checks the entries after v.Seq up to the head: each follows the one
// before without a gap, links to its hash and matches its own hash; the last one is the
// head. It returns the new verification record.
func verifyChainFrom(tx keeptrail.Tx, v keeptrail.AuditVerification, headSeq int64, headHash string) (keeptrail.AuditVerification, error) {
	bad := func(seq int64) keeptrail.AuditVerification {
		return keeptrail.AuditVerification{Seq: v.Seq, Hash: v.Hash, FirstBadSeq: max(seq, 1)}
	}
	prev, seq := keeptrail.AuditGenesisHash, v.Seq
	if v.Seq > 0 {
		found := false
		err := tx.AuditEntries(v.Seq, v.Seq, func(e keeptrail.AuditEntry) error {
			found = e.Hash == v.Hash && e.ComputeHash() == e.Hash
			return nil
		})
		if err != nil {
			return v, fmt.Errorf("read audit entry %d: %w", v.Seq, err)
		}
		if !found {
			return bad(v.Seq), nil
		}
		prev = v.Hash
	}
	firstBad := int64(0)
	err := tx.AuditEntries(v.Seq+1, 0, func(e keeptrail.AuditEntry) error {
		if firstBad > 0 {
			return nil
		}
		switch {
		case e.Seq != seq+1:
			firstBad = seq + 1
		case e.PrevHash != prev, e.ComputeHash() != e.Hash:
			firstBad = e.Seq
		}
		seq, prev = e.Seq, e.Hash
		return nil
	})
	if err != nil {
		return v, fmt.Errorf("read audit entries after %d: %w", v.Seq, err)
	}
	if firstBad > 0 {
		return bad(firstBad), nil
	}
	if seq == 0 && headSeq == 0 {
		return keeptrail.AuditVerification{}, nil // an empty log
	}
	if seq != headSeq || prev != headHash {
		return bad(min(seq, headSeq) + 1), nil
	}
	return keeptrail.AuditVerification{Seq: seq, Hash: prev}, nil
}

// VerifyAuditLog runs the full verification of the audit log (auditlog.Verify, with the
// signed checkpoints when the service has the public key) and records its result for the
// score: the first bad sequence number, or, when the log verifies, its head, which also
// clears a break recorded earlier (after the log was restored). Without a public key it
// only re-checks the hash chain from the start.
func (s *Service) VerifyAuditLog(ctx context.Context) (intact bool, err error) {
	s.chainMu.Lock()
	defer s.chainMu.Unlock()
	var v keeptrail.AuditVerification
	if s.pub != nil {
		rep, err := auditlog.Verify(ctx, s.st, s.pub)
		if err != nil {
			return false, fmt.Errorf("compliance: verify the audit log: %w", err)
		}
		if !rep.OK {
			first := int64(math.MaxInt64)
			for _, p := range rep.Problems {
				first = min(first, max(p.Seq, 1))
			}
			v = keeptrail.AuditVerification{FirstBadSeq: first}
		} else if rep.To > 0 {
			err := s.st.View(ctx, func(tx keeptrail.Tx) error {
				return tx.AuditEntries(rep.To, rep.To, func(e keeptrail.AuditEntry) error {
					v = keeptrail.AuditVerification{Seq: e.Seq, Hash: e.Hash}
					return nil
				})
			})
			if err != nil {
				return false, fmt.Errorf("compliance: read the audit log head: %w", err)
			}
		}
	} else {
		err := s.st.View(ctx, func(tx keeptrail.Tx) error {
			headSeq, headHash, err := tx.AuditHead()
			if err != nil {
				return err
			}
			v, err = verifyChainFrom(tx, keeptrail.AuditVerification{}, headSeq, headHash)
			return err
		})
		if err != nil {
			return false, fmt.Errorf("compliance: verify the audit log chain: %w", err)
		}
	}
	if err := s.st.Update(ctx, func(tx keeptrail.Tx) error { return tx.PutAuditVerification(v) }); err != nil {
		return false, fmt.Errorf("compliance: record the audit log verification: %w", err)
	}
	return v.FirstBadSeq == 0, nil
}
