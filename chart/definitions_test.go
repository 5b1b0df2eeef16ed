package chart_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/chart"
)

func TestDecisionsOverTime(t *testing.T) {
	days := []time.Time{day0, day0.AddDate(0, 0, 1)}
	got := chart.DecisionsOverTime(days, []int64{10, 12}, []int64{2, 3}, []int64{0, 1})
	want := chart.TrendLine{Title: "Decisions over time", X: days, YTitle: "decision events", Series: []chart.Series{
		{Name: "allowed", Values: []float64{10, 12}}, {Name: "blocked", Values: []float64{2, 3}}, {Name: "escalated", Values: []float64{0, 1}}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if _, err := chart.SVG(got, chart.Size{}); err != nil {
		t.Fatal(err)
	}
}

func TestBlocksAndEscalations(t *testing.T) {
	var counts []chart.Count
	for i, name := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"} {
		counts = append(counts, chart.Count{Name: name, Blocked: int64(i), Escalated: 1})
	}
	counts = append(counts, chart.Count{Name: "aa", Blocked: 11, Escalated: 1}) // ties with l, sorts before it
	got := chart.BlocksAndEscalations("rule", counts)
	wantCats := []string{"aa", "l", "k", "j", "i", "h", "g", "f", "e", "other (4 more)"}
	if !reflect.DeepEqual(got.Categories, wantCats) {
		t.Fatalf("categories %v, want %v", got.Categories, wantCats)
	}
	if want := []float64{11, 11, 10, 9, 8, 7, 6, 5, 4, 0 + 1 + 2 + 3}; !reflect.DeepEqual(got.Series[0].Values, want) {
		t.Errorf("blocked %v, want %v", got.Series[0].Values, want)
	}
	if want := []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 4}; !reflect.DeepEqual(got.Series[1].Values, want) {
		t.Errorf("escalated %v, want %v", got.Series[1].Values, want)
	}
	if got.Title != "Blocks and escalations by rule" || !got.Horizontal {
		t.Errorf("bars %+v", got)
	}
	if _, err := chart.PNG(got, chart.Size{}); err != nil {
		t.Fatal(err)
	}
	if counts[0].Name != "a" {
		t.Error("the caller's counts were reordered")
	}
}

func TestSeverityShare(t *testing.T) {
	got := chart.SeverityShare("Severity share of decision events", map[keeptrail.Severity]int64{"critical": 2, "low": 9})
	want := chart.Pie{Title: "Severity share of decision events", Slices: []chart.Slice{
		{Label: "low", Value: 9}, {Label: "medium", Value: 0}, {Label: "high", Value: 0}, {Label: "critical", Value: 2}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}
