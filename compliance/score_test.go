package compliance_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/compliance"
	"github.com/keeptrail/keeptrail/sqlstore"
)

func counts(kv ...any) map[string]int64 {
	m := map[string]int64{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = int64(kv[i+1].(int))
	}
	return m
}

// security builds the security settings component from its parts (default weights).
func security(ratio, points float64, sso, mfa, keys compliance.Component) compliance.Component {
	return compliance.Component{Name: "security_settings", Weight: 20, MaxPoints: 20, Ratio: ratio, Points: points,
		Counts: map[string]int64{}, Parts: []compliance.Component{sso, mfa, keys}}
}

// TestScoreFixture checks the organization's score against the arithmetic done by hand.
func TestScoreFixture(t *testing.T) {
	openFixture(t, func(t *testing.T, db *sqlstore.DB, ids fixtureIDs) {
		s := fixtureService(t, db, compliance.Options{})
		got, err := s.Score(admin, compliance.ScoreRequest{})
		if err != nil {
			t.Fatal(err)
		}
		want := compliance.Score{
			Period: compliance.Period{From: fixtureDay, To: fixtureNow},
			At:     fixtureNow,
			Teams:  []string{"payments", "radiology"},
			// 18.75 + 16.6667 + 10 + 16.25 + 8.75 = 70.41667 -> 70.4
			Score: 70.4,
			Components: []compliance.Component{
				// 3 of 4 active gateways have an active policy: 25 × 0.75 = 18.75.
				{Name: "policy_coverage", Weight: 25, MaxPoints: 25, Ratio: 0.75, Points: 18.75,
					Counts: counts("covered_gateways", 3, "active_gateways", 4)},
				// Due on 10 March: the critical one (met), the high one (resolved 1.5 h late), the
				// medium one of 9 March (met): 25 × 2/3 = 16.6667.
				{Name: "escalation_sla", Weight: 25, MaxPoints: 25, Ratio: 0.6667, Points: 16.67,
					Counts: counts("met", 2, "due", 3, "breached", 1)},
				// gw-pay-1 (v3) and gw-rad-1 (v2) are current, gw-pay-2 and gw-rad-2 run v1: 20 × 0.5.
				{Name: "configuration_currency", Weight: 20, MaxPoints: 20, Ratio: 0.5, Points: 10,
					Counts: counts("current_gateways", 2, "active_gateways", 4)},
				// SSO 5 × 1 + MFA 10 × 3/4 (bob is not enrolled; erin is deprovisioned) + keys
				// 5 × 3/4 (k2 last rotated 130 days ago; k4 is revoked) = 5 + 7.5 + 3.75 = 16.25.
				security(0.8125, 16.25,
					compliance.Component{Name: "sso", Weight: 5, MaxPoints: 5, Ratio: 1, Points: 5, Counts: counts("configured", 1)},
					compliance.Component{Name: "mfa", Weight: 10, MaxPoints: 10, Ratio: 0.75, Points: 7.5,
						Counts: counts("enrolled_users", 3, "active_users", 4)},
					compliance.Component{Name: "key_rotation", Weight: 5, MaxPoints: 5, Ratio: 0.75, Points: 3.75,
						Counts: counts("rotated_keys", 3, "active_keys", 4, "rotation_days", 90)}),
				// Chain intact; gw-rad-2 silent in 3 of the 24 hours: 10 × 1 × 21/24 = 8.75.
				{Name: "audit_completeness", Weight: 10, MaxPoints: 10, Ratio: 0.875, Points: 8.75,
					Counts: counts("chain_intact", 1, "first_bad_seq", 0, "complete_hours", 21, "hours", 24)},
			},
			Improvements: []compliance.Improvement{
				// Coverage 4/4: 70.41667 + 6.25 = 76.66667 -> 76.7, shown as +6.3.
				{Change: "assign an active policy to gw-rad-2", Component: "policy_coverage", Gain: 6.3, ScoreAfter: 76.7},
				// Currency 3/4: + 5 = 75.41667 -> 75.4.
				{Change: "deploy configuration version 2 to gw-pay-2", Component: "configuration_currency", Gain: 5, ScoreAfter: 75.4},
				{Change: "deploy configuration version 2 to gw-rad-2", Component: "configuration_currency", Gain: 5, ScoreAfter: 75.4},
				// Not in the top three: enroll bob (+2.5), rotate k2 (+1.25), keep gw-rad-2 reporting (+1.25).
			},
		}
		wantJSON(t, "score", got, want)

		// The same day asked for by date: --at 2025-03-10 means the end of that day.
		at, err := compliance.ParseEnd("2025-03-10")
		if err != nil {
			t.Fatal(err)
		}
		again, err := s.Score(admin, compliance.ScoreRequest{At: at})
		if err != nil {
			t.Fatal(err)
		}
		wantJSON(t, "score at 2025-03-10", again, want)
	})
}

