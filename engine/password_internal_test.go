package engine

import (
	"strings"
	"testing"
)

var testCost = PasswordCost{Time: 1, MemoryKiB: 64, Threads: 1}

// TestPasswordHash checks the PHC format, random salts, and verification.
func TestPasswordHash(t *testing.T) {
	h1, err := hashPassword("correct horse battery", testCost)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := hashPassword("correct horse battery", testCost)
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=64,t=1,p=1$") || h1 == h2 {
		t.Fatalf("hashes %q %q", h1, h2)
	}
	if !verifyPassword("correct horse battery", h1) || !verifyPassword("correct horse battery", h2) {
		t.Fatal("right password rejected")
	}
	for _, bad := range []string{"correct horse batter", "", "Correct horse battery"} {
		if verifyPassword(bad, h1) {
			t.Fatalf("wrong password %q accepted", bad)
		}
	}
	if got := DefaultPasswordCost; got.MemoryKiB < 19*1024 || got.Time < 2 {
		t.Fatalf("default cost %+v is below OWASP's minimum", got)
	}
}

// TestParsePasswordHash checks that damaged or hostile hashes never verify.
func TestParsePasswordHash(t *testing.T) {
	good, _ := hashPassword("pw", testCost)
	parts := strings.Split(good, "$")
	cases := []string{
		"",
		"plain",
		"$argon2i$v=19$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=16$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=99999999,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=0,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=300$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=1,x=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=1$!!$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=1$" + parts[4] + "$",
	}
	for _, c := range cases {
		if verifyPassword("pw", c) {
			t.Errorf("hash %q verified", c)
		}
	}
	if !verifyPassword("pw", good) {
		t.Fatal("good hash rejected")
	}
}

// TestCheckPassword checks the length rule.
func TestCheckPassword(t *testing.T) {
	cases := map[string]bool{
		"":                       false,
		"elevenchars":            false,
		"twelve chars":           true,
		"ünïcödé pässwörd":       true,
		strings.Repeat("a", 257): false,
		"bad\xffutf8 password":   false,
	}
	for pw, ok := range cases {
		if got := checkPassword(pw) == ""; got != ok {
			t.Errorf("checkPassword(%q) ok=%v, want %v", pw, got, ok)
		}
	}
}

// TestToken checks token generation and parsing.
func TestToken(t *testing.T) {
	prefix, _ := newTokenPart(tokenPrefixLength)
	secret, _ := newTokenPart(tokenSecretLength)
	tok := formatToken(prefix, secret)
	if len(tok) != 44 || !isTokenPart(prefix, 8) || !isTokenPart(secret, 32) {
		t.Fatalf("token %q", tok)
	}
	p, s, err := parseToken(tok)
	if err != nil || p != prefix || s != secret {
		t.Fatalf("parse %q: %q %q %v", tok, p, s, err)
	}
	cases := []struct{ tok, prefix string }{
		{"", ""},
		{"kt_", ""},
		{"kt_abcdefgh", "abcdefgh"},
		{"kt_abcdefgh_", "abcdefgh"},
		{"kt_abcdefgh_" + strings.Repeat("a", 31), "abcdefgh"},
		{"kt_abcdefgh_" + strings.Repeat("a", 33), "abcdefgh"},
		{"kt_abcdefgh_" + strings.Repeat("1", 32), "abcdefgh"},
		{"kt_abcdefg1_" + strings.Repeat("a", 32), ""},
		{"KT_abcdefgh_" + strings.Repeat("a", 32), ""},
		{" kt_abcdefgh_" + strings.Repeat("a", 32), ""},
	}
	for _, c := range cases {
		p, s, err := parseToken(c.tok)
		if err == nil || p != c.prefix || s != "" {
			t.Errorf("parseToken(%q) = %q, %q, %v; want error with prefix %q", c.tok, p, s, err, c.prefix)
		}
	}
}

// FuzzParseToken checks that parsing outside input never panics, accepts only
// well-formed tokens, and never returns a secret with an error.
func FuzzParseToken(f *testing.F) {
	f.Add("kt_abcdefgh_" + strings.Repeat("a", 32))
	f.Add("kt_abcdefgh_short")
	f.Add("Bearer kt_")
	f.Add("kt_\x00\xff_" + strings.Repeat("7", 32))
	f.Fuzz(func(t *testing.T, tok string) {
		p, s, err := parseToken(tok)
		if err != nil {
			if s != "" {
				t.Fatalf("secret returned with an error for %q", tok)
			}
			if p != "" && !isTokenPart(p, tokenPrefixLength) {
				t.Fatalf("bad prefix %q returned for %q", p, tok)
			}
			return
		}
		if formatToken(p, s) != tok {
			t.Fatalf("%q parsed to %q %q", tok, p, s)
		}
	})
}

// TestValidateConfiguration checks the engine's own validation of configuration content.
func TestValidateConfiguration(t *testing.T) {
	cases := []struct {
		content string
		ok      bool
		output  string
	}{
		{`{"policies":[{"name":"a","kind":"pii"},{"name":"b","kind":"cost","rules":{}}]}`, true, "ok"},
		{`{"policies":[]}`, true, "ok"},
		{`[]`, false, "content: must be a JSON object"},
		{`null`, false, "content: must be a JSON object"},
		{`{}`, false, "policies: is required"},
		{`{"policies":{}}`, false, "policies: must be an array"},
		{`{"policies":null}`, false, "policies: must be an array"},
		{`{"policies":[1,{"kind":"pii"},{"name":" ","kind":""},{"name":"x","kind":"vibes"}]}`, false,
			"policies[0]: must be an object\npolicies[1].name: is required\npolicies[2].name: is required\npolicies[2].kind: is required\npolicies[3].kind: unknown kind \"vibes\""},
	}
	for _, c := range cases {
		ok, out := ValidateConfiguration([]byte(c.content))
		if ok != c.ok || out != c.output {
			t.Errorf("ValidateConfiguration(%s) = %v %q, want %v %q", c.content, ok, out, c.ok, c.output)
		}
	}
}

// FuzzValidateConfiguration checks that validation of any content never panics and
// passes only with "ok".
func FuzzValidateConfiguration(f *testing.F) {
	f.Add(`{"policies":[{"name":"a","kind":"pii"}]}`)
	f.Add(`{"policies":[null, " ", {}]}`)
	f.Add(`{"policies":[[]]}`)
	f.Fuzz(func(t *testing.T, content string) {
		ok, out := ValidateConfiguration([]byte(content))
		if ok != (out == "ok") {
			t.Fatalf("ok=%v with output %q", ok, out)
		}
	})
}
