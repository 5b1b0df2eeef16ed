package export

import (
	"strconv"
	"time"
)

// pdfSink collects a row's cells as text for a pdf.Table row. Times are shown to the
// second, as people read them; the CSV and JSON formats keep microseconds.
type pdfSink struct {
	cells []string
	buf   []byte
	row   func(cells ...string) error
}

func (s *pdfSink) key(int)         {}
func (s *pdfSink) text(v string)   { s.cells = append(s.cells, v) }
func (s *pdfSink) int(n int64)     { s.cells = append(s.cells, strconv.FormatInt(n, 10)) }
func (s *pdfSink) float(f float64) { s.cells = append(s.cells, string(appendFloat(s.buf[:0], f))) }
func (s *pdfSink) bool(b bool)     { s.cells = append(s.cells, strconv.FormatBool(b)) }
func (s *pdfSink) time(t time.Time) {
	s.cells = append(s.cells, t.UTC().Format("2006-01-02 15:04:05Z"))
}
func (s *pdfSink) null()           { s.cells = append(s.cells, "") }
func (s *pdfSink) raw(json string) { s.cells = append(s.cells, json) }
func (s *pdfSink) endRow() error {
	err := s.row(s.cells...)
	s.cells = s.cells[:0]
	return err
}