// TestScoreFixtureTeams checks that team admins get their own team's score.
func TestScoreFixtureTeams(t *testing.T) {
	openFixture(t, func(t *testing.T, db *sqlstore.DB, ids fixtureIDs) {
		s := fixtureService(t, db, compliance.Options{})
		tests := []struct {
			team  keeptrail.Team
			score float64
			// points of coverage, SLA, currency, security, audit
			points       [5]float64
			improvements []compliance.Improvement
		}{
			// payments: 2/2 covered 25; the one escalation met 25; gw-pay-2 behind 10;
			// SSO 5 + MFA 1/2 (bob) 5 + keys k1, k5 2/2 5 = 15; both gateways reported every
			// hour 10. Total 85.
			{ids.payments, 85, [5]float64{25, 25, 10, 15, 10}, []compliance.Improvement{
				{Change: "deploy configuration version 2 to gw-pay-2", Component: "configuration_currency", Gain: 10, ScoreAfter: 95},
				{Change: "enroll bob@acme.example in MFA", Component: "security_settings", Gain: 5, ScoreAfter: 90},
			}},
			// radiology: 1/2 covered 12.5; 1 of 2 escalations met 12.5; gw-rad-2 behind 10;
			// SSO 5 + MFA 2/2 10 + keys k2 stale, k5 fine 2.5 = 17.5; 21/24 hours 8.75.
			// Total 61.25, which rounds half away from zero to 61.3.
			{ids.radiology, 61.3, [5]float64{12.5, 12.5, 10, 17.5, 8.75}, []compliance.Improvement{
				// 61.25 + 12.5 = 73.75 -> 73.8
				{Change: "assign an active policy to gw-rad-2", Component: "policy_coverage", Gain: 12.5, ScoreAfter: 73.8},
				// 61.25 + 10 = 71.25 -> 71.3
				{Change: "deploy configuration version 2 to gw-rad-2", Component: "configuration_currency", Gain: 10, ScoreAfter: 71.3},
				// 61.25 + 2.5 = 63.75 -> 63.8
				{Change: "rotate API key k2 (pacs-export)", Component: "security_settings", Gain: 2.5, ScoreAfter: 63.8},
			}},
		}
		for _, tt := range tests {
			got, err := s.Score(teamAdmin(tt.team), compliance.ScoreRequest{})
			if err != nil {
				t.Fatal(err)
			}
			var points [5]float64
			for i, c := range got.Components {
				points[i] = c.Points
			}
			if got.Score != tt.score || points != tt.points || len(got.Teams) != 1 || got.Teams[0] != tt.team.Name {
				t.Errorf("%s: score %v, points %v, teams %v; want %v, %v", tt.team.Name, got.Score, points, got.Teams, tt.score, tt.points)
			}
			wantJSON(t, tt.team.Name+" improvements", got.Improvements, tt.improvements)
		}
		_, err := s.Score(teamAdmin(ids.payments), compliance.ScoreRequest{Teams: []string{"radiology"}})
		if keeptrail.ErrorCode(err) != keeptrail.EFORBIDDEN || err.Error() != `team "radiology" is outside your teams` {
			t.Errorf("payments admin asking for radiology's score: %v", err)
		}
		_, err = s.Score(admin, compliance.ScoreRequest{At: fixtureNow.Add(24 * time.Hour)})
		if keeptrail.ErrorCode(err) != keeptrail.EINVALID || err.Error() != "at: 2025-03-12T00:00:00Z is in the future" {
			t.Errorf("score in the future: %v", err)
		}
	})
}

