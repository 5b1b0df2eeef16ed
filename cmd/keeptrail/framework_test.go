package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFrameworkCommands(t *testing.T) {
	f := dirs(t)
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "acme.yaml")
	os.WriteFile(tmpl, []byte("name: acme-ai\ntitle: ACME AI governance\nsections:\n  - id: AI-1\n    title: Prompt screening\n    sources: [events.blocks_by_rule]\n"), 0o600)
	v2 := filepath.Join(dir, "v2.json")
	os.WriteFile(v2, []byte(`{"title": "ACME AI v2", "sections": [{"id": "AI-1", "title": "Screening", "sources": ["spend"]}, {"id": "AI-2", "title": "Access", "sources": ["access.rbac"]}]}`), 0o600)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("name: bad\ntitle: B\nsections:\n  - {id: a, title: A, sources: [spend]}\n  - {id: b, title: B, sources: [spend]}\n  - {id: c, title: C, sources: [foo]}\n"), 0o600)

	steps := []struct {
		args     []string
		stdin    string
		code     int
		out, err string // exact; out "" with prefix "~" checks containment
	}{
		{args: []string{"framework", "create", tmpl}, out: "created framework acme-ai version 1 (1 section)\n"},
		{args: []string{"framework", "create", bad}, code: 2, err: "keeptrail: " + bad + `: sections[2].sources[0]: unknown evidence source "foo"` + "\n"},
		{args: []string{"framework", "create", tmpl}, code: 2, err: `keeptrail: a framework template named "acme-ai" already exists` + "\n"},
		{args: []string{"framework", "update", "acme-ai", v2}, out: "updated framework acme-ai to version 2\n"},
		{args: []string{"framework", "update", "acme-ai", v2}, out: "framework acme-ai unchanged (version 2)\n"},
		{args: []string{"framework", "update", "soc2", "-"}, stdin: "title: x\n", code: 2, err: `keeptrail: standard input: name: "soc2" is a built-in framework and cannot be changed or deleted` + "\n"},
		{args: []string{"framework", "list"}, out: "NAME     VERSION  KIND      SECTIONS  TITLE\n" +
			"soc2     1        built-in  7         SOC 2\n" +
			"hipaa    1        built-in  4         HIPAA Security Rule\n" +
			"acme-ai  2        custom    2         ACME AI v2\n"},
		{args: []string{"framework", "show", "hipaa"}, out: "~§164.312(e)(1) Transmission security\n  Traffic between"},
		{args: []string{"framework", "show", "acme-ai", "--version", "1"}, out: "~ACME AI governance (acme-ai), version 1, custom template\n"},
		{args: []string{"framework", "show", "acme-ai", "--version", "0"}, code: 2, err: "keeptrail: --version: must be a positive whole number\n"},
		{args: []string{"framework", "show"}, code: 2, err: "keeptrail: usage: keeptrail framework show NAME\n"},
		{args: []string{"framework", "sources"}, out: "~access.deprovisioning"},
		{args: []string{"framework", "delete", "acme-ai"}, out: "deleted framework acme-ai (versions 1 to 2 stay readable with show --version)\n"},
		{args: []string{"framework", "show", "acme-ai"}, code: 2, err: `keeptrail: framework "acme-ai" not found` + "\n"},
	}
	for _, s := range steps {
		code, out, errs := cli(t, s.stdin, append(s.args, f...)...)
		if code != s.code || errs != s.err {
			t.Fatalf("%v: code %d, stderr %q; want %d, %q", s.args, code, errs, s.code, s.err)
		}
		if want, ok := strings.CutPrefix(s.out, "~"); ok {
			if !strings.Contains(out, want) {
				t.Fatalf("%v: stdout %q lacks %q", s.args, out, want)
			}
		} else if out != s.out {
			t.Fatalf("%v: stdout %q, want %q", s.args, out, s.out)
		}
	}

	code, out, errs := cli(t, "", append([]string{"framework", "list", "--json"}, f...)...)
	var list struct {
		Frameworks []struct {
			Name    string `json:"name"`
			BuiltIn bool   `json:"built_in"`
		} `json:"frameworks"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list.Frameworks) != 2 || !list.Frameworks[1].BuiltIn {
		t.Fatalf("list --json: %d %q %q", code, out, errs)
	}
	code, out, _ = cli(t, "", append([]string{"framework", "show", "acme-ai", "--version", "2", "--json"}, f...)...)
	var shown struct {
		Version  int64 `json:"version"`
		Sections []any `json:"sections"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &shown) != nil || shown.Version != 2 || len(shown.Sections) != 2 {
		t.Fatalf("show --json: %d %q", code, out)
	}
}
