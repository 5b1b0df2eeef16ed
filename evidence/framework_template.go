package evidence

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/keeptrail/keeptrail"
)

// Limits on a custom framework template.
const (
	// MaxTemplateBytes bounds a template document; a larger one is ETOOLARGE.
	MaxTemplateBytes = 256 << 10
	// MaxSections bounds the sections of one template.
	MaxSections = 200
	// MaxNameLength bounds a template's name, in bytes.
	MaxNameLength = 64
	// MaxSectionIDLength bounds a section id, in bytes.
	MaxSectionIDLength = 64
	// MaxTitleLength bounds a title, an edition and an id prefix, in bytes.
	MaxTitleLength = 200
	// MaxDescriptionLength bounds a description or an auditor focus, in bytes.
	MaxDescriptionLength = 4000
)

// ParseTemplate reads a custom framework template, YAML or JSON (JSON when the document
// starts with '{'), and validates it (ValidateTemplate). The document holds name, title,
// edition, description, id_prefix and sections; each section holds id, title,
// description, auditor_focus and sources:
//
//	name: acme-ai-governance
//	title: ACME AI governance
//	sections:
//	  - id: AI-1
//	    title: Prompt screening
//	    sources: [events.blocks_by_rule, audit_log.configuration]
//
// The keys that Keeptrail writes when it shows a template (version, built_in, created_at,
// created_by, updated_at, updated_by) are accepted so that a shown template can be edited
// and sent back: version, when given, is returned in Framework.Version (an update checks
// it against the current version); built_in must be false; the rest are ignored. Any
// other key is EINVALID naming it; so are YAML anchors, aliases, custom tags, repeated
// keys and more than one document. Errors name each bad field as written
// ("sections[2].sources[0]: unknown evidence source \"foo\"").
func ParseTemplate(data []byte) (Framework, error) {
	return parseTemplate(data, "")
}

// ParseTemplateFor reads a new version of the template called name, as ParseTemplate:
// the document may leave out the name; when it gives one, it must be name (in any case),
// since templates are not renamed. The result carries name as given.
func ParseTemplateFor(data []byte, name string) (Framework, error) {
	return parseTemplate(data, name)
}

func parseTemplate(data []byte, name string) (Framework, error) {
	if len(data) > MaxTemplateBytes {
		return Framework{}, keeptrail.Errorf(keeptrail.ETOOLARGE, "framework template is larger than %d bytes", MaxTemplateBytes)
	}
	if !utf8.Valid(data) {
		return Framework{}, syntaxError("must be UTF-8 text")
	}
	root, err := parseTree(data)
	if err != nil {
		return Framework{}, err
	}
	var v keeptrail.Validation
	f := decodeFramework(root, &v)
	if name != "" {
		if f.Name != "" && !strings.EqualFold(f.Name, name) {
			v.Add("name", "must be %q, the template being updated: templates are not renamed", name)
		}
		f.Name = name
	}
	if err := v.Err(); err != nil {
		return Framework{}, err
	}
	if err := ValidateTemplate(f); err != nil {
		return Framework{}, err
	}
	return normalize(f), nil
}

// decodeFramework copies the tree into a Framework, adding a field error for each key
// it does not know and each value of the wrong shape.
func decodeFramework(root *tnode, v *keeptrail.Validation) Framework {
	var f Framework
	if root.kind != tMap {
		v.Add("template", "must be a mapping with name, title and sections, not %s", root.kind)
		return f
	}
	for i, key := range root.keys {
		val := root.vals[i]
		switch key {
		case "name":
			f.Name = text(v, key, val)
		case "title":
			f.Title = text(v, key, val)
		case "edition":
			f.Edition = text(v, key, val)
		case "description":
			f.Description = text(v, key, val)
		case "id_prefix":
			f.IDPrefix = text(v, key, val)
		case "version":
			if val.kind != tNull {
				n, err := strconv.ParseInt(val.text, 10, 64)
				if val.kind != tScalar || err != nil || n < 1 {
					v.Add(key, "must be a positive whole number (line %d)", val.line)
				}
				f.Version = n
			}
		case "built_in":
			if val.kind != tNull && !(val.kind == tScalar && val.text == "false") {
				v.Add(key, "must be false: only soc2 and hipaa are built in (line %d)", val.line)
			}
		case "created_at", "created_by", "updated_at", "updated_by":
			// Shown by Keeptrail, ignored when sent back.
		case "sections":
			f.Sections = decodeSections(val, v)
		default:
			v.Add(key, "unknown field (line %d)", val.line)
		}
	}
	return f
}

