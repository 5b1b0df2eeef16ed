package engine_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"testing"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/evidence"
)

const acmeTemplate = `name: acme-ai
title: ACME AI governance
sections:
  - id: AI-1
    title: Prompt screening
    sources: [events.blocks_by_rule]
  - id: AI-2
    title: Spend control
    sources: [spend]
`

const acmeTemplateV2 = `title: ACME AI governance (2025)
sections:
  - id: AI-1
    title: Prompt screening
    sources: [events.blocks_by_rule, audit_log.configuration]
  - id: AI-3
    title: Access
    sources: [access.rbac]
`

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func names(fs []evidence.Framework) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Name)
	}
	return out
}

func TestFrameworkLifecycle(t *testing.T) {
	each(t, func(t *testing.T, x *env) {
		officer := as(x.officer())
		seq := x.head()
		f, err := x.e.CreateFramework(officer, []byte(acmeTemplate))
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		if f.Name != "acme-ai" || f.Version != 1 || f.BuiltIn || len(f.Sections) != 2 || f.CreatedBy != "cora@acme.example" ||
			!f.CreatedAt.Equal(start) {
			t.Fatalf("created framework: %+v", f)
		}
		def1 := string(evidence.Definition(f))
		x.expect(t, seq, entry{Actor: "cora@acme.example", Action: "framework_template.created", Category: "configuration",
			Target: "framework_template:acme-ai", Severity: keeptrail.SeverityLow, Outcome: "success",
			Details: `{"definition_sha256":"` + sha(def1) + `","name":"acme-ai","sections":["AI-1","AI-2"],"title":"ACME AI governance","version":1}`})

		_, err = x.e.CreateFramework(x.asAdmin(), []byte("name: ACME-AI\ntitle: x\nsections: [{id: a, title: b, sources: [spend]}]\n"))
		wantCode(t, err, keeptrail.ECONFLICT)
		if err.Error() != `a framework template named "ACME-AI" already exists` {
			t.Errorf("conflict message %q", err)
		}

		// Everyone who may read sees built-ins first, then templates.
		for _, p := range []*keeptrail.Principal{x.viewer(), x.auditor(), x.teamAdmin()} {
			fs, err := x.e.Frameworks(as(p))
			if err != nil {
				t.Fatalf("%s: list: %v", p.Role, err)
			}
			if got := names(fs); !slices.Equal(got, []string{"soc2", "hipaa", "acme-ai"}) {
				t.Fatalf("%s: frameworks %v", p.Role, got)
			}
		}
		got, err := x.e.Framework(as(x.auditor()), "ACME-AI")
		if err != nil || got.Name != "acme-ai" || got.Version != 1 {
			t.Fatalf("show: %+v, %v", got, err)
		}
		soc, err := x.e.Framework(as(x.viewer()), "SOC2")
		if err != nil || soc.Name != "soc2" || !soc.BuiltIn {
			t.Fatalf("show soc2: %+v, %v", soc, err)
		}

		// An update is a new version; the old one stays readable.
		x.clock.Add(3600e9)
		seq = x.head()
		f2, err := x.e.UpdateFramework(x.asAdmin(), "acme-ai", []byte(acmeTemplateV2))
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		if f2.Version != 2 || f2.Title != "ACME AI governance (2025)" || f2.UpdatedBy != "ada@acme.example" || f2.CreatedBy != "cora@acme.example" {
			t.Fatalf("updated framework: %+v", f2)
		}
		def2 := string(evidence.Definition(f2))
		x.expect(t, seq, entry{Actor: "ada@acme.example", Action: "framework_template.updated", Category: "configuration",
			Target: "framework_template:acme-ai", Severity: keeptrail.SeverityLow, Outcome: "success",
			Details: `{"definition_sha256":{"after":"` + sha(def2) + `","before":"` + sha(def1) + `"},"name":"acme-ai",` +
				`"sections":{"added":["AI-3"],"changed":["AI-1"],"removed":["AI-2"]},` +
				`"title":{"after":"ACME AI governance (2025)","before":"ACME AI governance"},"version":{"after":2,"before":1}}`})
		old, err := x.e.FrameworkVersion(as(x.auditor()), "acme-ai", 1)
		if err != nil || old.Title != "ACME AI governance" || old.Version != 1 {
			t.Fatalf("version 1: %+v, %v", old, err)
		}

		// The same document again changes nothing; a stale version is a conflict.
		seq = x.head()
		same, err := x.e.UpdateFramework(officer, "acme-ai", []byte(acmeTemplateV2))
		if err != nil || same.Version != 2 {
			t.Fatalf("unchanged update: %+v, %v", same, err)
		}
		x.expect(t, seq)
		_, err = x.e.UpdateFramework(officer, "acme-ai", []byte("version: 1\n"+acmeTemplate))
		wantCode(t, err, keeptrail.ECONFLICT)
		if err.Error() != `framework template "acme-ai" is at version 2, not 1: it was changed meanwhile; fetch it and apply your change again` {
			t.Errorf("stale version message %q", err)
		}
		_, err = x.e.UpdateFramework(officer, "acme-ai", []byte("name: renamed\n"+acmeTemplateV2))
		wantFields(t, err, "name")
		_, err = x.e.UpdateFramework(officer, "nope", []byte(acmeTemplateV2))
		wantCode(t, err, keeptrail.ENOTFOUND)

		// Delete: gone from lists, versions kept, the name can come back.
		seq = x.head()
		del, err := x.e.DeleteFramework(officer, "Acme-AI")
		if err != nil || del.Version != 2 {
			t.Fatalf("delete: %+v, %v", del, err)
		}
		x.expect(t, seq, entry{Actor: "cora@acme.example", Action: "framework_template.deleted", Category: "configuration",
			Target: "framework_template:acme-ai", Severity: keeptrail.SeverityMedium, Outcome: "success",
			Details: `{"definition_sha256":"` + sha(def2) + `","name":"acme-ai","title":"ACME AI governance (2025)","version":2}`})
		_, err = x.e.Framework(officer, "acme-ai")
		wantCode(t, err, keeptrail.ENOTFOUND)
		_, err = x.e.DeleteFramework(officer, "acme-ai")
		wantCode(t, err, keeptrail.ENOTFOUND)
		if v2, err := x.e.FrameworkVersion(officer, "acme-ai", 2); err != nil || v2.Title != "ACME AI governance (2025)" {
			t.Fatalf("version 2 after delete: %+v, %v", v2, err)
		}
		back, err := x.e.CreateFramework(officer, []byte(acmeTemplate))
		if err != nil || back.Version != 3 {
			t.Fatalf("re-create: %+v, %v", back, err)
		}
		_, err = x.e.FrameworkVersion(officer, "acme-ai", 9)
		wantCode(t, err, keeptrail.ENOTFOUND)
		_, err = x.e.FrameworkVersion(officer, "hipaa", 2)
		wantCode(t, err, keeptrail.ENOTFOUND)
		_, err = x.e.FrameworkVersion(officer, "acme-ai", 0)
		wantFields(t, err, "version")
	})
}

