package evidence_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail/engine"
	"github.com/keeptrail/keeptrail/evidence"
	"github.com/keeptrail/keeptrail/internal/testtool"
)

// customTemplate is a custom framework template whose sources need some of the snapshot
// files (API keys) and not others (users, gateways, alerting rules, wallets, the audit
// slices).
const customTemplate = `name: acme-ai-governance
title: ACME AI governance
edition: "2025 internal policy"
sections:
  - id: AI-1
    title: Prompt screening
    description: Prompts are screened for personal data and injection attempts.
    sources: [events.blocks_by_rule, events.summary]
  - id: AI-2
    title: Incident handling
    sources: [escalations.history, escalations.sla]
  - id: AI-3
    title: Key hygiene
    sources: [access.api_keys, compliance_score]
`

// testCustomFramework creates a custom framework template through the engine, updates
// it once (version 2) and packages it: the manifest names the template and its version,
// the report has every section id, the OSCAL results validate with one finding per
// section, and the evidence files are exactly the period sections plus what the
// template's sources need.
func testCustomFramework(t *testing.T, fx *packageFixture) {
	pdftotext := testtool.Require(t, "pdftotext")
	eng := engine.New(fx.db, engine.Options{Now: func() time.Time { return pkgGeneratedAt },
		PasswordCost: engine.PasswordCost{Time: 1, MemoryKiB: 64, Threads: 1}})
	if _, err := eng.CreateFramework(fx.ctx, []byte(customTemplate)); err != nil {
		t.Fatalf("create: %v", err)
	}
	v2 := strings.Replace(customTemplate, "title: Key hygiene", "title: API key hygiene", 1)
	fw, err := eng.UpdateFramework(fx.ctx, "acme-ai-governance", []byte(v2))
	if err != nil || fw.Version != 2 {
		t.Fatalf("update: version %d, %v", fw.Version, err)
	}
	bundle, m := fx.write(t, "acme-ai-governance")

	var doc struct {
		Framework struct {
			Name    string `json:"name"`
			Title   string `json:"title"`
			Version int64  `json:"version"`
		} `json:"framework"`
	}
	if err := json.Unmarshal(member(t, bundle, evidence.ManifestPath), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Framework.Name != "acme-ai-governance" || doc.Framework.Title != "ACME AI governance" || doc.Framework.Version != 2 {
		t.Errorf("manifest.json framework %+v, want acme-ai-governance version 2", doc.Framework)
	}
	if m.Framework.Name != "acme-ai-governance" || m.Framework.Version != 2 {
		t.Errorf("returned manifest framework %+v", m.Framework)
	}

	wantEvidence := []string{evidence.FileAuditLog, evidence.FileEventsSummary, evidence.FileBlocksByRule,
		evidence.FileEscalations, evidence.FileEscalationSLA, evidence.FileConfigurations, evidence.FilePolicyStatus,
		evidence.FileComplianceScore, evidence.FileAPIKeys}
	var gotEvidence []string
	for _, n := range memberNames(t, bundle) {
		if strings.HasPrefix(n, "evidence/") {
			gotEvidence = append(gotEvidence, n)
		}
	}
	slices.Sort(wantEvidence)
	slices.Sort(gotEvidence)
	if !slices.Equal(gotEvidence, wantEvidence) {
		t.Errorf("evidence files\n got  %v\n want %v", gotEvidence, wantEvidence)
	}
	var inManifest []string
	for _, f := range m.Files {
		if strings.HasPrefix(f.Path, "evidence/") {
			inManifest = append(inManifest, f.Path)
		}
	}
	slices.Sort(inManifest)
	if !slices.Equal(inManifest, wantEvidence) {
		t.Errorf("manifest lists evidence %v", inManifest)
	}

	file := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(file, member(t, bundle, evidence.ReportPath), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-layout", file, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, want := range []string{"AI-1", "AI-2", "AI-3", "Prompt screening", "Incident handling", "API key hygiene", "ACME AI governance"} {
		if !strings.Contains(text, want) {
			t.Errorf("the report's text lacks %q", want)
		}
	}

	oscal := member(t, bundle, evidence.OSCALPath)
	if err := evidence.ValidateOSCAL(t, oscal); err != nil {
		t.Errorf("OSCAL does not validate against NIST's schema: %v", err)
	}
	var ar struct {
		AssessmentResults struct {
			Results []struct {
				Findings []struct {
					Props []struct{ Name, Value string } `json:"props"`
				} `json:"findings"`
			} `json:"results"`
		} `json:"assessment-results"`
	}
	if err := json.Unmarshal(oscal, &ar); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range ar.AssessmentResults.Results {
		for _, f := range r.Findings {
			for _, p := range f.Props {
				if p.Name == "criterion-id" {
					ids = append(ids, p.Value)
				}
			}
		}
	}
	if !slices.Equal(ids, []string{"AI-1", "AI-2", "AI-3"}) {
		t.Errorf("OSCAL findings for criteria %v, want one for each of AI-1, AI-2, AI-3", ids)
	}
	if rep, _ := evidence.VerifyBundle(bytes.NewReader(bundle), int64(len(bundle)), fx.pub); !rep.OK {
		t.Errorf("verify: %+v", rep.Problems)
	}
}
