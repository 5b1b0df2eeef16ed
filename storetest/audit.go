package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	keeptrail "github.com/keeptrail/keeptrail"
)

// auditEntry returns an entry with every field set but those AppendAudit assigns.
func auditEntry(i int, teamID *int64) keeptrail.AuditEntry {
	return keeptrail.AuditEntry{
		Time: at(3, 10, i%60), ActorKind: keeptrail.ActorUser, Actor: fmt.Sprintf("user%d@acme.example", i),
		Action: "auth.login_failed", Category: keeptrail.CategoryAuthentication, TeamID: teamID, Team: "",
		Target: "user:alice@acme.example", Severity: keeptrail.SeverityMedium, SourceIP: "203.0.113.7",
		Outcome: "failure", Details: json.RawMessage(fmt.Sprintf(`{ "attempt": %d, "reason": "bad password" }`, i)),
	}
}

// readAudit returns the entries from..to.
func readAudit(t *testing.T, st keeptrail.Store, from, to int64) []keeptrail.AuditEntry {
	t.Helper()
	var out []keeptrail.AuditEntry
	view(t, st, func(tx keeptrail.Tx) error {
		return tx.AuditEntries(from, to, func(e keeptrail.AuditEntry) error {
			out = append(out, e)
			return nil
		})
	})
	return out
}

// checkChain fails unless entries are 1..n, each linked to the previous and hashed.
func checkChain(t *testing.T, entries []keeptrail.AuditEntry, n int) {
	t.Helper()
	if len(entries) != n {
		t.Fatalf("%d audit entries, want %d", len(entries), n)
	}
	prev := keeptrail.AuditGenesisHash
	for i, e := range entries {
		if e.Seq != int64(i+1) {
			t.Fatalf("entry %d has seq %d, want %d", i, e.Seq, i+1)
		}
		if e.PrevHash != prev {
			t.Fatalf("entry %d prev hash %s, want %s", e.Seq, e.PrevHash, prev)
		}
		if h := e.ComputeHash(); e.Hash != h {
			t.Fatalf("entry %d hash %s, want ComputeHash %s", e.Seq, e.Hash, h)
		}
		prev = e.Hash
	}
}

func head(t *testing.T, st keeptrail.Store) (int64, string) {
	t.Helper()
	var seq int64
	var hash string
	view(t, st, func(tx keeptrail.Tx) error {
		var err error
		seq, hash, err = tx.AuditHead()
		return err
	})
	return seq, hash
}

func testAuditAppend(t *testing.T, st keeptrail.Store) {
	if seq, hash := head(t, st); seq != 0 || hash != "" {
		t.Fatalf("head of an empty log = %d %q, want 0 \"\"", seq, hash)
	}
	if got := readAudit(t, st, 1, 0); len(got) != 0 {
		t.Fatalf("entries of an empty log: %+v", got)
	}
	f := newFixture(t, st)
	var appended []keeptrail.AuditEntry
	// Five entries over two transactions; the third has no time and no details.
	for _, batch := range [][]int{{0, 1, 2}, {3, 4}} {
		update(t, st, func(tx keeptrail.Tx) error {
			for _, i := range batch {
				e := auditEntry(i, &f.teamA.ID)
				if i == 2 {
					e.Time, e.Details, e.TeamID = time.Time{}, nil, nil
					e.ActorKind, e.Actor = keeptrail.ActorSystem, "system:expiry"
				}
				if err := tx.AppendAudit(&e); err != nil {
					return err
				}
				if i == 2 && !e.Time.Equal(tx.Now()) {
					t.Fatalf("entry without time got %v, want %v", e.Time, tx.Now())
				}
				appended = append(appended, e)
			}
			return nil
		})
	}
	checkChain(t, appended, 5)
	wantEqual(t, "compacted details", string(appended[0].Details), `{"attempt":0,"reason":"bad password"}`)
	wantEqual(t, "empty details", string(appended[2].Details), `{}`)
	wantEqual(t, "entry time", appended[1].Time, stored(at(3, 10, 1)))
	got := readAudit(t, st, 1, 0)
	wantEqual(t, "entries as stored", got, appended)
	checkChain(t, got, 5)
	seq, hash := head(t, st)
	if seq != 5 || hash != appended[4].Hash {
		t.Fatalf("head = %d %s, want 5 %s", seq, hash, appended[4].Hash)
	}
}

