package keeptrail

import (
	"context"
	"time"
)

// Store is the database behind Keeptrail: SQLite (embedded, the default) or PostgreSQL.
// Both implementations pass the same behaviour suite (package storetest). All business
// rules live outside the store; it reads and writes rows.
type Store interface {
	// Update runs fn in a read-write transaction. An error from fn, or a panic, rolls it
	// back. Writes are serialized where the database needs it (SQLite).
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction that sees one consistent snapshot
	// (PostgreSQL REPEATABLE READ READ ONLY; one SQLite read transaction).
	View(ctx context.Context, fn func(Tx) error) error
	// Dialect names the database: "sqlite" or "postgres".
	Dialect() string
	// Close releases the database.
	Close() error
}

type rerunnableKey struct{}

// WithRerunnableUpdate returns a context under which Update may run its function more
// than once: a store that lets concurrent Update calls share one transaction (SQLite's
// group commit) then runs them without a savepoint each, and if one fails, rolls the
// shared transaction back and runs the others again. Only the effects of the run whose
// transaction commits may count, so fn must start from its inputs every time and keep
// nothing from an earlier run (ingest's batches do: each run resets its outcome).
func WithRerunnableUpdate(ctx context.Context) context.Context {
	return context.WithValue(ctx, rerunnableKey{}, true)
}

// RerunnableUpdate reports whether ctx came from WithRerunnableUpdate.
func RerunnableUpdate(ctx context.Context) bool {
	v, _ := ctx.Value(rerunnableKey{}).(bool)
	return v
}

// Tx is one transaction. Its methods return *Error with ENOTFOUND for a missing row and
// ECONFLICT for a duplicate unique key; other failures are internal errors. Every time
// written by the store is truncated to microseconds and kept in UTC.
type Tx interface {
	// Now is the transaction's single clock reading (UTC, microsecond precision).
	Now() time.Time

	// Settings returns the organization settings (DefaultSettings before any were saved).
	Settings() (Settings, error)
	PutSettings(s Settings) error

	// EnsureTeam returns the team with the name, creating it if needed.
	EnsureTeam(name string) (t Team, created bool, err error)
	TeamByName(name string) (Team, error)
	TeamByID(id int64) (Team, error)
	Teams(scope TeamScope) ([]Team, error)

	// CreateUser inserts u and sets its ID and CreatedAt. ECONFLICT on a taken email.
	CreateUser(u *User) error
	UserByID(id int64) (User, error)
	UserByEmail(email string) (User, error)
	// Users lists users who belong to at least one team in scope (every user when the
	// scope is unrestricted), ordered by email.
	Users(scope TeamScope) ([]User, error)
	// UpdateUser writes every mutable field of u (name, role, teams, password hash, SSO,
	// MFA, active, deactivated at).
	UpdateUser(u *User) error

	CreateAPIKey(k *APIKey) error
	APIKeyByID(id int64) (APIKey, error)
	APIKeyByPrefix(prefix string) (APIKey, error)
	APIKeys() ([]APIKey, error)
	// UpdateAPIKey writes the secret hash, rotated, revoked and last-used times.
	UpdateAPIKey(k *APIKey) error

	// EnsureGateway returns the gateway with the name, creating it in the team if needed.
	EnsureGateway(name string, teamID int64) (g Gateway, created bool, err error)
	GatewayByName(name string) (Gateway, error)
	GatewayByID(id int64) (Gateway, error)
	Gateways(scope TeamScope) ([]Gateway, error)
	// UpdateGateway writes the mutable fields (environment, TLS, encryption, health,
	// error rate, last heartbeat, running version, active).
	UpdateGateway(g *Gateway) error

	CreatePolicy(p *Policy) error
	PolicyByID(id int64) (Policy, error)
	Policies(scope TeamScope) ([]Policy, error)
	// UpdatePolicy writes name, kind, rules, active and the gateway assignments.
	UpdatePolicy(p *Policy) error

	// CreateConfigurationVersion assigns the next version number and inserts v.
	CreateConfigurationVersion(v *ConfigurationVersion) error
	ConfigurationVersion(version int64) (ConfigurationVersion, error)
	ConfigurationVersions() ([]ConfigurationVersion, error)
	CreateDeployment(d *Deployment) error
	// Deployments lists deployments of gateways in scope, oldest first.
	Deployments(scope TeamScope) ([]Deployment, error)

	// InsertEvents stores the events whose request_id is new, sets their ID, and returns
	// the indexes (into events) of those inserted; the rest were duplicates. GatewayID and
	// TeamID must be set.
	InsertEvents(events []DecisionEvent) (inserted []int, err error)
	// InsertHeartbeats stores heartbeats (GatewayID set) for the completeness measure.
	InsertHeartbeats(hbs []Heartbeat) error

	CreateEscalations(es []Escalation) error
	// Escalation returns one escalation with its actions, oldest first.
	Escalation(id int64) (Escalation, error)
	Escalations(f EscalationFilter) ([]Escalation, error)
	// AddEscalationAction inserts a (setting its ID) and writes e's status, assignee,
	// resolved at and outcome.
	AddEscalationAction(e *Escalation, a *EscalationAction) error

	// AppendAudit appends e to the audit log: under a lock on the log's head it sets
	// e.Seq to head+1, e.PrevHash to the head's hash, e.Time to Now() when zero, and
	// e.Hash to e.ComputeHash(). The sequence never skips, even after rollbacks.
	AppendAudit(e *AuditEntry) error
	// AuditHead returns the last sequence number and hash ("" and 0 for an empty log).
	AuditHead() (seq int64, hash string, err error)
	// AuditEntries calls fn for each entry with from <= seq <= to (to 0: to the end) in
	// sequence order, as stored; it stops at fn's first error and returns it.
	AuditEntries(from, to int64, fn func(AuditEntry) error) error
	CreateAuditCheckpoint(c *AuditCheckpoint) error
	// AuditCheckpoints lists checkpoints, oldest first.
	AuditCheckpoints() ([]AuditCheckpoint, error)

	CreateWallet(w *Wallet) error
	WalletByID(id int64) (Wallet, error)
	Wallets(scope TeamScope) ([]Wallet, error)
	CreateWalletEntry(e *WalletEntry) error
	WalletEntries(walletID int64) ([]WalletEntry, error)
	CreateCostTicket(c *CostTicket) error
	CostTicketByID(id int64) (CostTicket, error)
	CostTickets(scope TeamScope) ([]CostTicket, error)
	// UpdateCostTicket writes status, resolved at/by and resolution.
	UpdateCostTicket(c *CostTicket) error

	CreateAlertingRule(r *AlertingRule) error
	AlertingRuleByID(id int64) (AlertingRule, error)
	AlertingRules() ([]AlertingRule, error)
	// UpdateAlertingRule writes name, metric, condition, channel, enabled, updated at.
	UpdateAlertingRule(r *AlertingRule) error

	ExportTx
	ComplianceTx
	FrameworkTx
}

// EscalationFilter selects escalations. Zero fields do not filter.
type EscalationFilter struct {
	Scope    TeamScope
	Statuses []EscalationStatus
	// ExpiresBefore selects escalations whose ExpiresAt is before it (for the expiry job).
	ExpiresBefore time.Time
	Limit         int
}