func decodeSections(val *tnode, v *keeptrail.Validation) []Section {
	if val.kind == tNull {
		return nil
	}
	if val.kind != tList {
		v.Add("sections", "must be a list of sections, not %s (line %d)", val.kind, val.line)
		return nil
	}
	if len(val.items) > MaxSections {
		v.Add("sections", "at most %d sections are allowed, not %d", MaxSections, len(val.items))
		return nil
	}
	out := make([]Section, 0, len(val.items))
	for i, item := range val.items {
		path := fmt.Sprintf("sections[%d]", i)
		var s Section
		if item.kind != tMap {
			v.Add(path, "must be a mapping with id, title and sources, not %s (line %d)", item.kind, item.line)
			out = append(out, s)
			continue
		}
		for j, key := range item.keys {
			sv := item.vals[j]
			field := path + "." + key
			switch key {
			case "id":
				s.ID = text(v, field, sv)
			case "title":
				s.Title = text(v, field, sv)
			case "description":
				s.Description = text(v, field, sv)
			case "auditor_focus":
				s.AuditorFocus = text(v, field, sv)
			case "sources":
				s.Sources = decodeSources(field, sv, v)
			default:
				v.Add(field, "unknown field (line %d)", sv.line)
			}
		}
		out = append(out, s)
	}
	return out
}

func decodeSources(field string, val *tnode, v *keeptrail.Validation) []Source {
	switch val.kind {
	case tNull:
		return nil
	case tList:
	default:
		v.Add(field, "must be a list of evidence source names, not %s (line %d)", val.kind, val.line)
		return nil
	}
	out := make([]Source, 0, len(val.items))
	for i, item := range val.items {
		out = append(out, Source(text(v, fmt.Sprintf("%s[%d]", field, i), item)))
	}
	return out
}

// text returns a scalar's text; null is empty, a list or mapping is a field error.
func text(v *keeptrail.Validation, field string, val *tnode) string {
	switch val.kind {
	case tScalar:
		return val.text
	case tNull:
		return ""
	}
	v.Add(field, "must be text, not %s (line %d)", val.kind, val.line)
	return ""
}

