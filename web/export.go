package web

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/delivery"
	"github.com/keeptrail/keeptrail/export"
)

// ExportConfig is what the export routes need: the job queue, the notifier whose signer
// checks download links, and the limits specs are parsed with.
type ExportConfig struct {
	Jobs     *export.Jobs
	Notifier *export.Notifier
	Limits   export.Limits
}

var errExportsOff = &keeptrail.Error{Code: "unavailable", Message: "exports are not configured on this server"}

// exports returns the server's export queue (Config.Exports), or answers 503 without one.
func (s *Server) exports(w http.ResponseWriter) (*ExportConfig, bool) {
	if s.cfg.Exports == nil {
		writeJSON(w, http.StatusServiceUnavailable, errorResponse{Error: errorDetail{Code: errExportsOff.Code, Message: errExportsOff.Message}})
		return nil, false
	}
	return s.cfg.Exports, true
}

// exportByID returns the export queue and the {id} of the path. ok is false when exports
// are off (the 503 is written) or the id is bad (err says why).
func (s *Server) exportByID(w http.ResponseWriter, r *http.Request) (c *ExportConfig, id int64, ok bool, err error) {
	c, ok = s.exports(w)
	if !ok {
		return nil, 0, false, nil
	}
	id, err = pathID(r, "id")
	if err != nil {
		return nil, 0, false, err
	}
	return c, id, true, nil
}

// exportCreated is the answer to POST /api/v1/exports.
type exportCreated struct {
	ID     int64                     `json:"id"`
	Status keeptrail.ExportJobStatus `json:"status"`
}

// exportCreate serves POST /api/v1/exports: a spec as JSON (the export object, or
// {"export": {...}}) or, with Content-Type application/yaml, the YAML block of the product
// page. 202 with the job id; 429 with Retry-After over the per-requester limit.
func (s *Server) exportCreate(w http.ResponseWriter, r *http.Request) error {
	c, ok := s.exports(w)
	if !ok {
		return nil
	}
	lim := c.Limits
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = export.DefaultMaxBytes
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(lim.MaxBytes)))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return keeptrail.Errorf(keeptrail.ETOOLARGE, "export spec is larger than %d bytes", lim.MaxBytes)
		}
		return invalid("body", "could not be read")
	}
	var spec export.Spec
	switch mediaType(r) {
	case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml":
		spec, err = export.ParseYAML(body, lim)
	case "", "application/json":
		spec, err = export.ParseJSON(body, lim)
	default:
		return invalid("Content-Type", "must be application/json or application/yaml")
	}
	if err != nil {
		return err
	}
	if err := s.checkPackageFramework(r, spec); err != nil {
		return err
	}
	job, err := c.Jobs.Submit(r.Context(), spec)
	var tooMany *export.TooManyError
	if errors.As(err, &tooMany) {
		w.Header().Set("Retry-After", strconv.Itoa(int((tooMany.RetryAfter+time.Second-1)/time.Second)))
	}
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/exports/"+strconv.FormatInt(job.ID, 10))
	writeJSON(w, http.StatusAccepted, exportCreated{ID: job.ID, Status: job.Status})
	return nil
}

// checkPackageFramework refuses a compliance_package spec whose framework is neither
// built in nor a live custom template, naming export.framework, before a job is queued
// that could only fail. The spec parser accepts any well-formed template name; only the
// store knows which exist.
func (s *Server) checkPackageFramework(r *http.Request, spec export.Spec) error {
	if spec.Type != export.TypeCompliancePackage || spec.Framework == "" {
		return nil
	}
	_, err := s.cfg.Engine.Framework(r.Context(), spec.Framework)
	if keeptrail.ErrorCode(err) == keeptrail.ENOTFOUND {
		return invalid("export.framework", fmt.Sprintf("%q is neither soc2, hipaa nor a framework template", spec.Framework))
	}
	return err
}

// mediaType is the request's Content-Type without parameters, lowercased.
func mediaType(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "invalid"
	}
	return strings.ToLower(mt)
}

// maxExportList caps the limit query parameter of GET /api/v1/exports.
const maxExportList = 1000

// exportList serves GET /api/v1/exports[?limit=N]: the caller's exports, newest first
// (everyone's for an admin).
func (s *Server) exportList(w http.ResponseWriter, r *http.Request) error {
	c, ok := s.exports(w)
	if !ok {
		return nil
	}
	limit, err := queryInt(r, "limit", 1, maxExportList)
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = 100
	}
	jobs, err := c.Jobs.List(r.Context(), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(jobs))
	return nil
}

// exportShow serves GET /api/v1/exports/{id}: status, rows so far, bytes, SHA-256, error.
func (s *Server) exportShow(w http.ResponseWriter, r *http.Request) error {
	c, id, ok, err := s.exportByID(w, r)
	if !ok || err != nil {
		return err
	}
	job, err := c.Jobs.Job(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, job)
	return nil
}

// exportCancel serves POST /api/v1/exports/{id}/cancel.
func (s *Server) exportCancel(w http.ResponseWriter, r *http.Request) error {
	c, id, ok, err := s.exportByID(w, r)
	if !ok || err != nil {
		return err
	}
	if err := decodeOptionalBody(w, r); err != nil {
		return err
	}
	job, err := c.Jobs.Cancel(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, job)
	return nil
}

// exportDownload serves GET /api/v1/exports/{id}/download: the file of a succeeded export,
// by id only, as an attachment, after the scope check and the export.downloaded audit
// entry. A signed link from a notice (user, expires and sig in the query) must be valid
// for this export and have been issued to the caller's own user; it grants nothing the
// caller could not download without it.
func (s *Server) exportDownload(w http.ResponseWriter, r *http.Request) error {
	c, id, ok, err := s.exportByID(w, r)
	if !ok || err != nil {
		return err
	}
	via := export.ViaAPI
	q := r.URL.Query()
	if q.Has(delivery.LinkParamSig) || q.Has(delivery.LinkParamUser) || q.Has(delivery.LinkParamExpires) {
		user, err := c.Notifier.VerifyLink(id, q)
		if err != nil {
			return err
		}
		p := keeptrail.PrincipalFromContext(r.Context())
		if p == nil || p.UserID == 0 || p.UserID != user {
			return keeptrail.Errorf(keeptrail.EFORBIDDEN, "this download link was issued to another user")
		}
		via = export.ViaLink
	}
	d, err := c.Jobs.Open(r.Context(), id, via)
	if err != nil {
		return err
	}
	defer d.File.Close()
	h := w.Header()
	h.Set("Content-Type", d.MediaType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.Name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	if sum, err := hex.DecodeString(d.Job.SHA256); err == nil {
		h.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
	}
	h.Set("X-Checksum-SHA256", d.Job.SHA256)
	var modified time.Time
	if d.Job.FinishedAt != nil {
		modified = *d.Job.FinishedAt
	}
	http.ServeContent(w, r, d.Name, modified, d.File)
	return nil
}

// exportManifest serves GET /api/v1/exports/{id}/manifest.
func (s *Server) exportManifest(w http.ResponseWriter, r *http.Request) error {
	c, id, ok, err := s.exportByID(w, r)
	if !ok || err != nil {
		return err
	}
	b, err := c.Jobs.Manifest(r.Context(), id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return nil
}
