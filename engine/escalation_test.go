package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
)

// TestEscalationStateMachine checks every action from every state: the resulting state,
// or ECONFLICT naming the state, and the audit entry of each allowed step.
func TestEscalationStateMachine(t *testing.T) {
	type act struct {
		name   string
		audit  string
		run    func(x *env, ctx context.Context, id int64) (keeptrail.Escalation, error)
		status keeptrail.EscalationStatus // after success
		asgn   string                     // assignee after success, for an escalation that had none
	}
	claim := act{"claim", "escalation.claimed", func(x *env, ctx context.Context, id int64) (keeptrail.Escalation, error) {
		return x.e.ClaimEscalation(ctx, id)
	}, keeptrail.EscalationClaimed, "cora@acme.example"}
	reassign := act{"reassign", "escalation.reassigned", func(x *env, ctx context.Context, id int64) (keeptrail.Escalation, error) {
		return x.e.ReassignEscalation(ctx, id, "bob@acme.example")
	}, keeptrail.EscalationClaimed, "bob@acme.example"}
	resolve := act{"resolve", "escalation.resolved", func(x *env, ctx context.Context, id int64) (keeptrail.Escalation, error) {
		return x.e.ResolveEscalation(ctx, id, "approved", "checked with the requester")
	}, keeptrail.EscalationResolved, "cora@acme.example"}

	cases := []struct {
		from keeptrail.EscalationStatus
		act  act
		ok   bool
	}{
		{keeptrail.EscalationOpen, claim, true},
		{keeptrail.EscalationOpen, reassign, true},
		{keeptrail.EscalationOpen, resolve, true},
		{keeptrail.EscalationClaimed, claim, false},
		{keeptrail.EscalationClaimed, reassign, true},
		{keeptrail.EscalationClaimed, resolve, true},
		{keeptrail.EscalationResolved, claim, false},
		{keeptrail.EscalationResolved, reassign, false},
		{keeptrail.EscalationResolved, resolve, false},
		{keeptrail.EscalationExpired, claim, false},
		{keeptrail.EscalationExpired, reassign, false},
		{keeptrail.EscalationExpired, resolve, false},
	}
	each(t, func(t *testing.T, x *env) {
		ctx := as(x.officer())
		for _, c := range cases {
			t.Run(string(c.from)+"/"+c.act.name, func(t *testing.T) {
				x.t = t
				es := x.escalation(x.gwPay, c.from)
				seq := x.head()
				got, err := c.act.run(x, ctx, es.ID)
				if !c.ok {
					wantCode(t, err, keeptrail.ECONFLICT)
					if !strings.Contains(err.Error(), fmt.Sprintf("escalation %d is %s", es.ID, c.from)) {
						t.Fatalf("conflict message %q does not name the state", err)
					}
					x.expect(t, seq)
					return
				}
				wantCode(t, err, "")
				if got.Status != c.act.status || got.Assignee != c.act.asgn {
					t.Fatalf("after %s: status %s assignee %q", c.act.name, got.Status, got.Assignee)
				}
				stored, err := x.e.Escalation(ctx, es.ID)
				wantCode(t, err, "")
				if stored.Status != c.act.status || len(stored.Actions) != 1 || stored.Actions[0].Actor != "cora@acme.example" ||
					!stored.Actions[0].At.Equal(start) {
					t.Fatalf("stored escalation %+v", stored)
				}
				x.expect(t, seq, entry{"cora@acme.example", c.act.audit, "escalation", team(x.payments.ID),
					fmt.Sprintf("escalation:%d", es.ID), "low", "success", ""})
			})
		}

		es := x.escalation(x.gwPay, keeptrail.EscalationOpen)
		_, err := x.e.ResolveEscalation(ctx, es.ID, "shrug", "")
		wantFields(t, err, "outcome")
		_, err = x.e.ReassignEscalation(ctx, es.ID, "  ")
		wantFields(t, err, "assignee")
		_, err = x.e.ClaimEscalation(ctx, 999999)
		wantCode(t, err, keeptrail.ENOTFOUND)

		seq := x.head()
		x.clock.Add(5 * time.Hour) // past the 4 h SLA
		r, err := x.e.ResolveEscalation(ctx, es.ID, "false_positive", "")
		wantCode(t, err, "")
		if r.ResolvedAt == nil || !r.ResolvedAt.Equal(start.Add(5*time.Hour)) || r.Outcome != "false_positive" {
			t.Fatalf("resolved %+v", r)
		}
		x.expect(t, seq, entry{"cora@acme.example", "escalation.resolved", "escalation", team(x.payments.ID),
			fmt.Sprintf("escalation:%d", es.ID), "low", "success",
			`{"assignee":"cora@acme.example","outcome":"false_positive","severity":"high","status":{"after":"resolved","before":"open"},"within_sla":false}`})
	})
}

// TestExpireEscalations checks that the job expires exactly the open and claimed
// escalations past their expiry, one audit entry each.
func TestExpireEscalations(t *testing.T) {
	each(t, func(t *testing.T, x *env) {
		ctx := keeptrail.NewContextWithPrincipal(context.Background(), keeptrail.SystemPrincipal("escalation-expiry"))
		open := x.escalation(x.gwPay, keeptrail.EscalationOpen)
		claimed := x.escalation(x.gwRes, keeptrail.EscalationClaimed)
		resolved := x.escalation(x.gwPay, keeptrail.EscalationResolved)
		x.clock.Add(time.Hour)
		later := x.escalation(x.gwPay, keeptrail.EscalationOpen) // expires an hour after the others

		x.clock.Set(start.Add(28 * time.Hour)) // exactly the first ones' expiry: not before it
		n, err := x.e.ExpireEscalations(ctx)
		if err != nil || n != 0 {
			t.Fatalf("at expiry: %d, %v", n, err)
		}
		x.clock.Add(time.Microsecond)
		seq := x.head()
		n, err = x.e.ExpireEscalations(ctx)
		if err != nil || n != 2 {
			t.Fatalf("expired %d, %v; want 2", n, err)
		}
		x.expect(t, seq,
			entry{"system:escalation-expiry", "escalation.expired", "escalation", team(x.payments.ID), fmt.Sprintf("escalation:%d", open.ID), "high", "success",
				`{"assignee":"","severity":"high","status":{"after":"expired","before":"open"}}`},
			entry{"system:escalation-expiry", "escalation.expired", "escalation", team(x.research.ID), fmt.Sprintf("escalation:%d", claimed.ID), "high", "success",
				`{"assignee":"","severity":"high","status":{"after":"expired","before":"claimed"}}`})
		admin := x.asAdmin()
		for id, want := range map[int64]keeptrail.EscalationStatus{open.ID: keeptrail.EscalationExpired, claimed.ID: keeptrail.EscalationExpired,
			resolved.ID: keeptrail.EscalationResolved, later.ID: keeptrail.EscalationOpen} {
			es, err := x.e.Escalation(admin, id)
			wantCode(t, err, "")
			if es.Status != want {
				t.Fatalf("escalation %d is %s, want %s", id, es.Status, want)
			}
		}
		n, err = x.e.ExpireEscalations(ctx)
		if err != nil || n != 0 {
			t.Fatalf("second run expired %d, %v", n, err)
		}
		n, err = x.e.ExpireEscalations(as(x.teamAdmin()))
		wantCode(t, err, keeptrail.EFORBIDDEN)
	})
}
