package safecsv

import (
	"io"
	"syscall"
	"testing"
	"time"
)

// eventRow is a decision event row of 16 mixed columns, the widest export.
type eventRow struct {
	requestID, gateway, team, user, model, decision, severity, rules, categories string
	at                                                                           time.Time
	policies, latency, tokensIn, tokensOut                                       int64
	cost                                                                         float64
	escalated                                                                    bool
}

func benchRows() []eventRow {
	at := time.Date(2025, 2, 3, 10, 15, 0, 123456000, time.UTC)
	rows := make([]eventRow, 1024)
	for i := range rows {
		rows[i] = eventRow{
			requestID: "r-000017-" + string(rune('a'+i%26)), gateway: "gw-eu-1", team: "payments",
			user: "alice@acme.example", model: "gpt-4o", decision: "blocked", severity: "high",
			rules: "pii.ssn;pii.email", categories: "pii", at: at.Add(time.Duration(i) * time.Second),
			policies: 3, latency: 42 + int64(i), tokensIn: 512, tokensOut: 0, cost: 0.0031, escalated: i%7 == 0,
		}
		if i%50 == 0 {
			rows[i].user = "=HYPERLINK(\"http://x\")" // a formula payload now and then
		}
	}
	return rows
}

// BenchmarkTypedRow writes rows with the typed calls; ns/op and allocs/op are per row.
func BenchmarkTypedRow(b *testing.B) {
	rows := benchRows()
	w := NewWriter(io.Discard)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := &rows[i%len(rows)]
		w.Text(r.requestID)
		w.Time(r.at)
		w.Text(r.gateway)
		w.Text(r.team)
		w.Text(r.user)
		w.Text(r.model)
		w.Text(r.decision)
		w.Text(r.severity)
		w.Int(r.policies)
		w.Text(r.rules)
		w.Text(r.categories)
		w.Int(r.latency)
		w.Int(r.tokensIn)
		w.Int(r.tokensOut)
		w.Float(r.cost)
		w.Bool(r.escalated)
		if err := w.EndRow(); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(w.Bytes() / int64(b.N))
}

// BenchmarkAnyRow writes the same rows through Row(values ...any).
func BenchmarkAnyRow(b *testing.B) {
	rows := benchRows()
	w := NewWriter(io.Discard)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := &rows[i%len(rows)]
		if err := w.Row(r.requestID, r.at, r.gateway, r.team, r.user, r.model, r.decision, r.severity,
			r.policies, r.rules, r.categories, r.latency, r.tokensIn, r.tokensOut, r.cost, r.escalated); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(w.Bytes() / int64(b.N))
}

// BenchmarkMillionRows writes 1M rows of 16 columns per op with the typed calls.
// Besides wall time it reports the process CPU time per op (cpu-s/op) and MB per CPU
// second, which a busy machine distorts less.
func BenchmarkMillionRows(b *testing.B) {
	rows := benchRows()
	b.ReportAllocs()
	cpu0 := cpuTime()
	var written int64
	for i := 0; i < b.N; i++ {
		w := NewWriter(io.Discard)
		for j := 0; j < 1_000_000; j++ {
			r := &rows[j%len(rows)]
			w.Text(r.requestID)
			w.Time(r.at)
			w.Text(r.gateway)
			w.Text(r.team)
			w.Text(r.user)
			w.Text(r.model)
			w.Text(r.decision)
			w.Text(r.severity)
			w.Int(r.policies)
			w.Text(r.rules)
			w.Text(r.categories)
			w.Int(r.latency)
			w.Int(r.tokensIn)
			w.Int(r.tokensOut)
			w.Float(r.cost)
			w.Bool(r.escalated)
			if err := w.EndRow(); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(w.Bytes())
		written += w.Bytes()
	}
	cpu := (cpuTime() - cpu0).Seconds()
	b.ReportMetric(cpu/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(written)/1e6/cpu, "MB/cpu-s")
}

// cpuTime returns the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
