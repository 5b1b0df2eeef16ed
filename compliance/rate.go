package compliance

import "math"

// Rate is a share: Count of Of, and the percentage, rounded to two decimals (nil when Of
// is 0, since nothing was measured).
type Rate struct {
	Count   int64    `json:"count"`
	Of      int64    `json:"of"`
	Percent *float64 `json:"percent"`
}

func rate(count, of int64) Rate {
	r := Rate{Count: count, Of: of}
	if of > 0 {
		p := round(100*float64(count)/float64(of), 2)
		r.Percent = &p
	}
	return r
}

// round rounds x to the given number of decimals, halves away from zero.
func round(x float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.Round(x*p) / p
}
