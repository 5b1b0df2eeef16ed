package compliance

import (
	"context"
	"fmt"
	"time"

	"github.com/keeptrail/keeptrail"
)

// ScoreRequest asks for the compliance score at a time (zero: now) over the period that
// ends then: from From, or the service's window before At when From is zero. Teams
// narrows the scope (by name); none means every team the caller may see.
type ScoreRequest struct {
	At    time.Time
	From  time.Time
	Teams []string
}

// Score computes the compliance score. It needs the read permission; a team outside the
// caller's teams is EFORBIDDEN, an unknown team EINVALID naming "team", a time in the
// future EINVALID naming "at".
func (s *Service) Score(ctx context.Context, req ScoreRequest) (Score, error) {
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
	if err := s.ensureRollups(ctx); err != nil {
		return Score{}, err
	}
	if err := s.settleEscalations(ctx, now); err != nil {
		return Score{}, err
	}
	chain, err := s.auditChain(ctx)
	if err != nil {
		return Score{}, err
	}
	var out Score
	err = s.view(ctx, p, action, func(tx keeptrail.Tx) error {
		st, err := readState(tx)
		if err != nil {
			return err
		}
		sc, err := resolveScope(st, p, req.Teams, nil)
		if err != nil {
			return err
		}
		out, err = s.score(ctx, tx, st, sc, period, now, chain)
		return err
	})
	if err != nil {
		return Score{}, err
	}
	return out, nil
}

// scorePeriod is the period a score request covers; a time in the future is EINVALID
// naming "at".
func (s *Service) scorePeriod(req ScoreRequest, now time.Time) (Period, error) {
	if req.At.After(now) {
		var v keeptrail.Validation
		v.Add("at", "%s is in the future", req.At.UTC().Format(time.RFC3339))
		return Period{}, v.Err()
	}
	return s.period(req.From, req.At, now)
}

// score computes the score of a resolved scope inside a read transaction.
func (s *Service) score(ctx context.Context, tx keeptrail.Tx, st *orgState, sc scope, period Period, now time.Time, chain chainState) (Score, error) {
	at := minTime(period.To, now)
	first, err := s.counter.FirstActivity(ctx, tx, period.To)
	if err != nil {
		return Score{}, fmt.Errorf("compliance: read first gateway activity: %w", err)
	}
	gws := st.activeGateways(sc, first, at)
	perGateway, _ := coverage(gws, st.policies)
	config := configurationAt(st.deployments, st.validated, at, s.releaseGrace)
	f := scoreFacts{tallies: tallies{gateways: int64(len(gws)), intact: chain.intact}, firstBadSeq: chain.firstBad}
	ids := make([]int64, 0, len(gws))
	for _, g := range gws {
		ids = append(ids, g.ID)
		if perGateway[g.ID] > 0 {
			f.covered++
		} else {
			f.uncovered = append(f.uncovered, g.Name)
		}
		if c := config.of(g.ID); c.Current() {
			f.current++
		} else {
			f.behind = append(f.behind, behindGateway{name: g.Name, latest: c.Latest})
		}
	}

	esc, err := s.counter.EscalationCounts(ctx, tx, keeptrail.ComplianceFilter{From: period.From, To: at, Scope: sc.teams})
	if err != nil {
		return Score{}, fmt.Errorf("compliance: count escalations due: %w", err)
	}
	f.due, f.met = esc.Due, esc.Met

	settings, err := tx.Settings()
	if err != nil {
		return Score{}, fmt.Errorf("compliance: read settings: %w", err)
	}
	f.sso = settings.SSOConfigured
	f.rotationDays = settings.KeyRotationDays
	users, err := tx.Users(sc.teams)
	if err != nil {
		return Score{}, fmt.Errorf("compliance: read users: %w", err)
	}
	f.users, f.mfa, f.withoutMFA = mfaFacts(users, at)
	keys, err := tx.APIKeys()
	if err != nil {
		return Score{}, fmt.Errorf("compliance: read API keys: %w", err)
	}
	f.keys, f.rotated, f.staleKeys = keyFacts(keys, sc.teams, settings.KeyRotationDays, at)

	start, end := floorHour(period.From), minTime(ceilHour(period.To), floorHour(now))
	var counts []keeptrail.GatewayHourCount
	if start.Before(end) {
		counts, err = s.counter.GatewayHours(ctx, tx, keeptrail.ComplianceFilter{From: start, To: end, GatewayIDs: ids})
		if err != nil {
			return Score{}, fmt.Errorf("compliance: read gateway activity: %w", err)
		}
	}
	rep := completeness(gws, first, counts, start, end)
	f.hours, f.complete = rep.hours, rep.complete
	for _, g := range gws {
		if n := rep.soleMissing[g.ID]; n > 0 {
			f.soleMissing = append(f.soleMissing, missingGateway{name: g.Name, hours: n})
		}
	}

	score, components, improvements := buildScore(f, s.weights)
	return Score{Period: period, At: at, Teams: sc.teamNames(st), Score: score, Components: components,
		Improvements: improvements}, nil
}
