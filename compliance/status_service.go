package compliance

import (
	"context"
	"fmt"
	"time"

	"github.com/keeptrail/keeptrail"
)

// StatusRequest asks for the policy compliance status of a period and scope. A zero To
// is now, a zero From the score window before To. Teams and Gateways narrow the scope
// (by name); none means every team the caller may see, and every gateway.
type StatusRequest struct {
	From, To time.Time
	Teams    []string
	Gateways []string
}

// Status computes the policy compliance status. It needs the read permission; a team
// outside the caller's teams is EFORBIDDEN, an unknown team or gateway EINVALID naming
// "team" or "gateway", a bad period EINVALID naming "from" or "to".
func (s *Service) Status(ctx context.Context, req StatusRequest) (Status, error) {
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
	if err := s.ensureRollups(ctx); err != nil {
		return Status{}, err
	}
	var out Status
	err = s.view(ctx, p, action, func(tx keeptrail.Tx) error {
		st, err := readState(tx)
		if err != nil {
			return err
		}
		sc, err := resolveScope(st, p, req.Teams, req.Gateways)
		if err != nil {
			return err
		}
		out, err = s.status(ctx, tx, st, sc, period, now)
		return err
	})
	if err != nil {
		return Status{}, err
	}
	return out, nil
}

// status computes the status of a resolved scope inside a read transaction.
func (s *Service) status(ctx context.Context, tx keeptrail.Tx, st *orgState, sc scope, period Period, now time.Time) (Status, error) {
	asOf := minTime(period.To, now)
	first, err := s.counter.FirstActivity(ctx, tx, period.To)
	if err != nil {
		return Status{}, fmt.Errorf("compliance: read first gateway activity: %w", err)
	}
	f := sc.filter(period)
	events, err := s.counter.EventCounts(ctx, tx, f)
	if err != nil {
		return Status{}, fmt.Errorf("compliance: count decision events: %w", err)
	}
	rules, err := s.counter.RuleCounts(ctx, tx, f)
	if err != nil {
		return Status{}, fmt.Errorf("compliance: count matched rules: %w", err)
	}
	return buildStatus(statusInput{
		period: period, asOf: asOf, scope: sc, state: st,
		config:   configurationAt(st.deployments, st.validated, asOf, s.releaseGrace),
		events:   events,
		rules:    rules,
		gateways: st.activeGateways(sc, first, asOf),
	}), nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
