package evidence

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var updateGolden = flag.Bool("update-evidence", false, "rewrite the evidence package's golden files")

// golden compares got with testdata/name, rewriting it under -update-evidence.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update-evidence to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update-evidence rewrites it); got:\n%s", name, got)
	}
}

// oscalSchema compiles NIST's schema file as published, with one adjustment made in
// memory: NIST writes 12 definitions as {"$id": "#name", "$ref": ...}, and under draft-07,
// which the file declares, a "$ref" hides its sibling keywords, so a strict validator
// never sees those anchors ("#json-schema-directive" not found; usnistgov/OSCAL#1908,
// santhosh-tekuri/jsonschema#129). Each such "$ref" is moved into an "allOf" beside its
// "$id": the anchor is registered and the reference still applies, as NIST intends.
// Nothing else changes. The schema's patterns are RE2-compatible (\p{L}, \p{N}, \S), so
// Go's regexp engine, the library's default, compiles them; no ECMA engine is needed.
var oscalSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	path := filepath.Join("testdata", "oscal_assessment-results_schema-1.0.6.json")
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, err
	}
	if n := anchorRefs(doc); n != 12 {
		return nil, fmt.Errorf("expected 12 definitions with \"$id\" beside \"$ref\", found %d", n)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat() // date-time, uri, uri-reference and email are checked, not only annotated
	if err := c.AddResource(path, doc); err != nil {
		return nil, err
	}
	return c.Compile(path)
})

// anchorRefs moves each "$ref" that has an "$id" beside it into an "allOf", and counts
// them.
func anchorRefs(v any) int {
	n := 0
	switch v := v.(type) {
	case map[string]any:
		if ref, ok := v["$ref"]; ok {
			if _, ok := v["$id"]; ok {
				delete(v, "$ref")
				v["allOf"] = []any{map[string]any{"$ref": ref}}
				n++
			}
		}
		for _, c := range v {
			n += anchorRefs(c)
		}
	case []any:
		for _, c := range v {
			n += anchorRefs(c)
		}
	}
	return n
}

