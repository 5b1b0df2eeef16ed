// Package safecsv writes CSV files for people to open in spreadsheets: RFC 4180 (CRLF
// line ends, quotes where needed, UTF-8) through encoding/csv over a bufio.Writer, with
// every text cell that a spreadsheet would run as a formula neutralised (OWASP ASVS
// 1.2.10) and typed values written in one fixed form.
//
// Cell rules:
//   - text (string, []byte) that starts with '=', '+', '-', '@', TAB, CR or LF gets a
//     leading apostrophe (') so no spreadsheet runs it; other text is written as is;
//   - integers are written in decimal and floats with strconv 'f' and the shortest
//     precision that reads back to the same float64 (-1), never in exponent form; they
//     are never prefixed, so -3 stays -3; NaN and infinities are an error;
//   - booleans are true and false;
//   - times are RFC 3339 in UTC with exactly six fractional digits
//     (2025-01-02T03:04:05.000000Z), the precision of storage;
//   - nil and nil pointers are empty cells.
//
// encoding/csv writes a CR or LF inside a quoted text cell as CRLF (a lone CR is
// dropped), so text read back has its line breaks as LF.
//
// Two ways to write a row: Row(values ...any) for convenience, or the typed calls
// (Text, Int, Float, Time, ...) followed by EndRow, which allocate nothing per row.
package safecsv

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"time"
	"unsafe"
)

// bufferSize is the size of the output buffer.
const bufferSize = 64 << 10

// TimeLayout is the layout of time cells.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// Writer streams one CSV file. It is not safe for concurrent use. After an error from
// the underlying writer every later call returns that error.
type Writer struct {
	out         countingWriter
	bw          *bufio.Writer
	cw          *csv.Writer
	buf         []byte   // the cells of the row being built, back to back
	ends        []int    // where each cell of the row ends in buf
	cells       []string // views into buf handed to encoding/csv
	width       int      // header width; rows must match it when set
	rows        int64
	neutralized int64
	rowErr      error // a bad value in the row being built
	err         error // a write error; sticky
}

// countingWriter counts the bytes that reach the underlying writer.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// NewWriter returns a Writer to w. Call Flush at the end.
func NewWriter(w io.Writer) *Writer {
	sw := &Writer{out: countingWriter{w: w}}
	sw.bw = bufio.NewWriterSize(&sw.out, bufferSize)
	sw.cw = csv.NewWriter(sw.bw) // uses sw.bw itself: it is large enough
	sw.cw.UseCRLF = true
	return sw
}

// Header writes the header row; later rows must have as many cells. The header is not
// counted in Rows.
func (w *Writer) Header(cols ...string) error {
	for _, c := range cols {
		w.Text(c)
	}
	w.width = 0
	err := w.endRow(false)
	if err == nil {
		w.width = len(cols)
	}
	return err
}

// Text adds a text cell, neutralised if a spreadsheet would run it.
func (w *Writer) Text(s string) {
	if len(s) > 0 && isTrigger(s[0]) {
		w.buf = append(w.buf, '\'')
		w.neutralized++
	}
	w.buf = append(w.buf, s...)
	w.ends = append(w.ends, len(w.buf))
}

// isTrigger reports whether a text cell starting with c would be run as a formula.
func isTrigger(c byte) bool {
	switch c {
	case '=', '+', '-', '@', '\t', '\r', '\n':
		return true
	}
	return false
}

// Int adds an integer cell.
func (w *Writer) Int(n int64) {
	w.buf = strconv.AppendInt(w.buf, n, 10)
	w.ends = append(w.ends, len(w.buf))
}

// Uint adds an unsigned integer cell.
func (w *Writer) Uint(n uint64) {
	w.buf = strconv.AppendUint(w.buf, n, 10)
	w.ends = append(w.ends, len(w.buf))
}

// Float adds a number cell written with strconv 'f', -1. NaN and infinities make the
// row fail at EndRow.
func (w *Writer) Float(f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		if w.rowErr == nil {
			w.rowErr = fmt.Errorf("safecsv: column %d: %v is not a finite number", len(w.ends)+1, f)
		}
	} else {
		w.buf = strconv.AppendFloat(w.buf, f, 'f', -1, 64)
	}
	w.ends = append(w.ends, len(w.buf))
}

// Bool adds true or false.
func (w *Writer) Bool(b bool) {
	w.buf = strconv.AppendBool(w.buf, b)
	w.ends = append(w.ends, len(w.buf))
}

