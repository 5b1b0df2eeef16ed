package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/evidence"
)

// Framework templates: SOC 2 and HIPAA are built in; compliance officers and admins
// manage custom templates. Every change is a new version, and earlier versions stay
// readable (FrameworkVersion), also after a delete, so a package can always be traced to
// the definition it was built from.
var (
	opFrameworksRead   = op{"framework_template.list", catAuthz, sevLow, "read framework templates"}
	opFrameworkCreated = op{"framework_template.created", catConfig, sevLow, "create framework templates"}
	opFrameworkUpdated = op{"framework_template.updated", catConfig, sevLow, "change framework templates"}
	opFrameworkDeleted = op{"framework_template.deleted", catConfig, sevMedium, "delete framework templates"}
)

// frameworkTarget is the audit target of a framework template.
func frameworkTarget(name string) string { return "framework_template:" + name }

// authorizeFramework checks that the caller may change framework templates: admins and
// compliance officers only (they are organization-wide, and shape what auditors are
// shown). A denied attempt is recorded.
func (e *Engine) authorizeFramework(ctx context.Context, o op, target string) (*keeptrail.Principal, error) {
	p, err := e.authorize(ctx, keeptrail.ActManage, o, target)
	if err != nil {
		return nil, err
	}
	if p.Role != keeptrail.RoleAdmin && p.Role != keeptrail.RoleComplianceOfficer {
		return nil, e.deny(ctx, p, &denial{op: o, target: target,
			reason: fmt.Sprintf("role %s may not %s", p.Role, o.what)})
	}
	if err := e.requireAllTeams(ctx, p, o, target); err != nil {
		return nil, err
	}
	return p, nil
}

// builtInProblem is the error for changing soc2 or hipaa.
func builtInProblem(name string) error {
	var v keeptrail.Validation
	v.Add("name", "%q is a built-in framework and cannot be changed or deleted", name)
	return v.Err()
}

