package web

import "net/http"

// gatewayList serves GET /api/v1/gateways: the gateways in the caller's scope.
func (s *Server) gatewayList(w http.ResponseWriter, r *http.Request) error {
	gateways, err := s.cfg.Engine.Gateways(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(gateways))
	return nil
}
