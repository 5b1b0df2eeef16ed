package evidence_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/evidence"
)

const goodYAML = `# ACME's own framework
name: acme-ai
title: ACME AI governance
edition: "2025"
description: |
  Controls for the AI assistants.
sections:
  - id: AI-1
    title: Prompt screening
    description: Prompts are screened for personal data.
    auditor_focus: Blocks by rule.
    sources: [events.blocks_by_rule, audit_log.configuration]
  - id: "AI-2 "
    title: Spend control
    sources:
      - spend
`

var goodFramework = evidence.Framework{
	Name: "acme-ai", Title: "ACME AI governance", Edition: "2025", Description: "Controls for the AI assistants.",
	Sections: []evidence.Section{
		{ID: "AI-1", Title: "Prompt screening", Description: "Prompts are screened for personal data.",
			AuditorFocus: "Blocks by rule.", Sources: []evidence.Source{"events.blocks_by_rule", "audit_log.configuration"}},
		{ID: "AI-2", Title: "Spend control", Sources: []evidence.Source{"spend"}},
	},
}

const goodJSON = "{\n\t\"name\": \"acme-ai\", \"title\": \"ACME AI governance\", \"edition\": \"2025\",\n" +
	"\t\"description\": \"Controls for the AI assistants.\\n\",\n" +
	"\t\"sections\": [\n" +
	"\t\t{\"id\": \"AI-1\", \"title\": \"Prompt screening\", \"description\": \"Prompts are screened for personal data.\",\n" +
	"\t\t \"auditor_focus\": \"Blocks by rule.\", \"sources\": [\"events.blocks_by_rule\", \"audit_log.configuration\"]},\n" +
	"\t\t{\"id\": \"AI-2\", \"title\": \"Spend\\/cost control\", \"sources\": [\"spend\"]}\n\t]\n}"

func TestParseTemplateGood(t *testing.T) {
	got, err := evidence.ParseTemplate([]byte(goodYAML))
	if err != nil {
		t.Fatalf("YAML: %v", err)
	}
	if !reflect.DeepEqual(got, goodFramework) {
		t.Errorf("YAML:\n got  %+v\n want %+v", got, goodFramework)
	}
	got, err = evidence.ParseTemplate([]byte(goodJSON))
	if err != nil {
		t.Fatalf("JSON: %v", err)
	}
	want := goodFramework.Clone()
	want.Sections[1].Title = "Spend/cost control"
	if !reflect.DeepEqual(got, want) {
		t.Errorf("JSON:\n got  %+v\n want %+v", got, want)
	}
}

