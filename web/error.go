package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/keeptrail/keeptrail"
)

// codeMethodNotAllowed answers a known path asked with a method it does not serve. It is
// an HTTP matter, not a domain error code.
const codeMethodNotAllowed = "method_not_allowed"

// statusByCode maps error codes to HTTP statuses; codes not listed are 500.
var statusByCode = map[string]int{
	keeptrail.EINVALID:      http.StatusBadRequest,
	keeptrail.EUNAUTHORIZED: http.StatusUnauthorized,
	keeptrail.EFORBIDDEN:    http.StatusForbidden,
	keeptrail.ENOTFOUND:     http.StatusNotFound,
	codeMethodNotAllowed:    http.StatusMethodNotAllowed,
	keeptrail.ECONFLICT:     http.StatusConflict,
	keeptrail.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	keeptrail.ETOOMANY:      http.StatusTooManyRequests,
	keeptrail.EINTERNAL:     http.StatusInternalServerError,
}

// errorResponse is the body of every error answer:
// {"error":{"code":"invalid","message":"...","fields":[{"field":"...","reason":"..."}]}}.
type errorResponse struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string                 `json:"code"`
	Message string                 `json:"message"`
	Fields  []keeptrail.FieldError `json:"fields,omitempty"`
}

// handlerFunc is a handler that reports failure by returning an error; handle renders it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts h to http.Handler, writing a returned error as JSON.
func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// writeError answers err with its status and JSON body. Internal errors are logged with
// their cause and shown as "internal error".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := keeptrail.ErrorCode(err)
	status, ok := statusByCode[code]
	if !ok {
		code, status = keeptrail.EINTERNAL, http.StatusInternalServerError
	}
	detail := errorDetail{Code: code, Message: keeptrail.ErrorMessage(err)}
	var e *keeptrail.Error
	if errors.As(err, &e) && code != keeptrail.EINTERNAL {
		detail.Fields = e.Fields
		if e.Message != "" {
			detail.Message = e.Message
		}
	}
	if code == keeptrail.EINTERNAL {
		detail.Message = "internal error"
		level := slog.LevelError
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			level = slog.LevelWarn // the client went away
		}
		s.log.Log(r.Context(), level, "request failed", "method", r.Method, "route", routeOf(r),
			"path", r.URL.Path, "err", err.Error())
	}
	if info := infoFrom(r.Context()); info != nil {
		info.errCode = code
	}
	if code == keeptrail.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="keeptrail"`)
	}
	writeJSON(w, status, errorResponse{Error: detail})
}

// invalid returns an EINVALID error naming one field.
func invalid(field, reason string) error {
	var v keeptrail.Validation
	v.Add(field, "%s", reason)
	return v.Err()
}
