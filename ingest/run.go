package ingest

import (
	"context"
	"errors"
	"io"
	"slices"

	"github.com/keeptrail/keeptrail"
)

// run is the state of one Ingest call.
type run struct {
	in   *Ingester
	p    *keeptrail.Principal
	kind Kind

	// committed counts and errors: what the transactions written so far hold.
	res Result

	// The batch being read: good lines waiting for their transaction, and the lines
	// rejected since the last transaction (reported with it, in line order).
	events     []lineEvent
	heartbeats []lineHeartbeat
	audits     []lineAudit
	rejects    []LineError
	rejected   int // rejects, counted past the list's cap

	// Per-call caches of resolved names; tx* hold what the current transaction added or
	// changed and are merged in when it commits.
	teams      map[string]keeptrail.Team
	gateways   map[string]*keeptrail.Gateway
	txTeams    map[string]keeptrail.Team
	txGateways map[string]*keeptrail.Gateway
	settings   *keeptrail.Settings

	// The current transaction's outcome, merged into res when it commits.
	tx txOutcome
	// scratch reused across batches.
	evBuf  []keeptrail.DecisionEvent
	dirty  []string
	hbBuf  []keeptrail.Heartbeat
	escBuf []keeptrail.Escalation
}

type lineEvent struct {
	line int
	ev   keeptrail.DecisionEvent
}

type lineHeartbeat struct {
	line int
	hb   keeptrail.Heartbeat
}

type lineAudit struct {
	line  int
	entry keeptrail.AuditEntry
}

// txOutcome counts what one transaction did.
type txOutcome struct {
	accepted, duplicates, escalations int
	rejects                           []LineError
}

func newRun(in *Ingester, p *keeptrail.Principal, kind Kind) *run {
	return &run{
		in: in, p: p, kind: kind,
		teams:      map[string]keeptrail.Team{},
		gateways:   map[string]*keeptrail.Gateway{},
		txTeams:    map[string]keeptrail.Team{},
		txGateways: map[string]*keeptrail.Gateway{},
	}
}

// read parses the body line by line and writes full batches; the last batch is written
// with the request's audit entry.
func (r *run) read(ctx context.Context, body io.Reader) error {
	lr, err := newLineReader(body, r.in.opts.MaxBodyBytes, r.in.opts.MaxLineBytes)
	if err != nil {
		return err
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if lr.tooLong {
			r.reject(lr.n, tooLongReason(lr.max))
			continue
		}
		if blank(line) {
			continue
		}
		if r.parse(lr.n, line) >= r.in.opts.BatchSize {
			if err := r.flush(ctx, false); err != nil {
				return err
			}
		}
	}
	return r.flush(ctx, true)
}

// parse adds one line to the batch, or rejects it; it returns the batch's size.
func (r *run) parse(n int, line []byte) int {
	switch r.kind {
	case KindEvents:
		ev, err := ParseEvent(line)
		if err != nil {
			r.reject(n, err.Error())
			break
		}
		r.events = append(r.events, lineEvent{line: n, ev: ev})
	case KindHeartbeats:
		hb, err := ParseHeartbeat(line)
		if err != nil {
			r.reject(n, err.Error())
			break
		}
		r.heartbeats = append(r.heartbeats, lineHeartbeat{line: n, hb: hb})
	case KindAudit:
		e, err := ParseAudit(line)
		if err != nil {
			r.reject(n, err.Error())
			break
		}
		r.audits = append(r.audits, lineAudit{line: n, entry: e})
	}
	return len(r.events) + len(r.heartbeats) + len(r.audits)
}

// reject records a line rejected while reading.
func (r *run) reject(n int, reason string) {
	r.rejected++
	if len(r.res.Errors)+len(r.rejects) < MaxReportedErrors {
		r.rejects = append(r.rejects, LineError{Line: n, Reason: reason})
	}
}

