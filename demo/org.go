package demo

import (
	"github.com/keeptrail/keeptrail"
)

// The demo organization: a health-care company whose teams use AI through gateways.
const (
	orgName   = "Acme Health"
	orgDomain = "acme-health.example"
	orgZone   = "America/New_York"
	// utcOffset is the organization's working-day offset from UTC (Eastern standard time),
	// used for the daily rhythm.
	utcOffsetHours = -5
	// adminEmail is the demo administrator returned in the Summary.
	adminEmail = "admin@" + orgDomain
	breakGlass = "breakglass@" + orgDomain
)

// teamSpec is a team and what its traffic looks like.
type teamSpec struct {
	name string
	// detection categories of its traffic and their weights
	categories []weighted[string]
	// share of all traffic
	share float64
}

type weighted[T any] struct {
	v T
	w float64
}

var teams = []teamSpec{
	{"payments", []weighted[string]{{"pii", 6}, {"secrets", 2}, {"prompt_injection", 1}}, 0.22},
	{"radiology", []weighted[string]{{"phi", 8}, {"pii", 2}, {"prompt_injection", 1}}, 0.18},
	{"claims", []weighted[string]{{"phi", 5}, {"pii", 4}, {"cost", 1}}, 0.20},
	{"customer-support", []weighted[string]{{"pii", 5}, {"toxicity", 3}, {"prompt_injection", 2}}, 0.24},
	{"research", []weighted[string]{{"prompt_injection", 4}, {"data_residency", 2}, {"secrets", 1}}, 0.06},
	{"platform", []weighted[string]{{"secrets", 3}, {"prompt_injection", 2}, {"cost", 2}}, 0.10},
}

// gatewaySpec is one gateway and the way it behaves over the period.
type gatewaySpec struct {
	name string
	team string
	// share of its team's traffic
	share float64
	tls   string
	// encryption at rest
	encrypted bool
	// base error rate
	errorRate float64
	// frozenAt is the last configuration version it takes (0: it follows every release):
	// it ends the period on an outdated version.
	frozenAt int
	// gitops gateways pull new versions themselves: the deployment is seen in a heartbeat.
	gitops bool
	// silent gateways stop reporting for one whole day.
	silent bool
	// serves other teams' traffic too
	shared bool
}

var gateways = []gatewaySpec{
	{name: "gw-pay-us-east-1", team: "payments", share: 0.7, tls: "1.3", encrypted: true, errorRate: 0.002},
	{name: "gw-pay-eu-west-1", team: "payments", share: 0.3, tls: "1.2", encrypted: true, errorRate: 0.003},
	{name: "gw-rad-us-east-1", team: "radiology", share: 0.6, tls: "1.3", encrypted: true, errorRate: 0.002},
	{name: "gw-rad-us-west-2", team: "radiology", share: 0.4, tls: "1.2", encrypted: true, errorRate: 0.004},
	{name: "gw-claims-us-east-1", team: "claims", share: 0.65, tls: "1.2", encrypted: true, errorRate: 0.003},
	{name: "gw-claims-us-central-1", team: "claims", share: 0.35, tls: "1.2", encrypted: true, errorRate: 0.005, frozenAt: 27},
	{name: "gw-support-us-east-1", team: "customer-support", share: 0.75, tls: "1.3", encrypted: true, errorRate: 0.003},
	{name: "gw-support-eu-west-1", team: "customer-support", share: 0.25, tls: "1.1", encrypted: true, errorRate: 0.006, frozenAt: 21},
	{name: "gw-research-us-west-2", team: "research", share: 0.8, tls: "1.2", encrypted: true, errorRate: 0.004},
	{name: "gw-research-lab-1", team: "research", share: 0.2, tls: "1.0", encrypted: false, errorRate: 0.012, frozenAt: 4},
	{name: "gw-platform-shared-1", team: "platform", share: 0.7, tls: "1.3", encrypted: true, errorRate: 0.002, gitops: true, shared: true},
	{name: "gw-platform-ap-southeast-1", team: "platform", share: 0.3, tls: "1.2", encrypted: true, errorRate: 0.003, silent: true},
}

// policySpec is one policy and the gateways it is assigned to at the start.
type policySpec struct {
	name, kind, team string
	gateways         []string
	rules            string
}

var policies = []policySpec{
	{"PII redaction", "pii", "payments", []string{"gw-pay-us-east-1", "gw-pay-eu-west-1"}, `{"action":"redact","entities":["ssn","email","phone"],"min_confidence":0.8}`},
	{"Payment card block", "pii", "payments", []string{"gw-pay-us-east-1", "gw-pay-eu-west-1"}, `{"action":"block","entities":["credit_card","iban"],"min_confidence":0.9}`},
	{"Secrets scanning", "secrets", "payments", []string{"gw-pay-us-east-1", "gw-pay-eu-west-1"}, `{"action":"block","detectors":["aws_key","private_key","api_token"]}`},
	{"Model allowlist", "model_allowlist", "payments", []string{"gw-pay-us-east-1", "gw-pay-eu-west-1"}, `{"allow":["gpt-4o","gpt-4o-mini","claude-3-5-sonnet"]}`},
	{"PHI detection", "phi", "radiology", []string{"gw-rad-us-east-1", "gw-rad-us-west-2"}, `{"action":"escalate","entities":["mrn","dob","diagnosis"],"min_confidence":0.75}`},
	{"PHI export block", "phi", "radiology", []string{"gw-rad-us-east-1", "gw-rad-us-west-2"}, `{"action":"block","entities":["mrn","image_id"],"destinations":["external"]}`},
	{"Prompt injection guard", "prompt_injection", "radiology", []string{"gw-rad-us-east-1", "gw-rad-us-west-2"}, `{"action":"block","threshold":0.85}`},
	{"US data residency", "data_residency", "radiology", []string{"gw-rad-us-east-1", "gw-rad-us-west-2"}, `{"regions":["us-east-1","us-west-2"]}`},
	{"PHI detection", "phi", "claims", []string{"gw-claims-us-east-1", "gw-claims-us-central-1"}, `{"action":"escalate","entities":["mrn","member_id","diagnosis"],"min_confidence":0.8}`},
	{"PII redaction", "pii", "claims", []string{"gw-claims-us-east-1", "gw-claims-us-central-1"}, `{"action":"redact","entities":["ssn","address","phone"],"min_confidence":0.8}`},
	{"Cost guardrail", "cost", "claims", []string{"gw-claims-us-east-1", "gw-claims-us-central-1"}, `{"max_tokens_per_request":8000,"monthly_budget_usd":4000}`},
	{"PII redaction", "pii", "customer-support", []string{"gw-support-us-east-1", "gw-support-eu-west-1"}, `{"action":"redact","entities":["email","phone","address"],"min_confidence":0.7}`},
	{"Toxicity filter", "toxicity", "customer-support", []string{"gw-support-us-east-1", "gw-support-eu-west-1"}, `{"action":"block","categories":["harassment","hate"],"threshold":0.8}`},
	{"Prompt injection guard", "prompt_injection", "customer-support", []string{"gw-support-us-east-1", "gw-support-eu-west-1"}, `{"action":"block","threshold":0.8}`},
	{"Prompt injection guard", "prompt_injection", "research", []string{"gw-research-us-west-2"}, `{"action":"log","threshold":0.9}`},
	{"Secrets scanning", "secrets", "research", nil, `{"action":"block","detectors":["aws_key","private_key"]}`},
	{"Secrets scanning", "secrets", "platform", []string{"gw-platform-shared-1", "gw-platform-ap-southeast-1"}, `{"action":"block","detectors":["aws_key","private_key","api_token","jwt"]}`},
	{"Token budget", "cost", "platform", []string{"gw-platform-shared-1", "gw-platform-ap-southeast-1"}, `{"max_tokens_per_request":16000,"daily_budget_usd":900}`},
	{"Prompt injection guard", "prompt_injection", "platform", []string{"gw-platform-shared-1", "gw-platform-ap-southeast-1"}, `{"action":"block","threshold":0.85}`},
	{"Model allowlist", "model_allowlist", "platform", []string{"gw-platform-shared-1", "gw-platform-ap-southeast-1"}, `{"allow":["gpt-4o","gpt-4o-mini","claude-3-5-sonnet","llama-3.1-70b","gemini-1.5-pro"]}`},
}

// person is a console user of the organization.
type person struct {
	first, last string
	role        keeptrail.Role
	teams       []string
	mfa         bool
	// password users sign in with a local password; the rest use single sign-on.
	password bool
}

