package web

import (
	"net/http"

	"github.com/keeptrail/keeptrail/engine"
)

// userList serves GET /api/v1/users.
func (s *Server) userList(w http.ResponseWriter, r *http.Request) error {
	users, err := s.cfg.Engine.Users(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(users))
	return nil
}

// userCreate serves POST /api/v1/users with an engine.NewUser body.
func (s *Server) userCreate(w http.ResponseWriter, r *http.Request) error {
	var in engine.NewUser
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	user, err := s.cfg.Engine.CreateUser(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, user)
	return nil
}

// userUpdate serves PATCH /api/v1/users/{email}: the fields present are changed.
func (s *Server) userUpdate(w http.ResponseWriter, r *http.Request) error {
	email, err := pathText(r, "email")
	if err != nil {
		return err
	}
	var in engine.UserUpdate
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	user, err := s.cfg.Engine.UpdateUser(r.Context(), email, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, user)
	return nil
}

// userDeactivate serves POST /api/v1/users/{email}/deactivate (deprovisioning: the
// user's API keys are revoked too).
func (s *Server) userDeactivate(w http.ResponseWriter, r *http.Request) error {
	email, err := pathText(r, "email")
	if err != nil {
		return err
	}
	if err := decodeOptionalBody(w, r); err != nil {
		return err
	}
	user, err := s.cfg.Engine.DeactivateUser(r.Context(), email)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, user)
	return nil
}
