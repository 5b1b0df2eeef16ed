package storetest

import (
	"encoding/json"
	"testing"

	keeptrail "github.com/keeptrail/keeptrail"
)

func testFrameworkTemplates(t *testing.T, st keeptrail.Store) {
	var created, startedAt keeptrail.FrameworkTemplate
	update(t, st, func(tx keeptrail.Tx) error {
		startedAt.CreatedAt = tx.Now()
		created = keeptrail.FrameworkTemplate{Name: "ACME-ai", CreatedBy: "ann@acme.example",
			Definition: json.RawMessage(`{ "title": "ACME AI", "sections": [] }`)}
		if err := tx.CreateFrameworkTemplate(&created); err != nil {
			return err
		}
		other := keeptrail.FrameworkTemplate{Name: "beta", CreatedBy: "ann@acme.example", Definition: json.RawMessage(`{"title":"B"}`)}
		if err := tx.CreateFrameworkTemplate(&other); err != nil {
			return err
		}
		err := tx.CreateFrameworkTemplate(&keeptrail.FrameworkTemplate{Name: "acme-AI", CreatedBy: "bob", Definition: json.RawMessage(`{}`)})
		wantErr(t, err, keeptrail.ECONFLICT, `framework template "acme-AI" already exists`)
		return nil
	})
	now := startedAt.CreatedAt
	want := keeptrail.FrameworkTemplate{ID: created.ID, Name: "ACME-ai", Version: 1,
		Definition: json.RawMessage(`{"title":"ACME AI","sections":[]}`), CreatedAt: now, CreatedBy: "ann@acme.example",
		UpdatedAt: now, UpdatedBy: "ann@acme.example"}
	wantEqual(t, "created template", created, want)
	view(t, st, func(tx keeptrail.Tx) error {
		got, err := tx.FrameworkTemplate("acme-AI")
		if err != nil {
			return err
		}
		wantEqual(t, "FrameworkTemplate (any case)", got, want)
		all, err := tx.FrameworkTemplates()
		if err != nil {
			return err
		}
		if len(all) != 2 || all[0].Name != "ACME-ai" || all[1].Name != "beta" {
			t.Fatalf("FrameworkTemplates: %+v", all)
		}
		_, err = tx.FrameworkTemplate("gamma")
		wantErr(t, err, keeptrail.ENOTFOUND, `framework template "gamma" not found`)
		return nil
	})

	// Updates add versions; every version stays readable.
	var v2, v3 keeptrail.FrameworkTemplate
	update(t, st, func(tx keeptrail.Tx) error {
		v2 = keeptrail.FrameworkTemplate{Name: "acme-ai", UpdatedBy: "bob@acme.example", Definition: json.RawMessage(`{"title":"ACME AI v2"}`)}
		if err := tx.UpdateFrameworkTemplate(&v2); err != nil {
			return err
		}
		v3 = keeptrail.FrameworkTemplate{Name: "ACME-AI", UpdatedBy: "cy@acme.example", Definition: json.RawMessage(`{"title":"ACME AI v3"}`)}
		if err := tx.UpdateFrameworkTemplate(&v3); err != nil {
			return err
		}
		err := tx.UpdateFrameworkTemplate(&keeptrail.FrameworkTemplate{Name: "gamma", UpdatedBy: "x", Definition: json.RawMessage(`{}`)})
		wantErr(t, err, keeptrail.ENOTFOUND, `framework template "gamma" not found`)
		return nil
	})
	wantEqual(t, "version 3", v3, keeptrail.FrameworkTemplate{ID: created.ID, Name: "ACME-ai", Version: 3,
		Definition: json.RawMessage(`{"title":"ACME AI v3"}`), CreatedAt: now, CreatedBy: "ann@acme.example",
		UpdatedAt: v3.UpdatedAt, UpdatedBy: "cy@acme.example"})
	if v2.Version != 2 || v3.UpdatedAt.Before(now) {
		t.Fatalf("version 2: %+v", v2)
	}
	view(t, st, func(tx keeptrail.Tx) error {
		cur, err := tx.FrameworkTemplate("acme-ai")
		if err != nil {
			return err
		}
		wantEqual(t, "current after updates", cur, v3)
		old, err := tx.FrameworkTemplateVersion("acme-ai", 1)
		if err != nil {
			return err
		}
		wantEqual(t, "version 1", old, want)
		mid, err := tx.FrameworkTemplateVersion("acme-ai", 2)
		if err != nil {
			return err
		}
		wantEqual(t, "version 2", mid, v2)
		_, err = tx.FrameworkTemplateVersion("acme-ai", 4)
		wantErr(t, err, keeptrail.ENOTFOUND, `framework template "acme-ai" version 4 not found`)
		return nil
	})

	// Deleted templates disappear from lists but keep their versions; the name can be
	// taken again, continuing the numbering.
	var deleted keeptrail.FrameworkTemplate
	update(t, st, func(tx keeptrail.Tx) error {
		var err error
		if deleted, err = tx.DeleteFrameworkTemplate("acme-ai"); err != nil {
			return err
		}
		wantEqual(t, "deleted at", *deleted.DeletedAt, tx.Now())
		_, err = tx.DeleteFrameworkTemplate("acme-ai")
		wantErr(t, err, keeptrail.ENOTFOUND, `framework template "acme-ai" not found`)
		err = tx.UpdateFrameworkTemplate(&keeptrail.FrameworkTemplate{Name: "acme-ai", UpdatedBy: "x", Definition: json.RawMessage(`{}`)})
		wantErr(t, err, keeptrail.ENOTFOUND, `framework template "acme-ai" not found`)
		return nil
	})
	want3 := v3
	want3.DeletedAt = deleted.DeletedAt
	wantEqual(t, "deleted template", deleted, want3)
	view(t, st, func(tx keeptrail.Tx) error {
		_, err := tx.FrameworkTemplate("acme-ai")
		wantErr(t, err, keeptrail.ENOTFOUND, `framework template "acme-ai" not found`)
		all, err := tx.FrameworkTemplates()
		if err != nil {
			return err
		}
		if len(all) != 1 || all[0].Name != "beta" {
			t.Fatalf("FrameworkTemplates after delete: %+v", all)
		}
		old, err := tx.FrameworkTemplateVersion("acme-ai", 2)
		if err != nil {
			return err
		}
		w := v2
		w.DeletedAt = deleted.DeletedAt
		wantEqual(t, "version 2 of a deleted template", old, w)
		return nil
	})
	var again keeptrail.FrameworkTemplate
	update(t, st, func(tx keeptrail.Tx) error {
		again = keeptrail.FrameworkTemplate{Name: "Acme-AI", CreatedBy: "dee@acme.example", Definition: json.RawMessage(`{"title":"again"}`)}
		return tx.CreateFrameworkTemplate(&again)
	})
	if again.ID != created.ID || again.Version != 4 || again.Name != "Acme-AI" || again.DeletedAt != nil || again.UpdatedBy != "dee@acme.example" {
		t.Fatalf("re-created template: %+v", again)
	}
	view(t, st, func(tx keeptrail.Tx) error {
		cur, err := tx.FrameworkTemplate("acme-ai")
		if err != nil {
			return err
		}
		wantEqual(t, "re-created template", cur, again)
		old, err := tx.FrameworkTemplateVersion("acme-ai", 3)
		if err != nil {
			return err
		}
		if string(old.Definition) != `{"title":"ACME AI v3"}` || old.UpdatedBy != "cy@acme.example" {
			t.Fatalf("version 3 after re-creation: %+v", old)
		}
		return nil
	})

	// A rolled-back create leaves nothing behind.
	err := st.Update(bg(), func(tx keeptrail.Tx) error {
		if err := tx.CreateFrameworkTemplate(&keeptrail.FrameworkTemplate{Name: "gone", CreatedBy: "x", Definition: json.RawMessage(`{}`)}); err != nil {
			return err
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatalf("rolled-back update: %v", err)
	}
	view(t, st, func(tx keeptrail.Tx) error {
		_, err := tx.FrameworkTemplate("gone")
		wantErr(t, err, keeptrail.ENOTFOUND, `framework template "gone" not found`)
		return nil
	})
}
