package ingest

import (
	"math"

	"github.com/keeptrail/keeptrail"
)

// Bits of the decision event fields, for duplicate and required checks.
const (
	evRequestID uint32 = 1 << iota
	evTime
	evGateway
	evTeam
	evUser
	evModel
	evDecision
	evSeverity
	evPoliciesEvaluated
	evRulesMatched
	evCategories
	evLatency
	evTokensIn
	evTokensOut
	evCost
)

var (
	eventRequired      = []uint32{evRequestID, evTime, evGateway, evTeam, evDecision, evSeverity, evPoliciesEvaluated}
	eventRequiredNames = []string{"request_id", "time", "gateway", "team", "decision", "severity", "policies_evaluated"}
	decisionChoices    = []string{string(keeptrail.DecisionAllowed), string(keeptrail.DecisionBlocked), string(keeptrail.DecisionEscalated)}
	severityChoices    = []string{string(keeptrail.SeverityLow), string(keeptrail.SeverityMedium), string(keeptrail.SeverityHigh), string(keeptrail.SeverityCritical)}
)

// ParseEvent parses one NDJSON line of POST /api/v1/events into a decision event. It is
// strict: unknown and repeated fields, wrong JSON types, missing required fields, values
// outside their enumerations, times that are not RFC 3339, identifiers that are empty,
// longer than 256 bytes or not UTF-8, negative numbers, and anything after the object are
// errors. The error is an EINVALID *keeptrail.Error naming every bad field. Identifiers
// are kept exactly as sent; the time is returned in UTC at microsecond precision.
// GatewayID and TeamID are left zero.
func ParseEvent(line []byte) (keeptrail.DecisionEvent, error) {
	var ev keeptrail.DecisionEvent
	p := newParser(line)
	for p.next() {
		switch string(p.key) {
		case "request_id":
			ev.RequestID, _ = p.text(evRequestID, "request_id", true)
		case "time":
			ev.Time, _ = p.time(evTime, "time")
		case "gateway":
			ev.Gateway, _ = p.text(evGateway, "gateway", true)
		case "team":
			ev.Team, _ = p.text(evTeam, "team", true)
		case "user":
			ev.User, _ = p.text(evUser, "user", false)
		case "model":
			ev.Model, _ = p.text(evModel, "model", false)
		case "decision":
			d, _ := p.enum(evDecision, "decision", decisionChoices)
			ev.Decision = keeptrail.Decision(d)
		case "severity":
			s, _ := p.enum(evSeverity, "severity", severityChoices)
			ev.Severity = keeptrail.Severity(s)
		case "policies_evaluated":
			n, _ := p.integer(evPoliciesEvaluated, "policies_evaluated", maxInt32)
			ev.PoliciesEvaluated = int(n)
		case "rules_matched":
			ev.RulesMatched, _ = p.textList(evRulesMatched, "rules_matched")
		case "categories":
			ev.Categories, _ = p.textList(evCategories, "categories")
		case "latency_ms":
			ev.LatencyMS, _ = p.integer(evLatency, "latency_ms", math.MaxInt64)
		case "tokens_in":
			ev.TokensIn, _ = p.integer(evTokensIn, "tokens_in", math.MaxInt64)
		case "tokens_out":
			ev.TokensOut, _ = p.integer(evTokensOut, "tokens_out", math.MaxInt64)
		case "cost_usd":
			ev.CostUSD, _ = p.number(evCost, "cost_usd", 0, math.MaxFloat64)
		default:
			p.unknown()
		}
	}
	if p.s.err == nil && !p.notObject {
		p.require(eventRequired, eventRequiredNames)
	}
	if err := p.err(); err != nil {
		return keeptrail.DecisionEvent{}, err
	}
	return ev, nil
}
