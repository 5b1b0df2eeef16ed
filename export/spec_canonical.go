package export

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/keeptrail/keeptrail"
)

// Normalize returns the canonical form of s, sharing no slices with it: times in UTC at
// microsecond precision, "all" expanded to an empty list (everything in scope), lists
// de-duplicated and sorted (enum lists in their defined order, names bytewise), a
// compliance package's omitted include list filled with every section, and soc2/hipaa
// in lower case. Normalize does not validate.
func (s Spec) Normalize() Spec {
	s.TimeRange.Start = floorMicro(s.TimeRange.Start)
	s.TimeRange.End = ceilMicro(s.TimeRange.End)
	s.Scope.Teams = normalizeScope(s.Scope.Teams)
	s.Scope.Gateways = normalizeScope(s.Scope.Gateways)
	s.Filters.Severity = normalizeEnums(s.Filters.Severity, keeptrail.Severities)
	s.Filters.Users = normalizeNames(s.Filters.Users)
	s.Filters.Decisions = normalizeEnums(s.Filters.Decisions, Decisions)
	s.Filters.Categories = normalizeEnums(s.Filters.Categories, keeptrail.AuditCategories)
	s.Filters.Actions = normalizeNames(s.Filters.Actions)
	s.Filters.Statuses = normalizeEnums(s.Filters.Statuses, EscalationStatuses)
	if s.Type == TypeCompliancePackage && len(s.Include) == 0 {
		s.Include = slices.Clone(Sections)
	} else {
		s.Include = normalizeEnums(s.Include, Sections)
	}
	for _, f := range []string{FrameworkSOC2, FrameworkHIPAA} {
		if strings.EqualFold(s.Framework, f) {
			s.Framework = f
		}
	}
	return s
}

// Canonical returns the canonical JSON of s for manifests: the same spec gives the same
// bytes, and ParseJSON of them gives the same spec back.
func (s Spec) Canonical() []byte {
	b, err := json.Marshal(s.Normalize().wire())
	if err != nil {
		panic("export: canonical spec: " + err.Error()) // only strings and slices of strings
	}
	return b
}

// MarshalJSON writes s in its input form (as ParseJSON reads it), not normalized.
func (s Spec) MarshalJSON() ([]byte, error) { return json.Marshal(s.wire()) }

// UnmarshalJSON decodes s strictly with ParseJSON, with the default limits but no
// maximum range, so that specs accepted earlier under a larger maximum reload. Input
// from users must go through ParseJSON with the server's limits instead.
func (s *Spec) UnmarshalJSON(b []byte) error {
	out, err := ParseJSON(b, Limits{MaxRange: -1})
	if err != nil {
		return err
	}
	*s = out
	return nil
}

// wireSpec is the JSON shape of a spec, with fields in canonical order.
type wireSpec struct {
	Type             string       `json:"type"`
	TimeRange        wireRange    `json:"time_range"`
	Scope            wireScope    `json:"scope"`
	Filters          *wireFilters `json:"filters,omitempty"`
	Format           string       `json:"format"`
	Include          []string     `json:"include,omitempty"`
	Framework        string       `json:"framework,omitempty"`
	NotifyOnComplete string       `json:"notify_on_complete,omitempty"`
}

type wireRange struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type wireScope struct {
	Teams    []string `json:"teams"`
	Gateways []string `json:"gateways"`
}

type wireFilters struct {
	Severity   []string `json:"severity,omitempty"`
	Users      []string `json:"users,omitempty"`
	Decisions  []string `json:"decisions,omitempty"`
	Categories []string `json:"categories,omitempty"`
	Actions    []string `json:"actions,omitempty"`
	Statuses   []string `json:"statuses,omitempty"`
}

func (s Spec) wire() wireSpec {
	w := wireSpec{
		Type:             string(s.Type),
		Scope:            wireScope{Teams: scopeWire(s.Scope.Teams), Gateways: scopeWire(s.Scope.Gateways)},
		Format:           string(s.Format),
		Include:          strs(s.Include),
		Framework:        s.Framework,
		NotifyOnComplete: s.NotifyOnComplete,
	}
	if !s.TimeRange.Start.IsZero() {
		w.TimeRange.Start = formatStart(s.TimeRange.Start)
	}
	if !s.TimeRange.End.IsZero() {
		w.TimeRange.End = formatEnd(s.TimeRange.End)
	}
	f := wireFilters{
		Severity: strs(s.Filters.Severity), Users: s.Filters.Users, Decisions: strs(s.Filters.Decisions),
		Categories: s.Filters.Categories, Actions: s.Filters.Actions, Statuses: strs(s.Filters.Statuses),
	}
	if len(f.Severity)+len(f.Users)+len(f.Decisions)+len(f.Categories)+len(f.Actions)+len(f.Statuses) > 0 {
		w.Filters = &f
	}
	return w
}

// scopeWire writes "everything in scope" as [all].
func scopeWire(names []string) []string {
	if len(names) == 0 {
		return []string{"all"}
	}
	return names
}

func strs[T ~string](xs []T) []string {
	if len(xs) == 0 {
		return nil
	}
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// normalizeScope expands [all] to nil and sorts and de-duplicates names.
func normalizeScope(names []string) []string {
	if slices.Contains(names, "all") {
		return nil
	}
	return normalizeNames(names)
}

// normalizeNames sorts and de-duplicates names; empty becomes nil.
func normalizeNames(names []string) []string {
	if len(names) == 0 {
		return nil
	}
	out := slices.Clone(names)
	slices.Sort(out)
	return slices.Compact(out)
}

// normalizeEnums de-duplicates got and orders it as in order; unknown values (only in
// specs that did not validate) follow, sorted. Empty becomes nil.
func normalizeEnums[T ~string](got, order []T) []T {
	if len(got) == 0 {
		return nil
	}
	out := make([]T, 0, len(got))
	for _, x := range order {
		if slices.Contains(got, x) {
			out = append(out, x)
		}
	}
	var rest []T
	for _, x := range got {
		if !slices.Contains(order, x) {
			rest = append(rest, x)
		}
	}
	slices.Sort(rest)
	return append(out, slices.Compact(rest)...)
}
