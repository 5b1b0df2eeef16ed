package keeptrail

import (
	"encoding/json"
	"time"
)

// FrameworkTemplate is a stored custom framework template (package evidence reads its
// definition). Every change is a new version; earlier versions stay readable, also after
// the template is deleted, so a package can always say which definition it was built from.
type FrameworkTemplate struct {
	ID int64 `json:"id"`
	// Name identifies the template; unique among live templates without regard to case.
	Name string `json:"name"`
	// Version is 1 when created and one more on each update (and on re-creation of a
	// deleted name, which continues its numbering).
	Version int64 `json:"version"`
	// Definition is the template's content as compact JSON (title, sections, ...).
	Definition json.RawMessage `json:"definition"`
	CreatedAt  time.Time       `json:"created_at"`
	CreatedBy  string          `json:"created_by"`
	// UpdatedAt and UpdatedBy are when and by whom this version was written.
	UpdatedAt time.Time  `json:"updated_at"`
	UpdatedBy string     `json:"updated_by"`
	DeletedAt *time.Time `json:"deleted_at,omitempty"`
}

// FrameworkTx is the part of Tx that stores custom framework templates for compliance
// packages (SOC 2 and HIPAA are built in and not stored). Names are matched without
// regard to case; the store keeps the name as first written.
type FrameworkTx interface {
	// CreateFrameworkTemplate inserts t (Name, Definition, CreatedBy) and sets its ID,
	// Version, CreatedAt, UpdatedAt (the transaction's time) and UpdatedBy (CreatedBy).
	// A name that a deleted template had is taken over: that template comes back with
	// the next version number and the new definition. ECONFLICT when a live template
	// has the name.
	CreateFrameworkTemplate(t *FrameworkTemplate) error
	// FrameworkTemplate returns the current version of the live template with the name;
	// ENOTFOUND if there is none.
	FrameworkTemplate(name string) (FrameworkTemplate, error)
	// FrameworkTemplates lists the live templates at their current version, by name
	// without regard to case.
	FrameworkTemplates() ([]FrameworkTemplate, error)
	// UpdateFrameworkTemplate stores t.Definition as the next version of the live
	// template named t.Name, written by t.UpdatedBy, and sets t's ID, Version,
	// CreatedAt, CreatedBy and UpdatedAt (the transaction's time). ENOTFOUND when no live
	// template has the name.
	UpdateFrameworkTemplate(t *FrameworkTemplate) error
	// DeleteFrameworkTemplate marks the live template with the name deleted at the
	// transaction's time and returns it; its versions stay readable. ENOTFOUND when no
	// live template has the name.
	DeleteFrameworkTemplate(name string) (FrameworkTemplate, error)
	// FrameworkTemplateVersion returns one version of the template with the name, live
	// or deleted; ENOTFOUND if there is none.
	FrameworkTemplateVersion(name string, version int64) (FrameworkTemplate, error)
}
