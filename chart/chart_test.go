package chart_test

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail/chart"
)

var day0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// fixtures are one chart of each kind, with labels outside ASCII.
func fixtures() map[string]chart.Chart {
	var days []time.Time
	allowed, blocked, escalated := []float64{}, []float64{}, []float64{}
	for i := range 14 {
		days = append(days, day0.AddDate(0, 0, i))
		allowed = append(allowed, float64(1200+37*i%300))
		blocked = append(blocked, float64(80+(i*13)%40))
		escalated = append(escalated, float64(10+(i*7)%9))
	}
	return map[string]chart.Chart{
		"trend": chart.TrendLine{Title: "Decisions per day — §164.312(b)", X: days, YTitle: "decision events",
			Series: []chart.Series{{Name: "allowed", Values: allowed}, {Name: "blocked", Values: blocked}, {Name: "escalated", Values: escalated}}},
		"bars": chart.Bars{Title: "Blocks and escalations by policy — Sécurité", ValueTitle: "events",
			Categories: []string{"pii.ssn", "phi.mrn", "prompt_injection", "Données personnelles"},
			Series:     []chart.Series{{Name: "blocked", Values: []float64{412, 180, 95, 33}}, {Name: "escalated", Values: []float64{40, 71, 12, 5}}}},
		"hbars": chart.Bars{Title: "Escalations by rule", Horizontal: true,
			Categories: []string{"pii.ssn", "phi.mrn", "§ clause"},
			Series:     []chart.Series{{Name: "escalated", Values: []float64{40, 71, 12}}}},
		"pie": chart.Pie{Title: "Severity share — événements", Slices: []chart.Slice{
			{Label: "low", Value: 5400}, {Label: "medium", Value: 2100}, {Label: "high", Value: 640}, {Label: "critical", Value: 75}, {Label: "none", Value: 0}}},
		"empty": chart.Pie{Title: "Severity share", Slices: []chart.Slice{{Label: "low", Value: 0}}},
	}
}

func TestRenderDeterministic(t *testing.T) {
	for name, c := range fixtures() {
		for _, r := range []struct {
			format string
			fn     func(chart.Chart, chart.Size) ([]byte, error)
		}{{"svg", chart.SVG}, {"png", chart.PNG}} {
			a, err := r.fn(c, chart.Size{})
			if err != nil {
				t.Fatalf("%s %s: %v", name, r.format, err)
			}
			b, err := r.fn(c, chart.Size{})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Errorf("%s %s: two renderings differ", name, r.format)
			}
			if dir := os.Getenv("CHART_OUT"); dir != "" {
				os.WriteFile(filepath.Join(dir, name+"."+r.format), a, 0o644)
			}
		}
	}
}

func TestSVGHasText(t *testing.T) {
	fx := fixtures()
	tests := []struct {
		name  string
		wants []string
	}{
		{"trend", []string{"Decisions per day — §164.312(b)", "2025-01-01", "2025-01-14", "allowed", "escalated", "decision events"}},
		{"bars", []string{"Blocks and escalations by policy — Sécurité", "Données personnelles", "pii.ssn", "412"}},
		{"hbars", []string{"Escalations by rule", "§ clause"}},
		{"pie", []string{"Severity share — événements", "critical", "medium"}},
		{"empty", []string{"Severity share", chart.NoDataText}},
	}
	for _, tt := range tests {
		b, err := chart.SVG(fx[tt.name], chart.Size{})
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if !strings.HasPrefix(s, "<svg") {
			t.Errorf("%s: not an SVG document: %.40q", tt.name, s)
		}
		for _, w := range tt.wants {
			if !strings.Contains(s, w) && !strings.Contains(s, strings.ReplaceAll(w, "—", "&#8212;")) {
				t.Errorf("%s: SVG lacks %q", tt.name, w)
			}
		}
		if strings.Contains(s, `>none<`) {
			t.Errorf("%s: a zero slice is drawn", tt.name)
		}
	}
}

