package evidence

import "strings"

// Names of the built-in frameworks (export.FrameworkSOC2 and export.FrameworkHIPAA).
const (
	SOC2  = "soc2"
	HIPAA = "hipaa"
)

// soc2 maps Keeptrail's evidence to the SOC 2 Trust Services Criteria it bears on. The
// texts are Keeptrail's summaries, not the AICPA's wording.
var soc2 = Framework{
	Name:     SOC2,
	Title:    "SOC 2",
	Edition:  "2017 Trust Services Criteria (revised points of focus, 2022)",
	Version:  1,
	BuiltIn:  true,
	IDPrefix: "",
	Description: "Evidence from the AI gateways and the Keeptrail console for the common criteria on " +
		"logical access, system monitoring, incident handling and change management. The evidence " +
		"supports each criterion; the service auditor forms the opinion.",
	Sections: []Section{
		{
			ID: "CC6.1", Title: "Logical access",
			Description: "Users and systems are identified and authenticated before they reach the console, " +
				"the API or the gateways' policy configuration, and their access follows their role and teams.",
			AuditorFocus: "Who can sign in and how (SSO, MFA), failed sign-ins and how they were handled, role " +
				"assignments, and the life of each API key from creation to rotation and revocation.",
			Sources: []Source{SourceAuditLogAuthentication, SourceAuditLogAuthorization, SourceAuditLogSecurity,
				SourceAccessRBAC, SourceAccessMFASSO, SourceAccessAPIKeys},
		},
		{
			ID: "CC6.2", Title: "Access removal",
			Description: "Credentials are issued to registered, authorised users only, and access is removed " +
				"when it is no longer needed.",
			AuditorFocus: "Deprovisioning (SCIM) of leavers with the time it took effect, the keys revoked with " +
				"them, session revocations and role removals.",
			Sources: []Source{SourceAccessDeprovisioning, SourceAuditLogAuthorization, SourceAuditLogAuthentication},
		},
		{
			ID: "CC7.1", Title: "System monitoring",
			Description: "The gateways and their policy configuration are monitored for failures, drift from the " +
				"approved configuration and gaps in reporting.",
			AuditorFocus: "Gateway health and error-rate trends, the alerting rules in force, gateways that stopped " +
				"reporting, and gateways running an outdated configuration version.",
			Sources: []Source{SourceGatewaysHealth, SourceAlertingRules, SourcePolicyComplianceStatus},
		},
		{
			ID: "CC7.2", Title: "Anomaly detection and incident response",
			Description: "The gateways detect requests that break policy and block or escalate them; escalations " +
				"are analysed and handled by people.",
			AuditorFocus: "Volumes of blocked and escalated requests over time and by rule, spikes, and the " +
				"history of escalations with their SLA and resolution actions.",
			Sources: []Source{SourceEventsSummary, SourceEventsBlocksByRule, SourceEscalationsHistory,
				SourceEscalationsSLA, SourceAuditLogEscalation},
		},
		{
			ID: "CC7.3", Title: "Incident evaluation",
			Description: "Escalated events are evaluated by an assignee to decide whether they are incidents.",
			AuditorFocus: "That each escalation was claimed and evaluated, by whom and how fast, and what the " +
				"outcome was (approved, denied, false positive, policy updated).",
			Sources: []Source{SourceEscalationsHistory, SourceEscalationsSLA, SourceAuditLogEscalation},
		},
		{
			ID: "CC7.4", Title: "Incident response",
			Description: "Incidents are contained and resolved within the SLA set per severity; those left " +
				"unhandled expire and are recorded.",
			AuditorFocus: "SLA compliance by severity, resolution times, SLA breaches and expired escalations, and " +
				"the resolution actions taken.",
			Sources: []Source{SourceEscalationsSLA, SourceEscalationsHistory, SourceAuditLogEscalation},
		},
		{
			ID: "CC8.1", Title: "Change management",
			Description: "Changes to the gateways' policy configuration are authored, validated, recorded as " +
				"numbered versions and deployed in a traceable way.",
			AuditorFocus: "Each configuration version with its author and change summary, its validation result, " +
				"which gateways ran it from when, and versions deployed without passing validation.",
			Sources: []Source{SourceConfigurationsChanges, SourceConfigurationsValid, SourceConfigurationsDeploys,
				SourceAuditLogConfiguration},
		},
	},
}

// hipaa maps Keeptrail's evidence to the HIPAA Security Rule's technical safeguards
// (45 CFR 164.312). The texts are Keeptrail's summaries, not the regulation's wording.
var hipaa = Framework{
	Name:     HIPAA,
	Title:    "HIPAA Security Rule",
	Edition:  "45 CFR 164.312 technical safeguards",
	Version:  1,
	BuiltIn:  true,
	IDPrefix: "§",
	Description: "Evidence from the AI gateways and the Keeptrail console for the technical safeguards that " +
		"protect electronic protected health information (ePHI) sent to AI models. The evidence supports " +
		"each safeguard; the assessor draws the conclusion.",
	Sections: []Section{
		{
			ID: "164.312(a)(1)", Title: "Access control",
			Description: "Each person and system has a unique identity and only the access its role grants; " +
				"access ends when the person leaves.",
			AuditorFocus: "Unique user identities, the role-based access configuration, SSO and MFA enrolment, " +
				"API keys and their rotation, and timely deprovisioning.",
			Sources: []Source{SourceAccessRBAC, SourceAccessMFASSO, SourceAccessAPIKeys, SourceAccessDeprovisioning,
				SourceAuditLogAuthentication},
		},
		{
			ID: "164.312(b)", Title: "Audit controls",
			Description: "Activity in the console, the API and the gateways is recorded in an audit log that can " +
				"be examined and whose integrity can be checked.",
			AuditorFocus: "A complete audit log for the period with user actions and timestamps, gap-free " +
				"sequence numbers and an intact hash chain.",
			Sources: []Source{SourceAuditLogComplete},
		},
		{
			ID: "164.312(c)(1)", Title: "Integrity",
			Description: "ePHI in AI requests is detected and blocked or escalated by policy, and the records of " +
				"what happened are stored so that alteration is evident.",
			AuditorFocus: "PHI detections and what the gateways did with them, blocks by rule, and the tamper-" +
				"evident audit log.",
			Sources: []Source{SourceEventsPHIDetections, SourceEventsBlocksByRule, SourceAuditLogComplete},
		},
		{
			ID: "164.312(e)(1)", Title: "Transmission security",
			Description: "Traffic between the gateways and AI services is protected in transit, and stored data " +
				"at rest is encrypted.",
			AuditorFocus: "The minimum TLS version of each gateway, its encryption-at-rest status, and gateways " +
				"below the organization's baseline.",
			Sources: []Source{SourceGatewaysTLS},
		},
	},
}

// BuiltIn returns the built-in frameworks, SOC 2 then HIPAA, as copies.
func BuiltIn() []Framework {
	return []Framework{soc2.Clone(), hipaa.Clone()}
}

// LookupBuiltIn returns the built-in framework with the name (in any case), and whether
// there is one.
func LookupBuiltIn(name string) (Framework, bool) {
	switch strings.ToLower(name) {
	case SOC2:
		return soc2.Clone(), true
	case HIPAA:
		return hipaa.Clone(), true
	}
	return Framework{}, false
}
