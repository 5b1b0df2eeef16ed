package export

import (
	"context"
	"time"

	"github.com/keeptrail/keeptrail"
)

// batchRows is how many rows travel together from the reader to the encoder, and
// batchCount how many batches exist: the reader fills one while the encoder empties
// another, so reading the database and encoding run on two cores at once, and memory
// stays bounded whatever the row count.
const (
	batchRows  = 1024
	batchCount = 4
)

// snapshot is what an export learns in its read transaction before the first row.
type snapshot struct {
	population int64
	schema     string
	at         time.Time
	names      *idNames
	org        string
}

// pipeline reads rows in one snapshot (st.View) on its own goroutine and hands them in
// batches to consume on the calling goroutine. prepare runs first in the transaction; its
// snapshot goes to begin (on the calling goroutine) before any row. read calls emit once
// per row with a value it may reuse; emit copies it. The first error of any step stops
// both sides and is returned.
func pipeline[R any](ctx context.Context, st keeptrail.Store,
	prepare func(tx keeptrail.Tx) (snapshot, error),
	read func(tx keeptrail.Tx, emit func(*R) error) error,
	begin func(snapshot) error,
	consume func(*R) error,
) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	started := make(chan snapshot, 1)
	full := make(chan []R, batchCount)
	free := make(chan []R, batchCount)
	for range batchCount {
		free <- make([]R, 0, batchRows)
	}
	done := make(chan error, 1)
	go func() {
		defer close(full)
		done <- st.View(ctx, func(tx keeptrail.Tx) error {
			snap, err := prepare(tx)
			if err != nil {
				return err
			}
			started <- snap
			cur := <-free
			send := func() error {
				select {
				case full <- cur:
				case <-ctx.Done():
					return ctx.Err()
				}
				select {
				case cur = <-free:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			err = read(tx, func(r *R) error {
				cur = append(cur, *r)
				if len(cur) == batchRows {
					return send()
				}
				return nil
			})
			if err == nil && len(cur) > 0 {
				select {
				case full <- cur:
				case <-ctx.Done():
					err = ctx.Err()
				}
			}
			return err
		})
	}()

	// stop ends the reader after a failure here and waits for it.
	stop := func(err error) error {
		cancel()
		for range full {
		}
		<-done
		return err
	}
	var snap snapshot
	select {
	case snap = <-started:
	case err := <-done:
		return err // failed before the first row
	}
	if err := begin(snap); err != nil {
		return stop(err)
	}
	for b := range full {
		if err := ctx.Err(); err != nil {
			return stop(err)
		}
		for i := range b {
			if err := consume(&b[i]); err != nil {
				return stop(err)
			}
		}
		clear(b)
		free <- b[:0]
	}
	return <-done
}
