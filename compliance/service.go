package compliance

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keeptrail/keeptrail"
)

// DefaultWindow is the period a score covers when none is given: the 30 days before it.
const DefaultWindow = 30 * 24 * time.Hour

// MaxPeriod bounds the period of a status or score request.
const MaxPeriod = 10 * 366 * 24 * time.Hour

// Options configure a Service.
type Options struct {
	// Weights of the score; DefaultWeights when zero.
	Weights Weights
	// Window is the period a score covers, ending at its time, and the default period of a
	// status; DefaultWindow when zero.
	Window time.Duration
	// ReleaseGrace is how long after its release a configuration version counts as the
	// latest for the gateways that have not got it; DefaultReleaseGrace when zero, none
	// when negative.
	ReleaseGrace time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives the snapshot job's messages; discarded when nil.
	Logger *slog.Logger
	// PublicKey verifies the audit log's signed checkpoints in the daily full
	// verification; without it the snapshot job checks only the hash chain.
	PublicKey ed25519.PublicKey
	// Counter reads the period aggregates; Rollups{} when nil.
	Counter Counter
}

// Service computes policy compliance status and compliance scores from a store, and keeps
// the daily score history. It is safe for concurrent use.
type Service struct {
	st      keeptrail.Store
	weights Weights
	window  time.Duration
	now     func() time.Time
	log     *slog.Logger
	pub     ed25519.PublicKey
	counter Counter

	releaseGrace time.Duration

	rollupsReady atomic.Bool
	rollupsMu    sync.Mutex
	chainMu      sync.Mutex
	settleMu     sync.Mutex
	settled      time.Time // escalations due before it are settled (as far as this service knows)
}

