package auditlog

import (
	"context"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// checkpointTime is the store clock in database tests: every checkpoint is signed at it.
var checkpointTime = testTime.Add(time.Hour)

func fixedClock() sqlstore.Options {
	return sqlstore.Options{Now: func() time.Time { return checkpointTime }}
}

// appendEntries appends the test entries first..last (content from testEntry) through the
// store, as the application does.
func appendEntries(t testing.TB, st keeptrail.Store, first, last int) {
	t.Helper()
	err := st.Update(context.Background(), func(tx keeptrail.Tx) error {
		for i := first; i <= last; i++ {
			e := testEntry(i)
			if err := tx.AppendAudit(&e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("append audit entries %d-%d: %v", first, last, err)
	}
}

// seedLog appends entries 1..stops[len-1], signing a checkpoint after each stop.
func seedLog(t testing.TB, st keeptrail.Store, s *Signer, stops ...int) {
	t.Helper()
	next := 1
	for _, stop := range stops {
		appendEntries(t, st, next, stop)
		next = stop + 1
		if s != nil {
			if _, err := Checkpoint(context.Background(), st, s); err != nil {
				t.Fatalf("checkpoint at %d: %v", stop, err)
			}
		}
	}
}

func readEntries(t testing.TB, st keeptrail.Store) []keeptrail.AuditEntry {
	t.Helper()
	var es []keeptrail.AuditEntry
	err := st.View(context.Background(), func(tx keeptrail.Tx) error {
		return tx.AuditEntries(1, 0, func(e keeptrail.AuditEntry) error {
			es = append(es, e)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func readCheckpoints(t testing.TB, st keeptrail.Store) []keeptrail.AuditCheckpoint {
	t.Helper()
	var cps []keeptrail.AuditCheckpoint
	err := st.View(context.Background(), func(tx keeptrail.Tx) error {
		var err error
		cps, err = tx.AuditCheckpoints()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return cps
}

func mustVerify(t *testing.T, st keeptrail.Store, pub []byte) Report {
	t.Helper()
	rep, err := Verify(context.Background(), st, pub)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return rep
}

func problemTexts(rep Report) []string {
	var got []string
	for _, p := range rep.Problems {
		got = append(got, p.What)
	}
	return got
}
