package compliance

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Score is the compliance score of a period and scope: 0 to 100, one decimal, with each
// component's ratio, weight, points and the counts behind it, and the changes that would
// raise it most.
type Score struct {
	Period Period    `json:"period"`
	At     time.Time `json:"at"` // when the state measures were taken: the period's end, or now
	Teams  []string  `json:"teams"`
	Score  float64   `json:"score"`
	// Components are policy_coverage, escalation_sla, configuration_currency,
	// security_settings (with parts sso, mfa and key_rotation) and audit_completeness.
	Components   []Component   `json:"components"`
	Improvements []Improvement `json:"improvements"`
}

// Component is one term of the score. Weight is as configured; MaxPoints is the weight
// scaled so that all weights add up to 100; Points = MaxPoints × Ratio.
type Component struct {
	Name      string           `json:"name"`
	Weight    float64          `json:"weight"`
	MaxPoints float64          `json:"max_points"`
	Ratio     float64          `json:"ratio"`
	Points    float64          `json:"points"`
	Counts    map[string]int64 `json:"counts"`
	Note      string           `json:"note,omitempty"`
	Parts     []Component      `json:"parts,omitempty"`
}

// Improvement is a change that would raise the score, and by how much: Gain is ScoreAfter
// minus the score, both as shown (one decimal).
type Improvement struct {
	Change     string  `json:"change"`
	Component  string  `json:"component"`
	Gain       float64 `json:"gain"`
	ScoreAfter float64 `json:"score_after"`
	exact      float64 // the unrounded score after the change, for ranking
}

// Component names.
const (
	PolicyCoverage        = "policy_coverage"
	EscalationSLA         = "escalation_sla"
	ConfigurationCurrency = "configuration_currency"
	SecuritySettings      = "security_settings"
	SSO                   = "sso"
	MFA                   = "mfa"
	KeyRotation           = "key_rotation"
	AuditCompleteness     = "audit_completeness"
)

// tallies are the counts the score is a function of.
type tallies struct {
	gateways, covered, current int64
	due, met                   int64
	sso                        bool
	users, mfa                 int64
	keys, rotated              int64
	intact                     bool
	hours, complete            int64
}

// share is n/of, or 1 when of is 0: with nothing to measure, nothing is missing.
func share(n, of int64) float64 {
	if of == 0 {
		return 1
	}
	return float64(n) / float64(of)
}

