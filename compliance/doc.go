// Package compliance computes the policy compliance status and the compliance score of
// an organization, or of some of its teams and gateways, for any period.
//
// The figures are pure functions of aggregates (decision event counts by team, gateway,
// decision and severity; rules matched; gateway activity per hour; escalations due and met)
// and of the current state (gateways, policies and their assignments, deployments, users,
// API keys, security settings). The Service reads the aggregates from the hourly and daily
// rollups that the store maintains at ingest, never from the raw decision events, so that
// a quarter of ten million events costs a few thousand rows.
//
// Every definition and formula is written out in docs/compliance-score.md.
package compliance
