package export

import (
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
)

func TestFromFlags(t *testing.T) {
	s, err := FromFlags(Flags{Type: "events", Start: "2025-01-01", End: "2025-03-31T23:59:59Z", Format: "csv",
		Teams: []string{"payments"}, Severity: []string{"high", "critical"}, Decisions: []string{"blocked"},
		Notify: "email:ops@acme.example"}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	assertSpec(t, s, Spec{Type: TypeEvents, Format: FormatCSV,
		TimeRange:        TimeRange{Start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)},
		Scope:            Scope{Teams: []string{"payments"}},
		Filters:          Filters{Severity: []keeptrail.Severity{"high", "critical"}, Decisions: []keeptrail.Decision{"blocked"}},
		NotifyOnComplete: "email:ops@acme.example"})
}

func TestFromFlagsErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags Flags
		want  []string
	}{
		{"nothing", Flags{}, []string{"--type: required", "--start/--end: required", "--format: required"}},
		{"reversed", Flags{Type: "audit_log", Format: "pdf", Start: "2025-04-01", End: "2025-03-31"},
			[]string{"--end: before start"}},
		{"bad entries", Flags{Type: "audit_log", Format: "csv", Start: "2025-01-01", End: "x",
			Teams: []string{"ops", ""}, Categories: []string{"hr"}, Statuses: []string{"open"}, Notify: "pager:1"},
			[]string{
				"--end: not an RFC 3339 time such as 2025-01-01T00:00:00Z or a date such as 2025-01-01",
				"--team[1]: empty",
				"--category[0]: must be one of authentication, authorization, configuration, escalation, financial, security, export, ingest",
				"--status: only for type escalations",
				"--notify: must be email:ADDRESS or webhook:URL"}},
		{"end date before a start on the next day", Flags{Type: "events", Format: "csv", Start: "2025-04-01T00:00:00Z", End: "2025-03-31"},
			[]string{"--end: before start"}},
		{"end second before start", Flags{Type: "events", Format: "csv", Start: "2025-03-31T12:00:01Z", End: "2025-03-31T12:00:00.999Z"},
			[]string{"--end: before start"}},
		{"missing start", Flags{Type: "events", Format: "json", End: "2025-03-31"}, []string{"--start: required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromFlags(tc.flags, Limits{})
			equalLines(t, fieldErrors(t, err), tc.want)
		})
	}
}
