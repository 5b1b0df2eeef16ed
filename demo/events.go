package demo

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/ingest"
)

// hourWeights is the traffic of each local hour of a working day.
var hourWeights = [24]float64{0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.4, 0.8, 1.5, 2.2, 2.5, 2.4,
	2.0, 2.3, 2.5, 2.3, 1.9, 1.3, 0.9, 0.7, 0.5, 0.4, 0.3, 0.2}

// dayWeights is the traffic of each weekday, Sunday first.
var dayWeights = [7]float64{0.25, 0.95, 1, 1, 1, 0.85, 0.3}

// rhythm spreads the period's events over its hours: busier in working hours and on
// weekdays, growing a little over the period, with some noise from day to day. The
// counts add up to exactly the number asked for.
type rhythm struct {
	from   time.Time
	counts []int32
}

func newRhythm(r *run) *rhythm {
	hours := int(r.opts.To.Sub(r.opts.From) / time.Hour)
	w := make([]float64, hours)
	var total float64
	noise := 1.0
	for h := range w {
		t := r.opts.From.Add(time.Duration(h) * time.Hour)
		local := t.Add(utcOffsetHours * time.Hour)
		if local.Hour() == 0 || h == 0 {
			noise = 0.9 + 0.2*r.rngEvents.Float64()
		}
		growth := 1 + 0.15*float64(h)/float64(hours)
		w[h] = hourWeights[local.Hour()] * dayWeights[local.Weekday()] * growth * noise
		total += w[h]
	}
	rh := &rhythm{from: r.opts.From, counts: make([]int32, hours)}
	var cum float64
	prev := 0
	n := float64(r.opts.Events)
	for h := range w {
		cum += w[h]
		upto := int(math.Floor(n * cum / total))
		if h == hours-1 {
			upto = r.opts.Events
		}
		rh.counts[h] = int32(upto - prev)
		prev = upto
	}
	return rh
}

// count returns the events of the hour starting at t.
func (rh *rhythm) count(t time.Time) int {
	h := int(t.Sub(rh.from) / time.Hour)
	if h < 0 || h >= len(rh.counts) {
		return 0
	}
	return int(rh.counts[h])
}

// severityWeights grade a detection of each category.
var severityWeights = map[string][]weighted[keeptrail.Severity]{
	"phi":              {{keeptrail.SeverityMedium, 35}, {keeptrail.SeverityHigh, 50}, {keeptrail.SeverityCritical, 15}},
	"secrets":          {{keeptrail.SeverityMedium, 20}, {keeptrail.SeverityHigh, 60}, {keeptrail.SeverityCritical, 20}},
	"pii":              {{keeptrail.SeverityLow, 15}, {keeptrail.SeverityMedium, 60}, {keeptrail.SeverityHigh, 25}},
	"prompt_injection": {{keeptrail.SeverityMedium, 35}, {keeptrail.SeverityHigh, 55}, {keeptrail.SeverityCritical, 10}},
	"toxicity":         {{keeptrail.SeverityLow, 40}, {keeptrail.SeverityMedium, 50}, {keeptrail.SeverityHigh, 10}},
	"data_residency":   {{keeptrail.SeverityMedium, 70}, {keeptrail.SeverityHigh, 30}},
	"cost":             {{keeptrail.SeverityLow, 60}, {keeptrail.SeverityMedium, 40}},
}

func pick[T any](rng *rand.Rand, ws []weighted[T]) T {
	var total float64
	for _, w := range ws {
		total += w.w
	}
	x := rng.Float64() * total
	for _, w := range ws {
		if x < w.w {
			return w.v
		}
		x -= w.w
	}
	return ws[len(ws)-1].v
}

// endUsers are the people and services whose requests the gateways see.
var endFirst = []string{"alex", "bailey", "casey", "devon", "emery", "finley", "harper", "jordan", "kai", "logan",
	"morgan", "parker", "quinn", "riley", "rowan", "sage", "skyler", "taylor", "jamie", "avery"}
var endLast = []string{"adams", "brooks", "carter", "diaz", "evans", "fischer", "garcia", "hughes", "ito", "jensen",
	"khan", "lopez", "murphy", "nguyen", "olsen", "park", "reyes", "silva", "tanaka", "walsh"}

func endUser(rng *rand.Rand, team string) string {
	if rng.IntN(10) == 0 {
		return "svc-" + team + "-assistant"
	}
	x := rng.Float64()
	i := int(x * x * 120) // a few people send most requests
	return endFirst[i%len(endFirst)] + "." + endLast[(i*7+len(team))%len(endLast)] + "@" + orgDomain
}

// eventSource picks the gateway of each event by its traffic share.
type eventSource struct {
	gws     []*gatewayState
	weights []float64
}

func (r *run) eventSource(silent bool) eventSource {
	var es eventSource
	for _, g := range gateways {
		if silent && g.silent {
			continue
		}
		share := 0.0
		for _, t := range teams {
			if t.name == g.team {
				share = t.share * g.share
			}
		}
		es.gws = append(es.gws, r.state[g.name])
		es.weights = append(es.weights, share)
	}
	return es
}

func (es eventSource) pick(rng *rand.Rand) *gatewayState {
	var total float64
	for _, w := range es.weights {
		total += w
	}
	x := rng.Float64() * total
	for i, w := range es.weights {
		if x < w {
			return es.gws[i]
		}
		x -= w
	}
	return es.gws[len(es.gws)-1]
}

