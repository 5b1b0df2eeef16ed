package keeptrail

import (
	"encoding/json"
	"time"
)

// ComplianceTx is the part of Tx that policy compliance status and the compliance score
// use: hourly, daily and monthly rollups of decision events and gateway activity, kept by
// InsertEvents and InsertHeartbeats in the transaction that stores the rows, and the daily
// score history.
//
// The counting methods return exactly what a scan of the raw rows of the filter's period
// would count; the store reads its rollups for whole months, days and hours, and the raw
// rows only for the parts of hours at the period's edges.
type ComplianceTx interface {
	// ComplianceEventCounts counts the decision events of the filter by team, gateway and
	// severity (ordered by those keys).
	ComplianceEventCounts(f ComplianceFilter) ([]EventCount, error)
	// ComplianceRuleCounts counts, by team, gateway and rule, the decision events of the
	// filter that matched each rule, and of those the blocked and the escalated ones
	// (ordered by those keys).
	ComplianceRuleCounts(f ComplianceFilter) ([]RuleCount, error)
	// ComplianceGatewayHours returns, for each UTC hour starting in [From, To) in which at
	// least one of the filter's gateways (GatewayIDs; every gateway when nil) stored a
	// decision event or a heartbeat, how many of them did and the sum of their IDs,
	// ordered by hour. Scope does not apply: activity belongs to the gateway.
	ComplianceGatewayHours(f ComplianceFilter) ([]GatewayHourCount, error)
	// ComplianceFirstActivity returns, for each gateway, the first UTC hour that starts
	// before the given time in which it stored a decision event or a heartbeat; gateways
	// without one are absent.
	ComplianceFirstActivity(before time.Time) (map[int64]time.Time, error)
	// ComplianceEscalationCounts counts the escalations of the filter's teams and gateways
	// whose SLA fell due in [From, To), and how many of those were resolved no later than
	// their SLA. To must not be later than now: an escalation still open before its due
	// time is neither met nor breached yet.
	ComplianceEscalationCounts(f ComplianceFilter) (EscalationSLACount, error)
	// SettleComplianceEscalations adds the escalations due before the given time (a UTC
	// midnight in the past) to the daily SLA rollup, and those stored since the last
	// settlement with a due time already settled. Once its due time has passed, whether
	// an escalation met its SLA cannot change, so settled days are final. Until settled,
	// escalations are counted from their rows. On PostgreSQL it locks the escalations
	// table against writes while it runs, so that none is missed.
	SettleComplianceEscalations(before time.Time) error
	// ComplianceEscalationsSettled returns the time before which escalations are settled
	// (the zero time before the first settlement).
	ComplianceEscalationsSettled() (time.Time, error)

	// ComplianceRollupsPending reports whether the rollups still have to be built from
	// rows stored before they existed (a database migrated with events in it).
	ComplianceRollupsPending() (bool, error)
	// RebuildComplianceRollups recomputes every rollup from the raw decision events and
	// heartbeats and clears the pending mark. On PostgreSQL it locks the rollup tables
	// first, so that ingest running meanwhile is counted exactly once.
	RebuildComplianceRollups() error

	// PutComplianceSnapshot stores s unless a snapshot of its day and team exists; it
	// reports whether it stored it. CreatedAt is set to Now().
	PutComplianceSnapshot(s *ComplianceSnapshot) (created bool, err error)
	// ComplianceSnapshots lists the snapshots of days in [from, to) of the given teams
	// (0 is the organization), ordered by day then team.
	ComplianceSnapshots(from, to time.Time, teamIDs []int64) ([]ComplianceSnapshot, error)
	// LatestComplianceSnapshotDay returns the latest day with an organization snapshot
	// (ok false when there is none).
	LatestComplianceSnapshotDay() (day time.Time, ok bool, err error)

	// AuditVerification returns how far the audit log's hash chain has been verified (the
	// zero value before the first verification).
	AuditVerification() (AuditVerification, error)
	// PutAuditVerification replaces the record of how far the chain has been verified.
	PutAuditVerification(v AuditVerification) error
}

// ComplianceFilter selects the rows a compliance aggregate counts: those with
// From <= time < To of the teams in Scope and, when GatewayIDs is not nil, of those
// gateways only.
type ComplianceFilter struct {
	From, To   time.Time
	Scope      TeamScope
	GatewayIDs []int64
}

// EventCount is the number of decision events of one team, gateway and severity: all of
// them, those evaluated by at least one policy, and those blocked and escalated.
type EventCount struct {
	TeamID    int64    `json:"team_id"`
	GatewayID int64    `json:"gateway_id"`
	Severity  Severity `json:"severity"`
	Requests  int64    `json:"requests"`
	Enforced  int64    `json:"enforced"` // policies_evaluated >= 1
	Blocked   int64    `json:"blocked"`
	Escalated int64    `json:"escalated"`
}

// RuleCount is the number of decision events of one team and gateway that matched a rule
// (an event listing the rule twice counts once), and how many of those were blocked and
// escalated.
type RuleCount struct {
	TeamID    int64  `json:"team_id"`
	GatewayID int64  `json:"gateway_id"`
	Rule      string `json:"rule"`
	Matches   int64  `json:"matches"`
	Blocked   int64  `json:"blocked"`
	Escalated int64  `json:"escalated"`
}

// GatewayHourCount says how many gateways reported in an hour: Gateways is their number
// and IDSum the sum of their IDs (which names the one missing gateway of an hour that
// lacks exactly one).
type GatewayHourCount struct {
	Hour     time.Time `json:"hour"`
	Gateways int64     `json:"gateways"`
	IDSum    int64     `json:"id_sum"`
}

// EscalationSLACount is the number of escalations that fell due, and how many of them
// were resolved within their SLA.
type EscalationSLACount struct {
	Due int64 `json:"due"`
	Met int64 `json:"met"`
}

// ComplianceSnapshot is the compliance score of one closed UTC day, kept for trends.
// TeamID 0 is the whole organization. Body is the full score with its breakdown (JSON).
type ComplianceSnapshot struct {
	Day       time.Time       `json:"day"`
	TeamID    int64           `json:"team_id"`
	Score     float64         `json:"score"`
	Body      json.RawMessage `json:"body"`
	CreatedAt time.Time       `json:"created_at"`
}

// AuditVerification records how far the audit log's hash chain is known to be intact:
// entries 1..Seq link up and match their hashes, Seq's hash being Hash. FirstBadSeq, when
// not 0, is the first entry found broken. CheckedAt is when it was last checked.
type AuditVerification struct {
	Seq         int64     `json:"seq"`
	Hash        string    `json:"hash"`
	FirstBadSeq int64     `json:"first_bad_seq"`
	CheckedAt   time.Time `json:"checked_at"`
}
