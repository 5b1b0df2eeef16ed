package evidence

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"

	"aead.dev/minisign"
)

// PackageKey signs compliance package manifests with an Ed25519 private key kept outside
// the database, separate from the audit checkpoint key. Its signatures are in minisign's
// format, so minisign itself verifies a package (see SignManifest).
type PackageKey struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
	id   uint64
	mk   minisign.PrivateKey
}

// NewPackageKey returns a package key for an Ed25519 private key held in memory (tests
// and tools).
func NewPackageKey(priv ed25519.PrivateKey) *PackageKey {
	pub := priv.Public().(ed25519.PublicKey)
	id := keyNumber(pub)
	return &PackageKey{priv: priv, pub: pub, id: id, mk: minisignPrivateKey(priv, id)}
}

// PublicKey returns the key that verifies the package key's signatures.
func (k *PackageKey) PublicKey() ed25519.PublicKey { return k.pub }

// KeyID returns the key's ID as minisign shows it: see KeyID.
func (k *PackageKey) KeyID() string { return KeyID(k.pub) }

// MinisignPublicKey returns the public key in minisign's format: see
// EncodeMinisignPublicKey.
func (k *PackageKey) MinisignPublicKey() []byte { return EncodeMinisignPublicKey(k.pub) }

// PublicKeyPEM returns the public key as PEM "PUBLIC KEY" (PKIX).
func (k *PackageKey) PublicKeyPEM() []byte { return EncodePublicKeyPEM(k.pub) }

// KeyID returns the ID of a package signing key: the first 8 bytes of the SHA-256 of the
// raw public key as 16 upper-case hex digits, which is how minisign prints the 64-bit key
// number stored in the key and in each signature.
func KeyID(pub ed25519.PublicKey) string {
	return fmt.Sprintf("%016X", keyNumber(pub))
}

// keyNumber is the key number minisign stores (little-endian) in the public key and in
// every signature. minisign picks it at random; here it is derived from the key so that
// the PEM key file alone determines it.
func keyNumber(pub ed25519.PublicKey) uint64 {
	sum := sha256.Sum256(pub)
	return binary.BigEndian.Uint64(sum[:8])
}

// keyIDString formats a key number as minisign prints it.
func keyIDString(n uint64) string { return fmt.Sprintf("%016X", n) }

// minisign's binary layouts (little-endian): a public key is the algorithm "Ed", the key
// number and the 32-byte key; an unencrypted secret key is "Ed", KDF 0, checksum
// algorithm "B2", 32 bytes of salt and 16 of KDF limits (zero), the key number and the
// 64-byte Ed25519 private key, then a 32-byte checksum (zero: aead.dev/minisign does not
// read it for unencrypted keys).
const (
	minisignPublicKeySize = 2 + 8 + ed25519.PublicKeySize
	minisignSecretKeySize = 158
	minisignChecksumB2    = 0x3242
)

// minisignPrivateKey converts an Ed25519 key to aead.dev/minisign's type, which offers no
// constructor other than decoding minisign's unencrypted key format.
func minisignPrivateKey(priv ed25519.PrivateKey, id uint64) minisign.PrivateKey {
	var b [minisignSecretKeySize]byte
	binary.LittleEndian.PutUint16(b[0:], minisign.EdDSA)
	binary.LittleEndian.PutUint16(b[4:], minisignChecksumB2)
	binary.LittleEndian.PutUint64(b[54:], id)
	copy(b[62:], priv)
	var mk minisign.PrivateKey
	if err := mk.UnmarshalText([]byte(base64.StdEncoding.EncodeToString(b[:]))); err != nil {
		panic("evidence: encoding a minisign private key: " + err.Error()) // the layout above is fixed
	}
	return mk
}

// minisignPublicKey converts an Ed25519 public key to aead.dev/minisign's type.
func minisignPublicKey(pub ed25519.PublicKey) minisign.PublicKey {
	var mp minisign.PublicKey
	if err := mp.UnmarshalText([]byte(minisignPublicKeyLine(pub))); err != nil {
		panic("evidence: encoding a minisign public key: " + err.Error())
	}
	return mp
}

// minisignPublicKeyLine is the base64 line of a minisign public key, the argument of
// minisign -P.
func minisignPublicKeyLine(pub ed25519.PublicKey) string {
	var b [minisignPublicKeySize]byte
	binary.LittleEndian.PutUint16(b[0:], minisign.EdDSA)
	binary.LittleEndian.PutUint64(b[2:], keyNumber(pub))
	copy(b[10:], pub)
	return base64.StdEncoding.EncodeToString(b[:])
}
