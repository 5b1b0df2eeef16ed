package safecsv

import (
	"bytes"
	"encoding/csv"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// write returns the CSV for one row of values, without the line end.
func write(t *testing.T, values ...any) string {
	t.Helper()
	var b bytes.Buffer
	w := NewWriter(&b)
	if err := w.Row(values...); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\r\n")
}

func TestTextPrefixRules(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"=1+1", `'=1+1`},
		{"+1", `'+1`},
		{"-3", `'-3`},
		{"@SUM(A1:A2)", `'@SUM(A1:A2)`},
		{"\t=1", "'\t=1"},
		{"\r=1", "\"'=1\""}, // encoding/csv drops a lone CR inside quotes under CRLF
		{"\n=1", "\"'\r\n=1\""},
		{`=HYPERLINK("http://x","y")`, `"'=HYPERLINK(""http://x"",""y"")"`},
		{"=cmd|' /C calc'!A0", `'=cmd|' /C calc'!A0`},
		{"a=1", "a=1"},
		{" =1", `" =1"`}, // leading space: quoted, not a trigger
		{"'=1", "'=1"},
		{"", ""},
		{"plain", "plain"},
		{"§ é ø €", "§ é ø €"},
		{"a,b", `"a,b"`},
		{`say "hi"`, `"say ""hi"""`},
		{"１", "１"},
	} {
		if got := write(t, tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTypedValuesAreNeverPrefixed(t *testing.T) {
	at := time.Date(2025, 2, 3, 10, 15, 0, 123456789, time.FixedZone("CET", 3600))
	s, i64, f, b := "-x", int64(-7), -0.5, true
	var nilTime *time.Time
	for _, tc := range []struct {
		name string
		in   any
		want string
	}{
		{"negative int", -3, "-3"},
		{"negative int64", int64(-9223372036854775808), "-9223372036854775808"},
		{"int8", int8(-128), "-128"},
		{"uint64", uint64(18446744073709551615), "18446744073709551615"},
		{"negative float", -3.25, "-3.25"},
		{"small float", 0.0031, "0.0031"},
		{"large float, no exponent", 1e21, "1000000000000000000000"},
		{"tiny float, no exponent", 1.5e-7, "0.00000015"},
		{"negative zero", math.Copysign(0, -1), "-0"},
		{"float32", float32(0.1), "0.10000000149011612"},
		{"bool", false, "false"},
		{"time in UTC with microseconds", at, "2025-02-03T09:15:00.123456Z"},
		{"nil", nil, ""},
		{"nil time pointer", nilTime, ""},
		{"text pointer", &s, "'-x"},
		{"int64 pointer", &i64, "-7"},
		{"float pointer", &f, "-0.5"},
		{"bool pointer", &b, "true"},
		{"bytes", []byte("+y"), "'+y"},
	} {
		if got := write(t, tc.in); got != tc.want {
			t.Errorf("%s: %v written as %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

func TestWriterCountsAndHeader(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	if err := w.Header("seq", "time", "actor", "cost_usd"); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := w.Row(int64(1), at, "=evil()", 0.5); err != nil {
		t.Fatal(err)
	}
	w.Int(2)
	w.Time(at)
	w.Text("alice")
	w.Null()
	if err := w.EndRow(); err != nil {
		t.Fatal(err)
	}
	if err := w.Row(int64(3), at, "bob"); err == nil || err.Error() != "safecsv: row 3 has 3 cells, the header 4" {
		t.Errorf("short row: %v", err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "seq,time,actor,cost_usd\r\n" +
		"1,2025-01-01T00:00:00.000000Z,'=evil(),0.5\r\n" +
		"2,2025-01-01T00:00:00.000000Z,alice,\r\n"
	if b.String() != want {
		t.Errorf("file:\n%q\nwant\n%q", b.String(), want)
	}
	if w.Rows() != 2 || w.Bytes() != int64(len(want)) || w.Neutralized() != 1 {
		t.Errorf("Rows=%d Bytes=%d Neutralized=%d, want 2 %d 1", w.Rows(), w.Bytes(), len(want), w.Neutralized())
	}
}

func TestRowErrors(t *testing.T) {
	type severity string
	var b bytes.Buffer
	w := NewWriter(&b)
	if err := w.Row("a", severity("high")); err == nil || err.Error() != "safecsv: column 2: unsupported type safecsv.severity" {
		t.Errorf("named type: %v", err)
	}
	if err := w.Row(1, math.NaN()); err == nil || err.Error() != "safecsv: column 2: NaN is not a finite number" {
		t.Errorf("NaN: %v", err)
	}
	if err := w.Row(math.Inf(-1)); err == nil || err.Error() != "safecsv: column 1: -Inf is not a finite number" {
		t.Errorf("-Inf: %v", err)
	}
	if err := w.Row("ok", 1); err != nil {
		t.Errorf("a good row after bad ones: %v", err)
	}
	w.Flush()
	if b.String() != "ok,1\r\n" || w.Rows() != 1 {
		t.Errorf("bad rows were written: %q", b.String())
	}
}

type failingWriter struct{ after int }

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, errors.New("disk full")
	}
	f.after--
	return len(p), nil
}

func TestWriteErrorIsSticky(t *testing.T) {
	w := NewWriter(&failingWriter{})
	big := strings.Repeat("x", bufferSize)
	var err error
	for range 3 {
		if err = w.Row(big); err != nil {
			break
		}
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil || err.Error() != "disk full" {
		t.Fatalf("err = %v", err)
	}
	if err := w.Row("more"); err == nil || err.Error() != "disk full" {
		t.Errorf("later row: %v", err)
	}
	if err := w.Flush(); err == nil {
		t.Error("Flush after a write error returned nil")
	}
}

func TestReadBackByEncodingCSV(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	w.Header("text", "n")
	texts := []string{"=1", "multi\nline", "quote\"d", "", "-", "@", "ok"}
	for i, s := range texts {
		if err := w.Row(s, -i); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"'=1", "multi\nline", "quote\"d", "", "'-", "'@", "ok"}
	for i, s := range want {
		if recs[i+1][0] != s || recs[i+1][1] != strconv.Itoa(-i) {
			t.Errorf("row %d = %q, want [%q %q]", i, recs[i+1], s, strconv.Itoa(-i))
		}
	}
}

func TestAppendTimeMatchesLayout(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(2025, 2, 3, 10, 15, 0, 123456789, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 6, 30, 23, 0, 0, 1000, time.FixedZone("x", -5*3600)),
		{},
	} {
		if got, want := string(appendTime(nil, at)), at.UTC().Format(TimeLayout); got != want {
			t.Errorf("appendTime(%v) = %s, want %s", at, got, want)
		}
	}
}
