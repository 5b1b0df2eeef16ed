package evidence

import (
	"slices"

	"github.com/keeptrail/keeptrail"
)

// Source names one kind of evidence a framework section draws on. The list is closed:
// each source is data Keeptrail holds (see SourceInfo.Reads), and a template that names
// any other is rejected.
type Source string

// Evidence sources. Those named audit_log.* are slices of the audit log by category;
// events.* summarise decision events; escalations.*, configurations.*, gateways.* and
// access.* read those entities; the rest are computed views.
const (
	SourceAuditLogComplete       Source = "audit_log.complete"
	SourceAuditLogAuthentication Source = "audit_log.authentication"
	SourceAuditLogAuthorization  Source = "audit_log.authorization"
	SourceAuditLogSecurity       Source = "audit_log.security"
	SourceAuditLogConfiguration  Source = "audit_log.configuration"
	SourceAuditLogEscalation     Source = "audit_log.escalation"
	SourceAuditLogFinancial      Source = "audit_log.financial"
	SourceAuditLogExport         Source = "audit_log.export"
	SourceEventsSummary          Source = "events.summary"
	SourceEventsBlocksByRule     Source = "events.blocks_by_rule"
	SourceEventsPHIDetections    Source = "events.phi_detections"
	SourceEscalationsHistory     Source = "escalations.history"
	SourceEscalationsSLA         Source = "escalations.sla"
	SourceConfigurationsChanges  Source = "configurations.changelog"
	SourceConfigurationsValid    Source = "configurations.validation"
	SourceConfigurationsDeploys  Source = "configurations.deployments"
	SourceGatewaysHealth         Source = "gateways.health"
	SourceGatewaysTLS            Source = "gateways.tls"
	SourceAlertingRules          Source = "alerting_rules"
	SourceAccessRBAC             Source = "access.rbac"
	SourceAccessMFASSO           Source = "access.mfa_sso"
	SourceAccessDeprovisioning   Source = "access.deprovisioning"
	SourceAccessAPIKeys          Source = "access.api_keys"
	SourcePolicyComplianceStatus Source = "policy_compliance_status"
	SourceComplianceScore        Source = "compliance_score"
	SourceSpend                  Source = "spend"
)

// Package sections (the include list of an export spec, export.Section) that sources
// read from. A source with no section is a snapshot of current state taken when the
// package is generated.
const (
	sectionAuditLog      = "audit_log"
	sectionEvents        = "events_summary"
	sectionEscalations   = "escalation_report"
	sectionConfiguration = "configuration_changelog"
	sectionPolicyStatus  = "policy_compliance_status"
)

// SourceInfo documents one evidence source: what it is and which data it reads.
type SourceInfo struct {
	Name Source `json:"name"`
	// Title is a short display name.
	Title string `json:"title"`
	// Reads says which rows or state the source reads, in the product's words.
	Reads string `json:"reads"`
	// Section is the package section (export spec include name) whose evidence file
	// carries the source, or "" for a snapshot of current state.
	Section string `json:"section,omitempty"`
	// Categories are the audit log categories an audit_log.* source selects; empty for
	// audit_log.complete (every category) and for other sources.
	Categories []string `json:"categories,omitempty"`
	// Period is true when the source reads records of the audit period, false when it is
	// state as of the time the package is generated.
	Period bool `json:"period"`
}

// sourceCatalogue is the closed list, in the order a package reads them.
var sourceCatalogue = []SourceInfo{
	{Name: SourceAuditLogComplete, Title: "Complete audit log", Section: sectionAuditLog, Period: true,
		Reads: "every audit entry of the period with actor, action, target, time and outcome, the first and last sequence number, and the result of the hash chain check"},
	{Name: SourceAuditLogAuthentication, Title: "Authentication events", Section: sectionAuditLog, Period: true,
		Categories: []string{keeptrail.CategoryAuthentication},
		Reads:      "audit entries of category authentication: sign-ins, failed sign-ins, sign-outs, session revocations, MFA challenges and rejected API keys"},
	{Name: SourceAuditLogAuthorization, Title: "Authorization events", Section: sectionAuditLog, Period: true,
		Categories: []string{keeptrail.CategoryAuthorization},
		Reads:      "audit entries of category authorization: users created and deprovisioned, role changes and team membership updates"},
	{Name: SourceAuditLogSecurity, Title: "Security events", Section: sectionAuditLog, Period: true,
		Categories: []string{keeptrail.CategorySecurity},
		Reads:      "audit entries of category security: API keys created, rotated and revoked, SSO, MFA and other security setting changes"},
	{Name: SourceAuditLogConfiguration, Title: "Configuration changes", Section: sectionAuditLog, Period: true,
		Categories: []string{keeptrail.CategoryConfiguration},
		Reads:      "audit entries of category configuration: policy updates, configuration versions, gateway deployments, alerting rule and framework template changes"},
	{Name: SourceAuditLogEscalation, Title: "Escalation actions", Section: sectionAuditLog, Period: true,
		Categories: []string{keeptrail.CategoryEscalation},
		Reads:      "audit entries of category escalation: escalations claimed, reassigned, resolved and expired"},
	{Name: SourceAuditLogFinancial, Title: "Financial events", Section: sectionAuditLog, Period: true,
		Categories: []string{keeptrail.CategoryFinancial},
		Reads:      "audit entries of category financial: wallet allocations, top-ups and cost ticket decisions"},
	{Name: SourceAuditLogExport, Title: "Exports and downloads", Section: sectionAuditLog, Period: true,
		Categories: []string{keeptrail.CategoryExport},
		Reads:      "audit entries of category export: exports and packages requested, downloaded or refused"},
	{Name: SourceEventsSummary, Title: "Decision events summary", Section: sectionEvents, Period: true,
		Reads: "decision events of the period counted by day, decision (allowed, blocked, escalated), severity, team and gateway"},
	{Name: SourceEventsBlocksByRule, Title: "Blocks and escalations by rule", Section: sectionEvents, Period: true,
		Reads: "decision events of the period that matched each policy rule, and of those the blocked and the escalated ones, by team, gateway and the policy that holds the rule"},
	{Name: SourceEventsPHIDetections, Title: "PHI detections", Section: sectionEvents, Period: true,
		Reads: "decision events of the period whose detection categories include phi, counted by decision, gateway and rule"},
	{Name: SourceEscalationsHistory, Title: "Escalation history", Section: sectionEscalations, Period: true,
		Reads: "escalations opened in the period with severity, status, assignee, outcome and each action (claim, reassign, resolve, expire)"},
	{Name: SourceEscalationsSLA, Title: "Escalation SLA metrics", Section: sectionEscalations, Period: true,
		Reads: "escalations due in the period resolved within and past their SLA, open and overdue ones, and resolution times by severity"},
	{Name: SourceConfigurationsChanges, Title: "Configuration changelog", Section: sectionConfiguration, Period: true,
		Reads: "configuration versions created in the period with author, time and change summary, and the deployments to gateways"},
	{Name: SourceConfigurationsValid, Title: "Configuration validation", Section: sectionConfiguration, Period: true,
		Reads: "the validation result and output of each configuration version, and deployments of versions that did not pass validation"},
	{Name: SourceConfigurationsDeploys, Title: "Deployment records", Section: sectionConfiguration, Period: true,
		Reads: "which gateway ran which configuration version from when, who deployed it and whether by API or heartbeat"},
	{Name: SourceGatewaysHealth, Title: "Gateway health", Period: true,
		Reads: "gateway heartbeats: health, error-rate trend, last heartbeat and the hours in which a gateway did not report"},
	{Name: SourceGatewaysTLS, Title: "Gateway TLS and encryption at rest",
		Reads: "each gateway's minimum TLS version and encryption-at-rest flag as last reported"},
	{Name: SourceAlertingRules, Title: "Alerting rules",
		Reads: "the alerting rules in force: metric, condition, channel, enabled, and when each was last changed"},
	{Name: SourceAccessRBAC, Title: "Roles and team memberships",
		Reads: "users and API keys with their role and team memberships"},
	{Name: SourceAccessMFASSO, Title: "SSO and MFA enrolment",
		Reads: "the SSO and MFA settings and each active user's SSO and MFA enrolment"},
	{Name: SourceAccessDeprovisioning, Title: "Deprovisioning", Period: true,
		Reads: "users deprovisioned (SCIM) with the time, the API keys revoked with them, and session revocations"},
	{Name: SourceAccessAPIKeys, Title: "API key lifecycle",
		Reads: "API keys with owner, role, created, last rotated, revoked and last used times against the key-rotation policy"},
	{Name: SourcePolicyComplianceStatus, Title: "Policy compliance status", Section: sectionPolicyStatus, Period: true,
		Reads: "active policies, policy coverage of gateways, enforcement and violation rates, and configuration drift"},
	{Name: SourceComplianceScore, Title: "Compliance score", Period: true,
		Reads: "the compliance score with each component's ratio, weight and counts, and its daily history"},
	{Name: SourceSpend, Title: "Spend", Period: true,
		Reads: "wallet budgets, allocations and top-ups, usage cost of decision events, and cost tickets with their resolution"},
}

// Sources returns the catalogue of evidence sources, in the order a package reads them.
// The slice is a copy.
func Sources() []SourceInfo {
	out := slices.Clone(sourceCatalogue)
	for i := range out {
		out[i].Categories = slices.Clone(out[i].Categories)
	}
	return out
}

// LookupSource returns what is known about the source, and whether it is in the list.
func LookupSource(s Source) (SourceInfo, bool) {
	for _, info := range sourceCatalogue {
		if info.Name == s {
			info.Categories = slices.Clone(info.Categories)
			return info, true
		}
	}
	return SourceInfo{}, false
}

// Valid reports whether s is a known evidence source.
func (s Source) Valid() bool {
	_, ok := LookupSource(s)
	return ok
}
