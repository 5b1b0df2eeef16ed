package web

import (
	"net/http"

	"github.com/keeptrail/keeptrail"
)

// maxEscalationList caps the limit query parameter of GET /api/v1/escalations.
const maxEscalationList = 10000

// escalationList serves GET /api/v1/escalations[?status=open,claimed][&limit=N]. The
// team scope comes from the caller, never from the query.
func (s *Server) escalationList(w http.ResponseWriter, r *http.Request) error {
	var f keeptrail.EscalationFilter
	for _, v := range queryValues(r, "status") {
		st := keeptrail.EscalationStatus(v)
		switch st {
		case keeptrail.EscalationOpen, keeptrail.EscalationClaimed, keeptrail.EscalationResolved, keeptrail.EscalationExpired:
			f.Statuses = append(f.Statuses, st)
		default:
			return invalid("status", "must be one of open, claimed, resolved, expired")
		}
	}
	limit, err := queryInt(r, "limit", 1, maxEscalationList)
	if err != nil {
		return err
	}
	f.Limit = limit
	escalations, err := s.cfg.Engine.Escalations(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(escalations))
	return nil
}

// escalationShow serves GET /api/v1/escalations/{id} with its actions.
func (s *Server) escalationShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	e, err := s.cfg.Engine.Escalation(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

// escalationClaim serves POST /api/v1/escalations/{id}/claim: the caller takes it.
func (s *Server) escalationClaim(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := decodeOptionalBody(w, r); err != nil {
		return err
	}
	e, err := s.cfg.Engine.ClaimEscalation(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

type escalationReassignRequest struct {
	Assignee string `json:"assignee"`
}

// escalationReassign serves POST /api/v1/escalations/{id}/reassign {"assignee":"..."}.
func (s *Server) escalationReassign(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in escalationReassignRequest
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	e, err := s.cfg.Engine.ReassignEscalation(r.Context(), id, in.Assignee)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

type escalationResolveRequest struct {
	Outcome string `json:"outcome"`
	Note    string `json:"note"`
}

// escalationResolve serves POST /api/v1/escalations/{id}/resolve
// {"outcome":"approved","note":"..."}.
func (s *Server) escalationResolve(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in escalationResolveRequest
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	e, err := s.cfg.Engine.ResolveEscalation(r.Context(), id, in.Outcome, in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}