// flush writes the batch in one transaction; the final one also appends the request's
// audit entry, so that the entry and the last rows commit together (fail closed). The
// function may run more than once (keeptrail.WithRerunnableUpdate): each run starts from
// the parsed batch and the committed caches, and only commit merges its outcome.
func (r *run) flush(ctx context.Context, final bool) error {
	err := r.in.st.Update(keeptrail.WithRerunnableUpdate(ctx), func(tx keeptrail.Tx) error {
		r.tx = txOutcome{}
		clear(r.txTeams)
		clear(r.txGateways)
		var err error
		switch r.kind {
		case KindEvents:
			err = r.writeEvents(tx)
		case KindHeartbeats:
			err = r.writeHeartbeats(tx)
		case KindAudit:
			err = r.writeAudit(tx)
		}
		if err != nil {
			return err
		}
		if final {
			return r.appendRequestEntry(tx)
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.commit()
	return nil
}

// commit merges the committed transaction's outcome into the result and the caches.
func (r *run) commit() {
	r.res.Accepted += r.tx.accepted
	r.res.Duplicates += r.tx.duplicates
	r.res.EscalationsOpened += r.tx.escalations
	r.res.Rejected += r.rejected + len(r.tx.rejects)
	errs := append(r.rejects, r.tx.rejects...)
	slices.SortStableFunc(errs, func(a, b LineError) int { return a.Line - b.Line })
	for _, e := range errs {
		if len(r.res.Errors) < MaxReportedErrors {
			r.res.Errors = append(r.res.Errors, e)
		}
	}
	for k, v := range r.txTeams {
		r.teams[k] = v
	}
	for k, v := range r.txGateways {
		r.gateways[k] = v
	}
	r.tx = txOutcome{}
	r.rejects = r.rejects[:0]
	r.rejected = 0
	clear(r.events)
	clear(r.heartbeats)
	clear(r.audits)
	r.events, r.heartbeats, r.audits = r.events[:0], r.heartbeats[:0], r.audits[:0]
}

// result returns the committed counts plus the lines rejected while reading a batch
// that was never written.
func (r *run) result() Result {
	res := r.res
	res.Rejected += r.rejected
	for _, e := range r.rejects {
		if len(res.Errors) < MaxReportedErrors {
			res.Errors = append(res.Errors, e)
		}
	}
	if res.Errors == nil {
		res.Errors = []LineError{}
	}
	return res
}

// txReject records a line rejected inside the current transaction.
func (r *run) txReject(n int, reason string) {
	r.tx.rejects = append(r.tx.rejects, LineError{Line: n, Reason: reason})
}

// requestDetails are the details of the request's audit entry.
type requestDetails struct {
	Accepted   int    `json:"accepted"`
	Duplicates int    `json:"duplicates"`
	Rejected   int    `json:"rejected"`
	Error      string `json:"error,omitempty"`
}

// appendRequestEntry appends the audit entry of the request, counting the final batch.
func (r *run) appendRequestEntry(tx keeptrail.Tx) error {
	d := requestDetails{
		Accepted:   r.res.Accepted + r.tx.accepted,
		Duplicates: r.res.Duplicates + r.tx.duplicates,
		Rejected:   r.res.Rejected + r.rejected + len(r.tx.rejects),
	}
	outcome := "success"
	if d.Rejected > 0 && d.Accepted+d.Duplicates == 0 {
		outcome = "failure"
	}
	e := r.requestEntry(outcome, d)
	return tx.AppendAudit(&e)
}

func (r *run) requestEntry(outcome string, d requestDetails) keeptrail.AuditEntry {
	return keeptrail.AuditEntry{
		ActorKind: r.p.Kind,
		Actor:     r.p.Name,
		Action:    "ingest." + string(r.kind),
		Category:  keeptrail.CategoryIngest,
		Severity:  keeptrail.SeverityLow,
		SourceIP:  r.p.SourceIP,
		Outcome:   outcome,
		Details:   keeptrail.MustDetails(d),
	}
}

// recordFailure appends, in a transaction of its own, the audit entry of a request that
// stopped with err (too large, corrupt gzip, a store failure). It is best effort: the
// request fails either way.
func (in *Ingester) recordFailure(ctx context.Context, r *run, err error) {
	res := r.result()
	d := requestDetails{Accepted: res.Accepted, Duplicates: res.Duplicates, Rejected: res.Rejected,
		Error: keeptrail.ErrorCode(err)}
	e := r.requestEntry("failure", d)
	if keeptrail.ErrorCode(err) == keeptrail.EINTERNAL {
		e.Severity = keeptrail.SeverityMedium
	}
	_ = in.st.Update(context.WithoutCancel(ctx), func(tx keeptrail.Tx) error { return tx.AppendAudit(&e) })
}

// deny records a principal's attempt to ingest without the right and returns the error.
func (in *Ingester) deny(ctx context.Context, p *keeptrail.Principal, kind Kind) error {
	if p == nil {
		return keeptrail.Errorf(keeptrail.EUNAUTHORIZED, "authentication required")
	}
	reason := "role " + string(p.Role) + " may not ingest " + string(kind)
	e := keeptrail.AuditEntry{
		ActorKind: p.Kind,
		Actor:     p.Name,
		Action:    "ingest." + string(kind),
		Category:  keeptrail.CategoryIngest,
		Severity:  keeptrail.SeverityMedium,
		SourceIP:  p.SourceIP,
		Outcome:   "denied",
		Details:   keeptrail.MustDetails(map[string]string{"reason": reason, "role": string(p.Role)}),
	}
	// The attempt fails whether or not its entry is written.
	_ = in.st.Update(context.WithoutCancel(ctx), func(tx keeptrail.Tx) error { return tx.AppendAudit(&e) })
	return keeptrail.Errorf(keeptrail.EFORBIDDEN, "%s", reason)
}

// isNotFound reports a store ENOTFOUND.
func isNotFound(err error) bool {
	var e *keeptrail.Error
	return errors.As(err, &e) && e.Code == keeptrail.ENOTFOUND
}
