package evidence

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
)

// sealedManifest is the fixture's manifest as Seal writes it.
func sealedManifest(t *testing.T) []byte {
	t.Helper()
	return readMember(t, mustZip(t, buildFixture(t, fixtureOptions(), testKey(1))), ManifestPath)
}

func TestManifestGolden(t *testing.T) {
	golden(t, "manifest.golden.json", sealedManifest(t))
}

// TestManifestCanonical encodes the same manifest written differently (parameters with
// other key order and spacing, times in another zone and with nanoseconds, files in
// another order, nil lists) and gets the same bytes.
func TestManifestCanonical(t *testing.T) {
	want := sealedManifest(t)
	m, err := DecodeManifest(want)
	if err != nil {
		t.Fatal(err)
	}
	berlin := time.FixedZone("CET", 3600)
	m.Kind, m.FormatVersion = "", 0
	m.GeneratedAt = m.GeneratedAt.In(berlin).Add(789 * time.Nanosecond)
	m.Period.Start = m.Period.Start.In(berlin)
	m.Files[0], m.Files[3] = m.Files[3], m.Files[0]
	m.Queries[0].Parameters = json.RawMessage(`{ "type" : "audit_log", "filters": {},
		"time_range": {"start": "2025-01-01", "end": "2025-03-31"} }`)
	m.Queries[1].Exclusions = nil
	m.AuditLog.ChainCheck.Problems = nil
	got, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("encoding differs:\n%s\nwant:\n%s", got, want)
	}
	for _, s := range []string{`"organization": "Example Health <Ops> & Co"`, `"<all>"`, `"exclusions": []`, `"problems": []`} {
		if !bytes.Contains(got, []byte(s)) {
			t.Errorf("manifest lacks %s", s)
		}
	}
	if !bytes.HasSuffix(got, []byte("}\n")) || bytes.Contains(got, []byte(`\u003c`)) {
		t.Errorf("manifest is not newline-terminated or escapes HTML")
	}
}

func TestDecodeManifest(t *testing.T) {
	good := sealedManifest(t)
	for _, tc := range []struct {
		name, data, want string
	}{
		{"unknown field", strings.Replace(string(good), `"organization"`, `"extra": 1, "organization"`, 1),
			`not a valid manifest: json: unknown field "extra"`},
		{"trailing data", string(good) + "{}", "not a valid manifest: data after the manifest object"},
		{"another kind", strings.Replace(string(good), ManifestKind, "keeptrail.export.manifest", 1),
			`not a compliance package manifest: kind "keeptrail.export.manifest"`},
		{"another version", strings.Replace(string(good), `"format_version": 1`, `"format_version": 2`, 1),
			"manifest format version 2 is not supported (this Keeptrail reads version 1)"},
	} {
		if _, err := DecodeManifest([]byte(tc.data)); err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestManifestValidate(t *testing.T) {
	base := func() Manifest {
		m := fixtureManifest()
		m.Files = fixtureFiles(t)
		return m
	}
	if err := base().Validate(); err != nil {
		t.Fatalf("fixture manifest: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(*Manifest)
		want string
	}{
		{"empty", func(m *Manifest) { *m = Manifest{} },
			"organization: is required; framework.name: is required; framework.title: is required; period.start: is required; " +
				"period.time_zone: is required; generated_at: is required; generated_by.kind: must be user, api_key, schedule or system, not \"\"; " +
				"generated_by.name: is required; software.name: is required; software.version: is required; schema_version: is required; " +
				"files: must list at least one file"},
		{"period backwards", func(m *Manifest) { m.Period.End = m.Period.Start }, "period.end: must be after period.start"},
		{"rows do not reconcile", func(m *Manifest) { m.Queries[1].RowsWritten = 5 },
			"evidence_queries[1].rows_written: is 5 but evidence/events_summary.csv has 2 rows"},
		{"exclusions do not add up", func(m *Manifest) { m.Queries[2].RowsExcluded = 2 },
			"evidence_queries[2].rows_excluded: is 2 but the exclusions add up to 1"},
		{"exclusion without reason", func(m *Manifest) { m.Queries[2].Exclusions[0].Reason = "" },
			"evidence_queries[2].exclusions[0].reason: is required"},
		{"query file missing", func(m *Manifest) { m.Queries[0].File = "evidence/none.csv" },
			"evidence_queries[0].file: evidence/none.csv is not among the files"},
		{"parameters not JSON", func(m *Manifest) { m.Queries[0].Parameters = json.RawMessage(`{"a":`) },
			"evidence_queries[0].parameters: not valid JSON: unexpected EOF"},
		{"duplicate query", func(m *Manifest) { m.Queries[1].Name = "audit_log" },
			"evidence_queries[1].name: audit_log is listed twice"},
		{"no snapshot", func(m *Manifest) { m.Queries[0].SnapshotAt = time.Time{} },
			"evidence_queries[0].snapshot_at: is required"},
		{"bad file path", func(m *Manifest) { m.Files[0].Path = "../x.csv" },
			`files[0].path: "../x.csv" has a ".." segment; evidence_queries[0].file: evidence/audit_log.csv is not among the files; ` +
				`audit_log.file: "evidence/audit_log.csv" is not among the files`},
		{"short hash", func(m *Manifest) { m.Files[1].SHA256 = "abc" }, "files[1].sha256: must be 64 hex digits"},
		{"chain result", func(m *Manifest) { m.AuditLog.ChainCheck.Result = "ok" },
			`audit_log.chain_check.result: must be intact or broken, not "ok"`},
		{"broken without problems", func(m *Manifest) { m.AuditLog.ChainCheck.Result = ChainBroken },
			"audit_log.chain_check.problems: must name what is broken"},
		{"intact with problems", func(m *Manifest) {
			m.AuditLog.ChainCheck.Problems = []ChainProblem{{Seq: 2, What: "hash mismatch"}}
		}, "audit_log.chain_check.result: is intact but problems are listed"},
		{"sequence backwards", func(m *Manifest) { m.AuditLog.FirstSeq = 9 }, "audit_log.last_seq: must not be less than first_seq"},
		{"score out of range", func(m *Manifest) { m.Score.Score = 101 }, "compliance_score.score: must be between 0 and 100"},
	} {
		m := base()
		tc.edit(&m)
		err := m.Validate()
		if keeptrail.ErrorCode(err) != keeptrail.EINVALID || err.Error() != tc.want {
			t.Errorf("%s: %v\nwant %s", tc.name, err, tc.want)
		}
	}
}

// TestSealRefusesBadManifest: Seal validates, and a refused manifest leaves the bundle
// open for a corrected one.
func TestSealRefusesBadManifest(t *testing.T) {
	var buf bytes.Buffer
	b, _ := NewBundleWriter(&buf, fixtureOptions())
	for _, fm := range fixtureMembers {
		b.Add(fm.path, strings.NewReader(fm.data))
	}
	m := fixtureManifest()
	m.Queries[0].RowsWritten = 4
	err := b.Seal(&m, testKey(1))
	if err == nil || err.Error() != "evidence_queries[0].rows_written: is 4 but evidence/audit_log.csv has 3 rows" {
		t.Fatalf("Seal = %v", err)
	}
	m = fixtureManifest()
	if err := b.Seal(&m, testKey(1)); err != nil {
		t.Fatal(err)
	}
	if !verifyBytes(t, buf.Bytes(), testKey(1).PublicKey()).OK {
		t.Error("bundle sealed after a refusal does not verify")
	}
}
