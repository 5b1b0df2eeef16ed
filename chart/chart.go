// Package chart holds chart definitions as plain data (TrendLine, Bars, Pie) and renders
// each one to SVG, for the console, and to PNG at twice the size, for PDF reports (the PDF
// library cannot embed the charts' SVG), so that the console and a report draw the same
// chart from the same definition. Rendering is deterministic: the same definition gives
// the same bytes. It uses github.com/go-analyze/charts with its built-in Roboto font,
// which covers Latin text such as "§164.312(b)" and "Sécurité" (not CJK).
package chart

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/go-analyze/charts"
)

// Chart is a chart definition: TrendLine, Bars or Pie.
type Chart interface {
	// Kind names the chart type: "trend_line", "bars" or "pie".
	Kind() string
	// draw renders the chart on p at the scale.
	draw(p *charts.Painter, sc scale) error
	// empty reports whether there is nothing to plot.
	empty() bool
	// title is the chart's title.
	title() string
	// validate returns what is wrong with the definition, or nil.
	validate() error
}

// Series is one named line (TrendLine) or set of bars (Bars); Values has one value per
// point or category.
type Series struct {
	Name   string    `json:"name"`
	Values []float64 `json:"values"`
}

// Size is a chart's size in CSS pixels (SVG) or PDF points at 72 dpi; the PNG has Scale
// times as many pixels each way.
type Size struct {
	Width  int `json:"width"`
	Height int `json:"height"`
}

// DefaultSize is the size of a chart when none is given: half an A4 page's text width
// at a legible height.
var DefaultSize = Size{Width: 640, Height: 320}

// PNGScale is the pixel density of PNG output: two pixels per unit of Size, sharp when
// a PDF places the image at Size in points.
const PNGScale = 2

// Limits on a definition, so that a chart request from outside cannot exhaust memory.
const (
	MaxPoints = 10000 // points of a series, categories of bars, slices of a pie
	MaxSeries = 20
	MaxSide   = 4000 // width and height in units of Size
)

// ErrInvalid wraps the reason a definition cannot be drawn.
var ErrInvalid = errors.New("chart: invalid definition")

// SVG renders c as an SVG document at size (DefaultSize when zero).
func SVG(c Chart, size Size) ([]byte, error) {
	return render(c, size, charts.ChartOutputSVG, 1)
}

// PNG renders c as a PNG image of PNGScale times size (DefaultSize when zero) pixels,
// with text, lines and margins scaled alike.
func PNG(c Chart, size Size) ([]byte, error) {
	return render(c, size, charts.ChartOutputPNG, PNGScale)
}

func render(c Chart, size Size, format string, factor float64) ([]byte, error) {
	if size == (Size{}) {
		size = DefaultSize
	}
	if size.Width < 100 || size.Height < 80 || size.Width > MaxSide || size.Height > MaxSide {
		return nil, fmt.Errorf("%w: size %dx%d must be from 100x80 to %dx%d", ErrInvalid, size.Width, size.Height, MaxSide, MaxSide)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, c.Kind(), err)
	}
	sc := scale(factor)
	p := charts.NewPainter(charts.PainterOptions{
		OutputFormat: format,
		Width:        sc.px(size.Width),
		Height:       sc.px(size.Height),
		Theme:        theme(),
	})
	var err error
	if c.empty() {
		err = drawEmpty(p, c.title(), sc)
	} else {
		err = c.draw(p, sc)
	}
	if err != nil {
		return nil, fmt.Errorf("chart: render %s: %w", c.Kind(), err)
	}
	b, err := p.Bytes()
	if err != nil {
		return nil, fmt.Errorf("chart: encode %s: %w", c.Kind(), err)
	}
	return b, nil
}

// NoDataText is drawn in place of a chart that has nothing to plot.
const NoDataText = "No data for this period"

// drawEmpty draws the title and NoDataText on a white canvas.
func drawEmpty(p *charts.Painter, title string, sc scale) error {
	p.FilledRect(0, 0, p.Width(), p.Height(), charts.ColorWhite, charts.ColorWhite, 0)
	pad := sc.px(20)
	if title != "" {
		p.Text(title, pad, pad+sc.px(16), 0, sc.font(16, textColor))
	}
	p.TextFit(NoDataText, pad, p.Height()/2, p.Width()-2*pad, sc.font(13, mutedColor), "center")
	return nil
}

// scale multiplies every pixel measure: 1 for SVG, PNGScale for PNG.
type scale float64

func (s scale) px(v int) int { return int(math.Round(float64(v) * float64(s))) }

func (s scale) f(v float64) float64 { return v * float64(s) }

func (s scale) font(size float64, c charts.Color) charts.FontStyle {
	return charts.FontStyle{FontSize: s.f(size), FontColor: c}
}

func (s scale) box(v int) charts.Box { return charts.NewBoxEqual(s.px(v)) }

var (
	textColor  = charts.Color{R: 40, G: 40, B: 40, A: 255}
	mutedColor = charts.Color{R: 110, G: 110, B: 110, A: 255}
)

// theme is the light theme every chart uses, so console and report look the same.
func theme() charts.ColorPalette { return charts.GetTheme(charts.ThemeLight) }

// checkValues reports a value that cannot be plotted.
func checkValues(what string, vs []float64) error {
	if len(vs) > MaxPoints {
		return fmt.Errorf("%s: at most %d values, not %d", what, MaxPoints, len(vs))
	}
	for i, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s[%d]: not a finite number", what, i)
		}
	}
	return nil
}

// checkSeries validates series that must each have n values.
func checkSeries(series []Series, n int) error {
	if len(series) > MaxSeries {
		return fmt.Errorf("series: at most %d, not %d", MaxSeries, len(series))
	}
	for i, s := range series {
		if len(s.Values) != n {
			return fmt.Errorf("series[%d] (%s): %d values for %d points", i, s.Name, len(s.Values), n)
		}
		if err := checkValues(fmt.Sprintf("series[%d].values", i), s.Values); err != nil {
			return err
		}
	}
	return nil
}

func seriesNames(series []Series) []string {
	names := make([]string, len(series))
	for i, s := range series {
		names[i] = s.Name
	}
	return names
}

func seriesValues(series []Series) [][]float64 {
	vs := make([][]float64, len(series))
	for i, s := range series {
		vs[i] = s.Values
	}
	return vs
}

// formatValue writes a value as people read counts and rates: 412, 0.25, 12.3k.
func formatValue(v float64) string {
	if math.Abs(v) >= 10000 {
		return charts.FormatValueHumanizeShort(v, 1, false)
	}
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// titleOption is the title drawn at the top left of every chart.
func titleOption(text string, sc scale) charts.TitleOption {
	return charts.TitleOption{Text: text, FontStyle: sc.font(15, textColor)}
}

// legendOption shows the series names at the top right, when there is more than one.
func legendOption(names []string, sc scale) charts.LegendOption {
	return charts.LegendOption{
		SeriesNames: names,
		Show:        charts.Ptr(len(names) > 1),
		Offset:      charts.OffsetRight,
		FontStyle:   sc.font(11, textColor),
	}
}
