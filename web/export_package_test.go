package web_test

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/auditlog"
	"github.com/keeptrail/keeptrail/evidence"
	"github.com/keeptrail/keeptrail/export"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// productPagePackage is the product page's compliance package example, with the
// framework named.
const productPagePackage = `export:
  type: compliance_package
  framework: soc2
  time_range:
    start: "2025-01-01T00:00:00Z"
    end: "2025-03-31T23:59:59Z"
  scope:
    teams: ["all"]
    gateways: ["all"]
  format: pdf
  include:
    - audit_log
    - events_summary
    - escalation_report
    - configuration_changelog
    - policy_compliance_status
`

// TestExportPackageAPI requests compliance packages over HTTP: the product page's spec as
// YAML (and as JSON) is queued, run and downloaded as a ZIP that verifies with the
// package key; its manifest names the requester; a team admin's package holds only
// their team's rows; an unknown framework is refused 400 naming export.framework with
// nothing queued.
func TestExportPackageAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ts := newExportServer(t, db, 5, time.Now)
		signer, err := auditlog.LoadOrCreateKey(filepath.Join(t.TempDir(), "audit.key"))
		if err != nil {
			t.Fatal(err)
		}
		key := evidence.NewPackageKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{5}, ed25519.SeedSize)))
		export.RegisterPackager(evidence.ExportPackager{Packager: &evidence.Packager{Store: db, Key: key,
			AuditPublicKey: signer.PublicKey(), Software: evidence.Software{Name: "keeptrail", Version: "test"}}})
		t.Cleanup(func() { export.RegisterPackager(nil) })

		ts.team("payments")
		ts.team("claims")
		ts.events("gw-pay", "payments", 3)
		ts.events("gw-claims", "claims", 2)
		_, officer := ts.userKey("olga@acme.example", keeptrail.RoleComplianceOfficer)
		_, teamAdmin := ts.userKey("tom@acme.example", keeptrail.RoleTeamAdmin, "claims")

		// The officer's package, from the YAML: every team.
		bundle, m := ts.packageJob(t, officer, productPagePackage, "application/yaml", key.PublicKey())
		if m.GeneratedBy.Kind != evidence.GeneratedByAPIKey || !strings.HasPrefix(m.GeneratedBy.Name, "key:") ||
			m.GeneratedBy.OnBehalfOf != "olga@acme.example" || m.GeneratedBy.Role != keeptrail.RoleComplianceOfficer {
			t.Errorf("manifest generated_by %+v, want olga@acme.example's key as compliance_officer", m.GeneratedBy)
		}
		if m.Framework.Name != "soc2" {
			t.Errorf("manifest framework %+v", m.Framework)
		}
		summary := zipMember(t, bundle, evidence.FileEventsSummary)
		if !strings.Contains(summary, ",payments,gw-pay,high,3,0,3,0,") || !strings.Contains(summary, ",claims,gw-claims,high,2,0,2,0,") {
			t.Errorf("officer's events summary:\n%s", summary)
		}

		// The team admin's package, from the same spec as JSON: the claims team only.
		spec, err := export.ParseYAML([]byte(productPagePackage), export.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		js := `{"export":` + string(spec.Canonical()) + `}`
		bundle, m = ts.packageJob(t, teamAdmin, js, "application/json", key.PublicKey())
		if m.GeneratedBy.OnBehalfOf != "tom@acme.example" || m.GeneratedBy.Role != keeptrail.RoleTeamAdmin {
			t.Errorf("manifest generated_by %+v", m.GeneratedBy)
		}
		summary = zipMember(t, bundle, evidence.FileEventsSummary)
		if !strings.Contains(summary, ",claims,gw-claims,high,2,0,2,0,") {
			t.Errorf("team admin's events summary lacks the claims row:\n%s", summary)
		}
		if strings.Contains(summary, "payments") || strings.Contains(summary, "gw-pay") {
			t.Errorf("team admin's events summary has another team's rows:\n%s", summary)
		}
		for _, q := range m.Queries {
			if q.Name == "events_summary" && q.Population != 2 {
				t.Errorf("team admin's events_summary population %d, want 2", q.Population)
			}
		}

		// An unknown framework: 400 naming the field, nothing queued.
		before := ts.jobCount(officer)
		res := ts.do("POST", "/api/v1/exports", officer, strings.NewReader(strings.Replace(productPagePackage, "framework: soc2", "framework: nosuch", 1)),
			"Content-Type", "application/yaml")
		wantError(t, res, 400, "invalid", keeptrail.FieldError{Field: "export.framework", Reason: `"nosuch" is neither soc2, hipaa nor a framework template`})
		if after := ts.jobCount(officer); after != before {
			t.Errorf("a refused spec queued a job: %d jobs, then %d", before, after)
		}
	})
}

// packageJob posts a compliance package spec, runs the queue, waits for the job to
// succeed, downloads its artifact and verifies it; it returns the bundle and its
// manifest.
func (ts *exportServer) packageJob(t *testing.T, token, spec, contentType string, pub ed25519.PublicKey) ([]byte, evidence.Manifest) {
	t.Helper()
	res := ts.do("POST", "/api/v1/exports", token, strings.NewReader(spec), "Content-Type", contentType)
	if res.status != 202 {
		t.Fatalf("POST package: %d %s", res.status, res.body)
	}
	var created exportCreatedBody
	res.json(t, &created)
	var job keeptrail.ExportJob
	for deadline := time.Now().Add(time.Minute); ; {
		ts.runJobs()
		ts.call("GET", fmt.Sprintf("/api/v1/exports/%d", created.ID), token, nil, 200, &job)
		if job.Status == keeptrail.ExportSucceeded {
			break
		}
		if job.Status == keeptrail.ExportFailed || time.Now().After(deadline) {
			t.Fatalf("package job %+v", job)
		}
		time.Sleep(10 * time.Millisecond)
	}
	res = ts.do("GET", fmt.Sprintf("/api/v1/exports/%d/download", created.ID), token, nil)
	if res.status != 200 || res.header.Get("Content-Type") != "application/zip" {
		t.Fatalf("download: %d %q %.200s", res.status, res.header.Get("Content-Type"), res.body)
	}
	if want := fmt.Sprintf(`attachment; filename=package-%d.zip`, created.ID); res.header.Get("Content-Disposition") != want {
		t.Errorf("Content-Disposition %q, want %q", res.header.Get("Content-Disposition"), want)
	}
	rep, err := evidence.VerifyBundle(bytes.NewReader(res.body), int64(len(res.body)), pub)
	if err != nil || !rep.OK {
		t.Fatalf("the downloaded bundle does not verify: %v %+v", err, rep.Problems)
	}
	var m evidence.Manifest
	if err := json.Unmarshal([]byte(zipMember(t, res.body, evidence.ManifestPath)), &m); err != nil {
		t.Fatal(err)
	}
	return res.body, m
}

// jobCount is the number of export jobs the token's owner sees.
func (ts *exportServer) jobCount(token string) int {
	ts.t.Helper()
	var jobs struct {
		Items []keeptrail.ExportJob `json:"items"`
	}
	ts.call("GET", "/api/v1/exports", token, nil, 200, &jobs)
	return len(jobs.Items)
}

// zipMember returns one member of a ZIP as text.
func zipMember(t *testing.T, b []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a ZIP: %v", err)
	}
	rc, err := zr.Open(name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
