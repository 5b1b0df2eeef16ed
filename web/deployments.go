package web

import "net/http"

// deploymentList serves GET /api/v1/deployments.
func (s *Server) deploymentList(w http.ResponseWriter, r *http.Request) error {
	deployments, err := s.cfg.Engine.Deployments(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(deployments))
	return nil
}

type deploymentCreateRequest struct {
	Gateway string `json:"gateway"`
	Version int64  `json:"version"`
}

// deploymentCreate serves POST /api/v1/deployments {"gateway":"gw-1","version":3}.
func (s *Server) deploymentCreate(w http.ResponseWriter, r *http.Request) error {
	var in deploymentCreateRequest
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	deployment, err := s.cfg.Engine.Deploy(r.Context(), in.Gateway, in.Version)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, deployment)
	return nil
}