// New returns a service over st. It returns EINVALID when the weights are invalid.
func New(st keeptrail.Store, opts Options) (*Service, error) {
	s := &Service{st: st, weights: opts.Weights, window: opts.Window, now: opts.Now, log: opts.Logger,
		pub: opts.PublicKey, counter: opts.Counter}
	if s.weights == (Weights{}) {
		s.weights = DefaultWeights()
	}
	if err := s.weights.Validate("weights."); err != nil {
		return nil, err
	}
	if s.window <= 0 {
		s.window = DefaultWindow
	}
	switch {
	case opts.ReleaseGrace == 0:
		s.releaseGrace = DefaultReleaseGrace
	case opts.ReleaseGrace > 0:
		s.releaseGrace = opts.ReleaseGrace
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.counter == nil {
		s.counter = Rollups{}
	}
	return s, nil
}

// Weights returns the weights the service scores with.
func (s *Service) Weights() Weights { return s.weights }

// Window returns the period a score covers.
func (s *Service) Window() time.Duration { return s.window }

func (s *Service) clock() time.Time { return keeptrail.TruncTime(s.now()) }

// authorize returns the caller when it may read compliance figures; otherwise it records
// the denied attempt and returns EFORBIDDEN (EUNAUTHORIZED without a principal).
func (s *Service) authorize(ctx context.Context, action string) (*keeptrail.Principal, error) {
	p := keeptrail.PrincipalFromContext(ctx)
	if p == nil {
		return nil, keeptrail.Errorf(keeptrail.EUNAUTHORIZED, "authentication required")
	}
	if !p.Role.Can(keeptrail.ActRead) {
		return nil, s.deny(ctx, p, action, &denial{reason: fmt.Sprintf("role %s may not read compliance figures", p.Role)})
	}
	return p, nil
}

// deny records a denied attempt in the audit log and returns EFORBIDDEN. If the entry
// cannot be written the attempt still fails, and the loss is logged.
func (s *Service) deny(ctx context.Context, p *keeptrail.Principal, action string, d *denial) error {
	details, _ := json.Marshal(map[string]string{"reason": d.reason, "role": string(p.Role)})
	entry := keeptrail.AuditEntry{ActorKind: p.Kind, Actor: p.Name, Action: action, Category: keeptrail.CategoryAuthorization,
		Severity: keeptrail.SeverityMedium, SourceIP: p.SourceIP, Outcome: "denied", Details: details}
	if err := s.st.Update(context.WithoutCancel(ctx), func(tx keeptrail.Tx) error { return tx.AppendAudit(&entry) }); err != nil {
		s.log.Error("compliance: audit entry of a denied attempt was not written", "action", action, "actor", p.Name, "err", err)
	}
	return keeptrail.Errorf(keeptrail.EFORBIDDEN, "%s", d.reason)
}

// view runs fn in a read transaction; a denial from it is recorded and becomes EFORBIDDEN.
func (s *Service) view(ctx context.Context, p *keeptrail.Principal, action string, fn func(tx keeptrail.Tx) error) error {
	err := s.st.View(ctx, fn)
	var d *denial
	if errors.As(err, &d) {
		return s.deny(ctx, p, action, d)
	}
	return err
}

// ensureRollups builds the rollups once from rows stored before they existed.
func (s *Service) ensureRollups(ctx context.Context) error {
	if s.rollupsReady.Load() {
		return nil
	}
	s.rollupsMu.Lock()
	defer s.rollupsMu.Unlock()
	if s.rollupsReady.Load() {
		return nil
	}
	var pending bool
	err := s.st.View(ctx, func(tx keeptrail.Tx) error {
		var err error
		pending, err = tx.ComplianceRollupsPending()
		return err
	})
	if err != nil {
		return fmt.Errorf("compliance: read rollup state: %w", err)
	}
	if pending {
		start := time.Now()
		err := s.st.Update(ctx, func(tx keeptrail.Tx) error {
			if still, err := tx.ComplianceRollupsPending(); err != nil || !still {
				return err
			}
			return tx.RebuildComplianceRollups()
		})
		if err != nil {
			return fmt.Errorf("compliance: build rollups from stored rows: %w", err)
		}
		s.log.Info("compliance rollups built from the rows stored before them", "took", time.Since(start).String())
	}
	s.rollupsReady.Store(true)
	return nil
}

// settleLag is how long after a UTC midnight the escalations due before it are settled:
// a margin for clocks that differ between replicas.
const settleLag = time.Hour

// settleEscalations rolls up the escalations due before the last UTC midnight (an hour
// ago or more), once a day: whether they met their SLA can no longer change.
func (s *Service) settleEscalations(ctx context.Context, now time.Time) error {
	target := floorDay(now.Add(-settleLag))
	s.settleMu.Lock()
	defer s.settleMu.Unlock()
	if !s.settled.Before(target) {
		return nil
	}
	var settled time.Time
	err := s.st.View(ctx, func(tx keeptrail.Tx) error {
		var err error
		settled, err = tx.ComplianceEscalationsSettled()
		return err
	})
	if err != nil {
		return fmt.Errorf("compliance: read escalation settlement: %w", err)
	}
	if settled.Before(target) {
		if err := s.st.Update(ctx, func(tx keeptrail.Tx) error { return tx.SettleComplianceEscalations(target) }); err != nil {
			return fmt.Errorf("compliance: settle escalations: %w", err)
		}
	}
	s.settled = target
	return nil
}

// period resolves a requested period: to defaults to now, from to the window before to.
func (s *Service) period(from, to time.Time, now time.Time) (Period, error) {
	if to.IsZero() {
		to = now
	}
	if from.IsZero() {
		from = to.Add(-s.window)
	}
	p := Period{From: keeptrail.TruncTime(from), To: keeptrail.TruncTime(to)}
	var v keeptrail.Validation
	switch {
	case !p.From.Before(p.To):
		v.Add("from", "must be before to (%s)", p.To.Format(time.RFC3339Nano))
	case p.To.Sub(p.From) > MaxPeriod:
		v.Add("to", "the period may span at most %d days", int(MaxPeriod/(24*time.Hour)))
	}
	return p, v.Err()
}
