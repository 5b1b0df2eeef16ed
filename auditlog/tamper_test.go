package auditlog

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// The tamper tests change stored rows with raw SQL, as someone with write access to the
// database would, and check that Verify names the sequence number. Each case starts from
// ten entries with signed checkpoints after entries 3, 6 and 10 (checkpoints 1, 2, 3),
// unless it says otherwise.

func execSQL(t *testing.T, db *sqlstore.DB, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := db.SQL().ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// rehashFrom recomputes prev_hash and hash of every entry from seq on and moves the head
// to the last one, with raw SQL: what a capable attacker does to hide an edit from the
// chain.
func rehashFrom(t *testing.T, db *sqlstore.DB, from int64) {
	t.Helper()
	ctx := context.Background()
	es := readEntries(t, db)
	prev := keeptrail.AuditGenesisHash
	for i := range es {
		if es[i].Seq >= from {
			es[i].PrevHash = prev
			es[i].Hash = es[i].ComputeHash()
			if _, err := db.SQL().ExecContext(ctx, `UPDATE audit_entries SET prev_hash = $1, hash = $2 WHERE seq = $3`,
				es[i].PrevHash, es[i].Hash, es[i].Seq); err != nil {
				t.Fatal(err)
			}
		}
		prev = es[i].Hash
	}
	last := es[len(es)-1]
	if _, err := db.SQL().ExecContext(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, last.Seq, last.Hash); err != nil {
		t.Fatal(err)
	}
}

// insertForged shifts entries at and after seq up by one and writes a forged entry at seq
// (hashes still those of the old chain; rehashFrom fixes them).
func insertForged(t *testing.T, db *sqlstore.DB, seq int64) {
	t.Helper()
	execSQL(t, db,
		fmt.Sprintf(`UPDATE audit_entries SET seq = -seq WHERE seq >= %d`, seq),
		fmt.Sprintf(`UPDATE audit_entries SET seq = 1 - seq WHERE seq <= -%d`, seq))
	f := testEntry(99)
	if _, err := db.SQL().ExecContext(context.Background(),
		`INSERT INTO audit_entries (seq, at, actor_kind, actor, action, category, team_id, target, severity,
			source_ip, outcome, details, prev_hash, hash)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		seq, f.Time.UnixMicro(), string(f.ActorKind), f.Actor, f.Action, f.Category, *f.TeamID, f.Target,
		string(f.Severity), f.SourceIP, f.Outcome, string(f.Details), "", ""); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	at := formatTime(checkpointTime)
	s := testSigner(1)
	other := testSigner(2)
	tests := []struct {
		name   string
		stops  []int // checkpoint after these entries; nil: 3, 6, 10
		noSign bool  // no checkpoints at all
		tamper func(t *testing.T, db *sqlstore.DB)
		verify *Signer // public key used to verify; nil: s
		want   []Problem
	}{
		{name: "clean log", tamper: func(*testing.T, *sqlstore.DB) {}},
		{name: "UPDATE one column of a middle entry",
			tamper: func(t *testing.T, db *sqlstore.DB) {
				execSQL(t, db, `UPDATE audit_entries SET actor = 'mallory@acme.example' WHERE seq = 5`)
			},
			want: []Problem{{5, "seq 5: content altered (hash mismatch)"}}},
		{name: "UPDATE then rehash that entry only",
			tamper: func(t *testing.T, db *sqlstore.DB) {
				execSQL(t, db, `UPDATE audit_entries SET outcome = 'failure' WHERE seq = 5`)
				es := readEntries(t, db)
				if _, err := db.SQL().ExecContext(context.Background(), `UPDATE audit_entries SET hash = $1 WHERE seq = 5`,
					es[4].ComputeHash()); err != nil {
					t.Fatal(err)
				}
			},
			want: []Problem{{6, "seq 6: prev_hash does not match hash of seq 5"}}},
		{name: "DELETE a middle entry",
			tamper: func(t *testing.T, db *sqlstore.DB) {
				execSQL(t, db, `DELETE FROM audit_entries WHERE seq = 5`)
			},
			want: []Problem{{5, "seq 5: missing (log jumps from 4 to 6)"}}},
		{name: "INSERT a forged entry in the middle and rehash the chain forward",
			tamper: func(t *testing.T, db *sqlstore.DB) {
				insertForged(t, db, 5)
				rehashFrom(t, db, 5)
			},
			// Checkpoint 1 (seq 3) still matches: the change lies in seq 4-6.
			want: []Problem{
				{6, "seq 6: differs from signed checkpoint of " + at},
				{10, "seq 10: differs from signed checkpoint of " + at},
			}},
		{name: "INSERT a forged entry in the middle without rehashing",
			tamper: func(t *testing.T, db *sqlstore.DB) { insertForged(t, db, 5) },
			want: []Problem{
				{5, "seq 5: prev_hash does not match hash of seq 4"},
				{5, "seq 5: content altered (hash mismatch)"},
				{6, "seq 6: prev_hash does not match hash of seq 5"},
				{6, "seq 6: content altered (hash mismatch)"},
				{6, "seq 6: differs from signed checkpoint of " + at},
				{7, "seq 7: content altered (hash mismatch)"},
				{8, "seq 8: content altered (hash mismatch)"},
				{9, "seq 9: content altered (hash mismatch)"},
				{10, "seq 10: content altered (hash mismatch)"},
				{10, "seq 10: differs from signed checkpoint of " + at},
				{11, "seq 11: content altered (hash mismatch)"},
				{11, "seq 11: beyond the head (head records seq 10)"},
			}},
		{name: "reorder: swap the contents of two entries",
			tamper: func(t *testing.T, db *sqlstore.DB) {
				execSQL(t, db,
					`UPDATE audit_entries SET seq = -1 WHERE seq = 5`,
					`UPDATE audit_entries SET seq = 5 WHERE seq = 6`,
					`UPDATE audit_entries SET seq = 6 WHERE seq = -1`)
			},
			want: []Problem{
				{5, "seq 5: prev_hash does not match hash of seq 4"},
				{5, "seq 5: content altered (hash mismatch)"},
				{6, "seq 6: prev_hash does not match hash of seq 5"},
				{6, "seq 6: content altered (hash mismatch)"},
				{6, "seq 6: differs from signed checkpoint of " + at},
				{7, "seq 7: prev_hash does not match hash of seq 6"},
			}},
		{name: "truncate the tail and move the head back",
			tamper: func(t *testing.T, db *sqlstore.DB) {
				execSQL(t, db,
					`DELETE FROM audit_entries WHERE seq > 7`,
					`UPDATE audit_head SET seq = 7, hash = (SELECT hash FROM audit_entries WHERE seq = 7) WHERE id = 1`)
			},
			want: []Problem{{8, "log truncated: signed checkpoint covers seq 10 but the log ends at 7"}}},
		{name: "truncate the tail, head left",
			tamper: func(t *testing.T, db *sqlstore.DB) {
				execSQL(t, db, `DELETE FROM audit_entries WHERE seq > 7`)
			},
			want: []Problem{
				{8, "log truncated: head records seq 10 but the log ends at 7"},
				{8, "log truncated: signed checkpoint covers seq 10 but the log ends at 7"},
			}},
		{name: "checkpoint row edited",
			tamper: func(t *testing.T, db *sqlstore.DB) {
				execSQL(t, db, `UPDATE audit_checkpoints SET seq = 12 WHERE id = 3`)
			},
			want: []Problem{{12, "checkpoint 3 (seq 12): signature invalid"}}},
		{name: "checkpoints deleted to hide a rewrite",
			tamper: func(t *testing.T, db *sqlstore.DB) {
				execSQL(t, db, `UPDATE audit_entries SET actor = 'mallory@acme.example' WHERE seq = 5`)
				rehashFrom(t, db, 5)
				execSQL(t, db, `DELETE FROM audit_checkpoints WHERE id > 1`)
			},
			// Deleting checkpoints hides the rewrite from the database alone; a copy of
			// the checkpoints kept elsewhere (an evidence package) still catches it.
		},
		{name: "wrong public key",
			verify: other,
			tamper: func(*testing.T, *sqlstore.DB) {},
			want: []Problem{
				{3, fmt.Sprintf("checkpoint 1 (seq 3): signed by unknown key %s (verifying with key %s)", s.KeyID(), other.KeyID())},
				{6, fmt.Sprintf("checkpoint 2 (seq 6): signed by unknown key %s (verifying with key %s)", s.KeyID(), other.KeyID())},
				{10, fmt.Sprintf("checkpoint 3 (seq 10): signed by unknown key %s (verifying with key %s)", s.KeyID(), other.KeyID())},
			}},
		{name: "no checkpoints: a fully rehashed edit is undetectable by the chain alone",
			noSign: true,
			tamper: func(t *testing.T, db *sqlstore.DB) {
				execSQL(t, db, `UPDATE audit_entries SET actor = 'mallory@acme.example' WHERE seq = 5`)
				rehashFrom(t, db, 5)
			},
			// This is why checkpoints exist: with them the same change is caught
			// ("checkpoints deleted" above and the forged insert).
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
				stops := tt.stops
				if stops == nil {
					stops = []int{3, 6, 10}
				}
				signer := s
				if tt.noSign {
					signer = nil
				}
				seedLog(t, db, signer, stops...)
				tt.tamper(t, db)
				pub := s.PublicKey()
				if tt.verify != nil {
					pub = tt.verify.PublicKey()
				}
				rep := mustVerify(t, db, pub)
				if !slices.Equal(rep.Problems, tt.want) {
					t.Errorf("problems:\n got  %+v\n want %+v", rep.Problems, tt.want)
				}
				if rep.OK != (len(tt.want) == 0) {
					t.Errorf("OK = %v with %d problems", rep.OK, len(rep.Problems))
				}
			}, fixedClock())
		})
	}
}

func TestVerifyCleanLogReport(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		s := testSigner(1)
		rep := mustVerify(t, db, s.PublicKey())
		want := Report{OK: true}
		if !reportEqual(rep, want) {
			t.Errorf("empty log: report = %+v, want %+v", rep, want)
		}
		seedLog(t, db, s, 3, 6, 10)
		rep = mustVerify(t, db, s.PublicKey())
		want = Report{OK: true, From: 1, To: 10, Entries: 10, Checkpoints: 3}
		if !reportEqual(rep, want) {
			t.Errorf("report = %+v, want %+v", rep, want)
		}
	}, fixedClock())
}

func reportEqual(a, b Report) bool {
	return a.OK == b.OK && a.From == b.From && a.To == b.To && a.Entries == b.Entries &&
		a.Checkpoints == b.Checkpoints && slices.Equal(a.Problems, b.Problems)
}
