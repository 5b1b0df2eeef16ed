package export

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/keeptrail/keeptrail"
)

// Reading SQLite through the pure-Go driver costs more CPU than encoding the rows, so a
// large events export reads on two connections at once: the period is cut into time
// slices of about sliceRows rows, read alternately by the two connections (which share
// one snapshot, keeptrail.ParallelViewer) and written in order. Memory stays bounded: each
// reader runs at most one slice ahead of the writer.
const (
	sliceReaders = 2
	maxSlices    = 4096
)

// sliceRows is the rows per slice aimed at (a variable so that tests can cut small
// populations into several slices).
var sliceRows int64 = 16 << 10

// sliceBounds cuts [start, end) into k slices of equal length (the last takes the rest).
func sliceBounds(start, end time.Time, k int) []time.Time {
	step := end.Sub(start) / time.Duration(k)
	step = step.Truncate(time.Microsecond)
	out := make([]time.Time, k+1)
	for i := range k {
		out[i] = start.Add(step * time.Duration(i))
	}
	out[k] = end
	return out
}

// slicesFor is how many slices a population is read in.
func slicesFor(population int64) int {
	k := (population + sliceRows - 1) / sliceRows
	return int(max(1, min(k, maxSlices)))
}

// pipelineSliced is pipeline reading slice i of the snapshot's rows with
// read(txs[i%2], i, emit). Rows of slice i precede those of slice i+1 in the output.
func pipelineSliced[R any](ctx context.Context, pv keeptrail.ParallelViewer,
	prepare func(tx keeptrail.Tx) (snapshot, int, error),
	read func(tx keeptrail.Tx, slice int, emit func(*R) error) error,
	begin func(snapshot) error,
	consume func(*R) error,
) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type batch = []R
	perReader := int(sliceRows/batchRows) + 2
	started := make(chan struct {
		snap   snapshot
		slices int
	}, 1)
	chans := make([]chan batch, sliceReaders)
	for i := range chans {
		chans[i] = make(chan batch, perReader)
	}
	free := make(chan batch, sliceReaders*perReader+sliceReaders)
	done := make(chan error, 1)
	go func() {
		done <- pv.ViewParallel(ctx, sliceReaders, func(txs []keeptrail.Tx) error {
			snap, k, err := prepare(txs[0])
			if err != nil {
				return err
			}
			started <- struct {
				snap   snapshot
				slices int
			}{snap, k}
			var wg sync.WaitGroup
			errs := make([]error, len(txs))
			for j := range txs {
				wg.Go(func() {
					defer close(chans[j])
					errs[j] = readSlices(ctx, txs[j], j, len(txs), k, chans[j], free, read)
					if errs[j] != nil {
						cancel()
					}
				})
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil && ctx.Err() == nil {
					return err
				}
			}
			for _, err := range errs {
				if err != nil {
					return err
				}
			}
			return nil
		})
	}()
	// drain waits for the readers to end and for the snapshot to close.
	drain := func() error {
		for _, c := range chans {
			for range c {
			}
		}
		return <-done
	}
	// stop ends the readers after a failure here.
	stop := func(err error) error {
		cancel()
		drain()
		return err
	}
	var k int
	select {
	case s := <-started:
		if err := begin(s.snap); err != nil {
			return stop(err)
		}
		k = s.slices
	case err := <-done:
		return err
	}
	for i := range k {
		c := chans[i%sliceReaders]
		for {
			b, ok := <-c
			if !ok {
				// A reader ended early: its error (or the other's) comes from the snapshot.
				cancel()
				if err := drain(); err != nil {
					return err
				}
				return errors.New("export: a reader ended before its slice")
			}
			if b == nil {
				break // end of slice i
			}
			if err := ctx.Err(); err != nil {
				return stop(err)
			}
			for r := range b {
				if err := consume(&b[r]); err != nil {
					return stop(err)
				}
			}
			clear(b)
			select {
			case free <- b[:0]:
			default:
			}
		}
	}
	return drain()
}

// readSlices reads slices j, j+n, j+2n ... of k into out, each followed by a nil batch.
func readSlices[R any](ctx context.Context, tx keeptrail.Tx, j, n, k int, out chan<- []R, free chan []R,
	read func(tx keeptrail.Tx, slice int, emit func(*R) error) error) error {
	get := func() []R {
		select {
		case b := <-free:
			return b
		default:
			return make([]R, 0, batchRows)
		}
	}
	send := func(b []R) error {
		select {
		case out <- b:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for i := j; i < k; i += n {
		cur := get()
		err := read(tx, i, func(r *R) error {
			cur = append(cur, *r)
			if len(cur) == batchRows {
				if err := send(cur); err != nil {
					return err
				}
				cur = get()
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(cur) > 0 {
			if err := send(cur); err != nil {
				return err
			}
		}
		if err := send(nil); err != nil {
			return err
		}
	}
	return nil
}
