package evidence

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/keeptrail/keeptrail/pdf"
)

// ReportInput is what report.pdf is written from.
type ReportInput struct {
	Organization string
	Framework    Framework
	Period       AuditPeriod
	GeneratedAt  time.Time
	GeneratedBy  GeneratedBy
	Software     Software
	Score        *ScoreSummary
	// ScoreCounts are the counts behind each score component, by component name.
	ScoreCounts map[string]map[string]int64
	Evidence    *Evidence
	// Files are the bundle members added before the report (evidence files and the OSCAL
	// results), listed in the appendix with their SHA-256 and rows.
	Files []Member
}

// Page geometry of the report, in millimetres (A4 portrait).
const (
	rpPageW   = 210.0
	rpPageH   = 297.0
	rpMargin  = 15.0
	rpText    = rpPageW - 2*rpMargin
	rpLine    = 5.0
	rpFooterY = rpPageH - 10
)

// report lays out report.pdf on fpdf with the DejaVu Sans fonts of package pdf,
// embedded as UTF-8 subsets, so names in Latin, Greek and Cyrillic scripts print as
// written (tr is pdf.Clean: control characters and runes beyond U+FFFF become U+FFFD;
// runes the font lacks, such as CJK, print as its missing-glyph box but stay in the
// text layer).
type report struct {
	f  *fpdf.Fpdf
	tr func(string) string
	in ReportInput
}

// WriteReport writes report.pdf for in to w. The document's dates come from
// in.GeneratedAt, never the clock, so the same input gives the same bytes.
func WriteReport(w io.Writer, in ReportInput) error {
	if in.GeneratedAt.IsZero() {
		return fmt.Errorf("evidence: report: GeneratedAt is required")
	}
	at := in.GeneratedAt.UTC().Truncate(time.Second)
	f := fpdf.New("P", "mm", "A4", "")
	f.SetCreationDate(at)
	f.SetModificationDate(at)
	f.SetCatalogSort(true)
	f.SetCompression(true)
	pdf.AddFonts(f)
	r := &report{f: f, tr: pdf.Clean, in: in}
	title := in.Framework.Title + " compliance package: " + in.Organization
	f.SetTitle(title, true)
	f.SetSubject("Evidence for the audit period "+r.period(), true)
	f.SetAuthor(in.Organization, true)
	f.SetCreator("Keeptrail", true)
	f.SetProducer("Keeptrail "+in.Software.Version, true)
	f.SetMargins(rpMargin, rpMargin, rpMargin)
	f.SetAutoPageBreak(true, 18)
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(r.footer)

	r.cover()
	r.mapping()
	if err := r.overview(); err != nil {
		return err
	}
	for _, s := range in.Framework.Sections {
		r.section(s)
	}
	r.appendix()
	if err := f.Error(); err != nil {
		return fmt.Errorf("evidence: report: %w", err)
	}
	return f.Output(w)
}

func (r *report) period() string {
	p := r.in.Period
	end := p.End.Add(-time.Microsecond)
	return p.Start.UTC().Format("2006-01-02 15:04") + " to " + end.UTC().Format("2006-01-02 15:04:05") + " UTC (inclusive)"
}

func (r *report) footer() {
	f := r.f
	f.SetY(rpFooterY)
	f.SetFont(pdf.FontFamily, "", 8)
	f.SetTextColor(90, 90, 90)
	f.CellFormat(rpText/2, 4, r.tr(r.in.Organization+" - "+r.in.Framework.Title+" - generated "+
		r.in.GeneratedAt.UTC().Format("2006-01-02 15:04:05")+" UTC"), "", 0, "L", false, 0, "")
	f.CellFormat(rpText/2, 4, "Page "+strconv.Itoa(f.PageNo())+" of {nb}", "", 0, "R", false, 0, "")
	f.SetTextColor(0, 0, 0)
}

func (r *report) h1(text string) {
	r.f.SetFont(pdf.FontFamily, "B", 16)
	r.f.MultiCell(rpText, 8, r.tr(text), "", "L", false)
	r.f.Ln(2)
}

func (r *report) h2(text string) {
	if r.f.GetY() > rpPageH-50 {
		r.f.AddPage()
	}
	r.f.Ln(2)
	r.f.SetFont(pdf.FontFamily, "B", 11)
	r.f.MultiCell(rpText, 6, r.tr(text), "", "L", false)
	r.f.Ln(1)
}

func (r *report) para(text string) {
	r.f.SetFont(pdf.FontFamily, "", 9.5)
	r.f.MultiCell(rpText, rpLine, r.tr(text), "", "L", false)
	r.f.Ln(1)
}

func (r *report) bullets(items []string, more int) {
	r.f.SetFont(pdf.FontFamily, "", 9)
	for _, it := range items {
		r.f.SetX(rpMargin + 3)
		r.f.MultiCell(rpText-3, 4.5, r.tr("- "+it), "", "L", false)
	}
	if more > 0 {
		r.f.SetX(rpMargin + 3)
		r.f.MultiCell(rpText-3, 4.5, r.tr(fmt.Sprintf("... and %d more (see the evidence files).", more)), "", "L", false)
	}
}

