package engine

import "github.com/keeptrail/keeptrail"

// Audit outcomes.
const (
	outcomeSuccess = "success"
	outcomeFailure = "failure"
	outcomeDenied  = "denied"
)

// op is one kind of audited action: its name in the audit log (part of the product),
// category, the severity of a successful entry, and the words a denial uses.
type op struct {
	action   string
	category string
	severity keeptrail.Severity
	what     string
}

const (
	catAuthn  = keeptrail.CategoryAuthentication
	catAuthz  = keeptrail.CategoryAuthorization
	catConfig = keeptrail.CategoryConfiguration
	catEsc    = keeptrail.CategoryEscalation
	catFin    = keeptrail.CategoryFinancial
	catSec    = keeptrail.CategorySecurity

	sevLow    = keeptrail.SeverityLow
	sevMedium = keeptrail.SeverityMedium
	sevHigh   = keeptrail.SeverityHigh
)

// Authentication.
var (
	opLogin          = op{"auth.login", catAuthn, sevLow, "sign in"}
	opLoginFailed    = op{"auth.login_failed", catAuthn, sevMedium, "sign in"}
	opAPIKeyRejected = op{"auth.api_key_rejected", catAuthn, sevMedium, "authenticate"}
)

// Users, teams, API keys and settings.
var (
	opUserCreated        = op{"user.created", catAuthz, sevMedium, "create users"}
	opUserUpdated        = op{"user.updated", catAuthz, sevLow, "change users"}
	opUserRoleChanged    = op{"user.role_changed", catAuthz, sevHigh, "change users"}
	opMembershipChanged  = op{"team.membership_changed", catAuthz, sevMedium, "change users"}
	opUserDeprovisioned  = op{"user.deprovisioned", catAuthz, sevHigh, "deprovision users"}
	opUsersRead          = op{"user.list", catAuthz, sevLow, "list users"}
	opAPIKeyCreated      = op{"api_key.created", catSec, sevMedium, "create API keys"}
	opAPIKeyRotated      = op{"api_key.rotated", catSec, sevLow, "rotate API keys"}
	opAPIKeyRevoked      = op{"api_key.revoked", catSec, sevMedium, "revoke API keys"}
	opAPIKeysRead        = op{"api_key.list", catAuthz, sevLow, "list API keys"}
	opSettingsUpdated    = op{"settings.updated", catSec, sevMedium, "change settings"}
	opSSOChanged         = op{"sso.configuration_changed", catSec, sevHigh, "change settings"}
	opMFAChanged         = op{"mfa.policy_changed", catSec, sevHigh, "change settings"}
	opSettingsRead       = op{"settings.read", catAuthz, sevLow, "read settings"}
	opTeamCreated        = op{"team.created", catAuthz, sevLow, "create teams"}
	opTeamsRead          = op{"team.list", catAuthz, sevLow, "list teams"}
	opGatewaysRead       = op{"gateway.list", catAuthz, sevLow, "list gateways"}
	opEscalationsRead    = op{"escalation.list", catAuthz, sevLow, "list escalations"}
	opEscalationRead     = op{"escalation.read", catAuthz, sevLow, "read escalations"}
	opPoliciesRead       = op{"policy.list", catAuthz, sevLow, "list policies"}
	opVersionsRead       = op{"configuration_version.list", catAuthz, sevLow, "list configuration versions"}
	opDeploymentsRead    = op{"deployment.list", catAuthz, sevLow, "list deployments"}
	opAlertingRulesRead  = op{"alerting_rule.list", catAuthz, sevLow, "list alerting rules"}
	opWalletsRead        = op{"wallet.list", catAuthz, sevLow, "list wallets"}
	opCostTicketsRead    = op{"cost_ticket.list", catAuthz, sevLow, "list cost tickets"}
	opPolicyCreated      = op{"policy.created", catConfig, sevLow, "create policies"}
	opPolicyUpdated      = op{"policy.updated", catConfig, sevLow, "change policies"}
	opPolicyActivated    = op{"policy.activated", catConfig, sevLow, "activate policies"}
	opPolicyDeactivated  = op{"policy.deactivated", catConfig, sevMedium, "deactivate policies"}
	opPolicyAssigned     = op{"policy.assigned", catConfig, sevLow, "assign policies"}
	opVersionCreated     = op{"configuration_version.created", catConfig, sevLow, "create configuration versions"}
	opDeployed           = op{"configuration.deployed", catConfig, sevMedium, "deploy configuration versions"}
	opAlertingRuleAdded  = op{"alerting_rule.created", catConfig, sevLow, "create alerting rules"}
	opAlertingRuleChange = op{"alerting_rule.updated", catConfig, sevLow, "change alerting rules"}
	opEscClaimed         = op{"escalation.claimed", catEsc, sevLow, "claim escalations"}
	opEscReassigned      = op{"escalation.reassigned", catEsc, sevLow, "reassign escalations"}
	opEscResolved        = op{"escalation.resolved", catEsc, sevLow, "resolve escalations"}
	opEscExpired         = op{"escalation.expired", catEsc, sevHigh, "expire escalations"}
	opWalletCreated      = op{"wallet.created", catFin, sevLow, "create wallets"}
	opWalletAllocation   = op{"wallet.allocation", catFin, sevLow, "add wallet entries"}
	opWalletTopUp        = op{"wallet.top_up", catFin, sevLow, "add wallet entries"}
	opCostTicketOpened   = op{"cost_ticket.opened", catFin, sevLow, "open cost tickets"}
	opCostTicketResolved = op{"cost_ticket.resolved", catFin, sevLow, "resolve cost tickets"}
)

// deployedUnvalidated is the severity of deploying a version that did not pass validation.
const deployedUnvalidated = sevHigh
