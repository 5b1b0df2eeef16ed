package chart

import (
	"errors"
	"math"
	"slices"
	"unicode/utf8"

	"github.com/go-analyze/charts"
)

// Bars compares values across categories, one bar per series in each: blocks and
// escalations by policy or rule, say. Every series has one value per category.
// Horizontal bars suit long category names; they list Categories[0] at the top.
type Bars struct {
	Title      string   `json:"title"`
	Categories []string `json:"categories"`
	Series     []Series `json:"series"`
	Horizontal bool     `json:"horizontal,omitempty"`
	// ValueTitle names the values' unit, e.g. "events".
	ValueTitle string `json:"value_title,omitempty"`
}

// Kind is "bars".
func (Bars) Kind() string { return "bars" }

func (c Bars) title() string { return c.Title }

func (c Bars) validate() error {
	if len(c.Categories) > MaxPoints {
		return errors.New("too many categories")
	}
	return checkSeries(c.Series, len(c.Categories))
}

func (c Bars) empty() bool { return len(c.Series) == 0 || len(c.Categories) == 0 }

func (c Bars) draw(p *charts.Painter, sc scale) error {
	if c.Horizontal {
		c = c.reversed() // the library draws the first category at the bottom
	}
	opt := charts.NewBarChartOptionWithData(seriesValues(c.Series))
	for i := range opt.SeriesList {
		opt.SeriesList[i].Name = c.Series[i].Name
		opt.SeriesList[i].Label = charts.SeriesLabel{Show: charts.Ptr(len(c.Categories) <= 12), FontStyle: sc.font(10, textColor),
			ValueFormatter: formatValue}
	}
	opt.Theme = theme()
	opt.Padding = sc.box(20)
	opt.Horizontal = c.Horizontal
	opt.Title = titleOption(c.Title, sc)
	opt.Legend = legendOption(seriesNames(c.Series), sc)
	opt.CategoryAxis = charts.CategoryAxisOption{Labels: c.Categories, LabelFontStyle: sc.font(10, mutedColor),
		LabelCount: len(c.Categories)}
	if !c.Horizontal && longest(c.Categories) > 10 {
		// Slanted, every name fits under its bars.
		opt.CategoryAxis.LabelRotation = charts.DegreesToRadians(-30)
	}
	opt.ValueAxis = []charts.ValueAxisOption{{
		Title:          c.ValueTitle,
		TitleFontStyle: sc.font(10, mutedColor),
		LabelFontStyle: sc.font(10, mutedColor),
		Min:            charts.Ptr(0.0),
		ValueFormatter: formatValue,
	}}
	if top, labels := niceAxis(largest(c.Series)); labels > 0 {
		// A round end and evenly spaced labels; left to itself the library can end the
		// axis just above the largest bar and print its last label over the one before.
		opt.ValueAxis[0].Max = charts.Ptr(top)
		opt.ValueAxis[0].LabelCount = labels
	}
	opt.ValueFormatter = formatValue
	return p.BarChart(opt)
}

// longest is the length in characters of the longest name.
func longest(names []string) int {
	n := 0
	for _, s := range names {
		n = max(n, utf8.RuneCountInString(s))
	}
	return n
}

// reversed returns c with its categories (and values) in reverse order.
func (c Bars) reversed() Bars {
	c.Categories = slices.Clone(c.Categories)
	slices.Reverse(c.Categories)
	series := make([]Series, len(c.Series))
	for i, s := range c.Series {
		s.Values = slices.Clone(s.Values)
		slices.Reverse(s.Values)
		series[i] = s
	}
	c.Series = series
	return c
}

// largest is the largest value of the series (0 when none is positive).
func largest(series []Series) float64 {
	m := 0.0
	for _, s := range series {
		for _, v := range s.Values {
			m = max(m, v)
		}
	}
	return m
}

// niceAxis returns the end of a value axis from 0 that holds top, a multiple of a round
// step (1, 2, 2.5 or 5 times a power of ten) giving at most 5 intervals, and the number of
// labels from 0 to that end; labels is 0 when top is not positive.
func niceAxis(top float64) (end float64, labels int) {
	if !(top > 0) || math.IsInf(top, 0) {
		return 0, 0
	}
	raw := top / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5} {
		if raw <= m*mag {
			step = m * mag
			break
		}
	}
	n := math.Ceil(top / step)
	return n * step, int(n) + 1
}