// Time adds a time in UTC with microseconds.
func (w *Writer) Time(t time.Time) {
	w.buf = appendTime(w.buf, t)
	w.ends = append(w.ends, len(w.buf))
}

// appendTime appends t in TimeLayout, by hand for years 0 to 9999 (a quarter of the
// cost of time.AppendFormat, which parses the layout each call).
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, TimeLayout)
	}
	hour, minute, sec := t.Clock()
	us := t.Nanosecond() / 1000
	b = append(b, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-', byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':', byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), '.')
	return append(b, byte('0'+us/100000), byte('0'+us/10000%10), byte('0'+us/1000%10),
		byte('0'+us/100%10), byte('0'+us/10%10), byte('0'+us%10), 'Z')
}

// Null adds an empty cell.
func (w *Writer) Null() { w.ends = append(w.ends, len(w.buf)) }

// EndRow writes the cells added since the last row.
func (w *Writer) EndRow() error { return w.endRow(true) }

func (w *Writer) endRow(count bool) error {
	defer w.reset()
	if w.err != nil {
		return w.err
	}
	if w.rowErr != nil {
		return w.rowErr
	}
	if w.width > 0 && len(w.ends) != w.width {
		return fmt.Errorf("safecsv: row %d has %d cells, the header %d", w.rows+1, len(w.ends), w.width)
	}
	w.cells = w.cells[:0]
	start := 0
	for _, end := range w.ends {
		w.cells = append(w.cells, view(w.buf[start:end]))
		start = end
	}
	// encoding/csv copies the cells into the buffer before returning, so the views
	// into buf are not kept.
	if err := w.cw.Write(w.cells); err != nil {
		w.err = err
		return err
	}
	if count {
		w.rows++
	}
	return nil
}

// view returns b as a string without copying; the string must not outlive the row.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func (w *Writer) reset() {
	w.buf = w.buf[:0]
	w.ends = w.ends[:0]
	w.rowErr = nil
}

// Row writes one row of typed values: string, []byte, any integer or float type,
// bool, time.Time, pointers to these (nil is empty), and nil. Types with a string or
// numeric underlying type (keeptrail.Severity, ...) must be converted by the caller.
func (w *Writer) Row(values ...any) error {
	for _, v := range values {
		w.value(v)
	}
	return w.EndRow()
}

func (w *Writer) value(v any) {
	switch x := v.(type) {
	case nil:
		w.Null()
	case string:
		w.Text(x)
	case []byte:
		w.Text(view(x))
	case int:
		w.Int(int64(x))
	case int64:
		w.Int(x)
	case int32:
		w.Int(int64(x))
	case int16:
		w.Int(int64(x))
	case int8:
		w.Int(int64(x))
	case uint:
		w.Uint(uint64(x))
	case uint64:
		w.Uint(x)
	case uint32:
		w.Uint(uint64(x))
	case uint16:
		w.Uint(uint64(x))
	case uint8:
		w.Uint(uint64(x))
	case float64:
		w.Float(x)
	case float32:
		w.Float(float64(x))
	case bool:
		w.Bool(x)
	case time.Time:
		w.Time(x)
	case *string:
		if x == nil {
			w.Null()
		} else {
			w.Text(*x)
		}
	case *int64:
		if x == nil {
			w.Null()
		} else {
			w.Int(*x)
		}
	case *int:
		if x == nil {
			w.Null()
		} else {
			w.Int(int64(*x))
		}
	case *float64:
		if x == nil {
			w.Null()
		} else {
			w.Float(*x)
		}
	case *bool:
		if x == nil {
			w.Null()
		} else {
			w.Bool(*x)
		}
	case *time.Time:
		if x == nil {
			w.Null()
		} else {
			w.Time(*x)
		}
	default:
		if w.rowErr == nil {
			w.rowErr = errors.New("safecsv: column " + strconv.Itoa(len(w.ends)+1) +
				": unsupported type " + reflect.TypeOf(v).String())
		}
		w.Null()
	}
}

// Flush writes any buffered data to the underlying writer and returns the first write
// error, if any.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	w.cw.Flush()
	if err := w.cw.Error(); err != nil {
		w.err = err
	}
	return w.err
}

// Rows returns the number of data rows written (the header not included).
func (w *Writer) Rows() int64 { return w.rows }

// Bytes returns the number of bytes written so far, including those still buffered.
func (w *Writer) Bytes() int64 { return w.out.n + int64(w.bw.Buffered()) }

// Neutralized returns how many text cells were given a leading apostrophe; a manifest
// records it as evidence that neutralisation applied.
func (w *Writer) Neutralized() int64 { return w.neutralized }