// TestScoreWeights checks that configured weights change the score as the formula says.
func TestScoreWeights(t *testing.T) {
	openFixture(t, func(t *testing.T, db *sqlstore.DB, ids fixtureIDs) {
		// Only coverage (0.75) and audit completeness (0.875) count, 3 to 1:
		// 100 × (3 × 0.75 + 1 × 0.875) / 4 = 78.125 -> 78.1.
		s := fixtureService(t, db, compliance.Options{Weights: compliance.Weights{PolicyCoverage: 3, AuditCompleteness: 1}})
		got, err := s.Score(admin, compliance.ScoreRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Score != 78.1 || got.Components[0].MaxPoints != 75 || got.Components[0].Points != 56.25 ||
			got.Components[4].MaxPoints != 25 || got.Components[4].Points != 21.88 || got.Components[1].Points != 0 {
			t.Errorf("weighted score %v: %+v", got.Score, got.Components)
		}
		_, err = compliance.New(db, compliance.Options{Weights: compliance.Weights{PolicyCoverage: -1, SSO: 2}})
		if keeptrail.ErrorCode(err) != keeptrail.EINVALID || err.Error() != "weights.policy_coverage: must be a number from 0 to 1000000000, not -1" {
			t.Errorf("negative weight: %v", err)
		}
		err = compliance.Weights{}.Validate("score.weights.")
		if err == nil || err.Error() != "score.weights.*: at least one weight must be more than 0" {
			t.Errorf("all weights 0: %v", err)
		}
	})
}

// TestScoreAuditChain checks the audit log completeness component when the chain breaks:
// an edit of the newest verified entry or of a later one is seen by the next score; an
// edit further back by the next full verification.
func TestScoreAuditChain(t *testing.T) {
	openFixture(t, func(t *testing.T, db *sqlstore.DB, ids fixtureIDs) {
		s := fixtureService(t, db, compliance.Options{})
		score := func() compliance.Score {
			t.Helper()
			got, err := s.Score(admin, compliance.ScoreRequest{})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if got := score(); got.Score != 70.4 {
			t.Fatalf("score before tampering: %v", got.Score)
		}
		tamper := func(seq int) {
			t.Helper()
			if _, err := db.SQL().ExecContext(context.Background(), "UPDATE audit_entries SET actor = 'mallory' WHERE seq = "+strconv.Itoa(seq)); err != nil {
				t.Fatal(err)
			}
		}
		tamper(2)
		if got := score(); got.Score != 70.4 {
			t.Errorf("score after an edit behind the verified head: %v, want 70.4 until the full verification", got.Score)
		}
		intact, err := s.VerifyAuditLog(context.Background())
		if err != nil || intact {
			t.Fatalf("VerifyAuditLog = %v, %v; want broken", intact, err)
		}
		got := score()
		// The component is 0: 70.41667 - 8.75 = 61.66667 -> 61.7.
		want := compliance.Component{Name: "audit_completeness", Weight: 10, MaxPoints: 10, Ratio: 0, Points: 0,
			Counts: counts("chain_intact", 0, "first_bad_seq", 2, "complete_hours", 21, "hours", 24),
			Note:   "the audit log's hash chain is broken at seq 2: counted as 0"}
		wantJSON(t, "audit component", got.Components[4], want)
		wantJSON(t, "improvements", got.Improvements, []compliance.Improvement{
			// + 8.75 = 70.41667 -> 70.4
			{Change: "restore the audit log so that its hash chain verifies (it breaks at seq 2)", Component: "audit_completeness", Gain: 8.7, ScoreAfter: 70.4},
			// + 6.25 = 67.91667 -> 67.9
			{Change: "assign an active policy to gw-rad-2", Component: "policy_coverage", Gain: 6.2, ScoreAfter: 67.9},
			{Change: "deploy configuration version 2 to gw-pay-2", Component: "configuration_currency", Gain: 5, ScoreAfter: 66.7},
		})
		if got.Score != 61.7 {
			t.Errorf("score with a broken chain = %v, want 61.7", got.Score)
		}
	})
	openFixture(t, func(t *testing.T, db *sqlstore.DB, ids fixtureIDs) {
		s := fixtureService(t, db, compliance.Options{})
		if _, err := s.Score(admin, compliance.ScoreRequest{}); err != nil {
			t.Fatal(err)
		}
		// The newest verified entry: caught by the next score.
		if _, err := db.SQL().ExecContext(context.Background(), "UPDATE audit_entries SET action = 'x' WHERE seq = 5"); err != nil {
			t.Fatal(err)
		}
		got, err := s.Score(admin, compliance.ScoreRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Components[4].Counts["first_bad_seq"] != 5 || got.Score != 61.7 {
			t.Errorf("edit of the verified head: %v, %+v", got.Score, got.Components[4])
		}
	})
}
