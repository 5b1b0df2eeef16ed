package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/keeptrail/keeptrail"
)

// requestInfo is what inner layers tell the access log about a request: who it was and
// which error code it ended with. The outermost middleware puts it in the context.
type requestInfo struct {
	principal string
	errCode   string
}

type requestInfoKey struct{}

func infoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return info
}

// routeUnmatched labels requests that matched no route, so metrics stay bounded.
const routeUnmatched = "unmatched"

// routeOf returns the route pattern that served r ("POST /api/v1/events").
func routeOf(r *http.Request) string {
	if r.Pattern == "" {
		return routeUnmatched
	}
	return r.Pattern
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusRecorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer (Flush, deadlines).
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe records every request in the access log and the request metrics, labelled by
// the route pattern the mux matched.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{}
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		elapsed := time.Since(start)
		route := routeOf(r)
		status := strconv.Itoa(rec.status)
		s.metrics.requests.WithLabelValues(route, status).Inc()
		s.metrics.duration.WithLabelValues(route, status).Observe(elapsed.Seconds())

		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Duration("duration", elapsed),
			slog.Int64("bytes", rec.bytes),
			slog.String("remote", r.RemoteAddr),
		}
		if info.principal != "" {
			attrs = append(attrs, slog.String("principal", info.principal))
		}
		if info.errCode != "" {
			attrs = append(attrs, slog.String("error_code", info.errCode))
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "http request", attrs...)
	})
}

// recoverPanics turns a panicking handler into a 500 with the stack logged. The
// deliberate http.ErrAbortHandler is passed on.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("handler panicked", "method", r.Method, "route", routeOf(r), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			s.writeError(w, r, panicError{v})
		}()
		next.ServeHTTP(w, r)
	})
}

type panicError struct{ v any }

func (p panicError) Error() string { return fmt.Sprint("panic: ", p.v) }

// dispatch routes a request through the mux; requests no route matches get a JSON 404,
// and known paths asked with another method a JSON 405 with the Allow header.
func (s *Server) dispatch() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := s.mux.Handler(r); pattern != "" {
			s.mux.ServeHTTP(w, r)
			return
		}
		// Let the mux decide between 404 and 405 without writing its plain-text answer.
		probe := &headerProbe{header: http.Header{}}
		s.mux.ServeHTTP(probe, r)
		if probe.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", probe.header.Get("Allow"))
			s.writeError(w, r, &keeptrail.Error{Code: codeMethodNotAllowed,
				Message: "method " + r.Method + " is not allowed here; allowed: " + probe.header.Get("Allow")})
			return
		}
		s.writeError(w, r, errNoRoute)
	})
}

var errNoRoute = keeptrail.Errorf(keeptrail.ENOTFOUND, "no such route")

// headerProbe is a ResponseWriter that keeps the status and headers and drops the body.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header         { return p.header }
func (p *headerProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *headerProbe) WriteHeader(status int)      { p.status = status }
