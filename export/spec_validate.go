package export

import (
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/keeptrail/keeptrail"
)

// Validate checks every rule of a spec built in Go (the console form does) and returns
// one EINVALID *keeptrail.Error naming each bad field as export.PATH, or nil. Parsed
// specs are already validated.
func (s Spec) Validate(lim Limits) error {
	r := newReporter(specName)
	validate(&s, r, lim.withDefaults())
	return r.err()
}

// validate applies the rules about values to s, skipping paths the decoder reported.
func validate(s *Spec, r *reporter, lim Limits) {
	typeOK := false
	switch {
	case r.skip("type"):
	case s.Type == "":
		r.add("type", "required")
	case !slices.Contains(Types, s.Type):
		r.add("type", "must be one of "+list(Types))
	default:
		typeOK = true
	}
	validateTimeRange(s.TimeRange, r, lim)
	validateNames(s.Scope.Teams, "scope.teams", r, true)
	gatewaysOK := validateNames(s.Scope.Gateways, "scope.gateways", r, true)
	if typeOK && gatewaysOK && s.Type == TypeAuditLog && len(s.Scope.Gateways) > 0 && !isAll(s.Scope.Gateways) {
		r.add("scope.gateways", "audit log entries have no gateway; omit it or use [all]")
	}
	validateFilters(s, r, typeOK)
	validateFormat(s, r, typeOK)
	validatePackage(s, r, typeOK)
	validateNotify(s.NotifyOnComplete, "notify_on_complete", r)
}

func validateTimeRange(tr TimeRange, r *reporter, lim Limits) {
	const p = "time_range"
	if r.skip(p) {
		return
	}
	startP, endP := p+".start", p+".end"
	switch {
	case tr.Start.IsZero() && tr.End.IsZero() && !r.skip(startP) && !r.skip(endP):
		r.add(p, "required")
		return
	case tr.Start.IsZero() && !r.skip(startP):
		r.add(startP, "required")
	case tr.End.IsZero() && !r.skip(endP):
		r.add(endP, "required")
	}
	if tr.Start.IsZero() || tr.End.IsZero() {
		return
	}
	switch {
	case !yearOK(tr.Start):
		r.add(startP, errYearRange.Error())
	case !yearOK(tr.End.Add(-1)):
		r.add(endP, errYearRange.Error())
	case !tr.End.After(tr.Start):
		r.add(p, "empty (end is not after start)")
	case lim.MaxRange > 0 && tr.End.Sub(tr.Start) > lim.MaxRange:
		r.add(p, "longer than the maximum of "+describeDuration(lim.MaxRange))
	}
}

// validateNames checks a list of identifiers (teams, gateways, users, actions). all
// allows the single entry "all". It reports whether the list is absent or good.
func validateNames(names []string, path string, r *reporter, all bool) bool {
	if names == nil {
		return true
	}
	if r.skip(path) {
		return false
	}
	before := len(r.fields)
	if len(names) == 0 {
		if all {
			r.add(path, "empty; omit it or use [all]")
		} else {
			r.add(path, "empty; omit it for no restriction")
		}
		return false
	}
	good := true
	for i, n := range names {
		p := index(path, i)
		if r.skip(p) {
			good = false
			continue
		}
		if reason := identifierProblem(n); reason != "" {
			r.add(p, reason)
			continue
		}
		if all && n == "all" && len(names) > 1 {
			r.add(p, `"all" must be the only entry`)
		}
	}
	return good && len(r.fields) == before
}

// identifierProblem says what is wrong with a team, gateway, user or action name, or "".
func identifierProblem(n string) string {
	switch {
	case n == "":
		return "empty"
	case len(n) > maxIdentifierBytes:
		return "longer than " + strconv.Itoa(maxIdentifierBytes) + " bytes"
	case !utf8.ValidString(n):
		return "not valid UTF-8"
	case strings.IndexFunc(n, isControl) >= 0:
		return "contains a control character"
	}
	return ""
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

// validateEnums checks a list whose entries must come from allowed.
func validateEnums[T ~string](got, allowed []T, path string, r *reporter) {
	if got == nil || r.skip(path) {
		return
	}
	if len(got) == 0 {
		r.add(path, "empty; omit it for no restriction")
		return
	}
	for i, x := range got {
		if p := index(path, i); !r.skip(p) && !slices.Contains(allowed, x) {
			r.add(p, "must be one of "+list(allowed))
		}
	}
}

func validateFilters(s *Spec, r *reporter, typeOK bool) {
	f := &s.Filters
	given := map[string]bool{
		"severity": f.Severity != nil, "users": f.Users != nil, "decisions": f.Decisions != nil,
		"categories": f.Categories != nil, "actions": f.Actions != nil, "statuses": f.Statuses != nil,
	}
	if typeOK && s.Type == TypeCompliancePackage {
		for _, name := range []string{"severity", "users", "decisions", "categories", "actions", "statuses"} {
			if given[name] && !r.skip("filters") {
				r.add("filters", "not available for type compliance_package (a package covers the whole population in scope)")
				return
			}
		}
	}
	check := map[string]func(p string){
		"severity":   func(p string) { validateEnums(f.Severity, keeptrail.Severities, p, r) },
		"users":      func(p string) { validateNames(f.Users, p, r, false) },
		"decisions":  func(p string) { validateEnums(f.Decisions, Decisions, p, r) },
		"categories": func(p string) { validateEnums(f.Categories, keeptrail.AuditCategories, p, r) },
		"actions":    func(p string) { validateNames(f.Actions, p, r, false) },
		"statuses":   func(p string) { validateEnums(f.Statuses, EscalationStatuses, p, r) },
	}
	for _, name := range []string{"severity", "users", "decisions", "categories", "actions", "statuses"} {
		if !given[name] {
			continue
		}
		p := "filters." + name
		if typeOK && !slices.Contains(FilterTypes[name], s.Type) {
			if !r.skip(p) {
				r.add(p, "only for "+typeList(FilterTypes[name]))
			}
			continue
		}
		check[name](p)
	}
}

func validateFormat(s *Spec, r *reporter, typeOK bool) {
	const p = "format"
	switch {
	case r.skip(p):
	case s.Format == "":
		r.add(p, "required")
	case !slices.Contains(Formats, s.Format):
		r.add(p, "must be one of "+list(Formats))
	case typeOK && !slices.Contains(FormatTypes[s.Format], s.Type):
		if s.Type == TypeCompliancePackage {
			r.add(p, "a compliance_package is produced as pdf")
		} else {
			r.add(p, string(s.Format)+" is only available for "+typeList(FormatTypes[s.Format]))
		}
	}
}

func validatePackage(s *Spec, r *reporter, typeOK bool) {
	pkg := s.Type == TypeCompliancePackage
	if s.Include != nil && typeOK && !pkg && !r.skip("include") {
		r.add("include", "only for type compliance_package")
	} else if s.Include != nil && (pkg || !typeOK) {
		if len(s.Include) == 0 && !r.skip("include") {
			r.add("include", "empty; omit it to include every section")
		} else {
			validateEnums(s.Include, Sections, "include", r)
		}
	}
	if s.Framework == "" || r.skip("framework") {
		return
	}
	switch {
	case typeOK && !pkg:
		r.add("framework", "only for type compliance_package")
	case !validFramework(s.Framework):
		r.add("framework", "must be soc2, hipaa or a custom framework name (1 to 64 letters, digits, spaces, '.', '_' or '-', starting with a letter or digit)")
	}
}

// validFramework reports whether f is soc2, hipaa (any case) or a custom framework name.
func validFramework(f string) bool {
	if strings.EqualFold(f, FrameworkSOC2) || strings.EqualFold(f, FrameworkHIPAA) {
		return true
	}
	if f == "" || len(f) > 64 || strings.TrimSpace(f) != f {
		return false
	}
	for i, c := range f {
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || (c != ' ' && c != '.' && c != '_' && c != '-')) {
			return false
		}
	}
	return true
}

// maxNotifyBytes bounds notify_on_complete.
const maxNotifyBytes = 2048

// validateNotify checks "email:ADDRESS" or "webhook:URL".
func validateNotify(n, p string, r *reporter) {
	if n == "" || r.skip(p) {
		return
	}
	if reason := notifyProblem(n); reason != "" {
		r.add(p, reason)
	}
}

// notifyProblem says what is wrong with a notify_on_complete target, or "".
func notifyProblem(n string) string {
	if len(n) > maxNotifyBytes {
		return "longer than " + strconv.Itoa(maxNotifyBytes) + " bytes"
	}
	if strings.ContainsAny(n, "\r\n") {
		return "contains a line break"
	}
	if strings.IndexFunc(n, isControl) >= 0 {
		return "contains a control character"
	}
	kind, target, ok := strings.Cut(n, ":")
	switch {
	case !ok:
		return "must be email:ADDRESS or webhook:URL"
	case kind == "email":
		a, err := mail.ParseAddress(target)
		if err != nil || a.Name != "" || a.Address != target || strings.ContainsAny(target, " \t\"<>,;") {
			return "not a valid email address: " + strconv.Quote(target)
		}
		if at := strings.LastIndexByte(target, '@'); at <= 0 || at == len(target)-1 {
			return "not a valid email address: " + strconv.Quote(target)
		}
	case kind == "webhook":
		u, err := url.Parse(target)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "":
			return "webhook URL must start with http:// or https://"
		case u.Host == "" || u.Hostname() == "":
			return "webhook URL has no host"
		case u.User != nil:
			return "webhook URL must not contain credentials"
		case strings.ContainsAny(target, " \t"):
			return "webhook URL contains a space"
		}
	default:
		return "must be email:ADDRESS or webhook:URL"
	}
	return ""
}

// list joins enum values for "must be one of" messages.
func list[T ~string](xs []T) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = string(x)
	}
	return strings.Join(parts, ", ")
}

// typeList says "type events" or "types audit_log, events and escalations".
func typeList(ts []Type) string {
	if len(ts) == 1 {
		return "type " + string(ts[0])
	}
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = string(t)
	}
	return "types " + strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// isAll reports whether a scope list is the single entry "all".
func isAll(names []string) bool { return len(names) == 1 && names[0] == "all" }

func itoa(n int) string { return strconv.Itoa(n) }
