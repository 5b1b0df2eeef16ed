package evidence_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/artifact"
	"github.com/keeptrail/keeptrail/evidence"
	"github.com/keeptrail/keeptrail/export"
)

// testProductPageExample runs the product page's YAML example, as written, through the
// export engine: the result is a SOC 2 package (the default framework) that verifies,
// with the five included sections' files.
func testProductPageExample(t *testing.T, fx *packageFixture) {
	export.RegisterPackager(evidence.ExportPackager{Packager: fx.pkg})
	t.Cleanup(func() { export.RegisterPackager(nil) })
	yaml, err := os.ReadFile("testdata/package/product-page.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := export.ParseYAML(yaml, export.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	x := export.New(fx.db, export.Options{Version: "test", Now: func() time.Time { return pkgGeneratedAt }})
	p := keeptrail.PrincipalFromContext(fx.ctx)
	if err := x.Check(fx.ctx, spec, p); err != nil {
		t.Fatalf("check: %v", err)
	}
	var buf bytes.Buffer
	res, err := x.Write(fx.ctx, spec, p, &buf, nil)
	if err != nil {
		t.Fatalf("write: %v", err)
	}
	bundle := buf.Bytes()
	rep, err := evidence.VerifyBundle(bytes.NewReader(bundle), int64(len(bundle)), fx.pub)
	if err != nil || !rep.OK {
		t.Fatalf("verify: %v %+v", err, rep.Problems)
	}
	if rep.Manifest.Framework.Name != "soc2" {
		t.Errorf("framework %q, want soc2", rep.Manifest.Framework.Name)
	}
	names := memberNames(t, bundle)
	for _, f := range []string{evidence.FileAuditLog, evidence.FileEventsSummary, evidence.FileEscalations,
		evidence.FileConfigurations, evidence.FilePolicyStatus, evidence.ReportPath} {
		if !slices.Contains(names, f) {
			t.Errorf("bundle lacks %s", f)
		}
	}
	if res.Rows != int64(len(rep.Manifest.Files)) || res.Bytes != int64(len(bundle)) {
		t.Errorf("result rows %d bytes %d; manifest files %d, bundle %d bytes", res.Rows, res.Bytes, len(rep.Manifest.Files), len(bundle))
	}
	again, err := x.Write(fx.ctx, spec, p, &buf, nil)
	_ = again
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bundle, buf.Bytes()[len(bundle):]) {
		t.Errorf("the export engine gave another bundle for the same spec and time")
	}

	// A spec naming one team gives a package of that team's rows only.
	var team string
	if err := fx.db.View(fx.ctx, func(tx keeptrail.Tx) error {
		ts, err := tx.Teams(keeptrail.TeamScope{})
		if len(ts) > 0 {
			team = ts[0].Name
		}
		return err
	}); err != nil || team == "" {
		t.Fatalf("teams: %v", err)
	}
	spec.Scope.Teams = []string{team}
	buf.Reset()
	if _, err := x.Write(fx.ctx, spec, p, &buf, nil); err != nil {
		t.Fatalf("team package: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(member(t, buf.Bytes(), evidence.FileEventsSummary))), "\r\n")
	if len(lines) < 2 {
		t.Fatalf("team package has no events summary rows")
	}
	for _, l := range lines[1:] {
		if strings.Split(l, ",")[1] != team {
			t.Fatalf("team package of %s has row %q", team, l)
		}
	}

	export.RegisterPackager(nil)
	if err := x.Check(fx.ctx, spec, p); keeptrail.ErrorCode(err) != keeptrail.EINVALID {
		t.Errorf("without a packager: %v", err)
	}
}

// testPackageJob submits the product page example as an export job, runs it through a
// worker and downloads a bundle that verifies; the request and the download are audit
// entries like every export's.
func testPackageJob(t *testing.T, fx *packageFixture) {
	export.RegisterPackager(evidence.ExportPackager{Packager: fx.pkg})
	t.Cleanup(func() { export.RegisterPackager(nil) })
	yaml, err := os.ReadFile("testdata/package/product-page.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := export.ParseYAML(yaml, export.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := artifact.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	q := export.NewJobs(export.New(fx.db, export.Options{Version: "test", Now: func() time.Time { return pkgGeneratedAt }}),
		export.JobsOptions{Artifacts: d, Owner: "test-worker"})
	job, err := q.Submit(fx.ctx, spec)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	for {
		ran, err := q.RunOne(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !ran {
			break
		}
	}
	job, err = q.Job(fx.ctx, job.ID)
	if err != nil || job.Status != keeptrail.ExportSucceeded {
		t.Fatalf("job %+v: %v", job, err)
	}
	dl, err := q.Open(fx.ctx, job.ID, export.ViaAPI)
	if err != nil {
		t.Fatal(err)
	}
	defer dl.File.Close()
	if want := fmt.Sprintf("package-%d.zip", job.ID); dl.Name != want || dl.MediaType != "application/zip" {
		t.Errorf("download %q as %q, want %q as application/zip", dl.Name, dl.MediaType, want)
	}
	bundle, err := io.ReadAll(dl.File)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := evidence.VerifyBundle(bytes.NewReader(bundle), int64(len(bundle)), fx.pub)
	if err != nil || !rep.OK {
		t.Fatalf("verify the job's bundle: %v %+v", err, rep.Problems)
	}
	var actions []string
	if err := fx.db.View(fx.ctx, func(tx keeptrail.Tx) error {
		return tx.ExportAuditEntries(keeptrail.ExportFilter{Start: pkgGeneratedAt.Add(-time.Hour), End: pkgGeneratedAt.Add(time.Hour),
			Categories: []string{keeptrail.CategoryExport}}, func(e *keeptrail.AuditEntry) error {
			actions = append(actions, e.Action+" "+e.Outcome)
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	if len(actions) < 2 {
		t.Errorf("export audit entries %v, want the request and the download at least", actions)
	}
	t.Logf("job artifact %s (%s), audit %v", job.Artifact, dl.MediaType, actions)
}
