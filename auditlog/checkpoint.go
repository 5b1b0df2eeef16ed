package auditlog

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/keeptrail/keeptrail"
)

// checkpointDomain opens every signed checkpoint message; a new message layout gets a new
// version so that an old signature can never be read as a new statement.
const checkpointDomain = "keeptrail-audit-checkpoint-v1"

// DefaultCheckpointInterval is how often RunCheckpoints signs when given no interval.
const DefaultCheckpointInterval = 5 * time.Minute

// CheckpointMessage returns the exact bytes a checkpoint's signature covers:
// "keeptrail-audit-checkpoint-v1\n<seq>\n<hash>\n<at unix micros>\n".
func CheckpointMessage(seq int64, hash string, at time.Time) []byte {
	b := make([]byte, 0, len(checkpointDomain)+len(hash)+48)
	b = append(b, checkpointDomain...)
	b = append(b, '\n')
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, '\n')
	b = append(b, hash...)
	b = append(b, '\n')
	b = strconv.AppendInt(b, at.UnixMicro(), 10)
	b = append(b, '\n')
	return b
}

// Sign sets c's KeyID and Signature over its Seq, Hash and At.
func (s *Signer) Sign(c *keeptrail.AuditCheckpoint) {
	c.KeyID = s.keyID
	c.Signature = ed25519.Sign(s.priv, CheckpointMessage(c.Seq, c.Hash, c.At))
}

// Errors of VerifyCheckpoint.
var (
	ErrUnknownKey       = errors.New("signed by another key")
	ErrInvalidSignature = errors.New("signature invalid")
)

// VerifyCheckpoint checks c's signature with pub. It returns ErrUnknownKey when c names
// another key ID and ErrInvalidSignature when the signature does not verify.
func VerifyCheckpoint(pub ed25519.PublicKey, c keeptrail.AuditCheckpoint) error {
	if c.KeyID != PublicKeyID(pub) {
		return ErrUnknownKey
	}
	if len(c.Signature) != ed25519.SignatureSize ||
		!ed25519.Verify(pub, CheckpointMessage(c.Seq, c.Hash, c.At), c.Signature) {
		return ErrInvalidSignature
	}
	return nil
}

// Checkpoint reads the audit log's head and stores a signed checkpoint of it, both in one
// transaction, and returns it.
func Checkpoint(ctx context.Context, st keeptrail.Store, s *Signer) (keeptrail.AuditCheckpoint, error) {
	var c keeptrail.AuditCheckpoint
	err := st.Update(ctx, func(tx keeptrail.Tx) error {
		seq, hash, err := tx.AuditHead()
		if err != nil {
			return fmt.Errorf("read audit head: %w", err)
		}
		c = keeptrail.AuditCheckpoint{Seq: seq, Hash: hash, At: tx.Now()}
		s.Sign(&c)
		if err := tx.CreateAuditCheckpoint(&c); err != nil {
			return fmt.Errorf("store audit checkpoint: %w", err)
		}
		return nil
	})
	if err != nil {
		return keeptrail.AuditCheckpoint{}, err
	}
	return c, nil
}

// RunCheckpoints signs a checkpoint at once and then every interval (DefaultCheckpointInterval
// when every <= 0) while the log's head has moved since the last one, until ctx ends.
// Failures are logged and retried at the next tick; it never panics.
func RunCheckpoints(ctx context.Context, st keeptrail.Store, s *Signer, every time.Duration, log *slog.Logger) {
	if every <= 0 {
		every = DefaultCheckpointInterval
	}
	if log == nil {
		log = slog.Default()
	}
	cp := checkpointer{st: st, s: s, log: log}
	cp.tick(ctx)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			cp.tick(ctx)
		}
	}
}

// checkpointer remembers the last head it signed so that an idle log gets no new
// checkpoints.
type checkpointer struct {
	st     keeptrail.Store
	s      *Signer
	log    *slog.Logger
	signed bool
	seq    int64
	hash   string
}

// tick signs a checkpoint when none was signed yet or the head moved; it reports whether
// it signed one.
func (cp *checkpointer) tick(ctx context.Context) (signed bool) {
	defer func() {
		if r := recover(); r != nil {
			cp.log.Error("audit checkpoint failed", "panic", fmt.Sprint(r))
			signed = false
		}
	}()
	if ctx.Err() != nil {
		return false
	}
	if cp.signed {
		var seq int64
		var hash string
		err := cp.st.View(ctx, func(tx keeptrail.Tx) error {
			var err error
			seq, hash, err = tx.AuditHead()
			return err
		})
		if err != nil {
			cp.log.Error("audit checkpoint failed", "err", fmt.Errorf("read audit head: %w", err))
			return false
		}
		if seq == cp.seq && hash == cp.hash {
			return false
		}
	}
	c, err := Checkpoint(ctx, cp.st, cp.s)
	if err != nil {
		if ctx.Err() == nil {
			cp.log.Error("audit checkpoint failed", "err", err)
		}
		return false
	}
	cp.signed, cp.seq, cp.hash = true, c.Seq, c.Hash
	cp.log.Info("audit checkpoint signed", "seq", c.Seq, "key_id", c.KeyID)
	return true
}
