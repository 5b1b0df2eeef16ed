package engine

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/keeptrail/keeptrail"
)

// expireBatch is how many escalations one expiry transaction handles.
const expireBatch = 200

// escalationTarget is the audit target of an escalation.
func escalationTarget(id int64) string { return "escalation:" + strconv.FormatInt(id, 10) }

// Escalations lists escalations matching f. The team scope is always the caller's,
// whatever f.Scope says. It needs the read permission.
func (e *Engine) Escalations(ctx context.Context, f keeptrail.EscalationFilter) ([]keeptrail.Escalation, error) {
	p, err := e.authorize(ctx, keeptrail.ActRead, opEscalationsRead, "")
	if err != nil {
		return nil, err
	}
	f.Scope = p.Scope()
	var es []keeptrail.Escalation
	err = e.st.View(ctx, func(tx keeptrail.Tx) error {
		es, err = tx.Escalations(f)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("engine: list escalations: %w", err)
	}
	return es, nil
}

// Escalation returns one escalation with its actions. It needs the read permission and
// the escalation's team in scope (EFORBIDDEN otherwise).
func (e *Engine) Escalation(ctx context.Context, id int64) (keeptrail.Escalation, error) {
	p, err := e.authorize(ctx, keeptrail.ActRead, opEscalationRead, escalationTarget(id))
	if err != nil {
		return keeptrail.Escalation{}, err
	}
	var es keeptrail.Escalation
	err = e.view(ctx, p, func(tx keeptrail.Tx) error {
		var err error
		es, _, err = loadEscalation(tx, p, opEscalationRead, id)
		return err
	})
	if err != nil {
		return keeptrail.Escalation{}, err
	}
	return es, nil
}

// loadEscalation reads an escalation for an action o, checking its team is in scope.
func loadEscalation(tx keeptrail.Tx, p *keeptrail.Principal, o op, id int64) (keeptrail.Escalation, keeptrail.Team, error) {
	es, err := tx.Escalation(id)
	if err != nil {
		return es, keeptrail.Team{}, lookupErr(err, "escalation %d", id)
	}
	team, err := tx.TeamByID(es.TeamID)
	if err != nil {
		return es, team, fmt.Errorf("engine: load escalation team: %w", err)
	}
	return es, team, denyTeam(p, o, escalationTarget(id), team.ID, team.Name)
}

// escalationStep is one transition of an escalation.
type escalationStep struct {
	op       op
	from     []keeptrail.EscalationStatus
	to       keeptrail.EscalationStatus
	action   string
	assignee func(p *keeptrail.Principal, es keeptrail.Escalation) string
	outcome  string
	note     string
}

// step applies s to escalation id as principal p, with its action and audit entry, in one
// transaction. A transition from a state not in s.from is ECONFLICT.
func (e *Engine) step(ctx context.Context, p *keeptrail.Principal, id int64, s escalationStep) (keeptrail.Escalation, error) {
	var es keeptrail.Escalation
	err := e.update(ctx, p, func(tx keeptrail.Tx) error {
		var team keeptrail.Team
		var err error
		if es, team, err = loadEscalation(tx, p, s.op, id); err != nil {
			return err
		}
		if !slices.Contains(s.from, es.Status) {
			return keeptrail.Errorf(keeptrail.ECONFLICT, "escalation %d is %s; only %s escalations can be %s",
				id, es.Status, joinStatuses(s.from), strings.TrimPrefix(s.op.action, "escalation."))
		}
		return e.apply(tx, p, &es, team, s)
	})
	if err != nil {
		return keeptrail.Escalation{}, err
	}
	return es, nil
}

// apply writes transition s of es and its audit entry.
func (e *Engine) apply(tx keeptrail.Tx, p *keeptrail.Principal, es *keeptrail.Escalation, team keeptrail.Team, s escalationStep) error {
	now := e.clock()
	from := es.Status
	es.Status = s.to
	if s.assignee != nil {
		es.Assignee = s.assignee(p, *es)
	}
	if s.to == keeptrail.EscalationResolved {
		es.ResolvedAt = &now
		es.Outcome = s.outcome
	}
	a := keeptrail.EscalationAction{
		EscalationID: es.ID, Action: s.action, Actor: p.Name, At: now,
		Assignee: es.Assignee, Outcome: s.outcome, Note: s.note,
	}
	if err := tx.AddEscalationAction(es, &a); err != nil {
		return fmt.Errorf("engine: write escalation action: %w", err)
	}
	es.Actions = append(es.Actions, a)
	details := map[string]any{"status": map[string]string{"before": string(from), "after": string(s.to)},
		"severity": es.Severity, "assignee": es.Assignee}
	if s.outcome != "" {
		details["outcome"] = s.outcome
		details["within_sla"] = !now.After(es.SLADueAt)
	}
	if s.note != "" {
		details["note"] = s.note
	}
	return record(tx, p, s.op, escalationTarget(es.ID), teamRef(team.ID), details)
}

func joinStatuses(ss []keeptrail.EscalationStatus) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, " or ")
}

var (
	openStatuses = []keeptrail.EscalationStatus{keeptrail.EscalationOpen}
	liveStatuses = []keeptrail.EscalationStatus{keeptrail.EscalationOpen, keeptrail.EscalationClaimed}
)