// TestParseTemplateRoundTrip sends back what Keeptrail shows: the read-only keys are
// accepted, version is returned for the update's check.
func TestParseTemplateRoundTrip(t *testing.T) {
	at := time.Date(2025, 2, 3, 10, 0, 0, 0, time.UTC)
	shown := goodFramework.Clone()
	shown.Version, shown.CreatedAt, shown.UpdatedAt, shown.CreatedBy, shown.UpdatedBy = 3, &at, &at, "ann@acme.example", "bob@acme.example"
	b, err := json.MarshalIndent(shown, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got, err := evidence.ParseTemplate(b)
	if err != nil {
		t.Fatalf("parse shown template: %v", err)
	}
	want := goodFramework.Clone()
	want.Version = 3
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestParseTemplateErrors(t *testing.T) {
	long := strings.Repeat("x", 65)
	tests := []struct {
		name string
		doc  string
		want string // the error's text
	}{
		{"unknown source", `name: a
title: A
sections:
  - {id: S1, title: One, sources: [spend]}
  - {id: S2, title: Two, sources: [spend]}
  - {id: S3, title: Three, sources: [foo, spend]}
`, `sections[2].sources[0]: unknown evidence source "foo"`},
		{"reserved soc2", "name: SOC2\ntitle: x\nsections: [{id: a, title: b, sources: [spend]}]\n",
			`name: "SOC2" is reserved for the built-in framework`},
		{"reserved hipaa", "name: hipaa\ntitle: x\nsections: [{id: a, title: b, sources: [spend]}]\n",
			`name: "hipaa" is reserved for the built-in framework`},
		{"every problem at once", `name: "-bad"
sections:
  - id: A
    sources: []
  - id: A
    title: Two
    sources: [spend, spend]
`, `name: must be 1 to 64 letters, digits, spaces, '.', '_' or '-', starting with a letter or digit; title: is required; ` +
			`sections[0].title: is required; sections[0].sources: at least one evidence source is required; ` +
			`sections[1].id: "A" is already the id of sections[0]; sections[1].sources[1]: "spend" is already listed as sources[0]`},
		{"no sections", "name: a\ntitle: A\n", "sections: at least one section is required"},
		{"missing id", "name: a\ntitle: A\nsections: [{title: T, sources: [spend]}]\n", "sections[0].id: is required"},
		{"name too long", "name: " + long + "\ntitle: A\nsections: [{id: a, title: b, sources: [spend]}]\n",
			"name: must be 1 to 64 letters, digits, spaces, '.', '_' or '-', starting with a letter or digit"},
		{"unknown field", "name: a\ntitle: A\ncolour: red\nsections: [{id: a, title: b, sources: [spend], weight: 3}]\n",
			"colour: unknown field (line 3); sections[0].weight: unknown field (line 4)"},
		{"wrong shapes", "name: [a]\ntitle: A\nsections: {id: a}\n",
			"name: must be text, not a list (line 1); sections: must be a list of sections, not a mapping (line 3)"},
		{"sources not a list", "name: a\ntitle: A\nsections: [{id: a, title: b, sources: spend}]\n",
			"sections[0].sources: must be a list of evidence source names, not a text value (line 3)"},
		{"claim", "name: a\ntitle: A\nsections: [{id: a, title: b, description: This satisfies the rule., sources: [spend]}]\n",
			`sections[0].description: says "satisfies": evidence supports a criterion, the auditor decides whether it is achieved; reword it`},
		{"built in", "name: a\ntitle: A\nbuilt_in: true\nsections: [{id: a, title: b, sources: [spend]}]\n",
			"built_in: must be false: only soc2 and hipaa are built in (line 3)"},
		{"bad version", "name: a\ntitle: A\nversion: two\nsections: [{id: a, title: b, sources: [spend]}]\n",
			"version: must be a positive whole number (line 3)"},
		{"alias", "name: &n a\ntitle: *n\nsections: [{id: a, title: b, sources: [spend]}]\n",
			"template: line 1: YAML anchors and aliases are not allowed"},
		{"merge key", "base: &b {title: x}\nname: a\n", "template: line 1: YAML anchors and aliases are not allowed"},
		{"custom tag", "name: !env NAME\n", `template: line 1: custom YAML tag "!env" is not allowed`},
		{"two documents", "name: a\n---\nname: b\n", "template: must hold one YAML document (line 2 starts another)"},
		{"repeated key", "name: a\nname: b\n", `template: line 2: key "name" is repeated`},
		{"repeated JSON key", `{"name": "a", "name": "b"}`, `template: line 1: key "name" is repeated`},
		{"trailing JSON", `{"name": "a"} {}`, "template: line 1: must hold exactly one JSON object"},
		{"broken JSON", "{\"name\": \"a\",\n\"title\" 1}", "template: is not valid JSON at line 2: invalid character '1' after object key"},
		{"bad YAML", "name: a\n  title: b\n", "template: is not valid YAML: line 2: mapping values are not allowed in this context"},
		{"empty", "  \n", "template: is empty"},
		{"not a mapping", "- a\n- b\n", "template: must be a mapping with name, title and sections, not a list"},
		{"control character", "name: a\ntitle: \"A\\u0007\"\nsections: [{id: a, title: b, sources: [spend]}]\n",
			"title: must not contain control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := evidence.ParseTemplate([]byte(tt.doc))
			if keeptrail.ErrorCode(err) != keeptrail.EINVALID {
				t.Fatalf("error %v (code %q), want EINVALID", err, keeptrail.ErrorCode(err))
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got  %s\n want %s", err, tt.want)
			}
		})
	}
}

func TestParseTemplateLimits(t *testing.T) {
	big := []byte("name: a\ndescription: " + strings.Repeat("x", evidence.MaxTemplateBytes) + "\n")
	_, err := evidence.ParseTemplate(big)
	if keeptrail.ErrorCode(err) != keeptrail.ETOOLARGE || err.Error() != "framework template is larger than 262144 bytes" {
		t.Errorf("big template: %v", err)
	}
	var b strings.Builder
	b.WriteString("name: a\ntitle: A\nsections:\n")
	for range evidence.MaxSections + 1 {
		b.WriteString("  - {id: x, title: x, sources: [spend]}\n")
	}
	_, err = evidence.ParseTemplate([]byte(b.String()))
	if err == nil || err.Error() != "sections: at most 200 sections are allowed, not 201" {
		t.Errorf("many sections: %v", err)
	}
	_, err = evidence.ParseTemplate([]byte("name: a\ntitle: \xff\n"))
	if err == nil || err.Error() != "template: must be UTF-8 text" {
		t.Errorf("invalid UTF-8: %v", err)
	}
}

func TestDefinitionRoundTrip(t *testing.T) {
	def := evidence.Definition(goodFramework)
	want := `{"title":"ACME AI governance","edition":"2025","description":"Controls for the AI assistants.","sections":[` +
		`{"id":"AI-1","title":"Prompt screening","description":"Prompts are screened for personal data.","auditor_focus":"Blocks by rule.","sources":["events.blocks_by_rule","audit_log.configuration"]},` +
		`{"id":"AI-2","title":"Spend control","sources":["spend"]}]}`
	if string(def) != want {
		t.Fatalf("definition\n got  %s\n want %s", def, want)
	}
	at := time.Date(2025, 2, 3, 10, 0, 0, 0, time.UTC)
	later := at.Add(time.Hour)
	got, err := evidence.FromTemplate(keeptrail.FrameworkTemplate{Name: "acme-ai", Version: 2, Definition: def,
		CreatedAt: at, CreatedBy: "ann", UpdatedAt: later, UpdatedBy: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	w := goodFramework.Clone()
	w.Version, w.CreatedAt, w.CreatedBy, w.UpdatedAt, w.UpdatedBy = 2, &at, "ann", &later, "bob"
	if !reflect.DeepEqual(got, w) {
		t.Errorf("FromTemplate:\n got  %+v\n want %+v", got, w)
	}
	if _, err := evidence.FromTemplate(keeptrail.FrameworkTemplate{Name: "x", Definition: []byte(`{"weight":1}`)}); err == nil {
		t.Error("a definition with an unknown field was read")
	}
}

func FuzzParseTemplate(f *testing.F) {
	f.Add([]byte(goodYAML))
	f.Add([]byte(goodJSON))
	f.Add([]byte("name: &a x\ntitle: *a\n"))
	f.Add([]byte(`{"name":"a","sections":[{"id":"x","sources":["foo"]}]}`))
	f.Add([]byte("- [[[]]]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fw, err := evidence.ParseTemplate(data)
		if err != nil {
			if c := keeptrail.ErrorCode(err); c != keeptrail.EINVALID && c != keeptrail.ETOOLARGE {
				t.Fatalf("error code %q: %v", c, err)
			}
			return
		}
		// What parses is valid and survives the store's round trip unchanged.
		if err := evidence.ValidateTemplate(fw); err != nil {
			t.Fatalf("parsed template is invalid: %v", err)
		}
		back, err := evidence.FromTemplate(keeptrail.FrameworkTemplate{Name: fw.Name, Version: fw.Version, Definition: evidence.Definition(fw)})
		if err != nil {
			t.Fatal(err)
		}
		back.CreatedAt, back.UpdatedAt = nil, nil
		if !reflect.DeepEqual(back, fw) {
			t.Fatalf("round trip:\n got  %+v\n want %+v", back, fw)
		}
	})
}

func TestParseTemplateFor(t *testing.T) {
	doc := "title: T\nsections: [{id: a, title: b, sources: [spend]}]\n"
	f, err := evidence.ParseTemplateFor([]byte(doc), "Acme")
	if err != nil || f.Name != "Acme" {
		t.Fatalf("without a name: %+v, %v", f, err)
	}
	f, err = evidence.ParseTemplateFor([]byte("name: ACME\n"+doc), "Acme")
	if err != nil || f.Name != "Acme" {
		t.Fatalf("same name in another case: %+v, %v", f, err)
	}
	_, err = evidence.ParseTemplateFor([]byte("name: other\n"+doc), "Acme")
	if err == nil || err.Error() != `name: must be "Acme", the template being updated: templates are not renamed` {
		t.Fatalf("another name: %v", err)
	}
}
