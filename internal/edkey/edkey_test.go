package edkey

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// testFiles keeps the public key as PEM and names keys by their first 4 bytes in hex.
var testFiles = Files{Name: "test", EncodePublic: EncodePublicPEM, ParsePublic: ParsePublicPEM,
	KeyID: func(pub ed25519.PublicKey) string { return hex.EncodeToString(pub[:4]) }}

func TestLoadOrCreateCreatesMissingKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signing.key")
	priv, err := testFiles.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(priv) != ed25519.PrivateKeySize {
		t.Fatalf("key of %d bytes, want %d", len(priv), ed25519.PrivateKeySize)
	}
	for _, f := range []struct {
		path string
		mode os.FileMode
	}{{path, 0o600}, {path + ".pub", 0o644}} {
		fi, err := os.Stat(f.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != f.mode {
			t.Errorf("%s: mode %04o, want %04o", f.path, got, f.mode)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("-----BEGIN PRIVATE KEY-----\n")) || len(b) != 119 {
		t.Errorf("private key file %q: want a PEM PRIVATE KEY block of 119 bytes", b)
	}
	pubFile, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	pub := priv.Public().(ed25519.PublicKey)
	if !bytes.Equal(pubFile, EncodePublicPEM(pub)) {
		t.Errorf("public key file %q, want %q", pubFile, EncodePublicPEM(pub))
	}
	got, err := testFiles.LoadPublic(path + ".pub")
	if err != nil || !got.Equal(pub) {
		t.Errorf("LoadPublic = %x, %v; want %x", got, err, pub)
	}
	// No temporary file is left beside the keys.
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("folder holds %d files, want the two key files", len(entries))
	}
}

func TestLoadOrCreateReloadsSameKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signing.key")
	first, err := testFiles.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	second, err := testFiles.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	if !second.Equal(first) {
		t.Error("second load made a new key instead of reading the file")
	}
	// A missing public key file is written again for the same key.
	if err := os.Remove(path + ".pub"); err != nil {
		t.Fatal(err)
	}
	third, err := testFiles.LoadOrCreate(path)
	if err != nil || !third.Equal(first) {
		t.Fatalf("load after removing the public key: %v", err)
	}
	pub, err := testFiles.LoadPublic(path + ".pub")
	if err != nil || !pub.Equal(first.Public().(ed25519.PublicKey)) {
		t.Errorf("rewritten public key file: %x, %v", pub, err)
	}
}

func TestLoadOrCreateConcurrentlyGivesOneKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signing.key")
	keys := make([]ed25519.PrivateKey, 8)
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() { keys[i], errs[i] = testFiles.LoadOrCreate(path) })
	}
	wg.Wait()
	for i := range keys {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if !keys[i].Equal(keys[0]) {
			t.Errorf("caller %d got another key than caller 0", i)
		}
	}
}

func TestLoadOrCreateRefuses(t *testing.T) {
	dir := t.TempDir()
	other, err := testFiles.LoadOrCreate(filepath.Join(dir, "other.key"))
	if err != nil {
		t.Fatal(err)
	}
	otherPub := other.Public().(ed25519.PublicKey)
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
		want  func(path string) string
	}{
		{"readable by group", func(t *testing.T, path string) {
			mustCreate(t, path)
			if err := os.Chmod(path, 0o640); err != nil {
				t.Fatal(err)
			}
		}, func(path string) string {
			return "test signing key " + path + ": mode 0640 lets group or others access it; run chmod 600 " + path
		}},
		{"readable by others", func(t *testing.T, path string) {
			mustCreate(t, path)
			if err := os.Chmod(path, 0o604); err != nil {
				t.Fatal(err)
			}
		}, func(path string) string {
			return "test signing key " + path + ": mode 0604 lets group or others access it; run chmod 600 " + path
		}},
		{"not PEM", func(t *testing.T, path string) {
			writeFile(t, path, []byte("not a key"), 0o600)
		}, func(path string) string { return "test signing key " + path + `: no PEM "PRIVATE KEY" block` }},
		{"a public key in the private key file", func(t *testing.T, path string) {
			writeFile(t, path, EncodePublicPEM(otherPub), 0o600)
		}, func(path string) string { return "test signing key " + path + `: no PEM "PRIVATE KEY" block` }},
		{"corrupt PEM body", func(t *testing.T, path string) {
			writeFile(t, path, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600)
		}, func(path string) string {
			return "test signing key " + path + ": asn1: structure error: " // then the DER parser's detail
		}},
		{"larger than 64 KiB", func(t *testing.T, path string) {
			writeFile(t, path, bytes.Repeat([]byte("k"), 64<<10+1), 0o600)
		}, func(string) string { return "read test signing key: larger than 65536 bytes" }},
		{"corrupt public key file", func(t *testing.T, path string) {
			mustCreate(t, path)
			writeFile(t, path+".pub", []byte("garbage"), 0o644)
		}, func(path string) string { return "test public key " + path + `.pub: no PEM "PUBLIC KEY" block` }},
		{"public key of another key", func(t *testing.T, path string) {
			mustCreate(t, path)
			writeFile(t, path+".pub", EncodePublicPEM(otherPub), 0o644)
		}, nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "k"+string(rune('a'+i))+".key")
			tt.setup(t, path)
			_, err := testFiles.LoadOrCreate(path)
			want := ""
			if tt.want != nil {
				want = tt.want(path)
			} else {
				priv, lerr := testFiles.loadPrivate(path)
				if lerr != nil {
					t.Fatal(lerr)
				}
				want = "test public key " + path + ".pub (key " + hex.EncodeToString(otherPub[:4]) +
					") does not belong to the signing key (key " + hex.EncodeToString(priv.Public().(ed25519.PublicKey)[:4]) +
					"); move it away to have it rewritten"
			}
			if err == nil || err.Error() != want && !(strings.HasSuffix(want, ": ") && strings.HasPrefix(err.Error(), want)) {
				t.Fatalf("err = %v\nwant %s", err, want)
			}
		})
	}
}

func TestLoadPublicRefusesPrivateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signing.key")
	mustCreate(t, path)
	_, err := testFiles.LoadPublic(path)
	if want := "test public key " + path + `: no PEM "PUBLIC KEY" block`; err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	_, err = testFiles.LoadPublic(path + ".missing")
	if want := "read test public key: open " + path + ".missing: no such file or directory"; err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
}

func mustCreate(t *testing.T, path string) ed25519.PrivateKey {
	t.Helper()
	priv, err := testFiles.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func writeFile(t *testing.T, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // WriteFile's mode passes through the umask
		t.Fatal(err)
	}
}
