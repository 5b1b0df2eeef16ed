package ingest

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
)

// designHeartbeat and designAudit are the other examples of DESIGN.md's ingest contract.
const (
	designHeartbeat = `{"gateway":"gw-eu-1","time":"2025-02-03T10:15:00Z","config_version":12,"healthy":true,` +
		`"error_rate":0.002,"tls_min_version":"1.2","encryption_at_rest":true}`
	designAudit = `{"time":"2025-02-03T10:15:00Z","actor":"okta-scim","action":"user.deprovisioned",` +
		`"category":"authorization","team":"payments","target":"user:bob@acme.example",` +
		`"severity":"medium","outcome":"success","source_ip":"203.0.113.7","details":{}}`
)

// with returns the JSON object line with fields replaced (a nil value removes the field).
// It keeps the order of the original fields, then appends new ones in sorted order.
func with(t testing.TB, base string, changes map[string]any) string {
	t.Helper()
	var keys []string
	dec := json.NewDecoder(strings.NewReader(base))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	vals := map[string]json.RawMessage{}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		vals[k.(string)] = v
	}
	for _, k := range slices.Sorted(maps.Keys(changes)) {
		v := changes[k]
		if _, ok := vals[k]; !ok {
			keys = append(keys, k)
		}
		if v == nil {
			delete(vals, k)
			continue
		}
		if raw, ok := v.(json.RawMessage); ok {
			vals[k] = raw
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		vals[k] = b
	}
	var sb strings.Builder
	sb.WriteByte('{')
	first := true
	for _, k := range keys {
		v, ok := vals[k]
		if !ok {
			continue
		}
		if !first {
			sb.WriteByte(',')
		}
		first = false
		kb, _ := json.Marshal(k)
		sb.Write(kb)
		sb.WriteByte(':')
		sb.Write(v)
	}
	sb.WriteByte('}')
	return sb.String()
}

type raw = json.RawMessage

func TestParseEventDesignExample(t *testing.T) {
	ev, err := ParseEvent([]byte(designEvent))
	if err != nil {
		t.Fatal(err)
	}
	want := keeptrail.DecisionEvent{
		RequestID: "r-000017", Time: time.Date(2025, 2, 3, 10, 15, 0, 0, time.UTC),
		Gateway: "gw-eu-1", Team: "payments", User: "alice@acme.example", Model: "gpt-4o",
		Decision: keeptrail.DecisionBlocked, Severity: keeptrail.SeverityHigh, PoliciesEvaluated: 3,
		RulesMatched: []string{"pii.ssn"}, Categories: []string{"pii"},
		LatencyMS: 42, TokensIn: 512, TokensOut: 0, CostUSD: 0.0031,
	}
	if !reflect.DeepEqual(ev, want) {
		t.Fatalf("got %+v\nwant %+v", ev, want)
	}
}

