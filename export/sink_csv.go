package export

import (
	"io"
	"time"

	"github.com/keeptrail/keeptrail/safecsv"
)

// csvSink writes rows through safecsv: formula-safe text, typed numbers.
type csvSink struct {
	w *safecsv.Writer
}

func newCSVSink(w io.Writer, header []string) (*csvSink, error) {
	s := &csvSink{w: safecsv.NewWriter(w)}
	return s, s.w.Header(header...)
}

func (s *csvSink) key(int)            {}
func (s *csvSink) text(v string)      { s.w.Text(v) }
func (s *csvSink) int(n int64)        { s.w.Int(n) }
func (s *csvSink) float(f float64)    { s.w.Float(f) }
func (s *csvSink) bool(b bool)        { s.w.Bool(b) }
func (s *csvSink) time(t time.Time)   { s.w.Time(t) }
func (s *csvSink) null()              { s.w.Null() }
func (s *csvSink) raw(json string)    { s.w.Text(json) }
func (s *csvSink) endRow() error      { return s.w.EndRow() }
func (s *csvSink) flush() error       { return s.w.Flush() }
func (s *csvSink) neutralized() int64 { return s.w.Neutralized() }
