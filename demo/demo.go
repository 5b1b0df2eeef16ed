// Package demo fills a store with a realistic demo organization: teams, users with and
// without MFA, API keys, gateways, policies, configuration versions and deployments,
// alerting rules, spend, a period of decision events with a daily and weekly rhythm,
// heartbeats, escalations and their handling, and an audit log of every category.
//
// It goes through the same code paths as the API: the engine for every management
// operation, under the principal of the person or key that would do it, and the
// Ingester for decision events, heartbeats and the identity provider's audit entries.
// A simulated clock moves through the period, so every row and audit entry carries a
// realistic historical time, in chronological order. The same seed and period give the
// same events, escalations and actions (API key secrets and password salts are random).
// Events are generated and ingested an hour at a time, so memory stays bounded however
// many are asked for.
package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/engine"
	"github.com/keeptrail/keeptrail/ingest"
)

// DefaultEvents is the number of decision events of a default run.
const DefaultEvents = 200000

// Options shape a demo run.
type Options struct {
	// Seed makes the run reproducible.
	Seed int64
	// Events is the number of decision events over the period (default DefaultEvents).
	Events int
	// From and To bound the period of events, [From, To). Default: the 90 days ending at
	// 00:00 UTC today. The organization is set up on the day before From.
	From, To time.Time
	// Progress, when set, is told how far each stage is ("setup", "events", "done").
	Progress func(stage string, done, total int)
	// Clock, when set, is advanced through the period by the run; share it with the store
	// (sqlstore.Options{Now: clock.Now}) so that the store's own stamps are simulated too.
	Clock *Clock
	// PasswordCost is the engine's password hashing cost (zero: the engine's default).
	// Tests lower it.
	PasswordCost engine.PasswordCost
	// Logger receives the engine's warnings (default: discarded).
	Logger *slog.Logger
}

// Summary says what a run created and how to sign in to it.
type Summary struct {
	Teams, Users, Gateways, Policies, ConfigurationVersions, Events, Escalations, AuditEntries int
	// AdminEmail and AdminPassword sign in to the console as the demo administrator. The
	// password is "keeptrail-demo-" followed by the seed.
	AdminEmail, AdminPassword string
	// APIKey is a full token of an admin API key.
	APIKey string
}

// DefaultPeriod is the period of a run without From and To: the 90 days ending at 00:00
// UTC of now's day.
func DefaultPeriod(now time.Time) (from, to time.Time) {
	to = now.UTC().Truncate(24 * time.Hour)
	return to.AddDate(0, 0, -90), to
}

// AdminPassword is the demo administrator's password for a seed.
func AdminPassword(seed int64) string { return fmt.Sprintf("keeptrail-demo-%d", seed) }

