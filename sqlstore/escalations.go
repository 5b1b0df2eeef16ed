package sqlstore

import (
	"database/sql"
	"fmt"
	"strings"

	keeptrail "github.com/keeptrail/keeptrail"
)

const escalationColumns = `id, event_id, request_id, gateway_id, team_id, severity, opened_at, sla_due_at, expires_at,
status, assignee, resolved_at, outcome`

const escalationColumnCount = 12 // inserted: every column but id

func scanEscalation(s scanner) (keeptrail.Escalation, error) {
	var e keeptrail.Escalation
	var opened, due, expires int64
	var resolved sql.NullInt64
	if err := s.Scan(&e.ID, &e.EventID, &e.RequestID, &e.GatewayID, &e.TeamID, &e.Severity, &opened, &due, &expires,
		&e.Status, &e.Assignee, &resolved, &e.Outcome); err != nil {
		return e, err
	}
	e.OpenedAt = fromMicros(opened)
	e.SLADueAt = fromMicros(due)
	e.ExpiresAt = fromMicros(expires)
	e.ResolvedAt = timePtr(resolved)
	return e, nil
}

// CreateEscalations inserts the escalations and sets their IDs; OpenedAt defaults to the
// transaction's time and Status to open. ECONFLICT when an event already has one.
func (t *tx) CreateEscalations(es []keeptrail.Escalation) error {
	chunk := min(500, t.db.d.maxParams/escalationColumnCount)
	for start := 0; start < len(es); start += chunk {
		part := es[start:min(start+chunk, len(es))]
		args := make([]any, 0, len(part)*escalationColumnCount)
		byEvent := make(map[int64]int, len(part))
		for i := range part {
			e := &part[i]
			e.OpenedAt = t.orNow(e.OpenedAt)
			e.SLADueAt = keeptrail.TruncTime(e.SLADueAt)
			e.ExpiresAt = keeptrail.TruncTime(e.ExpiresAt)
			e.ResolvedAt = truncPtr(e.ResolvedAt)
			if e.Status == "" {
				e.Status = keeptrail.EscalationOpen
			}
			if _, dup := byEvent[e.EventID]; dup {
				return conflict("escalation for event", e.EventID)
			}
			byEvent[e.EventID] = i
			args = append(args, e.EventID, e.RequestID, e.GatewayID, e.TeamID, string(e.Severity), micros(e.OpenedAt),
				micros(e.SLADueAt), micros(e.ExpiresAt), string(e.Status), e.Assignee, nullMicros(e.ResolvedAt), e.Outcome)
		}
		q := `INSERT INTO escalations (event_id, request_id, gateway_id, team_id, severity, opened_at, sla_due_at, expires_at,
status, assignee, resolved_at, outcome) VALUES ` + placeholders(len(part), escalationColumnCount) +
			" ON CONFLICT (event_id) DO NOTHING RETURNING id, event_id"
		rows, err := t.query(q, args...)
		if err != nil {
			return fmt.Errorf("insert escalations: %w", err)
		}
		n := 0
		for rows.Next() {
			var id, eventID int64
			if err := rows.Scan(&id, &eventID); err != nil {
				rows.Close()
				return fmt.Errorf("scan inserted escalation: %w", err)
			}
			part[byEvent[eventID]].ID = id
			n++
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read inserted escalations: %w", err)
		}
		if n < len(part) {
			for i := range part {
				if part[i].ID == 0 {
					return conflict("escalation for event", part[i].EventID)
				}
			}
		}
	}
	return nil
}

// Escalation returns one escalation with its actions, oldest first; ENOTFOUND if there is
// none.
func (t *tx) Escalation(id int64) (keeptrail.Escalation, error) {
	e, err := scanEscalation(t.queryRow("SELECT "+escalationColumns+" FROM escalations WHERE id = ?", id))
	if err != nil {
		return e, rowErr(err, "select escalation", "escalation", id)
	}
	e.Actions, err = queryAll(t, "escalation actions", scanEscalationAction,
		"SELECT "+escalationActionColumns+" FROM escalation_actions WHERE escalation_id = ? ORDER BY at, id", id)
	if err != nil {
		return keeptrail.Escalation{}, err
	}
	return e, nil
}

// Escalations lists the escalations f selects, oldest first, without their actions.
func (t *tx) Escalations(f keeptrail.EscalationFilter) ([]keeptrail.Escalation, error) {
	if scopeEmpty(f.Scope) {
		return nil, nil
	}
	var conds []string
	var args []any
	if where, a := scopeFilter("team_id", f.Scope); where != "" {
		conds = append(conds, where)
		args = append(args, a...)
	}
	if len(f.Statuses) > 0 {
		conds = append(conds, "status IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(f.Statuses)), ", ")+")")
		for _, s := range f.Statuses {
			args = append(args, string(s))
		}
	}
	if !f.ExpiresBefore.IsZero() {
		conds = append(conds, "expires_at < ?")
		args = append(args, micros(f.ExpiresBefore))
	}
	q := "SELECT " + escalationColumns + " FROM escalations"
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	q += " ORDER BY opened_at, id"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	return queryAll(t, "escalations", scanEscalation, q, args...)
}

const escalationActionColumns = "id, escalation_id, action, actor, at, assignee, outcome, note"

func scanEscalationAction(s scanner) (keeptrail.EscalationAction, error) {
	var a keeptrail.EscalationAction
	var at int64
	if err := s.Scan(&a.ID, &a.EscalationID, &a.Action, &a.Actor, &at, &a.Assignee, &a.Outcome, &a.Note); err != nil {
		return a, err
	}
	a.At = fromMicros(at)
	return a, nil
}

// AddEscalationAction inserts a for e (setting its ID and EscalationID; At defaults to the
// transaction's time) and writes e's status, assignee, resolved at and outcome. ENOTFOUND
// if the escalation does not exist.
func (t *tx) AddEscalationAction(e *keeptrail.Escalation, a *keeptrail.EscalationAction) error {
	e.ResolvedAt = truncPtr(e.ResolvedAt)
	res, err := t.exec("UPDATE escalations SET status = ?, assignee = ?, resolved_at = ?, outcome = ? WHERE id = ?",
		string(e.Status), e.Assignee, nullMicros(e.ResolvedAt), e.Outcome, e.ID)
	if err != nil {
		return fmt.Errorf("update escalation: %w", err)
	}
	if err := mustAffect(res, "update escalation", "escalation", e.ID); err != nil {
		return err
	}
	a.EscalationID = e.ID
	a.At = t.orNow(a.At)
	err = t.queryRow(`INSERT INTO escalation_actions (escalation_id, action, actor, at, assignee, outcome, note)
VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		a.EscalationID, a.Action, a.Actor, micros(a.At), a.Assignee, a.Outcome, a.Note).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("insert escalation action: %w", err)
	}
	return nil
}
