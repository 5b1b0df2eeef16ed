package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/keeptrail/keeptrail"
)

// maxHandledPerDay is how many escalations the organization's people take on in a day;
// beyond it they are left to expire (it bounds the work of very large runs).
const maxHandledPerDay = 150

// escalationPlan is how people handle one escalation.
type escalationPlan int

const (
	planIgnore          escalationPlan = iota // nobody acts: it expires open
	planClaimOnly                             // claimed, then forgotten: it expires claimed
	planResolveDirectly                       // resolved without a claim
	planReassign                              // claimed, reassigned, resolved by the new assignee
	planClaimResolve                          // claimed and resolved
	planLate                                  // claimed and resolved well after its SLA
)

// firstPlans are the plans of the first escalations, so that even a small run has each
// action and outcome.
var firstPlans = []struct {
	plan    escalationPlan
	outcome string
}{
	{planClaimResolve, "approved"},
	{planReassign, "denied"},
	{planResolveDirectly, "false_positive"},
	{planIgnore, ""},
	{planClaimResolve, "policy_updated"},
	{planClaimOnly, ""},
	{planLate, "denied"},
}

var outcomeWeights = []weighted[string]{{"approved", 35}, {"denied", 30}, {"false_positive", 25}, {"policy_updated", 10}}

// scheduleEscalations plans the handling of the escalations opened since the last call.
func (r *run) scheduleEscalations(ctx context.Context, now time.Time) error {
	if r.newEscalations == 0 {
		return nil
	}
	r.newEscalations = 0
	var es []keeptrail.Escalation
	err := r.st.View(ctx, func(tx keeptrail.Tx) error {
		var err error
		es, err = tx.Escalations(keeptrail.EscalationFilter{Statuses: []keeptrail.EscalationStatus{keeptrail.EscalationOpen}})
		return err
	})
	if err != nil {
		return fmt.Errorf("demo: list escalations: %w", err)
	}
	for _, e := range es {
		if e.ID <= r.escSeen {
			continue
		}
		r.planEscalation(e, now)
	}
	for _, e := range es {
		r.escSeen = max(r.escSeen, e.ID)
	}
	return nil
}

// planEscalation decides who handles an escalation, how and when.
func (r *run) planEscalation(e keeptrail.Escalation, now time.Time) {
	rng := r.rngEsc
	plan, outcome := planClaimResolve, pick(rng, outcomeWeights)
	switch x := rng.IntN(100); {
	case r.escPlanned < len(firstPlans):
		plan, outcome = firstPlans[r.escPlanned].plan, firstPlans[r.escPlanned].outcome
	case r.escToday >= maxHandledPerDay || x < 4:
		plan = planIgnore
	case x < 9:
		plan = planClaimOnly
	case x < 17:
		plan = planResolveDirectly
	case x < 30:
		plan = planReassign
	case x < 36:
		plan = planLate
	}
	r.escPlanned++
	if plan == planIgnore {
		return
	}
	r.escToday++

	handler, other := r.handlers(e, now)
	start := now
	if e.OpenedAt.After(start) {
		start = e.OpenedAt
	}
	claimAt := start.Add(r.responseDelay(e.Severity, start))
	resolveAt := claimAt.Add(r.resolutionDelay(e.Severity))
	reassignAt := claimAt.Add(time.Duration(5+rng.IntN(40)) * time.Minute)
	if plan == planReassign {
		resolveAt = resolveAt.Add(reassignAt.Sub(claimAt))
	}
	if plan == planLate {
		resolveAt = e.SLADueAt.Add(time.Duration(60+rng.IntN(300)) * time.Minute)
		if !resolveAt.After(claimAt) {
			resolveAt = claimAt.Add(time.Duration(10+rng.IntN(50)) * time.Minute)
		}
	}
	id := e.ID
	step := func(at time.Time, what string, do func(ctx context.Context) error) {
		if !at.Before(r.opts.To) {
			return // still open at the end of the period
		}
		r.timeline.add(at, what, func(ctx context.Context) error {
			err := do(ctx)
			// Someone may come too late (the expiry job was first) or have lost the
			// right: the engine refuses, as it would in the console.
			if c := keeptrail.ErrorCode(err); c == keeptrail.ECONFLICT || c == keeptrail.EFORBIDDEN {
				return nil
			}
			return err
		})
	}
	if plan != planResolveDirectly {
		step(claimAt, "claim an escalation", func(ctx context.Context) error {
			_, err := r.eng.ClaimEscalation(as(ctx, handler.p), id)
			return err
		})
	}
	resolver := handler
	if plan == planReassign {
		step(reassignAt, "reassign an escalation", func(ctx context.Context) error {
			_, err := r.eng.ReassignEscalation(as(ctx, handler.p), id, other.email)
			return err
		})
		resolver = other
	}
	if plan == planClaimOnly {
		return
	}
	notes := map[string]string{
		"approved":       "Legitimate clinical use; approved.",
		"denied":         "Request refused; user informed.",
		"false_positive": "Detector matched a test fixture.",
		"policy_updated": "Rule narrowed in the next configuration version.",
	}
	step(resolveAt, "resolve an escalation", func(ctx context.Context) error {
		_, err := r.eng.ResolveEscalation(as(ctx, resolver.p), id, outcome, notes[outcome])
		return err
	})
}

// handlers picks who handles an escalation (its team's admin or a compliance officer)
// and a colleague it may be reassigned to.
func (r *run) handlers(e keeptrail.Escalation, now time.Time) (*member, *member) {
	officers := r.officers(now)
	first := officers[r.rngEsc.IntN(len(officers))]
	if m := r.teamAdmin(e.TeamID, now); m != nil && r.rngEsc.IntN(10) < 4 {
		first = m
	}
	other := officers[0]
	for _, o := range officers {
		if o != first {
			other = o
			break
		}
	}
	return first, other
}

// responseDelay is how long an escalation waits to be picked up: minutes for critical
// ones (someone is on call), else until someone is at work.
func (r *run) responseDelay(sev keeptrail.Severity, t time.Time) time.Duration {
	rng := r.rngEsc
	if sev == keeptrail.SeverityCritical {
		return time.Duration(5+rng.IntN(45)) * time.Minute
	}
	local := t.Add(utcOffsetHours * time.Hour)
	working := local.Weekday() != time.Saturday && local.Weekday() != time.Sunday
	if working && local.Hour() >= 8 && local.Hour() < 18 {
		return time.Duration(10+rng.IntN(110)) * time.Minute
	}
	next := local.Truncate(24 * time.Hour).Add(8*time.Hour + 30*time.Minute)
	if !next.After(local) {
		next = next.AddDate(0, 0, 1)
	}
	for next.Weekday() == time.Saturday || next.Weekday() == time.Sunday {
		next = next.AddDate(0, 0, 1)
	}
	return next.Sub(local) + time.Duration(rng.IntN(90))*time.Minute
}

// resolutionDelay is how long handling takes once claimed.
func (r *run) resolutionDelay(sev keeptrail.Severity) time.Duration {
	rng := r.rngEsc
	switch sev {
	case keeptrail.SeverityCritical:
		return time.Duration(10+rng.IntN(50)) * time.Minute
	case keeptrail.SeverityHigh:
		return time.Duration(20+rng.IntN(160)) * time.Minute
	case keeptrail.SeverityMedium:
		return time.Duration(60+rng.IntN(420)) * time.Minute
	}
	return time.Duration(120+rng.IntN(1680)) * time.Minute
}