// Run creates the demo organization in st, which must hold no users yet.
func Run(ctx context.Context, st keeptrail.Store, opts Options) (Summary, error) {
	if opts.Events <= 0 {
		opts.Events = DefaultEvents
	}
	if opts.To.IsZero() {
		_, opts.To = DefaultPeriod(time.Now())
	}
	if opts.From.IsZero() {
		opts.From = opts.To.AddDate(0, 0, -90)
	}
	opts.From, opts.To = opts.From.UTC().Truncate(time.Hour), opts.To.UTC().Truncate(time.Hour)
	if !opts.From.Before(opts.To) {
		return Summary{}, keeptrail.Errorf(keeptrail.EINVALID, "period: from must be before to")
	}
	if opts.To.Sub(opts.From) < 24*time.Hour {
		return Summary{}, keeptrail.Errorf(keeptrail.EINVALID, "period: must be at least one day")
	}
	if opts.Clock == nil {
		opts.Clock = &Clock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	defer opts.Clock.release()

	var users []keeptrail.User
	err := st.View(ctx, func(tx keeptrail.Tx) error {
		var err error
		users, err = tx.Users(keeptrail.TeamScope{})
		return err
	})
	if err != nil {
		return Summary{}, fmt.Errorf("demo: check the database is empty: %w", err)
	}
	if len(users) > 0 {
		return Summary{}, keeptrail.Errorf(keeptrail.ECONFLICT, "the database already has users: the demo needs an empty one")
	}

	r := newRun(st, opts)
	if err := r.run(ctx); err != nil {
		return Summary{}, err
	}
	return r.summary(ctx)
}

// run is the state of one demo run.
type run struct {
	opts  Options
	st    keeptrail.Store
	clock *Clock
	eng   *engine.Engine
	in    *ingest.Ingester

	// independent random streams, so that changing one part leaves the others alone
	rngOps, rngEvents, rngIdP, rngHealth, rngEsc *rand.Rand

	days  int // days in the period
	setup time.Time

	// principals of the integrations and the administrator's session
	admin, scim, fleet, forwarder, ci *keeptrail.Principal
	tokens                            map[string]string // API key name -> current token
	prefixes                          map[string]string // API key name -> prefix
	adminToken                        string

	// the organization as the demo knows it
	members   []*member
	teamIDs   map[string]int64
	state     map[string]*gatewayState // by gateway name
	policies  []*policyState
	walletIDs []int64
	ruleIDs   []int64
	versions  int // configuration versions created

	timeline  timeline
	hbCursor  time.Time // heartbeats sent up to here
	idpLines  []idpLine // the day's identity provider audit entries not yet sent
	silentDay time.Time

	eventsDone     int
	eventSeq       int
	escalations    int   // opened
	newEscalations int   // opened since they were last scheduled
	escSeen        int64 // highest escalation id scheduled
	escPlanned     int
	escToday       int
}

// gatewayState is what the demo tracks of a gateway.
type gatewayState struct {
	spec     gatewaySpec
	version  int // configuration version it runs
	policies int // active policies assigned
	// incident: unhealthy between these times
	incidentFrom, incidentTo time.Time
}

func newRun(st keeptrail.Store, opts Options) *run {
	s := uint64(opts.Seed)
	sim := simStore{Store: st, clock: opts.Clock}
	r := &run{
		opts:      opts,
		st:        sim,
		clock:     opts.Clock,
		eng:       engine.New(sim, engine.Options{Now: opts.Clock.Now, Logger: opts.Logger, PasswordCost: opts.PasswordCost}),
		in:        ingest.New(sim, ingest.Options{}),
		rngOps:    rand.New(rand.NewPCG(s, 1)),
		rngEvents: rand.New(rand.NewPCG(s, 2)),
		rngIdP:    rand.New(rand.NewPCG(s, 3)),
		rngHealth: rand.New(rand.NewPCG(s, 4)),
		rngEsc:    rand.New(rand.NewPCG(s, 5)),
		days:      int(opts.To.Sub(opts.From) / (24 * time.Hour)),
		setup:     opts.From.Add(-24 * time.Hour).Truncate(24 * time.Hour),
		tokens:    map[string]string{},
		prefixes:  map[string]string{},
		teamIDs:   map[string]int64{},
		state:     map[string]*gatewayState{},
	}
	for _, g := range gateways {
		r.state[g.name] = &gatewayState{spec: g}
	}
	return r
}

// at returns the moment of a day of the period (0 is From's day) at a local (Eastern)
// hour and minute.
func (r *run) at(day int, hour, minute int) time.Time {
	return r.opts.From.Truncate(24*time.Hour).AddDate(0, 0, day).
		Add(time.Duration(hour-utcOffsetHours)*time.Hour + time.Duration(minute)*time.Minute)
}

// dayOf returns the day of the period at fraction f of it.
func (r *run) dayOf(f float64) int {
	d := int(f * float64(r.days))
	return min(max(d, 0), r.days-1)
}

func (r *run) progress(stage string, done, total int) {
	if r.opts.Progress != nil {
		r.opts.Progress(stage, done, total)
	}
}

// as returns a context carrying p.
func as(ctx context.Context, p *keeptrail.Principal) context.Context {
	return keeptrail.NewContextWithPrincipal(ctx, p)
}

// run sets up the organization on the day before the period, then walks the period an
// hour at a time.
func (r *run) run(ctx context.Context) error {
	r.progress("setup", 0, 1)
	r.silentDay = r.at(r.dayOf(0.55), 0, 0).Truncate(24 * time.Hour)
	if err := r.planSetup(); err != nil {
		return err
	}
	r.planPeriod()
	r.progress("setup", 1, 1)
	r.progress("events", 0, r.opts.Events)
	weights := newRhythm(r)
	for h := r.setup; h.Before(r.opts.To); h = h.Add(time.Hour) {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := h.Add(time.Hour)
		if h.Hour() == 0 && !h.Before(r.opts.From) {
			if err := r.startDay(ctx, h); err != nil {
				return err
			}
		}
		if err := r.runActions(ctx, end); err != nil {
			return err
		}
		r.clock.set(end)
		if err := r.flushIdP(ctx, end); err != nil {
			return err
		}
		if !h.Before(r.opts.From) {
			if err := r.ingestEvents(ctx, h, weights.count(h)); err != nil {
				return err
			}
		}
		// The fleet's collector forwards heartbeats every few hours (and before a
		// deployment, see runActions).
		if end.Hour()%heartbeatBatchHours == 0 || !end.Before(r.opts.To) {
			if err := r.flushHeartbeats(ctx, end); err != nil {
				return err
			}
		}
		if err := r.scheduleEscalations(ctx, end); err != nil {
			return err
		}
		if end.Hour()%6 == 0 {
			if _, err := r.eng.ExpireEscalations(as(ctx, keeptrail.SystemPrincipal("expire_escalations"))); err != nil {
				return fmt.Errorf("demo: expire escalations: %w", err)
			}
		}
		r.progress("events", r.eventsDone, r.opts.Events)
	}
	r.progress("done", r.eventsDone, r.opts.Events)
	return nil
}

// runActions carries out, in time order, the planned actions due before end. The
// identity provider's entries and the heartbeats that precede an action are sent first,
// so that the audit log stays in time order and deployments meet heartbeats in order.
func (r *run) runActions(ctx context.Context, end time.Time) error {
	for {
		a, ok := r.timeline.next(end)
		if !ok {
			return nil
		}
		r.clock.set(a.at)
		if err := r.flushIdP(ctx, a.at); err != nil {
			return err
		}
		if a.heartbeats {
			if err := r.flushHeartbeats(ctx, a.at); err != nil {
				return err
			}
		}
		if err := a.do(ctx); err != nil {
			return fmt.Errorf("demo: %s at %s: %w", a.what, a.at.Format(time.RFC3339), err)
		}
	}
}
