package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/evidence"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
	"github.com/keeptrail/keeptrail/web"
)

const frameworkYAML = `name: acme-ai
title: ACME AI governance
sections:
  - id: AI-1
    title: Prompt screening
    sources: [events.blocks_by_rule]
`

func TestFrameworkAPI(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ts := newTestServer(t, db, web.Config{})
		officer := ts.key(keeptrail.RoleComplianceOfficer)
		auditor := ts.key(keeptrail.RoleAuditor)
		yaml := []string{"Content-Type", "application/yaml"}

		// Create from YAML.
		seq := ts.auditHead()
		res := ts.do("POST", "/api/v1/frameworks", officer, strings.NewReader(frameworkYAML), yaml...)
		if res.status != http.StatusCreated || res.header.Get("Location") != "/api/v1/frameworks/acme-ai" {
			t.Fatalf("create: %d %s %s", res.status, res.header.Get("Location"), res.body)
		}
		var f evidence.Framework
		res.json(t, &f)
		if f.Name != "acme-ai" || f.Version != 1 || f.BuiltIn || len(f.Sections) != 1 {
			t.Fatalf("created: %+v", f)
		}
		if got := auditActions(ts.auditSince(seq)); strings.Join(got, ",") != "framework_template.created success" {
			t.Fatalf("audit entries %v", got)
		}

		// The list has the built-ins marked, then the template.
		var fs list[evidence.Framework]
		ts.call("GET", "/api/v1/frameworks", auditor, nil, http.StatusOK, &fs)
		var got []string
		for _, f := range fs.Items {
			got = append(got, f.Name+":"+map[bool]string{true: "built_in", false: "custom"}[f.BuiltIn])
		}
		if strings.Join(got, ",") != "soc2:built_in,hipaa:built_in,acme-ai:custom" {
			t.Fatalf("list %v", got)
		}
		var soc evidence.Framework
		ts.call("GET", "/api/v1/frameworks/SOC2", auditor, nil, http.StatusOK, &soc)
		if soc.Name != "soc2" || len(soc.Sections) != 7 || soc.Sections[5].ID != "CC7.4" {
			t.Fatalf("soc2: %+v", soc)
		}

		// Update from JSON, the name left out; the old version stays readable.
		upd := `{"title": "ACME AI governance v2", "sections": [{"id": "AI-1", "title": "Prompt screening", "sources": ["events.blocks_by_rule", "spend"]}]}`
		res = ts.do("PUT", "/api/v1/frameworks/acme-ai", officer, strings.NewReader(upd), "Content-Type", "application/json")
		if res.status != http.StatusOK {
			t.Fatalf("update: %d %s", res.status, res.body)
		}
		res.json(t, &f)
		if f.Version != 2 || f.Title != "ACME AI governance v2" {
			t.Fatalf("updated: %+v", f)
		}
		ts.call("GET", "/api/v1/frameworks/acme-ai?version=1", auditor, nil, http.StatusOK, &f)
		if f.Version != 1 || f.Title != "ACME AI governance" {
			t.Fatalf("version 1: %+v", f)
		}

		// Errors name the field.
		bad := strings.Replace(frameworkYAML, "events.blocks_by_rule", "foo", 1)
		bad = strings.Replace(bad, "acme-ai", "other", 1)
		res = ts.do("POST", "/api/v1/frameworks", officer, strings.NewReader(bad), yaml...)
		var eb errorBody
		res.json(t, &eb)
		if res.status != http.StatusBadRequest || len(eb.Error.Fields) != 1 || eb.Error.Fields[0].String() != `sections[0].sources[0]: unknown evidence source "foo"` {
			t.Fatalf("unknown source: %d %s", res.status, res.body)
		}
		for _, tt := range []struct {
			method, path, token, body, ctype string
			status                           int
		}{
			{"POST", "/api/v1/frameworks", auditor, frameworkYAML, "application/yaml", http.StatusForbidden},
			{"POST", "/api/v1/frameworks", officer, frameworkYAML, "application/yaml", http.StatusConflict},
			{"POST", "/api/v1/frameworks", officer, frameworkYAML, "application/json", http.StatusBadRequest},
			{"POST", "/api/v1/frameworks", officer, frameworkYAML, "text/plain", http.StatusBadRequest},
			{"POST", "/api/v1/frameworks", officer, "", "application/yaml", http.StatusBadRequest},
			{"POST", "/api/v1/frameworks", officer, strings.Repeat("#", evidence.MaxTemplateBytes+1), "application/yaml", http.StatusRequestEntityTooLarge},
			{"PUT", "/api/v1/frameworks/hipaa", officer, frameworkYAML, "application/yaml", http.StatusBadRequest},
			{"PUT", "/api/v1/frameworks/acme-ai", officer, "version: 1\n" + strings.Replace(frameworkYAML, "name: acme-ai\n", "", 1), "application/yaml", http.StatusConflict},
			{"GET", "/api/v1/frameworks/nope", auditor, "", "", http.StatusNotFound},
			{"GET", "/api/v1/frameworks/acme-ai?version=0", auditor, "", "", http.StatusBadRequest},
			{"DELETE", "/api/v1/frameworks/acme-ai", auditor, "", "", http.StatusForbidden},
			{"DELETE", "/api/v1/frameworks/soc2", officer, "", "", http.StatusBadRequest},
		} {
			res := ts.do(tt.method, tt.path, tt.token, strings.NewReader(tt.body), "Content-Type", tt.ctype)
			if res.status != tt.status {
				t.Errorf("%s %s (%s): status %d, want %d: %s", tt.method, tt.path, tt.ctype, res.status, tt.status, res.body)
			}
		}

		// Delete.
		ts.call("DELETE", "/api/v1/frameworks/acme-ai", officer, nil, http.StatusOK, &f)
		if f.Name != "acme-ai" || f.Version != 2 {
			t.Fatalf("deleted: %+v", f)
		}
		ts.call("GET", "/api/v1/frameworks/acme-ai", auditor, nil, http.StatusNotFound, nil)
		ts.call("GET", "/api/v1/frameworks/acme-ai?version=2", auditor, nil, http.StatusOK, &f)
	})
}
