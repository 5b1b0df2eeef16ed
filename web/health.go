package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// readyTimeout bounds the store check of /readyz.
const readyTimeout = 3 * time.Second

type statusResponse struct {
	Status string `json:"status"`
}

// healthz answers 200 while the process runs.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, statusResponse{Status: "ok"})
	return nil
}

// readyz answers 200 when the store can be read (a read transaction loads the settings)
// and 503 otherwise, with the cause logged.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	err := s.cfg.Store.View(ctx, func(tx keeptrail.Tx) error {
		_, err := tx.Settings()
		return err
	})
	if err != nil {
		s.log.Warn("not ready: store unreachable", "err", err.Error())
		writeJSON(w, http.StatusServiceUnavailable, statusResponse{Status: "unavailable"})
		return nil
	}
	writeJSON(w, http.StatusOK, statusResponse{Status: "ready"})
	return nil
}

// metricsHandler serves the registry in the Prometheus exposition format.
func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{
		ErrorLog:          slogPromLogger{s},
		Registry:          s.registry,
		EnableOpenMetrics: false,
	})
}

// slogPromLogger passes promhttp's errors to the server's logger.
type slogPromLogger struct{ s *Server }

func (l slogPromLogger) Println(v ...any) {
	l.s.log.Error("serving metrics failed", "err", fmt.Sprint(v...))
}
