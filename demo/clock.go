package demo

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/keeptrail/keeptrail"
)

// Clock is the simulated time of a demo run. While a run advances it through the period,
// every engine operation, ingest request and audit entry of the run is stamped with it.
// Give the same clock to the store (sqlstore.Options{Now: clock.Now}) so that the rows the
// store stamps itself (team and gateway creation, policy updates) carry demo times too.
// Outside a run, it reads the real time.
type Clock struct {
	us atomic.Int64 // microseconds since the epoch; 0: real time
}

// Now returns the simulated time during a run, the real time otherwise.
func (c *Clock) Now() time.Time {
	if c == nil {
		return time.Now()
	}
	if us := c.us.Load(); us != 0 {
		return time.UnixMicro(us).UTC()
	}
	return time.Now()
}

func (c *Clock) set(t time.Time) { c.us.Store(t.UnixMicro()) }

// release hands the clock back to real time.
func (c *Clock) release() { c.us.Store(0) }

// simStore wraps the run's store so that each transaction's clock reading is the
// simulated time, and audit entries written without a time get it. The store's own
// stamps need the store to share the Clock (see Clock).
type simStore struct {
	keeptrail.Store
	clock *Clock
}

func (s simStore) Update(ctx context.Context, fn func(keeptrail.Tx) error) error {
	return s.Store.Update(ctx, func(tx keeptrail.Tx) error {
		return fn(simTx{Tx: tx, now: keeptrail.TruncTime(s.clock.Now())})
	})
}

func (s simStore) View(ctx context.Context, fn func(keeptrail.Tx) error) error {
	return s.Store.View(ctx, func(tx keeptrail.Tx) error {
		return fn(simTx{Tx: tx, now: keeptrail.TruncTime(s.clock.Now())})
	})
}

type simTx struct {
	keeptrail.Tx
	now time.Time
}

func (t simTx) Now() time.Time { return t.now }

func (t simTx) AppendAudit(e *keeptrail.AuditEntry) error {
	if e.Time.IsZero() {
		e.Time = t.now
	}
	return t.Tx.AppendAudit(e)
}
