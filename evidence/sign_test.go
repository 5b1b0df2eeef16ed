package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"aead.dev/minisign"
)

func TestKeyID(t *testing.T) {
	k := testKey(1)
	// The first 8 bytes of SHA-256 of the raw public key, as minisign prints key numbers.
	if got, want := k.KeyID(), "34750F98BD59FCFC"; got != want {
		t.Errorf("KeyID = %s, want %s", got, want)
	}
	sum := sha256.Sum256(k.PublicKey())
	if got, want := k.KeyID(), strings.ToUpper(hex.EncodeToString(sum[:8])); got != want {
		t.Errorf("KeyID = %s, want SHA-256 prefix %s", got, want)
	}
	pubText := string(k.MinisignPublicKey())
	lines := strings.Split(pubText, "\n")
	if len(lines) != 3 || lines[0] != "untrusted comment: keeptrail package signing key 34750F98BD59FCFC" || lines[2] != "" {
		t.Fatalf("minisign public key file:\n%s", pubText)
	}
	raw, err := base64.StdEncoding.DecodeString(lines[1])
	if err != nil || len(raw) != 42 || string(raw[:2]) != "Ed" ||
		binary.LittleEndian.Uint64(raw[2:10]) != 0x34750F98BD59FCFC || !bytes.Equal(raw[10:], k.PublicKey()) {
		t.Errorf("minisign public key line %s decodes to %x", lines[1], raw)
	}
	// aead.dev/minisign reads it as the same key.
	var mp minisign.PublicKey
	if err := mp.UnmarshalText([]byte(pubText)); err != nil || mp.ID() != 0x34750F98BD59FCFC {
		t.Errorf("minisign reads the key as %x, %v", mp.ID(), err)
	}
}

