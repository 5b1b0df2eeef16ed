package web

import (
	"net/http"

	"github.com/keeptrail/keeptrail/engine"
)

// policyList serves GET /api/v1/policies.
func (s *Server) policyList(w http.ResponseWriter, r *http.Request) error {
	policies, err := s.cfg.Engine.Policies(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(policies))
	return nil
}

// policyCreate serves POST /api/v1/policies with an engine.PolicyInput body.
func (s *Server) policyCreate(w http.ResponseWriter, r *http.Request) error {
	var in engine.PolicyInput
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	policy, err := s.cfg.Engine.CreatePolicy(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, policy)
	return nil
}

// policyUpdate serves PUT /api/v1/policies/{id} with an engine.PolicyInput body.
func (s *Server) policyUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in engine.PolicyInput
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	policy, err := s.cfg.Engine.UpdatePolicy(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, policy)
	return nil
}

// policyActivate serves POST /api/v1/policies/{id}/activate.
func (s *Server) policyActivate(w http.ResponseWriter, r *http.Request) error {
	return s.policySetActive(w, r, true)
}

// policyDeactivate serves POST /api/v1/policies/{id}/deactivate.
func (s *Server) policyDeactivate(w http.ResponseWriter, r *http.Request) error {
	return s.policySetActive(w, r, false)
}

func (s *Server) policySetActive(w http.ResponseWriter, r *http.Request, active bool) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := decodeOptionalBody(w, r); err != nil {
		return err
	}
	policy, err := s.cfg.Engine.SetPolicyActive(r.Context(), id, active)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, policy)
	return nil
}

type policyAssignRequest struct {
	Gateways []string `json:"gateways"`
}

// policyAssign serves POST /api/v1/policies/{id}/assign {"gateways":["gw-1"]}: the
// gateways the policy is assigned to, replacing the previous assignment.
func (s *Server) policyAssign(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in policyAssignRequest
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	if in.Gateways == nil {
		return invalid("gateways", "required: a list of gateway names (empty to unassign)")
	}
	policy, err := s.cfg.Engine.AssignPolicy(r.Context(), id, in.Gateways)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, policy)
	return nil
}
