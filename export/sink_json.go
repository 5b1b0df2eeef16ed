package export

import (
	"bufio"
	"math"
	"time"
)

// jsonSink writes each row as one JSON object with the columns as keys, in column order.
// As NDJSON every object is a line; as a JSON document the objects are the elements of
// the rows array, one a line.
type jsonSink struct {
	w      *bufio.Writer
	keys   [][]byte // `"name":` of each column
	buf    []byte
	first  bool // no cell written yet in this row
	ndjson bool
	rows   int64
	err    error
}

func newJSONSink(w *bufio.Writer, columns []string, ndjson bool) *jsonSink {
	s := &jsonSink{w: w, ndjson: ndjson, first: true}
	for _, c := range columns {
		k := appendJSONString(nil, c)
		s.keys = append(s.keys, append(k, ':'))
	}
	return s
}

func (s *jsonSink) key(col int) {
	if s.first {
		s.buf = append(s.buf, '{')
		s.first = false
	} else {
		s.buf = append(s.buf, ',')
	}
	s.buf = append(s.buf, s.keys[col]...)
}

func (s *jsonSink) text(v string) { s.buf = appendJSONString(s.buf, v) }
func (s *jsonSink) int(n int64)   { s.buf = appendInt(s.buf, n) }
func (s *jsonSink) float(f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		s.buf = append(s.buf, "null"...)
		return
	}
	s.buf = appendFloat(s.buf, f)
}
func (s *jsonSink) bool(b bool) {
	if b {
		s.buf = append(s.buf, "true"...)
	} else {
		s.buf = append(s.buf, "false"...)
	}
}
func (s *jsonSink) time(t time.Time) {
	s.buf = append(s.buf, '"')
	s.buf = appendTime(s.buf, t)
	s.buf = append(s.buf, '"')
}
func (s *jsonSink) null()           { s.buf = append(s.buf, "null"...) }
func (s *jsonSink) raw(json string) { s.buf = append(s.buf, json...) }

func (s *jsonSink) endRow() error {
	if s.err != nil {
		return s.err
	}
	if s.first {
		s.buf = append(s.buf, '{')
	}
	s.buf = append(s.buf, '}')
	var sep []byte
	switch {
	case s.ndjson:
		s.buf = append(s.buf, '\n')
	case s.rows == 0:
		sep = []byte("\n")
	default:
		sep = []byte(",\n")
	}
	if sep != nil {
		_, s.err = s.w.Write(sep)
	}
	if s.err == nil {
		_, s.err = s.w.Write(s.buf)
	}
	s.buf, s.first = s.buf[:0], true
	s.rows++
	return s.err
}

func appendInt(b []byte, n int64) []byte {
	if n >= 0 && n < 10 {
		return append(b, byte('0'+n))
	}
	var tmp [20]byte
	i := len(tmp)
	neg := n < 0
	u := uint64(n)
	if neg {
		u = uint64(-n)
	}
	for u > 0 {
		i--
		tmp[i] = byte('0' + u%10)
		u /= 10
	}
	if neg {
		i--
		tmp[i] = '-'
	}
	return append(b, tmp[i:]...)
}
