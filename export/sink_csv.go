package export

import (
	"io"
	"time"
)

// csvSink writes rows as formula-safe CSV (the rules of package safecsv, see csvWriter):
// text cells neutralised, numbers typed.
type csvSink struct {
	w *csvWriter
}

func newCSVSink(w io.Writer, header []string) (*csvSink, error) {
	s := &csvSink{w: newCSVWriter(w)}
	return s, s.w.header(header)
}

func (s *csvSink) key(int)            {}
func (s *csvSink) text(v string)      { s.w.text(v) }
func (s *csvSink) int(n int64)        { s.w.int(n) }
func (s *csvSink) float(f float64)    { s.w.float(f) }
func (s *csvSink) bool(b bool)        { s.w.bool(b) }
func (s *csvSink) time(t time.Time)   { s.w.time(t) }
func (s *csvSink) null()              { s.w.null() }
func (s *csvSink) raw(json string)    { s.w.text(json) }
func (s *csvSink) endRow() error      { return s.w.endRow() }
func (s *csvSink) flush() error       { return s.w.flush() }
func (s *csvSink) neutralized() int64 { return s.w.neutralized }