// validateOSCAL validates a document against NIST's OSCAL 1.0.6 assessment-results schema.
func validateOSCAL(t *testing.T, data []byte) error {
	t.Helper()
	sch, err := oscalSchema()
	if err != nil {
		t.Fatalf("compile NIST's schema: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("OSCAL output is not JSON: %v", err)
	}
	return sch.Validate(inst)
}

// fixtureFiles are the fixture's evidence files as the bundle writer reports them.
func fixtureFiles(t *testing.T) []Member {
	b, err := NewBundleWriter(&bytes.Buffer{}, fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range fixtureMembers[:5] {
		if _, err := b.Add(m.path, strings.NewReader(m.data)); err != nil {
			t.Fatal(err)
		}
	}
	return b.Members()
}

func fixtureOSCAL(t *testing.T) OSCALInput {
	snap := time.Date(2025, 4, 1, 6, 30, 0, 0, time.UTC)
	return OSCALInput{
		Organization: "Example Health <Ops> & Co",
		Framework:    ManifestFramework{Name: "soc2", Title: "SOC 2", Version: 1},
		Period: HalfOpenPeriod(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), "UTC"),
		GeneratedAt: fixtureGeneratedAt,
		Software:    Software{Name: "keeptrail", Version: "0.5.0"},
		Files:       fixtureFiles(t),
		Criteria: []OSCALCriterion{
			{ID: "CC6.1", Title: "Logical access", Description: "Users are identified and authenticated before access.",
				Evidence: []OSCALEvidence{
					{Path: "evidence/audit_log.csv", Description: "Sign-ins, failed sign-ins and API key changes.", CollectedAt: snap},
				}},
			{ID: "CC7.3", Title: "Incident evaluation", Finding: "Escalation history and SLA figures support CC7.3.",
				Exceptions: []string{"2 escalations breached their SLA", "1 escalation expired unresolved"},
				Evidence: []OSCALEvidence{
					{Path: "evidence/escalations.ndjson", CollectedAt: snap},
					{Path: "evidence/events_summary.csv", Description: "Blocked and escalated decisions by day."},
				}},
			{ID: "CC8.1", Title: "Change management", Evidence: []OSCALEvidence{
				{Path: "evidence/configuration_changelog.json"}, {Path: "evidence/audit_log.csv"},
			}},
		},
	}
}

func TestOSCALValidatesAgainstNISTSchema(t *testing.T) {
	in := fixtureOSCAL(t)
	data, err := GenerateOSCAL(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := validateOSCAL(t, data); err != nil {
		t.Fatalf("not valid OSCAL 1.0.6 assessment results: %v\n%s", err, data)
	}
	again, _ := GenerateOSCAL(fixtureOSCAL(t))
	if !bytes.Equal(data, again) {
		t.Fatal("two generations differ")
	}
	golden(t, "assessment-results.golden.json", data)

	// HIPAA section ids become control ids that start with the framework's name.
	in.Framework = ManifestFramework{Name: "hipaa", Title: "HIPAA", Version: 1}
	in.Criteria[0].ID, in.Criteria[0].Heading = "164.312(a)(1)", "§164.312(a)(1)"
	in.Criteria[1].ID, in.Criteria[1].Finding = "164.312(b)", ""
	in.Criteria[2].ID = "164.312(c)(1)"
	data, err = GenerateOSCAL(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := validateOSCAL(t, data); err != nil {
		t.Fatalf("HIPAA: not valid OSCAL: %v\n%s", err, data)
	}
	for _, id := range []string{`"control-id": "hipaa-164.312.a.1"`, `"title": "§164.312(a)(1) Logical access"`} {
		if !bytes.Contains(data, []byte(id)) {
			t.Errorf("HIPAA output lacks %s", id)
		}
	}
}

// TestOSCALSchemaRejects makes sure the schema test can fail: documents broken in ways
// the schema forbids are refused.
func TestOSCALSchemaRejects(t *testing.T) {
	data, err := GenerateOSCAL(fixtureOSCAL(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(map[string]any){
		"no metadata title":   func(d map[string]any) { delete(d["metadata"].(map[string]any), "title") },
		"a UUID of version 1": func(d map[string]any) { d["uuid"] = "6ba7b810-9dad-11d1-80b4-00c04fd430c8" },
		"a state that is not in the list": func(d map[string]any) {
			f := d["results"].([]any)[0].(map[string]any)["findings"].([]any)[0].(map[string]any)
			f["target"].(map[string]any)["status"].(map[string]any)["state"] = "supported"
		},
		"a date without a time zone": func(d map[string]any) { d["metadata"].(map[string]any)["last-modified"] = "2025-04-01T06:30:15" },
		"an empty observation list":  func(d map[string]any) { d["results"].([]any)[0].(map[string]any)["observations"] = []any{} },
	} {
		var doc map[string]map[string]any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		edit(doc["assessment-results"])
		broken, _ := json.Marshal(doc)
		if validateOSCAL(t, broken) == nil {
			t.Errorf("%s: the schema accepted it", name)
		}
	}
}

// TestOSCALContent checks what an auditor relies on: one finding per criterion, backed by
// observations whose relevant evidence points at the bundle's files with their SHA-256,
// states that follow the exceptions, and wording that never says "satisfies".
func TestOSCALContent(t *testing.T) {
	in := fixtureOSCAL(t)
	data, err := GenerateOSCAL(in)
	if err != nil {
		t.Fatal(err)
	}
	var doc oscalDocument
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	ar := doc.AssessmentResults
	if ar.Metadata.OSCALVersion != "1.0.6" || ar.Metadata.LastModified != "2025-04-01T06:30:15.123456Z" ||
		ar.Metadata.Version != "0.5.0" || ar.Metadata.Title != "SOC 2 evidence for Example Health <Ops> & Co, 2025-01-01 to 2025-03-31 (UTC)" {
		t.Errorf("metadata %+v", ar.Metadata)
	}
	if !strings.HasPrefix(ar.ImportAP.Href, "#") || ar.BackMatter.Resources[0].UUID != ar.ImportAP.Href[1:] {
		t.Errorf("import-ap %+v does not point at the plan resource", ar.ImportAP)
	}
	if len(ar.Results) != 1 {
		t.Fatalf("%d results", len(ar.Results))
	}
	r := ar.Results[0]
	if r.Start != "2025-01-01T00:00:00Z" || r.End != "2025-04-01T00:00:00Z" {
		t.Errorf("result period %s to %s", r.Start, r.End)
	}
	files := map[string]Member{}
	for _, f := range in.Files {
		files[f.Path] = f
	}
	obs := map[string]oscalObservation{}
	for _, o := range r.Observations {
		obs[o.UUID] = o
	}
	var controls []string
	for _, s := range r.ReviewedControls.ControlSelections[0].IncludeControls {
		controls = append(controls, s.ControlID)
	}
	if !slices.Equal(controls, []string{"cc6.1", "cc7.3", "cc8.1"}) {
		t.Errorf("reviewed controls %q", controls)
	}
	if len(r.Findings) != len(in.Criteria) {
		t.Fatalf("%d findings for %d criteria", len(r.Findings), len(in.Criteria))
	}
	wantState := []string{"satisfied", "not-satisfied", "satisfied"}
	for i, c := range in.Criteria {
		f := r.Findings[i]
		if f.Target.TargetID != controls[i] || f.Target.Status.State != wantState[i] {
			t.Errorf("%s: target %+v", c.ID, f.Target)
		}
		var cited []string
		for _, ro := range f.RelatedObservations {
			o, ok := obs[ro.ObservationUUID]
			if !ok {
				t.Fatalf("%s: related observation %s does not exist", c.ID, ro.ObservationUUID)
			}
			ev := o.RelevantEvidence[0]
			path := strings.TrimPrefix(ev.Href, "../")
			file := files[path]
			props := map[string]string{}
			for _, p := range ev.Props {
				props[p.Name] = p.Value
			}
			if props["sha256"] != file.SHA256 || props["bundle-path"] != path || file.SHA256 == "" ||
				!strings.Contains(ev.Description, file.SHA256) {
				t.Errorf("%s: relevant evidence %+v does not match %+v", c.ID, ev, file)
			}
			cited = append(cited, path)
		}
		var want []string
		for _, e := range c.Evidence {
			want = append(want, e.Path)
		}
		if !slices.Equal(cited, want) {
			t.Errorf("%s cites %q, want %q", c.ID, cited, want)
		}
	}
	if got := r.Findings[1].Target.Status.Remarks; !strings.HasPrefix(got,
		"The evidence shows 2 exceptions for the auditor to evaluate: 2 escalations breached their SLA; 1 escalation expired unresolved.") {
		t.Errorf("exceptions remarks %q", got)
	}
	if got := r.Findings[0].Remarks; got != "The evidence in this package supports CC6.1 Logical access for the audit period." {
		t.Errorf("default finding %q", got)
	}
	// "satisf" appears only as the state OSCAL requires, never in Keeptrail's words.
	text := string(data)
	states := len(regexp.MustCompile(`"state": "(not-)?satisfied"`).FindAllString(text, -1))
	if n := strings.Count(strings.ToLower(text), "satisf"); n != states || strings.Contains(text, "satisfies") {
		t.Errorf("'satisf' appears %d times, of which %d are states", n, states)
	}
	// Every resource is a file cited, with its hash.
	for _, res := range ar.BackMatter.Resources[1:] {
		f := files[res.Title]
		if len(res.RLinks) != 1 || res.RLinks[0].Href != "../"+f.Path || res.RLinks[0].Hashes[0] != (oscalHash{"SHA-256", f.SHA256}) {
			t.Errorf("resource %+v", res)
		}
	}
}

func TestOSCALInputErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*OSCALInput)
		want string
	}{
		{"nothing", func(in *OSCALInput) { *in = OSCALInput{} },
			"organization: is required; framework.name: is required; framework.title: is required; period.start: is required; " +
				"period.time_zone: is required; generated_at: is required; software.name: is required; software.version: is required; " +
				"criteria: must list at least one criterion"},
		{"multi-line organization", func(in *OSCALInput) { in.Organization = "Example\nHealth" },
			"organization: must be one line without spaces at either end"},
		{"satisfies", func(in *OSCALInput) { in.Criteria[0].Finding = "The evidence satisfies CC6.1." },
			"criteria[0].finding: must say the evidence supports the criterion, not that it satisfies it"},
		{"no support", func(in *OSCALInput) { in.Criteria[0].Finding = "Logs exist." },
			"criteria[0].finding: must say that the evidence supports the criterion"},
		{"satisfied in an evidence description", func(in *OSCALInput) { in.Criteria[1].Evidence[1].Description = "Satisfied SLAs." },
			"criteria[1].evidence[1].description: must say the evidence supports the criterion, not that it satisfies it"},
		{"unknown file", func(in *OSCALInput) { in.Criteria[2].Evidence[0].Path = "evidence/nope.csv" },
			`criteria[2].evidence[0].path: "evidence/nope.csv" is not among the bundle's files`},
		{"file cited twice", func(in *OSCALInput) { in.Criteria[2].Evidence[1].Path = "evidence/configuration_changelog.json" },
			"criteria[2].evidence[1].path: evidence/configuration_changelog.json is cited twice for CC8.1"},
		{"no evidence", func(in *OSCALInput) { in.Criteria[0].Evidence = nil },
			"criteria[0].evidence: must name at least one evidence file"},
		{"duplicate criterion", func(in *OSCALInput) { in.Criteria[2].ID = "CC6.1" },
			"criteria[2].id: CC6.1 is listed twice; criteria[2].control_id: cc6.1 is also the control id of CC6.1"},
		{"bad control id", func(in *OSCALInput) { in.Criteria[1].ControlID = "7.3" },
			`criteria[1].control_id: "7.3" is not an NCName (a letter or '_', then letters, digits, '.', '-' or '_')`},
		{"two-line exception", func(in *OSCALInput) { in.Criteria[1].Exceptions = []string{"a\nb"} },
			"criteria[1].exceptions[0]: must be one line of text"},
	} {
		in := fixtureOSCAL(t)
		tc.edit(&in)
		_, err := GenerateOSCAL(in)
		if keeptrail.ErrorCode(err) != keeptrail.EINVALID || err.Error() != tc.want {
			t.Errorf("%s: %v\nwant %s", tc.name, err, tc.want)
		}
	}
}

func TestOSCALControlID(t *testing.T) {
	for _, tc := range []struct{ framework, id, want string }{
		{"soc2", "CC6.1", "cc6.1"},
		{"hipaa", "164.312(a)(1)", "hipaa-164.312.a.1"},
		{"hipaa", "§164.312(e)(1)", "hipaa-164.312.e.1"},
		{"ISO 27001", "A.5.15", "a.5.15"},
		{"ISO 27001", "5.15", "iso-27001-5.15"},
		{"2024 policy", "1", "_2024-policy-1"},
		{"custom", "Access (MFA) ", "access-mfa"},
		{"custom", "", "custom"},
	} {
		got := OSCALControlID(tc.framework, tc.id)
		if got != tc.want || !validNCName(got) {
			t.Errorf("OSCALControlID(%q, %q) = %q, want %q", tc.framework, tc.id, got, tc.want)
		}
	}
}

func TestEvidenceHref(t *testing.T) {
	for in, want := range map[string]string{
		"evidence/audit_log.csv":         "../evidence/audit_log.csv",
		"report.pdf":                     "../report.pdf",
		"oscal/other.json":               "other.json",
		"evidence/events 2025 #1 ä?.csv": "../evidence/events%202025%20%231%20%C3%A4%3F.csv",
		"evidence/percent%.csv":          "../evidence/percent%25.csv",
	} {
		if got := evidenceHref(in); got != want {
			t.Errorf("evidenceHref(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestOSCALInBundle adds the assessment results to a bundle from its own members; the
// sealed bundle verifies and its OSCAL file validates.
func TestOSCALInBundle(t *testing.T) {
	var buf bytes.Buffer
	b, err := NewBundleWriter(&buf, fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range fixtureMembers[:5] {
		if _, err := b.Add(m.path, strings.NewReader(m.data)); err != nil {
			t.Fatal(err)
		}
	}
	in := fixtureOSCAL(t)
	in.Files = nil
	m, err := b.AddOSCAL(in)
	if err != nil {
		t.Fatal(err)
	}
	if m.Path != OSCALPath || m.Rows != nil {
		t.Errorf("OSCAL member %+v", m)
	}
	b.Add(ReportPath, strings.NewReader(fixtureMembers[6].data))
	man := fixtureManifest()
	key := testKey(4)
	if err := b.Seal(&man, key); err != nil {
		t.Fatal(err)
	}
	rep := verifyBytes(t, buf.Bytes(), key.PublicKey())
	if !rep.OK {
		t.Fatalf("bundle with OSCAL: %q", problemStrings(rep))
	}
	if err := validateOSCAL(t, readMember(t, mustZip(t, buf.Bytes()), OSCALPath)); err != nil {
		t.Error(err)
	}
}
