package auditlog

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
)

func TestCheckpointSignsTheHead(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		s := testSigner(1)
		appendEntries(t, db, 1, 4)
		c, err := Checkpoint(context.Background(), db, s)
		if err != nil {
			t.Fatal(err)
		}
		es := readEntries(t, db)
		if c.Seq != 4 || c.Hash != es[3].Hash || !c.At.Equal(checkpointTime) || c.KeyID != s.KeyID() {
			t.Errorf("checkpoint = seq %d hash %s at %s key %s; want seq 4 hash %s at %s key %s",
				c.Seq, c.Hash, c.At, c.KeyID, es[3].Hash, checkpointTime, s.KeyID())
		}
		if err := VerifyCheckpoint(s.PublicKey(), c); err != nil {
			t.Errorf("returned checkpoint: %v", err)
		}
		cps := readCheckpoints(t, db)
		if len(cps) != 1 {
			t.Fatalf("%d checkpoints stored, want 1", len(cps))
		}
		if err := VerifyCheckpoint(s.PublicKey(), cps[0]); err != nil {
			t.Errorf("stored checkpoint: %v", err)
		}
		if cps[0].ID != c.ID || cps[0].Seq != 4 || cps[0].Hash != c.Hash {
			t.Errorf("stored %+v, returned %+v", cps[0], c)
		}
	}, fixedClock())
}

func TestCheckpointerSignsOnlyWhenTheHeadMoved(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		var logs bytes.Buffer
		cp := checkpointer{st: db, s: testSigner(1), log: slog.New(slog.NewTextHandler(&logs, nil))}
		ctx := context.Background()
		appendEntries(t, db, 1, 2)
		steps := []struct {
			appendTo int // append entries up to this one first (0: none)
			want     bool
		}{
			{0, true},  // the first tick always signs
			{0, false}, // head unchanged
			{3, true},
			{0, false},
			{5, true},
		}
		last := 2
		for i, step := range steps {
			if step.appendTo > 0 {
				appendEntries(t, db, last+1, step.appendTo)
				last = step.appendTo
			}
			if got := cp.tick(ctx); got != step.want {
				t.Errorf("tick %d signed = %v, want %v", i, got, step.want)
			}
		}
		var seqs []int64
		for _, c := range readCheckpoints(t, db) {
			seqs = append(seqs, c.Seq)
		}
		if want := []int64{2, 3, 5}; !slices.Equal(seqs, want) {
			t.Errorf("checkpoint seqs = %v, want %v", seqs, want)
		}
		if strings.Contains(logs.String(), "level=ERROR") {
			t.Errorf("unexpected error logged: %s", logs.String())
		}
	}, fixedClock())
}

func TestRunCheckpointsSignsAtStartAndStops(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		appendEntries(t, db, 1, 3)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			RunCheckpoints(ctx, db, testSigner(1), time.Millisecond, slog.New(slog.DiscardHandler))
			close(done)
		}()
		deadline := time.Now().Add(10 * time.Second)
		for len(readCheckpoints(t, db)) == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond) // idle ticks: the head does not move
		cancel()
		<-done
		cps := readCheckpoints(t, db)
		if len(cps) != 1 || cps[0].Seq != 3 {
			t.Errorf("checkpoints = %+v, want one at seq 3", cps)
		}
	}, fixedClock())
}

// brokenStore is a real store whose transactions fail or panic, to show that the
// checkpoint loop logs and carries on.
type brokenStore struct {
	keeptrail.Store
	panics bool
}

func (b brokenStore) Update(ctx context.Context, fn func(keeptrail.Tx) error) error {
	if b.panics {
		panic("disk on fire")
	}
	return errors.New("database is locked")
}

func TestCheckpointerLogsFailures(t *testing.T) {
	tests := []struct {
		name   string
		panics bool
		want   string
	}{
		{"error", false, `level=ERROR msg="audit checkpoint failed" err="database is locked"`},
		{"panic", true, `level=ERROR msg="audit checkpoint failed" panic="disk on fire"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			db := testdb.SQLite(t)
			cp := checkpointer{st: brokenStore{Store: db, panics: tt.panics}, s: testSigner(1),
				log: slog.New(slog.NewTextHandler(&logs, nil))}
			if cp.tick(context.Background()) {
				t.Error("tick reported a checkpoint signed")
			}
			if !strings.Contains(logs.String(), tt.want) {
				t.Errorf("log = %q, want it to contain %q", logs.String(), tt.want)
			}
		})
	}
}
