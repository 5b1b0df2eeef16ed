// Package web serves Keeptrail over HTTP: the ingest API for gateways, the management API
// under /api/v1 that the console and control plane use, and the operational endpoints
// (/healthz, /readyz, /metrics). Handlers decode and shape-check requests and hand them to
// the engine or the ingester; roles, team scope and the audit log are theirs.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/compliance"
	"github.com/keeptrail/keeptrail/engine"
	"github.com/keeptrail/keeptrail/ingest"
	"github.com/prometheus/client_golang/prometheus"
)

// Defaults applied by NewServer to zero Config fields.
const (
	DefaultMaxBodyBytes    = 64 << 20 // raw ingest request body
	DefaultShutdownTimeout = 30 * time.Second
)

// Config is what the server needs. Store, Engine and Ingester are required.
type Config struct {
	// Addr is the address ListenAndServe listens on (e.g. "127.0.0.1:8080").
	Addr     string
	Store    keeptrail.Store
	Engine   *engine.Engine
	Ingester *ingest.Ingester
	// Logger receives access logs and internal errors; nil discards them.
	Logger *slog.Logger
	// MaxBodyBytes limits an ingest request body as sent (before gzip is undone);
	// DefaultMaxBodyBytes when zero. Larger bodies are answered 413.
	MaxBodyBytes int64
	// Registry collects the server's metrics and is served on /metrics; a fresh one is
	// made when nil. Go and process collectors are added unless already registered.
	Registry *prometheus.Registry
	// Version is the software version, exported as the keeptrail_build_info metric.
	Version string
	// TrustProxy makes the source address of a request the last X-Forwarded-For entry
	// (the one the reverse proxy in front of Keeptrail added) instead of the peer address.
	// Leave it false unless such a proxy is the only way in.
	TrustProxy bool
	// ShutdownTimeout bounds how long Serve waits for in-flight requests once its
	// context ends; DefaultShutdownTimeout when zero.
	ShutdownTimeout time.Duration
	// Compliance answers the policy compliance status and score endpoints; when nil a
	// service with the default weights over Store is made on first use.
	Compliance *compliance.Service
	// Exports gives the export routes their job queue; when nil they answer 503
	// "exports are not configured on this server".
	Exports *ExportConfig
}

// Server is the Keeptrail HTTP server. It is safe for concurrent use.
type Server struct {
	cfg      Config
	log      *slog.Logger
	mux      *http.ServeMux
	handler  http.Handler
	metrics  *metrics
	registry *prometheus.Registry

	complianceMu  sync.Mutex
	complianceSvc *compliance.Service // see compliance()
}

// NewServer builds the server and its routes from cfg.
func NewServer(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	s := &Server{
		complianceSvc: cfg.Compliance,
		cfg:           cfg,
		log:           cfg.Logger,
		mux:           http.NewServeMux(),
		registry:      cfg.Registry,
	}
	s.metrics = newMetrics(cfg.Registry, cfg.Version)
	s.routes()
	s.handler = s.observe(s.recoverPanics(s.dispatch()))
	return s
}

// Handler returns the server's root handler: every route with access logging, metrics,
// panic recovery and JSON errors for unknown routes.
func (s *Server) Handler() http.Handler { return s.handler }

// ListenAndServe listens on Config.Addr and serves until ctx ends (see Serve).
func (s *Server) ListenAndServe(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("web: listen: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve accepts connections on ln until ctx ends. It then stops accepting, lets requests
// in flight (a long ingest, say) finish within the shutdown timeout, and returns nil. It
// returns an error if serving fails or in-flight requests outlast the timeout. Requests do
// not see ctx's cancellation: their contexts end only when the client goes away.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	s.log.Info("http server listening", "addr", ln.Addr().String())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("web: serve: %w", err)
	case <-ctx.Done():
	}

	s.log.Info("http server shutting down", "timeout", s.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return fmt.Errorf("web: serve: %w", serr)
	}
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("web: shutdown: requests still in flight after %s: %w", s.cfg.ShutdownTimeout, err)
	}
	s.log.Info("http server stopped")
	return nil
}
