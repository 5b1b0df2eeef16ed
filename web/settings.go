package web

import (
	"net/http"

	"github.com/keeptrail/keeptrail/engine"
)

// settingsShow serves GET /api/v1/settings.
func (s *Server) settingsShow(w http.ResponseWriter, r *http.Request) error {
	settings, err := s.cfg.Engine.Settings(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, settings)
	return nil
}

// settingsUpdate serves PATCH /api/v1/settings: the fields present are changed.
func (s *Server) settingsUpdate(w http.ResponseWriter, r *http.Request) error {
	var in engine.SettingsUpdate
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	settings, err := s.cfg.Engine.UpdateSettings(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, settings)
	return nil
}
