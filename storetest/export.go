package storetest

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	keeptrail "github.com/keeptrail/keeptrail"
)

// testExports runs the export readers and the export job queue cases on one store each.
func testExports(t *testing.T, st keeptrail.Store) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, st keeptrail.Store)
	}{
		{"DecisionEvents", testExportDecisionEvents},
		{"AuditEntries", testExportAuditEntries},
		{"Escalations", testExportEscalations},
		{"ConfigurationChanges", testExportConfigurationChanges},
		{"StopsAtCallbackError", testExportStops},
		{"SchemaVersion", testExportSchemaVersion},
		{"ParallelSnapshot", testExportParallelSnapshot},
		{"JobLifecycle", testExportJobLifecycle},
		{"JobLeases", testExportJobLeases},
		{"JobCancel", testExportJobCancel},
		{"JobConcurrentClaims", testExportJobConcurrentClaims},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, st) })
	}
}

// feb is the export test period: February 2025 in UTC, half-open.
var feb = keeptrail.ExportFilter{
	Start: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC),
	End:   time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC),
}

// with returns feb changed by fn.
func with(fn func(f *keeptrail.ExportFilter)) keeptrail.ExportFilter {
	f := feb
	fn(&f)
	return f
}

// exportedEvents reads the request ids an export of f yields and checks its count agrees.
func exportedEvents(t *testing.T, st keeptrail.Store, f keeptrail.ExportFilter) []string {
	t.Helper()
	var ids []string
	view(t, st, func(tx keeptrail.Tx) error {
		n, err := tx.CountDecisionEvents(f)
		if err != nil {
			return err
		}
		err = tx.ExportDecisionEvents(f, func(e *keeptrail.DecisionEventRow) error {
			ids = append(ids, e.RequestID)
			return nil
		})
		if int(n) != len(ids) {
			t.Fatalf("CountDecisionEvents = %d, ExportDecisionEvents read %d", n, len(ids))
		}
		return err
	})
	return ids
}

