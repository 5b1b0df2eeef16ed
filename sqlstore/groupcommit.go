package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	keeptrail "github.com/keeptrail/keeptrail"
)

// SQLite allows one writer at a time, and every commit writes to the WAL each page the
// transaction dirtied and then fsyncs. Ingest batches with random request ids dirty one
// page of the request_id index per event, so many small commits write the same pages
// over and over. The committer below lets concurrent Update calls share one transaction
// (group commit): the calls that queued while the previous transaction was committing run
// one after another in the next one, each inside its own SAVEPOINT, and one COMMIT makes
// them all durable. For each caller the meaning of Update is unchanged: its function's
// writes are atomic (an error or panic rolls back to its savepoint, leaving the others'
// writes alone), they are durable when Update returns nil, and a function that never
// started because its caller's context ended is never run later. Calls that may run
// again (keeptrail.WithRerunnableUpdate), and a call alone, skip the savepoints: when one
// of them fails, the transaction is rolled back and the others run again (see run).

// maxGroup bounds how many Update calls share one transaction, and maxExtend how long a
// transaction of rerunnable calls keeps taking in calls that queued after it began.
const (
	maxGroup  = 64
	maxExtend = 500 * time.Millisecond
)

// errCommitterClosed is returned by Update after Close.
var errCommitterClosed = errors.New("sqlstore: database is closed")

// Call states.
const (
	callQueued int32 = iota
	callRunning
	callAbandoned
)

// writeCall is one Update waiting for, or running in, a group transaction.
type writeCall struct {
	ctx   context.Context
	fn    func(keeptrail.Tx) error
	state atomic.Int32
	done  chan struct{}

	err      error
	panicked bool
	panicVal any
}

// committer runs the group transactions of one SQLite database.
type committer struct {
	db    *DB
	calls chan *writeCall
	stop  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
	// held is a call taken from the queue to extend a transaction that could not join it
	// (it is not rerunnable); it opens the next group. Only the loop touches it.
	held *writeCall
}

func newCommitter(db *DB) *committer {
	c := &committer{db: db, calls: make(chan *writeCall, maxGroup), stop: make(chan struct{})}
	c.wg.Go(c.loop)
	return c
}

// close stops the committer after the group in progress; queued calls are refused.
func (c *committer) close() {
	c.once.Do(func() { close(c.stop) })
	c.wg.Wait()
	for {
		select {
		case w := <-c.calls:
			w.finish(errCommitterClosed)
		default:
			return
		}
	}
}

// update queues fn and waits for its outcome.
func (c *committer) update(ctx context.Context, fn func(keeptrail.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w := &writeCall{ctx: ctx, fn: fn, done: make(chan struct{})}
	select {
	case c.calls <- w:
	case <-c.stop:
		return errCommitterClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-w.done:
	case <-ctx.Done():
		// Still queued: withdraw, and the committer will skip it. Already running: its
		// outcome decides, so wait for it.
		if w.state.CompareAndSwap(callQueued, callAbandoned) {
			return ctx.Err()
		}
		<-w.done
	case <-c.stop:
		if w.state.CompareAndSwap(callQueued, callAbandoned) {
			return errCommitterClosed
		}
		<-w.done
	}
	if w.panicked {
		panic(w.panicVal)
	}
	return w.err
}

func (w *writeCall) finish(err error) {
	w.err = err
	close(w.done)
}

func (c *committer) loop() {
	for {
		first := c.held
		c.held = nil
		if first == nil {
			select {
			case first = <-c.calls:
			case <-c.stop:
				return
			}
		}
		group := []*writeCall{first}
	gather:
		for len(group) < maxGroup {
			select {
			case w := <-c.calls:
				group = append(group, w)
			default:
				break gather
			}
		}
		c.run(group)
	}
}

// run executes one group transaction and delivers every call's outcome.
func (c *committer) run(group []*writeCall) {
	live := group[:0]
	for _, w := range group {
		if w.state.CompareAndSwap(callQueued, callRunning) {
			live = append(live, w)
		}
	}
	if len(live) == 0 {
		return
	}
	// A savepoint costs a copy of every page the call changes (SQLite journals each page
	// before its first change inside a savepoint). A call alone needs none: rolling the
	// transaction back undoes exactly its writes. Calls that may run again need none
	// either: when one fails, the others run again without it.
	if len(live) == 1 || allRerunnable(live) {
		if live = c.runShared(live); len(live) == 0 {
			return
		}
	}
	c.runSavepoints(live)
}

func allRerunnable(ws []*writeCall) bool {
	for _, w := range ws {
		if !keeptrail.RerunnableUpdate(w.ctx) {
			return false
		}
	}
	return true
}

// runShared runs the calls in one transaction without savepoints. Calls that queue while
// it runs join it as long as they are rerunnable and the transaction is young (maxExtend)
// and small (maxGroup): under steady concurrent ingest that makes one commit serve every
// waiting request instead of alternating large and small groups. If a call fails, it
// rolls the transaction back, delivers that call's outcome, and returns the other calls,
// to run again (see WithRerunnableUpdate); otherwise it returns none.
func (c *committer) runShared(live []*writeCall) (again []*writeCall) {
	db := c.db
	ctx := context.Background()
	conn, sqlTx, err := c.begin(ctx)
	if err != nil {
		deliverAll(live, err)
		return nil
	}
	defer conn.Close()
	began := time.Now()
	extend := keeptrail.RerunnableUpdate(live[0].ctx)
	for i := 0; i < len(live); i++ {
		w := live[i]
		t := &tx{ctx: context.WithoutCancel(w.ctx), db: db, conn: conn, tx: sqlTx, now: keeptrail.TruncTime(db.now())}
		ferr, panicked, pval := callUpdate(w.fn, t)
		if ferr != nil || panicked {
			sqlTx.Rollback()
			w.err, w.panicked, w.panicVal = ferr, panicked, pval
			close(w.done)
			again = append(again, live[:i]...)
			return append(again, live[i+1:]...)
		}
		if i == len(live)-1 && extend && len(live) < maxGroup && time.Since(began) < maxExtend {
			live = c.takeRerunnable(live)
		}
	}
	if err := sqlTx.Commit(); err != nil {
		deliverAll(live, fmt.Errorf("commit transaction: %w", err))
		return nil
	}
	deliverAll(live, nil)
	return nil
}

// takeRerunnable appends to live the rerunnable calls waiting in the queue, up to
// maxGroup. A call that is not rerunnable is held for the next group, and ends the taking.
func (c *committer) takeRerunnable(live []*writeCall) []*writeCall {
	for len(live) < maxGroup && c.held == nil {
		select {
		case w := <-c.calls:
			if !keeptrail.RerunnableUpdate(w.ctx) {
				c.held = w
				return live
			}
			if w.state.CompareAndSwap(callQueued, callRunning) {
				live = append(live, w)
			}
		default:
			return live
		}
	}
	return live
}

// begin takes the write connection and opens a transaction on it.
func (c *committer) begin(ctx context.Context) (*sql.Conn, *sql.Tx, error) {
	conn, err := c.db.write.Conn(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("get database connection: %w", err)
	}
	sqlTx, err := conn.BeginTx(ctx, c.db.d.updateOpts)
	if err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("begin transaction: %w", err)
	}
	return conn, sqlTx, nil
}

