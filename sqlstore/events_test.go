package sqlstore_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	keeptrail "github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// The stored row of a decision event holds every field as sent: times in microseconds,
// string lists as compact JSON arrays (escaped where JSON needs it).
func TestInsertEventsStoredRow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		when := time.Date(2025, 2, 3, 10, 15, 0, 123456789, time.FixedZone("X", -5*3600))
		e := keeptrail.DecisionEvent{
			RequestID: "r-000017", Time: when, User: "alice@acme.example", Model: "gpt-4o",
			Decision: keeptrail.DecisionBlocked, Severity: keeptrail.SeverityHigh, PoliciesEvaluated: 3,
			RulesMatched: []string{"pii.ssn", `say "hi"\now`, "<b>&"}, Categories: []string{"pii", "ünï\tcode"},
			LatencyMS: 42, TokensIn: 512, TokensOut: 9, CostUSD: 0.0031,
		}
		if err := db.Update(ctx, func(tx keeptrail.Tx) error {
			team, _, err := tx.EnsureTeam("payments")
			if err != nil {
				return err
			}
			gw, _, err := tx.EnsureGateway("gw-eu-1", team.ID)
			if err != nil {
				return err
			}
			e.GatewayID, e.TeamID = gw.ID, team.ID
			_, err = tx.InsertEvents([]keeptrail.DecisionEvent{e, {RequestID: "r-000018", Time: when, GatewayID: gw.ID, TeamID: team.ID,
				Decision: keeptrail.DecisionAllowed, Severity: keeptrail.SeverityLow}})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		type row struct {
			requestID, user, model, decision, severity, rules, categories string
			at, gateway, team, latency, tokensIn, tokensOut               int64
			policies                                                      int
			cost                                                          float64
		}
		read := func(requestID string) row {
			var r row
			err := db.SQL().QueryRowContext(ctx, `SELECT request_id, occurred_at, gateway_id, team_id, user_name, model, decision,
severity, policies_evaluated, rules_matched, categories, latency_ms, tokens_in, tokens_out, cost_usd
FROM decision_events WHERE request_id = '`+requestID+`'`).Scan(&r.requestID, &r.at, &r.gateway, &r.team, &r.user, &r.model,
				&r.decision, &r.severity, &r.policies, &r.rules, &r.categories, &r.latency, &r.tokensIn, &r.tokensOut, &r.cost)
			if err != nil {
				t.Fatalf("read event %s: %v", requestID, err)
			}
			return r
		}
		got := read("r-000017")
		want := row{
			requestID: "r-000017", user: "alice@acme.example", model: "gpt-4o", decision: "blocked", severity: "high",
			rules: `["pii.ssn","say \"hi\"\\now","\u003cb\u003e\u0026"]`, categories: `["pii","ünï\tcode"]`,
			at: when.UnixMicro(), gateway: e.GatewayID, team: e.TeamID, latency: 42, tokensIn: 512, tokensOut: 9, policies: 3, cost: 0.0031,
		}
		if got != want {
			t.Fatalf("stored event:\n got  %+v\n want %+v", got, want)
		}
		var rules []string
		if err := json.Unmarshal([]byte(got.rules), &rules); err != nil || len(rules) != 3 || rules[1] != `say "hi"\now` || rules[2] != "<b>&" {
			t.Fatalf("rules_matched %s decodes to %q, %v", got.rules, rules, err)
		}
		empty := read("r-000018")
		if empty.rules != "[]" || empty.categories != "[]" || empty.user != "" || empty.model != "" {
			t.Fatalf("event without optional fields stored %+v", empty)
		}
	})
}

func TestInsertHeartbeatsStoredRows(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		when := time.Date(2025, 2, 3, 10, 15, 0, 999, time.UTC)
		enc := false
		hbs := []keeptrail.Heartbeat{
			{Time: when, ConfigVersion: new(int64), Healthy: true, ErrorRate: 0.25, TLSMinVersion: "1.3", EncryptionAtRest: &enc},
			{Time: when.Add(time.Minute)},
		}
		*hbs[0].ConfigVersion = 12
		if err := db.Update(ctx, func(tx keeptrail.Tx) error {
			team, _, err := tx.EnsureTeam("payments")
			if err != nil {
				return err
			}
			gw, _, err := tx.EnsureGateway("gw-eu-1", team.ID)
			if err != nil {
				return err
			}
			hbs[0].GatewayID, hbs[1].GatewayID = gw.ID, gw.ID
			return tx.InsertHeartbeats(hbs)
		}); err != nil {
			t.Fatal(err)
		}
		rows, err := db.SQL().QueryContext(ctx, `SELECT gateway_id, occurred_at, config_version, healthy, error_rate, tls_min_version,
encryption_at_rest FROM heartbeats ORDER BY occurred_at`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var gw, at int64
			var version *int64
			var healthy bool
			var rate float64
			var tls string
			var encryption *bool
			if err := rows.Scan(&gw, &at, &version, &healthy, &rate, &tls, &encryption); err != nil {
				t.Fatal(err)
			}
			s := "gw" + itoa(gw-hbs[0].GatewayID) + " " + itoa(at) + " " + fmtPtr(version) + " " + fmtBool(healthy) + " " +
				ftoa(rate) + " " + tls + " " + fmtBoolPtr(encryption)
			got = append(got, s)
		}
		want := []string{
			"gw0 " + itoa(when.UnixMicro()) + " 12 true 0.25 1.3 false",
			"gw0 " + itoa(when.Add(time.Minute).UnixMicro()) + " null false 0  null",
		}
		if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("stored heartbeats:\n got  %q\n want %q", got, want)
		}
	})
}
