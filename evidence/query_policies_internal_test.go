package evidence

import (
	"encoding/json"
	"testing"

	"github.com/keeptrail/keeptrail"
)

func TestPolicyOfRule(t *testing.T) {
	pol := func(id, team int64, name, kind, rules string) keeptrail.Policy {
		return keeptrail.Policy{ID: id, TeamID: team, Name: name, Kind: kind, Rules: json.RawMessage(rules)}
	}
	m := newPolicyMap([]keeptrail.Policy{
		pol(4, 1, "Payment card block", "pii", `{"action":"block","entities":["credit_card","iban"]}`),
		pol(2, 1, "PII redaction", "pii", `{"action":"redact","entities":["ssn","email"],"min_confidence":0.8}`),
		pol(3, 1, "PII redaction again", "pii", `{"entities":["ssn"]}`),
		pol(5, 1, "Injection guard", "prompt_injection", `{"action":"block","threshold":0.85}`),
		pol(6, 2, "Secrets scanning", "secrets", `{"detectors":["aws_key"]}`),
		pol(7, 2, "Broken", "cost", `not json`),
	}, map[int64]string{1: "payments", 2: "platform"})
	tests := []struct {
		team int64
		rule string
		want string
	}{
		{1, "pii.ssn", "PII redaction (payments)"}, // listed by two: the first by id
		{1, "pii.iban", "Payment card block (payments)"},
		{1, "pii.address", NoPolicy},                                    // two pii policies, neither lists it
		{1, "prompt_injection.jailbreak", "Injection guard (payments)"}, // the team's only policy of the kind
		{1, "prompt_injection", "Injection guard (payments)"},
		{1, "secrets.aws_key", NoPolicy}, // another team's policy
		{2, "secrets.private_key", "Secrets scanning (platform)"},
		{2, "cost.token_budget", "Broken (platform)"},
		{3, "pii.ssn", NoPolicy},
		{1, "", NoPolicy},
	}
	for _, tt := range tests {
		if got := m.policy(tt.team, tt.rule); got != tt.want {
			t.Errorf("team %d rule %q: %q, want %q", tt.team, tt.rule, got, tt.want)
		}
	}
}
