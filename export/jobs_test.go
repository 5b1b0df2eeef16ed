package export

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/artifact"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// newQueue returns a job queue over db with artifacts in a temporary folder.
func newQueue(t *testing.T, db keeptrail.Store, opt JobsOptions) *Jobs {
	t.Helper()
	d, err := artifact.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	opt.Artifacts = d
	if opt.Owner == "" {
		opt.Owner = "test-worker"
	}
	return NewJobs(New(db, Options{Version: "test"}), opt)
}

func as(p *keeptrail.Principal) context.Context {
	return keeptrail.NewContextWithPrincipal(context.Background(), p)
}

// runAll runs queued jobs until none is left.
func runAll(t *testing.T, q *Jobs) {
	t.Helper()
	for {
		ran, err := q.RunOne(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !ran {
			return
		}
	}
}

// download returns the file of a succeeded job.
func download(t *testing.T, q *Jobs, ctx context.Context, id int64) []byte {
	t.Helper()
	d, err := q.Open(ctx, id, ViaAPI)
	if err != nil {
		t.Fatal(err)
	}
	defer d.File.Close()
	b, err := io.ReadAll(d.File)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// exportAudit returns "action outcome actor" of every export audit entry, in order.
func exportAudit(t *testing.T, st keeptrail.Store) []string {
	t.Helper()
	var out []string
	err := st.View(context.Background(), func(tx keeptrail.Tx) error {
		f := keeptrail.ExportFilter{Start: time.Unix(0, 0), End: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC),
			Categories: []string{keeptrail.CategoryExport}}
		return tx.ExportAuditEntries(f, func(e *keeptrail.AuditEntry) error {
			out = append(out, e.Action+" "+e.Outcome+" "+e.Actor)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func spec(t *testing.T, f Flags) Spec {
	t.Helper()
	if f.Start == "" {
		f.Start, f.End = "2025-02-01", "2025-02-28"
	}
	s, err := FromFlags(f, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestJobScopeAndAudit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		org := loadFixture(t, db)
		q := newQueue(t, db, JobsOptions{})
		teamAdmin := &keeptrail.Principal{Kind: keeptrail.ActorAPIKey, UserID: 5, Name: "key:tadmin01", Role: keeptrail.RoleTeamAdmin,
			TeamIDs: []int64{org.teams["claims"].ID}, SourceIP: "192.0.2.10"}
		auditor := &keeptrail.Principal{Kind: keeptrail.ActorUser, UserID: 6, Name: "aud@acme.example", Role: keeptrail.RoleAuditor, AllTeams: true}
		viewer := &keeptrail.Principal{Kind: keeptrail.ActorUser, UserID: 7, Name: "vic@acme.example", Role: keeptrail.RoleViewer, AllTeams: true}

		// teams: [all] for a team admin is its own teams: exactly the claims rows.
		job, err := q.Submit(as(teamAdmin), spec(t, Flags{Type: "events", Format: "csv", Teams: []string{"all"}}))
		if err != nil {
			t.Fatal(err)
		}
		if job.Status != keeptrail.ExportQueued || job.ID == 0 {
			t.Fatalf("submitted job %+v", job)
		}
		runAll(t, q)
		got, err := q.Job(as(teamAdmin), job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != keeptrail.ExportSucceeded || got.Rows != 2 || got.Population != 2 {
			t.Fatalf("team admin export: %+v", got)
		}
		file := download(t, q, as(teamAdmin), job.ID)
		sum := sha256.Sum256(file)
		if hex.EncodeToString(sum[:]) != got.SHA256 || int64(len(file)) != got.Bytes {
			t.Fatalf("downloaded %d bytes with SHA-256 %x; job says %d, %s", len(file), sum, got.Bytes, got.SHA256)
		}
		lines := strings.Split(strings.TrimSpace(string(file)), "\r\n")
		if len(lines) != 3 || !strings.Contains(lines[1], ",r-0002,gw-us-1,claims,") || !strings.Contains(lines[2], ",r-0005,gw-us-1,claims,") {
			t.Fatalf("team admin file:\n%s", file)
		}

		// Naming a team outside one's teams is forbidden, audited, and queues nothing.
		_, err = q.Submit(as(teamAdmin), spec(t, Flags{Type: "events", Format: "csv", Teams: []string{"payments"}}))
		if keeptrail.ErrorCode(err) != keeptrail.EFORBIDDEN || err.Error() != `team "payments" is outside your teams` {
			t.Fatalf("naming another team: %v", err)
		}
		_, err = q.Submit(as(teamAdmin), spec(t, Flags{Type: "events", Format: "csv", Gateways: []string{"gw-eu-1"}}))
		if keeptrail.ErrorCode(err) != keeptrail.EFORBIDDEN {
			t.Fatalf("naming another team's gateway: %v", err)
		}
		// Another's export is not found for a team admin of another team (and audited).
		other, err := q.Submit(as(adminPrincipal), spec(t, Flags{Type: "audit_log", Format: "json"}))
		if err != nil {
			t.Fatal(err)
		}
		runAll(t, q)
		if _, err := q.Open(as(teamAdmin), other.ID, ViaAPI); keeptrail.ErrorCode(err) != keeptrail.ENOTFOUND {
			t.Fatalf("team admin downloading the admin's export: %v", err)
		}
		if _, err := q.Job(as(teamAdmin), other.ID); keeptrail.ErrorCode(err) != keeptrail.ENOTFOUND {
			t.Fatalf("team admin reading the admin's export: %v", err)
		}
		// An auditor may export; a viewer may not.
		aj, err := q.Submit(as(auditor), spec(t, Flags{Type: "audit_log", Format: "ndjson"}))
		if err != nil {
			t.Fatalf("auditor export: %v", err)
		}
		runAll(t, q)
		if j, _ := q.Job(as(auditor), aj.ID); j.Status != keeptrail.ExportSucceeded {
			t.Fatalf("auditor's export: %+v", j)
		}
		if _, err := q.Submit(as(viewer), spec(t, Flags{Type: "events", Format: "csv"})); keeptrail.ErrorCode(err) != keeptrail.EFORBIDDEN {
			t.Fatalf("viewer export: %v", err)
		}
		if list, err := q.List(as(auditor), 0); err != nil || len(list) != 1 || list[0].ID != aj.ID {
			t.Fatalf("auditor's list: %+v, %v", list, err)
		}
		if list, err := q.List(as(adminPrincipal), 0); err != nil || len(list) != 3 {
			t.Fatalf("admin's list: %d jobs, %v", len(list), err)
		}

		want := []string{
			"export.requested success key:tadmin01",
			"export.completed success key:tadmin01",
			"export.downloaded success key:tadmin01",
			"export.requested denied key:tadmin01",
			"export.requested denied key:tadmin01",
			"export.requested success ana@acme.example",
			"export.completed success ana@acme.example",
			"export.downloaded denied key:tadmin01",
			"export.requested success aud@acme.example",
			"export.completed success aud@acme.example",
			"export.requested denied vic@acme.example",
		}
		if got := exportAudit(t, db); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("export audit entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// The completed entry carries the spec and the SHA-256.
		var details auditDetails
		db.View(context.Background(), func(tx keeptrail.Tx) error {
			f := keeptrail.ExportFilter{Start: time.Unix(0, 0), End: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), Actions: []string{ActionCompleted}}
			return tx.ExportAuditEntries(f, func(e *keeptrail.AuditEntry) error {
				if details.JobID == 0 {
					return json.Unmarshal(e.Details, &details)
				}
				return nil
			})
		})
		if details.JobID != job.ID || details.SHA256 != got.SHA256 || !bytes.Equal(details.Spec, got.Spec) || *details.Rows != 2 {
			t.Fatalf("completed audit details %+v", details)
		}
	})
}

func TestJobLimitCancelAndFailure(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		loadFixture(t, db)
		q := newQueue(t, db, JobsOptions{MaxActive: 2, RetryAfter: 17 * time.Second})
		ctx := as(adminPrincipal)
		a, err := q.Submit(ctx, spec(t, Flags{Type: "events", Format: "csv"}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := q.Submit(ctx, spec(t, Flags{Type: "events", Format: "json"})); err != nil {
			t.Fatal(err)
		}
		_, err = q.Submit(ctx, spec(t, Flags{Type: "events", Format: "ndjson"}))
		var tooMany *TooManyError
		if !errors.As(err, &tooMany) || keeptrail.ErrorCode(err) != keeptrail.ETOOMANY || tooMany.RetryAfter != 17*time.Second {
			t.Fatalf("third export: %v", err)
		}
		// Canceling one makes room.
		c, err := q.Cancel(ctx, a.ID)
		if err != nil || c.Status != keeptrail.ExportCanceled {
			t.Fatalf("cancel: %+v, %v", c, err)
		}
		if _, err := q.Cancel(ctx, a.ID); keeptrail.ErrorCode(err) != keeptrail.ECONFLICT || err.Error() != fmt.Sprintf("export %d has already canceled", a.ID) {
			t.Fatalf("second cancel: %v", err)
		}
		if _, err := q.Open(ctx, a.ID, ViaAPI); keeptrail.ErrorCode(err) != keeptrail.ECONFLICT {
			t.Fatalf("download of a canceled export: %v", err)
		}
		// A PDF over the row limit fails with a reason, and is audited.
		q.x.opt.PDFMaxRows = 2
		big, err := q.Submit(ctx, spec(t, Flags{Type: "audit_log", Format: "pdf"}))
		if err != nil {
			t.Fatal(err)
		}
		runAll(t, q)
		j, _ := q.Job(ctx, big.ID)
		if j.Status != keeptrail.ExportFailed || !strings.Contains(j.Error, "a pdf export holds at most 2 rows and this period and these filters select 4") {
			t.Fatalf("oversized pdf: %+v", j)
		}
		if _, err := q.Manifest(ctx, big.ID); keeptrail.ErrorCode(err) != keeptrail.ECONFLICT {
			t.Fatalf("manifest of a failed export: %v", err)
		}
		got := exportAudit(t, db)
		if got[len(got)-1] != "export.failed failure ana@acme.example" {
			t.Fatalf("last export audit entry %q", got[len(got)-1])
		}
		if _, err := q.Submit(ctx, spec(t, Flags{Type: "compliance_package", Format: "pdf"})); keeptrail.ErrorCode(err) != keeptrail.EINVALID ||
			err.Error() != "invalid export spec: export.type: compliance_package is not yet supported" {
			t.Fatalf("compliance package: %v", err)
		}
	})
}

// TestSnapshotUnderConcurrentIngest writes new events into the exported period while an
// export is reading (from its progress callback): the export's rows equal the population
// of its own snapshot, and a later export sees the new events.
func TestSnapshotUnderConcurrentIngest(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		org := loadFixture(t, db)
		gw := org.gateways["gw-eu-1"]
		insert := func(prefix string, n int) {
			events := make([]keeptrail.DecisionEvent, n)
			for i := range events {
				events[i] = fixtureEvent(org, fmt.Sprintf("%s-%06d", prefix, i), fixtureDay.Add(time.Duration(i)*time.Second),
					gw.Name, "ingest@acme.example", "gpt-4o", keeptrail.DecisionAllowed, keeptrail.SeverityLow, nil, nil)
			}
			if err := db.Update(context.Background(), func(tx keeptrail.Tx) error { _, err := tx.InsertEvents(events); return err }); err != nil {
				t.Error(err)
			}
		}
		insert("base", 20000)
		x := New(db, Options{})
		s := spec(t, Flags{Type: "events", Format: "ndjson"})
		inserted := 0
		res, err := x.Write(context.Background(), s, adminPrincipal, io.Discard, func(rows int64) {
			if inserted < 3 {
				inserted++
				insert(fmt.Sprintf("during%d", inserted), 2000) // committed while the export reads
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if inserted != 3 {
			t.Fatalf("inserted during the export %d times, want 3", inserted)
		}
		if res.Population != 20005 || res.Rows != res.Population {
			t.Fatalf("export under ingest: population %d, rows %d; want 20005 and equal", res.Population, res.Rows)
		}
		after, err := x.Write(context.Background(), s, adminPrincipal, io.Discard, nil)
		if err != nil || after.Rows != 26005 {
			t.Fatalf("export after the ingest: %d rows, %v; want 26005", after.Rows, err)
		}
	})
}

// cancelOnView cancels a context when the export starts reading.
type cancelOnView struct {
	keeptrail.Store
	cancel *context.CancelFunc // set once the job is submitted
}

func (c cancelOnView) View(ctx context.Context, fn func(keeptrail.Tx) error) error {
	if *c.cancel != nil {
		(*c.cancel)()
	}
	return c.Store.View(ctx, fn)
}

// TestShutdownReleasesTheLease: a worker stopped mid-export (its context ends, as at
// SIGTERM) ends its lease at once, so the next worker claims the job without waiting.
func TestShutdownReleasesTheLease(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		loadFixture(t, db)
		var cancel context.CancelFunc
		stopping := newQueue(t, cancelOnView{Store: db, cancel: &cancel}, JobsOptions{Lease: time.Hour, Owner: "stopping"})
		job, err := stopping.Submit(as(adminPrincipal), spec(t, Flags{Type: "events", Format: "csv"}))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancelRun := context.WithCancel(context.Background())
		cancel = cancelRun
		if ran, err := stopping.RunOne(ctx); !ran || err != nil {
			t.Fatalf("RunOne: %v, %v", ran, err)
		}
		cancel = nil
		j, _ := stopping.Job(as(adminPrincipal), job.ID)
		if j.Status != keeptrail.ExportRunning || j.LeaseExpiresAt == nil || j.LeaseExpiresAt.After(time.Now()) {
			t.Fatalf("after the shutdown: %+v", j)
		}
		next := newQueue(t, db, JobsOptions{Lease: time.Hour, Owner: "next"})
		runAll(t, next)
		j, _ = next.Job(as(adminPrincipal), job.ID)
		if j.Status != keeptrail.ExportSucceeded || j.Attempts != 2 || j.Rows != 5 {
			t.Fatalf("claimed again: %+v", j)
		}
	})
}
