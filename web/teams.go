package web

import "net/http"

// teamList serves GET /api/v1/teams: the teams in the caller's scope.
func (s *Server) teamList(w http.ResponseWriter, r *http.Request) error {
	teams, err := s.cfg.Engine.Teams(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(teams))
	return nil
}

type teamCreateRequest struct {
	Name string `json:"name"`
}

// teamCreate serves POST /api/v1/teams {"name":"payments"}.
func (s *Server) teamCreate(w http.ResponseWriter, r *http.Request) error {
	var in teamCreateRequest
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	team, err := s.cfg.Engine.CreateTeam(r.Context(), in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, team)
	return nil
}
