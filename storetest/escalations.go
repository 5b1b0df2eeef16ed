package storetest

import (
	"fmt"
	"testing"
	"time"

	keeptrail "github.com/keeptrail/keeptrail"
)

// escalations stores one escalated event per (gateway, severity, opened) given and opens an
// escalation for each, returning them as created.
func openEscalations(t *testing.T, st keeptrail.Store, f fixture, specs []escalationSpec) []keeptrail.Escalation {
	t.Helper()
	events := make([]keeptrail.DecisionEvent, len(specs))
	for i, s := range specs {
		events[i] = f.event(fmt.Sprintf("esc-%d", i), i)
		events[i].Decision = keeptrail.DecisionEscalated
		events[i].Severity = s.severity
		events[i].GatewayID, events[i].TeamID = s.gateway.ID, s.gateway.TeamID
	}
	insertEvents(t, st, events)
	es := make([]keeptrail.Escalation, len(specs))
	for i, s := range specs {
		es[i] = keeptrail.Escalation{
			EventID: events[i].ID, RequestID: events[i].RequestID, GatewayID: s.gateway.ID, TeamID: s.gateway.TeamID,
			Severity: s.severity, OpenedAt: s.opened, SLADueAt: s.opened.Add(time.Hour), ExpiresAt: s.opened.Add(25 * time.Hour),
		}
	}
	update(t, st, func(tx keeptrail.Tx) error { return tx.CreateEscalations(es) })
	return es
}

type escalationSpec struct {
	gateway  keeptrail.Gateway
	severity keeptrail.Severity
	opened   time.Time
}

func testEscalations(t *testing.T, st keeptrail.Store) {
	f := newFixture(t, st)
	es := openEscalations(t, st, f, []escalationSpec{
		{f.gwA, keeptrail.SeverityCritical, at(3, 10, 0)},
		{f.gwB, keeptrail.SeverityLow, at(3, 11, 0)},
	})
	for i, e := range es {
		if e.ID == 0 || e.Status != keeptrail.EscalationOpen {
			t.Fatalf("escalation %d = %+v: want an ID and status open", i, e)
		}
	}
	wantEqual(t, "opened time", es[0].OpenedAt, stored(at(3, 10, 0)))
	wantEqual(t, "sla due time", es[0].SLADueAt, stored(at(3, 11, 0)))
	wantEqual(t, "expiry time", es[0].ExpiresAt, stored(at(4, 11, 0)))
	view(t, st, func(tx keeptrail.Tx) error {
		got, err := tx.Escalation(es[1].ID)
		if err != nil {
			return err
		}
		wantEqual(t, "Escalation", got, es[1])
		_, err = tx.Escalation(5150)
		wantErr(t, err, keeptrail.ENOTFOUND, "escalation 5150 not found")
		return nil
	})
	update(t, st, func(tx keeptrail.Tx) error {
		dup := []keeptrail.Escalation{es[0]}
		dup[0].ID = 0
		err := tx.CreateEscalations(dup)
		wantErr(t, err, keeptrail.ECONFLICT, fmt.Sprintf("escalation for event %d already exists", es[0].EventID))
		return nil
	})

	// Claim, reassign, resolve: each action stored, the escalation's state written.
	e := es[0]
	claim := keeptrail.EscalationAction{Action: keeptrail.EscalationClaim, Actor: "alice@acme.example", At: at(3, 10, 5), Assignee: "alice@acme.example"}
	reassign := keeptrail.EscalationAction{Action: keeptrail.EscalationReassign, Actor: "alice@acme.example", At: at(3, 10, 6), Assignee: "bob@acme.example", Note: "PHI: needs bob"}
	resolve := keeptrail.EscalationAction{Action: keeptrail.EscalationResolve, Actor: "bob@acme.example", Outcome: "false_positive", Note: "test data"}
	update(t, st, func(tx keeptrail.Tx) error {
		e.Status, e.Assignee = keeptrail.EscalationClaimed, "alice@acme.example"
		if err := tx.AddEscalationAction(&e, &claim); err != nil {
			return err
		}
		e.Assignee = "bob@acme.example"
		return tx.AddEscalationAction(&e, &reassign)
	})
	var resolvedAt time.Time
	update(t, st, func(tx keeptrail.Tx) error {
		resolvedAt = tx.Now()
		e.Status, e.ResolvedAt, e.Outcome = keeptrail.EscalationResolved, &resolvedAt, "false_positive"
		if err := tx.AddEscalationAction(&e, &resolve); err != nil {
			return err
		}
		missing := keeptrail.Escalation{ID: 6060, Status: keeptrail.EscalationExpired}
		err := tx.AddEscalationAction(&missing, &keeptrail.EscalationAction{Action: keeptrail.EscalationExpire, Actor: "system:expiry"})
		wantErr(t, err, keeptrail.ENOTFOUND, "escalation 6060 not found")
		return nil
	})
	for _, a := range []keeptrail.EscalationAction{claim, reassign, resolve} {
		if a.ID == 0 || a.EscalationID != e.ID {
			t.Fatalf("action %+v: want an ID and escalation %d", a, e.ID)
		}
	}
	wantEqual(t, "action time truncated", claim.At, stored(at(3, 10, 5)))
	wantEqual(t, "action time defaults to now", resolve.At, resolvedAt)
	e.Actions = []keeptrail.EscalationAction{claim, reassign, resolve}
	view(t, st, func(tx keeptrail.Tx) error {
		got, err := tx.Escalation(e.ID)
		if err != nil {
			return err
		}
		wantEqual(t, "escalation after actions", got, e)
		return nil
	})
}

