package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	keeptrail "github.com/keeptrail/keeptrail"
)

// testCompliance checks the compliance rollups: that InsertEvents and InsertHeartbeats
// keep them equal to the rows they store (duplicates and rolled-back inserts not
// counted), that every period and scope is counted exactly, whether it falls on whole
// days, whole hours or parts of hours, that a rebuild gives the same counts, and the
// snapshot and audit verification records.
func testCompliance(t *testing.T, st keeptrail.Store) {
	f := newFixture(t, st)
	view(t, st, func(tx keeptrail.Tx) error {
		pending, err := tx.ComplianceRollupsPending()
		if err != nil {
			return err
		}
		if pending {
			t.Fatal("a new database has its rollups pending")
		}
		return nil
	})

	events := complianceEvents(f)
	stored := insertEvents(t, st, events[:40])
	wantEqual(t, "inserted of the first batch", len(stored), 40)
	// The second batch repeats ten stored request ids with other values, and one of its
	// own: neither may count.
	second := slices.Clone(events[40:])
	for i := range 10 {
		d := events[i*3]
		d.Decision, d.Severity, d.PoliciesEvaluated = keeptrail.DecisionEscalated, keeptrail.SeverityCritical, 0
		second = append(second, d)
	}
	dup := second[0]
	dup.Decision = keeptrail.DecisionBlocked
	second = append(second, dup)
	got := insertEvents(t, st, second)
	wantEqual(t, "inserted of the second batch", len(got), len(events)-40)
	// A rolled-back insert leaves the rollups as they were.
	err := st.Update(bg(), func(tx keeptrail.Tx) error {
		extra := f.complianceEvent("rolled-back", at(4, 12, 0), f.gwA, f.teamA, keeptrail.DecisionBlocked, keeptrail.SeverityHigh, 2, "pii.ssn")
		if _, err := tx.InsertEvents([]keeptrail.DecisionEvent{extra}); err != nil {
			return err
		}
		if err := tx.InsertHeartbeats([]keeptrail.Heartbeat{{GatewayID: f.gwB.ID, Time: at(9, 9, 0)}}); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("rolled-back update: %v", err)
	}
	heartbeats := []keeptrail.Heartbeat{
		{GatewayID: f.gwB.ID, Time: at(3, 7, 5), Healthy: true},
		{GatewayID: f.gwB.ID, Time: at(3, 7, 50), Healthy: true},
		{GatewayID: f.gwB.ID, Time: at(5, 23, 10), Healthy: true},
		{GatewayID: f.gwA.ID, Time: at(3, 10, 0), Healthy: true},
	}
	update(t, st, func(tx keeptrail.Tx) error { return tx.InsertHeartbeats(heartbeats) })

	checkComplianceCounts(t, st, f, events, heartbeats)
	// A rebuild from the raw rows gives the same rollups.
	update(t, st, func(tx keeptrail.Tx) error { return tx.RebuildComplianceRollups() })
	checkComplianceCounts(t, st, f, events, heartbeats)

	testComplianceEscalations(t, st, f)
	testComplianceSnapshots(t, st)
	testAuditVerificationRecord(t, st)
}

// complianceEvent is a decision event for the rollup tests.
func (f fixture) complianceEvent(id string, when time.Time, gw keeptrail.Gateway, team keeptrail.Team, d keeptrail.Decision,
	sev keeptrail.Severity, policies int, rules ...string) keeptrail.DecisionEvent {
	return keeptrail.DecisionEvent{RequestID: id, Time: when, GatewayID: gw.ID, Gateway: gw.Name, TeamID: team.ID, Team: team.Name,
		Decision: d, Severity: sev, PoliciesEvaluated: policies, RulesMatched: rules}
}

// complianceEvents spreads events over three days (in zone UTC+1, so the UTC days and
// hours differ from the written ones), on both gateways, with gateway A also carrying team
// B's traffic, every decision and severity, events evaluated by no policy, and a rule
// listed twice by one event.
func complianceEvents(f fixture) []keeptrail.DecisionEvent {
	decisions := []keeptrail.Decision{keeptrail.DecisionAllowed, keeptrail.DecisionAllowed, keeptrail.DecisionBlocked, keeptrail.DecisionEscalated}
	rules := [][]string{nil, {"pii.ssn"}, {"pii.ssn", "phi.mrn"}, {"secrets.aws", "secrets.aws"}, {`quote"rule`}}
	var out []keeptrail.DecisionEvent
	for i := range 60 {
		gw, team := f.gwA, f.teamA
		switch i % 5 {
		case 1:
			gw, team = f.gwB, f.teamB
		case 3:
			team = f.teamB // gateway A carries team B's traffic too
		}
		when := at(3+i/20, (i*7)%24, (i*13)%60).Add(time.Duration(i) * time.Second)
		out = append(out, f.complianceEvent(fmt.Sprintf("c-%02d", i), when, gw, team, decisions[i%4],
			keeptrail.Severities[(i/2)%4], i%3, rules[i%5]...))
	}
	// A few in January and March, for periods of whole months.
	for i, when := range []time.Time{
		time.Date(2025, 1, 7, 3, 0, 0, 0, time.UTC), time.Date(2025, 1, 31, 23, 59, 59, 999999000, time.UTC),
		time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 2, 12, 45, 0, 0, time.UTC),
		time.Date(2025, 3, 31, 18, 0, 0, 0, time.UTC), time.Date(2025, 4, 1, 0, 30, 0, 0, time.UTC),
	} {
		out = append(out, f.complianceEvent(fmt.Sprintf("m-%d", i), when, f.gwB, f.teamB, decisions[i%4],
			keeptrail.Severities[i%4], i%2, rules[i%5]...))
	}
	return out
}

