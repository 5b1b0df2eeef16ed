package evidence_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/auditlog"
	"github.com/keeptrail/keeptrail/evidence"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// TestPackageMemoryBounded packages an audit log of about 45 MiB of CSV: the evidence
// files stream into the ZIP, so the heap grows by much less than the file while the
// package is written.
func TestPackageMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 40,000 audit entries")
	}
	at := pkgFrom.Add(time.Hour)
	db := testdb.SQLite(t, sqlstore.Options{Now: func() time.Time { return at }})
	details, _ := json.Marshal(map[string]string{"note": strings.Repeat("x", 900)})
	const entries = 40_000
	err := db.Update(context.Background(), func(tx keeptrail.Tx) error {
		for i := range entries {
			e := keeptrail.AuditEntry{ActorKind: keeptrail.ActorSystem, Actor: "system:test", Action: "test.entry",
				Category: keeptrail.CategoryConfiguration, Severity: keeptrail.SeverityLow, Outcome: "success", Details: details,
				Target: "entry-" + itoa(i)}
			if err := tx.AppendAudit(&e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auditlog.LoadOrCreateKey(filepath.Join(t.TempDir(), "audit.key"))
	if err != nil {
		t.Fatal(err)
	}
	key := evidence.NewPackageKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize)))
	pkg := &evidence.Packager{Store: db, Key: key, AuditPublicKey: signer.PublicKey(), Software: evidence.Software{Name: "keeptrail", Version: "test"}}
	ctx := keeptrail.NewContextWithPrincipal(context.Background(), &keeptrail.Principal{Kind: keeptrail.ActorUser,
		Name: "officer@example.com", Role: keeptrail.RoleComplianceOfficer, AllTeams: true})

	var out countingDiscard
	runtime.GC()
	base := heapObjects()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			if h := heapObjects(); h > peak.Load() {
				peak.Store(h)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})
	m, err := pkg.Write(ctx, evidence.PackageRequest{Framework: "soc2", From: pkgFrom, To: pkgTo, GeneratedAt: pkgGeneratedAt}, &out)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	var audit evidence.Member
	for _, f := range m.Files {
		if f.Path == evidence.FileAuditLog {
			audit = f
		}
	}
	if audit.Rows == nil || *audit.Rows != entries || audit.Size < 36<<20 {
		t.Fatalf("audit log member %+v, want %d rows and at least 36 MiB", audit, entries)
	}
	growth := int64(peak.Load()) - int64(base)
	t.Logf("audit_log.csv %.1f MiB (%d rows), bundle %.1f MiB; heap %.1f MiB before, peak %.1f MiB while packaging (+%.1f MiB)",
		mib(audit.Size), *audit.Rows, mib(out.n), mib(int64(base)), mib(int64(peak.Load())), mib(growth))
	// Holding the files whole took 207 MiB here (the audit log and its configuration slice).
	if growth > audit.Size/2 {
		t.Errorf("the heap grew by %.1f MiB while packaging a %.1f MiB file: files are held in memory", mib(growth), mib(audit.Size))
	}
}

// TestStreamedMemberMatchesBytes checks a streamed package's audit log member byte for
// byte: its size, SHA-256 and rows in the manifest are those of the bytes in the ZIP.
func TestStreamedMemberMatchesBytes(t *testing.T) {
	fx := newPackageFixture(t, testdb.SQLite(t))
	bundle, m := fx.write(t, "soc2")
	for _, f := range m.Files {
		data := member(t, bundle, f.Path)
		if int64(len(data)) != f.Size || memberSHA(data) != f.SHA256 {
			t.Errorf("%s: manifest says %d bytes %s, the bundle holds %d bytes %s", f.Path, f.Size, f.SHA256, len(data), memberSHA(data))
		}
		if strings.HasSuffix(f.Path, ".csv") {
			if f.Rows == nil || *f.Rows != int64(bytes.Count(data, []byte("\r\n"))-1) {
				t.Errorf("%s: rows %v for %d lines", f.Path, f.Rows, bytes.Count(data, []byte("\r\n")))
			}
		}
	}
}

// countingDiscard counts the bytes written to it.
type countingDiscard struct{ n int64 }

func (c *countingDiscard) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

var _ io.Writer = (*countingDiscard)(nil)

// heapObjects is the bytes of live and not yet swept heap objects.
func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func memberSHA(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
