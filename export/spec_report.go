package export

import (
	"strconv"
	"strings"

	"github.com/keeptrail/keeptrail"
)

// reporter collects the field errors of one spec. Paths are internal ("time_range.end",
// "scope.teams[1]", "" for the export block itself); name renders them the way the user
// wrote the spec (export.time_range.end, or --end for flags).
type reporter struct {
	name   func(path string) string
	lines  map[string]int  // YAML line of each visited path
	failed map[string]bool // paths already reported, whose later checks are skipped
	fields []keeptrail.FieldError
	capped bool
}

func newReporter(name func(string) string) *reporter {
	return &reporter{name: name, lines: map[string]int{}, failed: map[string]bool{}}
}

// specName renders internal paths under "export", as in YAML and JSON specs.
func specName(path string) string {
	if path == "" {
		return "export"
	}
	return "export." + path
}

// at records that path was found on line (0: no line known). The first line recorded
// for a path (its key's) wins over later ones (its value's).
func (r *reporter) at(path string, line int) {
	if _, ok := r.lines[path]; !ok && line > 0 {
		r.lines[path] = line
	}
}

// add reports that path is bad, with the YAML line of the path or of its nearest
// recorded ancestor.
func (r *reporter) add(path, reason string) {
	r.failed[path] = true
	r.addField(r.name(path), r.lineOf(path), reason)
}

// addField reports a field by its rendered name; line 0 adds no line.
func (r *reporter) addField(field string, line int, reason string) {
	if len(r.fields) >= maxFieldErrors {
		if !r.capped {
			r.capped = true
			r.fields = append(r.fields, keeptrail.FieldError{Field: r.name(""),
				Reason: "too many errors; the first " + strconv.Itoa(maxFieldErrors) + " are shown"})
		}
		return
	}
	if line > 0 {
		reason += " (line " + strconv.Itoa(line) + ")"
	}
	r.fields = append(r.fields, keeptrail.FieldError{Field: field, Reason: reason})
}

// addDuplicate reports a key given a second time.
func (r *reporter) addDuplicate(path string, firstLine, line int) {
	r.failed[path] = true
	reason := "given twice"
	if firstLine > 0 && line > 0 {
		reason += ", on lines " + strconv.Itoa(firstLine) + " and " + strconv.Itoa(line)
	}
	r.addField(r.name(path), 0, reason)
}

// lineOf finds the line of path or of its nearest ancestor that has one.
func (r *reporter) lineOf(path string) int {
	for {
		if line, ok := r.lines[path]; ok {
			return line
		}
		if path == "" {
			return 0
		}
		path = parentPath(path)
	}
}

// skip reports whether path or one of its ancestors has already been reported.
func (r *reporter) skip(path string) bool {
	for {
		if r.failed[path] {
			return true
		}
		if path == "" {
			return false
		}
		path = parentPath(path)
	}
}

// err returns the collected errors as one EINVALID *keeptrail.Error, or nil.
func (r *reporter) err() error {
	if len(r.fields) == 0 {
		return nil
	}
	return &keeptrail.Error{Code: keeptrail.EINVALID, Message: "invalid export spec", Fields: r.fields}
}

// parentPath strips the last element (".name" or "[i]") of a path.
func parentPath(path string) string {
	if i := strings.LastIndexAny(path, ".["); i >= 0 {
		return path[:i]
	}
	return ""
}

// child joins a path and a field name.
func child(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// index joins a path and a list index.
func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }
