package export

import "strings"

// FiltersText describes the scope and filters of s in one line for people (the header
// of every PDF page, an email): "teams: all; gateways: gw-eu-1; severity: high, critical".
// Lists appear as they are in s; call it on a normalized spec for a stable text.
func (s Spec) FiltersText() string {
	parts := []string{"teams: " + names(s.Scope.Teams), "gateways: " + names(s.Scope.Gateways)}
	add := func(label string, xs []string) {
		if len(xs) > 0 {
			parts = append(parts, label+": "+strings.Join(xs, ", "))
		}
	}
	add("severity", strs(s.Filters.Severity))
	add("users", s.Filters.Users)
	add("decisions", strs(s.Filters.Decisions))
	add("categories", s.Filters.Categories)
	add("actions", s.Filters.Actions)
	add("statuses", strs(s.Filters.Statuses))
	if s.Framework != "" {
		parts = append(parts, "framework: "+s.Framework)
	}
	return strings.Join(parts, "; ")
}

// names writes a scope list, "all" when empty.
func names(xs []string) string {
	if len(xs) == 0 {
		return "all"
	}
	return strings.Join(xs, ", ")
}
