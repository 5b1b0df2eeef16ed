package sqlstore

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	keeptrail "github.com/keeptrail/keeptrail"
)

// TestRerunnableGroupRunsTheOthersAgain queues three rerunnable calls into one group
// behind a blocked call; the middle one fails. The group is rolled back, the failing call
// gets its error and ran once, the first call runs again, and the writes of the first and
// last remain, in both modes of grouping: all rerunnable (no savepoints, then the rest
// again), and one call that is not rerunnable (savepoints for all, each call once).
func TestRerunnableGroupRunsTheOthersAgain(t *testing.T) {
	for _, tc := range []struct {
		name           string
		lastRerunnable bool
		wantFirstRuns  int32
		wantLastRuns   int32
	}{
		{"all rerunnable", true, 2, 1},
		{"one not rerunnable", false, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := Open(context.Background(), filepath.Join(t.TempDir(), "k.db"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ctx := context.Background()
			release := make(chan struct{})
			blocked := make(chan error, 1)
			go func() {
				blocked <- db.Update(ctx, func(tx keeptrail.Tx) error {
					<-release
					_, _, err := tx.EnsureTeam("blocker")
					return err
				})
			}()
			// Wait until the blocker runs, so that the next calls queue behind it.
			for db.committer == nil || len(db.committer.calls) != 0 {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond)

			errBoom := errors.New("boom")
			var runs [3]atomic.Int32
			var results [3]error
			var wg sync.WaitGroup
			for i, name := range []string{"first", "failing", "last"} {
				c := keeptrail.WithRerunnableUpdate(ctx)
				if i == 2 && !tc.lastRerunnable {
					c = ctx
				}
				wg.Go(func() {
					results[i] = db.Update(c, func(tx keeptrail.Tx) error {
						runs[i].Add(1)
						if _, _, err := tx.EnsureTeam(name); err != nil {
							return err
						}
						if i == 1 {
							return errBoom
						}
						return nil
					})
				})
				// Queue them in order.
				for len(db.committer.calls) != i+1 {
					time.Sleep(time.Millisecond)
				}
			}
			close(release)
			wg.Wait()
			if err := <-blocked; err != nil {
				t.Fatal(err)
			}
			if results[0] != nil || !errors.Is(results[1], errBoom) || results[2] != nil {
				t.Fatalf("results %v, want nil, boom, nil", results)
			}
			if got := [3]int32{runs[0].Load(), runs[1].Load(), runs[2].Load()}; got != [3]int32{tc.wantFirstRuns, 1, tc.wantLastRuns} {
				t.Errorf("runs %v, want [%d 1 %d]", got, tc.wantFirstRuns, tc.wantLastRuns)
			}
			var names []string
			err = db.View(ctx, func(tx keeptrail.Tx) error {
				teams, err := tx.Teams(keeptrail.TeamScope{})
				for _, tm := range teams {
					names = append(names, tm.Name)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(names) != 3 || names[0] != "blocker" && names[1] != "blocker" && names[2] != "blocker" {
				t.Fatalf("teams %v, want blocker, first, last", names)
			}
			for _, n := range names {
				if n == "failing" {
					t.Fatalf("teams %v hold the failed call's write", names)
				}
			}
		})
	}
}

// TestRerunnableCallsJoinARunningTransaction: rerunnable calls that queue while a
// transaction of rerunnable calls runs join it (one commit for all), and a call that is not
// rerunnable waits for the next one.
func TestRerunnableCallsJoinARunningTransaction(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "k.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := keeptrail.WithRerunnableUpdate(context.Background())
	visible := func(name string) bool {
		var found bool
		err := db.View(context.Background(), func(tx keeptrail.Tx) error {
			_, err := tx.TeamByName(name)
			found = err == nil
			if keeptrail.ErrorCode(err) == keeptrail.ENOTFOUND {
				err = nil
			}
			return err
		})
		if err != nil {
			t.Error(err)
		}
		return found
	}
	release := make(chan struct{})
	var wg sync.WaitGroup
	var seen [4]bool
	write := func(i int, c context.Context, name string, wait bool) {
		wg.Go(func() {
			err := db.Update(c, func(tx keeptrail.Tx) error {
				if wait {
					<-release
				}
				if _, _, err := tx.EnsureTeam(name); err != nil {
					return err
				}
				// Is the first call's write committed yet?
				seen[i] = visible("one")
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	write(0, ctx, "one", true)
	for len(db.committer.calls) != 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // the first call is running
	write(1, ctx, "two", false)
	for len(db.committer.calls) != 1 {
		time.Sleep(time.Millisecond)
	}
	write(2, ctx, "three", false)
	for len(db.committer.calls) != 2 {
		time.Sleep(time.Millisecond)
	}
	write(3, context.Background(), "four", false) // not rerunnable
	for len(db.committer.calls) != 3 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if seen != [4]bool{false, false, false, true} {
		t.Fatalf("first write visible to calls %v, want only to the last (the others share its transaction)", seen)
	}
	for _, n := range []string{"one", "two", "three", "four"} {
		if !visible(n) {
			t.Errorf("team %s not stored", n)
		}
	}
}
