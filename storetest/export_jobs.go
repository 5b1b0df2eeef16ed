package storetest

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	keeptrail "github.com/keeptrail/keeptrail"
)

// newJob returns a job requested by name with a team scope of teams (nil: all teams).
func newJob(name string, teams []int64) keeptrail.ExportJob {
	j := keeptrail.ExportJob{Spec: json.RawMessage(`{ "type": "events" }`), Type: "events", Format: "csv"}
	p := &keeptrail.Principal{Kind: keeptrail.ActorAPIKey, UserID: 7, APIKeyID: 9, Name: name,
		Role: keeptrail.RoleTeamAdmin, TeamIDs: teams, AllTeams: teams == nil, SourceIP: "192.0.2.1"}
	j.SetRequester(p)
	return j
}

func createJob(t *testing.T, st keeptrail.Store, j *keeptrail.ExportJob) {
	t.Helper()
	update(t, st, func(tx keeptrail.Tx) error { return tx.CreateExportJob(j) })
}

// drainJobs cancels every active job left by earlier cases on the same store.
func drainJobs(t *testing.T, st keeptrail.Store) {
	t.Helper()
	update(t, st, func(tx keeptrail.Tx) error {
		active, err := tx.ExportJobs(keeptrail.ExportJobFilter{Statuses: []keeptrail.ExportJobStatus{keeptrail.ExportQueued, keeptrail.ExportRunning}})
		for _, j := range active {
			if err == nil {
				_, err = tx.CancelExportJob(j.ID)
			}
		}
		return err
	})
}

func claim(t *testing.T, st keeptrail.Store, owner string, lease time.Duration) (keeptrail.ExportJob, error) {
	t.Helper()
	var j keeptrail.ExportJob
	err := st.Update(bg(), func(tx keeptrail.Tx) error {
		var err error
		j, err = tx.ClaimExportJob(owner, tx.Now().Add(lease))
		return err
	})
	return j, err
}

