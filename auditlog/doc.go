// Package auditlog signs checkpoints of the tamper-evident audit log and verifies the log.
//
// # The hash chain
//
// Every audit entry carries the hash of the entry before it (PrevHash; the first entry
// carries keeptrail.AuditGenesisHash) and its own hash over every field
// (keeptrail.AuditEntry.ComputeHash). Sequence numbers start at 1 and have no gaps. An
// edit, a deletion, an insertion or a reordering of stored rows breaks the chain at the
// sequence number where it was made, and Verify names it.
//
// # Why checkpoints
//
// The chain alone cannot catch an attacker who can write to the database and recomputes
// every hash from the altered entry forward (and moves the head row back after cutting
// the tail): the rewritten log is internally consistent. A checkpoint is a statement "at
// time T the log ended at seq N with hash H", signed with an Ed25519 key that is kept
// outside the database. A rewrite of any entry at or before a checkpoint's seq changes
// the hash at that seq, and a cut tail leaves a checkpoint pointing past the end; neither
// can be hidden without the private key. Changes made after the last checkpoint remain
// undetectable until the next one, which is why the server signs one every few minutes
// (RunCheckpoints) and verification should sign one when it finds the log intact.
//
// # Key files
//
// The private key file holds one PEM block of type "PRIVATE KEY" with the Ed25519 key in
// PKCS #8 form (the format of `openssl genpkey -algorithm ed25519`); it is created with
// mode 0600 and refused when group or others may read or write it. The public key is
// written beside it as path+".pub": one PEM block of type "PUBLIC KEY" in PKIX form (the
// output of `openssl pkey -pubout`). The key ID is the first 16 hex characters of the
// SHA-256 of the 32-byte raw public key.
//
// # What a checkpoint signs
//
// The signed message is the UTF-8 text
//
//	keeptrail-audit-checkpoint-v1\n<seq>\n<hash>\n<at>\n
//
// with seq in decimal, hash the lowercase hex hash of the entry at seq ("" for an empty
// log), and at the checkpoint's time in microseconds since the Unix epoch, in decimal.
package auditlog