func TestFrameworkValidationAndBuiltIns(t *testing.T) {
	each(t, func(t *testing.T, x *env) {
		seq := x.head()
		_, err := x.e.CreateFramework(x.asAdmin(), []byte("name: a\ntitle: A\nsections:\n  - {id: x, title: X, sources: [spend]}\n  - {id: y, title: Y, sources: [spend]}\n  - {id: z, title: Z, sources: [foo]}\n"))
		wantFields(t, err, "sections[2].sources[0]")
		if err.Error() != `sections[2].sources[0]: unknown evidence source "foo"` {
			t.Errorf("message %q", err)
		}
		_, err = x.e.CreateFramework(x.asAdmin(), []byte("name: soc2\ntitle: A\nsections: [{id: x, title: X, sources: [spend]}]\n"))
		wantFields(t, err, "name")
		_, err = x.e.UpdateFramework(x.asAdmin(), "HIPAA", []byte(acmeTemplateV2))
		wantFields(t, err, "name")
		_, err = x.e.DeleteFramework(x.asAdmin(), "soc2")
		wantFields(t, err, "name")
		if err.Error() != `name: "soc2" is a built-in framework and cannot be changed or deleted` {
			t.Errorf("message %q", err)
		}
		x.expect(t, seq) // nothing was written
	})
}

func TestFrameworkRoles(t *testing.T) {
	each(t, func(t *testing.T, x *env) {
		if _, err := x.e.CreateFramework(x.asAdmin(), []byte(acmeTemplate)); err != nil {
			t.Fatal(err)
		}
		for _, p := range []*keeptrail.Principal{x.teamAdmin(), x.auditor(), x.viewer(), x.gatewayKey()} {
			seq := x.head()
			_, err := x.e.CreateFramework(as(p), []byte(acmeTemplate))
			wantCode(t, err, keeptrail.EFORBIDDEN)
			_, err = x.e.UpdateFramework(as(p), "acme-ai", []byte(acmeTemplateV2))
			wantCode(t, err, keeptrail.EFORBIDDEN)
			_, err = x.e.DeleteFramework(as(p), "acme-ai")
			wantCode(t, err, keeptrail.EFORBIDDEN)
			reason := func(what string) string {
				b, _ := json.Marshal(map[string]string{"reason": "role " + string(p.Role) + " may not " + what, "role": string(p.Role)})
				return string(b)
			}
			x.expect(t, seq,
				entry{Actor: p.Name, Action: "framework_template.created", Category: "configuration", Severity: keeptrail.SeverityMedium,
					Outcome: "denied", Details: reason("create framework templates")},
				entry{Actor: p.Name, Action: "framework_template.updated", Category: "configuration", Target: "framework_template:acme-ai",
					Severity: keeptrail.SeverityMedium, Outcome: "denied", Details: reason("change framework templates")},
				entry{Actor: p.Name, Action: "framework_template.deleted", Category: "configuration", Target: "framework_template:acme-ai",
					Severity: keeptrail.SeverityMedium, Outcome: "denied", Details: reason("delete framework templates")})
		}
		seq := x.head()
		_, err := x.e.Frameworks(as(x.gatewayKey()))
		wantCode(t, err, keeptrail.EFORBIDDEN)
		x.expect(t, seq, entry{Actor: "key:gwkey234", Action: "framework_template.list", Category: "authorization",
			Severity: keeptrail.SeverityMedium, Outcome: "denied"})
		_, err = x.e.Frameworks(context.Background())
		wantCode(t, err, keeptrail.EUNAUTHORIZED)
	})
}
