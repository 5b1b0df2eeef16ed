// Package evidence builds compliance packages: the frameworks a package maps its evidence
// to (SOC 2 and HIPAA built in, custom framework templates), the closed list of evidence
// sources they draw on, and the wording rules for report text, beside the bundle, its
// manifest, signature, verification and OSCAL results.
package evidence

import (
	"slices"
	"strings"
	"time"
)

// Framework is a compliance framework a package maps its evidence to: SOC 2 and HIPAA are
// built in (BuiltIn), custom ones are framework templates written by compliance officers
// (ParseTemplate) and kept in the store with a version number per change.
type Framework struct {
	// Name identifies the framework in export specs, URLs and the CLI: "soc2", "hipaa" or
	// a custom template's name (1 to 64 letters, digits, spaces, '.', '_' or '-',
	// starting with a letter or digit; unique without regard to case).
	Name string `json:"name"`
	// Title is the framework's display name, e.g. "SOC 2".
	Title string `json:"title"`
	// Edition names the published text the sections follow, e.g. "2017 Trust Services
	// Criteria (revised points of focus, 2022)"; free text, may be empty.
	Edition string `json:"edition,omitempty"`
	// Version is the template's revision: 1 when created, one more on each update. The
	// built-in frameworks are version 1 of this release of Keeptrail.
	Version int64 `json:"version"`
	// Description says what the framework is for.
	Description string `json:"description,omitempty"`
	// IDPrefix is written before each section id in headings, e.g. "§" for HIPAA.
	IDPrefix string `json:"id_prefix,omitempty"`
	// BuiltIn is true for soc2 and hipaa, which cannot be changed or deleted.
	BuiltIn bool `json:"built_in"`
	// CreatedAt, CreatedBy, UpdatedAt and UpdatedBy say when and by whom a custom
	// template was created and this version written; empty for the built-in frameworks.
	CreatedAt *time.Time `json:"created_at,omitempty"`
	CreatedBy string     `json:"created_by,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
	UpdatedBy string     `json:"updated_by,omitempty"`
	// Sections are the criteria (SOC 2), requirements (HIPAA) or sections (custom) in
	// report order.
	Sections []Section `json:"sections"`
}

// Section is one criterion of a framework and the evidence sources that support it.
type Section struct {
	// ID is the criterion's reference, e.g. "CC6.1" or "164.312(b)"; unique within the
	// framework.
	ID string `json:"id"`
	// Title is the criterion's short name, e.g. "Logical access".
	Title string `json:"title"`
	// Description says what the criterion is about, in Keeptrail's own words.
	Description string `json:"description,omitempty"`
	// AuditorFocus is a short note on what an auditor looks for in the evidence.
	AuditorFocus string `json:"auditor_focus,omitempty"`
	// Sources are the evidence sources the criterion draws on, at least one, each a
	// name from Sources.
	Sources []Source `json:"sources"`
}

// Heading is the section's id (with the framework's prefix) and title, as a report
// shows it: "CC6.1 Logical access", "§164.312(b) Audit controls".
func (f Framework) Heading(s Section) string {
	h := f.IDPrefix + s.ID
	if s.Title != "" {
		h += " " + s.Title
	}
	return h
}

// Section returns the section with the id, and whether there is one.
func (f Framework) Section(id string) (Section, bool) {
	for _, s := range f.Sections {
		if s.ID == id {
			return s, true
		}
	}
	return Section{}, false
}

// Sources returns every evidence source the framework's sections name, each once, in
// the order of the source catalogue (Sources), so that a package reads each once.
func (f Framework) Sources() []Source {
	var out []Source
	for _, info := range sourceCatalogue {
		for _, s := range f.Sections {
			if slices.Contains(s.Sources, info.Name) {
				out = append(out, info.Name)
				break
			}
		}
	}
	return out
}

// SectionsUsing returns the ids of the sections that name the source, in section order:
// the criteria an evidence file supports, for the package's mapping table.
func (f Framework) SectionsUsing(src Source) []string {
	var ids []string
	for _, s := range f.Sections {
		if slices.Contains(s.Sources, src) {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

// Clone returns a deep copy of f, so that callers may change it without touching the
// built-in definitions.
func (f Framework) Clone() Framework {
	f.Sections = slices.Clone(f.Sections)
	for i := range f.Sections {
		f.Sections[i].Sources = slices.Clone(f.Sections[i].Sources)
	}
	return f
}

// Reserved reports whether name is taken by a built-in framework (in any case), so no
// template may use it.
func Reserved(name string) bool {
	return strings.EqualFold(name, SOC2) || strings.EqualFold(name, HIPAA)
}
