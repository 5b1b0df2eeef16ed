package sqlstore

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	keeptrail "github.com/keeptrail/keeptrail"
)

const frameworkTemplateColumns = "id, name, version, definition, created_at, created_by, updated_at, updated_by, deleted_at"

func scanFrameworkTemplate(s scanner) (keeptrail.FrameworkTemplate, error) {
	var ft keeptrail.FrameworkTemplate
	var def string
	var created, updated int64
	var deleted sql.NullInt64
	if err := s.Scan(&ft.ID, &ft.Name, &ft.Version, &def, &created, &ft.CreatedBy, &updated, &ft.UpdatedBy, &deleted); err != nil {
		return ft, err
	}
	ft.Definition = json.RawMessage(def)
	ft.CreatedAt = fromMicros(created)
	ft.UpdatedAt = fromMicros(updated)
	ft.DeletedAt = timePtr(deleted)
	return ft, nil
}

// nameKey is the form names are compared in: lower case.
func nameKey(name string) string { return strings.ToLower(name) }

// CreateFrameworkTemplate inserts t as version 1, or brings back the deleted template with
// the name at its next version. ECONFLICT when a live template has the name.
func (t *tx) CreateFrameworkTemplate(ft *keeptrail.FrameworkTemplate) error {
	def, err := compactJSON(ft.Definition, "{}")
	if err != nil {
		return fmt.Errorf("compact framework definition: %w", err)
	}
	ft.Definition = json.RawMessage(def)
	ft.CreatedAt, ft.UpdatedAt, ft.UpdatedBy, ft.DeletedAt = t.now, t.now, ft.CreatedBy, nil
	ft.Version = 1
	err = t.queryRow(`INSERT INTO framework_templates (name, name_key, version, definition, created_at, created_by, updated_at, updated_by)
VALUES (?, ?, 1, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		ft.Name, nameKey(ft.Name), def, micros(t.now), ft.CreatedBy, micros(t.now), ft.CreatedBy).Scan(&ft.ID)
	if errors.Is(err, sql.ErrNoRows) {
		// The name is taken: by a deleted template, which comes back, or a live one.
		err = t.queryRow(`UPDATE framework_templates SET name = ?, version = version + 1, definition = ?, created_at = ?,
created_by = ?, updated_at = ?, updated_by = ?, deleted_at = NULL
WHERE name_key = ? AND deleted_at IS NOT NULL RETURNING id, version`,
			ft.Name, def, micros(t.now), ft.CreatedBy, micros(t.now), ft.CreatedBy, nameKey(ft.Name)).Scan(&ft.ID, &ft.Version)
		if errors.Is(err, sql.ErrNoRows) {
			return conflict("framework template", ft.Name)
		}
	}
	if err != nil {
		return fmt.Errorf("insert framework template: %w", err)
	}
	return t.insertFrameworkVersion(ft)
}

// insertFrameworkVersion records ft's current version in the history.
func (t *tx) insertFrameworkVersion(ft *keeptrail.FrameworkTemplate) error {
	_, err := t.exec(`INSERT INTO framework_template_versions (template_id, version, definition, written_at, written_by)
VALUES (?, ?, ?, ?, ?)`, ft.ID, ft.Version, string(ft.Definition), micros(ft.UpdatedAt), ft.UpdatedBy)
	if err != nil {
		return writeErr(err, "insert framework template version", "framework template version", ft.Version)
	}
	return nil
}

// FrameworkTemplate returns the live template with the name; ENOTFOUND if there is none.
func (t *tx) FrameworkTemplate(name string) (keeptrail.FrameworkTemplate, error) {
	ft, err := scanFrameworkTemplate(t.queryRow("SELECT "+frameworkTemplateColumns+
		" FROM framework_templates WHERE name_key = ? AND deleted_at IS NULL", nameKey(name)))
	if err != nil {
		return ft, rowErr(err, "select framework template", "framework template", name)
	}
	return ft, nil
}

// FrameworkTemplates lists the live templates by name without regard to case.
func (t *tx) FrameworkTemplates() ([]keeptrail.FrameworkTemplate, error) {
	return queryAll(t, "framework templates", scanFrameworkTemplate, "SELECT "+frameworkTemplateColumns+
		" FROM framework_templates WHERE deleted_at IS NULL ORDER BY name_key")
}

// UpdateFrameworkTemplate stores ft.Definition as the next version of the live template
// named ft.Name. ENOTFOUND when there is none.
func (t *tx) UpdateFrameworkTemplate(ft *keeptrail.FrameworkTemplate) error {
	def, err := compactJSON(ft.Definition, "{}")
	if err != nil {
		return fmt.Errorf("compact framework definition: %w", err)
	}
	var created int64
	err = t.queryRow(`UPDATE framework_templates SET version = version + 1, definition = ?, updated_at = ?, updated_by = ?
WHERE name_key = ? AND deleted_at IS NULL RETURNING id, name, version, created_at, created_by`,
		def, micros(t.now), ft.UpdatedBy, nameKey(ft.Name)).Scan(&ft.ID, &ft.Name, &ft.Version, &created, &ft.CreatedBy)
	if err != nil {
		return rowErr(err, "update framework template", "framework template", ft.Name)
	}
	ft.Definition = json.RawMessage(def)
	ft.CreatedAt, ft.UpdatedAt, ft.DeletedAt = fromMicros(created), t.now, nil
	return t.insertFrameworkVersion(ft)
}

// DeleteFrameworkTemplate marks the live template with the name deleted and returns it.
func (t *tx) DeleteFrameworkTemplate(name string) (keeptrail.FrameworkTemplate, error) {
	ft, err := scanFrameworkTemplate(t.queryRow("UPDATE framework_templates SET deleted_at = ? WHERE name_key = ? AND deleted_at IS NULL RETURNING "+
		frameworkTemplateColumns, micros(t.now), nameKey(name)))
	if err != nil {
		return ft, rowErr(err, "delete framework template", "framework template", name)
	}
	return ft, nil
}

// FrameworkTemplateVersion returns one version of the template with the name, live or
// deleted.
func (t *tx) FrameworkTemplateVersion(name string, version int64) (keeptrail.FrameworkTemplate, error) {
	ft, err := scanFrameworkTemplate(t.queryRow(`SELECT f.id, f.name, v.version, v.definition, f.created_at, f.created_by,
v.written_at, v.written_by, f.deleted_at
FROM framework_template_versions v JOIN framework_templates f ON f.id = v.template_id
WHERE f.name_key = ? AND v.version = ?`, nameKey(name), version))
	if errors.Is(err, sql.ErrNoRows) {
		return ft, keeptrail.Errorf(keeptrail.ENOTFOUND, "framework template %q version %d not found", name, version)
	} else if err != nil {
		return ft, fmt.Errorf("select framework template version: %w", err)
	}
	return ft, nil
}
