package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/auditlog"
	"github.com/keeptrail/keeptrail/compliance"
	"github.com/keeptrail/keeptrail/engine"
	"github.com/keeptrail/keeptrail/ingest"
	"github.com/keeptrail/keeptrail/web"
)

// serveOptions are the settings of a running server.
type serveOptions struct {
	addr            string
	logFormat       string
	maxBodyBytes    int64
	checkpointEvery time.Duration
	expiryEvery     time.Duration
	exports         exportServeOptions
	config          string        // the configuration file (compliance score weights)
	snapshotEvery   time.Duration // how often the daily compliance snapshots are caught up
	pprofAddr       string        // where to serve Go's profiler, off when empty
}

func (a *app) serveFlags(cmd *cobra.Command, o *serveOptions) {
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", envOr("KEEPTRAIL_ADDR", "127.0.0.1:8080"),
		"address to listen on; port 0 picks a free one (env KEEPTRAIL_ADDR)")
	f.StringVar(&o.logFormat, "log-format", envOr("KEEPTRAIL_LOG_FORMAT", "text"), "log format: text or json (env KEEPTRAIL_LOG_FORMAT)")
	f.Int64Var(&o.maxBodyBytes, "max-body-bytes", envInt64("KEEPTRAIL_MAX_BODY_BYTES", 32<<20),
		"largest request body accepted, in bytes (env KEEPTRAIL_MAX_BODY_BYTES)")
	f.DurationVar(&o.checkpointEvery, "checkpoint-every", 5*time.Minute, "how often to sign an audit log checkpoint")
	f.DurationVar(&o.expiryEvery, "expiry-every", time.Minute, "how often to expire escalations left unhandled past their expiry")
	a.exportServeFlags(cmd, &o.exports)
	addConfigFlag(cmd, &o.config)
	f.DurationVar(&o.snapshotEvery, "snapshot-every", 15*time.Minute, "how often to store the compliance scores of closed days not yet stored")
	f.StringVar(&o.pprofAddr, "pprof-addr", os.Getenv("KEEPTRAIL_PPROF_ADDR"),
		"serve Go's profiler (/debug/pprof/) on this address, e.g. 127.0.0.1:6060; off when empty. It has no authentication: keep it on loopback (env KEEPTRAIL_PPROF_ADDR)")
}

func (a *app) serveCommand() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the API, the ingest endpoints and the background jobs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.serve(cmd.Context(), o, nil)
		},
	}
	a.serveFlags(cmd, &o)
	return cmd
}

// serve runs the server until ctx ends. ready, when set, is called with the base URL once
// the listener is open (the demo prints its login details there).
func (a *app) serve(ctx context.Context, o serveOptions, ready func(url string)) error {
	log, err := newLogger(a.stderr, o.logFormat)
	if err != nil {
		return err
	}
	db, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	signer, err := a.signer()
	if err != nil {
		return fmt.Errorf("audit checkpoint key: %w", err)
	}
	eng := engine.New(db, engine.Options{Logger: log})
	ing := ingest.New(db, ingest.Options{MaxBodyBytes: o.maxBodyBytes})
	scores, err := a.complianceService(db, o.config, compliance.Options{Logger: log, PublicKey: signer.PublicKey()})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.addr, err)
	}
	url := "http://" + ln.Addr().String()
	// The export notifier's links need the listener's address, so the server comes after.
	exports, err := a.startExports(db, o.exports, url, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer exports.close()
	reg := prometheus.NewRegistry()
	srv := web.NewServer(web.Config{
		Addr: o.addr, Store: db, Engine: eng, Ingester: ing, Logger: log,
		MaxBodyBytes: o.maxBodyBytes, Registry: reg, Version: version(), Exports: exports.routes,
	})
	srv.UseCompliance(scores)
	log.Info("keeptrail listening", "url", url, "db", redactDSN(a.dsn), "data_dir", a.dataDir, "version", version())
	fmt.Fprintf(a.stderr, "Keeptrail is listening on %s\n", url)
	if ready != nil {
		ready(url)
	}

	jobs, stopJobs := context.WithCancel(ctx)
	var wg sync.WaitGroup
	if o.pprofAddr != "" {
		stopProfiler, err := serveProfiler(o.pprofAddr, log)
		if err != nil {
			stopJobs()
			return err
		}
		defer stopProfiler()
	}
	wg.Go(func() { auditlog.RunCheckpoints(jobs, db, signer, o.checkpointEvery, log) })
	wg.Go(func() { expireEscalations(jobs, eng, o.expiryEvery, log) })
	wg.Go(func() { exports.run(jobs) })
	wg.Go(func() { scores.RunSnapshots(jobs, o.snapshotEvery, log) })

	err = srv.Serve(ctx, ln)
	stopJobs()
	wg.Wait()
	if err != nil {
		return err
	}
	// A last checkpoint so the head written by the final requests is signed.
	if _, err := auditlog.Checkpoint(context.Background(), db, signer); err != nil {
		log.Error("final audit checkpoint", "err", err)
	}
	log.Info("keeptrail stopped")
	return nil
}

// expireEscalations runs the escalation expiry job every interval until ctx ends.
func expireEscalations(ctx context.Context, eng *engine.Engine, every time.Duration, log *slog.Logger) {
	sys := keeptrail.NewContextWithPrincipal(ctx, keeptrail.SystemPrincipal("escalation-expiry"))
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := eng.ExpireEscalations(sys); err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Error("expire escalations", "err", err)
		} else if n > 0 {
			log.Info("escalations expired", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func newLogger(w interface{ Write([]byte) (int, error) }, format string) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, usageError("--log-format: must be text or json, not %q", format)
}

func envInt64(name string, def int64) int64 {
	if v := os.Getenv(name); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	}
	return def
}

// serveProfiler serves net/http/pprof on addr until the returned function is called.
func serveProfiler(addr string, log *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("pprof: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	log.Info("profiler listening", "url", "http://"+ln.Addr().String()+"/debug/pprof/")
	return func() { hs.Close() }, nil
}
