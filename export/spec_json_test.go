package export

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

const productJSON = `{"type":"compliance_package","time_range":{"start":"2025-01-01T00:00:00Z","end":"2025-03-31T23:59:59Z"},` +
	`"scope":{"teams":["all"],"gateways":["all"]},"format":"pdf","include":["audit_log","events_summary",` +
	`"escalation_report","configuration_changelog","policy_compliance_status"],"notify_on_complete":"email:compliance@acme.com"}`

func TestParseJSONWrappedOrNot(t *testing.T) {
	plain, err := ParseJSON([]byte(productJSON), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := ParseJSON([]byte(`{"export":`+productJSON+`}`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if string(plain.Canonical()) != productJSON || string(wrapped.Canonical()) != productJSON {
		t.Errorf("canonical:\n%s\n%s\nwant\n%s", plain.Canonical(), wrapped.Canonical(), productJSON)
	}
}

func TestParseJSONErrors(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      []string
	}{
		{"empty", "  ", []string{"export: empty document"}},
		{"syntax", `{"type":`, []string{"export: not valid JSON: unexpected end of input"}},
		{"not an object", `["audit_log"]`, []string{"export: must be a JSON object, not a list"}},
		{"trailing data", `{"type":"events"} {}`, []string{"export: not valid JSON: unexpected data after the JSON object"}},
		{"wrapper with other keys", `{"export":{},"dry_run":true}`, []string{"dry_run: unknown field"}},
		{"wrapper twice", `{"export":{},"export":{}}`, []string{"export: given twice"}},
		{"duplicate key", `{"type":"events","type":"audit_log","format":"csv","time_range":{"start":"2025-01-01","end":"2025-01-02"}}`,
			[]string{"export.type: given twice"}},
		{"errors are named under export without the wrapper", `{"type":"events","format":"csv",` +
			`"time_range":{"start":"2025-04-01T00:00:00Z","end":"2025-03-31T23:59:59Z"},"scope":{"teams":["ops",5]}}`,
			[]string{"export.time_range.end: before start", "export.scope.teams[1]: must be a string, not a number"}},
		{"wrong types", `{"type":1,"format":null,"time_range":{"start":true,"end":[]},"filters":{"severity":"high"}}`,
			[]string{"export.type: must be a string, not a number", "export.time_range.start: must be a string, not a boolean",
				"export.time_range.end: must be a string, not a list", "export.filters.severity: must be a list, not a string",
				"export.format: required"}},
		{"too deep", strings.Repeat("[", 40) + strings.Repeat("]", 40), []string{"export: not valid JSON: nested too deeply"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseJSON([]byte(tc.doc), Limits{})
			equalLines(t, fieldErrors(t, err), tc.want)
		})
	}
}

func TestSpecJSONMarshalling(t *testing.T) {
	s, err := ParseJSON([]byte(productJSON), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != productJSON {
		t.Errorf("MarshalJSON = %s", b)
	}
	// A spec accepted under a larger maximum reloads through json.Unmarshal.
	long := `{"type":"events","format":"csv","time_range":{"start":"2020-01-01","end":"2025-01-01"}}`
	if _, err := ParseJSON([]byte(long), Limits{}); err == nil {
		t.Fatal("five years accepted under the default maximum")
	}
	var back struct{ Spec Spec }
	if err := json.Unmarshal([]byte(`{"Spec":`+long+`}`), &back); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC); !back.Spec.TimeRange.End.Equal(want) {
		t.Errorf("end = %v, want %v", back.Spec.TimeRange.End, want)
	}
	if err := json.Unmarshal([]byte(`{"Spec":{"type":"events","extra":1}}`), &back); err == nil ||
		!strings.Contains(err.Error(), "export.extra: unknown field") {
		t.Errorf("strict unmarshal: %v", err)
	}
}