// Frameworks lists the frameworks a compliance package may use: the built-in ones (SOC 2,
// HIPAA) first, then the custom templates by name at their current version. It needs the
// read permission.
func (e *Engine) Frameworks(ctx context.Context) ([]evidence.Framework, error) {
	if _, err := e.authorize(ctx, keeptrail.ActRead, opFrameworksRead, ""); err != nil {
		return nil, err
	}
	out := evidence.BuiltIn()
	err := e.st.View(ctx, func(tx keeptrail.Tx) error {
		ts, err := tx.FrameworkTemplates()
		if err != nil {
			return err
		}
		for _, t := range ts {
			f, err := evidence.FromTemplate(t)
			if err != nil {
				return err
			}
			out = append(out, f)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("engine: list framework templates: %w", err)
	}
	return out, nil
}

// Framework returns the built-in framework or the custom template with the name (in any
// case), at its current version. It needs the read permission; ENOTFOUND when there is
// none.
func (e *Engine) Framework(ctx context.Context, name string) (evidence.Framework, error) {
	return e.frameworkVersion(ctx, name, 0)
}

// FrameworkVersion returns one version of a framework: of a custom template, live or
// deleted, or version 1 of a built-in one. It needs the read permission; ENOTFOUND when
// there is no such version.
func (e *Engine) FrameworkVersion(ctx context.Context, name string, version int64) (evidence.Framework, error) {
	if version < 1 {
		var v keeptrail.Validation
		v.Add("version", "must be a positive whole number")
		return evidence.Framework{}, v.Err()
	}
	return e.frameworkVersion(ctx, name, version)
}

// frameworkVersion reads version (0: the current one) of the framework with the name.
func (e *Engine) frameworkVersion(ctx context.Context, name string, version int64) (evidence.Framework, error) {
	if _, err := e.authorize(ctx, keeptrail.ActRead, opFrameworksRead, frameworkTarget(name)); err != nil {
		return evidence.Framework{}, err
	}
	if f, ok := evidence.LookupBuiltIn(name); ok {
		if version > 1 {
			return evidence.Framework{}, keeptrail.Errorf(keeptrail.ENOTFOUND, "framework %q version %d not found", f.Name, version)
		}
		return f, nil
	}
	var t keeptrail.FrameworkTemplate
	err := e.st.View(ctx, func(tx keeptrail.Tx) error {
		var err error
		if version == 0 {
			t, err = tx.FrameworkTemplate(name)
		} else {
			t, err = tx.FrameworkTemplateVersion(name, version)
		}
		return err
	})
	if keeptrail.ErrorCode(err) == keeptrail.ENOTFOUND {
		if version == 0 {
			return evidence.Framework{}, keeptrail.Errorf(keeptrail.ENOTFOUND, "framework %q not found", name)
		}
		return evidence.Framework{}, keeptrail.Errorf(keeptrail.ENOTFOUND, "framework %q version %d not found", name, version)
	} else if err != nil {
		return evidence.Framework{}, fmt.Errorf("engine: load framework template: %w", err)
	}
	f, err := evidence.FromTemplate(t)
	if err != nil {
		return evidence.Framework{}, fmt.Errorf("engine: %w", err)
	}
	return f, nil
}

// CreateFramework stores a custom framework template from its YAML or JSON document
// (evidence.ParseTemplate) as version 1. Only admins and compliance officers may; a
// template that does not parse or validate is EINVALID naming each field, a name a live
// template has is ECONFLICT. Recorded as framework_template.created with the name,
// version, title, section ids and the SHA-256 of the stored definition.
func (e *Engine) CreateFramework(ctx context.Context, document []byte) (evidence.Framework, error) {
	p, err := e.authorizeFramework(ctx, opFrameworkCreated, "")
	if err != nil {
		return evidence.Framework{}, err
	}
	f, err := evidence.ParseTemplate(document)
	if err != nil {
		return evidence.Framework{}, err
	}
	var out evidence.Framework
	err = e.update(ctx, p, func(tx keeptrail.Tx) error {
		t := keeptrail.FrameworkTemplate{Name: f.Name, Definition: evidence.Definition(f), CreatedBy: p.Name}
		if err := tx.CreateFrameworkTemplate(&t); err != nil {
			if keeptrail.ErrorCode(err) == keeptrail.ECONFLICT {
				return keeptrail.Errorf(keeptrail.ECONFLICT, "a framework template named %q already exists", f.Name)
			}
			return fmt.Errorf("engine: create framework template: %w", err)
		}
		var err error
		if out, err = evidence.FromTemplate(t); err != nil {
			return fmt.Errorf("engine: %w", err)
		}
		return record(tx, p, opFrameworkCreated, frameworkTarget(t.Name), nil, map[string]any{
			"name": t.Name, "version": t.Version, "title": out.Title, "sections": sectionIDs(out),
			"definition_sha256": digest(t.Definition),
		})
	})
	if err != nil {
		return evidence.Framework{}, err
	}
	return out, nil
}

// UpdateFramework stores a new version of the custom template with the name from a YAML
// or JSON document (evidence.ParseTemplateFor: the name may be left out, and cannot
// change). When the document gives a version, it must be the template's current version,
// else ECONFLICT (someone changed it meanwhile). Only admins and compliance officers may;
// soc2 and hipaa are EINVALID. A document that changes nothing writes nothing and returns
// the current version; otherwise it is recorded as framework_template.updated with the
// versions, the SHA-256 of each definition, the title before/after when it changed, and
// the ids of sections added, removed and changed.
func (e *Engine) UpdateFramework(ctx context.Context, name string, document []byte) (evidence.Framework, error) {
	target := frameworkTarget(name)
	p, err := e.authorizeFramework(ctx, opFrameworkUpdated, target)
	if err != nil {
		return evidence.Framework{}, err
	}
	if evidence.Reserved(name) {
		return evidence.Framework{}, builtInProblem(name)
	}
	f, err := evidence.ParseTemplateFor(document, name)
	if err != nil {
		return evidence.Framework{}, err
	}
	var out evidence.Framework
	err = e.update(ctx, p, func(tx keeptrail.Tx) error {
		cur, err := tx.FrameworkTemplate(name)
		if keeptrail.ErrorCode(err) == keeptrail.ENOTFOUND {
			return keeptrail.Errorf(keeptrail.ENOTFOUND, "framework %q not found", name)
		} else if err != nil {
			return fmt.Errorf("engine: load framework template: %w", err)
		}
		if f.Version != 0 && f.Version != cur.Version {
			return keeptrail.Errorf(keeptrail.ECONFLICT,
				"framework template %q is at version %d, not %d: it was changed meanwhile; fetch it and apply your change again",
				cur.Name, cur.Version, f.Version)
		}
		before, err := evidence.FromTemplate(cur)
		if err != nil {
			return fmt.Errorf("engine: %w", err)
		}
		def := evidence.Definition(f)
		if string(def) == string(evidence.Definition(before)) {
			out = before
			return nil
		}
		t := keeptrail.FrameworkTemplate{Name: cur.Name, Definition: def, UpdatedBy: p.Name}
		if err := tx.UpdateFrameworkTemplate(&t); err != nil {
			return fmt.Errorf("engine: update framework template: %w", err)
		}
		if out, err = evidence.FromTemplate(t); err != nil {
			return fmt.Errorf("engine: %w", err)
		}
		return record(tx, p, opFrameworkUpdated, frameworkTarget(t.Name), nil, changeDetails(cur, t, before, out))
	})
	if err != nil {
		return evidence.Framework{}, err
	}
	return out, nil
}

// DeleteFramework deletes the custom template with the name: it no longer appears in
// lists and packages cannot use it, but its versions stay readable through
// FrameworkVersion, and creating the name again continues its version numbers. Only
// admins and compliance officers may; soc2 and hipaa are EINVALID. Recorded as
// framework_template.deleted with the name, the last version, its title and SHA-256.
func (e *Engine) DeleteFramework(ctx context.Context, name string) (evidence.Framework, error) {
	target := frameworkTarget(name)
	p, err := e.authorizeFramework(ctx, opFrameworkDeleted, target)
	if err != nil {
		return evidence.Framework{}, err
	}
	if evidence.Reserved(name) {
		return evidence.Framework{}, builtInProblem(name)
	}
	var out evidence.Framework
	err = e.update(ctx, p, func(tx keeptrail.Tx) error {
		t, err := tx.DeleteFrameworkTemplate(name)
		if keeptrail.ErrorCode(err) == keeptrail.ENOTFOUND {
			return keeptrail.Errorf(keeptrail.ENOTFOUND, "framework %q not found", name)
		} else if err != nil {
			return fmt.Errorf("engine: delete framework template: %w", err)
		}
		if out, err = evidence.FromTemplate(t); err != nil {
			return fmt.Errorf("engine: %w", err)
		}
		return record(tx, p, opFrameworkDeleted, frameworkTarget(t.Name), nil, map[string]any{
			"name": t.Name, "version": t.Version, "title": out.Title, "definition_sha256": digest(t.Definition),
		})
	})
	if err != nil {
		return evidence.Framework{}, err
	}
	return out, nil
}

// changeDetails describes an update for its audit entry.
func changeDetails(cur, next keeptrail.FrameworkTemplate, before, after evidence.Framework) map[string]any {
	d := map[string]any{
		"name":              next.Name,
		"version":           map[string]int64{"before": cur.Version, "after": next.Version},
		"definition_sha256": map[string]string{"before": digest(cur.Definition), "after": digest(next.Definition)},
	}
	if before.Title != after.Title {
		d["title"] = map[string]string{"before": before.Title, "after": after.Title}
	}
	added, removed, changed := []string{}, []string{}, []string{}
	for _, s := range after.Sections {
		old, ok := before.Section(s.ID)
		switch {
		case !ok:
			added = append(added, s.ID)
		case !sameSection(old, s):
			changed = append(changed, s.ID)
		}
	}
	for _, s := range before.Sections {
		if _, ok := after.Section(s.ID); !ok {
			removed = append(removed, s.ID)
		}
	}
	d["sections"] = map[string][]string{"added": added, "removed": removed, "changed": changed}
	return d
}

func sameSection(a, b evidence.Section) bool {
	return a.Title == b.Title && a.Description == b.Description && a.AuditorFocus == b.AuditorFocus &&
		slices.Equal(a.Sources, b.Sources)
}

func sectionIDs(f evidence.Framework) []string {
	ids := make([]string, len(f.Sections))
	for i, s := range f.Sections {
		ids[i] = s.ID
	}
	return ids
}

// digest is the hex SHA-256 of a stored definition.
func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