func testExportDecisionEvents(t *testing.T, st keeptrail.Store) {
	f := newFixture(t, st)
	base := time.Date(2025, 2, 3, 9, 0, 0, 0, time.UTC)
	mk := func(id string, at time.Time, gw keeptrail.Gateway, user string, d keeptrail.Decision, s keeptrail.Severity) keeptrail.DecisionEvent {
		e := f.event(id, 0)
		e.Time, e.GatewayID, e.TeamID, e.User, e.Decision, e.Severity = at, gw.ID, gw.TeamID, user, d, s
		return e
	}
	events := []keeptrail.DecisionEvent{
		// Inserted out of order; two share a time (ordered by team: A before B).
		mk("e-late", base.Add(2*time.Hour), f.gwA, "ann", keeptrail.DecisionAllowed, keeptrail.SeverityLow),
		mk("e-tie-1", base.Add(time.Hour), f.gwB, "bob", keeptrail.DecisionBlocked, keeptrail.SeverityHigh),
		mk("e-tie-2", base.Add(time.Hour), f.gwA, "ann", keeptrail.DecisionEscalated, keeptrail.SeverityCritical),
		mk("e-first", base, f.gwA, "cid", keeptrail.DecisionBlocked, keeptrail.SeverityMedium),
		mk("e-start", feb.Start, f.gwB, "ann", keeptrail.DecisionAllowed, keeptrail.SeverityLow),
		mk("e-end", feb.End, f.gwA, "ann", keeptrail.DecisionAllowed, keeptrail.SeverityLow),                             // excluded: end is exclusive
		mk("e-before", feb.Start.Add(-time.Microsecond), f.gwA, "ann", keeptrail.DecisionAllowed, keeptrail.SeverityLow), // excluded
	}
	insertEvents(t, st, events)

	var got []keeptrail.DecisionEventRow
	view(t, st, func(tx keeptrail.Tx) error {
		return tx.ExportDecisionEvents(feb, func(e *keeptrail.DecisionEventRow) error {
			got = append(got, *e)
			return nil
		})
	})
	want0 := events[4]
	wantEqual(t, "first exported row", got[0], keeptrail.DecisionEventRow{
		ID: want0.ID, RequestID: "e-start", Time: feb.Start, GatewayID: f.gwB.ID, TeamID: f.teamB.ID, User: "ann",
		Model: "gpt-4o", Decision: "allowed", Severity: "low", PoliciesEvaluated: 3,
		RulesMatched: `["pii.ssn","quote\"rule"]`, Categories: `["pii","ünïcode"]`, LatencyMS: 42, TokensIn: 512,
		TokensOut: 7, CostUSD: 0.0031,
	})
	cases := []struct {
		name string
		f    keeptrail.ExportFilter
		want []string
	}{
		{"period in time order", feb, []string{"e-start", "e-first", "e-tie-2", "e-tie-1", "e-late"}},
		{"team A", with(func(x *keeptrail.ExportFilter) { x.Scope = keeptrail.TeamScope{TeamIDs: []int64{f.teamA.ID}} }),
			[]string{"e-first", "e-tie-2", "e-late"}},
		{"team C", with(func(x *keeptrail.ExportFilter) { x.Scope = keeptrail.TeamScope{TeamIDs: []int64{f.teamC.ID}} }), nil},
		{"no team", with(func(x *keeptrail.ExportFilter) { x.Scope = keeptrail.TeamScope{None: true} }), nil},
		{"gateway B", with(func(x *keeptrail.ExportFilter) { x.GatewayIDs = []int64{f.gwB.ID} }), []string{"e-start", "e-tie-1"}},
		{"severity", with(func(x *keeptrail.ExportFilter) {
			x.Severities = []keeptrail.Severity{keeptrail.SeverityHigh, keeptrail.SeverityCritical}
		}), []string{"e-tie-2", "e-tie-1"}},
		{"users", with(func(x *keeptrail.ExportFilter) { x.Users = []string{"bob", "cid"} }), []string{"e-first", "e-tie-1"}},
		{"decisions", with(func(x *keeptrail.ExportFilter) { x.Decisions = []keeptrail.Decision{keeptrail.DecisionBlocked} }),
			[]string{"e-first", "e-tie-1"}},
		{"a filter value that looks like SQL", with(func(x *keeptrail.ExportFilter) { x.Users = []string{"' OR 1=1 --"} }), nil},
		{"all filters", with(func(x *keeptrail.ExportFilter) {
			x.Scope = keeptrail.TeamScope{TeamIDs: []int64{f.teamA.ID, f.teamB.ID}}
			x.GatewayIDs = []int64{f.gwA.ID}
			x.Users = []string{"ann"}
			x.Decisions = []keeptrail.Decision{keeptrail.DecisionEscalated, keeptrail.DecisionAllowed}
			x.Severities = []keeptrail.Severity{keeptrail.SeverityCritical}
		}), []string{"e-tie-2"}},
		{"one microsecond", with(func(x *keeptrail.ExportFilter) { x.Start, x.End = base, base.Add(time.Microsecond) }),
			[]string{"e-first"}},
	}
	for _, c := range cases {
		wantEqual(t, c.name, exportedEvents(t, st, c.f), c.want)
	}
}

