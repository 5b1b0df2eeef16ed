package delivery

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/keeptrail/keeptrail"
)

func TestParseTarget(t *testing.T) {
	cases := []struct {
		in   string
		want Target
		err  string
	}{
		{"email:compliance@acme.com", Target{Kind: TargetEmail, Address: "compliance@acme.com"}, ""},
		{"email: Ana Lima <ana@acme.com> ", Target{Kind: TargetEmail, Address: "ana@acme.com", Name: "Ana Lima"}, ""},
		{"EMAIL:ana@acme.com", Target{Kind: TargetEmail, Address: "ana@acme.com"}, ""},
		{`email:"Lima, Ana" <ana@acme.com>`, Target{Kind: TargetEmail, Address: "ana@acme.com", Name: "Lima, Ana"}, ""},
		{"webhook:https://siem.acme.com/hooks/keeptrail?x=1", Target{Kind: TargetWebhook, URL: "https://siem.acme.com/hooks/keeptrail?x=1"}, ""},
		{"webhook:http://10.0.0.5:8080/in", Target{Kind: TargetWebhook, URL: "http://10.0.0.5:8080/in"}, ""},
		{"email:a@acme.com, b@acme.com", Target{}, "notify_on_complete: one email address per target"},
		{"email:a@acme.com\r\nBcc: eve@evil.com", Target{}, "notify_on_complete: must not contain control characters (CR, LF, ...)"},
		{"email:a@acme.com\n", Target{}, "notify_on_complete: must not contain control characters (CR, LF, ...)"},
		{"email:=?utf-8?q?Ana=0D=0AX?= <a@acme.com>", Target{}, "notify_on_complete: must not contain control characters (CR, LF, ...)"},
		{"email:", Target{}, "notify_on_complete: must be email:ADDRESS or webhook:URL"},
		{"email:  ", Target{}, "notify_on_complete: email address is empty"},
		{"email:not-an-address", Target{}, "notify_on_complete: not an email address: missing '@' or angle-addr"},
		{"email:" + strings.Repeat("a", 250) + "@acme.com", Target{}, "notify_on_complete: email address longer than 254 characters"},
		{"compliance@acme.com", Target{}, "notify_on_complete: must be email:ADDRESS or webhook:URL"},
		{"slack:#general", Target{}, "notify_on_complete: unknown target \"slack\": must be email:ADDRESS or webhook:URL"},
		{"", Target{}, "notify_on_complete: must be email:ADDRESS or webhook:URL"},
		{"webhook:ftp://acme.com/x", Target{}, "notify_on_complete: webhook URL must start with https:// or http://"},
		{"webhook:/relative/path", Target{}, "notify_on_complete: webhook URL must start with https:// or http://"},
		{"webhook:https:///nohost", Target{}, "notify_on_complete: webhook URL has no host"},
		{"webhook:https://user:pw@acme.com/x", Target{}, "notify_on_complete: webhook URL must not carry a user or password; the webhook secret signs each request"},
		{"webhook:https://acme.com/x#frag", Target{}, "notify_on_complete: webhook URL must not have a #fragment"},
		{"webhook:https://acme.com/\x00", Target{}, "notify_on_complete: must not contain control characters (CR, LF, ...)"},
		{"webhook:https://acme.com/" + strings.Repeat("x", 2048), Target{}, "notify_on_complete: webhook URL longer than 2048 characters"},
		{"webhook:https://acme.com:99999999/", Target{}, "notify_on_complete: webhook URL port must be between 1 and 65535"},
	}
	for _, tc := range cases {
		got, err := ParseTarget("notify_on_complete", tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err || keeptrail.ErrorCode(err) != keeptrail.EINVALID {
				t.Errorf("ParseTarget(%q) = %+v, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestTargetStringRoundTrips(t *testing.T) {
	for _, in := range []string{"email:Ana <ana@acme.com>", "webhook:https://siem.acme.com/a?b=c"} {
		t1, err := ParseTarget("t", in)
		if err != nil {
			t.Fatal(err)
		}
		t2, err := ParseTarget("t", t1.String())
		if err != nil {
			t.Fatal(err)
		}
		if t2.String() != t1.String() || t2.Address != t1.Address || t2.URL != t1.URL {
			t.Errorf("%q: %+v then %+v", in, t1, t2)
		}
	}
}

func TestParseTargetsNamesEachBadValue(t *testing.T) {
	got, err := ParseTargets("export.notify_on_complete", []string{
		"email:ana@acme.com", "email:bad", "webhook:https://x.acme.com/", "EMAIL:ana@acme.com", "pager:1",
	})
	want := `export.notify_on_complete[1]: not an email address: missing '@' or angle-addr; ` +
		`export.notify_on_complete[4]: unknown target "pager": must be email:ADDRESS or webhook:URL`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	if got != nil {
		t.Fatalf("got %v with an error", got)
	}
	got, err = ParseTargets("n", []string{"email:ana@acme.com", "webhook:https://x.acme.com/", "EMAIL: ana@acme.com"})
	if err != nil || len(got) != 2 || got[0].String() != "email:ana@acme.com" || got[1].String() != "webhook:https://x.acme.com/" {
		t.Fatalf("ParseTargets = %v, %v; want the two distinct targets", got, err)
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{
		"email:compliance@acme.com", "email:Ana <ana@acme.com>", `email:"a,b" <x@y.z>`,
		"email:a@b.c, d@e.f", "email:a@b.c\r\nBcc: x@y.z", "email:=?utf-8?q?=0D=0A?= <a@b.c>",
		"email:group: a@b.c, d@e.f;", "email:<a@[127.0.0.1]>", "email:ä@ü.example",
		"webhook:https://siem.acme.com/in", "webhook:http://[::1]:8080/x", "webhook:https://u:p@h/",
		"webhook:https://h/#f", "webhook:javascript:alert(1)", "webhook:%zz", "", ":", "email", "\xff:\xfe",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseTarget("f", s)
		if err != nil {
			var ke *keeptrail.Error
			if !errors.As(err, &ke) || ke.Code != keeptrail.EINVALID || len(ke.Fields) != 1 || ke.Fields[0].Field != "f" {
				t.Fatalf("ParseTarget(%q): error %v is not EINVALID naming f", s, err)
			}
			if tg != (Target{}) {
				t.Fatalf("ParseTarget(%q) returned %+v with an error", s, tg)
			}
			return
		}
		for _, v := range []string{tg.Address, tg.Name, tg.URL, tg.String()} {
			if hasControl(v) {
				t.Fatalf("ParseTarget(%q) = %+v: control character survived", s, tg)
			}
		}
		switch tg.Kind {
		case TargetEmail:
			if tg.Address == "" || tg.URL != "" || !strings.Contains(tg.Address, "@") || len(tg.Address) > maxAddressLen {
				t.Fatalf("ParseTarget(%q) = %+v", s, tg)
			}
		case TargetWebhook:
			if tg.Address != "" || !(strings.HasPrefix(tg.URL, "https://") || strings.HasPrefix(tg.URL, "http://")) {
				t.Fatalf("ParseTarget(%q) = %+v", s, tg)
			}
		default:
			t.Fatalf("ParseTarget(%q) = %+v without error", s, tg)
		}
		again, err := ParseTarget("f", tg.String())
		if err != nil || again.String() != tg.String() {
			t.Fatalf("re-parse of %q (from %q) = %+v, %v", tg.String(), s, again, err)
		}
		if !utf8.ValidString(tg.String()) && utf8.ValidString(s) {
			t.Fatalf("ParseTarget(%q) made invalid UTF-8 %q", s, tg.String())
		}
	})
}
