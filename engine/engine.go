// Package engine carries out the management operations of Keeptrail: identity (users, API
// keys, login, API-key authentication), organization settings and teams, policies,
// configuration versions and deployments, alerting rules, escalation actions and spend.
//
// Every operation takes the caller's principal from the context, checks its role and team
// scope, validates its input, and writes its change together with its audit entry in one
// store transaction, so that an action whose audit entry cannot be written fails (fail
// closed). A denied attempt is itself recorded in the audit log.
package engine

import (
	"context"
	"log/slog"
	"time"

	"github.com/keeptrail/keeptrail"
)

// Options configure an Engine.
type Options struct {
	// Now is the clock for every time the engine stamps (deployments, escalation actions,
	// key rotation, ...). Default time.Now. The store stamps audit entries with its own
	// clock (sqlstore.Options.Now); give both the same clock in tests.
	Now func() time.Time
	// Logger receives problems that cannot be returned to the caller, such as a denied
	// attempt whose audit entry could not be written. Default slog.Default().
	Logger *slog.Logger
	// PasswordCost sets the argon2id parameters for new password hashes. The zero value
	// means DefaultPasswordCost; tests use a cheap cost. Existing hashes keep the
	// parameters they were made with.
	PasswordCost PasswordCost
}

// Engine performs the management operations on a store. It is safe for concurrent use.
type Engine struct {
	st   keeptrail.Store
	now  func() time.Time
	log  *slog.Logger
	cost PasswordCost
	// dummyHash is verified against when a login names no usable account, so that the
	// answer takes as long as for a real one.
	dummyHash string
}

// New returns an engine that works on st.
func New(st keeptrail.Store, opts Options) *Engine {
	e := &Engine{st: st, now: opts.Now, log: opts.Logger, cost: opts.PasswordCost}
	if e.now == nil {
		e.now = time.Now
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.cost == (PasswordCost{}) {
		e.cost = DefaultPasswordCost
	}
	h, err := hashPassword("keeptrail-timing-equalizer", e.cost)
	if err != nil {
		// Only a failing random source gets here; logins then fail closed in verify.
		e.log.Error("engine: make timing hash", "err", err)
	}
	e.dummyHash = h
	return e
}

// clock returns the engine's current time in UTC at storage precision.
func (e *Engine) clock() time.Time { return keeptrail.TruncTime(e.now()) }

// principal returns the caller in ctx, or EUNAUTHORIZED.
func principal(ctx context.Context) (*keeptrail.Principal, error) {
	p := keeptrail.PrincipalFromContext(ctx)
	if p == nil {
		return nil, keeptrail.Errorf(keeptrail.EUNAUTHORIZED, "authentication required")
	}
	return p, nil
}
