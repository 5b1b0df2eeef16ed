// Package storetest is the behaviour suite every keeptrail.Store must pass. The SQLite and
// PostgreSQL stores run it from their own tests (package sqlstore); it asserts exact values
// for every Tx method: round trips of each field, not-found and conflict errors, team
// scopes, event idempotency, the audit log's gap-free chain, rollbacks and snapshots.
package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	keeptrail "github.com/keeptrail/keeptrail"
)

// Run runs the suite. open returns a fresh, empty, migrated store for one subtest and
// arranges for it to be closed when the subtest ends; subtests run in parallel.
func Run(t *testing.T, open func(t *testing.T) keeptrail.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, st keeptrail.Store)
	}{
		{"Dialect", testDialect},
		{"Settings", testSettings},
		{"Teams", testTeams},
		{"Users", testUsers},
		{"APIKeys", testAPIKeys},
		{"Gateways", testGateways},
		{"Policies", testPolicies},
		{"ConfigurationVersions", testConfigurationVersions},
		{"Deployments", testDeployments},
		{"InsertEvents", testInsertEvents},
		{"InsertEventsLargeBatch", testInsertEventsLargeBatch},
		{"InsertHeartbeats", testInsertHeartbeats},
		{"Escalations", testEscalations},
		{"EscalationFilter", testEscalationFilter},
		{"AuditAppend", testAuditAppend},
		{"AuditEntriesRange", testAuditEntriesRange},
		{"AuditRollback", testAuditRollback},
		{"AuditConcurrent", testAuditConcurrent},
		{"AuditCheckpoints", testAuditCheckpoints},
		{"Wallets", testWallets},
		{"CostTickets", testCostTickets},
		{"AlertingRules", testAlertingRules},
		{"UpdateRollsBack", testUpdateRollsBack},
		{"EnsureConcurrent", testEnsureConcurrent},
		{"ViewSnapshot", testViewSnapshot},
		{"ViewReadOnly", testViewReadOnly},
		{"Now", testNow},
		{"Compliance", testCompliance},
		{"Exports", testExports},
		{"FrameworkTemplates", testFrameworkTemplates},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// zone is a non-UTC zone: times given in it must come back in UTC.
var zone = time.FixedZone("UTC+1", 3600)

// at returns a time in zone with nanoseconds that storage must truncate.
func at(day, hour, minute int) time.Time {
	return time.Date(2025, 2, day, hour, minute, 0, 123456789, zone)
}

// stored is what the store keeps of t: UTC, microseconds.
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func bg() context.Context { return context.Background() }

// errRollback is returned from an Update to roll it back.
var errRollback = errors.New("roll back on purpose")

func ptr[T any](v T) *T { return &v }

func update(t *testing.T, st keeptrail.Store, fn func(tx keeptrail.Tx) error) {
	t.Helper()
	if err := st.Update(context.Background(), fn); err != nil {
		t.Fatalf("update: %v", err)
	}
}

func view(t *testing.T, st keeptrail.Store, fn func(tx keeptrail.Tx) error) {
	t.Helper()
	if err := st.View(context.Background(), fn); err != nil {
		t.Fatalf("view: %v", err)
	}
}

// wantErr fails unless err has the code and exactly the message.
func wantErr(t *testing.T, err error, code, message string) {
	t.Helper()
	if got := keeptrail.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
	if err.Error() != message {
		t.Fatalf("error message = %q, want %q", err.Error(), message)
	}
}

func wantEqual[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

// fixture is a small organization most tests start from.
type fixture struct {
	teamA, teamB, teamC keeptrail.Team
	gwA, gwB            keeptrail.Gateway // in teams A and B
}

func newFixture(t *testing.T, st keeptrail.Store) fixture {
	t.Helper()
	var f fixture
	update(t, st, func(tx keeptrail.Tx) error {
		var err error
		for _, p := range []struct {
			name string
			team *keeptrail.Team
		}{{"alpha", &f.teamA}, {"bravo", &f.teamB}, {"charlie", &f.teamC}} {
			if *p.team, _, err = tx.EnsureTeam(p.name); err != nil {
				return err
			}
		}
		if f.gwA, _, err = tx.EnsureGateway("gw-a", f.teamA.ID); err != nil {
			return err
		}
		f.gwB, _, err = tx.EnsureGateway("gw-b", f.teamB.ID)
		return err
	})
	return f
}

// scopes are the team scopes the listing tests try, given the fixture.
func (f fixture) scopes() map[string]keeptrail.TeamScope {
	return map[string]keeptrail.TeamScope{
		"unrestricted": {},
		"A":            {TeamIDs: []int64{f.teamA.ID}},
		"B":            {TeamIDs: []int64{f.teamB.ID}},
		"A+B":          {TeamIDs: []int64{f.teamA.ID, f.teamB.ID}},
		"C":            {TeamIDs: []int64{f.teamC.ID}},
		"none":         {None: true},
		"empty":        {TeamIDs: []int64{}},
	}
}

func testDialect(t *testing.T, st keeptrail.Store) {
	if d := st.Dialect(); d != "sqlite" && d != "postgres" {
		t.Fatalf("Dialect() = %q, want sqlite or postgres", d)
	}
}

func testNow(t *testing.T, st keeptrail.Store) {
	var first, second time.Time
	update(t, st, func(tx keeptrail.Tx) error {
		first, second = tx.Now(), tx.Now()
		return nil
	})
	if !first.Equal(second) {
		t.Fatalf("Now() changed within a transaction: %v then %v", first, second)
	}
	if first.Location() != time.UTC || first.Nanosecond()%1000 != 0 {
		t.Fatalf("Now() = %v, want UTC with microsecond precision", first)
	}
	if first.IsZero() {
		t.Fatal("Now() is zero")
	}
}