func testExportAuditEntries(t *testing.T, st keeptrail.Store) {
	f := newFixture(t, st)
	type entry struct {
		actor, action, category string
		team                    *int64
		sev                     keeptrail.Severity
		at                      time.Time
	}
	day := time.Date(2025, 2, 10, 8, 0, 0, 0, time.UTC)
	entries := []entry{
		{"ann", "auth.login", keeptrail.CategoryAuthentication, nil, keeptrail.SeverityLow, day},
		{"bob", "policy.updated", keeptrail.CategoryConfiguration, &f.teamA.ID, keeptrail.SeverityMedium, day.Add(time.Minute)},
		{"ann", "export.requested", keeptrail.CategoryExport, &f.teamB.ID, keeptrail.SeverityLow, day.Add(2 * time.Minute)},
		{"cid", "auth.login_failed", keeptrail.CategoryAuthentication, &f.teamA.ID, keeptrail.SeverityHigh, day.Add(3 * time.Minute)},
		{"ann", "auth.login", keeptrail.CategoryAuthentication, nil, keeptrail.SeverityLow, feb.End},
	}
	update(t, st, func(tx keeptrail.Tx) error {
		for _, e := range entries {
			a := keeptrail.AuditEntry{Time: e.at, ActorKind: keeptrail.ActorUser, Actor: e.actor, Action: e.action,
				Category: e.category, TeamID: e.team, Severity: e.sev, Outcome: "success", Details: json.RawMessage(`{"k": 1}`)}
			if err := tx.AppendAudit(&a); err != nil {
				return err
			}
		}
		return nil
	})
	teamA := f.teamA.ID
	read := func(f keeptrail.ExportFilter) []int64 {
		var seqs []int64
		view(t, st, func(tx keeptrail.Tx) error {
			n, err := tx.CountAuditEntries(f)
			if err != nil {
				return err
			}
			err = tx.ExportAuditEntries(f, func(e *keeptrail.AuditEntry) error {
				seqs = append(seqs, e.Seq)
				if e.Seq == 2 {
					wantEqual(t, "entry 2 team", *e.TeamID, teamA)
					wantEqual(t, "entry 2 details", string(e.Details), `{"k":1}`)
					if e.Hash == "" || e.PrevHash == "" || e.Actor != "bob" || !e.Time.Equal(day.Add(time.Minute)) {
						t.Fatalf("entry 2 read back as %+v", e)
					}
				}
				return nil
			})
			if int(n) != len(seqs) {
				t.Fatalf("CountAuditEntries = %d, ExportAuditEntries read %d", n, len(seqs))
			}
			return err
		})
		return seqs
	}
	wantEqual(t, "unrestricted", read(feb), []int64{1, 2, 3, 4})
	wantEqual(t, "team A: no organization-wide entries", read(with(func(x *keeptrail.ExportFilter) {
		x.Scope = keeptrail.TeamScope{TeamIDs: []int64{f.teamA.ID}}
	})), []int64{2, 4})
	wantEqual(t, "actor and category", read(with(func(x *keeptrail.ExportFilter) {
		x.Users = []string{"ann"}
		x.Categories = []string{keeptrail.CategoryAuthentication}
	})), []int64{1})
	wantEqual(t, "actions and severity", read(with(func(x *keeptrail.ExportFilter) {
		x.Actions = []string{"auth.login_failed", "policy.updated"}
		x.Severities = []keeptrail.Severity{keeptrail.SeverityHigh}
	})), []int64{4})
	wantEqual(t, "empty scope", read(with(func(x *keeptrail.ExportFilter) { x.Scope = keeptrail.TeamScope{None: true} })), []int64(nil))
}