func deliverAll(ws []*writeCall, err error) {
	for _, w := range ws {
		w.finish(err)
	}
}

// runSavepoints runs the calls in one transaction, each inside its own savepoint, so
// that a failed call's writes are undone without touching the others'.
func (c *committer) runSavepoints(live []*writeCall) {
	db := c.db
	ctx := context.Background()
	conn, sqlTx, err := c.begin(ctx)
	if err != nil {
		deliverAll(live, err)
		return
	}
	defer conn.Close()
	var ok []*writeCall // calls whose writes wait for the commit
	for i, w := range live {
		if _, err := sqlTx.ExecContext(ctx, "SAVEPOINT keeptrail_update"); err != nil {
			sqlTx.Rollback()
			deliverAll(ok, fmt.Errorf("group transaction aborted: %w", err))
			deliverAll(live[i:], fmt.Errorf("savepoint: %w", err))
			return
		}
		// Once started, a call runs to completion: an interrupted statement inside an
		// explicit transaction can roll back the whole transaction, and with it the
		// other callers' writes.
		t := &tx{ctx: context.WithoutCancel(w.ctx), db: db, conn: conn, tx: sqlTx, now: keeptrail.TruncTime(db.now())}
		ferr, panicked, pval := callUpdate(w.fn, t)
		if ferr == nil && !panicked {
			if _, err := sqlTx.ExecContext(ctx, "RELEASE keeptrail_update"); err != nil {
				sqlTx.Rollback()
				deliverAll(ok, fmt.Errorf("group transaction aborted: %w", err))
				deliverAll(live[i:], fmt.Errorf("release savepoint: %w", err))
				return
			}
			ok = append(ok, w)
			continue
		}
		// Undo this call's writes only. If SQLite already rolled the whole transaction
		// back (disk full, I/O error), the savepoint is gone and so are the others' writes.
		_, rerr := sqlTx.ExecContext(ctx, "ROLLBACK TO keeptrail_update")
		if rerr == nil {
			_, rerr = sqlTx.ExecContext(ctx, "RELEASE keeptrail_update")
		}
		w.err, w.panicked, w.panicVal = ferr, panicked, pval
		close(w.done)
		if rerr != nil {
			sqlTx.Rollback()
			deliverAll(ok, fmt.Errorf("group transaction aborted by a failed write: %w", errors.Join(ferr, rerr)))
			deliverAll(live[i+1:], fmt.Errorf("group transaction aborted by a failed write: %w", errors.Join(ferr, rerr)))
			return
		}
	}
	if len(ok) == 0 {
		sqlTx.Rollback()
		return
	}
	if err := sqlTx.Commit(); err != nil {
		deliverAll(ok, fmt.Errorf("commit transaction: %w", err))
		return
	}
	deliverAll(ok, nil)
}

// callUpdate runs fn, turning a panic into a value to re-raise in the caller's goroutine.
func callUpdate(fn func(keeptrail.Tx) error, t *tx) (err error, panicked bool, val any) {
	defer func() {
		if r := recover(); r != nil {
			panicked, val = true, r
		}
	}()
	return fn(t), false, nil
}