func testAuditEntriesRange(t *testing.T, st keeptrail.Store) {
	update(t, st, func(tx keeptrail.Tx) error {
		for i := 0; i < 1100; i++ { // more than one read page (1000 entries)
			e := auditEntry(i, nil)
			if err := tx.AppendAudit(&e); err != nil {
				return err
			}
		}
		return nil
	})
	all := readAudit(t, st, 1, 0)
	checkChain(t, all, 1100)
	tests := []struct {
		from, to   int64
		first, num int64
	}{
		{1, 0, 1, 1100},
		{0, 0, 1, 1100},
		{7, 7, 7, 1},
		{999, 1001, 999, 3},
		{2, 1099, 2, 1098},
		{1050, 9999, 1050, 51},
		{1101, 0, 0, 0},
		{10, 5, 0, 0},
	}
	for _, tc := range tests {
		got := readAudit(t, st, tc.from, tc.to)
		if int64(len(got)) != tc.num {
			t.Fatalf("AuditEntries(%d, %d) gave %d entries, want %d", tc.from, tc.to, len(got), tc.num)
		}
		for i, e := range got {
			wantEqual(t, fmt.Sprintf("AuditEntries(%d, %d)[%d]", tc.from, tc.to, i), e, all[tc.first-1+int64(i)])
		}
	}
	// fn's error stops the walk and is returned as it is.
	stop := errors.New("stop here")
	calls := 0
	err := st.View(bg(), func(tx keeptrail.Tx) error {
		return tx.AuditEntries(1, 0, func(e keeptrail.AuditEntry) error {
			calls++
			if e.Seq == 3 {
				return stop
			}
			return nil
		})
	})
	if err != stop || calls != 3 {
		t.Fatalf("AuditEntries with a failing fn: err %v after %d calls, want %v after 3", err, calls, stop)
	}
	// fn may use the transaction.
	view(t, st, func(tx keeptrail.Tx) error {
		return tx.AuditEntries(1000, 1001, func(e keeptrail.AuditEntry) error {
			_, _, err := tx.AuditHead()
			return err
		})
	})
}

func testAuditRollback(t *testing.T, st keeptrail.Store) {
	appendOne := func(i int) keeptrail.AuditEntry {
		var e keeptrail.AuditEntry
		update(t, st, func(tx keeptrail.Tx) error {
			e = auditEntry(i, nil)
			return tx.AppendAudit(&e)
		})
		return e
	}
	appendOne(0)
	appendOne(1)
	// An Update that appended entries and then failed leaves no trace.
	err := st.Update(bg(), func(tx keeptrail.Tx) error {
		for i := 10; i < 13; i++ {
			e := auditEntry(i, nil)
			if err := tx.AppendAudit(&e); err != nil {
				return err
			}
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatalf("update = %v, want errRollback", err)
	}
	// So does one that panicked.
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want the panic to pass through Update", r)
			}
		}()
		_ = st.Update(bg(), func(tx keeptrail.Tx) error {
			e := auditEntry(20, nil)
			if err := tx.AppendAudit(&e); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	if seq, _ := head(t, st); seq != 2 {
		t.Fatalf("head after rollbacks = %d, want 2", seq)
	}
	third := appendOne(2)
	if third.Seq != 3 {
		t.Fatalf("next entry after rollbacks has seq %d, want 3", third.Seq)
	}
	checkChain(t, readAudit(t, st, 1, 0), 3)
}

func testAuditConcurrent(t *testing.T, st keeptrail.Store) {
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- st.Update(bg(), func(tx keeptrail.Tx) error {
				e := auditEntry(i, nil)
				return tx.AppendAudit(&e)
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent append: %v", err)
		}
	}
	entries := readAudit(t, st, 1, 0)
	checkChain(t, entries, n)
	actors := map[string]bool{}
	for _, e := range entries {
		actors[e.Actor] = true
	}
	if len(actors) != n {
		t.Fatalf("%d distinct actors among %d entries, want %d", len(actors), len(entries), n)
	}
}

func testAuditCheckpoints(t *testing.T, st keeptrail.Store) {
	view(t, st, func(tx keeptrail.Tx) error {
		cs, err := tx.AuditCheckpoints()
		if err != nil {
			return err
		}
		wantEqual(t, "no checkpoints yet", cs, []keeptrail.AuditCheckpoint(nil))
		return nil
	})
	cs := []keeptrail.AuditCheckpoint{
		{Seq: 0, Hash: keeptrail.AuditGenesisHash, At: at(3, 10, 0), KeyID: "key-1", Signature: []byte{0, 1, 2, 3, 254, 255}},
		{Seq: 42, Hash: "abc123", KeyID: "key-2", Signature: make([]byte, 64)},
	}
	update(t, st, func(tx keeptrail.Tx) error {
		for i := range cs {
			if err := tx.CreateAuditCheckpoint(&cs[i]); err != nil {
				return err
			}
			if cs[i].ID == 0 {
				t.Fatal("CreateAuditCheckpoint left ID 0")
			}
		}
		wantEqual(t, "checkpoint time defaults to now", cs[1].At, tx.Now())
		return nil
	})
	wantEqual(t, "checkpoint time", cs[0].At, stored(at(3, 10, 0)))
	view(t, st, func(tx keeptrail.Tx) error {
		got, err := tx.AuditCheckpoints()
		if err != nil {
			return err
		}
		wantEqual(t, "AuditCheckpoints", got, cs)
		return nil
	})
}
