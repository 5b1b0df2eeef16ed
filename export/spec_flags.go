package export

import "strings"

// Flags is a spec as given on the command line, one field per flag. Empty fields and
// nil lists are absent. Lists hold one entry per occurrence of a repeated flag (split
// on commas by the command, if it wants). Errors name the flags: --type, --start, --end,
// --team, --gateway, --severity, --user, --decision, --category, --action, --status,
// --format, --include, --framework, --notify, with [i] for the i-th entry (from 0).
type Flags struct {
	Type       string
	Start, End string
	Teams      []string
	Gateways   []string
	Severity   []string
	Users      []string
	Decisions  []string
	Categories []string
	Actions    []string
	Statuses   []string
	Format     string
	Include    []string
	Framework  string
	Notify     string
}

// flagNames maps internal spec paths to the flags that set them.
var flagNames = map[string]string{
	"":                   "flags",
	"type":               "--type",
	"time_range":         "--start/--end",
	"time_range.start":   "--start",
	"time_range.end":     "--end",
	"scope":              "--team/--gateway",
	"scope.teams":        "--team",
	"scope.gateways":     "--gateway",
	"filters":            "--severity/--user/--decision/--category/--action/--status",
	"filters.severity":   "--severity",
	"filters.users":      "--user",
	"filters.decisions":  "--decision",
	"filters.categories": "--category",
	"filters.actions":    "--action",
	"filters.statuses":   "--status",
	"format":             "--format",
	"include":            "--include",
	"framework":          "--framework",
	"notify_on_complete": "--notify",
}

// flagName renders an internal path as the flag that set it.
func flagName(path string) string {
	base, rest := path, ""
	if i := strings.IndexByte(path, '['); i >= 0 {
		base, rest = path[:i], path[i:]
	}
	if n, ok := flagNames[base]; ok {
		return n + rest
	}
	return path
}

// FromFlags validates and normalizes a spec given as flags. Errors: one EINVALID
// *keeptrail.Error naming each bad flag (--end: before start).
func FromFlags(f Flags, lim Limits) (Spec, error) {
	lim = lim.withDefaults()
	m := &value{kind: kindMap}
	put := func(key string, v *value) {
		m.keys = append(m.keys, key)
		m.klines = append(m.klines, 0)
		m.vals = append(m.vals, v)
	}
	sub := func(pairs ...any) *value {
		v := &value{kind: kindMap}
		for i := 0; i+1 < len(pairs); i += 2 {
			if x := pairs[i+1].(*value); x != nil {
				v.keys = append(v.keys, pairs[i].(string))
				v.klines = append(v.klines, 0)
				v.vals = append(v.vals, x)
			}
		}
		if len(v.keys) == 0 {
			return nil
		}
		return v
	}
	for _, kv := range []struct {
		key string
		v   *value
	}{
		{"type", flagString(f.Type)},
		{"time_range", sub("start", flagString(f.Start), "end", flagString(f.End))},
		{"scope", sub("teams", flagList(f.Teams), "gateways", flagList(f.Gateways))},
		{"filters", sub("severity", flagList(f.Severity), "users", flagList(f.Users),
			"decisions", flagList(f.Decisions), "categories", flagList(f.Categories),
			"actions", flagList(f.Actions), "statuses", flagList(f.Statuses))},
		{"format", flagString(f.Format)},
		{"include", flagList(f.Include)},
		{"framework", flagString(f.Framework)},
		{"notify_on_complete", flagString(f.Notify)},
	} {
		if kv.v != nil {
			put(kv.key, kv.v)
		}
	}
	return decodeSpec(m, newReporter(flagName), lim)
}

func flagString(s string) *value {
	if s == "" {
		return nil
	}
	return &value{kind: kindString, str: s}
}

func flagList(xs []string) *value {
	if xs == nil {
		return nil
	}
	v := &value{kind: kindList, items: make([]*value, len(xs))}
	for i, x := range xs {
		v.items[i] = &value{kind: kindString, str: x}
	}
	return v
}
