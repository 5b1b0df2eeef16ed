package export

import (
	"github.com/keeptrail/keeptrail"
	"testing"
	"time"
)

func TestTimeRangeInclusiveEnd(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	for _, tc := range []struct {
		start, end         string
		wantStart, wantEnd time.Time
		canonStart         string
		canonEnd           string
	}{
		// An end given to the second covers that second.
		{"2025-01-01T00:00:00Z", "2025-03-31T23:59:59Z", utc(2025, 1, 1, 0, 0, 0, 0), utc(2025, 4, 1, 0, 0, 0, 0),
			"2025-01-01T00:00:00Z", "2025-03-31T23:59:59Z"},
		// Midnight written to the second includes the second 00:00:00.
		{"2025-01-01T00:00:00Z", "2025-04-01T00:00:00Z", utc(2025, 1, 1, 0, 0, 0, 0), utc(2025, 4, 1, 0, 0, 1, 0),
			"2025-01-01T00:00:00Z", "2025-04-01T00:00:00Z"},
		// A date alone is the whole UTC day, as start and as end.
		{"2025-01-01", "2025-03-31", utc(2025, 1, 1, 0, 0, 0, 0), utc(2025, 4, 1, 0, 0, 0, 0),
			"2025-01-01T00:00:00Z", "2025-03-31T23:59:59Z"},
		{"2025-03-31", "2025-03-31", utc(2025, 3, 31, 0, 0, 0, 0), utc(2025, 4, 1, 0, 0, 0, 0),
			"2025-03-31T00:00:00Z", "2025-03-31T23:59:59Z"},
		// The same second as start and end is that one second.
		{"2025-03-31T12:00:00Z", "2025-03-31T12:00:00Z", utc(2025, 3, 31, 12, 0, 0, 0), utc(2025, 3, 31, 12, 0, 1, 0),
			"2025-03-31T12:00:00Z", "2025-03-31T12:00:00Z"},
		// An end date covers a start later that day.
		{"2025-03-31T12:00:00Z", "2025-03-31", utc(2025, 3, 31, 12, 0, 0, 0), utc(2025, 4, 1, 0, 0, 0, 0),
			"2025-03-31T12:00:00Z", "2025-03-31T23:59:59Z"},
		{"2025-03-31T12:00:00.5Z", "2025-03-31T12:00:00Z", utc(2025, 3, 31, 12, 0, 0, 500e6), utc(2025, 3, 31, 12, 0, 1, 0),
			"2025-03-31T12:00:00.500Z", "2025-03-31T12:00:00Z"},
		// Fractional seconds: inclusive at the precision written.
		{"2025-01-01T00:00:00.5Z", "2025-03-31T23:59:59.5Z", utc(2025, 1, 1, 0, 0, 0, 500e6), utc(2025, 3, 31, 23, 59, 59, 600e6),
			"2025-01-01T00:00:00.500Z", "2025-03-31T23:59:59.599Z"},
		{"2025-01-01T00:00:00Z", "2025-03-31T23:59:59.999Z", utc(2025, 1, 1, 0, 0, 0, 0), utc(2025, 4, 1, 0, 0, 0, 0),
			"2025-01-01T00:00:00Z", "2025-03-31T23:59:59Z"},
		{"2025-01-01T00:00:00Z", "2025-03-31T23:59:59.999999Z", utc(2025, 1, 1, 0, 0, 0, 0), utc(2025, 4, 1, 0, 0, 0, 0),
			"2025-01-01T00:00:00Z", "2025-03-31T23:59:59Z"},
		{"2025-01-01T00:00:00Z", "2025-03-31T12:00:00.000001Z", utc(2025, 1, 1, 0, 0, 0, 0), utc(2025, 3, 31, 12, 0, 0, 2000),
			"2025-01-01T00:00:00Z", "2025-03-31T12:00:00.000001Z"},
		// Beyond microseconds: start rounds down, end rounds up to the microsecond.
		{"2025-01-01T00:00:00.0000005Z", "2025-03-31T12:00:00.0000005Z", utc(2025, 1, 1, 0, 0, 0, 0), utc(2025, 3, 31, 12, 0, 0, 1000),
			"2025-01-01T00:00:00Z", "2025-03-31T12:00:00.000000Z"},
		{"2025-01-01T00:00:00Z", "2025-03-31T23:59:59.999999999Z", utc(2025, 1, 1, 0, 0, 0, 0), utc(2025, 4, 1, 0, 0, 0, 0),
			"2025-01-01T00:00:00Z", "2025-03-31T23:59:59Z"},
		// Offsets are converted to UTC.
		{"2025-01-01T01:00:00+01:00", "2025-03-31T18:59:59-05:00", utc(2025, 1, 1, 0, 0, 0, 0), utc(2025, 4, 1, 0, 0, 0, 0),
			"2025-01-01T00:00:00Z", "2025-03-31T23:59:59Z"},
	} {
		t.Run(tc.start+"_"+tc.end, func(t *testing.T) {
			s, err := FromFlags(Flags{Type: "events", Format: "csv", Start: tc.start, End: tc.end}, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if !s.TimeRange.Start.Equal(tc.wantStart) || !s.TimeRange.End.Equal(tc.wantEnd) {
				t.Errorf("range = [%s, %s), want [%s, %s)", s.TimeRange.Start.Format(time.RFC3339Nano),
					s.TimeRange.End.Format(time.RFC3339Nano), tc.wantStart.Format(time.RFC3339Nano), tc.wantEnd.Format(time.RFC3339Nano))
			}
			if s.TimeRange.Start.Location() != time.UTC || s.TimeRange.End.Location() != time.UTC {
				t.Errorf("times not in UTC: %v %v", s.TimeRange.Start.Location(), s.TimeRange.End.Location())
			}
			if got := formatStart(s.TimeRange.Start); got != tc.canonStart {
				t.Errorf("canonical start = %s, want %s", got, tc.canonStart)
			}
			if got := formatEnd(s.TimeRange.End); got != tc.canonEnd {
				t.Errorf("canonical end = %s, want %s", got, tc.canonEnd)
			}
			back, err := FromFlags(Flags{Type: "events", Format: "csv", Start: tc.canonStart, End: tc.canonEnd}, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if !back.TimeRange.Start.Equal(s.TimeRange.Start) || !back.TimeRange.End.Equal(s.TimeRange.End) {
				t.Errorf("canonical form parses to [%v, %v)", back.TimeRange.Start, back.TimeRange.End)
			}
		})
	}
}

func TestTimeRangeContains(t *testing.T) {
	s, err := FromFlags(Flags{Type: "events", Format: "csv", Start: "2025-01-01", End: "2025-03-31T23:59:59Z"}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at   string
		want bool
	}{
		{"2024-12-31T23:59:59.999999Z", false},
		{"2025-01-01T00:00:00Z", true},
		{"2025-03-31T23:59:59Z", true},
		{"2025-03-31T23:59:59.999999Z", true},
		{"2025-04-01T00:00:00Z", false},
	} {
		at, _ := time.Parse(time.RFC3339Nano, tc.at)
		if got := s.TimeRange.Contains(at); got != tc.want {
			t.Errorf("Contains(%s) = %v, want %v", tc.at, got, tc.want)
		}
	}
	if got, want := s.TimeRange.String(), "2025-01-01T00:00:00Z to 2025-03-31T23:59:59Z (inclusive)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestParseInstantRejects(t *testing.T) {
	for _, s := range []string{
		"", "2025", "2025-01", "2025-1-01", "2025-01-01T00:00Z", "2025-01-01T00:00:00", "2025-01-01 00:00:00Z",
		"2025-01-01t00:00:00z", "2025-01-01T00:00:00.Z", "2025-01-01T00:00:00.1234567890Z",
		"2025-01-01T00:00:00+0100", "2025-01-01T24:00:00Z", "2025-01-01T23:59:60Z", "2025-02-29",
		"2025-13-01", "2025-01-01T00:00:00+01:00x", " 2025-01-01", "2025-01-01T00:00:00,5Z", "+2025-01-01",
	} {
		if _, _, err := parseInstant(s); err == nil {
			t.Errorf("parseInstant(%q) accepted", s)
		}
	}
}

func TestValidateGoBuiltSpec(t *testing.T) {
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		spec Spec
		want []string
	}{
		{"zero", Spec{}, []string{"export.type: required", "export.time_range: required", "export.format: required"}},
		{"empty range", Spec{Type: TypeEvents, Format: FormatCSV, TimeRange: TimeRange{Start: at, End: at}},
			[]string{"export.time_range: empty (end is not after start)"}},
		{"end only", Spec{Type: TypeEvents, Format: FormatCSV, TimeRange: TimeRange{End: at}},
			[]string{"export.time_range.start: required"}},
		{"too long", Spec{Type: TypeEvents, Format: FormatCSV, TimeRange: TimeRange{Start: at, End: at.AddDate(2, 0, 0)}},
			[]string{"export.time_range: longer than the maximum of 400 days"}},
		{"bad values", Spec{Type: "logs", Format: "xml", TimeRange: TimeRange{Start: at, End: at.Add(time.Hour)},
			Scope: Scope{Teams: []string{"all", "ops"}}, Filters: Filters{Severity: []keeptrail.Severity{"urgent"}}},
			[]string{
				"export.type: must be one of audit_log, events, escalations, configurations, compliance_package",
				`export.scope.teams[0]: "all" must be the only entry`,
				"export.filters.severity[0]: must be one of low, medium, high, critical",
				"export.format: must be one of csv, json, ndjson, pdf"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			equalLines(t, fieldErrors(t, tc.spec.Validate(Limits{})), tc.want)
		})
	}
	ok := Spec{Type: TypeEvents, Format: FormatCSV, TimeRange: TimeRange{Start: at, End: at.AddDate(2, 0, 0)}}
	if err := ok.Validate(Limits{MaxRange: -1}); err != nil {
		t.Errorf("no maximum: %v", err)
	}
}
