package evidence

import (
	"bytes"
	"testing"

	"aead.dev/minisign"
)

// FuzzVerifyBundle feeds arbitrary archives to VerifyBundle: it never panics or fails to
// answer, and says OK only for a bundle whose manifest verifies with minisign's own check.
func FuzzVerifyBundle(f *testing.F) {
	key := testKey(1)
	good := buildFixture(f, fixtureOptions(), key)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := VerifyBundle(bytes.NewReader(data), int64(len(data)), key.PublicKey())
		if err != nil {
			t.Fatalf("VerifyBundle returned an error for in-memory input: %v", err)
		}
		if rep.OK != (len(rep.Problems) == 0) {
			t.Fatalf("OK %v with problems %q", rep.OK, problemStrings(rep))
		}
		if rep.OK {
			zr := mustZip(t, data)
			manifest := readMember(t, zr, ManifestPath)
			if !minisign.Verify(minisignPublicKey(key.PublicKey()), manifest, readMember(t, zr, SignaturePath)) &&
				!minisign.Verify(minisignPublicKey(key.PublicKey()), manifest, readMember(t, zr, MinisigPath)) {
				t.Fatal("a bundle whose manifest does not verify was OK")
			}
		}
	})
}

// FuzzCheckSignature: whatever the signature file holds, checkSignature accepts it only
// when minisign's verification does.
func FuzzCheckSignature(f *testing.F) {
	key := testKey(1)
	manifest := []byte("{\"kind\": \"x\"}\n")
	sig := key.SignManifest(manifest, fixtureGeneratedAt)
	f.Add(manifest, sig)
	f.Add(manifest, minisign.SignWithComments(key.mk, manifest, "t", untrustedComment(key.id)))
	f.Add([]byte("{}"), sig)
	f.Add(manifest, []byte("untrusted comment: x\n\ntrusted comment: y\n\n"))
	f.Fuzz(func(t *testing.T, manifest, sig []byte) {
		p := checkSignature(SignaturePath, manifest, sig, key.PublicKey())
		if p == nil && !minisign.Verify(minisignPublicKey(key.PublicKey()), manifest, sig) {
			t.Fatalf("accepted a signature minisign refuses: %q", sig)
		}
		if p != nil && p.Path != SignaturePath && p.Path != ManifestPath {
			t.Fatalf("problem names %q", p.Path)
		}
	})
}

// FuzzParsePublicKey: a key that parses re-encodes to a key that parses to the same key.
func FuzzParsePublicKey(f *testing.F) {
	k := testKey(2)
	f.Add(k.MinisignPublicKey())
	f.Add(k.PublicKeyPEM())
	f.Add([]byte("untrusted comment: x\nRWQ="))
	f.Fuzz(func(t *testing.T, data []byte) {
		pub, err := ParsePublicKey(data)
		if err != nil {
			return
		}
		for _, enc := range [][]byte{EncodeMinisignPublicKey(pub), EncodePublicKeyPEM(pub)} {
			again, err := ParsePublicKey(enc)
			if err != nil || !again.Equal(pub) {
				t.Fatalf("%q re-encoded as %q does not parse back: %v", data, enc, err)
			}
		}
	})
}

// FuzzDecodeManifest: a manifest that decodes encodes canonically, and that encoding
// decodes and encodes to the same bytes.
func FuzzDecodeManifest(f *testing.F) {
	f.Add(readFixtureManifest(f))
	f.Add([]byte(`{"kind":"keeptrail.compliance_package.manifest","format_version":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeManifest(data)
		if err != nil {
			return
		}
		enc, err := m.Encode()
		if err != nil {
			return // parameters that are not valid JSON values are refused by Encode
		}
		m2, err := DecodeManifest(enc)
		if err != nil {
			t.Fatalf("canonical form does not decode: %v\n%s", err, enc)
		}
		enc2, err := m2.Encode()
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable: %v\n%s\n%s", err, enc, enc2)
		}
	})
}

func readFixtureManifest(tb testing.TB) []byte {
	return readMember(tb, mustZip(tb, buildFixture(tb, fixtureOptions(), testKey(1))), ManifestPath)
}
