package compliance

import (
	"context"
	"errors"
	"fmt"

	"github.com/keeptrail/keeptrail"
)

// Prepare does, ahead of a caller's read transaction, the writes that Status and Score
// do before they read: it builds the rollups from rows stored before them (once),
// settles the escalations due before the last UTC midnight, and checks the audit log's
// chain up to its head and records how far it got. After it, StatusIn and ScoreIn read
// only the caller's transaction, so their figures and the caller's other reads come from
// one snapshot (a compliance package's evidence files, say).
func (s *Service) Prepare(ctx context.Context) error {
	if err := s.ensureRollups(ctx); err != nil {
		return err
	}
	if err := s.settleEscalations(ctx, s.clock()); err != nil {
		return err
	}
	_, err := s.auditChain(ctx)
	return err
}

// StatusIn is Status read inside tx, a read transaction the caller holds; call Prepare
// before opening it. It writes nothing but the audit entry of a denied attempt.
func (s *Service) StatusIn(ctx context.Context, tx keeptrail.Tx, req StatusRequest) (Status, error) {
	const action = "compliance.status_read"
	p, err := s.authorize(ctx, action)
	if err != nil {
		return Status{}, err
	}
	now := s.clock()
	period, err := s.period(req.From, req.To, now)
	if err != nil {
		return Status{}, err
	}
	out, err := func() (Status, error) {
		st, err := readState(tx)
		if err != nil {
			return Status{}, err
		}
		sc, err := resolveScope(st, p, req.Teams, req.Gateways)
		if err != nil {
			return Status{}, err
		}
		return s.status(ctx, tx, st, sc, period, now)
	}()
	return out, s.denied(ctx, p, action, err)
}

// ScoreIn is Score read inside tx, a read transaction the caller holds; call Prepare
// before opening it. The audit log's chain is checked from the last recorded
// verification to the head that tx sees, without recording the result.
func (s *Service) ScoreIn(ctx context.Context, tx keeptrail.Tx, req ScoreRequest) (Score, error) {
	const action = "compliance.score_read"
	p, err := s.authorize(ctx, action)
	if err != nil {
		return Score{}, err
	}
	now := s.clock()
	period, err := s.scorePeriod(req, now)
	if err != nil {
		return Score{}, err
	}
	out, err := func() (Score, error) {
		chain, err := chainIn(tx)
		if err != nil {
			return Score{}, err
		}
		st, err := readState(tx)
		if err != nil {
			return Score{}, err
		}
		sc, err := resolveScope(st, p, req.Teams, nil)
		if err != nil {
			return Score{}, err
		}
		return s.score(ctx, tx, st, sc, period, now, chain)
	}()
	return out, s.denied(ctx, p, action, err)
}

// denied records a denial among err and returns EFORBIDDEN for it; other errors pass.
func (s *Service) denied(ctx context.Context, p *keeptrail.Principal, action string, err error) error {
	var d *denial
	if errors.As(err, &d) {
		return s.deny(ctx, p, action, d)
	}
	return err
}

// chainIn is the audit chain's state as tx sees it: the recorded verification, extended
// to tx's head.
func chainIn(tx keeptrail.Tx) (chainState, error) {
	v, err := tx.AuditVerification()
	if err != nil {
		return chainState{}, fmt.Errorf("compliance: read the audit log verification: %w", err)
	}
	if v.FirstBadSeq == 0 {
		headSeq, headHash, err := tx.AuditHead()
		if err != nil {
			return chainState{}, fmt.Errorf("compliance: read audit head: %w", err)
		}
		if v, err = verifyChainFrom(tx, v, headSeq, headHash); err != nil {
			return chainState{}, fmt.Errorf("compliance: verify the audit log chain: %w", err)
		}
	}
	return chainState{intact: v.FirstBadSeq == 0, firstBad: v.FirstBadSeq}, nil
}
