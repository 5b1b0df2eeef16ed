package compliance_test

import (
	"context"
	"testing"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/compliance"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// TestStatusAndScoreIn checks that the status and score read inside a caller's
// transaction (after Prepare) equal those Status and Score read, for the organization and
// a team admin, and that a team outside the caller's is refused the same way.
func TestStatusAndScoreIn(t *testing.T) {
	openFixture(t, func(t *testing.T, db *sqlstore.DB, ids fixtureIDs) {
		s := fixtureService(t, db, compliance.Options{})
		if err := s.Prepare(admin); err != nil {
			t.Fatal(err)
		}
		for name, ctx := range map[string]context.Context{"admin": admin, "team admin": teamAdmin(ids.radiology)} {
			req := compliance.StatusRequest{From: fixtureDay}
			want, err := s.Status(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			wantScore, err := s.Score(ctx, compliance.ScoreRequest{From: fixtureDay})
			if err != nil {
				t.Fatal(err)
			}
			var got compliance.Status
			var gotScore compliance.Score
			if err := db.View(ctx, func(tx keeptrail.Tx) error {
				var err error
				if got, err = s.StatusIn(ctx, tx, req); err != nil {
					return err
				}
				gotScore, err = s.ScoreIn(ctx, tx, compliance.ScoreRequest{From: fixtureDay})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			wantJSON(t, name+": status in a transaction", got, want)
			wantJSON(t, name+": score in a transaction", gotScore, wantScore)
			if want.Requests == 0 {
				t.Errorf("%s: no requests; the comparison would hold trivially", name)
			}
		}
		err := db.View(admin, func(tx keeptrail.Tx) error {
			_, err := s.StatusIn(teamAdmin(ids.payments), tx, compliance.StatusRequest{Teams: []string{"radiology"}})
			return err
		})
		if keeptrail.ErrorCode(err) != keeptrail.EFORBIDDEN {
			t.Errorf("another team's status: %v, want EFORBIDDEN", err)
		}
	})
}