// inked counts the pixels of img in the rectangle r that are not (nearly) white.
func inked(img image.Image, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if cr < 0xf000 || cg < 0xf000 || cb < 0xf000 {
				n++
			}
		}
	}
	return n
}

func TestPNGAtTwiceTheSize(t *testing.T) {
	for name, c := range fixtures() {
		b, err := chart.PNG(c, chart.Size{Width: 500, Height: 260})
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := img.Bounds().Size(); got != (image.Point{X: 1000, Y: 520}) {
			t.Errorf("%s: PNG is %v, want 1000x520", name, got)
		}
		// The title band alone has ink: the non-ASCII title was drawn, not dropped.
		title := inked(img, image.Rect(0, 0, 1000, 90))
		all := inked(img, img.Bounds())
		if title < 500 || all < 2000 {
			t.Errorf("%s: %d inked pixels in the title band, %d in all: looks blank", name, title, all)
		}
	}
}

// TestGlyphsDrawn renders a title of only "§" and "é" characters and checks they leave
// ink, i.e. the font has the glyphs.
func TestGlyphsDrawn(t *testing.T) {
	for _, title := range []string{"§§§§§§§§", "éééééééé"} {
		b, err := chart.PNG(chart.Pie{Title: title}, chart.Size{})
		if err != nil {
			t.Fatal(err)
		}
		img, _ := png.Decode(bytes.NewReader(b))
		blank, _ := chart.PNG(chart.Pie{}, chart.Size{})
		bimg, _ := png.Decode(bytes.NewReader(blank))
		band := image.Rect(0, 0, 640, 90)
		if got, base := inked(img, band), inked(bimg, band); got-base < 200 {
			t.Errorf("%q: %d inked pixels in the title band (%d without a title)", title, got, base)
		}
	}
}

func TestInvalidDefinitions(t *testing.T) {
	tests := []struct {
		c    chart.Chart
		size chart.Size
		want string
	}{
		{chart.TrendLine{Labels: []string{"a", "b"}, Series: []chart.Series{{Name: "x", Values: []float64{1}}}}, chart.Size{},
			"chart: invalid definition: trend_line: series[0] (x): 1 values for 2 points"},
		{chart.TrendLine{Labels: []string{"a"}, X: []time.Time{day0, day0}}, chart.Size{},
			"chart: invalid definition: trend_line: x and labels differ in length"},
		{chart.Bars{Categories: []string{"a"}, Series: []chart.Series{{Name: "x", Values: []float64{nan()}}}}, chart.Size{},
			"chart: invalid definition: bars: series[0].values[0]: not a finite number"},
		{chart.Pie{Slices: []chart.Slice{{Label: "a", Value: -1}}}, chart.Size{},
			"chart: invalid definition: pie: slices[0] (a): negative value"},
		{chart.Pie{}, chart.Size{Width: 50000, Height: 100},
			"chart: invalid definition: size 50000x100 must be from 100x80 to 4000x4000"},
	}
	for _, tt := range tests {
		_, err := chart.SVG(tt.c, tt.size)
		if !errors.Is(err, chart.ErrInvalid) || err.Error() != tt.want {
			t.Errorf("got %v, want %s", err, tt.want)
		}
	}
}

func nan() float64 { var z float64; return z / z }

// TestSVGEscapesText checks that names from outside (policy, rule, gateway names) cannot
// inject markup into the console's inline SVG.
func TestSVGEscapesText(t *testing.T) {
	b, err := chart.SVG(chart.Bars{Title: `<script>alert(1)</script> & "q"`, Categories: []string{"<b>x</b>"},
		Series: []chart.Series{{Name: "a<i>", Values: []float64{1}}}}, chart.Size{})
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if strings.Contains(s, "<script") || strings.Contains(s, "<b>") || strings.Contains(s, "<i>") {
		t.Fatalf("markup from a label reached the SVG: %s", s)
	}
	if !strings.Contains(s, "&lt;script&gt;alert(1)&lt;/script&gt; &amp;") || !strings.Contains(s, "&lt;b&gt;x&lt;/b&gt;") {
		t.Fatalf("escaped labels missing: %s", s)
	}
}