// checkComplianceCounts compares the store's counts with counts of the events and
// heartbeats made here, for periods of every shape and every scope of the fixture.
func checkComplianceCounts(t *testing.T, st keeptrail.Store, f fixture, events []keeptrail.DecisionEvent, hbs []keeptrail.Heartbeat) {
	t.Helper()
	utc := func(day, hour, minute, second int) time.Time {
		return time.Date(2025, 2, day, hour, minute, second, 0, time.UTC)
	}
	periods := []struct {
		name     string
		from, to time.Time
	}{
		{"everything", time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)},
		{"whole months", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)},
		{"months, days, hours and parts", time.Date(2025, 1, 7, 2, 59, 0, 0, time.UTC), time.Date(2025, 3, 2, 12, 45, 0, 1000, time.UTC)},
		{"days across a month's end", time.Date(2025, 1, 30, 0, 0, 0, 0, time.UTC), time.Date(2025, 2, 4, 0, 0, 0, 0, time.UTC)},
		{"the first week of February", utc(1, 0, 0, 0), utc(10, 0, 0, 0)},
		{"whole days", utc(3, 0, 0, 0), utc(5, 0, 0, 0)},
		{"whole hours across a day", utc(3, 17, 0, 0), utc(5, 4, 0, 0)},
		{"parts of hours across days", utc(3, 9, 17, 31), utc(5, 3, 42, 7)},
		{"inside one hour", utc(3, 10, 5, 0), utc(3, 10, 55, 0)},
		{"parts of two hours", utc(4, 6, 30, 0), utc(4, 7, 30, 0)},
		{"to the microsecond", stored(events[7].Time), stored(events[7].Time).Add(time.Microsecond)},
		{"nothing in it", utc(20, 0, 0, 0), utc(21, 0, 0, 0)},
		{"empty", utc(4, 0, 0, 0), utc(4, 0, 0, 0)},
	}
	scopes := f.scopes()
	gatewayFilters := map[string][]int64{"all gateways": nil, "gateway A": {f.gwA.ID}, "no gateway": {}}
	for _, p := range periods {
		for sname, scope := range scopes {
			for gname, gws := range gatewayFilters {
				flt := keeptrail.ComplianceFilter{From: p.from, To: p.to, Scope: scope, GatewayIDs: gws}
				what := p.name + ", scope " + sname + ", " + gname
				wantEvents, wantRules := countEvents(events, flt)
				view(t, st, func(tx keeptrail.Tx) error {
					gotEvents, err := tx.ComplianceEventCounts(flt)
					if err != nil {
						return err
					}
					gotRules, err := tx.ComplianceRuleCounts(flt)
					if err != nil {
						return err
					}
					wantEqual(t, "event counts, "+what, nonNilSlice(gotEvents), wantEvents)
					wantEqual(t, "rule counts, "+what, nonNilSlice(gotRules), wantRules)
					return nil
				})
			}
		}
	}

	// Gateway activity: the hours in which each gateway stored an event or a heartbeat.
	active := map[int64]map[int64]bool{} // hour -> gateway
	first := map[int64]time.Time{}
	mark := func(when time.Time, gw int64) {
		h := when.UTC().Truncate(time.Hour)
		if active[h.Unix()] == nil {
			active[h.Unix()] = map[int64]bool{}
		}
		active[h.Unix()][gw] = true
		if f, ok := first[gw]; !ok || h.Before(f) {
			first[gw] = h
		}
	}
	for _, e := range events {
		mark(e.Time, e.GatewayID)
	}
	for _, h := range hbs {
		mark(h.Time, h.GatewayID)
	}
	for _, gws := range [][]int64{nil, {f.gwA.ID}, {f.gwB.ID}, {f.gwA.ID, f.gwB.ID}, {}} {
		from, to := utc(3, 5, 0, 0), utc(5, 13, 0, 0)
		var want []keeptrail.GatewayHourCount
		for h := from; h.Before(to); h = h.Add(time.Hour) {
			var c keeptrail.GatewayHourCount
			for gw := range active[h.Unix()] {
				if gws == nil || slices.Contains(gws, gw) {
					c.Gateways++
					c.IDSum += gw
				}
			}
			if c.Gateways > 0 {
				c.Hour = h
				want = append(want, c)
			}
		}
		view(t, st, func(tx keeptrail.Tx) error {
			got, err := tx.ComplianceGatewayHours(keeptrail.ComplianceFilter{From: from, To: to, GatewayIDs: gws})
			if err != nil {
				return err
			}
			wantEqual(t, fmt.Sprintf("gateway hours of %v", gws), got, want)
			return nil
		})
	}
	view(t, st, func(tx keeptrail.Tx) error {
		got, err := tx.ComplianceFirstActivity(utc(10, 0, 0, 0))
		if err != nil {
			return err
		}
		wantEqual(t, "first activity", got, first)
		got, err = tx.ComplianceFirstActivity(first[f.gwB.ID])
		if err != nil {
			return err
		}
		want := map[int64]time.Time{}
		if first[f.gwA.ID].Before(first[f.gwB.ID]) {
			want[f.gwA.ID] = first[f.gwA.ID]
		}
		wantEqual(t, "first activity before gateway B's", got, want)
		return nil
	})
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// countEvents counts events the plain way, in the store's order.
func countEvents(events []keeptrail.DecisionEvent, f keeptrail.ComplianceFilter) ([]keeptrail.EventCount, []keeptrail.RuleCount) {
	type ek struct {
		team, gw int64
		s        keeptrail.Severity
	}
	type rk struct {
		team, gw int64
		rule     string
	}
	ec := map[ek]*keeptrail.EventCount{}
	rc := map[rk]*keeptrail.RuleCount{}
	for _, e := range events {
		tm := stored(e.Time)
		if tm.Before(f.From) || !tm.Before(f.To) || !f.Scope.Allows(e.TeamID) || (f.GatewayIDs != nil && !slices.Contains(f.GatewayIDs, e.GatewayID)) {
			continue
		}
		k := ek{e.TeamID, e.GatewayID, e.Severity}
		if ec[k] == nil {
			ec[k] = &keeptrail.EventCount{TeamID: e.TeamID, GatewayID: e.GatewayID, Severity: e.Severity}
		}
		ec[k].Requests++
		if e.PoliciesEvaluated >= 1 {
			ec[k].Enforced++
		}
		switch e.Decision {
		case keeptrail.DecisionBlocked:
			ec[k].Blocked++
		case keeptrail.DecisionEscalated:
			ec[k].Escalated++
		}
		seen := map[string]bool{}
		for _, r := range e.RulesMatched {
			if seen[r] {
				continue
			}
			seen[r] = true
			c := rc[rk{e.TeamID, e.GatewayID, r}]
			if c == nil {
				c = &keeptrail.RuleCount{TeamID: e.TeamID, GatewayID: e.GatewayID, Rule: r}
				rc[rk{e.TeamID, e.GatewayID, r}] = c
			}
			c.Matches++
			switch e.Decision {
			case keeptrail.DecisionBlocked:
				c.Blocked++
			case keeptrail.DecisionEscalated:
				c.Escalated++
			}
		}
	}
	events2 := []keeptrail.EventCount{}
	for _, c := range ec {
		events2 = append(events2, *c)
	}
	slices.SortFunc(events2, func(a, b keeptrail.EventCount) int {
		return cmp.Or(cmp.Compare(a.TeamID, b.TeamID), cmp.Compare(a.GatewayID, b.GatewayID), cmp.Compare(a.Severity, b.Severity))
	})
	rules := []keeptrail.RuleCount{}
	for _, c := range rc {
		rules = append(rules, *c)
	}
	slices.SortFunc(rules, func(a, b keeptrail.RuleCount) int {
		return cmp.Or(cmp.Compare(a.TeamID, b.TeamID), cmp.Compare(a.GatewayID, b.GatewayID), cmp.Compare(a.Rule, b.Rule))
	})
	return events2, rules
}

