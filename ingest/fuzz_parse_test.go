package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
)

// parseSeeds are realistic lines, good and bad, shared by the parser fuzz targets.
var parseSeeds = []string{
	designEvent,
	designHeartbeat,
	designAudit,
	`{"request_id":"r-1","time":"2025-02-03T10:15:00.123456789+05:30","gateway":"gw-us-2","team":"radiology","decision":"escalated","severity":"critical","policies_evaluated":4,"rules_matched":["phi.mrn","phi.dob"],"categories":["phi","pii"]}`,
	`{"request_id":"r-2","time":"2025-02-03T10:15:00Z","gateway":"gw","team":"t","decision":"allowed","severity":"low","policies_evaluated":0,"user":null,"cost_usd":1e-7}`,
	`{"request_id":"\u00e9\ud83d\ude00","time":"2025-02-03T10:15:00Z","gateway":"g\"w","team":"t","decision":"blocked","severity":"medium","policies_evaluated":1}`,
	`{"gateway":"gw-eu-1","time":"2025-02-03T10:30:00Z","healthy":false,"error_rate":1,"config_version":13}`,
	`{"time":"2025-02-03T10:15:00Z","actor":"okta","action":"auth.login_failed","category":"authentication","severity":"medium","outcome":"failure","source_ip":"2001:db8::7","details":{"reason":"bad password","attempt":[1,2,{"x":null}]}}`,
	`{"request_id":"r-3","foo":1}`,
	`{"policies_evaluated":"3","decision":"maybe"}`,
	`{"a":[[[[{"b":true}]]]]}`,
	`{"request_id":"r-4"}{"x":1}`,
	`[1,2,3]`,
	`{"request_id":"r\u0000"}`,
	"{\"gateway\":\"\xff\xfe\"}",
	`{"time":"2025-13-01T00:00:00Z","healthy":tru}`,
	`{"details":{"a":1,"a":2},"details":[]}`,
	` {"x" : -0.0e+00 } `,
	``,
	`{`,
}

// isSyntaxError reports a line error that says the line is not well-formed JSON.
func isSyntaxError(err error) bool {
	var e *keeptrail.Error
	if !errors.As(err, &e) {
		return false
	}
	if strings.HasPrefix(e.Message, "invalid JSON") {
		return true
	}
	for _, f := range e.Fields {
		if strings.HasPrefix(f.Reason, "invalid JSON") {
			return true
		}
	}
	return false
}

// checkAgainstJSON checks a parser's verdict against encoding/json: malformed JSON is
// always an error, and only malformed JSON is a syntax error (nesting beyond maxDepth
// aside, which encoding/json allows).
func checkAgainstJSON(t *testing.T, line []byte, err error) {
	t.Helper()
	valid := json.Valid(line)
	if err != nil && keeptrail.ErrorCode(err) != keeptrail.EINVALID {
		t.Fatalf("code %q for %q: %v", keeptrail.ErrorCode(err), line, err)
	}
	if !valid && !isSyntaxError(err) {
		t.Fatalf("invalid JSON %q not reported as such: %v", line, err)
	}
	if valid && isSyntaxError(err) && !strings.Contains(err.Error(), "nesting deeper") {
		t.Fatalf("valid JSON %q reported as malformed: %v", line, err)
	}
}

