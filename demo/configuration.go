package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/keeptrail/keeptrail/engine"
)

// Configuration versions of the demo.
const (
	totalVersions = 30
	canary        = "gw-pay-eu-west-1"
)

// unvalidated lists the versions that fail validation, and the gateways each is deployed
// to anyway.
var unvalidated = map[int][]string{
	8:  {canary},
	17: {canary, "gw-support-us-east-1"},
	25: nil, // caught before it shipped
}

// changeSummaries describe the releases, in turn.
var changeSummaries = []string{
	"Tighten PII redaction confidence to 0.85",
	"Add MRN pattern for the new EHR export",
	"Block IBANs in payment prompts",
	"Raise the prompt injection threshold after false positives",
	"Add member ID detection for claims",
	"Route research traffic through the EU residency check",
	"New model allowlist: add gemini-1.5-pro",
	"Escalate PHI in outbound summaries instead of blocking",
	"Lower the token budget for the shared gateway",
	"Add JWT detector to secrets scanning",
	"Toxicity filter: add hate speech category",
	"Quarterly rule review: remove unused patterns",
}

// policyState is a policy as the demo tracks it.
type policyState struct {
	spec     *policySpec
	id       int64
	active   bool
	gateways []string
}

// countPolicies recomputes how many active policies each gateway evaluates.
func (r *run) countPolicies() {
	for _, g := range r.state {
		g.policies = 0
	}
	for _, p := range r.policies {
		if !p.active {
			continue
		}
		for _, name := range p.gateways {
			r.state[name].policies++
		}
	}
}

// configuration is the content of a configuration version: the policies in force.
func (r *run) configuration(k int, valid bool) json.RawMessage {
	type item struct {
		Name  string          `json:"name"`
		Kind  string          `json:"kind"`
		Team  string          `json:"team"`
		Rules json.RawMessage `json:"rules"`
	}
	items := []item{}
	for _, p := range r.policies {
		if p.active {
			items = append(items, item{p.spec.name, p.spec.kind, p.spec.team, json.RawMessage(p.spec.rules)})
		}
	}
	if !valid {
		items = append(items, item{"PII redaction v2", "pii_v2", "payments", json.RawMessage(`{"action":"redact"}`)})
	}
	b, err := json.Marshal(map[string]any{"release": fmt.Sprintf("2025.%d", k), "policies": items})
	if err != nil {
		panic(err)
	}
	return b
}

// planVersion plans configuration version k at t and its rollout.
func (r *run) planVersion(k int, t time.Time, first bool) {
	_, failing := unvalidated[k]
	author := []string{"Priya", "Marcus"}[k%2]
	summary := "Initial policy configuration"
	if !first {
		summary = changeSummaries[(k-2)%len(changeSummaries)]
	}
	if failing {
		summary += " (hotfix)"
	}
	r.timeline.add(t, fmt.Sprintf("create configuration version %d", k), func(ctx context.Context) error {
		cv, err := r.eng.CreateConfigurationVersion(as(ctx, r.memberNamed(author).p), engine.ConfigurationInput{
			ChangeSummary: summary, Content: r.configuration(k, !failing),
		})
		if err != nil {
			return err
		}
		if int(cv.Version) != k || cv.ValidationPassed == failing {
			return fmt.Errorf("version %d created as %d, validation passed %v", k, cv.Version, cv.ValidationPassed)
		}
		r.versions = k
		return nil
	})
	if first {
		return
	}
	if failing {
		for i, gw := range unvalidated[k] {
			r.timeline.add(t.Add(time.Duration(30+10*i)*time.Minute), fmt.Sprintf("deploy unvalidated version %d to %s", k, gw),
				r.deployment(gw, k)).heartbeats = true
		}
		return
	}
	r.timeline.add(t.Add(45*time.Minute), fmt.Sprintf("deploy version %d to the canary", k), r.deployment(canary, k)).heartbeats = true
	next := t.Truncate(24*time.Hour).AddDate(0, 0, 1)
	n := 0
	for _, g := range gateways {
		switch {
		case g.name == canary || (g.frozenAt > 0 && k > g.frozenAt):
			continue
		case g.gitops:
			// It pulls the release itself; its heartbeat reports the new version.
			r.timeline.add(t.Add(3*time.Hour), fmt.Sprintf("%s pulls version %d", g.name, k), func(context.Context) error {
				if s := r.state[g.name]; s.version < k {
					s.version = k
				}
				return nil
			}).heartbeats = true
		default:
			at := next.Add(time.Duration(9-utcOffsetHours)*time.Hour + time.Duration(n*6)*time.Minute)
			r.timeline.add(at, fmt.Sprintf("deploy version %d to %s", k, g.name), r.deployment(g.name, k)).heartbeats = true
			n++
		}
	}
}

