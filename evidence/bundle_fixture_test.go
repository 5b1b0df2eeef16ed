package evidence

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// fixtureGeneratedAt is the generated-at time of the test bundles.
var fixtureGeneratedAt = time.Date(2025, 4, 1, 6, 30, 15, 123456000, time.UTC)

// testKey returns a package key from a fixed seed byte, so key IDs are stable.
func testKey(seed byte) *PackageKey {
	s := bytes.Repeat([]byte{seed}, ed25519.SeedSize)
	return NewPackageKey(ed25519.NewKeyFromSeed(s))
}

// fixtureMember is one evidence file of the test bundle.
type fixtureMember struct {
	path string
	data string
}

// fixtureMembers are the test bundle's files in the order they are added: two CSV files
// (one with a quoted line break and CRLF line ends), NDJSON, a JSON array, a JSON object,
// the OSCAL file and a report.
var fixtureMembers = []fixtureMember{
	{"evidence/audit_log.csv", "seq,at,action,details\r\n" +
		"1,2025-01-02T03:04:05.000000Z,user.login,\"{\"\"ip\"\":\"\"10.0.0.1\"\"}\"\r\n" +
		"2,2025-01-02T03:05:00.000000Z,policy.update,\"line one\r\nline two\"\r\n" +
		"3,2025-01-03T00:00:00.000000Z,ingest.events,'=SUM(A1)\r\n"},
	{"evidence/events_summary.csv", "day,gateway,decision,events\r\n" +
		"2025-01-02,gw-eu,allowed,1200\r\n2025-01-02,gw-eu,blocked,31\r\n"},
	{"evidence/escalations.ndjson", `{"id":1,"severity":"high","outcome":"resolved"}` + "\n" +
		`{"id":2,"severity":"low","outcome":"expired"}` + "\n"},
	{"evidence/configuration_changelog.json", `[{"version":1,"summary":"initial, [a] {b}"},` +
		`{"version":2,"summary":"say \"hi\""},{"version":3,"summary":"x"}]` + "\n"},
	{"evidence/policy_compliance_status.json", `{"policies":[{"name":"pii"},{"name":"cost"}]}` + "\n"},
	{OSCALPath, `{"assessment-results":{}}` + "\n"},
	{ReportPath, "%PDF-1.7\n% not a real report\n%%EOF\n"},
}

// fixtureManifest is the manifest the assembler would fill for the fixture.
func fixtureManifest() Manifest {
	snap := time.Date(2025, 4, 1, 6, 30, 0, 0, time.UTC)
	return Manifest{
		Organization: "Example Health <Ops> & Co",
		Framework:    ManifestFramework{Name: "soc2", Title: "SOC 2", Version: 1},
		Period: HalfOpenPeriod(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), "UTC"),
		GeneratedAt:   fixtureGeneratedAt,
		GeneratedBy:   GeneratedBy{Kind: GeneratedByUser, Name: "officer@example.com", Role: "compliance_officer"},
		Software:      Software{Name: "keeptrail", Version: "0.5.0", Build: "abc123"},
		SchemaVersion: "3",
		Queries: []EvidenceQuery{
			{Name: "audit_log", File: "evidence/audit_log.csv",
				Parameters: json.RawMessage(`{"type":"audit_log","time_range":{"start":"2025-01-01","end":"2025-03-31"},"filters":{}}`),
				SnapshotAt: snap, Population: 3, RowsWritten: 3},
			{Name: "events_summary", File: "evidence/events_summary.csv",
				Parameters: json.RawMessage(`{"type":"events_summary","group_by":["day","gateway","decision"]}`),
				SnapshotAt: snap, Population: 1231, RowsWritten: 2},
			{Name: "escalation_report", File: "evidence/escalations.ndjson",
				Parameters: json.RawMessage(`{"type":"escalation_report","teams":["<all>"]}`),
				SnapshotAt: snap, Population: 3, RowsWritten: 2, RowsExcluded: 1,
				Exclusions: []Exclusion{{Reason: "outside the requester's teams", Rows: 1}}},
		},
		AuditLog: &AuditLogEvidence{File: "evidence/audit_log.csv", FirstSeq: 1, LastSeq: 3, Entries: 3,
			ChainCheck: ChainCheck{Result: ChainIntact, CheckedFrom: 1, CheckedTo: 3, Entries: 3, Checkpoints: 1}},
		Score: &ScoreSummary{Score: 87.5, At: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC),
			Components: []ScoreComponent{{Name: "policy_coverage", Weight: 25, MaxPoints: 25, Ratio: 0.9, Points: 22.5}}},
	}
}

// buildFixture writes the fixture bundle with the given options and key.
func buildFixture(t testing.TB, opt BundleOptions, key *PackageKey) []byte {
	t.Helper()
	var buf bytes.Buffer
	b, err := NewBundleWriter(&buf, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range fixtureMembers {
		if _, err := b.Add(m.path, strings.NewReader(m.data)); err != nil {
			t.Fatalf("add %s: %v", m.path, err)
		}
	}
	m := fixtureManifest()
	if err := b.Seal(&m, key); err != nil {
		t.Fatalf("seal: %v", err)
	}
	return buf.Bytes()
}

func fixtureOptions() BundleOptions { return BundleOptions{GeneratedAt: fixtureGeneratedAt} }