// ValidateTemplate checks f as a custom framework template: its name (allowed characters,
// not soc2 or hipaa), a title, one to MaxSections sections each with a unique id, a
// title and at least one known evidence source listed once, text lengths, and no text that
// claims the evidence achieves a criterion (ClaimWords). It returns EINVALID listing every
// problem, fields named as in the template document.
func ValidateTemplate(f Framework) error {
	var v keeptrail.Validation
	switch {
	case f.Name == "":
		v.Add("name", "is required")
	case Reserved(f.Name):
		v.Add("name", "%q is reserved for the built-in framework", f.Name)
	case !validName(f.Name):
		v.Add("name", "must be 1 to %d letters, digits, spaces, '.', '_' or '-', starting with a letter or digit", MaxNameLength)
	}
	checkText(&v, "title", f.Title, true, MaxTitleLength, false)
	checkText(&v, "edition", f.Edition, false, MaxTitleLength, false)
	checkText(&v, "description", f.Description, false, MaxDescriptionLength, true)
	checkText(&v, "id_prefix", f.IDPrefix, false, 8, false)
	if f.BuiltIn {
		v.Add("built_in", "must be false: only soc2 and hipaa are built in")
	}
	switch {
	case len(f.Sections) == 0:
		v.Add("sections", "at least one section is required")
	case len(f.Sections) > MaxSections:
		v.Add("sections", "at most %d sections are allowed, not %d", MaxSections, len(f.Sections))
	}
	firstWithID := map[string]int{}
	for i, s := range f.Sections {
		path := fmt.Sprintf("sections[%d]", i)
		id := strings.TrimSpace(s.ID)
		switch {
		case id == "":
			v.Add(path+".id", "is required")
		case len(id) > MaxSectionIDLength || hasControl(id, false):
			v.Add(path+".id", "must be at most %d bytes of text without control characters", MaxSectionIDLength)
		default:
			if j, dup := firstWithID[id]; dup {
				v.Add(path+".id", "%q is already the id of sections[%d]", id, j)
			} else {
				firstWithID[id] = i
			}
		}
		checkText(&v, path+".title", s.Title, true, MaxTitleLength, false)
		checkText(&v, path+".description", s.Description, false, MaxDescriptionLength, true)
		checkText(&v, path+".auditor_focus", s.AuditorFocus, false, MaxDescriptionLength, true)
		if len(s.Sources) == 0 {
			v.Add(path+".sources", "at least one evidence source is required")
		}
		seen := map[Source]int{}
		for j, src := range s.Sources {
			field := fmt.Sprintf("%s.sources[%d]", path, j)
			if k, dup := seen[src]; dup {
				v.Add(field, "%q is already listed as sources[%d]", src, k)
				continue
			}
			seen[src] = j
			if !src.Valid() {
				v.Add(field, "unknown evidence source %q", src)
			}
		}
	}
	return v.Err()
}

// checkText adds a field error when s is missing (and required), too long, has control
// characters (newlines and tabs allowed when multiline), or claims more than support.
func checkText(v *keeptrail.Validation, field, s string, required bool, max int, multiline bool) {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		v.Add(field, "is required")
	case len(s) > max:
		v.Add(field, "must be at most %d bytes", max)
	case hasControl(s, multiline):
		v.Add(field, "must not contain control characters")
	default:
		if w := ClaimWords(s); len(w) > 0 {
			v.Add(field, "says %q: evidence supports a criterion, the auditor decides whether it is achieved; reword it", w[0])
		}
	}
}

func hasControl(s string, multiline bool) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		if multiline && (r == '\n' || r == '\t') {
			return false
		}
		return unicode.IsControl(r) || r == utf8.RuneError
	})
}

// validName reports whether name is a template name: 1 to MaxNameLength letters,
// digits, spaces, '.', '_' or '-', starting with a letter or digit (the rule of export
// specs' framework field).
func validName(name string) bool {
	if name == "" || len(name) > MaxNameLength || strings.TrimSpace(name) != name {
		return false
	}
	for i, c := range name {
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || (c != ' ' && c != '.' && c != '_' && c != '-')) {
			return false
		}
	}
	return true
}

// normalize trims the texts of a valid template.
func normalize(f Framework) Framework {
	f = f.Clone()
	f.Title = strings.TrimSpace(f.Title)
	f.Edition = strings.TrimSpace(f.Edition)
	f.Description = strings.TrimSpace(f.Description)
	f.IDPrefix = strings.TrimSpace(f.IDPrefix)
	for i := range f.Sections {
		s := &f.Sections[i]
		s.ID = strings.TrimSpace(s.ID)
		s.Title = strings.TrimSpace(s.Title)
		s.Description = strings.TrimSpace(s.Description)
		s.AuditorFocus = strings.TrimSpace(s.AuditorFocus)
	}
	return f
}

// badField is an EINVALID error naming one field.
func badField(field, format string, args ...any) error {
	var v keeptrail.Validation
	v.Add(field, format, args...)
	return v.Err()
}