// testComplianceEscalations counts escalations due in a period and met within their SLA.
func testComplianceEscalations(t *testing.T, st keeptrail.Store, f fixture) {
	due := func(hour int) time.Time { return time.Date(2025, 3, 1, hour, 0, 0, 0, time.UTC) }
	resolvedAt := func(hour, minute int) *time.Time {
		t := time.Date(2025, 3, 1, hour, minute, 0, 0, time.UTC)
		return &t
	}
	specs := []struct {
		gw       keeptrail.Gateway
		team     keeptrail.Team
		due      time.Time
		status   keeptrail.EscalationStatus
		resolved *time.Time
	}{
		{f.gwA, f.teamA, due(10), keeptrail.EscalationResolved, resolvedAt(9, 59)},  // met
		{f.gwA, f.teamA, due(10), keeptrail.EscalationResolved, resolvedAt(10, 0)},  // met, exactly at the due time
		{f.gwA, f.teamA, due(11), keeptrail.EscalationResolved, resolvedAt(11, 1)},  // late
		{f.gwA, f.teamB, due(11), keeptrail.EscalationOpen, nil},                    // open past due
		{f.gwB, f.teamB, due(12), keeptrail.EscalationExpired, nil},                 // expired
		{f.gwB, f.teamB, due(12), keeptrail.EscalationClaimed, nil},                 // claimed, not resolved
		{f.gwB, f.teamB, due(13), keeptrail.EscalationResolved, resolvedAt(12, 30)}, // met
		{f.gwA, f.teamA, due(20), keeptrail.EscalationOpen, nil},                    // due after the periods below
	}
	var es []keeptrail.Escalation
	for i, s := range specs {
		es = append(es, keeptrail.Escalation{EventID: int64(9000 + i), RequestID: fmt.Sprintf("esc-%d", i), GatewayID: s.gw.ID,
			TeamID: s.team.ID, Severity: keeptrail.SeverityHigh, OpenedAt: s.due.Add(-time.Hour), SLADueAt: s.due,
			ExpiresAt: s.due.Add(time.Hour), Status: s.status, ResolvedAt: s.resolved})
	}
	update(t, st, func(tx keeptrail.Tx) error { return tx.CreateEscalations(es) })
	scopeB := keeptrail.TeamScope{TeamIDs: []int64{f.teamB.ID}}
	scopeA := keeptrail.TeamScope{TeamIDs: []int64{f.teamA.ID}}
	day := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		f    keeptrail.ComplianceFilter
		want keeptrail.EscalationSLACount
	}{
		{"all due by 14:00", keeptrail.ComplianceFilter{From: due(0), To: due(14)}, keeptrail.EscalationSLACount{Due: 7, Met: 3}},
		{"due from 11:00, before 13:00", keeptrail.ComplianceFilter{From: due(11), To: due(13)}, keeptrail.EscalationSLACount{Due: 4}},
		{"team B", keeptrail.ComplianceFilter{From: due(0), To: due(14), Scope: scopeB}, keeptrail.EscalationSLACount{Due: 4, Met: 1}},
		{"gateway B", keeptrail.ComplianceFilter{From: due(0), To: due(14), GatewayIDs: []int64{f.gwB.ID}}, keeptrail.EscalationSLACount{Due: 3, Met: 1}},
		{"no team", keeptrail.ComplianceFilter{From: due(0), To: due(14), Scope: keeptrail.TeamScope{None: true}}, keeptrail.EscalationSLACount{}},
		{"the whole day", keeptrail.ComplianceFilter{From: day, To: day.Add(24 * time.Hour)}, keeptrail.EscalationSLACount{Due: 8, Met: 3}},
		{"days around it", keeptrail.ComplianceFilter{From: day.Add(-48 * time.Hour), To: day.Add(50 * time.Hour)}, keeptrail.EscalationSLACount{Due: 8, Met: 3}},
		{"team A, the whole day", keeptrail.ComplianceFilter{From: day, To: day.Add(24 * time.Hour), Scope: scopeA}, keeptrail.EscalationSLACount{Due: 4, Met: 2}},
	}
	check := func(when string) {
		t.Helper()
		for _, tt := range tests {
			view(t, st, func(tx keeptrail.Tx) error {
				got, err := tx.ComplianceEscalationCounts(tt.f)
				if err != nil {
					return err
				}
				wantEqual(t, "escalations "+tt.name+", "+when, got, tt.want)
				return nil
			})
		}
	}
	settled := func(want time.Time) {
		t.Helper()
		view(t, st, func(tx keeptrail.Tx) error {
			got, err := tx.ComplianceEscalationsSettled()
			wantEqual(t, "settled until", got, want)
			return err
		})
	}
	settled(time.Time{})
	check("from the rows")
	// Settling 1 March moves its escalations into the daily rollup: same counts.
	update(t, st, func(tx keeptrail.Tx) error {
		return tx.SettleComplianceEscalations(day.Add(24*time.Hour + 5*time.Hour))
	})
	settled(day.Add(24 * time.Hour))
	check("settled")
	// An escalation stored after the settlement, due on the settled day: counted from its
	// row until the next settlement, then from the rollup.
	late := time.Date(2025, 3, 1, 14, 0, 0, 0, time.UTC)
	update(t, st, func(tx keeptrail.Tx) error {
		return tx.CreateEscalations([]keeptrail.Escalation{{EventID: 9100, RequestID: "esc-late", GatewayID: f.gwA.ID, TeamID: f.teamA.ID,
			Severity: keeptrail.SeverityLow, OpenedAt: due(9), SLADueAt: due(15), ExpiresAt: due(16), Status: keeptrail.EscalationResolved,
			ResolvedAt: &late}})
	})
	tests[5].want = keeptrail.EscalationSLACount{Due: 9, Met: 4}
	tests[6].want = tests[5].want
	tests[7].want = keeptrail.EscalationSLACount{Due: 5, Met: 3}
	check("with a late escalation")
	update(t, st, func(tx keeptrail.Tx) error { return tx.SettleComplianceEscalations(day.Add(24 * time.Hour)) })
	settled(day.Add(24 * time.Hour))
	check("with a late escalation settled")
	// A rebuild of the rollups settles again from nothing.
	update(t, st, func(tx keeptrail.Tx) error { return tx.RebuildComplianceRollups() })
	settled(time.Time{})
	check("after a rebuild")
}

