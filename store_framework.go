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
// packages (SOC 2 and HIPAA are built in and not stored).
type FrameworkTx interface{}
