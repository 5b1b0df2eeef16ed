package evidence_test

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strconv"
	"testing"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/chart"
	"github.com/keeptrail/keeptrail/evidence"
)

// testPolicyBars checks the report's bars against blocks_by_rule.csv of the same
// package: blocks and escalations by policy, the policies' sums of the file's rows, most
// first.
func testPolicyBars(t *testing.T, fx *packageFixture) {
	fw, _ := evidence.LookupBuiltIn("soc2")
	ev, err := evidence.Collect(fx.ctx, fx.db, evidence.QueryInput{Framework: fw, From: pkgFrom, To: pkgTo,
		Principal: keeptrail.PrincipalFromContext(fx.ctx), AsOf: pkgGeneratedAt}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, ok := ev.File(evidence.FileBlocksByRule)
	if !ok {
		t.Fatal("no blocks_by_rule.csv")
	}
	rows, err := csv.NewReader(bytes.NewReader(f.Data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"rule", "policy", "team", "gateway", "matches", "blocked", "escalated"}; !slices.Equal(rows[0], want) {
		t.Fatalf("header %v, want %v", rows[0], want)
	}
	sums := map[string]chart.Count{}
	var blocked, escalated int64
	for _, r := range rows[1:] {
		b, _ := strconv.ParseInt(r[5], 10, 64)
		e, _ := strconv.ParseInt(r[6], 10, 64)
		m, _ := strconv.ParseInt(r[4], 10, 64)
		if b+e > m {
			t.Errorf("row %v: more blocked and escalated than matches", r)
		}
		c := sums[r[1]]
		c.Name, c.Blocked, c.Escalated = r[1], c.Blocked+b, c.Escalated+e
		sums[r[1]] = c
		blocked += b
		escalated += e
	}
	// The demo's first rows: rules of kind pii in team payments, by which policy lists them.
	for rule, want := range map[string]string{"pii.ssn": "PII redaction (payments)", "pii.credit_card": "Payment card block (payments)",
		"pii.address": evidence.NoPolicy} {
		for _, r := range rows[1:] {
			if r[0] == rule && r[2] == "payments" && r[1] != want {
				t.Errorf("%s in payments is under %q, want %q", rule, r[1], want)
			}
		}
	}
	bars, ok := evidence.ReportCharts(ev.Facts)[1].(chart.Bars)
	if !ok {
		t.Fatalf("the second chart is %T", evidence.ReportCharts(ev.Facts)[1])
	}
	if bars.Title != "Blocks and escalations by policy" || len(bars.Series) != 2 || bars.Series[0].Name != "blocked" ||
		bars.Series[1].Name != "escalated" {
		t.Fatalf("bars %q with series %+v", bars.Title, bars.Series)
	}
	if len(bars.Categories) != chart.MaxBars {
		t.Fatalf("%d bars, want %d (the demo has %d policies with blocks or escalations)", len(bars.Categories), chart.MaxBars, len(sums))
	}
	var gotB, gotE float64
	for i, name := range bars.Categories {
		gotB += bars.Series[0].Values[i]
		gotE += bars.Series[1].Values[i]
		if i == len(bars.Categories)-1 {
			continue // "other (N more)"
		}
		c := sums[name]
		if bars.Series[0].Values[i] != float64(c.Blocked) || bars.Series[1].Values[i] != float64(c.Escalated) {
			t.Errorf("bar %q: %v blocked, %v escalated; the file has %d and %d", name, bars.Series[0].Values[i],
				bars.Series[1].Values[i], c.Blocked, c.Escalated)
		}
		if i > 0 {
			prev := sums[bars.Categories[i-1]]
			if prev.Blocked+prev.Escalated < c.Blocked+c.Escalated {
				t.Errorf("bar %q comes after a smaller one", name)
			}
		}
	}
	if gotB != float64(blocked) || gotE != float64(escalated) {
		t.Errorf("the bars add up to %v blocked, %v escalated; the file to %d and %d", gotB, gotE, blocked, escalated)
	}
	if blocked == 0 || escalated == 0 {
		t.Errorf("the demo matched rules in %d blocked and %d escalated events; the check would hold trivially", blocked, escalated)
	}
}
