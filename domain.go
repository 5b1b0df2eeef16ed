package keeptrail

import (
	"encoding/json"
	"time"
)

// Team is a scope for users, gateways, policies and wallets.
type Team struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// User is a person who signs in to the console or owns API keys.
type User struct {
	ID            int64      `json:"id"`
	Email         string     `json:"email"`
	Name          string     `json:"name"`
	Role          Role       `json:"role"`
	TeamIDs       []int64    `json:"team_ids"`
	PasswordHash  string     `json:"-"`
	SSOEnrolled   bool       `json:"sso_enrolled"`
	MFAEnrolled   bool       `json:"mfa_enrolled"`
	Active        bool       `json:"active"`
	CreatedAt     time.Time  `json:"created_at"`
	DeactivatedAt *time.Time `json:"deactivated_at,omitempty"` // SCIM deprovisioning
}

// APIKey is a credential for the API and CLI. Only its prefix is ever shown after creation;
// the secret is stored as a SHA-256 hash.
type APIKey struct {
	ID          int64      `json:"id"`
	Prefix      string     `json:"prefix"`
	Name        string     `json:"name"`
	OwnerUserID *int64     `json:"owner_user_id,omitempty"`
	Role        Role       `json:"role"`
	TeamIDs     []int64    `json:"team_ids"` // empty: all teams (for roles that allow it)
	SecretHash  []byte     `json:"-"`
	CreatedAt   time.Time  `json:"created_at"`
	RotatedAt   time.Time  `json:"rotated_at"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt  *time.Time `json:"last_used_at,omitempty"`
}

// Gateway is an AI gateway that reports decision events and heartbeats.
type Gateway struct {
	ID               int64      `json:"id"`
	Name             string     `json:"name"`
	TeamID           int64      `json:"team_id"`
	Environment      string     `json:"environment"`
	TLSMinVersion    string     `json:"tls_min_version"`
	EncryptionAtRest bool       `json:"encryption_at_rest"`
	Healthy          bool       `json:"healthy"`
	ErrorRate        float64    `json:"error_rate"`
	LastHeartbeatAt  *time.Time `json:"last_heartbeat_at,omitempty"`
	RunningVersion   *int64     `json:"running_config_version,omitempty"`
	Active           bool       `json:"active"`
	CreatedAt        time.Time  `json:"created_at"`
}

// Policy is a set of rules a gateway enforces.
type Policy struct {
	ID         int64           `json:"id"`
	Name       string          `json:"name"`
	Kind       string          `json:"kind"` // pii, phi, prompt_injection, cost, ...
	TeamID     int64           `json:"team_id"`
	Rules      json.RawMessage `json:"rules"`
	Active     bool            `json:"active"`
	GatewayIDs []int64         `json:"gateway_ids"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
}

// PolicyKinds lists the known policy kinds.
var PolicyKinds = []string{"pii", "phi", "prompt_injection", "toxicity", "cost", "data_residency", "model_allowlist", "secrets"}

// ConfigurationVersion is a numbered, immutable policy configuration.
type ConfigurationVersion struct {
	ID               int64           `json:"id"`
	Version          int64           `json:"version"` // 1, 2, 3 ... organization-wide
	Author           string          `json:"author"`
	CreatedAt        time.Time       `json:"created_at"`
	ChangeSummary    string          `json:"change_summary"`
	Content          json.RawMessage `json:"content"`
	ValidationPassed bool            `json:"validation_passed"`
	ValidationOutput string          `json:"validation_output"`
}

// Deployment records that a gateway ran a configuration version from a time on.
type Deployment struct {
	ID         int64     `json:"id"`
	GatewayID  int64     `json:"gateway_id"`
	Version    int64     `json:"version"`
	DeployedAt time.Time `json:"deployed_at"`
	DeployedBy string    `json:"deployed_by"`
	Source     string    `json:"source"` // "api" or "heartbeat"
}

// Decision is the outcome of a gateway decision event.
type Decision string

// Decisions.
const (
	DecisionAllowed   Decision = "allowed"
	DecisionBlocked   Decision = "blocked"
	DecisionEscalated Decision = "escalated"
)

// Severity grades events, escalations and audit entries.
type Severity string