// testComplianceSnapshots stores one snapshot per day and team, however often asked.
func testComplianceSnapshots(t *testing.T, st keeptrail.Store) {
	day := func(d int) time.Time { return time.Date(2025, 3, d, 0, 0, 0, 0, time.UTC) }
	view(t, st, func(tx keeptrail.Tx) error {
		_, ok, err := tx.LatestComplianceSnapshotDay()
		if err != nil {
			return err
		}
		if ok {
			t.Fatal("LatestComplianceSnapshotDay found a day in an empty history")
		}
		return nil
	})
	put := func(d int, team int64, score float64) bool {
		var created bool
		update(t, st, func(tx keeptrail.Tx) error {
			var err error
			created, err = tx.PutComplianceSnapshot(&keeptrail.ComplianceSnapshot{Day: day(d), TeamID: team, Score: score,
				Body: []byte(fmt.Sprintf(`{ "score": %v }`, score))})
			return err
		})
		return created
	}
	wantEqual(t, "first snapshot of day 2 stored", put(2, 0, 71.5), true)
	wantEqual(t, "second snapshot of day 2 stored", put(2, 0, 99), false)
	wantEqual(t, "team snapshot of day 2 stored", put(2, 7, 64.2), true)
	wantEqual(t, "snapshot of day 3 stored", put(3, 0, 72), true)
	wantEqual(t, "snapshot of day 1 stored", put(1, 7, 60), true)
	view(t, st, func(tx keeptrail.Tx) error {
		latest, ok, err := tx.LatestComplianceSnapshotDay()
		if err != nil {
			return err
		}
		wantEqual(t, "latest organization snapshot", []any{latest, ok}, []any{day(3), true})
		got, err := tx.ComplianceSnapshots(day(1), day(3), []int64{0, 7})
		if err != nil {
			return err
		}
		var summary []string
		for _, s := range got {
			summary = append(summary, fmt.Sprintf("%s team %d: %v %s", s.Day.Format(time.DateOnly), s.TeamID, s.Score, s.Body))
			if s.CreatedAt.IsZero() {
				t.Errorf("snapshot of %s has no creation time", s.Day)
			}
		}
		wantEqual(t, "snapshots of days 1-2", summary, []string{
			`2025-03-01 team 7: 60 {"score":60}`,
			`2025-03-02 team 0: 71.5 {"score":71.5}`,
			`2025-03-02 team 7: 64.2 {"score":64.2}`,
		})
		got, err = tx.ComplianceSnapshots(day(1), day(9), []int64{0})
		if err != nil {
			return err
		}
		wantEqual(t, "organization snapshots", len(got), 2)
		return nil
	})
}

// testAuditVerificationRecord round-trips the record of the audit log's verification.
func testAuditVerificationRecord(t *testing.T, st keeptrail.Store) {
	view(t, st, func(tx keeptrail.Tx) error {
		v, err := tx.AuditVerification()
		wantEqual(t, "audit verification before any", v, keeptrail.AuditVerification{})
		return err
	})
	for _, v := range []keeptrail.AuditVerification{
		{Seq: 12, Hash: "abc", CheckedAt: at(3, 10, 0)},
		{Seq: 12, Hash: "abc", FirstBadSeq: 5, CheckedAt: at(4, 10, 0)},
	} {
		update(t, st, func(tx keeptrail.Tx) error { return tx.PutAuditVerification(v) })
		view(t, st, func(tx keeptrail.Tx) error {
			got, err := tx.AuditVerification()
			v.CheckedAt = stored(v.CheckedAt)
			wantEqual(t, "audit verification", got, v)
			return err
		})
	}
}
