package auditlog

import (
	"crypto/ed25519"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
)

// These tests run the verification rules on in-memory entries; tamper_test.go makes the
// same changes with raw SQL on both databases.

var testTime = time.Date(2025, 2, 3, 10, 15, 0, 0, time.UTC)

func testSigner(seed byte) *Signer {
	s := make([]byte, ed25519.SeedSize)
	s[0] = seed
	return NewSigner(ed25519.NewKeyFromSeed(s))
}

// testEntry returns the content of the i-th test entry (no seq or hashes).
func testEntry(i int) keeptrail.AuditEntry {
	team := int64(i%3 + 1)
	return keeptrail.AuditEntry{
		Time:      testTime.Add(time.Duration(i) * time.Second),
		ActorKind: keeptrail.ActorUser,
		Actor:     fmt.Sprintf("user%d@acme.example", i),
		Action:    "auth.login",
		Category:  keeptrail.CategoryAuthentication,
		TeamID:    &team,
		Target:    fmt.Sprintf("user:%d", i),
		Severity:  keeptrail.SeverityLow,
		SourceIP:  "203.0.113.7",
		Outcome:   "success",
		Details:   []byte(fmt.Sprintf(`{"n":%d}`, i)),
	}
}

// rechain renumbers entries from 1 and recomputes every prev_hash and hash, as an
// attacker with write access would.
func rechain(es []keeptrail.AuditEntry) []keeptrail.AuditEntry {
	prev := keeptrail.AuditGenesisHash
	for i := range es {
		es[i].Seq = int64(i + 1)
		es[i].PrevHash = prev
		es[i].Hash = es[i].ComputeHash()
		prev = es[i].Hash
	}
	return es
}

func testChain(n int) []keeptrail.AuditEntry {
	es := make([]keeptrail.AuditEntry, n)
	for i := range es {
		es[i] = testEntry(i + 1)
	}
	return rechain(es)
}

func testCheckpoint(s *Signer, id int64, e keeptrail.AuditEntry) keeptrail.AuditCheckpoint {
	c := keeptrail.AuditCheckpoint{ID: id, Seq: e.Seq, Hash: e.Hash, At: testTime.Add(time.Hour)}
	s.Sign(&c)
	return c
}

func verifySlice(pub ed25519.PublicKey, es []keeptrail.AuditEntry, cps []keeptrail.AuditCheckpoint, headSeq int64, headHash string) Report {
	v := newVerifier(pub, cps)
	for _, e := range es {
		v.entry(e)
	}
	return v.finish(headSeq, headHash)
}

func TestCheckpointMessage(t *testing.T) {
	got := string(CheckpointMessage(120, "ab12", time.Date(2025, 2, 3, 10, 15, 0, 123456789, time.UTC)))
	want := "keeptrail-audit-checkpoint-v1\n120\nab12\n1738577700123456\n"
	if got != want {
		t.Errorf("CheckpointMessage = %q, want %q", got, want)
	}
}

