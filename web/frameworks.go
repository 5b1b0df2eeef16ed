package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/evidence"
)

// frameworkList serves GET /api/v1/frameworks: the built-in frameworks (built_in true)
// and the custom templates.
func (s *Server) frameworkList(w http.ResponseWriter, r *http.Request) error {
	fs, err := s.cfg.Engine.Frameworks(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(fs))
	return nil
}

// frameworkShow serves GET /api/v1/frameworks/{name}[?version=N]: the current version of
// a framework, or version N.
func (s *Server) frameworkShow(w http.ResponseWriter, r *http.Request) error {
	name, err := pathText(r, "name")
	if err != nil {
		return err
	}
	var f evidence.Framework
	if v := r.URL.Query().Get("version"); v != "" {
		n, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil || n < 1 {
			return invalid("version", "must be a positive integer")
		}
		f, err = s.cfg.Engine.FrameworkVersion(r.Context(), name, n)
	} else {
		f, err = s.cfg.Engine.Framework(r.Context(), name)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

// frameworkCreate serves POST /api/v1/frameworks with a template as JSON or, with
// Content-Type application/yaml, YAML (evidence.ParseTemplate). 201 with the framework.
func (s *Server) frameworkCreate(w http.ResponseWriter, r *http.Request) error {
	doc, err := readTemplate(w, r)
	if err != nil {
		return err
	}
	f, err := s.cfg.Engine.CreateFramework(r.Context(), doc)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/frameworks/"+url.PathEscape(f.Name))
	writeJSON(w, http.StatusCreated, f)
	return nil
}

// frameworkUpdate serves PUT /api/v1/frameworks/{name}: the template's new content, as
// for create (the name may be left out; a version, if given, must be the current one).
func (s *Server) frameworkUpdate(w http.ResponseWriter, r *http.Request) error {
	name, err := pathText(r, "name")
	if err != nil {
		return err
	}
	doc, err := readTemplate(w, r)
	if err != nil {
		return err
	}
	f, err := s.cfg.Engine.UpdateFramework(r.Context(), name, doc)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

// frameworkDelete serves DELETE /api/v1/frameworks/{name}: 200 with the deleted
// template's last version.
func (s *Server) frameworkDelete(w http.ResponseWriter, r *http.Request) error {
	name, err := pathText(r, "name")
	if err != nil {
		return err
	}
	f, err := s.cfg.Engine.DeleteFramework(r.Context(), name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

// readTemplate reads a framework template body of at most evidence.MaxTemplateBytes. JSON
// (application/json, or no Content-Type and a body starting with '{') or YAML
// (application/yaml and the like, or no Content-Type).
func readTemplate(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, evidence.MaxTemplateBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, keeptrail.Errorf(keeptrail.ETOOLARGE, "framework template is larger than %d bytes", evidence.MaxTemplateBytes)
		}
		return nil, invalid("body", "could not be read")
	}
	switch mediaType(r) {
	case "application/json":
		if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '{' {
			return nil, invalid("body", "must be a JSON object")
		}
	case "", "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml":
	default:
		return nil, invalid("Content-Type", "must be application/json or application/yaml")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, invalid("body", "required: send a framework template as JSON or YAML")
	}
	return body, nil
}