func FuzzParseEvent(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		ev, err := ParseEvent(line)
		checkAgainstJSON(t, line, err)
		if err != nil {
			if ev.RequestID != "" {
				t.Fatal("partial event returned with an error")
			}
			return
		}
		// What was accepted reads the same through encoding/json.
		var ref struct {
			RequestID         string   `json:"request_id"`
			Time              string   `json:"time"`
			Gateway           string   `json:"gateway"`
			Team              string   `json:"team"`
			User              string   `json:"user"`
			Model             string   `json:"model"`
			Decision          string   `json:"decision"`
			Severity          string   `json:"severity"`
			PoliciesEvaluated int      `json:"policies_evaluated"`
			RulesMatched      []string `json:"rules_matched"`
			Categories        []string `json:"categories"`
			LatencyMS         int64    `json:"latency_ms"`
			TokensIn          int64    `json:"tokens_in"`
			TokensOut         int64    `json:"tokens_out"`
			CostUSD           float64  `json:"cost_usd"`
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ref); err != nil {
			t.Fatalf("accepted %q but encoding/json says %v", line, err)
		}
		tm, err := time.Parse(time.RFC3339, ref.Time)
		if err != nil || !tm.Truncate(time.Microsecond).Equal(ev.Time) || ev.Time.Location() != time.UTC {
			t.Fatalf("time %v, encoding/json %q", ev.Time, ref.Time)
		}
		if ref.RequestID != ev.RequestID || ref.Gateway != ev.Gateway || ref.Team != ev.Team || ref.User != ev.User ||
			ref.Model != ev.Model || ref.Decision != string(ev.Decision) || ref.Severity != string(ev.Severity) ||
			ref.PoliciesEvaluated != ev.PoliciesEvaluated || ref.LatencyMS != ev.LatencyMS ||
			ref.TokensIn != ev.TokensIn || ref.TokensOut != ev.TokensOut || ref.CostUSD != ev.CostUSD ||
			len(ref.RulesMatched) != len(ev.RulesMatched) || len(ref.Categories) != len(ev.Categories) {
			t.Fatalf("parsed %+v, encoding/json %+v", ev, ref)
		}
		for i := range ref.RulesMatched {
			if ref.RulesMatched[i] != ev.RulesMatched[i] {
				t.Fatalf("rules_matched[%d] %q vs %q", i, ev.RulesMatched[i], ref.RulesMatched[i])
			}
		}
		if len(ev.RequestID) == 0 || len(ev.RequestID) > MaxIdentifierBytes || !ev.Decision.Valid() || !ev.Severity.Valid() ||
			ev.PoliciesEvaluated < 0 || ev.LatencyMS < 0 || ev.TokensIn < 0 || ev.TokensOut < 0 || ev.CostUSD < 0 {
			t.Fatalf("accepted an invalid event %+v", ev)
		}
		// Written back as JSON, it parses to the same event.
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseEvent(b)
		if err != nil || !reflect.DeepEqual(again, ev) {
			t.Fatalf("round trip of %s: %+v, %v", b, again, err)
		}
	})
}

func FuzzParseHeartbeat(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		hb, err := ParseHeartbeat(line)
		checkAgainstJSON(t, line, err)
		if err != nil {
			return
		}
		if hb.Gateway == "" || hb.Time.IsZero() || hb.ErrorRate < 0 || hb.ErrorRate > 1 ||
			(hb.ConfigVersion != nil && *hb.ConfigVersion < 0) {
			t.Fatalf("accepted an invalid heartbeat %+v", hb)
		}
		b, err := json.Marshal(hb)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseHeartbeat(b)
		if err != nil || !reflect.DeepEqual(again, hb) {
			t.Fatalf("round trip of %s: %+v, %v", b, again, err)
		}
	})
}

func FuzzParseAudit(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := ParseAudit(line)
		checkAgainstJSON(t, line, err)
		if err != nil {
			return
		}
		var ref struct {
			Details json.RawMessage `json:"details"`
		}
		if err := json.Unmarshal(line, &ref); err != nil {
			t.Fatalf("accepted %q but encoding/json says %v", line, err)
		}
		var want bytes.Buffer
		if len(ref.Details) > 0 && string(ref.Details) != "null" {
			if err := json.Compact(&want, ref.Details); err != nil {
				t.Fatal(err)
			}
		} else {
			want.WriteString("{}")
		}
		if !bytes.Equal(e.Details, want.Bytes()) {
			t.Fatalf("details %s, want %s", e.Details, want.Bytes())
		}
		if e.Actor == "" || e.Action == "" || e.ActorKind != keeptrail.ActorExternal || !e.Severity.Valid() {
			t.Fatalf("accepted an invalid entry %+v", e)
		}
		if e.Details[0] != '{' {
			t.Fatalf("details not an object: %s", e.Details)
		}
	})
}
