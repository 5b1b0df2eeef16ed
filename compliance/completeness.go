package compliance

import (
	"cmp"
	"slices"
	"time"

	"github.com/keeptrail/keeptrail"
)

// reporting is how completely the gateways reported over a period's hours.
type reporting struct {
	hours, complete int64
	// soleMissing counts, per gateway, the hours in which it was the only gateway that
	// did not report: the hours that would be complete had it reported.
	soleMissing map[int64]int64
}

// completeness counts the hours from first to end (exclusive, both whole hours) in which
// every gateway of gws that had been seen by then (first activity at or before the hour)
// reported. counts are the store's per-hour reporting counts for those gateways.
func completeness(gws []keeptrail.Gateway, first map[int64]time.Time, counts []keeptrail.GatewayHourCount, start, end time.Time) reporting {
	rep := reporting{soleMissing: map[int64]int64{}}
	type seen struct {
		at time.Time
		id int64
	}
	var order []seen
	for _, g := range gws {
		if f, ok := first[g.ID]; ok {
			order = append(order, seen{f, g.ID})
		}
	}
	slices.SortFunc(order, func(a, b seen) int { return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.id, b.id)) })
	byHour := make(map[int64]keeptrail.GatewayHourCount, len(counts))
	for _, c := range counts {
		byHour[c.Hour.Unix()] = c
	}
	next := 0
	var expected, idSum int64
	for h := start; h.Before(end); h = h.Add(time.Hour) {
		for next < len(order) && !order[next].at.After(h) {
			expected++
			idSum += order[next].id
			next++
		}
		rep.hours++
		c := byHour[h.Unix()]
		switch expected - c.Gateways {
		case 0:
			rep.complete++
		case 1:
			rep.soleMissing[idSum-c.IDSum]++
		}
	}
	return rep
}
