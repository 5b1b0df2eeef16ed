package pdf

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

// Column is one column of a table: its title and its relative width. Widths are
// weights: the columns share the printable width of the page in their proportion.
type Column struct {
	Title string
	Width float64
	// Align is "L" (the default), "C" or "R"; numbers read best right-aligned.
	Align string
}

// TableOptions describe a table document. Everything printed comes from here, so the
// same options and rows give byte-identical PDFs.
type TableOptions struct {
	Title    string // e.g. "Audit log"
	Subtitle string // e.g. the organization
	Period   string // printed on every page, e.g. "2025-01-01T00:00:00Z to 2025-03-31T23:59:59Z (inclusive)"
	Filters  string // printed on every page, e.g. "teams: all; gateways: all"
	Columns  []Column
	// GeneratedAt is printed on the first page and in every footer, and is the
	// document's creation and modification date. Required: never the clock.
	GeneratedAt time.Time
	// DateLabel names GeneratedAt where it is printed (default "Generated"). A document
	// dated by its data rather than by the clock says so, e.g. "Data to".
	DateLabel string
	// Producer names the software in the document information (default "Keeptrail").
	Producer string
	// MaxLines is the most lines a cell wraps to (default 3); a longer value is cut
	// at the last line with an ellipsis. The CSV and JSON exports hold full values.
	MaxLines int
}

// Page geometry, in millimetres (landscape A4) and points.
const (
	pageWidth   = 297.0
	pageHeight  = 210.0
	margin      = 10.0
	footerSpace = 10.0 // room kept at the bottom for the footer
	bodySize    = 7.5  // table text, pt
	headerSize  = 7.0  // header line and footer, pt
	lineHeight  = 3.5  // mm per table text line
	cellPadX    = 1.2
	cellPadY    = 0.9
	defaultMax  = 3
	printable   = pageWidth - 2*margin
)

// Table is a landscape A4 table document built one row at a time: a title block on the
// first page; on every page a header line with the period and the filters, the table's
// header row, and a "Page X of Y" footer.
//
// Memory: fpdf keeps every page in memory until Write, which then compresses each page
// and builds the whole file in memory before writing it, so a table costs memory in
// proportion to its rows. Measured on the project machine (2 cores) with 8 short
// columns (BenchmarkTable10k/100k report the heap; peak RSS from a separate process):
// 10,000 rows: 8 MiB of heap before Write, 46 MB peak RSS, 0.8 MiB of PDF;
// 100,000 rows: 69 MiB of heap, 212 MB peak RSS, 7.7 MiB of PDF.
// Keep PDF exports to what people read; CSV, JSON and NDJSON stream.
type Table struct {
	f       *fpdf.Fpdf
	opt     TableOptions
	widths  []float64 // column widths in mm
	rows    int
	fill    bool
	written bool
	widthOf map[fontKey]float64
	bold    bool
}

type fontKey struct {
	r    rune
	bold bool
}

// NewTable starts a table document. It fails when there are no columns, a width is not
// positive, or GeneratedAt is zero.
func NewTable(opt TableOptions) (*Table, error) {
	if len(opt.Columns) == 0 {
		return nil, errors.New("pdf: a table needs columns")
	}
	if opt.GeneratedAt.IsZero() {
		return nil, errors.New("pdf: GeneratedAt is required (the document date comes from it, never the clock)")
	}
	if opt.MaxLines <= 0 {
		opt.MaxLines = defaultMax
	}
	if opt.Producer == "" {
		opt.Producer = "Keeptrail"
	}
	total := 0.0
	for i, c := range opt.Columns {
		if !(c.Width > 0) {
			return nil, fmt.Errorf("pdf: column %d (%s) has width %v; widths must be positive", i+1, c.Title, c.Width)
		}
		total += c.Width
	}
	t := &Table{opt: opt, widths: make([]float64, len(opt.Columns)), widthOf: map[fontKey]float64{}}
	for i, c := range opt.Columns {
		t.widths[i] = printable * c.Width / total
	}
	at := opt.GeneratedAt.UTC().Truncate(time.Second)
	f := fpdf.New("L", "mm", "A4", "")
	f.SetCreationDate(at)
	f.SetModificationDate(at)
	f.SetCatalogSort(true)
	f.SetCompression(true)
	f.SetProducer(opt.Producer, true)
	f.SetCreator(opt.Producer, true)
	f.SetTitle(clean(opt.Title), true)
	f.SetSubject(clean(opt.Subtitle), true)
	f.SetMargins(margin, margin, margin)
	f.SetAutoPageBreak(false, footerSpace)
	f.AliasNbPages("{nb}")
	AddFonts(f)
	t.f = f
	f.SetHeaderFuncMode(t.pageHeader, false)
	f.SetFooterFunc(t.pageFooter)
	f.AddPage()
	return t, f.Error()
}

// generated is the generation time as printed.
func (t *Table) generated() string {
	return t.opt.GeneratedAt.UTC().Format("2006-01-02T15:04:05Z")
}

// setFont selects the embedded font.
func (t *Table) setFont(bold bool, size float64) {
	style := ""
	if bold {
		style = "B"
	}
	t.bold = bold
	t.f.SetFont(FontFamily, style, size)
}

// measure is the width of r in the current font; widths are cached per rune, since
// GetStringWidth walks a string each call.
func (t *Table) measure(r rune) float64 {
	k := fontKey{r, t.bold}
	if w, ok := t.widthOf[k]; ok {
		return w
	}
	w := t.f.GetStringWidth(string(r))
	t.widthOf[k] = w
	return w
}

