package compliance_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/compliance"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// TestHistoryCatchUp checks the daily snapshot job: it fills in every closed day since
// the first activity, once per day however many replicas run it, catches up the days
// missed while it was down, and the history shows each caller only its scope.
func TestHistoryCatchUp(t *testing.T) {
	openFixture(t, func(t *testing.T, db *sqlstore.DB, ids fixtureIDs) {
		var mu sync.Mutex
		now := fixtureNow
		clock := func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return now
		}
		replica := func() *compliance.Service {
			s, err := compliance.New(db, compliance.Options{Now: clock, Window: 24 * time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		// Three replicas start at once. The first activity is gw-rad-1's event of 9 March:
		// 9 and 10 March are closed days, each stored for the organization and both teams.
		var wg sync.WaitGroup
		days := make([]int, 3)
		for i := range days {
			wg.Go(func() {
				n, err := replica().CatchUp(context.Background())
				if err != nil {
					t.Error(err)
				}
				days[i] = n
			})
		}
		wg.Wait()
		countRows := func() int {
			var n int
			if err := db.SQL().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM compliance_snapshots").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := countRows(); n != 6 {
			t.Fatalf("snapshots after three replicas caught up: %d rows, want 6 (2 days × organization + 2 teams); days %v", n, days)
		}
		s := replica()
		if n, err := s.CatchUp(context.Background()); err != nil || n != 0 {
			t.Fatalf("second catch-up: %d, %v; want nothing to do", n, err)
		}

		// Down for three days: 11, 12 and 13 March are caught up on restart.
		mu.Lock()
		now = time.Date(2025, 3, 14, 0, 30, 0, 0, time.UTC)
		mu.Unlock()
		if n, err := s.CatchUp(context.Background()); err != nil || n != 3 {
			t.Fatalf("catch-up after downtime: %d, %v; want 3 days", n, err)
		}
		if n := countRows(); n != 15 {
			t.Fatalf("snapshots: %d rows, want 15", n)
		}

		hist, err := s.History(admin, compliance.HistoryRequest{From: march(9, 0), To: march(12, 0)})
		if err != nil {
			t.Fatal(err)
		}
		var summary []string
		for _, p := range hist {
			summary = append(summary, fmt.Sprintf("%s %q %.1f", p.Day.Format(time.DateOnly), p.Team, p.Score))
		}
		// 10 March is the score computed in TestScoreFixture.
		want10 := "2025-03-10 \"\" 70.4"
		if len(summary) != 3 || summary[1] != want10 {
			t.Errorf("organization history: %q, want 3 days with %q", summary, want10)
		}
		if len(hist) > 1 && (len(hist[1].Components) != 5 || hist[1].Components[0].Name != "policy_coverage" || hist[1].Components[0].Points != 18.75) {
			t.Errorf("components of 10 March: %+v", hist[1].Components)
		}

		// A team admin sees its team's history only, asked for or not.
		for _, req := range []compliance.HistoryRequest{{From: march(10, 0), To: march(11, 0)}, {From: march(10, 0), To: march(11, 0), Teams: []string{"payments"}}} {
			hist, err = s.History(teamAdmin(ids.payments), req)
			if err != nil {
				t.Fatal(err)
			}
			if len(hist) != 1 || hist[0].Team != "payments" || hist[0].Score != 85 {
				t.Errorf("payments history for %+v: %+v", req, hist)
			}
		}
		_, err = s.History(teamAdmin(ids.payments), compliance.HistoryRequest{Teams: []string{"radiology"}})
		if keeptrail.ErrorCode(err) != keeptrail.EFORBIDDEN {
			t.Errorf("payments admin asking for radiology's history: %v", err)
		}
	})
}
