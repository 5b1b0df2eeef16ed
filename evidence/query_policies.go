package evidence

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"

	"github.com/keeptrail/keeptrail"
)

// NoPolicy names, in blocks_by_rule.csv and the report's bars, the rules that no policy
// of the event's team holds (see policyMap.policy).
const NoPolicy = "(no policy)"

// policyMap finds the policy a matched rule belongs to. Gateways name matched rules
// KIND.TERM ("pii.ssn", "secrets.aws_key"); a policy has a kind and a rules document whose
// lists name terms ({"entities": ["ssn", "email"]}). The rule of an event of a team
// belongs to that team's policy of the rule's kind whose rules document lists the term
// (the first by id when several do); failing that, to the team's only policy of that
// kind; failing that, to NoPolicy. Policies are read as they stand when the package is
// generated, active or not.
type policyMap map[int64]map[string][]policyTerms // team -> kind -> policies by id

type policyTerms struct {
	label string
	terms []string
}

// newPolicyMap indexes the policies; teams names the teams for the labels.
func newPolicyMap(pols []keeptrail.Policy, teams map[int64]string) policyMap {
	pols = slices.Clone(pols)
	slices.SortFunc(pols, func(a, b keeptrail.Policy) int { return cmp.Compare(a.ID, b.ID) })
	m := policyMap{}
	for _, p := range pols {
		if m[p.TeamID] == nil {
			m[p.TeamID] = map[string][]policyTerms{}
		}
		label := p.Name
		if t := teams[p.TeamID]; t != "" {
			label += " (" + t + ")"
		}
		m[p.TeamID][p.Kind] = append(m[p.TeamID][p.Kind], policyTerms{label: label, terms: listedTerms(p.Rules)})
	}
	return m
}

// listedTerms returns the strings listed in the arrays of a rules document's top level.
func listedTerms(rules json.RawMessage) []string {
	var doc map[string]any
	if json.Unmarshal(rules, &doc) != nil {
		return nil
	}
	var out []string
	for _, v := range doc {
		if list, ok := v.([]any); ok {
			for _, x := range list {
				if s, ok := x.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// policy returns the label ("name (team)") of the policy of team that holds rule, or
// NoPolicy.
func (m policyMap) policy(team int64, rule string) string {
	kind, term, _ := strings.Cut(rule, ".")
	cands := m[team][kind]
	for _, p := range cands {
		if term != "" && slices.Contains(p.terms, term) {
			return p.label
		}
	}
	if len(cands) == 1 {
		return cands[0].label
	}
	return NoPolicy
}