func TestVerifyCheckpoint(t *testing.T) {
	s := testSigner(1)
	good := testCheckpoint(s, 1, testChain(3)[2])
	tests := []struct {
		name   string
		pub    ed25519.PublicKey
		change func(c *keeptrail.AuditCheckpoint)
		want   error
	}{
		{"intact", s.PublicKey(), func(*keeptrail.AuditCheckpoint) {}, nil},
		{"other key", testSigner(2).PublicKey(), func(*keeptrail.AuditCheckpoint) {}, ErrUnknownKey},
		{"seq changed", s.PublicKey(), func(c *keeptrail.AuditCheckpoint) { c.Seq++ }, ErrInvalidSignature},
		{"hash changed", s.PublicKey(), func(c *keeptrail.AuditCheckpoint) { c.Hash = keeptrail.AuditGenesisHash }, ErrInvalidSignature},
		{"time changed", s.PublicKey(), func(c *keeptrail.AuditCheckpoint) { c.At = c.At.Add(time.Microsecond) }, ErrInvalidSignature},
		{"signature cut", s.PublicKey(), func(c *keeptrail.AuditCheckpoint) { c.Signature = c.Signature[:10] }, ErrInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			c.Signature = slices.Clone(good.Signature)
			tt.change(&c)
			if got := VerifyCheckpoint(tt.pub, c); got != tt.want {
				t.Errorf("VerifyCheckpoint = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestVerifierRules(t *testing.T) {
	s := testSigner(1)
	other := testSigner(2)
	at := formatTime(testTime.Add(time.Hour))
	tests := []struct {
		name string
		// build returns the stored entries, checkpoints and head.
		build func() ([]keeptrail.AuditEntry, []keeptrail.AuditCheckpoint, int64, string)
		pub   ed25519.PublicKey
		want  []string
	}{
		{"empty log", func() ([]keeptrail.AuditEntry, []keeptrail.AuditCheckpoint, int64, string) {
			return nil, nil, 0, ""
		}, s.PublicKey(), nil},
		{"clean", func() ([]keeptrail.AuditEntry, []keeptrail.AuditCheckpoint, int64, string) {
			es := testChain(10)
			return es, []keeptrail.AuditCheckpoint{testCheckpoint(s, 1, es[4]), testCheckpoint(s, 2, es[9])}, 10, es[9].Hash
		}, s.PublicKey(), nil},
		{"field edited", func() ([]keeptrail.AuditEntry, []keeptrail.AuditCheckpoint, int64, string) {
			es := testChain(10)
			es[4].Actor = "mallory@acme.example"
			return es, nil, 10, es[9].Hash
		}, s.PublicKey(), []string{"seq 5: content altered (hash mismatch)"}},
		{"field edited and its hash recomputed", func() ([]keeptrail.AuditEntry, []keeptrail.AuditCheckpoint, int64, string) {
			es := testChain(10)
			es[4].Outcome = "failure"
			es[4].Hash = es[4].ComputeHash()
			return es, nil, 10, es[9].Hash
		}, s.PublicKey(), []string{"seq 6: prev_hash does not match hash of seq 5"}},
		{"middle deleted", func() ([]keeptrail.AuditEntry, []keeptrail.AuditCheckpoint, int64, string) {
			es := testChain(10)
			head := es[9].Hash
			return slices.Delete(es, 4, 5), nil, 10, head
		}, s.PublicKey(), []string{"seq 5: missing (log jumps from 4 to 6)"}},
		{"three deleted", func() ([]keeptrail.AuditEntry, []keeptrail.AuditCheckpoint, int64, string) {
			es := testChain(10)
			head := es[9].Hash
			return slices.Delete(es, 3, 6), nil, 10, head
		}, s.PublicKey(), []string{"seq 4-6: missing (log jumps from 3 to 7)"}},
		{"first deleted", func() ([]keeptrail.AuditEntry, []keeptrail.AuditCheckpoint, int64, string) {
			es := testChain(10)
			return es[1:], nil, 10, es[9].Hash
		}, s.PublicKey(), []string{"seq 1: missing (log starts at 2)"}},
		{"first entry not chained to genesis", func() ([]keeptrail.AuditEntry, []keeptrail.AuditCheckpoint, int64, string) {
			es := testChain(3)
			es[0].PrevHash = es[2].Hash
			es[0].Hash = es[0].ComputeHash()
			es[1].PrevHash = es[0].Hash
			es[1].Hash = es[1].ComputeHash()
			es[2].PrevHash = es[1].Hash
			es[2].Hash = es[2].ComputeHash()
			return es, nil, 3, es[2].Hash
		}, s.PublicKey(), []string{"seq 1: prev_hash is not the genesis hash"}},
		{"two entries swapped", func() ([]keeptrail.AuditEntry, []keeptrail.AuditCheckpoint, int64, string) {
			es := testChain(10)
			es[4], es[5] = es[5], es[4]
			es[4].Seq, es[5].Seq = 5, 6
			return es, nil, 10, es[9].Hash
		}, s.PublicKey(), []string{
			"seq 5: prev_hash does not match hash of seq 4",
			"seq 5: content altered (hash mismatch)",
			"seq 6: prev_hash does not match hash of seq 5",
			"seq 6: content altered (hash mismatch)",
			"seq 7: prev_hash does not match hash of seq 6",
		}},
		{"forged insert, whole chain rewritten, checkpoints before", func() ([]keeptrail.AuditEntry, []keeptrail.AuditCheckpoint, int64, string) {
			es := testChain(10)
			cps := []keeptrail.AuditCheckpoint{testCheckpoint(s, 1, es[2]), testCheckpoint(s, 2, es[5]), testCheckpoint(s, 3, es[9])}
			forged := testEntry(99)
			es = rechain(slices.Insert(es, 4, forged))
			return es, cps, 11, es[10].Hash
		}, s.PublicKey(), []string{
			"seq 6: differs from signed checkpoint of " + at,
			"seq 10: differs from signed checkpoint of " + at,
		}},
		{"forged insert, whole chain rewritten, no checkpoint", func() ([]keeptrail.AuditEntry, []keeptrail.AuditCheckpoint, int64, string) {
			// Undetectable by the chain alone: this is why checkpoints exist.
			es := rechain(slices.Insert(testChain(10), 4, testEntry(99)))
			return es, nil, 11, es[10].Hash
		}, s.PublicKey(), nil},
		{"tail cut, head moved back", func() ([]keeptrail.AuditEntry, []keeptrail.AuditCheckpoint, int64, string) {
			es := testChain(10)
			cps := []keeptrail.AuditCheckpoint{testCheckpoint(s, 1, es[9])}
			return es[:7], cps, 7, es[6].Hash
		}, s.PublicKey(), []string{"log truncated: signed checkpoint covers seq 10 but the log ends at 7"}},
		{"tail cut, head left", func() ([]keeptrail.AuditEntry, []keeptrail.AuditCheckpoint, int64, string) {
			es := testChain(10)
			return es[:7], nil, 10, es[9].Hash
		}, s.PublicKey(), []string{"log truncated: head records seq 10 but the log ends at 7"}},
		{"entries past the head", func() ([]keeptrail.AuditEntry, []keeptrail.AuditCheckpoint, int64, string) {
			es := testChain(10)
			return es, nil, 8, es[7].Hash
		}, s.PublicKey(), []string{"seq 9: beyond the head (head records seq 8)"}},
		{"head hash wrong", func() ([]keeptrail.AuditEntry, []keeptrail.AuditCheckpoint, int64, string) {
			es := testChain(10)
			return es, nil, 10, es[8].Hash
		}, s.PublicKey(), []string{"seq 10: head hash does not match the entry's hash"}},
		{"checkpoint signature forged", func() ([]keeptrail.AuditEntry, []keeptrail.AuditCheckpoint, int64, string) {
			es := testChain(10)
			c := testCheckpoint(s, 3, es[9])
			c.Signature[0] ^= 1
			return es, []keeptrail.AuditCheckpoint{c}, 10, es[9].Hash
		}, s.PublicKey(), []string{"checkpoint 3 (seq 10): signature invalid"}},
		{"checkpoint by another key does not count", func() ([]keeptrail.AuditEntry, []keeptrail.AuditCheckpoint, int64, string) {
			es := testChain(10)
			c := testCheckpoint(other, 4, es[9])
			c.Seq = 15 // would claim a truncation if it were trusted
			return es, []keeptrail.AuditCheckpoint{c}, 10, es[9].Hash
		}, s.PublicKey(), []string{fmt.Sprintf("checkpoint 4 (seq 15): signed by unknown key %s (verifying with key %s)", other.KeyID(), s.KeyID())}},
		{"wrong public key", func() ([]keeptrail.AuditEntry, []keeptrail.AuditCheckpoint, int64, string) {
			es := testChain(10)
			return es, []keeptrail.AuditCheckpoint{testCheckpoint(s, 1, es[4]), testCheckpoint(s, 2, es[9])}, 10, es[9].Hash
		}, other.PublicKey(), []string{
			fmt.Sprintf("checkpoint 1 (seq 5): signed by unknown key %s (verifying with key %s)", s.KeyID(), other.KeyID()),
			fmt.Sprintf("checkpoint 2 (seq 10): signed by unknown key %s (verifying with key %s)", s.KeyID(), other.KeyID()),
		}},
		{"checkpoint inside a gap", func() ([]keeptrail.AuditEntry, []keeptrail.AuditCheckpoint, int64, string) {
			es := testChain(10)
			cps := []keeptrail.AuditCheckpoint{testCheckpoint(s, 1, es[4])}
			head := es[9].Hash
			return slices.Delete(es, 4, 5), cps, 10, head
		}, s.PublicKey(), []string{"seq 5: missing (log jumps from 4 to 6)"}},
		{"several checkpoints of one altered head", func() ([]keeptrail.AuditEntry, []keeptrail.AuditCheckpoint, int64, string) {
			es := testChain(10)
			cps := []keeptrail.AuditCheckpoint{testCheckpoint(s, 1, es[9]), testCheckpoint(s, 2, es[9])}
			es[9].Details = []byte(`{}`)
			return es, cps, 10, es[9].Hash
		}, s.PublicKey(), []string{
			"seq 10: content altered (hash mismatch)",
		}},
		{"several checkpoints of one rewritten head", func() ([]keeptrail.AuditEntry, []keeptrail.AuditCheckpoint, int64, string) {
			es := testChain(10)
			cps := []keeptrail.AuditCheckpoint{testCheckpoint(s, 1, es[9]), testCheckpoint(s, 2, es[9])}
			es[9].Details = []byte(`{}`)
			es = rechain(es)
			return es, cps, 10, es[9].Hash
		}, s.PublicKey(), []string{
			"seq 10: differs from signed checkpoint of " + at,
		}},
		{"seq zero inserted", func() ([]keeptrail.AuditEntry, []keeptrail.AuditCheckpoint, int64, string) {
			es := testChain(3)
			zero := testEntry(0)
			zero.PrevHash = keeptrail.AuditGenesisHash
			zero.Hash = zero.ComputeHash()
			return append([]keeptrail.AuditEntry{zero}, es...), nil, 3, es[2].Hash
		}, s.PublicKey(), []string{"seq 0: not a valid sequence number (the log starts at 1)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es, cps, headSeq, headHash := tt.build()
			rep := verifySlice(tt.pub, es, cps, headSeq, headHash)
			var got []string
			for _, p := range rep.Problems {
				got = append(got, p.What)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n got  %q\n want %q", got, tt.want)
			}
			if rep.OK != (len(tt.want) == 0) {
				t.Errorf("OK = %v with %d problems", rep.OK, len(got))
			}
			if rep.Entries != int64(len(es)) || rep.Checkpoints != len(cps) {
				t.Errorf("Entries, Checkpoints = %d, %d; want %d, %d", rep.Entries, rep.Checkpoints, len(es), len(cps))
			}
		})
	}
}

func TestVerifierProblemSeq(t *testing.T) {
	s := testSigner(1)
	es := testChain(10)
	cps := []keeptrail.AuditCheckpoint{testCheckpoint(s, 1, es[9])}
	rep := verifySlice(s.PublicKey(), es[:7], cps, 10, es[9].Hash)
	want := []Problem{
		{Seq: 8, What: "log truncated: head records seq 10 but the log ends at 7"},
		{Seq: 8, What: "log truncated: signed checkpoint covers seq 10 but the log ends at 7"},
	}
	if !slices.Equal(rep.Problems, want) {
		t.Errorf("problems = %+v, want %+v", rep.Problems, want)
	}
	if rep.From != 1 || rep.To != 7 {
		t.Errorf("From, To = %d, %d; want 1, 7", rep.From, rep.To)
	}
}
