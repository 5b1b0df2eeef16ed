package pdf

import (
	"io"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// benchmarkTable renders rows rows of 8 short columns and reports the heap in use just
// before Write (fpdf holds every page until then) and the output size.
func benchmarkTable(b *testing.B, rows int) {
	b.ReportAllocs()
	var heap, size float64
	for range b.N {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		doc, err := NewTable(TableOptions{Title: "Decision events", Period: "Q1 2025", Filters: "teams: all",
			GeneratedAt: generatedAt, Columns: []Column{{"Time", 3, ""}, {"Request", 2, ""}, {"Gateway", 2, ""},
				{"Team", 2, ""}, {"User", 3, ""}, {"Decision", 1, ""}, {"Severity", 1, ""}, {"Cost", 1, "R"}}})
		if err != nil {
			b.Fatal(err)
		}
		at := time.Date(2025, 2, 3, 10, 15, 0, 0, time.UTC)
		for i := range rows {
			if err := doc.Row(at.Add(time.Duration(i)*time.Second).Format(time.RFC3339), "r-"+strconv.Itoa(i),
				"gw-eu-1", "payments", "alice@acme.example", "blocked", "high", "0.0031"); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		heap = float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
		cw := &countWriter{}
		if err := doc.Write(cw); err != nil {
			b.Fatal(err)
		}
		size = float64(cw.n) / (1 << 20)
	}
	b.ReportMetric(heap, "heap-MiB")
	b.ReportMetric(size, "pdf-MiB")
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countWriter)(nil)

func BenchmarkTable10k(b *testing.B)  { benchmarkTable(b, 10_000) }
func BenchmarkTable100k(b *testing.B) { benchmarkTable(b, 100_000) }