// timeLayout writes event times with microseconds.
const timeLayout = "2006-01-02T15:04:05.000000Z07:00"

// ingestEvents generates the n events of the hour starting at h and sends them as the
// gateway fleet.
func (r *run) ingestEvents(ctx context.Context, h time.Time, n int) error {
	if n == 0 {
		return nil
	}
	rng := r.rngEvents
	silent := !h.Before(r.silentDay) && h.Before(r.silentDay.Add(24*time.Hour))
	src := r.eventSource(silent)
	offsets := make([]int64, n)
	for i := range offsets {
		offsets[i] = rng.Int64N(int64(time.Hour / time.Microsecond))
	}
	slices.Sort(offsets)
	var b bytes.Buffer
	b.Grow(n * 360)
	line := make([]byte, 0, 512)
	for _, off := range offsets {
		r.eventSeq++
		line = r.event(line[:0], rng, src, h.Add(time.Duration(off)*time.Microsecond))
		b.Write(line)
	}
	res, err := r.in.Ingest(as(ctx, r.fleet), ingest.KindEvents, &b)
	if err != nil {
		return fmt.Errorf("demo: ingest events: %w", err)
	}
	if res.Rejected > 0 || res.Accepted != n {
		return fmt.Errorf("demo: ingest events: %d of %d accepted, %d duplicates: %v", res.Accepted, n, res.Duplicates, res.Errors)
	}
	r.eventsDone += n
	r.escalations += res.EscalationsOpened
	r.newEscalations += res.EscalationsOpened
	return nil
}

// event appends one decision event line.
func (r *run) event(b []byte, rng *rand.Rand, src eventSource, t time.Time) []byte {
	g := src.pick(rng)
	team := g.spec.team
	if g.spec.shared && rng.IntN(10) < 4 {
		team = teams[rng.IntN(4)].name // the shared gateway serves the product teams too
	}
	var ts *teamSpec
	for i := range teams {
		if teams[i].name == team {
			ts = &teams[i]
		}
	}
	m := models[0]
	x := rng.Float64()
	for _, mm := range models {
		if x < mm.share {
			m = mm
			break
		}
		x -= mm.share
	}
	decision := keeptrail.DecisionAllowed
	severity := keeptrail.SeverityLow
	var category string
	var rules []string
	// A gateway with no active policy detects nothing.
	if g.policies > 0 && rng.IntN(100) < 10 {
		category = pick(rng, ts.categories)
		severity = pick(rng, severityWeights[category])
		switch y := rng.IntN(100); {
		case y < 6:
			decision = keeptrail.DecisionEscalated
		case y < 52:
			decision = keeptrail.DecisionBlocked
		}
		rs := rulesByCategory[category]
		rules = append(rules, rs[rng.IntN(len(rs))])
		if rng.IntN(4) == 0 {
			if r2 := rs[rng.IntN(len(rs))]; r2 != rules[0] {
				rules = append(rules, r2)
			}
		}
	}
	tokensIn := clamp(int64(300*math.Exp(0.8*rng.NormFloat64())), 5, 16000)
	tokensOut := int64(0)
	latency := clamp(int64(15+rng.IntN(65)), 1, 1<<20)
	if decision != keeptrail.DecisionBlocked {
		tokensOut = clamp(int64(200*math.Exp(0.7*rng.NormFloat64())), 1, 4000)
		latency = clamp(int64(m.latencyMS*math.Exp(0.35*rng.NormFloat64()))+int64(5+rng.IntN(35)), 20, 60000)
	}
	cost := float64(tokensIn)/1000*m.inPer1k + float64(tokensOut)/1000*m.outPer1k
	user := endUser(rng, team)

	b = append(b, `{"request_id":"`...)
	b = append(b, "demo"...)
	b = strconv.AppendInt(b, r.opts.Seed, 10)
	b = append(b, '-')
	b = append(b, fmt.Sprintf("%09d", r.eventSeq)...)
	b = append(b, `","time":"`...)
	b = t.AppendFormat(b, timeLayout)
	b = append(b, `","gateway":"`...)
	b = append(b, g.spec.name...)
	b = append(b, `","team":"`...)
	b = append(b, team...)
	b = append(b, `","user":"`...)
	b = append(b, user...)
	b = append(b, `","model":"`...)
	b = append(b, m.name...)
	b = append(b, `","decision":"`...)
	b = append(b, decision...)
	b = append(b, `","severity":"`...)
	b = append(b, severity...)
	b = append(b, `","policies_evaluated":`...)
	b = strconv.AppendInt(b, int64(g.policies), 10)
	if category != "" {
		b = append(b, `,"rules_matched":[`...)
		for i, rule := range rules {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendQuote(b, rule)
		}
		b = append(b, `],"categories":["`...)
		b = append(b, category...)
		b = append(b, `"]`...)
	}
	b = append(b, `,"latency_ms":`...)
	b = strconv.AppendInt(b, latency, 10)
	b = append(b, `,"tokens_in":`...)
	b = strconv.AppendInt(b, tokensIn, 10)
	b = append(b, `,"tokens_out":`...)
	b = strconv.AppendInt(b, tokensOut, 10)
	b = append(b, `,"cost_usd":`...)
	b = strconv.AppendFloat(b, math.Round(cost*1e6)/1e6, 'f', -1, 64)
	b = append(b, "}\n"...)
	return b
}

func clamp(v, lo, hi int64) int64 { return min(max(v, lo), hi) }
