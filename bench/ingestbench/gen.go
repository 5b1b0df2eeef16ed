package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"time"
)

// The organization the events come from: gateway i belongs to team gatewayTeam[i]. IDs in
// the CSV are positions + 1, the IDs a fresh database gives them in order of first sight.
var (
	teams       = []string{"payments", "claims", "support", "research", "platform"}
	gateways    = []string{"gw-eu-1", "gw-eu-2", "gw-us-1", "gw-us-2", "gw-us-3", "gw-ap-1", "gw-claims-1", "gw-claims-2", "gw-support-1", "gw-research-1", "gw-platform-1", "gw-platform-2"}
	gatewayTeam = []int{0, 0, 0, 1, 2, 2, 1, 1, 2, 3, 4, 4}
	models      = []string{"gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "claude-haiku-4", "gemini-2.5-pro", "llama-3.3-70b"}
	modelWeight = []float64{0.30, 0.25, 0.18, 0.12, 0.10, 0.05}
	modelPrice  = []float64{5e-6, 0.3e-6, 3e-6, 0.8e-6, 2.5e-6, 0.6e-6} // USD per token
	rules       = []struct{ rule, category string }{
		{"pii.ssn", "pii"}, {"pii.email", "pii"}, {"pii.credit_card", "pii"}, {"phi.diagnosis", "phi"},
		{"phi.mrn", "phi"}, {"prompt_injection.jailbreak", "prompt_injection"},
		{"prompt_injection.system_override", "prompt_injection"}, {"secrets.api_key", "secrets"},
		{"cost.budget_exceeded", "cost"}, {"toxicity.harassment", "toxicity"},
	}
)

// event is one generated decision event, in the ingest contract's field order.
type event struct {
	RequestID         string   `json:"request_id"`
	Time              string   `json:"time"`
	Gateway           string   `json:"gateway"`
	Team              string   `json:"team"`
	User              string   `json:"user"`
	Model             string   `json:"model"`
	Decision          string   `json:"decision"`
	Severity          string   `json:"severity"`
	PoliciesEvaluated int      `json:"policies_evaluated"`
	RulesMatched      []string `json:"rules_matched"`
	Categories        []string `json:"categories"`
	LatencyMS         int64    `json:"latency_ms"`
	TokensIn          int64    `json:"tokens_in"`
	TokensOut         int64    `json:"tokens_out"`
	CostUSD           float64  `json:"cost_usd"`

	at      time.Time
	gateway int
}

func genCommand(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	n := fs.Int("n", 1_000_000, "number of events")
	seed := fs.Uint64("seed", 1, "random seed")
	ndjsonPath := fs.String("ndjson", "", "NDJSON output file")
	csvPath := fs.String("csv", "", "CSV output file (decision_events columns, id first, no header)")
	hbPath := fs.String("heartbeats", "", "optional NDJSON file of one heartbeat per gateway (registers gateways and teams)")
	from := fs.String("from", "2025-01-01", "first day of the quarter the events fall in")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *ndjsonPath == "" || *csvPath == "" {
		return errors.New("gen: -ndjson and -csv are required")
	}
	start, err := time.Parse(time.DateOnly, *from)
	if err != nil {
		return fmt.Errorf("gen: -from: %w", err)
	}
	if *hbPath != "" {
		if err := writeHeartbeats(*hbPath, start); err != nil {
			return err
		}
	}
	rng := rand.New(rand.NewPCG(*seed, 0x6b65657074726169))
	times := eventTimes(rng, *n, start, start.AddDate(0, 3, 0))

	nf, err := os.Create(*ndjsonPath)
	if err != nil {
		return err
	}
	defer nf.Close()
	cf, err := os.Create(*csvPath)
	if err != nil {
		return err
	}
	defer cf.Close()
	nw := bufio.NewWriterSize(nf, 1<<20)
	cw := csv.NewWriter(bufio.NewWriterSize(cf, 1<<20))
	enc := json.NewEncoder(nw)
	enc.SetEscapeHTML(false)
	row := make([]string, 16)
	for i, at := range times {
		e := newEvent(rng, i, at)
		if err := enc.Encode(&e); err != nil {
			return err
		}
		csvRow(row, int64(i+1), &e)
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	if err := nw.Flush(); err != nil {
		return err
	}
	return errors.Join(nf.Close(), cf.Close())
}

// eventTimes draws n times in [from, to) with a working-day rhythm (quiet nights and
// weekends, a peak late morning), sorted as gateways would send them.
func eventTimes(rng *rand.Rand, n int, from, to time.Time) []time.Time {
	span := to.Sub(from)
	out := make([]time.Time, 0, n)
	for len(out) < n {
		t := from.Add(time.Duration(rng.Int64N(int64(span))))
		if rng.Float64() < activity(t) {
			out = append(out, t.Truncate(time.Millisecond))
		}
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// activity is the relative traffic at t in [0, 1].
func activity(t time.Time) float64 {
	h := float64(t.Hour()) + float64(t.Minute())/60
	day := 0.08 + 0.92*math.Exp(-math.Pow((h-11.5)/3.5, 2))
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		day *= 0.25
	}
	return day
}

func pick(rng *rand.Rand, weights []float64) int {
	x := rng.Float64()
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

func newEvent(rng *rand.Rand, i int, at time.Time) event {
	g := rng.IntN(len(gateways))
	m := pick(rng, modelWeight)
	e := event{
		RequestID:         fmt.Sprintf("req-%08x-%04x-%08d", rng.Uint32(), rng.Uint32()&0xffff, i),
		Time:              at.UTC().Format(time.RFC3339Nano),
		Gateway:           gateways[g],
		Team:              teams[gatewayTeam[g]],
		User:              fmt.Sprintf("user%03d@acme.example", rng.IntN(400)),
		Model:             models[m],
		PoliciesEvaluated: 1 + rng.IntN(8),
		RulesMatched:      []string{},
		Categories:        []string{},
		LatencyMS:         int64(8 + rng.ExpFloat64()*35),
		TokensIn:          int64(40 + rng.ExpFloat64()*700),
		at:                at,
		gateway:           g,
	}
	switch d := rng.Float64(); {
	case d < 0.86:
		e.Decision = "allowed"
		e.Severity = []string{"low", "low", "low", "medium"}[rng.IntN(4)]
		e.TokensOut = int64(20 + rng.ExpFloat64()*400)
	case d < 0.97:
		e.Decision = "blocked"
		e.Severity = []string{"medium", "high", "high", "critical"}[rng.IntN(4)]
	default:
		e.Decision = "escalated"
		e.Severity = []string{"medium", "high", "high", "critical"}[rng.IntN(4)]
	}
	if e.Decision != "allowed" {
		for range 1 + rng.IntN(2) {
			r := rules[rng.IntN(len(rules))]
			if !slices.Contains(e.RulesMatched, r.rule) {
				e.RulesMatched = append(e.RulesMatched, r.rule)
			}
			if !slices.Contains(e.Categories, r.category) {
				e.Categories = append(e.Categories, r.category)
			}
		}
	}
	cost := float64(e.TokensIn+e.TokensOut) * modelPrice[m]
	e.CostUSD = math.Round(cost*1e6) / 1e6
	return e
}

// csvRow fills row with e in the column order of decision_events.
func csvRow(row []string, id int64, e *event) {
	row[0] = strconv.FormatInt(id, 10)
	row[1] = e.RequestID
	row[2] = strconv.FormatInt(e.at.UnixMicro(), 10)
	row[3] = strconv.Itoa(e.gateway + 1)
	row[4] = strconv.Itoa(gatewayTeam[e.gateway] + 1)
	row[5] = e.User
	row[6] = e.Model
	row[7] = e.Decision
	row[8] = e.Severity
	row[9] = strconv.Itoa(e.PoliciesEvaluated)
	row[10] = jsonList(e.RulesMatched)
	row[11] = jsonList(e.Categories)
	row[12] = strconv.FormatInt(e.LatencyMS, 10)
	row[13] = strconv.FormatInt(e.TokensIn, 10)
	row[14] = strconv.FormatInt(e.TokensOut, 10)
	row[15] = strconv.FormatFloat(e.CostUSD, 'g', -1, 64)
}

func jsonList(list []string) string {
	b, _ := json.Marshal(list)
	return string(b)
}

// writeHeartbeats writes one heartbeat per gateway, naming its team, as gateways send
// before their first events.
func writeHeartbeats(path string, at time.Time) error {
	var b []byte
	for i, g := range gateways {
		line, err := json.Marshal(map[string]any{
			"gateway": g, "team": teams[gatewayTeam[i]], "time": at.UTC().Format(time.RFC3339),
			"config_version": 1, "healthy": true, "error_rate": 0.001, "tls_min_version": "1.2",
			"encryption_at_rest": true,
		})
		if err != nil {
			return err
		}
		b = append(append(b, line...), '\n')
	}
	return os.WriteFile(path, b, 0o644)
}
