package compliance

import (
	"context"
	"time"

	"github.com/keeptrail/keeptrail"
)

// Counter reads the aggregates of a period: decision event counts, rules matched, gateway
// activity and escalations due. The Service's default, Rollups, reads the store's rollups; package
// compliance/recompute counts the raw rows instead, to check them and to compare speed.
type Counter interface {
	EventCounts(ctx context.Context, tx keeptrail.Tx, f keeptrail.ComplianceFilter) ([]keeptrail.EventCount, error)
	RuleCounts(ctx context.Context, tx keeptrail.Tx, f keeptrail.ComplianceFilter) ([]keeptrail.RuleCount, error)
	GatewayHours(ctx context.Context, tx keeptrail.Tx, f keeptrail.ComplianceFilter) ([]keeptrail.GatewayHourCount, error)
	FirstActivity(ctx context.Context, tx keeptrail.Tx, before time.Time) (map[int64]time.Time, error)
	EscalationCounts(ctx context.Context, tx keeptrail.Tx, f keeptrail.ComplianceFilter) (keeptrail.EscalationSLACount, error)
}

// Rollups is the Counter that reads the store's hourly and daily rollups.
type Rollups struct{}

// EventCounts reads tx.ComplianceEventCounts.
func (Rollups) EventCounts(_ context.Context, tx keeptrail.Tx, f keeptrail.ComplianceFilter) ([]keeptrail.EventCount, error) {
	return tx.ComplianceEventCounts(f)
}

// RuleCounts reads tx.ComplianceRuleCounts.
func (Rollups) RuleCounts(_ context.Context, tx keeptrail.Tx, f keeptrail.ComplianceFilter) ([]keeptrail.RuleCount, error) {
	return tx.ComplianceRuleCounts(f)
}

// GatewayHours reads tx.ComplianceGatewayHours.
func (Rollups) GatewayHours(_ context.Context, tx keeptrail.Tx, f keeptrail.ComplianceFilter) ([]keeptrail.GatewayHourCount, error) {
	return tx.ComplianceGatewayHours(f)
}

// FirstActivity reads tx.ComplianceFirstActivity.
func (Rollups) FirstActivity(_ context.Context, tx keeptrail.Tx, before time.Time) (map[int64]time.Time, error) {
	return tx.ComplianceFirstActivity(before)
}

// EscalationCounts reads tx.ComplianceEscalationCounts.
func (Rollups) EscalationCounts(_ context.Context, tx keeptrail.Tx, f keeptrail.ComplianceFilter) (keeptrail.EscalationSLACount, error) {
	return tx.ComplianceEscalationCounts(f)
}
