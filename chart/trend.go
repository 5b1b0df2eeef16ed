package chart

import (
	"errors"
	"time"

	"github.com/go-analyze/charts"
)

// TrendLine is values over time, one line per series: decisions per day, say. X holds the
// time of each point (UTC) and Labels what the axis shows for it; when Labels is empty
// the axis shows X as dates (TimeLayout, default "2006-01-02"). One of the two is
// required, and every series has one value per point.
type TrendLine struct {
	Title      string      `json:"title"`
	X          []time.Time `json:"x,omitempty"`
	Labels     []string    `json:"labels,omitempty"`
	TimeLayout string      `json:"time_layout,omitempty"`
	Series     []Series    `json:"series"`
	// YTitle names the values' unit, e.g. "decision events".
	YTitle string `json:"y_title,omitempty"`
}

// Kind is "trend_line".
func (TrendLine) Kind() string { return "trend_line" }

func (c TrendLine) title() string { return c.Title }

// labels returns the axis labels, from Labels or X.
func (c TrendLine) labels() []string {
	if len(c.Labels) > 0 {
		return c.Labels
	}
	layout := c.TimeLayout
	if layout == "" {
		layout = "2006-01-02"
	}
	out := make([]string, len(c.X))
	for i, t := range c.X {
		out[i] = t.UTC().Format(layout)
	}
	return out
}

func (c TrendLine) validate() error {
	if len(c.X) > 0 && len(c.Labels) > 0 && len(c.X) != len(c.Labels) {
		return errors.New("x and labels differ in length")
	}
	if n := len(c.labels()); n > MaxPoints {
		return errors.New("too many points")
	}
	return checkSeries(c.Series, len(c.labels()))
}

func (c TrendLine) empty() bool { return len(c.Series) == 0 || len(c.labels()) == 0 }

func (c TrendLine) draw(p *charts.Painter, sc scale) error {
	opt := charts.NewLineChartOptionWithData(seriesValues(c.Series))
	for i := range opt.SeriesList {
		opt.SeriesList[i].Name = c.Series[i].Name
	}
	opt.Theme = theme()
	opt.Padding = sc.box(20)
	opt.Title = titleOption(c.Title, sc)
	opt.Legend = legendOption(seriesNames(c.Series), sc)
	opt.XAxis = charts.XAxisOption{
		Labels:         c.labels(),
		LabelFontStyle: sc.font(10, mutedColor),
		BoundaryGap:    charts.Ptr(false),
	}
	opt.YAxis = []charts.YAxisOption{{
		Title:          c.YTitle,
		TitleFontStyle: sc.font(10, mutedColor),
		LabelFontStyle: sc.font(10, mutedColor),
		Min:            charts.Ptr(0.0),
		ValueFormatter: formatValue,
	}}
	opt.ValueFormatter = formatValue
	opt.LineStrokeWidth = sc.f(2)
	opt.Symbol = charts.Symbol{Shape: charts.SymbolNone}
	return p.LineChart(opt)
}
