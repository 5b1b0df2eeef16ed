// Package ingest loads what gateways and outside systems send: decision events,
// heartbeats and audit entries, one JSON object a line (NDJSON), optionally gzip-compressed.
// It is the code path of POST /api/v1/events, /heartbeats and /audit and of
// `keeptrail ingest`.
//
// Each line is parsed strictly and on its own: a bad line is rejected with its line number
// and the reason, naming each bad field, while the good lines of the same body are kept.
// Good lines are written in batches, one store transaction per batch. A decision event's
// request_id is its idempotency key; an escalated event opens an escalation with the SLA
// of its severity; a heartbeat updates its gateway and records a deployment when the
// configuration version it runs changes. Unknown gateway and team names are registered
// on first sight. Every request is itself an entry in the audit log.
package ingest

import (
	"context"
	"io"

	"github.com/keeptrail/keeptrail"
)

// Kind is what a body holds.
type Kind string

// Kinds of body, named as in the API paths.
const (
	KindEvents     Kind = "events"
	KindHeartbeats Kind = "heartbeats"
	KindAudit      Kind = "audit"
)

// Defaults of Options.
const (
	DefaultMaxBodyBytes int64 = 64 << 20
	DefaultMaxLineBytes       = 1 << 20
	DefaultBatchSize          = 5000
	// MaxReportedErrors bounds Result.Errors; Result.Rejected counts every rejected line.
	MaxReportedErrors = 1000
)

// Options limit and tune an Ingester. Zero values take the defaults.
type Options struct {
	// MaxBodyBytes is the largest body accepted, counted after decompression.
	MaxBodyBytes int64
	// MaxLineBytes is the longest line; a longer one is rejected and reading goes on.
	MaxLineBytes int
	// BatchSize is the number of good lines written per store transaction.
	BatchSize int
}

// Ingester writes ingested lines to a store. It is safe for concurrent use.
type Ingester struct {
	st   keeptrail.Store
	opts Options
}

// New returns an Ingester that writes to st.
func New(st keeptrail.Store, opts Options) *Ingester {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = DefaultMaxLineBytes
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	return &Ingester{st: st, opts: opts}
}

// LineError is one rejected line: its number (from 1, blank lines counted) and why.
type LineError struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// Result counts what became of the lines of one body. Blank lines are not counted.
type Result struct {
	Accepted          int `json:"accepted"`
	Duplicates        int `json:"duplicates"`
	Rejected          int `json:"rejected"`
	EscalationsOpened int `json:"escalations_opened"`
	// Errors lists rejected lines in line order, the first MaxReportedErrors of them.
	Errors []LineError `json:"errors"`
}

// Ingest reads an NDJSON body of the given kind from r (gzip detected by its magic bytes)
// and stores its good lines. The principal in ctx must be allowed to ingest (a gateway
// key or an admin), else EFORBIDDEN; a principal limited to some teams may write only for
// those teams (other lines are rejected). A line longer than MaxLineBytes is rejected and
// reading goes on. A body over MaxBodyBytes after decompression stops with ETOOLARGE, and
// corrupt gzip data with EINVALID; the batches written before that stay written (events
// are idempotent, so the sender may resend) and the returned Result counts them. Each call
// appends one audit entry, action "ingest.<kind>", with the counts.
func (in *Ingester) Ingest(ctx context.Context, kind Kind, r io.Reader) (Result, error) {
	p := keeptrail.PrincipalFromContext(ctx)
	if kind != KindEvents && kind != KindHeartbeats && kind != KindAudit {
		return Result{}, keeptrail.Errorf(keeptrail.EINVALID, "kind: must be one of events, heartbeats, audit")
	}
	if p == nil || !p.Role.Can(keeptrail.ActIngest) {
		return Result{}, in.deny(ctx, p, kind)
	}
	run := newRun(in, p, kind)
	err := run.read(ctx, r)
	if err != nil {
		in.recordFailure(ctx, run, err)
		return run.result(), err
	}
	return run.result(), nil
}
