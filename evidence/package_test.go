package evidence_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/auditlog"
	"github.com/keeptrail/keeptrail/demo"
	"github.com/keeptrail/keeptrail/engine"
	"github.com/keeptrail/keeptrail/evidence"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// The demo data of the package tests: 3,000 decision events over two weeks, read as of a
// fixed time after the run.
var (
	pkgFrom        = time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	pkgTo          = time.Date(2025, 1, 20, 0, 0, 0, 0, time.UTC)
	pkgGeneratedAt = time.Date(2025, 1, 21, 8, 0, 0, 0, time.UTC)
)

// packageFixture is a database with demo data and a packager over it.
type packageFixture struct {
	db  *sqlstore.DB
	pkg *evidence.Packager
	ctx context.Context
	pub ed25519.PublicKey
}

// newPackageFixture fills a fresh database of db0's kind with demo data. The store's
// clock stays at a fixed time after the run, so reruns read the same state.
func newPackageFixture(t *testing.T, db0 *sqlstore.DB) *packageFixture {
	t.Helper()
	open := testdb.SQLite
	if db0.Dialect() == "postgres" {
		open = testdb.Postgres
	}
	clock := &demo.Clock{}
	var fixed atomic.Bool
	now := func() time.Time {
		if fixed.Load() {
			return pkgGeneratedAt
		}
		return clock.Now()
	}
	db := open(t, sqlstore.Options{Now: now})
	_, err := demo.Run(context.Background(), db, demo.Options{Seed: 7, Events: 3000, From: pkgFrom, To: pkgTo, Clock: clock,
		PasswordCost: engine.PasswordCost{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	fixed.Store(true)
	signer, err := auditlog.LoadOrCreateKey(filepath.Join(t.TempDir(), "audit.key"))
	if err != nil {
		t.Fatal(err)
	}
	key := evidence.NewPackageKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize)))
	pkg := &evidence.Packager{Store: db, Key: key, AuditPublicKey: signer.PublicKey(),
		Software: evidence.Software{Name: "keeptrail", Version: "test"}}
	ctx := keeptrail.NewContextWithPrincipal(context.Background(), &keeptrail.Principal{Kind: keeptrail.ActorUser,
		Name: "officer@example.com", Role: keeptrail.RoleComplianceOfficer, AllTeams: true})
	return &packageFixture{db: db, pkg: pkg, ctx: ctx, pub: key.PublicKey()}
}

func (fx *packageFixture) write(t *testing.T, framework string) ([]byte, evidence.Manifest) {
	t.Helper()
	var buf bytes.Buffer
	m, err := fx.pkg.Write(fx.ctx, evidence.PackageRequest{Framework: framework, From: pkgFrom, To: pkgTo,
		GeneratedAt: pkgGeneratedAt}, &buf)
	if err != nil {
		t.Fatalf("package %s: %v", framework, err)
	}
	return buf.Bytes(), m
}

