package evidence

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/keeptrail/keeptrail"
)

// templateBody is what the store keeps of a template besides its name, version and
// times: FrameworkTemplate.Definition.
type templateBody struct {
	Title       string    `json:"title"`
	Edition     string    `json:"edition,omitempty"`
	Description string    `json:"description,omitempty"`
	IDPrefix    string    `json:"id_prefix,omitempty"`
	Sections    []Section `json:"sections"`
}

// Definition returns the content of f that the store keeps (FrameworkTemplate.Definition):
// compact JSON of its title, edition, description, id prefix and sections, the same bytes
// for the same template.
func Definition(f Framework) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	body := templateBody{Title: f.Title, Edition: f.Edition, Description: f.Description, IDPrefix: f.IDPrefix, Sections: f.Sections}
	if err := enc.Encode(body); err != nil {
		panic("evidence: encode framework definition: " + err.Error()) // only strings and slices: cannot fail
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}

// FromTemplate returns the framework a stored template defines, with its name, version
// and times.
func FromTemplate(t keeptrail.FrameworkTemplate) (Framework, error) {
	var body templateBody
	dec := json.NewDecoder(bytes.NewReader(t.Definition))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return Framework{}, fmt.Errorf("evidence: framework template %q version %d: %w", t.Name, t.Version, err)
	}
	created, updated := t.CreatedAt, t.UpdatedAt
	return Framework{
		Name: t.Name, Title: body.Title, Edition: body.Edition, Version: t.Version, Description: body.Description,
		IDPrefix: body.IDPrefix, Sections: body.Sections,
		CreatedAt: &created, CreatedBy: t.CreatedBy, UpdatedAt: &updated, UpdatedBy: t.UpdatedBy,
	}, nil
}
