package export

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
)

// base is a valid audit log spec; cases append lines to it or replace it.
const base = `export:
  type: audit_log
  time_range:
    start: "2025-01-01T00:00:00Z"
    end: "2025-03-31T23:59:59Z"
  format: csv
`

func TestParseYAMLProductPage(t *testing.T) {
	b, err := os.ReadFile("testdata/spec/valid/product_page.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseYAML(b, Limits{})
	if err != nil {
		t.Fatalf("the product page example must parse: %v", err)
	}
	want := Spec{
		Type: TypeCompliancePackage,
		TimeRange: TimeRange{
			Start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
			End:   time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC),
		},
		Format:           FormatPDF,
		Include:          Sections,
		NotifyOnComplete: "email:compliance@acme.com",
	}
	assertSpec(t, s, want)
}

func assertSpec(t *testing.T, got, want Spec) {
	t.Helper()
	g, w := string(got.Canonical()), string(want.Canonical())
	if g != w {
		t.Errorf("spec:\n got %s\nwant %s", g, w)
	}
	if !got.TimeRange.Start.Equal(want.TimeRange.Start) || !got.TimeRange.End.Equal(want.TimeRange.End) {
		t.Errorf("range = [%v, %v), want [%v, %v)", got.TimeRange.Start, got.TimeRange.End,
			want.TimeRange.Start, want.TimeRange.End)
	}
}