func testExportEscalations(t *testing.T, st keeptrail.Store) {
	f := newFixture(t, st)
	// More than one page of escalations (500), with actions on some, to cross pages.
	const n = 1203
	specs := make([]escalationSpec, n)
	base := time.Date(2025, 2, 4, 0, 0, 0, 0, time.UTC)
	for i := range specs {
		gw, sev := f.gwA, keeptrail.SeverityHigh
		if i%3 == 0 {
			gw, sev = f.gwB, keeptrail.SeverityLow
		}
		// Runs of 7 share an opened time, so order falls back to the team, then the id.
		specs[i] = escalationSpec{gw, sev, base.Add(time.Duration(i-i%7) * time.Minute)}
	}
	es := openEscalations(t, st, f, specs)
	update(t, st, func(tx keeptrail.Tx) error {
		for _, i := range []int{0, 499, 500, 1202} {
			e := &es[i]
			e.Status, e.Assignee = keeptrail.EscalationClaimed, "ann"
			if err := tx.AddEscalationAction(e, &keeptrail.EscalationAction{Action: keeptrail.EscalationClaim, Actor: "ann", At: base}); err != nil {
				return err
			}
			e.Status, e.Outcome, e.ResolvedAt = keeptrail.EscalationResolved, "approved", ptr(base.Add(time.Hour))
			if err := tx.AddEscalationAction(e, &keeptrail.EscalationAction{Action: keeptrail.EscalationResolve, Actor: "bob",
				At: base.Add(time.Hour), Outcome: "approved"}); err != nil {
				return err
			}
		}
		return nil
	})
	read := func(f keeptrail.ExportFilter) []keeptrail.Escalation {
		var out []keeptrail.Escalation
		view(t, st, func(tx keeptrail.Tx) error {
			c, err := tx.CountEscalations(f)
			if err != nil {
				return err
			}
			err = tx.ExportEscalations(f, func(e *keeptrail.Escalation) error {
				out = append(out, *e)
				return nil
			})
			if int(c) != len(out) {
				t.Fatalf("CountEscalations = %d, ExportEscalations read %d", c, len(out))
			}
			return err
		})
		return out
	}
	all := read(feb)
	if len(all) != n {
		t.Fatalf("read %d escalations, want %d", len(all), n)
	}
	want := slices.Clone(es)
	slices.SortFunc(want, func(a, b keeptrail.Escalation) int {
		return cmp.Or(a.OpenedAt.Compare(b.OpenedAt), cmp.Compare(a.TeamID, b.TeamID), cmp.Compare(a.ID, b.ID))
	})
	pos := map[int64]int{}
	for i, e := range all {
		if e.ID != want[i].ID {
			t.Fatalf("escalation %d is id %d, want %d (opened time, team, then id)", i, e.ID, want[i].ID)
		}
		pos[e.ID] = i
	}
	for _, k := range []int{0, 499, 500, 1202} {
		i := pos[es[k].ID]
		acts := all[i].Actions
		if len(acts) != 2 || acts[0].Action != "claim" || acts[1].Action != "resolve" || acts[1].Outcome != "approved" {
			t.Fatalf("escalation %d actions = %+v", i, acts)
		}
		if all[i].Status != keeptrail.EscalationResolved {
			t.Fatalf("escalation %d status %q", i, all[i].Status)
		}
	}
	if acts := all[pos[es[1].ID]].Actions; len(acts) != 0 {
		t.Fatalf("escalation 1 has actions %+v", acts)
	}
	teamB := read(with(func(x *keeptrail.ExportFilter) { x.Scope = keeptrail.TeamScope{TeamIDs: []int64{f.teamB.ID}} }))
	if len(teamB) != 401 || teamB[0].ID != es[0].ID || teamB[400].ID != es[1200].ID {
		t.Fatalf("team B: %d escalations", len(teamB))
	}
	resolvedLow := read(with(func(x *keeptrail.ExportFilter) {
		x.Statuses = []keeptrail.EscalationStatus{keeptrail.EscalationResolved}
		x.Severities = []keeptrail.Severity{keeptrail.SeverityLow}
		x.GatewayIDs = []int64{f.gwB.ID}
	}))
	if len(resolvedLow) != 1 || resolvedLow[0].ID != es[0].ID {
		t.Fatalf("resolved low on gateway B: %+v", resolvedLow)
	}
}

