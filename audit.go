package keeptrail

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"
)

// AuditGenesisHash is the PrevHash of the first audit entry.
const AuditGenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// ComputeHash returns the hex SHA-256 that chains e: it covers PrevHash and every field of
// the entry except Hash itself, in a fixed, length-prefixed encoding, with the time in
// microseconds since the Unix epoch. Details must already be compact JSON (CompactDetails).
func (e *AuditEntry) ComputeHash() string {
	var b bytes.Buffer
	field := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
		b.WriteByte('\n')
	}
	field("keeptrail-audit-v1")
	field(strconv.FormatInt(e.Seq, 10))
	field(e.PrevHash)
	field(strconv.FormatInt(e.Time.UnixMicro(), 10))
	field(string(e.ActorKind))
	field(e.Actor)
	field(e.Action)
	field(e.Category)
	if e.TeamID != nil {
		field(strconv.FormatInt(*e.TeamID, 10))
	} else {
		field("")
	}
	field(e.Target)
	field(string(e.Severity))
	field(e.SourceIP)
	field(e.Outcome)
	field(string(e.Details))
	sum := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(sum[:])
}

// CompactDetails returns raw as compact JSON ("{}" when empty) so that the stored text and
// the hashed text are the same bytes.
func CompactDetails(raw json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return json.RawMessage("{}"), nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// MustDetails marshals v into compact JSON for an audit entry's details; it panics only on
// values that cannot be marshalled (a programming error).
func MustDetails(v any) json.RawMessage {
	if v == nil {
		return json.RawMessage("{}")
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic("keeptrail: audit details: " + err.Error())
	}
	return b
}

// TruncTime returns t in UTC truncated to microseconds, the precision of storage.
func TruncTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
