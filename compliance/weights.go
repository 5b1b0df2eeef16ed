package compliance

import (
	"fmt"

	"github.com/keeptrail/keeptrail"
)

// Weights are the relative weights of the compliance score's components. The score is
// 100 × Σ weight × ratio / Σ weight, so the defaults, which add up to 100, give each
// component its weight in points. Security settings has three parts of its own.
type Weights struct {
	PolicyCoverage        float64 `json:"policy_coverage"`
	EscalationSLA         float64 `json:"escalation_sla"`
	ConfigurationCurrency float64 `json:"configuration_currency"`
	SSO                   float64 `json:"sso"`
	MFA                   float64 `json:"mfa"`
	KeyRotation           float64 `json:"key_rotation"`
	AuditCompleteness     float64 `json:"audit_completeness"`
}

// DefaultWeights are the weights of DESIGN.md: policy coverage 25, escalation SLA
// compliance 25, configuration currency 20, security settings 20 (SSO 5, MFA enrollment
// 10, API key rotation 5) and audit log completeness 10.
func DefaultWeights() Weights {
	return Weights{PolicyCoverage: 25, EscalationSLA: 25, ConfigurationCurrency: 20, SSO: 5, MFA: 10, KeyRotation: 5,
		AuditCompleteness: 10}
}

// Total is the sum of the weights.
func (w Weights) Total() float64 {
	return w.PolicyCoverage + w.EscalationSLA + w.ConfigurationCurrency + w.SSO + w.MFA + w.KeyRotation + w.AuditCompleteness
}

// Fields returns each weight with its field name, prefixed by prefix (e.g. "score.weights.").
func (w Weights) Fields(prefix string) []NamedWeight {
	return []NamedWeight{
		{prefix + "policy_coverage", w.PolicyCoverage},
		{prefix + "escalation_sla", w.EscalationSLA},
		{prefix + "configuration_currency", w.ConfigurationCurrency},
		{prefix + "security_settings.sso", w.SSO},
		{prefix + "security_settings.mfa", w.MFA},
		{prefix + "security_settings.key_rotation", w.KeyRotation},
		{prefix + "audit_completeness", w.AuditCompleteness},
	}
}

// NamedWeight is one weight and the name of its field.
type NamedWeight struct {
	Field string
	Value float64
}

// Validate returns EINVALID naming each negative or non-finite weight (fields prefixed by
// prefix), or saying that all weights are 0.
func (w Weights) Validate(prefix string) error {
	var v keeptrail.Validation
	for _, f := range w.Fields(prefix) {
		if f.Value < 0 || f.Value != f.Value || f.Value > 1e9 {
			v.Add(f.Field, "must be a number from 0 to 1000000000, not %s", formatNumber(f.Value))
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if w.Total() == 0 {
		v.Add(prefix+"*", "at least one weight must be more than 0")
	}
	return v.Err()
}

func formatNumber(f float64) string { return fmt.Sprintf("%g", f) }
