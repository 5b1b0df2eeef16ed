package chart

import (
	"errors"
	"fmt"

	"github.com/go-analyze/charts"
)

// Pie shows each part's share of a whole: decision events by severity, say. Values must
// not be negative; slices of zero are left out of the drawing.
type Pie struct {
	Title  string  `json:"title"`
	Slices []Slice `json:"slices"`
}

// Slice is one part of a Pie.
type Slice struct {
	Label string  `json:"label"`
	Value float64 `json:"value"`
}

// Kind is "pie".
func (Pie) Kind() string { return "pie" }

func (c Pie) title() string { return c.Title }

func (c Pie) validate() error {
	vs := make([]float64, len(c.Slices))
	for i, s := range c.Slices {
		vs[i] = s.Value
	}
	if err := checkValues("slices", vs); err != nil {
		return err
	}
	for i, v := range vs {
		if v < 0 {
			return fmt.Errorf("slices[%d] (%s): negative value", i, c.Slices[i].Label)
		}
	}
	if len(c.Slices) > MaxPoints {
		return errors.New("too many slices")
	}
	return nil
}

// shown are the slices drawn: those above zero.
func (c Pie) shown() []Slice {
	var out []Slice
	for _, s := range c.Slices {
		if s.Value > 0 {
			out = append(out, s)
		}
	}
	return out
}

func (c Pie) empty() bool { return len(c.shown()) == 0 }

func (c Pie) draw(p *charts.Painter, sc scale) error {
	shown := c.shown()
	values := make([]float64, len(shown))
	names := make([]string, len(shown))
	for i, s := range shown {
		values[i], names[i] = s.Value, s.Label
	}
	opt := charts.NewPieChartOptionWithData(values)
	for i := range opt.SeriesList {
		opt.SeriesList[i].Name = names[i]
		opt.SeriesList[i].Label = charts.SeriesLabel{Show: charts.Ptr(true), FontStyle: sc.font(11, textColor)}
	}
	opt.Theme = theme()
	opt.Padding = sc.box(20)
	opt.Title = titleOption(c.Title, sc)
	// Each slice is labelled with its name and share, so no legend is needed.
	opt.Legend = charts.LegendOption{Show: charts.Ptr(false)}
	opt.Radius = "35%"
	return p.PieChart(opt)
}
