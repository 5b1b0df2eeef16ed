package sqlstore

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	keeptrail "github.com/keeptrail/keeptrail"
)

// TestInsertEventsRefusesASilentSkip: the SQLite insert is INSERT OR IGNORE, which skips a
// row for any reason; a row skipped without its request id being stored must fail the
// insert, not pass for a duplicate. A trigger that ignores one row stands in for such a
// reason.
func TestInsertEventsRefusesASilentSkip(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "k.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SQL().Exec(`CREATE TRIGGER skip_one BEFORE INSERT ON decision_events
WHEN NEW.request_id = 'skipped' BEGIN SELECT RAISE(IGNORE); END`); err != nil {
		t.Fatal(err)
	}
	ev := func(id string) keeptrail.DecisionEvent {
		return keeptrail.DecisionEvent{RequestID: id, Time: time.Date(2025, 2, 3, 10, 0, 0, 0, time.UTC), GatewayID: 1, TeamID: 1,
			Decision: keeptrail.DecisionAllowed, Severity: keeptrail.SeverityLow}
	}
	insert := func(events ...keeptrail.DecisionEvent) ([]int, error) {
		var ins []int
		err := db.Update(context.Background(), func(tx keeptrail.Tx) error {
			var err error
			ins, err = tx.InsertEvents(events)
			return err
		})
		return ins, err
	}
	// A real duplicate still counts as one.
	if _, err := insert(ev("a")); err != nil {
		t.Fatal(err)
	}
	if ins, err := insert(ev("a"), ev("b")); err != nil || len(ins) != 1 || ins[0] != 1 {
		t.Fatalf("duplicate and new: inserted %v, %v; want [1]", ins, err)
	}
	for _, batch := range [][]keeptrail.DecisionEvent{{ev("skipped")}, {ev("c"), ev("skipped"), ev("d")}} {
		_, err := insert(batch...)
		if err == nil || !strings.Contains(err.Error(), `event "skipped" was neither stored nor a duplicate`) {
			t.Fatalf("batch with a silently skipped row: %v, want an error naming it", err)
		}
	}
}