func TestParsePublicKey(t *testing.T) {
	k := testKey(2)
	line := strings.Split(string(k.MinisignPublicKey()), "\n")[1]
	for name, in := range map[string]string{
		"minisign file":    string(k.MinisignPublicKey()),
		"minisign line":    line + "\n",
		"PEM":              string(k.PublicKeyPEM()),
		"minisign CRLF":    strings.ReplaceAll(string(k.MinisignPublicKey()), "\n", "\r\n"),
		"minisign comment": "untrusted comment: minisign public key 1234\n" + line,
	} {
		pub, err := ParsePublicKey([]byte(in))
		if err != nil || !pub.Equal(k.PublicKey()) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A minisign key with a random key number (as minisign -G makes) is not ours.
	raw, _ := base64.StdEncoding.DecodeString(line)
	binary.LittleEndian.PutUint64(raw[2:], 0x0102030405060708)
	other := base64.StdEncoding.EncodeToString(raw)
	for in, want := range map[string]string{
		other:   "minisign public key 0102030405060708 is not a Keeptrail package signing key (its key ID would be " + k.KeyID() + ")",
		"hello": "not a minisign or PEM public key",
		base64.StdEncoding.EncodeToString([]byte("Ed short")):            "not a minisign Ed25519 public key",
		"-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n": "no PEM \"PUBLIC KEY\" block",
		"untrusted comment: only":                                        "minisign public key: no key after the comment line",
	} {
		if _, err := ParsePublicKey([]byte(in)); err == nil || err.Error() != want {
			t.Errorf("ParsePublicKey(%q) = %v, want %q", in, err, want)
		}
	}
}

func TestLoadOrCreatePackageKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "package.key")
	k1, err := LoadOrCreatePackageKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", fi.Mode(), err)
	}
	pubFile, err := os.ReadFile(path + ".pub")
	if err != nil || !bytes.Equal(pubFile, k1.MinisignPublicKey()) {
		t.Fatalf("public key file %q, %v", pubFile, err)
	}
	k2, err := LoadOrCreatePackageKey(path)
	if err != nil || !k2.PublicKey().Equal(k1.PublicKey()) {
		t.Fatalf("reloaded key differs: %v", err)
	}
	pub, err := LoadPublicKey(path + ".pub")
	if err != nil || !pub.Equal(k1.PublicKey()) {
		t.Fatalf("LoadPublicKey: %v", err)
	}

	// A public key file of another key is refused, not overwritten.
	if err := os.WriteFile(path+".pub", testKey(9).MinisignPublicKey(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadOrCreatePackageKey(path)
	want := "package public key " + path + ".pub (key " + testKey(9).KeyID() + ") does not belong to the signing key (key " +
		k1.KeyID() + "); move it away to have it rewritten"
	if err == nil || err.Error() != want {
		t.Errorf("mismatched public key: %v\nwant %s", err, want)
	}
	os.Remove(path + ".pub")

	// A key file others may read is refused.
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	_, err = LoadOrCreatePackageKey(path)
	want = "package signing key " + path + ": mode 0640 lets group or others access it; run chmod 600 " + path
	if err == nil || err.Error() != want {
		t.Errorf("group-readable key: %v", err)
	}
	// The audit checkpoint key's format is the same PEM, but a broken file is refused.
	bad := filepath.Join(dir, "bad.key")
	os.WriteFile(bad, []byte("not a key"), 0o600)
	if _, err := LoadOrCreatePackageKey(bad); err == nil || err.Error() != "package signing key "+bad+": no PEM \"PRIVATE KEY\" block" {
		t.Errorf("broken key file: %v", err)
	}
}

func TestSignManifest(t *testing.T) {
	k := testKey(1)
	manifest := []byte("{\"kind\": \"test\"}\n")
	sig := k.SignManifest(manifest, fixtureGeneratedAt)
	if !bytes.Equal(sig, k.SignManifest(manifest, fixtureGeneratedAt)) {
		t.Fatal("signing twice gives different bytes")
	}
	lines := strings.Split(string(sig), "\n")
	if len(lines) != 5 || lines[0] != "untrusted comment: signature from keeptrail package signing key 34750F98BD59FCFC" ||
		lines[2] != "trusted comment: timestamp:1743489015\tfile:manifest.json\thashed\tsha256:"+sha256Hex(manifest) || lines[4] != "" {
		t.Fatalf("signature:\n%s", sig)
	}
	var s minisign.Signature
	if err := s.UnmarshalText(sig); err != nil || s.Algorithm != minisign.HashEdDSA {
		t.Fatalf("algorithm %x, %v; want prehashed (ED)", s.Algorithm, err)
	}
	if p := checkSignature(SignaturePath, manifest, sig, k.PublicKey()); p != nil {
		t.Errorf("own signature: %v", p)
	}
	// A legacy (not prehashed) minisign signature over the same bytes verifies too.
	legacy := minisign.SignWithComments(k.mk, manifest, trustedComment(manifest, fixtureGeneratedAt), untrustedComment(k.id))
	if p := checkSignature(SignaturePath, manifest, legacy, k.PublicKey()); p != nil {
		t.Errorf("legacy signature: %v", p)
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// requireTool returns the path of a command-line tool, or skips the test with a log
// line when it is missing, unless KEEPTRAIL_REQUIRE_TOOLS=1, when it fails.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("KEEPTRAIL_REQUIRE_TOOLS") == "1" {
		t.Fatalf("%s is not installed and KEEPTRAIL_REQUIRE_TOOLS=1 (apt-get install -y %s)", name, name)
	}
	t.Logf("skipping: %s is not installed (apt-get install -y %s)", name, name)
	t.SkipNow()
	return ""
}

// TestMinisignVerifies runs Debian's minisign on a manifest and its signatures, both the
// prehashed kind SignManifest writes and the legacy kind, with the key given as -P and
// as a file; and on an altered manifest, which it must reject.
func TestMinisignVerifies(t *testing.T) {
	bin := requireTool(t, "minisign")
	k := testKey(3)
	dir := t.TempDir()
	manifest := []byte("{\n  \"organization\": \"Example\"\n}\n")
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mpath := write("manifest.json", manifest)
	pubFile := write("keeptrail.pub", k.MinisignPublicKey())
	pubLine := strings.Split(string(k.MinisignPublicKey()), "\n")[1]
	sigs := map[string][]byte{
		"prehashed": k.SignManifest(manifest, fixtureGeneratedAt),
		"legacy":    minisign.SignWithComments(k.mk, manifest, trustedComment(manifest, fixtureGeneratedAt), untrustedComment(k.id)),
	}
	for kind, sig := range sigs {
		spath := write("manifest."+kind+".sig", sig)
		for _, keyArgs := range [][]string{{"-P", pubLine}, {"-p", pubFile}} {
			args := append([]string{"-V", "-m", mpath, "-x", spath}, keyArgs...)
			out, err := exec.Command(bin, args...).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "Signature and comment signature verified") {
				t.Errorf("%s, %s: minisign %v: %v\n%s", kind, keyArgs[0], args, err, out)
			}
		}
	}
	// The default signature name minisign looks for is manifest.json.minisig.
	write("manifest.json.minisig", sigs["prehashed"])
	if out, err := exec.Command(bin, "-Vm", mpath, "-P", pubLine).CombinedOutput(); err != nil {
		t.Errorf("minisign -Vm manifest.json -P: %v\n%s", err, out)
	}
	altered := bytes.Replace(manifest, []byte("Example"), []byte("Exbmple"), 1)
	write("manifest.json", altered)
	out, err := exec.Command(bin, "-Vm", mpath, "-P", pubLine).CombinedOutput()
	if err == nil {
		t.Errorf("minisign accepted an altered manifest:\n%s", out)
	} else if !strings.Contains(string(out), "Signature verification failed") {
		t.Errorf("minisign on an altered manifest: %v\n%s", err, out)
	}
}
