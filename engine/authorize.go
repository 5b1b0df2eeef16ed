package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/keeptrail/keeptrail"
)

// authorize returns the caller if its role permits act; otherwise it records the denied
// attempt of o and returns EFORBIDDEN (EUNAUTHORIZED without a principal).
func (e *Engine) authorize(ctx context.Context, act keeptrail.Action, o op, target string) (*keeptrail.Principal, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if !p.Role.Can(act) {
		return nil, e.deny(ctx, p, &denial{op: o, target: target,
			reason: fmt.Sprintf("role %s may not %s", p.Role, o.what)})
	}
	return p, nil
}

// denial is returned from inside a transaction when the team scope forbids the action;
// update rolls the transaction back and records the attempt in a transaction of its own.
type denial struct {
	op     op
	target string
	teamID *int64
	reason string
}

func (d *denial) Error() string { return d.reason }

// denyTeam returns a denial when the principal may not act on objects of the team.
func denyTeam(p *keeptrail.Principal, o op, target string, teamID int64, teamName string) error {
	if p.InTeam(teamID) {
		return nil
	}
	return &denial{op: o, target: target, teamID: &teamID,
		reason: fmt.Sprintf("team %q is outside your teams", teamName)}
}

// requireAllTeams records a denied attempt and returns EFORBIDDEN when the principal is
// limited to some teams, since o acts on an organization-wide object.
func (e *Engine) requireAllTeams(ctx context.Context, p *keeptrail.Principal, o op, target string) error {
	if p.AllTeams {
		return nil
	}
	return e.deny(ctx, p, &denial{op: o, target: target,
		reason: fmt.Sprintf("only a principal with access to every team may %s", o.what)})
}

// update runs fn in one store transaction. A denial from fn is recorded and becomes
// EFORBIDDEN.
func (e *Engine) update(ctx context.Context, p *keeptrail.Principal, fn func(tx keeptrail.Tx) error) error {
	err := e.st.Update(ctx, fn)
	var d *denial
	if errors.As(err, &d) {
		return e.deny(ctx, p, d)
	}
	return err
}

// view runs fn in one read transaction. A denial from fn is recorded and becomes
// EFORBIDDEN.
func (e *Engine) view(ctx context.Context, p *keeptrail.Principal, fn func(tx keeptrail.Tx) error) error {
	err := e.st.View(ctx, fn)
	var d *denial
	if errors.As(err, &d) {
		return e.deny(ctx, p, d)
	}
	return err
}

// deny writes the audit entry of a denied attempt in its own transaction and returns
// EFORBIDDEN. If the entry cannot be written the attempt still fails; the lost entry is
// logged.
func (e *Engine) deny(ctx context.Context, p *keeptrail.Principal, d *denial) error {
	entry := keeptrail.AuditEntry{
		ActorKind: p.Kind,
		Actor:     p.Name,
		Action:    d.op.action,
		Category:  d.op.category,
		TeamID:    d.teamID,
		Target:    d.target,
		Severity:  keeptrail.SeverityMedium,
		SourceIP:  p.SourceIP,
		Outcome:   outcomeDenied,
		Details:   details(map[string]string{"reason": d.reason, "role": string(p.Role)}),
	}
	err := e.st.Update(context.WithoutCancel(ctx), func(tx keeptrail.Tx) error { return tx.AppendAudit(&entry) })
	if err != nil {
		e.log.Error("engine: audit entry of a denied attempt was not written",
			"action", d.op.action, "actor", p.Name, "target", d.target, "err", err)
	}
	return keeptrail.Errorf(keeptrail.EFORBIDDEN, "%s", d.reason)
}

// record appends the successful audit entry of o to tx.
func record(tx keeptrail.Tx, p *keeptrail.Principal, o op, target string, teamID *int64, v any) error {
	entry := keeptrail.AuditEntry{
		ActorKind: p.Kind,
		Actor:     p.Name,
		Action:    o.action,
		Category:  o.category,
		TeamID:    teamID,
		Target:    target,
		Severity:  o.severity,
		SourceIP:  p.SourceIP,
		Outcome:   outcomeSuccess,
		Details:   details(v),
	}
	if err := tx.AppendAudit(&entry); err != nil {
		return fmt.Errorf("engine: append audit entry %s: %w", o.action, err)
	}
	return nil
}

// details marshals v into compact JSON for an audit entry, leaving <, > and & as they
// are (the audit log is data, not HTML). It panics only on values that cannot be
// marshalled, a programming error.
func details(v any) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("engine: audit details: " + err.Error())
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}

// teamRef returns a pointer to id for an audit entry's team.
func teamRef(id int64) *int64 { return &id }

// lookupErr turns a store ENOTFOUND into the engine's own not-found message and wraps
// anything else with what was being done.
func lookupErr(err error, format string, args ...any) error {
	if keeptrail.ErrorCode(err) == keeptrail.ENOTFOUND {
		return keeptrail.Errorf(keeptrail.ENOTFOUND, format+" not found", args...)
	}
	return fmt.Errorf("engine: load "+format+": %w", append(args, err)...)
}
