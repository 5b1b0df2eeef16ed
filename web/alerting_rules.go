package web

import (
	"net/http"

	"github.com/keeptrail/keeptrail/engine"
)

// alertingRuleList serves GET /api/v1/alerting-rules.
func (s *Server) alertingRuleList(w http.ResponseWriter, r *http.Request) error {
	rules, err := s.cfg.Engine.AlertingRules(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(rules))
	return nil
}

// alertingRuleCreate serves POST /api/v1/alerting-rules with an engine.AlertingRuleInput body.
func (s *Server) alertingRuleCreate(w http.ResponseWriter, r *http.Request) error {
	var in engine.AlertingRuleInput
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	rule, err := s.cfg.Engine.CreateAlertingRule(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rule)
	return nil
}

// alertingRuleUpdate serves PUT /api/v1/alerting-rules/{id}.
func (s *Server) alertingRuleUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in engine.AlertingRuleInput
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	rule, err := s.cfg.Engine.UpdateAlertingRule(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rule)
	return nil
}
