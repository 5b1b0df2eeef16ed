package web

import (
	"net/http"

	"github.com/keeptrail/keeptrail/engine"
)

// configurationVersionList serves GET /api/v1/configuration-versions.
func (s *Server) configurationVersionList(w http.ResponseWriter, r *http.Request) error {
	versions, err := s.cfg.Engine.ConfigurationVersions(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(versions))
	return nil
}

// configurationVersionCreate serves POST /api/v1/configuration-versions with an
// engine.ConfigurationInput body; the engine numbers the new, immutable version.
func (s *Server) configurationVersionCreate(w http.ResponseWriter, r *http.Request) error {
	var in engine.ConfigurationInput
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	version, err := s.cfg.Engine.CreateConfigurationVersion(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, version)
	return nil
}