// pageHeader draws the header line of every page, the title block on the first page,
// and the table's header row.
func (t *Table) pageHeader() {
	f := t.f
	f.SetTextColor(90, 90, 90)
	t.setFont(false, headerSize)
	line := clean(t.opt.Title) + " · Period: " + clean(t.opt.Period) + " · Filters: " + clean(t.opt.Filters)
	lines, _ := wrap(line, printable, 2, t.measure)
	for _, l := range lines {
		f.CellFormat(printable, 3.2, l, "", 2, "L", false, 0, "")
	}
	f.SetDrawColor(180, 180, 180)
	f.Line(margin, f.GetY()+0.8, pageWidth-margin, f.GetY()+0.8)
	f.SetY(f.GetY() + 2.5)
	f.SetTextColor(0, 0, 0)
	if f.PageNo() == 1 {
		t.titleBlock()
	}
	t.headerRow()
}

// titleBlock draws the title, subtitle, period, filters and generation time.
func (t *Table) titleBlock() {
	f := t.f
	t.setFont(true, 16)
	f.CellFormat(printable, 8, clean(t.opt.Title), "", 2, "L", false, 0, "")
	t.setFont(false, 10)
	if t.opt.Subtitle != "" {
		f.CellFormat(printable, 5.5, clean(t.opt.Subtitle), "", 2, "L", false, 0, "")
	}
	for _, kv := range [][2]string{{"Period", t.opt.Period}, {"Filters", t.opt.Filters}, {t.dateLabel(), t.generated()}} {
		t.setFont(true, 9)
		f.CellFormat(22, 4.5, kv[0], "", 0, "L", false, 0, "")
		t.setFont(false, 9)
		lines, _ := wrap(clean(kv[1]), printable-22, 3, t.measure)
		if len(lines) == 0 {
			lines = []string{""}
		}
		for i, l := range lines {
			if i > 0 {
				f.SetX(margin + 22)
			}
			f.CellFormat(printable-22, 4.5, l, "", 2, "L", false, 0, "")
		}
		f.SetX(margin)
	}
	f.SetY(f.GetY() + 3)
}

// dateLabel is what the document calls its date.
func (t *Table) dateLabel() string {
	if t.opt.DateLabel == "" {
		return "Generated"
	}
	return clean(t.opt.DateLabel)
}

// headerRow draws the table's header row.
func (t *Table) headerRow() {
	titles := make([]string, len(t.opt.Columns))
	for i, c := range t.opt.Columns {
		titles[i] = c.Title
	}
	t.drawRow(titles, true)
}

// pageFooter draws the generation time and "Page X of Y".
func (t *Table) pageFooter() {
	f := t.f
	f.SetY(pageHeight - margin - 3)
	f.SetTextColor(90, 90, 90)
	t.setFont(false, headerSize)
	f.CellFormat(printable/2, 3, t.dateLabel()+" "+t.generated()+", "+clean(t.opt.Producer), "", 0, "L", false, 0, "")
	f.CellFormat(printable/2, 3, "Page "+strconv.Itoa(f.PageNo())+" of {nb}", "", 0, "R", false, 0, "")
	f.SetTextColor(0, 0, 0)
}

// Row adds one row; it must have one cell per column. A row that does not fit on the
// page starts a new page, with the header line and header row repeated.
func (t *Table) Row(cells ...string) error {
	if t.written {
		return errors.New("pdf: row after Write")
	}
	if len(cells) != len(t.widths) {
		return fmt.Errorf("pdf: row %d has %d cells, the table %d columns", t.rows+1, len(cells), len(t.widths))
	}
	t.drawRow(cells, false)
	t.rows++
	return t.f.Error()
}

// Rows returns the number of rows added.
func (t *Table) Rows() int { return t.rows }

// drawRow lays out and draws one row (the header row when header is true), starting a
// new page first when it would run into the footer.
func (t *Table) drawRow(cells []string, header bool) {
	f := t.f
	t.setFont(header, bodySize)
	maxLines := t.opt.MaxLines
	if header {
		maxLines = 2
	}
	wrapped := make([][]string, len(cells))
	n := 1
	for i, c := range cells {
		wrapped[i], _ = wrap(clean(c), t.widths[i]-2*cellPadX, maxLines, t.measure)
		n = max(n, len(wrapped[i]))
	}
	h := float64(n)*lineHeight + 2*cellPadY
	if !header && f.GetY()+h > pageHeight-margin-footerSpace {
		f.AddPage() // draws the header line and header row again
		t.setFont(false, bodySize)
	}
	y := f.GetY()
	switch {
	case header:
		f.SetFillColor(225, 228, 234)
		f.Rect(margin, y, printable, h, "F")
	case t.fill:
		f.SetFillColor(245, 246, 248)
		f.Rect(margin, y, printable, h, "F")
	}
	if !header {
		t.fill = !t.fill
	}
	x := margin
	for i, lines := range wrapped {
		align := t.opt.Columns[i].Align
		if align == "" || header {
			align = "L"
		}
		for j, l := range lines {
			f.SetXY(x+cellPadX, y+cellPadY+float64(j)*lineHeight)
			f.CellFormat(t.widths[i]-2*cellPadX, lineHeight, l, "", 0, align, false, 0, "")
		}
		x += t.widths[i]
	}
	f.SetDrawColor(200, 200, 200)
	f.Line(margin, y+h, pageWidth-margin, y+h)
	f.SetXY(margin, y+h)
}

// Write finishes the document and writes it to w. A table without rows says so.
func (t *Table) Write(w io.Writer) error {
	if t.written {
		return errors.New("pdf: Write called twice")
	}
	t.written = true
	if t.rows == 0 {
		t.setFont(false, 9)
		t.f.SetY(t.f.GetY() + 2)
		t.f.CellFormat(printable, 5, "No rows match this period and these filters.", "", 2, "L", false, 0, "")
	}
	return t.f.Output(w)
}