// table draws rows with the given column widths (mm), the first row as the header;
// cells wrap and a row that does not fit starts a new page with the header again.
func (r *report) table(widths []float64, rows [][]string) {
	f := r.f
	var draw func(cells []string, header bool)
	draw = func(cells []string, header bool) {
		style := ""
		if header {
			style = "B"
		}
		f.SetFont(pdf.FontFamily, style, 8.5)
		lines := make([][]string, len(cells))
		n := 1
		for i, c := range cells {
			for _, l := range f.SplitText(r.tr(c), widths[i]-2) {
				lines[i] = append(lines[i], l)
			}
			n = max(n, len(lines[i]))
		}
		h := float64(n)*4.2 + 1.6
		if f.GetY()+h > rpPageH-20 {
			f.AddPage()
			if !header {
				draw(rows[0], true)
				f.SetFont(pdf.FontFamily, "", 8.5)
			}
		}
		y := f.GetY()
		if header {
			f.SetFillColor(225, 228, 234)
			f.Rect(rpMargin, y, sum(widths), h, "F")
		}
		x := rpMargin
		for i, ls := range lines {
			for j, l := range ls {
				f.SetXY(x+1, y+0.8+float64(j)*4.2)
				f.CellFormat(widths[i]-2, 4.2, l, "", 0, "L", false, 0, "")
			}
			x += widths[i]
		}
		f.SetDrawColor(200, 200, 200)
		f.Line(rpMargin, y+h, rpMargin+sum(widths), y+h)
		f.SetXY(rpMargin, y+h)
	}
	for i, row := range rows {
		draw(row, i == 0)
	}
	f.Ln(2)
}

func sum(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s
}

// image places a PNG at the full text width, keeping its aspect ratio h/w.
func (r *report) image(name string, png []byte, aspect float64) {
	f := r.f
	h := rpText * aspect
	if f.GetY()+h > rpPageH-20 {
		f.AddPage()
	}
	opt := fpdf.ImageOptions{ImageType: "PNG"}
	f.RegisterImageOptionsReader(name, opt, bytes.NewReader(png))
	f.ImageOptions(name, rpMargin, f.GetY(), rpText, h, false, opt, 0, "")
	f.SetY(f.GetY() + h + 2)
}

func (r *report) cover() {
	in := r.in
	f := r.f
	f.AddPage()
	f.SetY(40)
	f.SetFont(pdf.FontFamily, "B", 22)
	f.MultiCell(rpText, 10, r.tr(in.Framework.Title+" compliance package"), "", "L", false)
	f.SetFont(pdf.FontFamily, "", 14)
	f.MultiCell(rpText, 8, r.tr(in.Organization), "", "L", false)
	f.Ln(6)
	fw := in.Framework.Title + " (" + in.Framework.Name + ", version " + strconv.FormatInt(in.Framework.Version, 10) + ")"
	if in.Framework.Edition != "" {
		fw += ", " + in.Framework.Edition
	}
	by := in.GeneratedBy.Name
	if in.GeneratedBy.Role != "" {
		by += " (" + string(in.GeneratedBy.Role) + ")"
	}
	if in.GeneratedBy.OnBehalfOf != "" {
		by += " on behalf of " + in.GeneratedBy.OnBehalfOf
	}
	rows := [][]string{
		{"Organization", in.Organization},
		{"Framework", fw},
		{"Audit period", r.period()},
		{"Generated at", in.GeneratedAt.UTC().Format(time.RFC3339)},
		{"Generated by", by},
		{"Software", in.Software.Name + " " + in.Software.Version},
	}
	if s := in.Score; s != nil {
		rows = append(rows, []string{"Compliance score", fmt.Sprintf("%.1f of 100 (as of %s)", s.Score, s.At.UTC().Format(time.RFC3339))})
	}
	f.SetFont(pdf.FontFamily, "", 10)
	for _, row := range rows {
		f.SetFont(pdf.FontFamily, "B", 10)
		f.CellFormat(45, 6, r.tr(row[0]), "", 0, "L", false, 0, "")
		f.SetFont(pdf.FontFamily, "", 10)
		f.MultiCell(rpText-45, 6, r.tr(row[1]), "", "L", false)
	}
	if s := in.Score; s != nil {
		r.h2("Compliance score breakdown")
		t := [][]string{{"Component", "Weight", "Ratio", "Points", "Counts"}}
		for _, c := range s.Components {
			t = append(t, []string{c.Name, trimFloat(c.Weight), fmt.Sprintf("%.3f", c.Ratio),
				fmt.Sprintf("%.1f of %s", c.Points, trimFloat(c.MaxPoints)), countsText(in.ScoreCounts[c.Name])})
			for _, p := range c.Parts {
				t = append(t, []string{"  " + c.Name + "." + p.Name, trimFloat(p.Weight), fmt.Sprintf("%.3f", p.Ratio),
					fmt.Sprintf("%.1f of %s", p.Points, trimFloat(p.MaxPoints)), ""})
			}
		}
		r.table([]float64{50, 18, 18, 28, 66}, t)
	}
	f.Ln(4)
	r.para(Disclaimer)
	r.para(verifyNote)
}

// verifyNote closes the cover page: how the package's integrity is checked.
const verifyNote = "Every file is listed with its SHA-256 in the appendix and in manifest.json, whose signature " +
	"(manifest.sig) can be checked with keeptrail verify or minisign."

func trimFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func countsText(m map[string]int64) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		label := k
		if label == "met" { // the score's count of escalations resolved within their SLA
			label = "within_sla"
		}
		parts[i] = label + " " + strconv.FormatInt(m[k], 10)
	}
	return strings.Join(parts, ", ")
}

func (r *report) mapping() {
	r.f.AddPage()
	r.h1("Criteria and the evidence that supports them")
	r.para("Each criterion of " + r.in.Framework.Title + " is listed with the evidence files in this package that support it. " +
		"Paths are relative to the root of the bundle.")
	have := r.in.Evidence.Paths()
	rows := [][]string{{"Criterion", "Evidence files"}}
	for _, s := range r.in.Framework.Sections {
		rows = append(rows, []string{r.in.Framework.Heading(s), strings.Join(SectionFiles(s, have), "\n")})
	}
	r.table([]float64{75, 105}, rows)
}
