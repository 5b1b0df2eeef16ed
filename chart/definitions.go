package chart

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/keeptrail/keeptrail"
)

// The charts a compliance report and the console draw, built from counts so that both
// get the same definition for the same data.

// DecisionsOverTime is the trend of decision events per period (day, say): one line per
// decision. times[i] is the start of period i and the counts hold one value per period.
func DecisionsOverTime(times []time.Time, allowed, blocked, escalated []int64) TrendLine {
	return TrendLine{
		Title:  "Decisions over time",
		X:      slices.Clone(times),
		YTitle: "decision events",
		Series: []Series{
			{Name: string(keeptrail.DecisionAllowed), Values: floats(allowed)},
			{Name: string(keeptrail.DecisionBlocked), Values: floats(blocked)},
			{Name: string(keeptrail.DecisionEscalated), Values: floats(escalated)},
		},
	}
}

// Count is how many decision events one policy or rule blocked and escalated.
type Count struct {
	Name      string `json:"name"`
	Blocked   int64  `json:"blocked"`
	Escalated int64  `json:"escalated"`
}

// MaxBars is how many policies or rules BlocksAndEscalations shows; the rest are added
// up in one last bar.
const MaxBars = 10

// BlocksAndEscalations compares policies or rules (what names them, e.g. "policy" or
// "rule") by the decision events they blocked and escalated: most first (ties by name),
// at most MaxBars, the rest summed as "other (N more)". Horizontal, for long names.
func BlocksAndEscalations(what string, counts []Count) Bars {
	cs := slices.Clone(counts)
	slices.SortStableFunc(cs, func(a, b Count) int {
		return cmp.Or(cmp.Compare(b.Blocked+b.Escalated, a.Blocked+a.Escalated), cmp.Compare(a.Name, b.Name))
	})
	if len(cs) > MaxBars {
		rest := Count{Name: fmt.Sprintf("other (%d more)", len(cs)-(MaxBars-1))}
		for _, c := range cs[MaxBars-1:] {
			rest.Blocked += c.Blocked
			rest.Escalated += c.Escalated
		}
		cs = append(cs[:MaxBars-1], rest)
	}
	b := Bars{Title: "Blocks and escalations by " + what, Horizontal: true, ValueTitle: "decision events",
		Series: []Series{{Name: string(keeptrail.DecisionBlocked)}, {Name: string(keeptrail.DecisionEscalated)}}}
	for _, c := range cs {
		b.Categories = append(b.Categories, c.Name)
		b.Series[0].Values = append(b.Series[0].Values, float64(c.Blocked))
		b.Series[1].Values = append(b.Series[1].Values, float64(c.Escalated))
	}
	return b
}

// SeverityShare is the share of each severity (low to critical) in counts: of decision
// events, escalations or audit entries, as the title says.
func SeverityShare(title string, counts map[keeptrail.Severity]int64) Pie {
	p := Pie{Title: title}
	for _, s := range keeptrail.Severities {
		p.Slices = append(p.Slices, Slice{Label: string(s), Value: float64(counts[s])})
	}
	return p
}

func floats(vs []int64) []float64 {
	out := make([]float64, len(vs))
	for i, v := range vs {
		out[i] = float64(v)
	}
	return out
}