func boolRatio(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func boolCount(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// ratios returns the ratio of each weighted term, in the order of Weights.Fields.
func (t tallies) ratios() [7]float64 {
	audit := 0.0
	if t.intact {
		audit = share(t.complete, t.hours)
	}
	return [7]float64{share(t.covered, t.gateways), share(t.met, t.due), share(t.current, t.gateways),
		boolRatio(t.sso), share(t.mfa, t.users), share(t.rotated, t.keys), audit}
}

func weightList(w Weights) [7]float64 {
	return [7]float64{w.PolicyCoverage, w.EscalationSLA, w.ConfigurationCurrency, w.SSO, w.MFA, w.KeyRotation, w.AuditCompleteness}
}

// exact is the unrounded score: 100 × Σ weight × ratio / Σ weight.
func (t tallies) exact(w Weights) float64 {
	r, ws := t.ratios(), weightList(w)
	sum := 0.0
	for i := range r {
		sum += ws[i] * r[i]
	}
	return 100 * sum / w.Total()
}

// components breaks the score down.
func (t tallies) components(w Weights, rotationDays int, firstBad int64) []Component {
	r, ws := t.ratios(), weightList(w)
	total := w.Total()
	c := func(i int, name string, counts map[string]int64, note string) Component {
		maxPoints := 100 * ws[i] / total
		return Component{Name: name, Weight: ws[i], MaxPoints: round(maxPoints, 2), Ratio: round(r[i], 4),
			Points: round(maxPoints*r[i], 2), Counts: counts, Note: note}
	}
	empty := func(of int64, what string) string {
		if of == 0 {
			return "no " + what + ": counted as 1"
		}
		return ""
	}
	sso := c(3, SSO, map[string]int64{"configured": boolCount(t.sso)}, "")
	mfa := c(4, MFA, map[string]int64{"enrolled_users": t.mfa, "active_users": t.users}, empty(t.users, "active users"))
	keys := c(5, KeyRotation, map[string]int64{"rotated_keys": t.rotated, "active_keys": t.keys, "rotation_days": int64(rotationDays)},
		empty(t.keys, "active API keys"))
	secWeight := ws[3] + ws[4] + ws[5]
	security := Component{Name: SecuritySettings, Weight: secWeight, MaxPoints: round(100*secWeight/total, 2),
		Counts: map[string]int64{}, Parts: []Component{sso, mfa, keys}}
	if secWeight > 0 {
		security.Ratio = round((ws[3]*r[3]+ws[4]*r[4]+ws[5]*r[5])/secWeight, 4)
	}
	security.Points = round(100*(ws[3]*r[3]+ws[4]*r[4]+ws[5]*r[5])/total, 2)
	auditNote := empty(t.hours, "closed hours in the period")
	if !t.intact {
		auditNote = fmt.Sprintf("the audit log's hash chain is broken at seq %d: counted as 0", firstBad)
	}
	return []Component{
		c(0, PolicyCoverage, map[string]int64{"covered_gateways": t.covered, "active_gateways": t.gateways}, empty(t.gateways, "active gateways")),
		c(1, EscalationSLA, map[string]int64{"met": t.met, "due": t.due, "breached": t.due - t.met}, empty(t.due, "escalations fell due")),
		c(2, ConfigurationCurrency, map[string]int64{"current_gateways": t.current, "active_gateways": t.gateways}, empty(t.gateways, "active gateways")),
		security,
		c(6, AuditCompleteness, map[string]int64{"chain_intact": boolCount(t.intact), "first_bad_seq": firstBad,
			"complete_hours": t.complete, "hours": t.hours}, auditNote),
	}
}

// scoreFacts are the tallies and the items behind them that a change can fix.
type scoreFacts struct {
	tallies
	rotationDays int
	firstBadSeq  int64
	uncovered    []string // gateways without an active policy
	behind       []behindGateway
	withoutMFA   []string // active users
	staleKeys    []string // "prefix (name)"
	soleMissing  []missingGateway
}

type behindGateway struct {
	name   string
	latest int64
}

type missingGateway struct {
	name  string
	hours int64 // hours in which it alone did not report
}

// buildScore computes the score and the three changes that would raise it most.
func buildScore(f scoreFacts, w Weights) (float64, []Component, []Improvement) {
	before := f.exact(w)
	shown := round(before, 1)
	var cands []Improvement
	try := func(component, change string, mod func(*tallies)) {
		t := f.tallies
		mod(&t)
		after := t.exact(w)
		if after-before <= 1e-9 {
			return
		}
		cands = append(cands, Improvement{Change: change, Component: component, ScoreAfter: round(after, 1),
			Gain: round(round(after, 1)-shown, 1), exact: after})
	}
	for _, g := range f.uncovered {
		try(PolicyCoverage, "assign an active policy to "+g, func(t *tallies) { t.covered++ })
	}
	for _, g := range f.behind {
		try(ConfigurationCurrency, fmt.Sprintf("deploy configuration version %d to %s", g.latest, g.name), func(t *tallies) { t.current++ })
	}
	if !f.sso {
		try(SecuritySettings, "configure single sign-on", func(t *tallies) { t.sso = true })
	}
	for _, u := range f.withoutMFA {
		try(SecuritySettings, "enroll "+u+" in MFA", func(t *tallies) { t.mfa++ })
	}
	for _, k := range f.staleKeys {
		try(SecuritySettings, "rotate API key "+k, func(t *tallies) { t.rotated++ })
	}
	if !f.intact {
		try(AuditCompleteness, fmt.Sprintf("restore the audit log so that its hash chain verifies (it breaks at seq %d)", f.firstBadSeq),
			func(t *tallies) { t.intact = true })
	}
	for _, m := range f.soleMissing {
		try(AuditCompleteness, fmt.Sprintf("keep %s reporting every hour (it alone was silent in %d of %d hours)", m.name, m.hours, f.hours),
			func(t *tallies) { t.complete += m.hours })
	}
	slices.SortStableFunc(cands, func(a, b Improvement) int {
		return cmp.Or(cmp.Compare(b.exact, a.exact), cmp.Compare(a.Change, b.Change))
	})
	if len(cands) > 3 {
		cands = cands[:3]
	}
	if cands == nil {
		cands = []Improvement{}
	}
	return shown, f.components(w, f.rotationDays, f.firstBadSeq), cands
}