// Severities, in increasing order.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Severities lists the severities in increasing order.
var Severities = []Severity{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// Valid reports whether s is a known severity.
func (s Severity) Valid() bool {
	switch s {
	case SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical:
		return true
	}
	return false
}

// Valid reports whether d is a known decision.
func (d Decision) Valid() bool {
	switch d {
	case DecisionAllowed, DecisionBlocked, DecisionEscalated:
		return true
	}
	return false
}

// DecisionEvent is one gateway decision. RequestID is the idempotency key.
type DecisionEvent struct {
	ID                int64     `json:"-"`
	RequestID         string    `json:"request_id"`
	Time              time.Time `json:"time"`
	GatewayID         int64     `json:"-"`
	Gateway           string    `json:"gateway"`
	TeamID            int64     `json:"-"`
	Team              string    `json:"team"`
	User              string    `json:"user,omitempty"`
	Model             string    `json:"model,omitempty"`
	Decision          Decision  `json:"decision"`
	Severity          Severity  `json:"severity"`
	PoliciesEvaluated int       `json:"policies_evaluated"`
	RulesMatched      []string  `json:"rules_matched,omitempty"`
	Categories        []string  `json:"categories,omitempty"`
	LatencyMS         int64     `json:"latency_ms"`
	TokensIn          int64     `json:"tokens_in"`
	TokensOut         int64     `json:"tokens_out"`
	CostUSD           float64   `json:"cost_usd"`
}

// Heartbeat is a gateway's health report and the configuration version it runs.
type Heartbeat struct {
	GatewayID        int64     `json:"-"`
	Gateway          string    `json:"gateway"`
	Team             string    `json:"team,omitempty"`
	Time             time.Time `json:"time"`
	ConfigVersion    *int64    `json:"config_version,omitempty"`
	Healthy          bool      `json:"healthy"`
	ErrorRate        float64   `json:"error_rate"`
	TLSMinVersion    string    `json:"tls_min_version,omitempty"`
	EncryptionAtRest *bool     `json:"encryption_at_rest,omitempty"`
}

// EscalationStatus is where an escalation stands.
type EscalationStatus string

// Escalation statuses.
const (
	EscalationOpen     EscalationStatus = "open"
	EscalationClaimed  EscalationStatus = "claimed"
	EscalationResolved EscalationStatus = "resolved"
	EscalationExpired  EscalationStatus = "expired"
)

// Escalation is opened by an escalated decision event and handled by people.
type Escalation struct {
	ID         int64              `json:"id"`
	EventID    int64              `json:"event_id"`
	RequestID  string             `json:"request_id"`
	GatewayID  int64              `json:"gateway_id"`
	TeamID     int64              `json:"team_id"`
	Severity   Severity           `json:"severity"`
	OpenedAt   time.Time          `json:"opened_at"`
	SLADueAt   time.Time          `json:"sla_due_at"`
	ExpiresAt  time.Time          `json:"expires_at"`
	Status     EscalationStatus   `json:"status"`
	Assignee   string             `json:"assignee,omitempty"`
	ResolvedAt *time.Time         `json:"resolved_at,omitempty"`
	Outcome    string             `json:"outcome,omitempty"`
	Actions    []EscalationAction `json:"actions,omitempty"`
}

// EscalationAction kinds.
const (
	EscalationClaim    = "claim"
	EscalationReassign = "reassign"
	EscalationResolve  = "resolve"
	EscalationExpire   = "expire"
)

// Resolution outcomes an escalation may be resolved with.
var EscalationOutcomes = []string{"approved", "denied", "false_positive", "policy_updated"}

// EscalationAction is one step in an escalation's history.
type EscalationAction struct {
	ID           int64     `json:"id"`
	EscalationID int64     `json:"escalation_id"`
	Action       string    `json:"action"`
	Actor        string    `json:"actor"`
	At           time.Time `json:"at"`
	Assignee     string    `json:"assignee,omitempty"`
	Outcome      string    `json:"outcome,omitempty"`
	Note         string    `json:"note,omitempty"`
}

// Audit log categories.
const (
	CategoryAuthentication = "authentication"
	CategoryAuthorization  = "authorization"
	CategoryConfiguration  = "configuration"
	CategoryEscalation     = "escalation"
	CategoryFinancial      = "financial"
	CategorySecurity       = "security"
	CategoryExport         = "export"
	// CategoryIngest records each ingest request (who sent how many decision events,
	// heartbeats or outside audit entries); the rows themselves are the evidence.
	CategoryIngest = "ingest"
)

// AuditCategories lists every audit log category.
var AuditCategories = []string{CategoryAuthentication, CategoryAuthorization, CategoryConfiguration,
	CategoryEscalation, CategoryFinancial, CategorySecurity, CategoryExport, CategoryIngest}

// AuditEntry is one record of the tamper-evident audit log. Seq is gap-free from 1; Hash
// covers PrevHash and every other field (see package auditlog).
type AuditEntry struct {
	Seq       int64           `json:"seq"`
	Time      time.Time       `json:"time"`
	ActorKind ActorKind       `json:"actor_kind"`
	Actor     string          `json:"actor"`
	Action    string          `json:"action"`   // e.g. auth.login_failed
	Category  string          `json:"category"` // one of AuditCategories
	TeamID    *int64          `json:"team_id,omitempty"`
	Team      string          `json:"team,omitempty"`
	Target    string          `json:"target,omitempty"`
	Severity  Severity        `json:"severity"`
	SourceIP  string          `json:"source_ip,omitempty"`
	Outcome   string          `json:"outcome"` // success, failure, denied
	Details   json.RawMessage `json:"details,omitempty"`
	PrevHash  string          `json:"prev_hash"`
	Hash      string          `json:"hash"`
}

// AuditCheckpoint is a signed statement of the audit log's head at a time.
type AuditCheckpoint struct {
	ID        int64     `json:"id"`
	Seq       int64     `json:"seq"`
	Hash      string    `json:"hash"`
	At        time.Time `json:"at"`
	KeyID     string    `json:"key_id"`
	Signature []byte    `json:"signature"`
}

// Wallet holds a team's AI spend budget.
type Wallet struct {
	ID        int64     `json:"id"`
	TeamID    int64     `json:"team_id"`
	Name      string    `json:"name"`
	BudgetUSD float64   `json:"budget_usd"`
	CreatedAt time.Time `json:"created_at"`
}

// WalletEntry kinds.
const (
	WalletAllocation = "allocation"
	WalletTopUp      = "top_up"
)

// WalletEntry is an allocation to or a top-up of a wallet.
type WalletEntry struct {
	ID        int64     `json:"id"`
	WalletID  int64     `json:"wallet_id"`
	Kind      string    `json:"kind"`
	AmountUSD float64   `json:"amount_usd"`
	Actor     string    `json:"actor"`
	At        time.Time `json:"at"`
	Note      string    `json:"note,omitempty"`
}

// CostTicket is raised when spend needs a decision (over budget, anomaly); it is resolved.
type CostTicket struct {
	ID         int64      `json:"id"`
	WalletID   int64      `json:"wallet_id"`
	TeamID     int64      `json:"team_id"`
	Title      string     `json:"title"`
	AmountUSD  float64    `json:"amount_usd"`
	Status     string     `json:"status"` // open, resolved
	OpenedAt   time.Time  `json:"opened_at"`
	OpenedBy   string     `json:"opened_by"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
	ResolvedBy string     `json:"resolved_by,omitempty"`
	Resolution string     `json:"resolution,omitempty"`
}

// AlertingRule is a monitoring rule in force (evidence for CC7.1).
type AlertingRule struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Metric    string    `json:"metric"`    // error_rate, block_rate, latency_p95_ms, heartbeat_gap_minutes
	Condition string    `json:"condition"` // e.g. "> 0.05 for 10m"
	Channel   string    `json:"channel"`   // email:..., webhook:...
	Enabled   bool      `json:"enabled"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Settings are the organization-wide settings, including the security settings the
// compliance score reads.
type Settings struct {
	OrganizationName string `json:"organization_name"`
	TimeZone         string `json:"time_zone"`
	SSOConfigured    bool   `json:"sso_configured"`
	MFARequired      bool   `json:"mfa_required"`
	SCIMEnabled      bool   `json:"scim_enabled"`
	KeyRotationDays  int    `json:"key_rotation_days"`
	// SLA in minutes per escalation severity, and how long past its SLA an unhandled
	// escalation stays open before it expires.
	SLAMinutes     map[Severity]int `json:"sla_minutes"`
	ExpiryAfterSLA int              `json:"expiry_after_sla_minutes"`
}

// DefaultSettings are the settings of a new organization.
func DefaultSettings() Settings {
	return Settings{
		OrganizationName: "Keeptrail",
		TimeZone:         "UTC",
		KeyRotationDays:  90,
		SLAMinutes: map[Severity]int{
			SeverityCritical: 60, SeverityHigh: 240, SeverityMedium: 1440, SeverityLow: 4320,
		},
		ExpiryAfterSLA: 1440,
	}
}
