package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/ingest"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// rehearsingStore runs every rerunnable Update function twice: first in a transaction
// it rolls back, then for real, as the SQLite group commit does when another call of the
// shared transaction fails. Other Update calls run once.
type rehearsingStore struct {
	keeptrail.Store
	rehearsals int
}

var errRehearsal = errors.New("rehearsal rolled back")

func (s *rehearsingStore) Update(ctx context.Context, fn func(keeptrail.Tx) error) error {
	if keeptrail.RerunnableUpdate(ctx) {
		s.rehearsals++
		err := s.Store.Update(ctx, func(tx keeptrail.Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			return errRehearsal
		})
		if !errors.Is(err, errRehearsal) {
			return err
		}
	}
	return s.Store.Update(ctx, fn)
}

// TestIngestBatchesRunTwiceCountOnce: ingest marks its batch writes rerunnable; run twice
// (the first run rolled back), every batch gives the result, rows, gateway state and audit
// entries of a single run: nothing of the rolled-back run is counted or cached.
func TestIngestBatchesRunTwiceCountOnce(t *testing.T) {
	events := lines(
		event("r-1", "2025-02-03T10:00:00Z", "gw-eu-1", "payments", "allowed", "low"),
		event("r-2", "2025-02-03T10:01:00Z", "gw-eu-1", "payments", "escalated", "high"),
		event("r-1", "2025-02-03T10:00:00Z", "gw-eu-1", "payments", "allowed", "low"),
		`{"request_id":"r-3"}`,
		event("r-4", "2025-02-03T10:02:00Z", "gw-us-1", "radiology", "blocked", "medium"),
		event("r-5", "2025-02-03T10:03:00Z", "gw-us-1", "radiology", "escalated", "critical"),
	)
	heartbeats := lines(
		`{"gateway":"gw-eu-1","time":"2025-02-03T10:00:00Z","config_version":11,"healthy":true}`,
		`{"gateway":"gw-new","team":"lab","time":"2025-02-03T10:05:00Z","config_version":2,"healthy":true}`,
		`{"gateway":"gw-eu-1","time":"2025-02-03T10:30:00Z","config_version":12,"healthy":false,"error_rate":0.5}`,
	)
	audit := lines(`{"time":"2025-02-03T10:00:00Z","actor":"idp","action":"auth.login","category":"authentication","severity":"low","outcome":"success","team":"payments"}`)

	type outcome struct {
		Results  []ingest.Result
		Counts   map[string]int
		Gateways []string
		Audit    []string
	}
	run := func(t *testing.T, db *sqlstore.DB, st keeptrail.Store) outcome {
		in := ingest.New(st, ingest.Options{BatchSize: 2})
		var o outcome
		for _, b := range []struct {
			kind ingest.Kind
			body string
		}{{ingest.KindEvents, events}, {ingest.KindHeartbeats, heartbeats}, {ingest.KindAudit, audit}, {ingest.KindEvents, events}} {
			o.Results = append(o.Results, mustIngest(t, in, b.kind, b.body))
		}
		o.Counts = map[string]int{}
		for _, table := range []string{"decision_events", "escalations", "heartbeats", "deployments", "teams", "gateways", "compliance_event_hours"} {
			o.Counts[table] = count(t, db, table)
		}
		for _, g := range view(t, db, func(tx keeptrail.Tx) ([]keeptrail.Gateway, error) { return tx.Gateways(keeptrail.TeamScope{}) }) {
			v := int64(0)
			if g.RunningVersion != nil {
				v = *g.RunningVersion
			}
			// Names, not ids: PostgreSQL does not give back the ids a rolled-back run took.
			team := view(t, db, func(tx keeptrail.Tx) (keeptrail.Team, error) { return tx.TeamByID(g.TeamID) })
			o.Gateways = append(o.Gateways, fmt.Sprintf("%s team=%s v=%d healthy=%v err=%v", g.Name, team.Name, v, g.Healthy, g.ErrorRate))
		}
		for _, e := range auditEntries(t, db) {
			o.Audit = append(o.Audit, fmt.Sprintf("%d %s %s %s", e.Seq, e.Action, e.Outcome, e.Details))
		}
		return o
	}
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		once := run(t, db, db)
		other := testdb.SQLite(t)
		if db.Dialect() == "postgres" {
			other = testdb.Postgres(t)
		}
		st := &rehearsingStore{Store: other}
		twice := run(t, other, st)
		if st.rehearsals == 0 {
			t.Fatal("no batch write was marked rerunnable")
		}
		if !reflect.DeepEqual(once, twice) {
			t.Fatalf("run twice differs from run once\n once  %+v\n twice %+v", once, twice)
		}
		if once.Results[0].Accepted != 4 || once.Results[0].Duplicates != 1 || once.Results[0].EscalationsOpened != 2 ||
			once.Results[2].Accepted != 1 || once.Results[3].Duplicates != 5 || once.Counts["escalations"] != 2 || once.Counts["deployments"] != 3 {
			t.Fatalf("unexpected outcome %+v", once)
		}
	})
}
