package export

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/pdf"
)

// DefaultPDFMaxRows is the most rows a PDF export holds unless Options says otherwise:
// package pdf keeps a document in memory until it is written (about 2 MB of heap per
// thousand rows), and a PDF is for people to read; CSV, JSON and NDJSON stream any size.
const DefaultPDFMaxRows = 20000

// Options configure an Exporter.
type Options struct {
	// Version is the software version written into manifests.
	Version string
	// PDFMaxRows caps the rows of a PDF export (DefaultPDFMaxRows when zero).
	PDFMaxRows int
	// Now is the clock of manifests' generated_at (time.Now when nil).
	Now func() time.Time
	// SingleReader reads every export on one connection, even from a store that can
	// share a snapshot between several (keeptrail.ParallelViewer).
	SingleReader bool
}

// Exporter turns validated specs into files: the one engine behind the API, the CLI and
// the job workers. It is safe for concurrent use.
type Exporter struct {
	st  keeptrail.Store
	opt Options
}

// New returns an Exporter reading from st.
func New(st keeptrail.Store, opt Options) *Exporter {
	if opt.PDFMaxRows <= 0 {
		opt.PDFMaxRows = DefaultPDFMaxRows
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Version == "" {
		opt.Version = "devel"
	}
	return &Exporter{st: st, opt: opt}
}

// Result describes a written export file.
type Result struct {
	// Population is the number of rows the spec selects, counted in the snapshot the
	// rows were read from; Rows is how many were written. They are equal for a
	// successful export.
	Population int64
	Rows       int64
	Bytes      int64
	// Neutralized counts the CSV text cells given a leading apostrophe.
	Neutralized int64
	// SchemaVersion is the database's latest migration; SnapshotAt the read
	// transaction's clock.
	SchemaVersion string
	SnapshotAt    time.Time
	// FirstSeq and LastSeq are the audit log sequence numbers of the first and last
	// rows of an audit_log export (0 when it has none).
	FirstSeq, LastSeq int64
}

// Packager writes compliance packages (type compliance_package). Package evidence
// implements it (evidence.ExportPackager); the program registers one with
// RegisterPackager, since evidence builds on export and export cannot import it.
type Packager interface {
	// WritePackage writes the package s asks for, as p sees the data and generated at
	// at, to w. Result.Rows and Population count the evidence files.
	WritePackage(ctx context.Context, s Spec, p *keeptrail.Principal, at time.Time, w io.Writer) (Result, error)
}

type packagerBox struct{ p Packager }

var packager atomic.Pointer[packagerBox]

// RegisterPackager makes compliance_package specs run through pk (nil removes it).
func RegisterPackager(pk Packager) {
	if pk == nil {
		packager.Store(nil)
		return
	}
	packager.Store(&packagerBox{pk})
}

func registeredPackager() Packager {
	if b := packager.Load(); b != nil {
		return b.p
	}
	return nil
}

// errNotSupported answers compliance_package specs when no Packager is registered.
var errNotSupported = &keeptrail.Error{Code: keeptrail.EINVALID, Message: "invalid export spec",
	Fields: []keeptrail.FieldError{{Field: "export.type", Reason: "compliance_package is not yet supported"}}}

// Check reports whether p may run s at all: the role may export, the type is
// supported, and every team and gateway named lies within p's teams (EFORBIDDEN, as a
// denial the caller records, when not). It reads the store.
func (x *Exporter) Check(ctx context.Context, s Spec, p *keeptrail.Principal) error {
	if err := checkPrincipal(s, p); err != nil {
		return err
	}
	return x.st.View(ctx, func(tx keeptrail.Tx) error {
		_, err := resolveFilter(tx, s, p)
		return err
	})
}

func checkPrincipal(s Spec, p *keeptrail.Principal) error {
	if p == nil {
		return keeptrail.Errorf(keeptrail.EUNAUTHORIZED, "authentication required")
	}
	if !p.Role.Can(keeptrail.ActExport) {
		return &denial{reason: fmt.Sprintf("role %s may not export", p.Role)}
	}
	if s.Type == TypeCompliancePackage && registeredPackager() == nil {
		return errNotSupported
	}
	return nil
}

// Write exports s, as principal p sees the data, into w. It reads one snapshot: the
// population is counted and the rows are read in the same read transaction, so rows
// written equal the population whatever is written meanwhile. progress, when set, is
// called from the writing goroutine with the rows written so far, every few thousand
// rows. The file's bytes depend only on the spec and the data (never on the clock or the
// requester), so the same spec over the same data gives the same file.
func (x *Exporter) Write(ctx context.Context, s Spec, p *keeptrail.Principal, w io.Writer, progress func(rows int64)) (Result, error) {
	if err := checkPrincipal(s, p); err != nil {
		return Result{}, err
	}
	s = s.Normalize()
	cw := &countingWriter{w: w}
	var res Result
	var err error
	switch s.Type {
	case TypeAuditLog:
		res, err = write(ctx, x, s, p, cw, progress, auditColumns, keeptrail.Tx.CountAuditEntries,
			keeptrail.Tx.ExportAuditEntries, func(e *keeptrail.AuditEntry, r *Result) {
				if r.FirstSeq == 0 {
					r.FirstSeq = e.Seq
				}
				r.LastSeq = e.Seq
			})
	case TypeEvents:
		res, err = write(ctx, x, s, p, cw, progress, eventColumns, keeptrail.Tx.CountDecisionEvents,
			keeptrail.Tx.ExportDecisionEvents, nil)
	case TypeEscalations:
		res, err = write(ctx, x, s, p, cw, progress, escalationColumns, keeptrail.Tx.CountEscalations,
			keeptrail.Tx.ExportEscalations, nil)
	case TypeConfigurations:
		res, err = write(ctx, x, s, p, cw, progress, configurationColumns, keeptrail.Tx.CountConfigurationChanges,
			keeptrail.Tx.ExportConfigurationChanges, nil)
	case TypeCompliancePackage:
		pk := registeredPackager()
		if pk == nil {
			return Result{}, errNotSupported
		}
		res, err = pk.WritePackage(ctx, s, p, x.opt.Now(), cw)
	default:
		return Result{}, fmt.Errorf("export: type %q has no writer", s.Type)
	}
	res.Bytes = cw.n
	if err == nil && res.Rows != res.Population {
		err = fmt.Errorf("export: wrote %d rows of a population of %d", res.Rows, res.Population)
	}
	return res, err
}

// write is Write for one type: the column list, the count and the reader of its rows, and
// an optional hook that sees every row written.
func write[R any](ctx context.Context, x *Exporter, s Spec, p *keeptrail.Principal, w io.Writer,
	progress func(int64), cols []column[R],
	count func(keeptrail.Tx, keeptrail.ExportFilter) (int64, error),
	read func(keeptrail.Tx, keeptrail.ExportFilter, func(*R) error) error,
	seen func(*R, *Result),
) (Result, error) {
	var res Result
	var f keeptrail.ExportFilter
	var enc *encoder[R]
	prepare := func(tx keeptrail.Tx) (snapshot, error) {
		var err error
		if f, err = resolveFilter(tx, s, p); err != nil {
			return snapshot{}, err
		}
		snap := snapshot{at: tx.Now()}
		if snap.population, err = count(tx, f); err != nil {
			return snap, err
		}
		if s.Format == FormatPDF && snap.population > int64(x.opt.PDFMaxRows) {
			return snap, &keeptrail.Error{Code: keeptrail.EINVALID, Message: "invalid export spec", Fields: []keeptrail.FieldError{{
				Field: "export.format", Reason: fmt.Sprintf("a pdf export holds at most %d rows and this period and these filters select %d; narrow them or use csv",
					x.opt.PDFMaxRows, snap.population)}}}
		}
		if snap.schema, err = tx.SchemaVersion(); err != nil {
			return snap, err
		}
		teams, err := tx.Teams(keeptrail.TeamScope{})
		if err != nil {
			return snap, err
		}
		gateways, err := tx.Gateways(keeptrail.TeamScope{})
		if err != nil {
			return snap, err
		}
		snap.names = newIDNames(teams, gateways)
		if s.Format == FormatPDF {
			settings, err := tx.Settings()
			if err != nil {
				return snap, err
			}
			snap.org = settings.OrganizationName
		}
		return snap, nil
	}
	begin := func(snap snapshot) error {
		res.Population, res.SchemaVersion, res.SnapshotAt = snap.population, snap.schema, snap.at
		var err error
		enc, err = newEncoder(s, cols, snap, w)
		return err
	}
	consume := func(r *R) error {
		if err := enc.row(r); err != nil {
			return err
		}
		res.Rows++
		if seen != nil {
			seen(r, &res)
		}
		if progress != nil && res.Rows%progressEvery == 0 {
			progress(res.Rows)
		}
		return nil
	}
	var err error
	if pv, ok := x.st.(keeptrail.ParallelViewer); ok && s.Type == TypeEvents && !x.opt.SingleReader {
		// Events are ordered by time first, so time slices read apart concatenate in order.
		var bounds []time.Time
		prepareSliced := func(tx keeptrail.Tx) (snapshot, int, error) {
			snap, err := prepare(tx)
			k := slicesFor(snap.population)
			bounds = sliceBounds(f.Start, f.End, k)
			return snap, k, err
		}
		readSlice := func(tx keeptrail.Tx, i int, emit func(*R) error) error {
			sub := f
			sub.Start, sub.End = bounds[i], bounds[i+1]
			return read(tx, sub, emit)
		}
		err = pipelineSliced(ctx, pv, prepareSliced, readSlice, begin, consume)
	} else {
		err = pipeline(ctx, x.st, prepare, func(tx keeptrail.Tx, emit func(*R) error) error { return read(tx, f, emit) },
			begin, consume)
	}
	if err == nil {
		err = ctx.Err() // canceled after the last row: still canceled
	}
	if err == nil {
		err = enc.finish()
	}
	if err != nil {
		return res, err
	}
	res.Neutralized = enc.neutralized()
	if progress != nil {
		progress(res.Rows)
	}
	return res, nil
}

// progressEvery is how often (in rows) Write reports progress.
const progressEvery = 4096

// encoder writes the rows of one type in the spec's format.
type encoder[R any] struct {
	cols  []column[R]
	names *idNames
	sink  sink
	pick  []int // the columns written (all but for PDF)
	bw    *bufio.Writer
	csv   *csvSink
	table *pdf.Table
	w     io.Writer
	s     Spec
	pop   int64
}

// writeBuffer is the output buffer of JSON and NDJSON (CSV's is safecsv's own).
const writeBuffer = 256 << 10

func newEncoder[R any](s Spec, cols []column[R], snap snapshot, w io.Writer) (*encoder[R], error) {
	e := &encoder[R]{cols: cols, names: snap.names, w: w, s: s, pop: snap.population}
	names := columnNames(cols)
	for i := range cols {
		e.pick = append(e.pick, i)
	}
	switch s.Format {
	case FormatCSV:
		cs, err := newCSVSink(w, names)
		if err != nil {
			return nil, err
		}
		e.csv, e.sink = cs, cs
	case FormatNDJSON:
		e.bw = bufio.NewWriterSize(w, writeBuffer)
		e.sink = newJSONSink(e.bw, names, true)
	case FormatJSON:
		e.bw = bufio.NewWriterSize(w, writeBuffer)
		if err := writeJSONHeader(e.bw, s, snap.population, names); err != nil {
			return nil, err
		}
		e.sink = newJSONSink(e.bw, names, false)
	case FormatPDF:
		if err := e.startPDF(snap); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("export: format %q has no encoder", s.Format)
	}
	return e, nil
}

// startPDF sets up the audit log table; only the audit log has a PDF form.
func (e *encoder[R]) startPDF(snap snapshot) error {
	if e.s.Type != TypeAuditLog {
		return fmt.Errorf("export: type %q has no pdf form", e.s.Type)
	}
	var cols []pdf.Column
	e.pick = nil
	for _, pc := range auditPDFColumns {
		for i, c := range e.cols {
			if c.name == pc.column {
				e.pick = append(e.pick, i)
			}
		}
		cols = append(cols, pdf.Column{Title: pc.title, Width: pc.width, Align: pc.align})
	}
	if len(e.pick) != len(cols) {
		return errors.New("export: a pdf column names no audit log column")
	}
	t, err := pdf.NewTable(pdf.TableOptions{
		Title:    "Audit log",
		Subtitle: snap.org,
		Period:   e.s.TimeRange.String(),
		Filters:  e.s.FiltersText(),
		Columns:  cols,
		// The end of the period, not the clock: the same spec over the same data gives
		// the same PDF, and the label says which date it is. The manifest records when
		// it was generated.
		GeneratedAt: e.s.TimeRange.End,
		DateLabel:   "Data to",
		Producer:    "Keeptrail",
	})
	if err != nil {
		return err
	}
	e.table = t
	e.sink = &pdfSink{row: t.Row}
	return nil
}

func (e *encoder[R]) row(r *R) error {
	for _, i := range e.pick {
		e.sink.key(i)
		e.cols[i].put(e.sink, r, e.names)
	}
	return e.sink.endRow()
}

func (e *encoder[R]) finish() error {
	switch {
	case e.csv != nil:
		return e.csv.flush()
	case e.table != nil:
		bw := bufio.NewWriterSize(e.w, writeBuffer)
		if err := e.table.Write(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	if e.s.Format == FormatJSON {
		js := e.sink.(*jsonSink)
		end := "\n]}\n"
		if js.rows == 0 {
			end = "]}\n"
		}
		if _, err := e.bw.WriteString(end); err != nil {
			return err
		}
	}
	return e.bw.Flush()
}

func (e *encoder[R]) neutralized() int64 {
	if e.csv != nil {
		return e.csv.neutralized()
	}
	return 0
}

// jsonHeader is the metadata at the head of a JSON export: only what follows from the
// spec and the data, so the file stays reproducible; who and when are in the manifest.
type jsonHeader struct {
	Type       Type            `json:"type"`
	Spec       json.RawMessage `json:"spec"`
	Period     periodJSON      `json:"period"`
	Population int64           `json:"population"`
	Columns    []string        `json:"columns"`
}

func writeJSONHeader(w *bufio.Writer, s Spec, population int64, columns []string) error {
	h := jsonHeader{Type: s.Type, Spec: s.Canonical(), Period: period(s.TimeRange), Population: population, Columns: columns}
	b, err := marshalCompact(h)
	if err != nil {
		return err
	}
	if _, err := w.WriteString(`{"export":`); err != nil {
		return err
	}
	w.Write(b)
	_, err = w.WriteString(`,"rows":[`)
	return err
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