var people = []person{
	{"Dana", "Whitfield", keeptrail.RoleAdmin, nil, true, true},
	{"Sam", "Okafor", keeptrail.RoleAdmin, nil, false, true}, // break-glass account
	{"Priya", "Raman", keeptrail.RoleComplianceOfficer, nil, true, false},
	{"Marcus", "Lindqvist", keeptrail.RoleComplianceOfficer, nil, true, false},
	{"Helen", "Achterberg", keeptrail.RoleAuditor, nil, true, false},
	{"Tomás", "Ferreira", keeptrail.RoleAuditor, nil, false, false},
	{"Grace", "Nakamura", keeptrail.RoleTeamAdmin, []string{"payments"}, true, false},
	{"Omar", "Haddad", keeptrail.RoleTeamAdmin, []string{"radiology"}, true, false},
	{"Lena", "Kowalski", keeptrail.RoleTeamAdmin, []string{"claims"}, false, false},
	{"Diego", "Santos", keeptrail.RoleTeamAdmin, []string{"customer-support"}, true, false},
	{"Ines", "Moreau", keeptrail.RoleTeamAdmin, []string{"research"}, false, false},
	{"Kwame", "Mensah", keeptrail.RoleTeamAdmin, []string{"platform"}, true, false},
	{"Aisha", "Bello", keeptrail.RoleViewer, []string{"payments"}, true, false},
	{"Jonas", "Berg", keeptrail.RoleViewer, []string{"payments", "claims"}, false, false},
	{"Mei", "Chen", keeptrail.RoleViewer, []string{"radiology"}, true, false},
	{"Rafael", "Ortiz", keeptrail.RoleViewer, []string{"radiology"}, false, false},
	{"Sofia", "Rossi", keeptrail.RoleViewer, []string{"claims"}, true, false},
	{"Yusuf", "Demir", keeptrail.RoleViewer, []string{"customer-support"}, true, false},
	{"Hannah", "Schmidt", keeptrail.RoleViewer, []string{"customer-support"}, false, false},
	{"Arjun", "Patel", keeptrail.RoleViewer, []string{"research"}, true, false},
	{"Chloe", "Dubois", keeptrail.RoleViewer, []string{"research", "platform"}, false, false},
	{"Noah", "Williams", keeptrail.RoleViewer, []string{"platform"}, true, false},
	{"Elif", "Yilmaz", keeptrail.RoleViewer, nil, false, false},
	{"Peter", "Novak", keeptrail.RoleViewer, []string{"claims"}, true, false},
}

// newHires join during the period (provisioned by the identity provider).
var newHires = []person{
	{"Zara", "Ahmed", keeptrail.RoleViewer, []string{"payments"}, true, false},
	{"Lucas", "Meyer", keeptrail.RoleViewer, []string{"radiology"}, false, false},
	{"Nia", "Johnson", keeptrail.RoleComplianceOfficer, nil, true, false},
}

// models are the models the gateways route to, with their share and price per 1k tokens.
var models = []struct {
	name      string
	share     float64
	inPer1k   float64
	outPer1k  float64
	latencyMS float64
}{
	{"gpt-4o", 0.34, 0.0025, 0.010, 900},
	{"gpt-4o-mini", 0.26, 0.00015, 0.0006, 450},
	{"claude-3-5-sonnet", 0.20, 0.003, 0.015, 1100},
	{"llama-3.1-70b", 0.10, 0.0009, 0.0009, 700},
	{"gemini-1.5-pro", 0.10, 0.00125, 0.005, 1000},
}

// rulesByCategory are the rules a detection of each category matches.
var rulesByCategory = map[string][]string{
	"pii":              {"pii.ssn", "pii.email", "pii.phone", "pii.credit_card", "pii.address"},
	"phi":              {"phi.mrn", "phi.dob", "phi.diagnosis", "phi.member_id"},
	"secrets":          {"secrets.aws_key", "secrets.private_key", "secrets.api_token"},
	"prompt_injection": {"prompt_injection.jailbreak", "prompt_injection.system_override"},
	"toxicity":         {"toxicity.harassment", "toxicity.hate"},
	"data_residency":   {"data_residency.region"},
	"cost":             {"cost.token_budget"},
}
