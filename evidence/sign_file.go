package evidence

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"

	"aead.dev/minisign"

	"github.com/keeptrail/keeptrail/internal/edkey"
)

// LoadOrCreatePackageKey reads the package signing key at path (PEM "PRIVATE KEY",
// PKCS #8, as the audit checkpoint key), creating it with a new key (mode 0600) when it
// does not exist, and makes sure path+".pub" holds the matching public key in minisign's
// format (EncodeMinisignPublicKey), writing it when missing. It refuses a key file that
// group or others may access and a public key file that belongs to another key. Two
// processes creating the key at once end up with the same key.
func LoadOrCreatePackageKey(path string) (*PackageKey, error) {
	priv, err := packageKeyFiles.LoadOrCreate(path)
	if err != nil {
		return nil, err
	}
	return NewPackageKey(priv), nil
}

// packageKeyFiles are the package signing key's files: the public key file is in
// minisign's format.
var packageKeyFiles = edkey.Files{Name: "package", EncodePublic: EncodeMinisignPublicKey, ParsePublic: ParsePublicKey, KeyID: KeyID}

// EncodeMinisignPublicKey returns a public key file in minisign's format: an untrusted
// comment line naming the key ID, then base64 of "Ed", the 8-byte key number and the
// 32-byte key, as `minisign -G` writes minisign.pub. Its second line is what
// `minisign -V -P` takes.
func EncodeMinisignPublicKey(pub ed25519.PublicKey) []byte {
	return []byte("untrusted comment: keeptrail package signing key " + KeyID(pub) + "\n" +
		minisignPublicKeyLine(pub) + "\n")
}

// EncodePublicKeyPEM returns the public key as PEM "PUBLIC KEY" (PKIX).
func EncodePublicKeyPEM(pub ed25519.PublicKey) []byte { return edkey.EncodePublicPEM(pub) }

// ParsePublicKey reads a package signing public key in any form Keeptrail writes: a
// minisign public key file, its base64 line alone, or PEM "PUBLIC KEY". A minisign key
// whose key number is not the one Keeptrail derives from the key (see KeyID) is refused,
// since Keeptrail's signatures would never name it.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	text := bytes.TrimSpace(data)
	if bytes.HasPrefix(text, []byte("-----BEGIN")) {
		return edkey.ParsePublicPEM(text)
	}
	if bytes.HasPrefix(text, []byte("untrusted comment:")) {
		_, rest, ok := bytes.Cut(text, []byte("\n"))
		if !ok {
			return nil, errors.New("minisign public key: no key after the comment line")
		}
		text = bytes.TrimSpace(rest)
	}
	raw, err := base64.StdEncoding.DecodeString(string(text))
	if err != nil {
		return nil, errors.New("not a minisign or PEM public key")
	}
	if len(raw) != minisignPublicKeySize || binary.LittleEndian.Uint16(raw) != minisign.EdDSA {
		return nil, errors.New("not a minisign Ed25519 public key")
	}
	pub := ed25519.PublicKey(raw[10:])
	if n := binary.LittleEndian.Uint64(raw[2:]); n != keyNumber(pub) {
		return nil, fmt.Errorf("minisign public key %s is not a Keeptrail package signing key (its key ID would be %s)",
			keyIDString(n), KeyID(pub))
	}
	return pub, nil
}

// LoadPublicKey reads a public key file for ParsePublicKey.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	return packageKeyFiles.LoadPublic(path)
}