func testExportConfigurationChanges(t *testing.T, st keeptrail.Store) {
	f := newFixture(t, st)
	t0 := time.Date(2025, 2, 5, 12, 0, 0, 0, time.UTC)
	var v1, v2 keeptrail.ConfigurationVersion
	var dA, dB, dUnknown keeptrail.Deployment
	update(t, st, func(tx keeptrail.Tx) error {
		v1 = keeptrail.ConfigurationVersion{Author: "ann", CreatedAt: t0, ChangeSummary: "first", Content: json.RawMessage(`{"a": 1}`),
			ValidationPassed: true, ValidationOutput: "ok"}
		if err := tx.CreateConfigurationVersion(&v1); err != nil {
			return err
		}
		v2 = keeptrail.ConfigurationVersion{Author: "bob", CreatedAt: t0.Add(time.Hour), ChangeSummary: "=cmd|' /C calc'!A0",
			Content: json.RawMessage(`{}`), ValidationPassed: false, ValidationOutput: "rule 3 unknown"}
		if err := tx.CreateConfigurationVersion(&v2); err != nil {
			return err
		}
		dA = keeptrail.Deployment{GatewayID: f.gwA.ID, Version: 1, DeployedAt: t0.Add(time.Hour), DeployedBy: "ann", Source: "api"}
		dB = keeptrail.Deployment{GatewayID: f.gwB.ID, Version: 2, DeployedAt: t0.Add(2 * time.Hour), DeployedBy: "gw-b", Source: "heartbeat"}
		dUnknown = keeptrail.Deployment{GatewayID: f.gwA.ID, Version: 9, DeployedAt: t0.Add(3 * time.Hour), DeployedBy: "gw-a", Source: "heartbeat"}
		for _, d := range []*keeptrail.Deployment{&dA, &dB, &dUnknown} {
			if err := tx.CreateDeployment(d); err != nil {
				return err
			}
		}
		return nil
	})
	read := func(f keeptrail.ExportFilter) []keeptrail.ConfigurationChange {
		var out []keeptrail.ConfigurationChange
		view(t, st, func(tx keeptrail.Tx) error {
			n, err := tx.CountConfigurationChanges(f)
			if err != nil {
				return err
			}
			err = tx.ExportConfigurationChanges(f, func(c *keeptrail.ConfigurationChange) error {
				out = append(out, *c)
				return nil
			})
			if int(n) != len(out) {
				t.Fatalf("CountConfigurationChanges = %d, read %d", n, len(out))
			}
			return err
		})
		return out
	}
	yes, no := true, false
	wantEqual(t, "changelog", read(feb), []keeptrail.ConfigurationChange{
		{ID: v1.ID, Time: t0, Change: "version_created", Version: 1, Author: "ann", ChangeSummary: "first",
			ValidationPassed: &yes, ValidationOutput: "ok", Content: json.RawMessage(`{"a":1}`)},
		{ID: v2.ID, Time: t0.Add(time.Hour), Change: "version_created", Version: 2, Author: "bob",
			ChangeSummary: "=cmd|' /C calc'!A0", ValidationPassed: &no, ValidationOutput: "rule 3 unknown", Content: json.RawMessage(`{}`)},
		{ID: dA.ID, Time: t0.Add(time.Hour), Change: "deployed", Version: 1, GatewayID: f.gwA.ID, TeamID: f.teamA.ID,
			Author: "ann", ChangeSummary: "first", ValidationPassed: &yes, ValidationOutput: "ok", DeployedBy: "ann", Source: "api"},
		{ID: dB.ID, Time: t0.Add(2 * time.Hour), Change: "deployed", Version: 2, GatewayID: f.gwB.ID, TeamID: f.teamB.ID,
			Author: "bob", ChangeSummary: "=cmd|' /C calc'!A0", ValidationPassed: &no, ValidationOutput: "rule 3 unknown",
			DeployedBy: "gw-b", Source: "heartbeat"},
		{ID: dUnknown.ID, Time: t0.Add(3 * time.Hour), Change: "deployed", Version: 9, GatewayID: f.gwA.ID, TeamID: f.teamA.ID,
			DeployedBy: "gw-a", Source: "heartbeat"},
	})
	teamA := read(with(func(x *keeptrail.ExportFilter) { x.Scope = keeptrail.TeamScope{TeamIDs: []int64{f.teamA.ID}} }))
	if len(teamA) != 2 || teamA[0].ID != dA.ID || teamA[1].ID != dUnknown.ID {
		t.Fatalf("team A changelog (deployments only) = %+v", teamA)
	}
	gwB := read(with(func(x *keeptrail.ExportFilter) { x.GatewayIDs = []int64{f.gwB.ID} }))
	if len(gwB) != 1 || gwB[0].ID != dB.ID {
		t.Fatalf("gateway B changelog = %+v", gwB)
	}
	if got := read(with(func(x *keeptrail.ExportFilter) { x.Start, x.End = t0.Add(time.Hour), t0.Add(2*time.Hour) })); len(got) != 2 {
		t.Fatalf("one hour of changelog: %d rows, want 2", len(got))
	}
}

