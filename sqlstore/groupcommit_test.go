package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	keeptrail "github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// TestConcurrentUpdatesKeepTheirOwnOutcome runs many concurrent writers (which SQLite
// groups into shared transactions): every third fails after writing and every seventh
// panics after writing. Exactly the writes of the successful calls remain, each failing
// call gets its own error or panic back, and the audit log stays gap-free. It runs with
// plain calls (each in its own savepoint) and with rerunnable ones (none, and the group
// runs again without a failed call).
func TestConcurrentUpdatesKeepTheirOwnOutcome(t *testing.T) {
	for _, rerunnable := range []bool{false, true} {
		t.Run(fmt.Sprintf("rerunnable=%v", rerunnable), func(t *testing.T) {
			testConcurrentUpdates(t, rerunnable)
		})
	}
}

func testConcurrentUpdates(t *testing.T, rerunnable bool) {
	ctx := context.Background()
	if rerunnable {
		ctx = keeptrail.WithRerunnableUpdate(ctx)
	}
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		const n = 120
		errBoom := errors.New("boom")
		var wg sync.WaitGroup
		results := make([]error, n)
		panics := make([]any, n)
		for i := range n {
			wg.Go(func() {
				defer func() { panics[i] = recover() }()
				results[i] = db.Update(ctx, func(tx keeptrail.Tx) error {
					if _, _, err := tx.EnsureTeam(fmt.Sprintf("team-%03d", i)); err != nil {
						return err
					}
					e := keeptrail.AuditEntry{ActorKind: keeptrail.ActorSystem, Actor: "test", Action: "test.write",
						Category: keeptrail.CategoryConfiguration, Severity: keeptrail.SeverityLow, Outcome: "success"}
					if err := tx.AppendAudit(&e); err != nil {
						return err
					}
					switch {
					case i%7 == 0:
						panic(fmt.Sprintf("panic %d", i))
					case i%3 == 0:
						return errBoom
					}
					return nil
				})
			})
		}
		wg.Wait()
		want := map[string]bool{}
		for i := range n {
			switch {
			case i%7 == 0:
				if panics[i] != fmt.Sprintf("panic %d", i) {
					t.Errorf("call %d: panic %v, want its own panic", i, panics[i])
				}
			case i%3 == 0:
				if !errors.Is(results[i], errBoom) {
					t.Errorf("call %d: %v, want boom", i, results[i])
				}
			default:
				if results[i] != nil || panics[i] != nil {
					t.Errorf("call %d: %v %v, want success", i, results[i], panics[i])
				}
				want[fmt.Sprintf("team-%03d", i)] = true
			}
		}
		var teams []keeptrail.Team
		var head int64
		var seqs []int64
		err := db.View(context.Background(), func(tx keeptrail.Tx) error {
			var err error
			if teams, err = tx.Teams(keeptrail.TeamScope{}); err != nil {
				return err
			}
			if head, _, err = tx.AuditHead(); err != nil {
				return err
			}
			return tx.AuditEntries(1, 0, func(e keeptrail.AuditEntry) error {
				seqs = append(seqs, e.Seq)
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(teams) != len(want) {
			t.Fatalf("%d teams stored, want %d", len(teams), len(want))
		}
		for _, tm := range teams {
			if !want[tm.Name] {
				t.Errorf("team %s stored although its call failed", tm.Name)
			}
		}
		if head != int64(len(want)) || len(seqs) != len(want) {
			t.Fatalf("audit head %d with %d entries, want %d", head, len(seqs), len(want))
		}
		for i, s := range seqs {
			if s != int64(i+1) {
				t.Fatalf("audit seq %d at position %d: gap", s, i)
			}
		}
	})
}

// TestUpdateWithCanceledContextDoesNothing: a call whose context has ended is refused
// and its function never runs.
func TestUpdateWithCanceledContextDoesNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		ran := false
		err := db.Update(ctx, func(tx keeptrail.Tx) error { ran = true; return nil })
		if !errors.Is(err, context.Canceled) || ran {
			t.Fatalf("err %v, ran %v; want context.Canceled and not run", err, ran)
		}
	})
}

// TestUpdateAfterClose is refused, not hung.
func TestUpdateAfterClose(t *testing.T) {
	db := testdb.SQLite(t)
	db.Close()
	err := db.Update(context.Background(), func(tx keeptrail.Tx) error { return nil })
	if err == nil {
		t.Fatal("Update after Close succeeded")
	}
}
