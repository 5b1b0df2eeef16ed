package storetest

import (
	"fmt"
	"testing"

	keeptrail "github.com/keeptrail/keeptrail"
)

// event returns a decision event of the fixture's gateway A.
func (f fixture) event(requestID string, minute int) keeptrail.DecisionEvent {
	return keeptrail.DecisionEvent{
		RequestID: requestID, Time: at(3, 10, minute), GatewayID: f.gwA.ID, Gateway: f.gwA.Name, TeamID: f.teamA.ID,
		Team: f.teamA.Name, User: "alice@acme.example", Model: "gpt-4o", Decision: keeptrail.DecisionBlocked,
		Severity: keeptrail.SeverityHigh, PoliciesEvaluated: 3, RulesMatched: []string{"pii.ssn", `quote"rule`},
		Categories: []string{"pii", "ünïcode"}, LatencyMS: 42, TokensIn: 512, TokensOut: 7, CostUSD: 0.0031,
	}
}

func insertEvents(t *testing.T, st keeptrail.Store, events []keeptrail.DecisionEvent) []int {
	t.Helper()
	var inserted []int
	update(t, st, func(tx keeptrail.Tx) error {
		var err error
		inserted, err = tx.InsertEvents(events)
		return err
	})
	return inserted
}

// checkStoredIDs checks that every event the store reported inserted carries the id of
// its stored row.
func checkStoredIDs(t *testing.T, st keeptrail.Store, events []keeptrail.DecisionEvent, inserted []int) {
	t.Helper()
	ids := map[string]int64{}
	err := st.View(bg(), func(tx keeptrail.Tx) error {
		f := keeptrail.ExportFilter{Start: at(1, 0, 0), End: at(28, 0, 0)}
		return tx.ExportDecisionEvents(f, func(r *keeptrail.DecisionEventRow) error {
			ids[r.RequestID] = r.ID
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range inserted {
		if got := ids[events[i].RequestID]; got != events[i].ID {
			t.Fatalf("event %d (%s) has ID %d, its stored row %d", i, events[i].RequestID, events[i].ID, got)
		}
	}
}

func testInsertEvents(t *testing.T, st keeptrail.Store) {
	f := newFixture(t, st)
	update(t, st, func(tx keeptrail.Tx) error {
		got, err := tx.InsertEvents(nil)
		if err != nil {
			return err
		}
		if len(got) != 0 {
			t.Fatalf("InsertEvents(nil) = %v, want none", got)
		}
		return nil
	})

	// A duplicate inside one batch: the first wins.
	first := []keeptrail.DecisionEvent{f.event("r-1", 0), f.event("r-2", 1), f.event("r-1", 2), f.event("r-3", 3)}
	first[3].GatewayID, first[3].TeamID = f.gwB.ID, f.teamB.ID
	got := insertEvents(t, st, first)
	wantEqual(t, "inserted of first batch", got, []int{0, 1, 3})
	checkStoredIDs(t, st, first, got)
	if first[2].ID != 0 {
		t.Fatalf("the in-batch duplicate got ID %d, want 0", first[2].ID)
	}
	ids := map[int64]bool{}
	for _, i := range got {
		if first[i].ID == 0 || ids[first[i].ID] {
			t.Fatalf("event %d has ID %d: want a new, distinct ID", i, first[i].ID)
		}
		ids[first[i].ID] = true
	}
	wantEqual(t, "event time truncated to UTC microseconds", first[0].Time, stored(at(3, 10, 0)))

	// Duplicates of stored events across batches, and a repeat inside the new batch.
	second := []keeptrail.DecisionEvent{f.event("r-3", 4), f.event("r-4", 5), f.event("r-4", 6), f.event("r-1", 7), f.event("r-5", 8)}
	got = insertEvents(t, st, second)
	wantEqual(t, "inserted of second batch", got, []int{1, 4})
	checkStoredIDs(t, st, second, got)
	for _, i := range []int{0, 2, 3} {
		if second[i].ID != 0 {
			t.Fatalf("duplicate %d got ID %d", i, second[i].ID)
		}
	}
	if ids[second[1].ID] || ids[second[4].ID] || second[1].ID == second[4].ID {
		t.Fatalf("new IDs %d, %d collide with earlier ones", second[1].ID, second[4].ID)
	}

	// All duplicates.
	got = insertEvents(t, st, []keeptrail.DecisionEvent{f.event("r-2", 9), f.event("r-5", 9)})
	if len(got) != 0 {
		t.Fatalf("inserted of an all-duplicate batch = %v, want none", got)
	}

	// A rolled-back insert stores nothing: the same request ids are new afterwards.
	err := st.Update(bg(), func(tx keeptrail.Tx) error {
		if _, err := tx.InsertEvents([]keeptrail.DecisionEvent{f.event("r-6", 10)}); err != nil {
			return err
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatalf("update = %v, want errRollback", err)
	}
	got = insertEvents(t, st, []keeptrail.DecisionEvent{f.event("r-6", 10)})
	wantEqual(t, "inserted after a rollback", got, []int{0})

	// Two batches in one transaction see each other.
	update(t, st, func(tx keeptrail.Tx) error {
		a, err := tx.InsertEvents([]keeptrail.DecisionEvent{f.event("r-7", 11)})
		if err != nil {
			return err
		}
		b, err := tx.InsertEvents([]keeptrail.DecisionEvent{f.event("r-7", 11), f.event("r-8", 12)})
		if err != nil {
			return err
		}
		wantEqual(t, "first batch in one transaction", a, []int{0})
		wantEqual(t, "second batch in one transaction", b, []int{1})
		return nil
	})

	// Missing gateway or team ids are refused.
	err = st.Update(bg(), func(tx keeptrail.Tx) error {
		e := f.event("r-9", 13)
		e.GatewayID = 0
		_, err := tx.InsertEvents([]keeptrail.DecisionEvent{e})
		return err
	})
	if keeptrail.ErrorCode(err) != keeptrail.EINTERNAL {
		t.Fatalf("InsertEvents without gateway id: %v, want an internal error", err)
	}
}

func testInsertEventsLargeBatch(t *testing.T, st keeptrail.Store) {
	f := newFixture(t, st)
	// More events than one INSERT statement carries, with duplicates spread across chunks.
	const n = 5000
	events := make([]keeptrail.DecisionEvent, 0, n+3)
	for i := 0; i < n; i++ {
		e := f.event(fmt.Sprintf("big-%05d", i), i%60)
		if i%2 == 1 {
			e.RulesMatched, e.Categories = nil, nil
		}
		events = append(events, e)
	}
	events = append(events, f.event("big-00000", 1), f.event("big-02500", 1), f.event("big-04999", 1))
	got := insertEvents(t, st, events)
	if len(got) != n {
		t.Fatalf("inserted %d events, want %d", len(got), n)
	}
	checkStoredIDs(t, st, events, got)
	seen := map[int64]bool{}
	for k, i := range got {
		if i != k {
			t.Fatalf("inserted[%d] = %d, want %d", k, i, k)
		}
		if events[i].ID == 0 || seen[events[i].ID] {
			t.Fatalf("event %d has ID %d: want a new, distinct ID", i, events[i].ID)
		}
		seen[events[i].ID] = true
	}
	for i := n; i < len(events); i++ {
		if events[i].ID != 0 {
			t.Fatalf("duplicate %d got ID %d", i, events[i].ID)
		}
	}
	// Half new, half stored.
	again := make([]keeptrail.DecisionEvent, 0, 2*n)
	for i := 0; i < n; i++ {
		again = append(again, f.event(fmt.Sprintf("big-%05d", i), 0), f.event(fmt.Sprintf("more-%05d", i), 0))
	}
	got = insertEvents(t, st, again)
	if len(got) != n {
		t.Fatalf("second large batch inserted %d, want %d", len(got), n)
	}
	checkStoredIDs(t, st, again, got)
	for k, i := range got {
		if i != 2*k+1 {
			t.Fatalf("second large batch inserted[%d] = %d, want %d", k, i, 2*k+1)
		}
	}
}

func testInsertHeartbeats(t *testing.T, st keeptrail.Store) {
	f := newFixture(t, st)
	hbs := []keeptrail.Heartbeat{
		{GatewayID: f.gwA.ID, Gateway: "gw-a", Time: at(3, 10, 0), ConfigVersion: ptr(int64(3)), Healthy: true, ErrorRate: 0.002,
			TLSMinVersion: "1.2", EncryptionAtRest: ptr(true)},
		{GatewayID: f.gwB.ID, Gateway: "gw-b", Time: at(3, 10, 1)},
	}
	update(t, st, func(tx keeptrail.Tx) error {
		if err := tx.InsertHeartbeats(hbs); err != nil {
			return err
		}
		return tx.InsertHeartbeats(nil)
	})
	wantEqual(t, "heartbeat time truncated", hbs[0].Time, stored(at(3, 10, 0)))
	err := st.Update(bg(), func(tx keeptrail.Tx) error {
		return tx.InsertHeartbeats([]keeptrail.Heartbeat{{Gateway: "gw-x", Time: at(3, 10, 0)}})
	})
	if keeptrail.ErrorCode(err) != keeptrail.EINTERNAL {
		t.Fatalf("InsertHeartbeats without gateway id: %v, want an internal error", err)
	}
}
