package export

import (
	"time"

	"github.com/keeptrail/keeptrail"
)

// decoder turns a document tree into a Spec, reporting shapes that are wrong (unknown
// fields, wrong types, unparsable times). The rules about values (enums, lengths,
// combinations) are validate's, so that a Spec built in Go is checked the same way.
type decoder struct {
	r   *reporter
	lim Limits
}

// field is the decoder of one known field of a mapping.
type field func(v *value, path string)

// object decodes a mapping with the given known fields; null counts as absent.
func (d *decoder) object(v *value, path string, fields map[string]field) {
	d.r.at(path, v.line)
	switch v.kind {
	case kindNull:
		return
	case kindMap:
	default:
		d.wrongKind(v, path, "a mapping")
		return
	}
	seen := make(map[string]int, len(v.keys))
	for i, k := range v.keys {
		p := child(path, k)
		if first, dup := seen[k]; dup {
			d.r.addDuplicate(p, first, v.klines[i])
			continue
		}
		seen[k] = v.klines[i]
		d.r.at(p, v.klines[i])
		dec, ok := fields[k]
		if !ok {
			d.r.add(p, "unknown field")
			continue
		}
		if v.vals[i].kind == kindAlias {
			d.r.add(p, "YAML anchors and aliases are not allowed")
			continue
		}
		dec(v.vals[i], p)
	}
}

// wrongKind reports a value of the wrong shape.
func (d *decoder) wrongKind(v *value, path, want string) {
	if v.kind == kindAlias {
		d.r.add(path, "YAML anchors and aliases are not allowed")
		return
	}
	d.r.add(path, "must be "+want+", not "+v.describe())
}

// str decodes a string; ok is false when absent (null) or wrong.
func (d *decoder) str(v *value, path string) (string, bool) {
	d.r.at(path, v.line)
	switch v.kind {
	case kindNull:
		return "", false
	case kindString:
		return v.str, true
	}
	d.wrongKind(v, path, "a string")
	return "", false
}

// strings decodes a list of strings. A wrong entry is reported and kept as "" so that
// the indexes of later entries stay as written; validate skips reported entries.
func (d *decoder) strings(v *value, path string) []string {
	d.r.at(path, v.line)
	switch v.kind {
	case kindNull:
		return nil
	case kindList:
	default:
		d.wrongKind(v, path, "a list")
		return nil
	}
	if len(v.items) > d.lim.MaxListItems {
		d.r.add(path, "more than "+itoa(d.lim.MaxListItems)+" entries")
		return nil
	}
	out := make([]string, len(v.items))
	for i, it := range v.items {
		p := index(path, i)
		d.r.at(p, it.line)
		if it.kind != kindString {
			d.wrongKind(it, p, "a string")
			continue
		}
		out[i] = it.str
	}
	if out == nil {
		out = []string{} // an explicit empty list, which validate rejects
	}
	return out
}

// spec decodes the export block.
func (d *decoder) spec(v *value, s *Spec) {
	d.object(v, "", map[string]field{
		"type": func(v *value, p string) {
			t, _ := d.str(v, p)
			s.Type = Type(t)
		},
		"time_range": func(v *value, p string) { d.timeRange(v, p, &s.TimeRange) },
		"scope": func(v *value, p string) {
			d.object(v, p, map[string]field{
				"teams":    func(v *value, p string) { s.Scope.Teams = d.strings(v, p) },
				"gateways": func(v *value, p string) { s.Scope.Gateways = d.strings(v, p) },
			})
		},
		"filters": func(v *value, p string) { d.filters(v, p, &s.Filters) },
		"format": func(v *value, p string) {
			f, _ := d.str(v, p)
			s.Format = Format(f)
		},
		"include": func(v *value, p string) {
			list := d.strings(v, p)
			if list == nil {
				return
			}
			s.Include = make([]Section, len(list))
			for i, x := range list {
				s.Include[i] = Section(x)
			}
		},
		"framework":          func(v *value, p string) { s.Framework, _ = d.str(v, p) },
		"notify_on_complete": func(v *value, p string) { s.NotifyOnComplete, _ = d.str(v, p) },
	})
}

// filters decodes the filters block.
func (d *decoder) filters(v *value, path string, f *Filters) {
	d.object(v, path, map[string]field{
		"severity": func(v *value, p string) {
			f.Severity = convert[keeptrail.Severity](d.strings(v, p))
		},
		"users": func(v *value, p string) { f.Users = d.strings(v, p) },
		"decisions": func(v *value, p string) {
			f.Decisions = convert[keeptrail.Decision](d.strings(v, p))
		},
		"categories": func(v *value, p string) { f.Categories = d.strings(v, p) },
		"actions":    func(v *value, p string) { f.Actions = d.strings(v, p) },
		"statuses": func(v *value, p string) {
			f.Statuses = convert[keeptrail.EscalationStatus](d.strings(v, p))
		},
	})
}

// timeRange decodes start and end and applies the inclusive-end rule. An end before
// its start is reported here, where the written precision is still known.
func (d *decoder) timeRange(v *value, path string, r *TimeRange) {
	var start, end time.Time
	var unit time.Duration
	instant := func(v *value, p string) (time.Time, time.Duration, bool) {
		s, ok := d.str(v, p)
		if !ok {
			return time.Time{}, 0, false
		}
		t, u, err := parseInstant(s)
		if err != nil {
			d.r.add(p, err.Error())
			return time.Time{}, 0, false
		}
		return t, u, true
	}
	d.object(v, path, map[string]field{
		"start": func(v *value, p string) {
			if t, _, ok := instant(v, p); ok {
				start = t
			}
		},
		"end": func(v *value, p string) {
			if t, u, ok := instant(v, p); ok {
				end, unit = t, u
			}
		},
	})
	if !start.IsZero() {
		if !yearOK(start) {
			d.r.add(child(path, "start"), errYearRange.Error())
		} else {
			r.Start = floorMicro(start)
		}
	}
	if !end.IsZero() {
		switch {
		case !yearOK(end):
			d.r.add(child(path, "end"), errYearRange.Error())
		case !start.IsZero() && !exclusiveEnd(end, unit).After(floorMicro(start)):
			// Compared as covered: an end date covers its whole day, so a start later
			// that day is still before the end.
			d.r.add(child(path, "end"), "before start")
		default:
			r.End = exclusiveEnd(end, unit)
		}
	}
}

// convert turns a list of strings into a list of a string type, keeping nil as nil.
func convert[T ~string](in []string) []T {
	if in == nil {
		return nil
	}
	out := make([]T, len(in))
	for i, s := range in {
		out[i] = T(s)
	}
	return out
}