func testEscalationFilter(t *testing.T, st keeptrail.Store) {
	f := newFixture(t, st)
	es := openEscalations(t, st, f, []escalationSpec{
		{f.gwA, keeptrail.SeverityCritical, at(3, 10, 0)}, // expires Feb 4 11:00
		{f.gwB, keeptrail.SeverityHigh, at(3, 9, 0)},      // expires Feb 4 10:00
		{f.gwA, keeptrail.SeverityLow, at(5, 9, 0)},       // expires Feb 6 10:00
		{f.gwB, keeptrail.SeverityMedium, at(6, 9, 0)},    // expires Feb 7 10:00
	})
	update(t, st, func(tx keeptrail.Tx) error {
		e := es[2]
		e.Status, e.Assignee = keeptrail.EscalationClaimed, "alice@acme.example"
		if err := tx.AddEscalationAction(&e, &keeptrail.EscalationAction{Action: keeptrail.EscalationClaim, Actor: "alice@acme.example"}); err != nil {
			return err
		}
		es[2] = e
		e = es[3]
		e.Status, e.ResolvedAt, e.Outcome = keeptrail.EscalationResolved, ptr(at(6, 9, 30)), "approved"
		if err := tx.AddEscalationAction(&e, &keeptrail.EscalationAction{Action: keeptrail.EscalationResolve, Actor: "bob@acme.example", Outcome: "approved"}); err != nil {
			return err
		}
		es[3] = e
		return nil
	})
	es[3].ResolvedAt = ptr(stored(at(6, 9, 30)))
	open := []keeptrail.EscalationStatus{keeptrail.EscalationOpen, keeptrail.EscalationClaimed}
	tests := []struct {
		name   string
		filter keeptrail.EscalationFilter
		want   []keeptrail.Escalation // oldest first
	}{
		{"all", keeptrail.EscalationFilter{}, []keeptrail.Escalation{es[1], es[0], es[2], es[3]}},
		{"team A", keeptrail.EscalationFilter{Scope: keeptrail.TeamScope{TeamIDs: []int64{f.teamA.ID}}}, []keeptrail.Escalation{es[0], es[2]}},
		{"teams A and B", keeptrail.EscalationFilter{Scope: keeptrail.TeamScope{TeamIDs: []int64{f.teamA.ID, f.teamB.ID}}}, []keeptrail.Escalation{es[1], es[0], es[2], es[3]}},
		{"team C", keeptrail.EscalationFilter{Scope: keeptrail.TeamScope{TeamIDs: []int64{f.teamC.ID}}}, nil},
		{"no team", keeptrail.EscalationFilter{Scope: keeptrail.TeamScope{None: true}}, nil},
		{"empty team list", keeptrail.EscalationFilter{Scope: keeptrail.TeamScope{TeamIDs: []int64{}}}, nil},
		{"open", keeptrail.EscalationFilter{Statuses: []keeptrail.EscalationStatus{keeptrail.EscalationOpen}}, []keeptrail.Escalation{es[1], es[0]}},
		{"open or claimed", keeptrail.EscalationFilter{Statuses: open}, []keeptrail.Escalation{es[1], es[0], es[2]}},
		{"resolved", keeptrail.EscalationFilter{Statuses: []keeptrail.EscalationStatus{keeptrail.EscalationResolved}}, []keeptrail.Escalation{es[3]}},
		{"expired", keeptrail.EscalationFilter{Statuses: []keeptrail.EscalationStatus{keeptrail.EscalationExpired}}, nil},
		{"expires before Feb 4 10:30", keeptrail.EscalationFilter{ExpiresBefore: at(4, 10, 30)}, []keeptrail.Escalation{es[1]}},
		{"expires before exactly the expiry is exclusive", keeptrail.EscalationFilter{ExpiresBefore: es[1].ExpiresAt}, nil},
		{"expiry job", keeptrail.EscalationFilter{Statuses: open, ExpiresBefore: at(8, 0, 0)}, []keeptrail.Escalation{es[1], es[0], es[2]}},
		{"limit", keeptrail.EscalationFilter{Limit: 2}, []keeptrail.Escalation{es[1], es[0]}},
		{"team B open, limit 1", keeptrail.EscalationFilter{Scope: keeptrail.TeamScope{TeamIDs: []int64{f.teamB.ID}}, Statuses: open, Limit: 1}, []keeptrail.Escalation{es[1]}},
	}
	view(t, st, func(tx keeptrail.Tx) error {
		for _, tc := range tests {
			got, err := tx.Escalations(tc.filter)
			if err != nil {
				return err
			}
			wantEqual(t, "Escalations("+tc.name+")", got, tc.want)
		}
		return nil
	})
}
