package export

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail/safecsv"
)

// writeBoth writes the header and one row of cells through safecsv and through
// csvWriter; cells are text, except that a cell "#int:N" is written as the integer N and
// "#float" as a float.
func writeBoth(t testing.TB, header []string, cells []string, n int64, f float64, at time.Time) (string, string, error, error) {
	var a, b bytes.Buffer
	sw := safecsv.NewWriter(&a)
	cw := newCSVWriter(&b)
	errA := sw.Header(header...)
	errB := cw.header(header)
	if (errA == nil) != (errB == nil) {
		t.Fatalf("header errors differ: %v / %v", errA, errB)
	}
	for _, c := range cells {
		switch c {
		case "#int":
			sw.Int(n)
			cw.int(n)
		case "#float":
			sw.Float(f)
			cw.float(f)
		case "#time":
			sw.Time(at)
			cw.time(at)
		case "#null":
			sw.Null()
			cw.null()
		case "#bool":
			sw.Bool(n%2 == 0)
			cw.bool(n%2 == 0)
		default:
			sw.Text(c)
			cw.text(c)
		}
	}
	errA, errB = sw.EndRow(), cw.endRow()
	sw.Flush()
	cw.flush()
	if sw.Neutralized() != cw.neutralized {
		t.Fatalf("neutralised %d / %d cells", sw.Neutralized(), cw.neutralized)
	}
	return a.String(), b.String(), errA, errB
}

func TestCSVWriterMatchesSafecsv(t *testing.T) {
	at := time.Date(2025, 2, 3, 4, 5, 6, 789012000, time.UTC)
	rows := [][]string{
		{"plain", "#int", "#float", "#time", "#null", "#bool"},
		{"=1+1", "+cmd", "-2", "@SUM(A1)", "\tx", "\rx"},
		{"\nx", "a,b", `say "hi"`, "line\nbreak", "cr\rin", "crlf\r\nin"},
		{" lead", "\u00a0nbsp", "\u2003em", `\.`, "", "ø§é"},
		{"'quoted'", "=a,b", "-\"x\"", "#int", "#float", "tail "},
		{"\v", "\f", "x\x00y", "\xff\xfe", "#time", "#null"},
	}
	for i, r := range rows {
		a, b, errA, errB := writeBoth(t, []string{"c1", "c2", "c3", "c4", "c5", "c6"}, r, -42, -0.0031, at)
		if a != b || (errA == nil) != (errB == nil) {
			t.Errorf("row %d:\n safecsv %q (%v)\n export  %q (%v)", i, a, errA, b, errB)
		}
	}
	// Errors: a width mismatch and a non-finite number, as safecsv.
	if _, _, errA, errB := writeBoth(t, []string{"a", "b"}, []string{"x"}, 0, 0, at); errA == nil || errB == nil {
		t.Errorf("short row: %v / %v", errA, errB)
	}
	if _, _, errA, errB := writeBoth(t, []string{"a"}, []string{"#float"}, 0, math.Inf(1), at); errA == nil || errB == nil {
		t.Errorf("infinity: %v / %v", errA, errB)
	}
}

// FuzzCSVWriterMatchesSafecsv: for any cells, csvWriter writes the bytes safecsv writes.
func FuzzCSVWriterMatchesSafecsv(f *testing.F) {
	f.Add("=cmd|' /C calc'!A0", "a,\"b\"\r\nc", " x", int64(-7), 1e21, int64(0))
	f.Add("", `\.`, "\u0085nel", int64(math.MaxInt64), -0.0, int64(-62135596800))
	f.Add("\t", "@", "ok", int64(math.MinInt64), math.SmallestNonzeroFloat64, int64(253402300799))
	f.Fuzz(func(t *testing.T, s1, s2, s3 string, n int64, x float64, sec int64) {
		at := time.Unix(sec%253402300800, 0)
		header := []string{"h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8"}
		a, b, errA, errB := writeBoth(t, header, []string{s1, s2, s3, "#int", "#float", "#time", "#null", strings.ToUpper(s1)}, n, x, at)
		if (errA == nil) != (errB == nil) || (errA == nil && a != b) {
			t.Fatalf("safecsv %q (%v)\nexport  %q (%v)", a, errA, b, errB)
		}
	})
}
