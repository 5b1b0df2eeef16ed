package delivery

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var linkKey = []byte("link key of at least thirty-two bytes!")

func TestLinkSigner(t *testing.T) {
	now := testNow
	s, err := NewLinkSigner(linkKey, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	expires := testNow.Add(7 * 24 * time.Hour)
	raw := s.Sign("export/42", 7, expires)
	q, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	if q.Get("user") != "7" || q.Get("expires") != "1741669567" || len(q.Get("sig")) != 43 {
		t.Fatalf("Sign = %q", raw)
	}
	g, err := s.Verify("export/42", q)
	if err != nil || g != (LinkGrant{ArtifactID: "export/42", UserID: 7, Expires: expires}) {
		t.Fatalf("Verify = %+v, %v", g, err)
	}

	with := func(key, value string) url.Values {
		c := url.Values{}
		for k, v := range q {
			c[k] = append([]string(nil), v...)
		}
		c.Set(key, value)
		return c
	}
	other, _ := NewLinkSigner([]byte("another key of at least thirty-two bytes"), func() time.Time { return now })
	otherQ, _ := url.ParseQuery(other.Sign("export/42", 7, expires))
	repeated := with("sig", q.Get("sig"))
	repeated.Add("sig", q.Get("sig"))
	cases := []struct {
		name     string
		artifact string
		q        url.Values
		at       time.Time
		want     error
	}{
		{"valid one second before expiry", "export/42", q, expires.Add(-time.Second), nil},
		{"expired at the instant", "export/42", q, expires, ErrLinkExpired},
		{"expired later", "export/42", q, expires.Add(time.Hour), ErrLinkExpired},
		{"other artifact", "export/43", q, testNow, ErrLinkInvalid},
		{"other kind, same id", "compliance_package/42", q, testNow, ErrLinkInvalid},
		{"user changed", "export/42", with("user", "8"), testNow, ErrLinkInvalid},
		{"user not canonical", "export/42", with("user", "07"), testNow, ErrLinkInvalid},
		{"expiry extended", "export/42", with("expires", "1741669568"), testNow, ErrLinkInvalid},
		{"expiry not a number", "export/42", with("expires", "soon"), testNow, ErrLinkInvalid},
		{"signature altered", "export/42", with("sig", "A"+q.Get("sig")[1:]), testNow, ErrLinkInvalid},
		{"signature not base64", "export/42", with("sig", "!!!"), testNow, ErrLinkInvalid},
		{"signature repeated", "export/42", repeated, testNow, ErrLinkInvalid},
		{"signed with another key", "export/42", otherQ, testNow, ErrLinkInvalid},
		{"no signature", "export/42", url.Values{"user": {"7"}, "expires": {"1741669567"}}, testNow, ErrLinkInvalid},
		{"empty", "export/42", url.Values{}, testNow, ErrLinkInvalid},
	}
	for _, tc := range cases {
		now = tc.at
		_, err := s.Verify(tc.artifact, tc.q)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: Verify = %v, want %v", tc.name, err, tc.want)
		}
		if err != nil && keeptrailCode(err) != "forbidden" {
			t.Errorf("%s: code %q, want forbidden", tc.name, keeptrailCode(err))
		}
	}
	// An expired link whose MAC is wrong says invalid, not expired.
	now = expires.Add(time.Hour)
	if _, err := s.Verify("export/42", with("user", "8")); err != ErrLinkInvalid {
		t.Errorf("tampered and expired: %v, want ErrLinkInvalid", err)
	}
}

func TestNewLinkSignerRejectsShortKey(t *testing.T) {
	_, err := NewLinkSigner([]byte("short"), nil)
	if err == nil || err.Error() != "link.key: must be at least 32 bytes" || keeptrailCode(err) != "invalid" {
		t.Fatalf("err = %v", err)
	}
}

func TestLoadOrCreateSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "link.key")
	first, err := LoadOrCreateSecret(path)
	if err != nil || len(first) != 32 {
		t.Fatalf("create: %d bytes, %v", len(first), err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v: want 0600", st.Mode().Perm(), err)
	}
	again, err := LoadOrCreateSecret(path)
	if err != nil || string(again) != string(first) {
		t.Fatalf("reload gave another secret (%v)", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("folder holds %d files, want only the key", len(entries))
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateSecret(path); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Fatalf("world-readable key accepted: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.key")
	os.WriteFile(bad, []byte("not hex\n"), 0o600)
	if _, err := LoadOrCreateSecret(bad); err == nil {
		t.Fatal("a key that is not hex was accepted")
	}
}
