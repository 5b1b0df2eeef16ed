package ingest

import (
	"encoding/json"
	"testing"
)

// designEvent is the decision event example of DESIGN.md's ingest contract.
const designEvent = `{"request_id":"r-000017","time":"2025-02-03T10:15:00Z","gateway":"gw-eu-1","team":"payments",` +
	`"user":"alice@acme.example","model":"gpt-4o","decision":"blocked","severity":"high",` +
	`"policies_evaluated":3,"rules_matched":["pii.ssn"],"categories":["pii"],` +
	`"latency_ms":42,"tokens_in":512,"tokens_out":0,"cost_usd":0.0031}`

func BenchmarkParseEvent(b *testing.B) {
	line := []byte(designEvent)
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseEvent(line); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnmarshalEvent is the reference: encoding/json into a struct (no validation).
func BenchmarkUnmarshalEvent(b *testing.B) {
	line := []byte(designEvent)
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	type ev struct {
		RequestID         *string  `json:"request_id"`
		Time              *string  `json:"time"`
		Gateway           *string  `json:"gateway"`
		Team              *string  `json:"team"`
		User              *string  `json:"user"`
		Model             *string  `json:"model"`
		Decision          *string  `json:"decision"`
		Severity          *string  `json:"severity"`
		PoliciesEvaluated *int     `json:"policies_evaluated"`
		RulesMatched      []string `json:"rules_matched"`
		Categories        []string `json:"categories"`
		LatencyMS         *int64   `json:"latency_ms"`
		TokensIn          *int64   `json:"tokens_in"`
		TokensOut         *int64   `json:"tokens_out"`
		CostUSD           *float64 `json:"cost_usd"`
	}
	for b.Loop() {
		var e ev
		if err := json.Unmarshal(line, &e); err != nil {
			b.Fatal(err)
		}
	}
}