// ClaimEscalation assigns an open escalation to the caller (open → claimed). It needs the
// manage permission and the escalation's team in scope; any other state is ECONFLICT.
// Recorded as escalation.claimed.
func (e *Engine) ClaimEscalation(ctx context.Context, id int64) (keeptrail.Escalation, error) {
	p, err := e.authorize(ctx, keeptrail.ActManage, opEscClaimed, escalationTarget(id))
	if err != nil {
		return keeptrail.Escalation{}, err
	}
	return e.step(ctx, p, id, escalationStep{
		op: opEscClaimed, from: openStatuses, to: keeptrail.EscalationClaimed, action: keeptrail.EscalationClaim,
		assignee: func(p *keeptrail.Principal, _ keeptrail.Escalation) string { return p.Name },
	})
}

// ReassignEscalation assigns an open or claimed escalation to someone else (→ claimed).
// It needs the manage permission and the escalation's team in scope; an empty assignee is
// EINVALID, a resolved or expired escalation ECONFLICT. Recorded as escalation.reassigned.
func (e *Engine) ReassignEscalation(ctx context.Context, id int64, assignee string) (keeptrail.Escalation, error) {
	p, err := e.authorize(ctx, keeptrail.ActManage, opEscReassigned, escalationTarget(id))
	if err != nil {
		return keeptrail.Escalation{}, err
	}
	assignee = strings.TrimSpace(assignee)
	if msg := textProblem(assignee, true, maxEmailLength); msg != "" {
		var v keeptrail.Validation
		v.Add("assignee", "%s", msg)
		return keeptrail.Escalation{}, v.Err()
	}
	return e.step(ctx, p, id, escalationStep{
		op: opEscReassigned, from: liveStatuses, to: keeptrail.EscalationClaimed, action: keeptrail.EscalationReassign,
		assignee: func(*keeptrail.Principal, keeptrail.Escalation) string { return assignee },
	})
}

// ResolveEscalation closes an open or claimed escalation with an outcome from
// keeptrail.EscalationOutcomes and an optional note. It needs the manage permission and
// the escalation's team in scope; a resolved or expired escalation is ECONFLICT. An
// unassigned escalation is assigned to the resolver. Recorded as escalation.resolved.
func (e *Engine) ResolveEscalation(ctx context.Context, id int64, outcome, note string) (keeptrail.Escalation, error) {
	p, err := e.authorize(ctx, keeptrail.ActManage, opEscResolved, escalationTarget(id))
	if err != nil {
		return keeptrail.Escalation{}, err
	}
	var v keeptrail.Validation
	if outcome == "" {
		v.Add("outcome", "is required")
	} else if !slices.Contains(keeptrail.EscalationOutcomes, outcome) {
		v.Add("outcome", "must be one of %s", strings.Join(keeptrail.EscalationOutcomes, ", "))
	}
	if len(note) > maxChangeSummaryLength {
		v.Add("note", "must be at most %d bytes", maxChangeSummaryLength)
	}
	if err := v.Err(); err != nil {
		return keeptrail.Escalation{}, err
	}
	return e.step(ctx, p, id, escalationStep{
		op: opEscResolved, from: liveStatuses, to: keeptrail.EscalationResolved, action: keeptrail.EscalationResolve,
		outcome: outcome, note: strings.TrimSpace(note),
		assignee: func(p *keeptrail.Principal, es keeptrail.Escalation) string {
			if es.Assignee == "" {
				return p.Name
			}
			return es.Assignee
		},
	})
}

// ExpireEscalations is the background job that expires escalations left unhandled: each
// open or claimed escalation whose ExpiresAt is before now becomes expired, with an
// expire action and an escalation.expired audit entry. It acts as the principal in ctx
// (the job's keeptrail.SystemPrincipal), which needs the manage permission over every
// team, or as "system:expire_escalations" when ctx carries none. It returns how many it
// expired.
func (e *Engine) ExpireEscalations(ctx context.Context) (int, error) {
	p := keeptrail.PrincipalFromContext(ctx)
	if p == nil {
		p = keeptrail.SystemPrincipal("expire_escalations")
	}
	if !p.Role.Can(keeptrail.ActManage) {
		return 0, e.deny(ctx, p, &denial{op: opEscExpired, reason: fmt.Sprintf("role %s may not %s", p.Role, opEscExpired.what)})
	}
	if err := e.requireAllTeams(ctx, p, opEscExpired, ""); err != nil {
		return 0, err
	}
	total := 0
	for {
		n, more := 0, false
		err := e.st.Update(ctx, func(tx keeptrail.Tx) error {
			n = 0
			now := e.clock()
			es, err := tx.Escalations(keeptrail.EscalationFilter{Statuses: liveStatuses, ExpiresBefore: now, Limit: expireBatch})
			if err != nil {
				return fmt.Errorf("engine: list escalations to expire: %w", err)
			}
			for _, x := range es {
				if !x.ExpiresAt.Before(now) || !slices.Contains(liveStatuses, x.Status) {
					continue
				}
				team, err := tx.TeamByID(x.TeamID)
				if err != nil {
					return fmt.Errorf("engine: load escalation team: %w", err)
				}
				err = e.apply(tx, p, &x, team, escalationStep{
					op: opEscExpired, to: keeptrail.EscalationExpired, action: keeptrail.EscalationExpire,
				})
				if err != nil {
					return err
				}
				n++
			}
			// A full batch may leave more behind; a batch that expired nothing would
			// loop for ever, so it ends the run.
			more = len(es) == expireBatch && n > 0
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if !more {
			return total, nil
		}
	}
}
