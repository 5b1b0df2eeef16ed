package web

import (
	"errors"

	"github.com/keeptrail/keeptrail/ingest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus collectors.
type metrics struct {
	requests    *prometheus.CounterVec   // by route pattern and status
	duration    *prometheus.HistogramVec // by route pattern and status
	ingestLines *prometheus.CounterVec   // by kind and result
	escalations prometheus.Counter       // opened by ingested events
}

// Ingest line results, the values of the "result" label.
const (
	resultAccepted  = "accepted"
	resultDuplicate = "duplicate"
	resultRejected  = "rejected"
)

// newMetrics registers the server's collectors on reg, reusing ones already there (two
// servers may share a registry), and the Go and process collectors unless present.
func newMetrics(reg *prometheus.Registry, version string) *metrics {
	m := &metrics{
		requests: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keeptrail_http_requests_total",
			Help: "HTTP requests served, by route pattern and status.",
		}, []string{"route", "status"})),
		duration: register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "keeptrail_http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by route pattern and status.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"route", "status"})),
		ingestLines: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keeptrail_ingest_lines_total",
			Help: "NDJSON lines received by the ingest API, by kind (events, heartbeats, audit) and result (accepted, duplicate, rejected).",
		}, []string{"kind", "result"})),
		escalations: register(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "keeptrail_ingest_escalations_opened_total",
			Help: "Escalations opened by ingested decision events.",
		})),
	}
	build := register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "keeptrail_build_info",
		Help: "The running Keeptrail version; always 1.",
	}, []string{"version"}))
	build.WithLabelValues(version).Set(1)
	register(reg, collectors.NewGoCollector())
	register(reg, collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observeIngest counts one ingest request's lines.
func (m *metrics) observeIngest(kind ingest.Kind, res ingest.Result) {
	m.ingestLines.WithLabelValues(string(kind), resultAccepted).Add(float64(res.Accepted))
	m.ingestLines.WithLabelValues(string(kind), resultDuplicate).Add(float64(res.Duplicates))
	m.ingestLines.WithLabelValues(string(kind), resultRejected).Add(float64(res.Rejected))
	m.escalations.Add(float64(res.EscalationsOpened))
}

// register registers c on reg, or returns the equal collector registered before. Any
// other registration failure is a programming error (bad metric name) and panics.
func register[C prometheus.Collector](reg *prometheus.Registry, c C) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var dup prometheus.AlreadyRegisteredError
	if errors.As(err, &dup) {
		if existing, ok := dup.ExistingCollector.(C); ok {
			return existing
		}
		return c // same descriptor, different type: keep ours unregistered
	}
	panic("web: registering metrics: " + err.Error())
}
