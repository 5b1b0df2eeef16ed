package auditlog

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"

	"github.com/keeptrail/keeptrail/internal/edkey"
)

// Signer signs audit checkpoints with an Ed25519 private key read from a file outside the
// database.
type Signer struct {
	priv  ed25519.PrivateKey
	pub   ed25519.PublicKey
	keyID string
}

// NewSigner returns a signer for an Ed25519 private key held in memory (tests and tools).
func NewSigner(priv ed25519.PrivateKey) *Signer {
	pub := priv.Public().(ed25519.PublicKey)
	return &Signer{priv: priv, pub: pub, keyID: PublicKeyID(pub)}
}

// PublicKey returns the key that verifies the signer's checkpoints.
func (s *Signer) PublicKey() ed25519.PublicKey { return s.pub }

// KeyID returns the ID stored with each checkpoint: see PublicKeyID.
func (s *Signer) KeyID() string { return s.keyID }

// PublicKeyID returns the first 16 hex characters of the SHA-256 of the raw public key.
func PublicKeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// keyFiles are the audit signing key's files: the public key file is PEM "PUBLIC KEY".
var keyFiles = edkey.Files{Name: "audit", EncodePublic: edkey.EncodePublicPEM, ParsePublic: edkey.ParsePublicPEM, KeyID: PublicKeyID}

// LoadOrCreateKey reads the private key file at path, creating it with a new key (mode
// 0600) when it does not exist, and makes sure path+".pub" holds the matching public key,
// writing it when missing. It refuses a key file that group or others may access and a
// public key file that belongs to another key.
func LoadOrCreateKey(path string) (*Signer, error) {
	priv, err := keyFiles.LoadOrCreate(path)
	if err != nil {
		return nil, err
	}
	return NewSigner(priv), nil
}

// LoadPublicKey reads a public key file written by LoadOrCreateKey (PEM "PUBLIC KEY").
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	return keyFiles.LoadPublic(path)
}
