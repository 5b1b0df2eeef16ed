package web

import (
	"net/http"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/engine"
)

// apiKeyWithToken answers key creation and rotation: the only time the token is shown.
type apiKeyWithToken struct {
	APIKey keeptrail.APIKey `json:"api_key"`
	Token  string           `json:"token"`
}

// apiKeyList serves GET /api/v1/api-keys (prefixes only, never secrets).
func (s *Server) apiKeyList(w http.ResponseWriter, r *http.Request) error {
	keys, err := s.cfg.Engine.APIKeys(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(keys))
	return nil
}

// apiKeyCreate serves POST /api/v1/api-keys with an engine.NewAPIKey body.
func (s *Server) apiKeyCreate(w http.ResponseWriter, r *http.Request) error {
	var in engine.NewAPIKey
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	key, token, err := s.cfg.Engine.CreateAPIKey(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, apiKeyWithToken{APIKey: key, Token: token})
	return nil
}

// apiKeyRotate serves POST /api/v1/api-keys/{prefix}/rotate: a new secret, same prefix.
func (s *Server) apiKeyRotate(w http.ResponseWriter, r *http.Request) error {
	prefix, err := pathText(r, "prefix")
	if err != nil {
		return err
	}
	if err := decodeOptionalBody(w, r); err != nil {
		return err
	}
	key, token, err := s.cfg.Engine.RotateAPIKey(r.Context(), prefix)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiKeyWithToken{APIKey: key, Token: token})
	return nil
}

// apiKeyRevoke serves POST /api/v1/api-keys/{prefix}/revoke.
func (s *Server) apiKeyRevoke(w http.ResponseWriter, r *http.Request) error {
	prefix, err := pathText(r, "prefix")
	if err != nil {
		return err
	}
	if err := decodeOptionalBody(w, r); err != nil {
		return err
	}
	key, err := s.cfg.Engine.RevokeAPIKey(r.Context(), prefix)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, key)
	return nil
}
