package chart

import (
	"math"
	"testing"
)

func TestNiceAxis(t *testing.T) {
	for _, tc := range []struct {
		top    float64
		end    float64
		labels int
	}{
		{380, 400, 5},
		{353, 400, 5},
		{7, 8, 5},
		{1, 1, 6},
		{0.3, 0.3, 4},
		{12345, 12500, 6},
		{100, 100, 6},
		{0, 0, 0},
		{-5, 0, 0},
	} {
		end, labels := niceAxis(tc.top)
		if math.Abs(end-tc.end) > 1e-9 || labels != tc.labels {
			t.Errorf("niceAxis(%v) = %v, %d; want %v, %d", tc.top, end, labels, tc.end, tc.labels)
		}
	}
}
