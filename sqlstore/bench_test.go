package sqlstore_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	keeptrail "github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// benchBatch is the batch size of the ingest path (ingest.Options.BatchSize default).
const benchBatch = 1000

// sequentialIDs switches the benchmark's request ids from random (UUID-like) to ordered.
var sequentialIDs = false

func requestID(k int) string {
	if sequentialIDs {
		return fmt.Sprintf("r-%09d", k)
	}
	return fmt.Sprintf("%08x-4b1c-9e2f-%04x-%012x", k*2654435761&0xffffffff, k&0xffff, k)
}

// benchEvents returns a batch of realistic, distinct decision events for batch number n.
func benchEvents(n int, gatewayID, teamID int64) []keeptrail.DecisionEvent {
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	models := []string{"gpt-4o", "claude-3-5-sonnet", "llama-3.1-70b"}
	decisions := []keeptrail.Decision{keeptrail.DecisionAllowed, keeptrail.DecisionAllowed, keeptrail.DecisionAllowed, keeptrail.DecisionBlocked}
	events := make([]keeptrail.DecisionEvent, benchBatch)
	for i := range events {
		k := n*benchBatch + i
		e := keeptrail.DecisionEvent{
			RequestID: requestID(k),
			Time:      base.Add(time.Duration(k) * 7 * time.Second), GatewayID: gatewayID, TeamID: teamID,
			User: "user" + strconv.Itoa(k%500) + "@acme.example", Model: models[k%len(models)],
			Decision: decisions[k%len(decisions)], Severity: keeptrail.Severities[k%4], PoliciesEvaluated: 3 + k%4,
			LatencyMS: int64(20 + k%180), TokensIn: int64(200 + k%3000), TokensOut: int64(k % 900), CostUSD: float64(k%1000) / 10000,
		}
		if e.Decision == keeptrail.DecisionBlocked {
			e.RulesMatched, e.Categories = []string{"pii.ssn"}, []string{"pii"}
		}
		events[i] = e
	}
	return events
}

// BenchmarkInsertEvents measures the ingest hot path: one Update per batch of 1000 new
// decision events, as the ingest API does it.
func BenchmarkInsertEvents(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		for _, ids := range []string{"random-ids", "sequential-ids"} {
			b.Run(name+"/"+ids, func(b *testing.B) {
				var db *sqlstore.DB
				if name == "sqlite" {
					db = testdb.SQLite(b)
				} else {
					db = testdb.Postgres(b)
				}
				sequentialIDs = ids == "sequential-ids"
				benchInsert(b, db)
			})
		}
	}
}

func benchInsert(b *testing.B, db *sqlstore.DB) {
	ctx := context.Background()
	var gw keeptrail.Gateway
	if err := db.Update(ctx, func(tx keeptrail.Tx) error {
		team, _, err := tx.EnsureTeam("payments")
		if err != nil {
			return err
		}
		gw, _, err = tx.EnsureGateway("gw-eu-1", team.ID)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		b.StopTimer()
		events := benchEvents(n, gw.ID, gw.TeamID)
		b.StartTimer()
		err := db.Update(ctx, func(tx keeptrail.Tx) error {
			ins, err := tx.InsertEvents(events)
			if err == nil && len(ins) != len(events) {
				err = fmt.Errorf("inserted %d of %d", len(ins), len(events))
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "events/s")
}