func TestParseEventAccepts(t *testing.T) {
	long := strings.Repeat("é", 128) // 256 bytes
	tests := []struct {
		name   string
		line   string
		check  func(keeptrail.DecisionEvent) bool
		expect string
	}{
		{"offset time stored in UTC µs", with(t, designEvent, map[string]any{"time": "2025-02-03T11:15:00.1234567+01:00"}),
			func(e keeptrail.DecisionEvent) bool {
				return e.Time.Equal(time.Date(2025, 2, 3, 10, 15, 0, 123456000, time.UTC)) && e.Time.Location() == time.UTC
			}, "time 10:15:00.123456 UTC"},
		{"odd identifiers kept as sent", with(t, designEvent, map[string]any{"user": "=cmd|' /C calc'!A0", "gateway": "../gw\t<b>", "team": " "}),
			func(e keeptrail.DecisionEvent) bool {
				return e.User == "=cmd|' /C calc'!A0" && e.Gateway == "../gw\t<b>" && e.Team == " "
			}, "identifiers as sent"},
		{"256-byte identifier", with(t, designEvent, map[string]any{"request_id": long}),
			func(e keeptrail.DecisionEvent) bool { return e.RequestID == long }, "long request id"},
		{"escaped strings decoded", `{"request_id":"r\u002d1\ud83d\ude00","time":"2025-02-03T10:15:00Z","gateway":"g\"w","team":"t\\1","decision":"allowed","severity":"low","policies_evaluated":0}`,
			func(e keeptrail.DecisionEvent) bool {
				return e.RequestID == "r-1😀" && e.Gateway == `g"w` && e.Team == `t\1`
			}, "decoded escapes"},
		{"optional fields absent", `{"request_id":"a","time":"2025-02-03T10:15:00Z","gateway":"g","team":"t","decision":"escalated","severity":"critical","policies_evaluated":1}`,
			func(e keeptrail.DecisionEvent) bool {
				return e.User == "" && e.RulesMatched == nil && e.CostUSD == 0 && e.Decision == keeptrail.DecisionEscalated
			}, "zero optional fields"},
		{"null optional fields", with(t, designEvent, map[string]any{"user": raw("null"), "rules_matched": raw("null"), "cost_usd": raw("null")}),
			func(e keeptrail.DecisionEvent) bool { return e.User == "" && e.RulesMatched == nil && e.CostUSD == 0 }, "null as absent"},
		{"white space around", " \t" + strings.ReplaceAll(designEvent, ",", " ,\n ") + " \t",
			func(e keeptrail.DecisionEvent) bool { return e.RequestID == "r-000017" }, "parsed"},
		{"negative zero", with(t, designEvent, map[string]any{"latency_ms": raw("-0"), "cost_usd": raw("-0.0")}),
			func(e keeptrail.DecisionEvent) bool { return e.LatencyMS == 0 }, "zero"},
		{"large values", with(t, designEvent, map[string]any{"tokens_in": raw("9223372036854775807"), "policies_evaluated": raw("2147483647"), "cost_usd": raw("1e300")}),
			func(e keeptrail.DecisionEvent) bool {
				return e.TokensIn == 9223372036854775807 && e.PoliciesEvaluated == 2147483647 && e.CostUSD == 1e300
			}, "max values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := ParseEvent([]byte(tt.line))
			if err != nil {
				t.Fatalf("ParseEvent(%s): %v", tt.line, err)
			}
			if !tt.check(ev) {
				t.Fatalf("ParseEvent(%s) = %+v, want %s", tt.line, ev, tt.expect)
			}
		})
	}
}