// member returns a member's bytes.
func member(t *testing.T, bundle []byte, path string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(bundle), int64(len(bundle)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.Open(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func memberNames(t *testing.T, bundle []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(bundle), int64(len(bundle)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	return names
}

// TestPackage builds SOC 2 and HIPAA packages on both databases: the bundle holds the
// expected files, verifies, is byte-identical when rebuilt, and the manifest's counts
// agree with the files.
func TestPackage(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db0 *sqlstore.DB) {
		fx := newPackageFixture(t, db0)
		soc2, m := fx.write(t, "")
		again, _ := fx.write(t, "soc2")
		if !bytes.Equal(soc2, again) {
			t.Errorf("the same data, request and generated-at gave different bundles (%d and %d bytes)", len(soc2), len(again))
			diffMembers(t, soc2, again)
		}
		wantFiles := []string{evidence.FileAuditLog, evidence.FileAuthentication, evidence.FileEventsSummary,
			evidence.FileEscalations, evidence.FileEscalationSLA, evidence.FileConfigurations, evidence.FilePolicyStatus,
			evidence.FileGateways, evidence.FileAlertingRules, evidence.FileUsers, evidence.FileAPIKeys,
			evidence.OSCALPath, evidence.ReportPath, evidence.ManifestPath, evidence.SignaturePath}
		got := memberNames(t, soc2)
		for _, w := range wantFiles {
			if !slices.Contains(got, w) {
				t.Errorf("bundle lacks %s; has %v", w, got)
			}
		}
		rep, err := evidence.VerifyBundle(bytes.NewReader(soc2), int64(len(soc2)), fx.pub)
		if err != nil || !rep.OK {
			t.Fatalf("verify: %v %+v", err, rep.Problems)
		}
		if m.Framework.Name != "soc2" || m.AuditLog == nil || m.AuditLog.ChainCheck.Result != evidence.ChainIntact {
			t.Errorf("manifest framework %+v audit log %+v", m.Framework, m.AuditLog)
		}
		if m.AuditLog.FirstSeq < 1 || m.AuditLog.LastSeq < m.AuditLog.FirstSeq ||
			m.AuditLog.Entries != m.AuditLog.LastSeq-m.AuditLog.FirstSeq+1 {
			t.Errorf("audit log range %d..%d with %d entries", m.AuditLog.FirstSeq, m.AuditLog.LastSeq, m.AuditLog.Entries)
		}
		// The events summary adds up to every decision event of the period.
		var events int64
		for _, q := range m.Queries {
			if q.Name == "events_summary" {
				events = q.Population
			}
			if !q.SnapshotAt.Equal(pkgGeneratedAt) {
				t.Errorf("query %s snapshot %v", q.Name, q.SnapshotAt)
			}
		}
		if events != 3000 {
			t.Errorf("events_summary population %d, want 3000", events)
		}
		csv := string(member(t, soc2, evidence.FileEventsSummary))
		if !strings.HasPrefix(csv, "day,team,gateway,severity,requests,allowed,blocked,escalated,enforced\r\n2025-01-06,") {
			t.Errorf("events summary starts %q", csv[:min(len(csv), 120)])
		}

		if err := evidence.ValidateOSCAL(t, member(t, soc2, evidence.OSCALPath)); err != nil {
			t.Errorf("the package's OSCAL results do not validate against NIST's schema: %v", err)
		}
		hipaa, hm := fx.write(t, "HIPAA")
		if err := evidence.ValidateOSCAL(t, member(t, hipaa, evidence.OSCALPath)); err != nil {
			t.Errorf("hipaa OSCAL: %v", err)
		}
		if hm.Framework.Name != "hipaa" {
			t.Errorf("framework %q", hm.Framework.Name)
		}
		if rep, _ := evidence.VerifyBundle(bytes.NewReader(hipaa), int64(len(hipaa)), fx.pub); !rep.OK {
			t.Errorf("hipaa verify: %+v", rep.Problems)
		}
		var buf bytes.Buffer
		_, err = fx.pkg.Write(fx.ctx, evidence.PackageRequest{Framework: "iso-nothing", From: pkgFrom, To: pkgTo, GeneratedAt: pkgGeneratedAt}, &buf)
		if keeptrail.ErrorCode(err) != keeptrail.EINVALID || !strings.Contains(err.Error(), "iso-nothing") {
			t.Errorf("unknown framework: %v", err)
		}
		// Last: creating a template adds audit entries to the fixture's data.
		t.Run("custom framework", func(t *testing.T) { testCustomFramework(t, fx) })
		t.Run("under ingest", func(t *testing.T) { testPackageUnderIngest(t, fx) })
	})
}

func diffMembers(t *testing.T, a, b []byte) {
	for _, n := range memberNames(t, a) {
		x, y := member(t, a, n), member(t, b, n)
		if !bytes.Equal(x, y) {
			i := 0
			for i < len(x) && i < len(y) && x[i] == y[i] {
				i++
			}
			t.Errorf("member %s differs at %d: %q vs %q", n, i, x[max(0, i-80):min(len(x), i+80)], y[max(0, i-80):min(len(y), i+80)])
		}
	}
}

// rezip rebuilds a bundle with change applied to each member's bytes (nil drops it) and
// extra members appended.
func rezip(t *testing.T, bundle []byte, change func(name string, data []byte) []byte, extra map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range memberNames(t, bundle) {
		data := change(name, member(t, bundle, name))
		if data == nil {
			continue
		}
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	for name, data := range extra {
		w, _ := zw.Create(name)
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// testPackageTampering alters a real package: a flipped byte in each member, a deleted
// and an added file, and a manifest signed by another key each fail verification naming
// the file.
func testPackageTampering(t *testing.T, fx *packageFixture) {
	bundle, _ := fx.write(t, "soc2")
	verify := func(b []byte) evidence.Report {
		rep, err := evidence.VerifyBundle(bytes.NewReader(b), int64(len(b)), fx.pub)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := verify(rezip(t, bundle, func(_ string, d []byte) []byte { return d }, nil)); !rep.OK {
		t.Fatalf("an unchanged rezip fails: %+v", rep.Problems)
	}
	mentions := func(rep evidence.Report, path string) bool {
		for _, p := range rep.Problems {
			if p.Path == path || strings.Contains(p.What, path) {
				return true
			}
		}
		return false
	}
	for _, name := range memberNames(t, bundle) {
		rep := verify(rezip(t, bundle, func(n string, d []byte) []byte {
			if n == name {
				d = bytes.Clone(d)
				d[len(d)/2] ^= 0x01
			}
			return d
		}, nil))
		if rep.OK {
			t.Errorf("a flipped byte in %s passes", name)
		} else if name != evidence.ManifestPath && name != evidence.SignaturePath && !mentions(rep, name) {
			t.Errorf("a flipped byte in %s: problems %+v do not name it", name, rep.Problems)
		}
	}
	rep := verify(rezip(t, bundle, func(n string, d []byte) []byte {
		if n == evidence.FileUsers {
			return nil
		}
		return d
	}, nil))
	if rep.OK || !mentions(rep, evidence.FileUsers) {
		t.Errorf("deleted %s: %+v", evidence.FileUsers, rep.Problems)
	}
	rep = verify(rezip(t, bundle, func(_ string, d []byte) []byte { return d }, map[string][]byte{"evidence/extra.csv": []byte("a\r\n")}))
	if rep.OK || !mentions(rep, "evidence/extra.csv") {
		t.Errorf("added file: %+v", rep.Problems)
	}
	other := evidence.NewPackageKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize)))
	rep = verify(rezip(t, bundle, func(n string, d []byte) []byte {
		if n == evidence.SignaturePath || n == "manifest.json.minisig" {
			return other.SignManifest(member(t, bundle, evidence.ManifestPath), pkgGeneratedAt)
		}
		return d
	}, nil))
	if rep.OK {
		t.Errorf("a manifest signed by another key passes")
	}
}

// TestPackageSQLite runs the checks that need one package fixture on one SQLite database
// (building the demo data once keeps the package's tests fast).
func TestPackageSQLite(t *testing.T) {
	fx := newPackageFixture(t, testdb.SQLite(t))
	t.Run("report", func(t *testing.T) { testReportPDF(t, fx) })
	t.Run("tampering", func(t *testing.T) { testPackageTampering(t, fx) })
	t.Run("product page example", func(t *testing.T) { testProductPageExample(t, fx) })
	t.Run("job", func(t *testing.T) { testPackageJob(t, fx) })
	t.Run("policy bars", func(t *testing.T) { testPolicyBars(t, fx) })
	t.Run("unicode", func(t *testing.T) { testReportUnicode(t, fx) })
}