func testExportStops(t *testing.T, st keeptrail.Store) {
	f := newFixture(t, st)
	events := []keeptrail.DecisionEvent{f.event("s-1", 1), f.event("s-2", 2), f.event("s-3", 3)}
	april := keeptrail.ExportFilter{Start: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)}
	for i := range events {
		events[i].Time = april.Start.Add(time.Duration(i) * time.Hour)
	}
	insertEvents(t, st, events)
	stop := errors.New("stop here")
	calls := 0
	err := st.View(bg(), func(tx keeptrail.Tx) error {
		return tx.ExportDecisionEvents(april, func(*keeptrail.DecisionEventRow) error {
			calls++
			if calls == 2 {
				return stop
			}
			return nil
		})
	})
	if !errors.Is(err, stop) || calls != 2 {
		t.Fatalf("ExportDecisionEvents returned %v after %d calls; want the callback's error after 2", err, calls)
	}
	// The transaction is still usable after a stopped read.
	view(t, st, func(tx keeptrail.Tx) error {
		if err := tx.ExportDecisionEvents(april, func(*keeptrail.DecisionEventRow) error { return stop }); !errors.Is(err, stop) {
			return fmt.Errorf("first read: %v", err)
		}
		n, err := tx.CountDecisionEvents(april)
		if err != nil || n != 3 {
			return fmt.Errorf("count after a stopped read = %d, %v", n, err)
		}
		return nil
	})
}

func testExportSchemaVersion(t *testing.T, st keeptrail.Store) {
	view(t, st, func(tx keeptrail.Tx) error {
		v, err := tx.SchemaVersion()
		if err != nil {
			return err
		}
		var n int
		if _, err := fmt.Sscanf(v, "%04d_", &n); err != nil || n < 2 {
			t.Fatalf("SchemaVersion() = %q, want the latest migration, 0002_exports or later", v)
		}
		return nil
	})
}

// testExportParallelSnapshot: the transactions of ViewParallel see one snapshot, even
// while writers commit before, during and after they start.
func testExportParallelSnapshot(t *testing.T, st keeptrail.Store) {
	pv, ok := st.(keeptrail.ParallelViewer)
	if !ok {
		t.Skip("the store does not implement ParallelViewer")
	}
	f := newFixture(t, st)
	june := keeptrail.ExportFilter{Start: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)}
	next := 0
	insert := func(n int) error {
		events := make([]keeptrail.DecisionEvent, n)
		for i := range events {
			events[i] = f.event(fmt.Sprintf("par-%d", next), 0)
			events[i].Time = june.Start.Add(time.Duration(next) * time.Second)
			next++
		}
		return st.Update(bg(), func(tx keeptrail.Tx) error { _, err := tx.InsertEvents(events); return err })
	}
	if err := insert(10); err != nil {
		t.Fatal(err)
	}
	counts := func(txs []keeptrail.Tx) []int64 {
		out := make([]int64, len(txs))
		for i, tx := range txs {
			n, err := tx.CountDecisionEvents(june)
			if err != nil {
				t.Fatal(err)
			}
			out[i] = n
		}
		return out
	}
	err := pv.ViewParallel(bg(), 3, func(txs []keeptrail.Tx) error {
		if len(txs) != 3 || !txs[0].Now().Equal(txs[2].Now()) {
			t.Fatalf("ViewParallel gave %d transactions", len(txs))
		}
		// Writers are not blocked while the transactions run, and not seen by them.
		if err := insert(5); err != nil {
			return err
		}
		wantEqual(t, "counts in the parallel snapshot", counts(txs), []int64{10, 10, 10})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Under a writer committing all the time, every call's transactions agree.
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		var err error
		for err == nil {
			select {
			case <-stop:
				done <- nil
				return
			default:
				err = insert(3)
			}
		}
		done <- err
	}()
	for range 20 {
		err := pv.ViewParallel(bg(), 2, func(txs []keeptrail.Tx) error {
			var got [2]int64
			var wg sync.WaitGroup
			for i, tx := range txs {
				wg.Go(func() {
					n, err := tx.CountDecisionEvents(june)
					if err != nil {
						t.Error(err)
					}
					got[i] = n
				})
			}
			wg.Wait()
			if got[0] != got[1] {
				t.Errorf("parallel transactions counted %d and %d", got[0], got[1])
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
