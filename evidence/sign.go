package evidence

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strconv"
	"strings"
	"time"

	"aead.dev/minisign"
)

// SignManifest returns manifest.sig for the manifest's bytes: a minisign signature of
// the prehashed kind (Ed25519 over the BLAKE2b-512 of the manifest, what minisign 0.10
// and later write by default), so that
//
//	minisign -Vm manifest.json -P <the public key's base64 line>
//
// verifies it. The trusted comment, which the signature also covers, is
// "timestamp:<generatedAt, Unix seconds>\tfile:manifest.json\thashed\tsha256:<hex>",
// minisign's own form plus the manifest's SHA-256, which lets VerifyBundle tell an altered
// manifest from an altered signature. Ed25519 is deterministic, so the same manifest,
// time and key give the same bytes.
func (k *PackageKey) SignManifest(manifest []byte, generatedAt time.Time) []byte {
	r := minisign.NewReader(bytes.NewReader(manifest))
	if _, err := io.Copy(io.Discard, r); err != nil {
		panic("evidence: reading a byte slice: " + err.Error())
	}
	return r.SignWithComments(k.mk, trustedComment(manifest, generatedAt), untrustedComment(k.id))
}

func trustedComment(manifest []byte, generatedAt time.Time) string {
	sum := sha256.Sum256(manifest)
	return "timestamp:" + strconv.FormatInt(generatedAt.Unix(), 10) +
		"\tfile:" + ManifestPath + "\thashed\tsha256:" + hex.EncodeToString(sum[:])
}

func untrustedComment(id uint64) string {
	return "signature from keeptrail package signing key " + keyIDString(id)
}

// checkSignature verifies the signature file sigPath (manifest.sig or
// manifest.json.minisig) over manifest.json with pub and returns the problem found, if
// any, naming the file to blame: the signature file when it is malformed, not in the
// form SignManifest writes, made with another key or altered; manifest.json when the
// signature is intact but the manifest is not.
func checkSignature(sigPath string, manifest, sig []byte, pub ed25519.PublicKey) *Problem {
	id := KeyID(pub)
	bad := func(path, what string) *Problem { return &Problem{Path: path, What: what} }
	var s minisign.Signature
	if err := s.UnmarshalText(sig); err != nil {
		return bad(sigPath, "not a valid minisign signature ("+strings.TrimPrefix(err.Error(), "minisign: ")+")")
	}
	canonical := s
	canonical.UntrustedComment = untrustedComment(s.KeyID)
	if enc, err := canonical.MarshalText(); err != nil || !bytes.Equal(enc, sig) {
		return bad(sigPath, "altered (not in the form Keeptrail writes)")
	}
	if s.KeyID != keyNumber(pub) {
		return bad(sigPath, "signature does not verify with key "+id+" (it names key "+keyIDString(s.KeyID)+")")
	}
	global := append(s.Signature[:len(s.Signature):len(s.Signature)], s.TrustedComment...)
	if !ed25519.Verify(pub, global, s.CommentSignature[:]) {
		return bad(sigPath, "signature does not verify with key "+id)
	}
	if want, ok := commentSHA256(s.TrustedComment); ok {
		sum := sha256.Sum256(manifest)
		if hex.EncodeToString(sum[:]) != want {
			return bad(ManifestPath, "SHA-256 mismatch (altered)")
		}
	}
	if !minisign.Verify(minisignPublicKey(pub), manifest, sig) {
		return bad(ManifestPath, "signature does not verify with key "+id+" (altered)")
	}
	return nil
}

// commentSHA256 returns the sha256 field of a trusted comment.
func commentSHA256(comment string) (string, bool) {
	for _, f := range strings.Split(comment, "\t") {
		if v, ok := strings.CutPrefix(f, "sha256:"); ok {
			return v, true
		}
	}
	return "", false
}
