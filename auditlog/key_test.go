package auditlog

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestLoadOrCreateKeyCreatesThenReloads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.key")
	s1, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("private key mode = %04o, want 0600", got)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "-----BEGIN PRIVATE KEY-----\n") {
		t.Errorf("private key file starts %q, want a PEM PRIVATE KEY block", string(b[:20]))
	}
	pub, err := LoadPublicKey(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(s1.PublicKey()) {
		t.Error("public key file does not hold the signer's public key")
	}

	s2, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !s2.PublicKey().Equal(s1.PublicKey()) {
		t.Error("second load made a new key instead of reading the file")
	}
	if s2.KeyID() != s1.KeyID() {
		t.Errorf("key IDs differ: %s, %s", s1.KeyID(), s2.KeyID())
	}
}

func TestKeyIDIsFirst16HexOfSHA256(t *testing.T) {
	pub := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey)
	sum := sha256.Sum256(pub)
	want := hex.EncodeToString(sum[:])[:16]
	if got := PublicKeyID(pub); got != want {
		t.Errorf("PublicKeyID = %s, want %s", got, want)
	}
	if got := NewSigner(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))).KeyID(); got != want {
		t.Errorf("Signer.KeyID = %s, want %s", got, want)
	}
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(want) {
		t.Errorf("key ID %q is not 16 lowercase hex characters", want)
	}
}

func TestLoadOrCreateKeyRecreatesMissingPublicKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.key")
	s1, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path + ".pub"); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(path); err != nil {
		t.Fatal(err)
	}
	pub, err := LoadPublicKey(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(s1.PublicKey()) {
		t.Error("rewritten public key file holds another key")
	}
}

func TestLoadOrCreateKeyRefuses(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "other.key")
	if _, err := LoadOrCreateKey(other); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
		want  string
	}{
		{"readable by others", func(t *testing.T, path string) {
			mustCreate(t, path)
			if err := os.Chmod(path, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "mode 0644 lets group or others access it"},
		{"not PEM", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, `no PEM "PRIVATE KEY" block`},
		{"public key of another key", func(t *testing.T, path string) {
			mustCreate(t, path)
			b, err := os.ReadFile(other + ".pub")
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path+".pub", b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "does not belong to the signing key"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "k"+string(rune('a'+i))+".key")
			tt.setup(t, path)
			_, err := LoadOrCreateKey(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestLoadPublicKeyRejectsPrivateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.key")
	mustCreate(t, path)
	_, err := LoadPublicKey(path)
	if err == nil || !strings.Contains(err.Error(), `no PEM "PUBLIC KEY" block`) {
		t.Fatalf("err = %v, want no PEM PUBLIC KEY block", err)
	}
}

// TestKeyFilesReadByOpenSSL shows the documented formats are the standard ones.
func TestKeyFilesReadByOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	path := filepath.Join(t.TempDir(), "audit.key")
	mustCreate(t, path)
	out, err := exec.Command(openssl, "pkey", "-in", path, "-pubout").Output()
	if err != nil {
		t.Fatalf("openssl pkey: %v", err)
	}
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != string(pub) {
		t.Errorf("openssl derives public key\n%s\nbut %s.pub holds\n%s", out, path, pub)
	}
}

func mustCreate(t *testing.T, path string) *Signer {
	t.Helper()
	s, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