func TestParseYAMLValid(t *testing.T) {
	q1 := TimeRange{Start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		name, doc string
		want      Spec
	}{
		{"minimal", base, Spec{Type: TypeAuditLog, TimeRange: q1, Format: FormatCSV}},
		{"unquoted times", `export:
  type: events
  time_range: {start: 2025-01-01T00:00:00Z, end: 2025-03-31}
  format: ndjson
`, Spec{Type: TypeEvents, TimeRange: q1, Format: FormatNDJSON}},
		{"filters sorted and deduplicated", base + `  scope:
    teams: [payments, ops, payments]
    gateways: [all]
  filters:
    severity: [critical, low, critical]
    users: [zed@acme.example, alice@acme.example]
    categories: [security, authentication]
    actions: [auth.login_failed, apikey.created]
`, Spec{Type: TypeAuditLog, TimeRange: q1, Format: FormatCSV,
			Scope: Scope{Teams: []string{"ops", "payments"}},
			Filters: Filters{
				Severity:   []keeptrail.Severity{"low", "critical"},
				Users:      []string{"alice@acme.example", "zed@acme.example"},
				Categories: []string{"authentication", "security"},
				Actions:    []string{"apikey.created", "auth.login_failed"},
			}}},
		{"null optional fields are absent", base + "  scope: ~\n  filters:\n  notify_on_complete: null\n",
			Spec{Type: TypeAuditLog, TimeRange: q1, Format: FormatCSV}},
		{"package with framework in any case", `export:
  type: compliance_package
  time_range: {start: "2025-01-01", end: "2025-03-31"}
  format: pdf
  framework: SOC2
  include: [policy_compliance_status, audit_log]
  notify_on_complete: "webhook:https://hooks.acme.example/keeptrail?x=1"
`, Spec{Type: TypeCompliancePackage, TimeRange: q1, Format: FormatPDF, Framework: "soc2",
			Include:          []Section{SectionAuditLog, SectionPolicyComplianceStatus},
			NotifyOnComplete: "webhook:https://hooks.acme.example/keeptrail?x=1"}},
		{"custom framework", `export:
  type: compliance_package
  time_range: {start: "2025-01-01", end: "2025-03-31"}
  format: pdf
  framework: "ISO 27001-2022"
`, Spec{Type: TypeCompliancePackage, TimeRange: q1, Format: FormatPDF, Framework: "ISO 27001-2022"}},
		{"escalations", `export:
  type: escalations
  time_range: {start: "2025-01-01T00:00:00Z", end: "2025-03-31T23:59:59Z"}
  scope: {gateways: [gw-eu-1]}
  filters: {statuses: [resolved, open], severity: [high]}
  format: json
`, Spec{Type: TypeEscalations, TimeRange: q1, Format: FormatJSON, Scope: Scope{Gateways: []string{"gw-eu-1"}},
			Filters: Filters{Statuses: []keeptrail.EscalationStatus{"open", "resolved"}, Severity: []keeptrail.Severity{"high"}}}},
		{"events decisions", `export:
  type: events
  time_range: {start: "2025-01-01T00:00:00+01:00", end: "2025-04-01T00:59:59+01:00"}
  filters: {decisions: [escalated, blocked], users: [bob]}
  format: csv
`, Spec{Type: TypeEvents, TimeRange: TimeRange{Start: q1.Start.Add(-time.Hour), End: q1.End},
			Format: FormatCSV, Filters: Filters{Decisions: []keeptrail.Decision{"blocked", "escalated"}, Users: []string{"bob"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseYAML([]byte(tc.doc), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			assertSpec(t, s, tc.want)
		})
	}
}

func TestParseYAMLErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		doc  string
		lim  Limits
		want []string
	}{
		{"empty document", "", Limits{}, []string{"export: empty document"}},
		{"not YAML", "export: [", Limits{}, []string{"export: not valid YAML: line 1: did not find expected node content"}},
		{"not a mapping", "- export\n", Limits{}, []string{"export: the document must be a mapping with the single key export (line 1)"}},
		{"no export key", "scheduled_report:\n  name: x\n", Limits{}, []string{
			"scheduled_report: unknown field (line 1)", "export: required"}},
		{"two documents", base + "---\n" + base, Limits{}, []string{"export: only one YAML document is allowed"}},
		{"export twice", base + base, Limits{}, []string{"export: given twice, on lines 1 and 7"}},
		{"export not a mapping", "export: audit_log\n", Limits{}, []string{"export: must be a mapping, not a string (line 1)"}},
		{"everything missing", "export: {}\n", Limits{}, []string{
			"export.type: required (line 1)", "export.time_range: required (line 1)", "export.format: required (line 1)"}},
		{"unknown fields", base + "  zone: UTC\n  scope: {teams: [a], owner: b}\n", Limits{}, []string{
			"export.zone: unknown field (line 7)", "export.scope.owner: unknown field (line 8)"}},
		{"duplicate field", base + "  format: json\n", Limits{}, []string{"export.format: given twice, on lines 6 and 7"}},
		{"wrong types", `export:
  type: [audit_log]
  time_range: "2025"
  scope: {teams: payments, gateways: [1, true, {a: b}]}
  format: 3
`, Limits{}, []string{
			"export.type: must be a string, not a list (line 2)",
			"export.time_range: must be a mapping, not a string (line 3)",
			"export.scope.teams: must be a list, not a string (line 4)",
			"export.scope.gateways[0]: must be a string, not a number (line 4)",
			"export.scope.gateways[1]: must be a string, not a boolean (line 4)",
			"export.scope.gateways[2]: must be a string, not a mapping (line 4)",
			"export.format: must be a string, not a number (line 5)"}},
		{"custom tag", base + "  framework: !secret soc2\n", Limits{}, []string{
			"export.framework: must be a string, not a value tagged !secret (line 7)"}},
		{"bad enums", `export:
  type: audit_logs
  time_range: {start: "2025-01-01T00:00:00Z", end: "2025-01-02T00:00:00Z"}
  format: xlsx
`, Limits{}, []string{
			"export.type: must be one of audit_log, events, escalations, configurations, compliance_package (line 2)",
			"export.format: must be one of csv, json, ndjson, pdf (line 4)"}},
		{"reversed range", `export:
  type: audit_log
  time_range:
    start: "2025-04-01T00:00:00Z"
    end: "2025-03-31T23:59:59Z"
  format: csv
`, Limits{}, []string{"export.time_range.end: before start (line 5)"}},
		{"missing ends", "export:\n  type: audit_log\n  time_range: {start: \"2025-01-01\"}\n  format: csv\n", Limits{},
			[]string{"export.time_range.end: required (line 3)"}},
		{"bad times", `export:
  type: audit_log
  time_range:
    start: "2025-01-01 00:00:00"
    end: "2025-02-30T00:00:00Z"
  format: csv
`, Limits{}, []string{
			"export.time_range.start: not an RFC 3339 time such as 2025-01-01T00:00:00Z or a date such as 2025-01-01 (line 4)",
			"export.time_range.end: not an RFC 3339 time such as 2025-01-01T00:00:00Z or a date such as 2025-01-01 (line 5)"}},
		{"year out of range", "export:\n  type: audit_log\n  time_range: {start: \"1969-12-31T23:59:59Z\", end: \"2025-01-01\"}\n  format: csv\n",
			Limits{MaxRange: -1}, []string{"export.time_range.start: year must be between 1970 and 9999 (in UTC) (line 3)"}},
		{"range over default maximum", "export:\n  type: audit_log\n  time_range: {start: \"2024-01-01\", end: \"2025-02-04\"}\n  format: csv\n",
			Limits{}, []string{"export.time_range: longer than the maximum of 400 days (line 3)"}},
		{"range over configured maximum", base, Limits{MaxRange: 31 * 24 * time.Hour},
			[]string{"export.time_range: longer than the maximum of 31 days (line 3)"}},
		{"scope lists", base + `  scope:
    teams: []
    gateways: [all, gw-1, "", "a\tb"]
`, Limits{}, []string{
			"export.scope.teams: empty; omit it or use [all] (line 8)",
			`export.scope.gateways[0]: "all" must be the only entry (line 9)`,
			"export.scope.gateways[2]: empty (line 9)",
			"export.scope.gateways[3]: contains a control character (line 9)"}},
		{"long name", base + "  scope: {teams: [" + strings.Repeat("x", 257) + "]}\n", Limits{}, []string{
			"export.scope.teams[0]: longer than 256 bytes (line 7)"}},
		{"too many entries", base + "  scope: {teams: [a, b, c]}\n", Limits{MaxListItems: 2}, []string{
			"export.scope.teams: more than 2 entries (line 7)"}},
		{"gateways for the audit log", base + "  scope: {gateways: [gw-1]}\n", Limits{}, []string{
			"export.scope.gateways: audit log entries have no gateway; omit it or use [all] (line 7)"}},
		{"filters that do not apply", base + `  filters:
    decisions: [blocked]
    statuses: [open]
    severity: [urgent]
    categories: [authentication, hr]
    users: []
`, Limits{}, []string{
			"export.filters.severity[0]: must be one of low, medium, high, critical (line 10)",
			"export.filters.users: empty; omit it for no restriction (line 12)",
			"export.filters.decisions: only for type events (line 8)",
			"export.filters.categories[1]: must be one of authentication, authorization, configuration, escalation, financial, security, export, ingest (line 11)",
			"export.filters.statuses: only for type escalations (line 9)"}},
		{"configurations take no severity", `export:
  type: configurations
  time_range: {start: "2025-01-01", end: "2025-01-31"}
  filters: {severity: [high], users: [a]}
  format: json
`, Limits{}, []string{
			"export.filters.severity: only for types audit_log, events and escalations (line 4)",
			"export.filters.users: only for types audit_log and events (line 4)"}},
		{"pdf for events", "export:\n  type: events\n  time_range: {start: \"2025-01-01\", end: \"2025-01-31\"}\n  format: pdf\n",
			Limits{}, []string{"export.format: pdf is only available for types audit_log and compliance_package (line 4)"}},
		{"package as csv with filters", `export:
  type: compliance_package
  time_range: {start: "2025-01-01", end: "2025-01-31"}
  filters: {severity: [high]}
  format: csv
  include: [audit_log, spend]
  framework: "-x"
`, Limits{}, []string{
			"export.filters: not available for type compliance_package (a package covers the whole population in scope) (line 4)",
			"export.format: a compliance_package is produced as pdf (line 5)",
			"export.include[1]: must be one of audit_log, events_summary, escalation_report, configuration_changelog, policy_compliance_status (line 6)",
			"export.framework: must be soc2, hipaa or a custom framework name (1 to 64 letters, digits, spaces, '.', '_' or '-', starting with a letter or digit) (line 7)"}},
		{"package fields on an export", base + "  include: [audit_log]\n  framework: soc2\n", Limits{}, []string{
			"export.include: only for type compliance_package (line 7)",
			"export.framework: only for type compliance_package (line 8)"}},
		{"empty include", "export:\n  type: compliance_package\n  time_range: {start: \"2025-01-01\", end: \"2025-01-31\"}\n  format: pdf\n  include: []\n",
			Limits{}, []string{"export.include: empty; omit it to include every section (line 5)"}},
		{"anchors and aliases", `export:
  type: audit_log
  time_range: &r {start: "2025-01-01", end: "2025-01-31"}
  scope: {teams: *r, gateways: [&g x, *g]}
  format: csv
`, Limits{}, []string{
			"export.time_range: YAML anchors and aliases are not allowed (line 3)",
			"export.scope.teams: YAML anchors and aliases are not allowed (line 4)",
			"export.scope.gateways[0]: YAML anchors and aliases are not allowed (line 4)",
			"export.scope.gateways[1]: YAML anchors and aliases are not allowed (line 4)"}},
		{"anchored root", "&a export: {}\n", Limits{}, []string{"export: YAML anchors and aliases are not allowed (line 1)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseYAML([]byte(tc.doc), tc.lim)
			equalLines(t, fieldErrors(t, err), tc.want)
		})
	}
}

func TestParseYAMLNotify(t *testing.T) {
	for _, tc := range []struct{ notify, want string }{
		{`"email:compliance@acme.com"`, ""},
		{`"webhook:http://127.0.0.1:8080/hook"`, ""},
		{`"sms:+15550100"`, "must be email:ADDRESS or webhook:URL"},
		{`"compliance@acme.com"`, "must be email:ADDRESS or webhook:URL"},
		{`"email:compliance@acme.com\r\nBcc: all@acme.com"`, "contains a line break"},
		{`"email:compliance@acme.com\nBcc: all@acme.com"`, "contains a line break"},
		{`"email:Bob <bob@acme.com>"`, `not a valid email address: "Bob <bob@acme.com>"`},
		{`"email:bob"`, `not a valid email address: "bob"`},
		{`"email:a@b,c@d"`, `not a valid email address: "a@b,c@d"`},
		{`"email:"`, `not a valid email address: ""`},
		{`"webhook:ftp://acme.example/x"`, "webhook URL must start with http:// or https://"},
		{`"webhook:https:///path"`, "webhook URL has no host"},
		{`"webhook:https://user:pw@acme.example/x"`, "webhook URL must not contain credentials"},
		{`"webhook:https://acme.example/a b"`, "webhook URL contains a space"},
		{`"webhook:https://acme.example/` + strings.Repeat("a", 2048) + `"`, "longer than 2048 bytes"},
		{`"email:a\u0000@b.c"`, "contains a control character"},
	} {
		t.Run(tc.notify, func(t *testing.T) {
			_, err := ParseYAML([]byte(base+"  notify_on_complete: "+tc.notify+"\n"), Limits{})
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			equalLines(t, fieldErrors(t, err), []string{"export.notify_on_complete: " + tc.want + " (line 7)"})
		})
	}
}

func TestParseYAMLBounds(t *testing.T) {
	t.Run("too large", func(t *testing.T) {
		doc := base + "# " + strings.Repeat("x", DefaultMaxBytes) + "\n"
		_, err := ParseYAML([]byte(doc), Limits{})
		if keeptrail.ErrorCode(err) != keeptrail.ETOOLARGE {
			t.Fatalf("err = %v, want %s", err, keeptrail.ETOOLARGE)
		}
	})
	t.Run("not UTF-8", func(t *testing.T) {
		_, err := ParseYAML([]byte(base+"  framework: \"\xff\"\n"), Limits{})
		equalLines(t, fieldErrors(t, err), []string{"export: not valid UTF-8"})
	})
	t.Run("billion laughs", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
		for i := 'b'; i <= 'i'; i++ {
			prev := string(i - 1)
			b.WriteString(string(i) + ": &" + string(i) + " [*" + prev + ",*" + prev + ",*" + prev + ",*" + prev +
				",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + "]\n")
		}
		b.WriteString("export:\n  type: *i\n")
		start := time.Now()
		_, err := ParseYAML([]byte(b.String()), Limits{})
		got := fieldErrors(t, err)
		if len(got) != 12 || got[9] != "export.type: YAML anchors and aliases are not allowed (line 11)" {
			t.Fatalf("errors = %q", got)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("took %v: aliases were expanded", d)
		}
	})
	t.Run("errors capped", func(t *testing.T) {
		doc := base + "  scope:\n    teams: [" + strings.Repeat(`"", `, 80) + "a]\n"
		got := fieldErrors(t, func() error { _, err := ParseYAML([]byte(doc), Limits{}); return err }())
		if len(got) != maxFieldErrors+1 || got[maxFieldErrors] != "export: too many errors; the first 50 are shown" {
			t.Fatalf("got %d errors, last %q", len(got), got[len(got)-1])
		}
	})
}