func testExportJobLifecycle(t *testing.T, st keeptrail.Store) {
	drainJobs(t, st)
	j := newJob("key:life", []int64{3, 1})
	createJob(t, st, &j)
	if j.ID == 0 || j.Status != keeptrail.ExportQueued || j.CreatedAt.IsZero() || string(j.Spec) != `{"type":"events"}` {
		t.Fatalf("created job %+v", j)
	}
	var got keeptrail.ExportJob
	view(t, st, func(tx keeptrail.Tx) error {
		var err error
		got, err = tx.ExportJobByID(j.ID)
		return err
	})
	wantEqual(t, "job read back", got, j)
	wantEqual(t, "principal of the job", got.Principal(), &keeptrail.Principal{Kind: keeptrail.ActorAPIKey, UserID: 7,
		APIKeyID: 9, Name: "key:life", Role: keeptrail.RoleTeamAdmin, TeamIDs: []int64{3, 1}, SourceIP: "192.0.2.1"})
	view(t, st, func(tx keeptrail.Tx) error {
		_, err := tx.ExportJobByID(987654)
		wantErr(t, err, keeptrail.ENOTFOUND, "export job 987654 not found")
		return nil
	})

	c, err := claim(t, st, "worker-1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != j.ID || c.Status != keeptrail.ExportRunning || c.LeaseOwner != "worker-1" || c.Attempts != 1 ||
		c.StartedAt == nil || c.LeaseExpiresAt == nil || !c.LeaseExpiresAt.Equal(c.StartedAt.Add(time.Minute)) {
		t.Fatalf("claimed %+v", c)
	}
	if _, err := claim(t, st, "worker-2", time.Minute); keeptrail.ErrorCode(err) != keeptrail.ENOTFOUND {
		t.Fatalf("second claim with nothing queued: %v, want not found", err)
	}
	update(t, st, func(tx keeptrail.Tx) error {
		status, err := tx.UpdateExportJobProgress(j.ID, "worker-1", 10, 2048, tx.Now().Add(time.Minute))
		if err != nil || status != keeptrail.ExportRunning {
			t.Fatalf("progress: %q, %v", status, err)
		}
		status, err = tx.UpdateExportJobProgress(j.ID, "worker-2", 11, 4096, tx.Now().Add(time.Minute))
		wantErr(t, err, keeptrail.ECONFLICT, "export job "+itoa(j.ID)+" is running under another worker")
		if status != keeptrail.ExportRunning {
			t.Fatalf("status with a lost lease: %q", status)
		}
		done := keeptrail.ExportJob{ID: j.ID, Status: keeptrail.ExportSucceeded, Population: 12, Rows: 12, Bytes: 4100,
			SHA256: "ab12", Artifact: "export-1.csv"}
		wantErr(t, tx.FinishExportJob(&done, "worker-2"), keeptrail.ECONFLICT,
			"export job "+itoa(j.ID)+" is running under another worker")
		if err := tx.FinishExportJob(&done, "worker-1"); err != nil {
			return err
		}
		got, err := tx.ExportJobByID(j.ID)
		if err != nil {
			return err
		}
		if got.Status != keeptrail.ExportSucceeded || got.Rows != 12 || got.Population != 12 || got.Bytes != 4100 ||
			got.SHA256 != "ab12" || got.Artifact != "export-1.csv" || got.FinishedAt == nil || !got.FinishedAt.Equal(tx.Now()) ||
			got.LeaseExpiresAt != nil {
			t.Fatalf("finished job %+v", got)
		}
		// Finished: progress reports the final status and changes nothing.
		status, err = tx.UpdateExportJobProgress(j.ID, "worker-1", 99, 99, tx.Now())
		if err != nil || status != keeptrail.ExportSucceeded {
			t.Fatalf("progress after finish: %q, %v", status, err)
		}
		wantErr(t, tx.FinishExportJob(&done, "worker-1"), keeptrail.ECONFLICT,
			"export job "+itoa(j.ID)+" is succeeded, no longer running under this worker")
		if err := tx.SetExportJobNotification(j.ID, "failed", "email:a@b.example: failed permanently"); err != nil {
			return err
		}
		got, _ = tx.ExportJobByID(j.ID)
		if got.NotifyStatus != "failed" || got.NotifyError != "email:a@b.example: failed permanently" || got.Rows != 12 {
			t.Fatalf("notification not recorded: %+v", got)
		}
		return nil
	})

	// Listing and the per-requester count.
	other := newJob("key:other", nil)
	createJob(t, st, &other)
	second := newJob("key:life", []int64{3, 1})
	createJob(t, st, &second)
	update(t, st, func(tx keeptrail.Tx) error {
		n, err := tx.CountActiveExportJobs("key:life")
		if err != nil || n != 1 {
			t.Fatalf("active jobs of key:life = %d, %v; want 1", n, err)
		}
		list, err := tx.ExportJobs(keeptrail.ExportJobFilter{Requester: "key:life"})
		if err != nil {
			return err
		}
		if len(list) != 2 || list[0].ID != second.ID || list[1].ID != j.ID {
			t.Fatalf("jobs of key:life: %+v", list)
		}
		list, err = tx.ExportJobs(keeptrail.ExportJobFilter{Statuses: []keeptrail.ExportJobStatus{keeptrail.ExportQueued}, Limit: 1})
		if err != nil {
			return err
		}
		if len(list) != 1 || list[0].ID != second.ID || !list[0].AllTeams == (list[0].TeamIDs == nil) {
			t.Fatalf("newest queued job: %+v", list)
		}
		return nil
	})
}

func itoa(n int64) string { return jsonNumber(n) }

func jsonNumber(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func testExportJobLeases(t *testing.T, st keeptrail.Store) {
	drainJobs(t, st)
	first, second := newJob("key:lease", nil), newJob("key:lease", nil)
	createJob(t, st, &first)
	createJob(t, st, &second)
	// Oldest first.
	a, err := claim(t, st, "dead-worker", -time.Second) // a lease that has already expired
	if err != nil || a.ID != first.ID {
		t.Fatalf("first claim: %+v, %v", a, err)
	}
	// The expired lease is claimed again before the newer queued job (it is older).
	b, err := claim(t, st, "live-worker", time.Hour)
	if err != nil || b.ID != first.ID || b.Attempts != 2 || b.LeaseOwner != "live-worker" || !b.StartedAt.Equal(*a.StartedAt) {
		t.Fatalf("reclaim of an expired lease: %+v, %v", b, err)
	}
	c, err := claim(t, st, "live-worker-2", time.Hour)
	if err != nil || c.ID != second.ID {
		t.Fatalf("third claim: %+v, %v", c, err)
	}
	// A live lease is not taken.
	if _, err := claim(t, st, "thief", time.Hour); keeptrail.ErrorCode(err) != keeptrail.ENOTFOUND {
		t.Fatalf("claim with every lease live: %v", err)
	}
	// The dead worker comes back: its writes are refused.
	update(t, st, func(tx keeptrail.Tx) error {
		_, err := tx.UpdateExportJobProgress(first.ID, "dead-worker", 1, 1, tx.Now().Add(time.Hour))
		wantErr(t, err, keeptrail.ECONFLICT, "export job "+itoa(first.ID)+" is running under another worker")
		return nil
	})
}

func testExportJobCancel(t *testing.T, st keeptrail.Store) {
	drainJobs(t, st)
	queued, running := newJob("key:cancel", nil), newJob("key:cancel", nil)
	createJob(t, st, &running)
	createJob(t, st, &queued)
	if _, err := claim(t, st, "w", time.Hour); err != nil {
		t.Fatal(err)
	}
	update(t, st, func(tx keeptrail.Tx) error {
		for _, id := range []int64{queued.ID, running.ID} {
			j, err := tx.CancelExportJob(id)
			if err != nil {
				return err
			}
			if j.Status != keeptrail.ExportCanceled || j.FinishedAt == nil || !j.FinishedAt.Equal(tx.Now()) {
				t.Fatalf("canceled job %+v", j)
			}
		}
		_, err := tx.CancelExportJob(queued.ID)
		wantErr(t, err, keeptrail.ECONFLICT, "export job "+itoa(queued.ID)+" has already canceled")
		_, err = tx.CancelExportJob(424242)
		wantErr(t, err, keeptrail.ENOTFOUND, "export job 424242 not found")
		// The worker of the canceled job learns it from its next progress write.
		status, err := tx.UpdateExportJobProgress(running.ID, "w", 5, 5, tx.Now().Add(time.Hour))
		if err != nil || status != keeptrail.ExportCanceled {
			t.Fatalf("progress of a canceled job: %q, %v", status, err)
		}
		n, err := tx.CountActiveExportJobs("key:cancel")
		if err != nil || n != 0 {
			t.Fatalf("active after cancel = %d, %v", n, err)
		}
		return nil
	})
	if _, err := claim(t, st, "w2", time.Hour); keeptrail.ErrorCode(err) != keeptrail.ENOTFOUND {
		t.Fatalf("a canceled job was claimed: %v", err)
	}
}

// testExportJobConcurrentClaims has workers claim at once: each job is claimed exactly once.
func testExportJobConcurrentClaims(t *testing.T, st keeptrail.Store) {
	const jobs, workers = 24, 6
	drainJobs(t, st)
	for range jobs {
		j := newJob("key:race", nil)
		createJob(t, st, &j)
	}
	var mu sync.Mutex
	claimed := map[int64]string{}
	var wg sync.WaitGroup
	for w := range workers {
		owner := "w" + itoa(int64(w))
		wg.Go(func() {
			for {
				j, err := claim(t, st, owner, time.Hour)
				if keeptrail.ErrorCode(err) == keeptrail.ENOTFOUND {
					return
				}
				if err != nil {
					t.Errorf("claim: %v", err)
					return
				}
				mu.Lock()
				if prev, dup := claimed[j.ID]; dup {
					t.Errorf("job %d claimed by %s and %s", j.ID, prev, owner)
				}
				claimed[j.ID] = owner
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimed) != jobs {
		t.Fatalf("%d jobs claimed, want %d", len(claimed), jobs)
	}
}