// deployment returns the action that deploys version k to a gateway through the release
// pipeline, unless the gateway already runs a newer one.
func (r *run) deployment(gateway string, k int) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		s := r.state[gateway]
		if s.version >= k || r.versions < k {
			return nil
		}
		if _, err := r.eng.Deploy(as(ctx, r.ci), gateway, int64(k)); err != nil {
			return err
		}
		s.version = k
		return nil
	}
}

// planPolicyChanges plans the policy changes of the period: rule updates, deactivations
// (leaving a gateway without an active policy), a reactivation and an assignment change.
func (r *run) planPolicyChanges() {
	updates := []struct {
		f      float64
		policy int
		rules  string
	}{
		{0.04, 0, `{"action":"redact","entities":["ssn","email","phone"],"min_confidence":0.85}`},
		{0.09, 4, `{"action":"escalate","entities":["mrn","dob","diagnosis","accession_number"],"min_confidence":0.75}`},
		{0.16, 12, `{"action":"block","categories":["harassment","hate","self_harm"],"threshold":0.8}`},
		{0.21, 1, `{"action":"block","entities":["credit_card","iban","swift"],"min_confidence":0.9}`},
		{0.27, 17, `{"max_tokens_per_request":12000,"daily_budget_usd":900}`},
		{0.34, 8, `{"action":"escalate","entities":["mrn","member_id","diagnosis","npi"],"min_confidence":0.8}`},
		{0.43, 6, `{"action":"block","threshold":0.9}`},
		{0.49, 19, `{"allow":["gpt-4o","gpt-4o-mini","claude-3-5-sonnet","llama-3.1-70b"]}`},
		{0.56, 13, `{"action":"block","threshold":0.85}`},
		{0.64, 9, `{"action":"redact","entities":["ssn","address","phone","email"],"min_confidence":0.8}`},
		{0.72, 16, `{"action":"block","detectors":["aws_key","private_key","api_token","jwt","gcp_key"]}`},
		{0.86, 2, `{"action":"block","detectors":["aws_key","private_key","api_token","stripe_key"]}`},
	}
	for i, u := range updates {
		r.timeline.add(r.at(r.dayOf(u.f), 11, 5+i*3), "update policy rules", func(ctx context.Context) error {
			p := r.policies[u.policy]
			_, err := r.eng.UpdatePolicy(as(ctx, r.policyAuthor(p.spec.team)), p.id, engine.PolicyInput{Rules: json.RawMessage(u.rules)})
			return err
		})
	}
	setActive := func(f float64, policy int, active bool) {
		r.timeline.add(r.at(r.dayOf(f), 15, 20), "change whether a policy is active", func(ctx context.Context) error {
			p := r.policies[policy]
			if _, err := r.eng.SetPolicyActive(as(ctx, r.policyAuthor(p.spec.team)), p.id, active); err != nil {
				return err
			}
			p.active = active
			r.countPolicies()
			return nil
		})
	}
	setActive(0.30, 10, false) // claims cost guardrail paused during a budget review
	setActive(0.45, 14, false) // research gateway left without an active policy
	setActive(0.50, 10, true)
	r.timeline.add(r.at(r.dayOf(0.35), 14, 40), "narrow a policy assignment", func(ctx context.Context) error {
		p := r.policies[3]
		gws := []string{"gw-pay-us-east-1"}
		if _, err := r.eng.AssignPolicy(as(ctx, r.policyAuthor(p.spec.team)), p.id, gws); err != nil {
			return err
		}
		p.gateways = gws
		r.countPolicies()
		return nil
	})
}

// planVersions plans configuration versions 2..30 over the period.
func (r *run) planVersions() {
	span := max(r.days-2, 0)
	var last time.Time
	for k := 2; k <= totalVersions; k++ {
		day := (k - 2) * span / (totalVersions - 2)
		t := r.at(day, 10, 0).Add(time.Duration(r.rngOps.IntN(6*60)) * time.Minute)
		if !t.After(last) { // versions are numbered in the order they are made
			t = last.Add(time.Duration(20+r.rngOps.IntN(40)) * time.Minute)
		}
		last = t
		r.planVersion(k, t, false)
	}
}
