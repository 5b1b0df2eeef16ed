// Package export turns a validated export spec into a file. This file and the other
// spec_*.go files define the spec itself: the one type that the console form, the API
// (JSON), the YAML file of the product page and the CLI flags all decode into, with the
// strict decoders and the canonical form written into manifests.
//
// # The time range rule
//
// Internally a time range is half-open, [Start, End), at microsecond precision (the
// precision of storage). As written by a user, start is inclusive and end is inclusive
// at the precision it is written in:
//
//   - "2025-03-31T23:59:59Z" covers that whole second: End = 2025-04-01T00:00:00Z;
//   - "2025-03-31T23:59:59.5Z" covers that tenth of a second: End = ...59.6Z, and
//     ".999Z" a millisecond, ".999999Z" a microsecond; more than six fractional digits
//     are accepted and End is rounded up to the next microsecond;
//   - a date alone, "2025-03-31", is that whole day in UTC: End = 2025-04-01T00:00:00Z
//     (a date alone as start is 00:00:00Z of that day);
//   - so start and end may be equal ("2025-03-31" to "2025-03-31" is one day), and an
//     end date covers a start later that day ("2025-03-31T12:00:00Z" to "2025-03-31" is
//     that afternoon); an end whose covered span finishes at or before the start is
//     the error "before start".
//
// Start is rounded down to the microsecond. The canonical form writes end back in the
// coarsest of these precisions that gives the same End (2025-03-31T23:59:59Z for
// End = 2025-04-01T00:00:00Z), so a canonical spec parses back to the same range.
// Times are RFC 3339 with a zone (Z or ±hh:mm, uppercase T and Z), years 1970 to 9999;
// they are kept in UTC.
package export

import (
	"time"

	"github.com/keeptrail/keeptrail"
)

// Type is what an export contains.
type Type string

// Export types.
const (
	TypeAuditLog          Type = "audit_log"
	TypeEvents            Type = "events"
	TypeEscalations       Type = "escalations"
	TypeConfigurations    Type = "configurations"
	TypeCompliancePackage Type = "compliance_package"
)

// Types lists the export types in the order the product presents them.
var Types = []Type{TypeAuditLog, TypeEvents, TypeEscalations, TypeConfigurations, TypeCompliancePackage}

// Format is the file format of an export.
type Format string

// Export formats.
const (
	FormatCSV    Format = "csv"
	FormatJSON   Format = "json"
	FormatNDJSON Format = "ndjson" // one JSON object a line, for SIEM ingestion
	FormatPDF    Format = "pdf"
)

// Formats lists the export formats.
var Formats = []Format{FormatCSV, FormatJSON, FormatNDJSON, FormatPDF}

// Section is one part of a compliance package, named in its include list.
type Section string

// Compliance package sections, in the order a package presents them.
const (
	SectionAuditLog               Section = "audit_log"
	SectionEventsSummary          Section = "events_summary"
	SectionEscalationReport       Section = "escalation_report"
	SectionConfigurationChangelog Section = "configuration_changelog"
	SectionPolicyComplianceStatus Section = "policy_compliance_status"
)

// Sections lists every compliance package section in package order; a package whose
// include list is omitted contains all of them.
var Sections = []Section{SectionAuditLog, SectionEventsSummary, SectionEscalationReport,
	SectionConfigurationChangelog, SectionPolicyComplianceStatus}

// Built-in compliance frameworks. Any other framework value names a custom framework
// template.
const (
	FrameworkSOC2  = "soc2"
	FrameworkHIPAA = "hipaa"
)

// EscalationStatuses lists the escalation statuses a filter may name.
var EscalationStatuses = []keeptrail.EscalationStatus{keeptrail.EscalationOpen,
	keeptrail.EscalationClaimed, keeptrail.EscalationResolved, keeptrail.EscalationExpired}

// Decisions lists the decision event outcomes a filter may name.
var Decisions = []keeptrail.Decision{keeptrail.DecisionAllowed, keeptrail.DecisionBlocked,
	keeptrail.DecisionEscalated}

// Spec is a validated request for one export. The zero value of a list field means
// "no restriction": Scope.Teams empty is every team the caller may see.
//
// Build one with ParseYAML, ParseJSON or FromFlags (they validate and normalize), or by
// hand followed by Validate and Normalize. Its JSON encoding (MarshalJSON) is the input
// form, so it parses back with ParseJSON.
type Spec struct {
	Type      Type
	TimeRange TimeRange
	Scope     Scope
	Filters   Filters
	Format    Format
	// Include lists the sections of a compliance package (compliance_package only).
	Include []Section
	// Framework is soc2, hipaa or the name of a custom framework template
	// (compliance_package only; empty for a package without a framework mapping).
	Framework string
	// NotifyOnComplete is "email:ADDRESS" or "webhook:URL", or empty.
	NotifyOnComplete string
}

// TimeRange is the half-open period [Start, End) in UTC. See the package comment for how
// a written end maps to End.
type TimeRange struct {
	Start time.Time
	End   time.Time
}

// Contains reports whether t falls in [Start, End).
func (r TimeRange) Contains(t time.Time) bool {
	return !t.Before(r.Start) && t.Before(r.End)
}

// String returns the range as written in canonical form, "START to END (inclusive)".
func (r TimeRange) String() string {
	return formatStart(r.Start) + " to " + formatEnd(r.End) + " (inclusive)"
}

// Scope selects teams and gateways. An empty list means all of them within the caller's
// own scope; the engine, not the spec, narrows it to what the caller may see. In the
// written forms the single entry "all" says the same, so "all" cannot name a team or a
// gateway on its own.
type Scope struct {
	Teams    []string
	Gateways []string
}

// Filters narrow the rows of an export. Each field applies to some types only
// (see FilterTypes); empty means no restriction.
type Filters struct {
	Severity   []keeptrail.Severity         // audit_log, events, escalations
	Users      []string                     // audit_log (actor), events (user)
	Decisions  []keeptrail.Decision         // events
	Categories []string                     // audit_log: keeptrail.AuditCategories
	Actions    []string                     // audit_log: e.g. auth.login_failed
	Statuses   []keeptrail.EscalationStatus // escalations
}

// FilterTypes maps each filters field, by its spec name, to the export types it
// applies to.
var FilterTypes = map[string][]Type{
	"severity":   {TypeAuditLog, TypeEvents, TypeEscalations},
	"users":      {TypeAuditLog, TypeEvents},
	"decisions":  {TypeEvents},
	"categories": {TypeAuditLog},
	"actions":    {TypeAuditLog},
	"statuses":   {TypeEscalations},
}

// FormatTypes maps each format to the export types that may be produced in it.
var FormatTypes = map[Format][]Type{
	FormatCSV:    {TypeAuditLog, TypeEvents, TypeEscalations, TypeConfigurations},
	FormatJSON:   {TypeAuditLog, TypeEvents, TypeEscalations, TypeConfigurations},
	FormatNDJSON: {TypeAuditLog, TypeEvents, TypeEscalations, TypeConfigurations},
	FormatPDF:    {TypeAuditLog, TypeCompliancePackage},
}
