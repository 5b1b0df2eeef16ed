package safecsv

import (
	"bytes"
	"encoding/csv"
	"math"
	"strconv"
	"strings"
	"testing"
)

// FuzzWriter checks that no text cell read back by encoding/csv starts with a formula
// trigger, that text otherwise reads back as written (line breaks as LF, a leading '
// added to triggers), and that typed numbers read back as the same numbers.
func FuzzWriter(f *testing.F) {
	for _, s := range []string{"", "=1+1", "+", "-3", "@x", "\t", "\r\n=1", "\n", "a,b", `"q"`, " =x", "\\.", "ø€§", "\xff"} {
		f.Add(s, "tail", int64(-3), -2.5)
	}
	f.Add("=cmd|' /C calc'!A0", "-@", int64(math.MinInt64), math.SmallestNonzeroFloat64)
	f.Add("a\rb", "\r", int64(0), math.MaxFloat64)
	f.Fuzz(func(t *testing.T, s1, s2 string, n int64, x float64) {
		var b bytes.Buffer
		w := NewWriter(&b)
		err := w.Row(s1, n, x, s2)
		finite := !math.IsNaN(x) && !math.IsInf(x, 0)
		if !finite {
			if err == nil {
				t.Fatalf("non-finite %v accepted", x)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if w.Bytes() != int64(b.Len()) {
			t.Fatalf("Bytes() = %d, wrote %d", w.Bytes(), b.Len())
		}
		recs, err := csv.NewReader(bytes.NewReader(b.Bytes())).ReadAll()
		if err != nil {
			t.Fatalf("%q does not read back: %v", b.String(), err)
		}
		if len(recs) != 1 || len(recs[0]) != 4 {
			t.Fatalf("%q read back as %q", b.String(), recs)
		}
		rec := recs[0]
		for i, s := range []string{s1, s2} {
			got := rec[[]int{0, 3}[i]]
			if got != "" && isTrigger(got[0]) {
				t.Fatalf("text cell %q read back as %q, which starts with a formula trigger", s, got)
			}
			want := strings.ReplaceAll(s, "\r", "")
			if s != "" && isTrigger(s[0]) {
				want = "'" + want
			}
			if got != want {
				t.Fatalf("text cell %q read back as %q, want %q", s, got, want)
			}
		}
		if rec[1] != strconv.FormatInt(n, 10) {
			t.Fatalf("int %d read back as %q", n, rec[1])
		}
		back, err := strconv.ParseFloat(rec[2], 64)
		if err != nil || back != x || strings.ContainsAny(rec[2], "eE+") {
			t.Fatalf("float %v read back as %q (%v, %v)", x, rec[2], back, err)
		}
	})
}
