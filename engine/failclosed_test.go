package engine_test

import (
	"context"
	"testing"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/engine"
)

// TestFailClosed shows on the real databases that an action whose audit entry cannot be
// written fails and leaves nothing behind: with the audit table renamed away, creating a
// policy, claiming an escalation and signing in all fail, and no policy row exists.
func TestFailClosed(t *testing.T) {
	each(t, func(t *testing.T, x *env) {
		es := x.escalation(x.gwPay, keeptrail.EscalationOpen)
		x.user(keeptrail.RoleViewer) // user-1@acme.example
		sqlDB := x.db.SQL()
		if _, err := sqlDB.Exec("ALTER TABLE audit_entries RENAME TO audit_entries_gone"); err != nil {
			t.Fatal(err)
		}
		restored := false
		restore := func() {
			if !restored {
				restored = true
				if _, err := sqlDB.Exec("ALTER TABLE audit_entries_gone RENAME TO audit_entries"); err != nil {
					t.Fatal(err)
				}
			}
		}
		defer restore()

		ctx := x.asAdmin()
		_, err := x.e.CreatePolicy(ctx, engine.PolicyInput{Name: "unaudited", Kind: "pii", Team: "payments"})
		if err == nil {
			t.Fatal("CreatePolicy succeeded without its audit entry")
		}
		wantCode(t, err, keeptrail.EINTERNAL)
		_, err = x.e.ClaimEscalation(ctx, es.ID)
		wantCode(t, err, keeptrail.EINTERNAL)
		_, err = x.e.Login(context.Background(), "user-1@acme.example", "correct horse battery", "")
		wantCode(t, err, keeptrail.EINTERNAL)
		_, err = x.e.Authenticate(context.Background(), "kt_abcdefgh_"+"cccccccccccccccccccccccccccccccc", "")
		wantCode(t, err, keeptrail.EINTERNAL)
		restore()

		var policies int
		if err := sqlDB.QueryRow("SELECT COUNT(*) FROM policies WHERE name = 'unaudited'").Scan(&policies); err != nil {
			t.Fatal(err)
		}
		if policies != 0 {
			t.Fatalf("%d policy rows stored without an audit entry", policies)
		}
		got, err := x.e.Escalation(ctx, es.ID)
		wantCode(t, err, "")
		if got.Status != keeptrail.EscalationOpen || len(got.Actions) != 0 {
			t.Fatalf("escalation changed without an audit entry: %+v", got)
		}
		// With the table back the same action works and the log has no gap.
		seq := x.head()
		pol, err := x.e.CreatePolicy(ctx, engine.PolicyInput{Name: "unaudited", Kind: "pii", Team: "payments"})
		wantCode(t, err, "")
		x.expect(t, seq, entry{adminName, "policy.created", "configuration", team(x.payments.ID), policyTarget(pol.ID), "low", "success", ""})
		if x.since(seq)[0].Seq != seq+1 {
			t.Fatal("audit sequence skipped a number")
		}
	})
}