// TestParseEventRejects holds one case per validation rule, with the exact message.
func TestParseEventRejects(t *testing.T) {
	tests := []struct {
		name string
		line string
		want string
	}{
		{"unknown field", with(t, designEvent, map[string]any{"foo": 1}), "foo: unknown field"},
		{"unknown fields listed", with(t, designEvent, map[string]any{"foo": 1, "Request_ID": "x"}), ""},
		{"duplicate field", designEvent[:len(designEvent)-1] + `,"severity":"low"}`, "severity: duplicate field"},
		{"policies_evaluated a string", with(t, designEvent, map[string]any{"policies_evaluated": "3"}), "policies_evaluated: must be an integer"},
		{"policies_evaluated a fraction", with(t, designEvent, map[string]any{"policies_evaluated": raw("3.5")}), "policies_evaluated: must be an integer"},
		{"policies_evaluated an exponent", with(t, designEvent, map[string]any{"policies_evaluated": raw("3e0")}), "policies_evaluated: must be an integer"},
		{"policies_evaluated too large", with(t, designEvent, map[string]any{"policies_evaluated": raw("2147483648")}), "policies_evaluated: must be at most 2147483647"},
		{"policies_evaluated negative", with(t, designEvent, map[string]any{"policies_evaluated": raw("-1")}), "policies_evaluated: must not be negative"},
		{"tokens_in overflow", with(t, designEvent, map[string]any{"tokens_in": raw("9223372036854775808")}), "tokens_in: must be at most 9223372036854775807"},
		{"tokens_out negative huge", with(t, designEvent, map[string]any{"tokens_out": raw("-99999999999999999999")}), "tokens_out: must not be negative"},
		{"latency_ms a boolean", with(t, designEvent, map[string]any{"latency_ms": true}), "latency_ms: must be an integer"},
		{"cost_usd negative", with(t, designEvent, map[string]any{"cost_usd": raw("-0.01")}), "cost_usd: must not be negative"},
		{"cost_usd a string", with(t, designEvent, map[string]any{"cost_usd": "0.1"}), "cost_usd: must be a number"},
		{"cost_usd out of range", with(t, designEvent, map[string]any{"cost_usd": raw("1e400")}), "cost_usd: is out of range"},
		{"decision unknown", with(t, designEvent, map[string]any{"decision": "denied"}), "decision: must be one of allowed, blocked, escalated"},
		{"decision wrong case", with(t, designEvent, map[string]any{"decision": "Allowed"}), "decision: must be one of allowed, blocked, escalated"},
		{"decision a number", with(t, designEvent, map[string]any{"decision": 1}), "decision: must be one of allowed, blocked, escalated"},
		{"severity unknown", with(t, designEvent, map[string]any{"severity": "urgent"}), "severity: must be one of low, medium, high, critical"},
		{"time not RFC 3339", with(t, designEvent, map[string]any{"time": "2025-02-03 10:15:00"}), "time: must be an RFC 3339 time"},
		{"time without offset", with(t, designEvent, map[string]any{"time": "2025-02-03T10:15:00"}), "time: must be an RFC 3339 time"},
		{"time a number", with(t, designEvent, map[string]any{"time": 1738577700}), "time: must be an RFC 3339 time"},
		{"time impossible", with(t, designEvent, map[string]any{"time": "2025-02-30T10:15:00Z"}), "time: must be an RFC 3339 time"},
		{"request_id empty", with(t, designEvent, map[string]any{"request_id": ""}), "request_id: must not be empty"},
		{"request_id too long", with(t, designEvent, map[string]any{"request_id": strings.Repeat("x", 257)}), "request_id: must be at most 256 bytes"},
		{"request_id a number", with(t, designEvent, map[string]any{"request_id": 17}), "request_id: must be a string"},
		{"request_id NUL", with(t, designEvent, map[string]any{"request_id": "r\u0000"}), "request_id: must not contain NUL characters"},
		{"gateway invalid UTF-8", strings.Replace(designEvent, `"gw-eu-1"`, "\"gw-\xff\"", 1), "gateway: must be valid UTF-8"},
		{"team empty", with(t, designEvent, map[string]any{"team": ""}), "team: must not be empty"},
		{"user too long", with(t, designEvent, map[string]any{"user": strings.Repeat("ü", 129)}), "user: must be at most 256 bytes"},
		{"model an object", with(t, designEvent, map[string]any{"model": map[string]int{"a": 1}}), "model: must be a string"},
		{"rules_matched a string", with(t, designEvent, map[string]any{"rules_matched": "pii.ssn"}), "rules_matched: must be an array of strings"},
		{"rules_matched item a number", with(t, designEvent, map[string]any{"rules_matched": []any{"a", 2}}), "rules_matched[1]: must be a string"},
		{"categories item empty", with(t, designEvent, map[string]any{"categories": []string{"pii", ""}}), "categories[1]: must not be empty"},
		{"categories too many", with(t, designEvent, map[string]any{"categories": make([]string, 257)}), ""},
		{"missing required", `{"user":"u"}`, "request_id: is required; time: is required; gateway: is required; team: is required; decision: is required; severity: is required; policies_evaluated: is required"},
		{"null required", with(t, designEvent, map[string]any{"team": raw("null")}), "team: is required"},
		{"several at once", with(t, designEvent, map[string]any{"decision": "x", "severity": 3, "tokens_in": -1}), "decision: must be one of allowed, blocked, escalated; severity: must be one of low, medium, high, critical; tokens_in: must not be negative"},
		{"trailing garbage", designEvent + `x`, "invalid JSON at byte 314: unexpected data after the JSON object"},
		{"two objects", designEvent + designEvent, "invalid JSON at byte 314: unexpected data after the JSON object"},
		{"not an object", `["r-1"]`, "line: must be a JSON object"},
		{"a string", ` "r-1" `, "line: must be a JSON object"},
		{"malformed and not an object", `["r-1"`, "invalid JSON at byte 6: expected ',' or ']'"},
		{"empty object", `{}`, "request_id: is required; time: is required; gateway: is required; team: is required; decision: is required; severity: is required; policies_evaluated: is required"},
		{"truncated", designEvent[:40], "time: invalid JSON at byte 40: unterminated string"},
		{"bad literal in a field", with(t, designEvent, map[string]any{"latency_ms": raw("tru")}), "latency_ms: invalid JSON at byte 262: invalid value"},
		{"bad number in unknown field", with(t, designEvent, map[string]any{"x": raw("01")}), "invalid JSON at byte 319: expected ',' or '}'"},
		{"missing colon", `{"request_id" "a"}`, "request_id: invalid JSON at byte 14: expected ':'"},
		{"trailing comma", `{"request_id":"a",}`, "invalid JSON at byte 18: expected a field name"},
		{"control character", "{\"request_id\":\"a\tb\"}", "request_id: invalid JSON at byte 16: control character in string"},
		{"bad escape", `{"request_id":"a\x"}`, `request_id: invalid JSON at byte 16: invalid escape \x`},
		{"deep nesting", `{"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, "x: invalid JSON at byte 69: nesting deeper than 64 levels"},
		{"empty line", ``, "invalid JSON at byte 0: unexpected end of line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEvent([]byte(tt.line))
			if err == nil {
				t.Fatalf("ParseEvent(%s): no error", tt.line)
			}
			if keeptrail.ErrorCode(err) != keeptrail.EINVALID {
				t.Fatalf("code %q, want invalid", keeptrail.ErrorCode(err))
			}
			if tt.want != "" && err.Error() != tt.want {
				t.Fatalf("ParseEvent(%.80s...)\n got  %q\n want %q", tt.line, err.Error(), tt.want)
			}
		})
	}
}

func TestParseEventErrorFields(t *testing.T) {
	_, err := ParseEvent([]byte(with(t, designEvent, map[string]any{"foo": 1, "Request_ID": "x", "categories": make([]string, 257)})))
	e := err.(*keeptrail.Error)
	want := []keeptrail.FieldError{
		{Field: "categories[0]", Reason: "must not be empty"},
		{Field: "categories[1]", Reason: "must not be empty"},
	}
	if !reflect.DeepEqual(e.Fields[:2], want) {
		t.Fatalf("fields %v", e.Fields[:2])
	}
	// 257 items: the first 20 errors are shown, then a count of the rest.
	if len(e.Fields) != maxLineErrors+1 || e.Fields[maxLineErrors].String() != "line: 240 more errors not shown" {
		t.Fatalf("%d fields, last %v", len(e.Fields), e.Fields[len(e.Fields)-1])
	}
	_, err = ParseEvent([]byte(with(t, designEvent, map[string]any{"foo": 1, "Request_ID": "x", strings.Repeat("k", 100): 1})))
	if got, want := err.Error(), "Request_ID: unknown field; foo: unknown field; "+strings.Repeat("k", 64)+"…: unknown field"; got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	// Odd names are quoted so that the message stays readable.
	_, err = ParseEvent([]byte(designEvent[:len(designEvent)-1] + `,"":1,"a: b; c":2,"tab\there":3,"é":4}`))
	if got, want := err.Error(), `"": unknown field; "a: b; c": unknown field; "tab\there": unknown field; é: unknown field`; got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestParseHeartbeat(t *testing.T) {
	hb, err := ParseHeartbeat([]byte(designHeartbeat))
	if err != nil {
		t.Fatal(err)
	}
	v, yes := int64(12), true
	want := keeptrail.Heartbeat{Gateway: "gw-eu-1", Time: time.Date(2025, 2, 3, 10, 15, 0, 0, time.UTC),
		ConfigVersion: &v, Healthy: true, ErrorRate: 0.002, TLSMinVersion: "1.2", EncryptionAtRest: &yes}
	if !reflect.DeepEqual(hb, want) {
		t.Fatalf("got %+v\nwant %+v", hb, want)
	}
	hb, err = ParseHeartbeat([]byte(`{"gateway":"g","team":"radiology","time":"2025-02-03T10:15:00-05:00","healthy":false}`))
	if err != nil {
		t.Fatal(err)
	}
	if hb.Team != "radiology" || hb.Healthy || hb.ConfigVersion != nil || hb.EncryptionAtRest != nil || hb.Time.Hour() != 15 {
		t.Fatalf("got %+v", hb)
	}

	tests := []struct {
		name string
		line string
		want string
	}{
		{"missing required", `{"config_version":1}`, "gateway: is required; time: is required; healthy: is required"},
		{"healthy a string", with(t, designHeartbeat, map[string]any{"healthy": "true"}), "healthy: must be a boolean"},
		{"config_version negative", with(t, designHeartbeat, map[string]any{"config_version": -2}), "config_version: must not be negative"},
		{"config_version a fraction", with(t, designHeartbeat, map[string]any{"config_version": 1.5}), "config_version: must be an integer"},
		{"error_rate above 1", with(t, designHeartbeat, map[string]any{"error_rate": 1.5}), "error_rate: must be between 0 and 1"},
		{"error_rate negative", with(t, designHeartbeat, map[string]any{"error_rate": -0.1}), "error_rate: must not be negative"},
		{"tls unknown", with(t, designHeartbeat, map[string]any{"tls_min_version": "TLSv1.2"}), "tls_min_version: must be one of 1.0, 1.1, 1.2, 1.3"},
		{"encryption a number", with(t, designHeartbeat, map[string]any{"encryption_at_rest": 1}), "encryption_at_rest: must be a boolean"},
		{"team too long", with(t, designHeartbeat, map[string]any{"team": strings.Repeat("t", 257)}), "team: must be at most 256 bytes"},
		{"unknown field", with(t, designHeartbeat, map[string]any{"region": "eu"}), "region: unknown field"},
		{"gateway empty", with(t, designHeartbeat, map[string]any{"gateway": ""}), "gateway: must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseHeartbeat([]byte(tt.line))
			if err == nil || err.Error() != tt.want || keeptrail.ErrorCode(err) != keeptrail.EINVALID {
				t.Fatalf("ParseHeartbeat(%s)\n got  %v\n want %q", tt.line, err, tt.want)
			}
		})
	}
}

func TestParseAudit(t *testing.T) {
	e, err := ParseAudit([]byte(designAudit))
	if err != nil {
		t.Fatal(err)
	}
	want := keeptrail.AuditEntry{Time: time.Date(2025, 2, 3, 10, 15, 0, 0, time.UTC), ActorKind: keeptrail.ActorExternal,
		Actor: "okta-scim", Action: "user.deprovisioned", Category: "authorization", Team: "payments",
		Target: "user:bob@acme.example", Severity: keeptrail.SeverityMedium, Outcome: "success",
		SourceIP: "203.0.113.7", Details: json.RawMessage("{}")}
	if !reflect.DeepEqual(e, want) {
		t.Fatalf("got %+v\nwant %+v", e, want)
	}
	e, err = ParseAudit([]byte(with(t, designAudit, map[string]any{"details": raw(`{ "b" : [1, {"c":"\u00e9"}], "a":null }`),
		"source_ip": "2001:DB8::1", "team": nil})))
	if err != nil {
		t.Fatal(err)
	}
	if string(e.Details) != `{"b":[1,{"c":"\u00e9"}],"a":null}` || e.SourceIP != "2001:db8::1" || e.Team != "" {
		t.Fatalf("got details %s, source %s, team %q", e.Details, e.SourceIP, e.Team)
	}
	e, err = ParseAudit([]byte(with(t, designAudit, map[string]any{"details": nil})))
	if err != nil || string(e.Details) != "{}" {
		t.Fatalf("absent details: %s, %v", e.Details, err)
	}

	tests := []struct {
		name string
		line string
		want string
	}{
		{"missing required", `{"team":"t"}`, "time: is required; actor: is required; action: is required; category: is required; severity: is required; outcome: is required"},
		{"category unknown", with(t, designAudit, map[string]any{"category": "login"}), "category: must be one of authentication, authorization, configuration, escalation, financial, security, export, ingest"},
		{"outcome unknown", with(t, designAudit, map[string]any{"outcome": "ok"}), "outcome: must be one of success, failure, denied"},
		{"source_ip not an address", with(t, designAudit, map[string]any{"source_ip": "203.0.113.300"}), "source_ip: must be an IP address"},
		{"source_ip a host name", with(t, designAudit, map[string]any{"source_ip": "example.com"}), "source_ip: must be an IP address"},
		{"details an array", with(t, designAudit, map[string]any{"details": []int{1}}), "details: must be an object"},
		{"details a string", with(t, designAudit, map[string]any{"details": "{}"}), "details: must be an object"},
		{"details invalid UTF-8", strings.Replace(designAudit, `"details":{}`, "\"details\":{\"a\":\"\xc3\"}", 1), "details: must be valid UTF-8"},
		{"details broken", strings.Replace(designAudit, `"details":{}`, `"details":{"a":}`, 1), "details: invalid JSON at byte 240: invalid character '}'"},
		{"actor empty", with(t, designAudit, map[string]any{"actor": ""}), "actor: must not be empty"},
		{"target too long", with(t, designAudit, map[string]any{"target": strings.Repeat("x", 300)}), "target: must be at most 256 bytes"},
		{"action a number", with(t, designAudit, map[string]any{"action": 5}), "action: must be a string"},
		{"unknown field", with(t, designAudit, map[string]any{"actor_kind": "user"}), "actor_kind: unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseAudit([]byte(tt.line))
			if err == nil || err.Error() != tt.want || keeptrail.ErrorCode(err) != keeptrail.EINVALID {
				t.Fatalf("ParseAudit(%s)\n got  %v\n want %q", tt.line, err, tt.want)
			}
		})
	}
}
