package auditlog

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
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

// LoadOrCreateKey reads the private key file at path, creating it with a new key (mode
// 0600) when it does not exist, and makes sure path+".pub" holds the matching public key,
// writing it when missing. It refuses a key file that group or others may access and a
// public key file that belongs to another key.
func LoadOrCreateKey(path string) (*Signer, error) {
	s, err := loadPrivateKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		s, err = createPrivateKey(path)
	}
	if err != nil {
		return nil, err
	}
	if err := ensurePublicKeyFile(path+".pub", s.pub); err != nil {
		return nil, err
	}
	return s, nil
}

// LoadPublicKey reads a public key file written by LoadOrCreateKey (PEM "PUBLIC KEY").
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read audit public key: %w", err)
	}
	pub, err := parsePublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("audit public key %s: %w", path, err)
	}
	return pub, nil
}

func loadPrivateKey(path string) (*Signer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open audit signing key: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat audit signing key: %w", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("audit signing key %s: mode %04o lets group or others access it; run chmod 600 %s",
			path, fi.Mode().Perm(), path)
	}
	b, err := readAll(f, 64<<10)
	if err != nil {
		return nil, fmt.Errorf("read audit signing key: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("audit signing key %s: no PEM \"PRIVATE KEY\" block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("audit signing key %s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("audit signing key %s: %T is not an Ed25519 key", path, k)
	}
	return NewSigner(priv), nil
}

// createPrivateKey writes a new key to a temporary file, fsyncs it, and links it into
// place so that two processes starting at once never overwrite each other's key: the
// loser loads the winner's.
func createPrivateKey(path string) (*Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate audit signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encode audit signing key: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	tmp, err := writeTemp(path, data, 0o600)
	if err != nil {
		return nil, fmt.Errorf("write audit signing key: %w", err)
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return loadPrivateKey(path)
		}
		return nil, fmt.Errorf("write audit signing key: %w", err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("write audit signing key: %w", err)
	}
	return NewSigner(priv), nil
}

func ensurePublicKeyFile(path string, pub ed25519.PublicKey) error {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		have, err := parsePublicKey(b)
		if err != nil {
			return fmt.Errorf("audit public key %s: %w", path, err)
		}
		if !have.Equal(pub) {
			return fmt.Errorf("audit public key %s (key %s) does not belong to the signing key (key %s); move it away to have it rewritten",
				path, PublicKeyID(have), PublicKeyID(pub))
		}
		return nil
	case errors.Is(err, fs.ErrNotExist):
		data, err := encodePublicKey(pub)
		if err != nil {
			return err
		}
		tmp, err := writeTemp(path, data, 0o644)
		if err != nil {
			return fmt.Errorf("write audit public key: %w", err)
		}
		if err := os.Rename(tmp, path); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("write audit public key: %w", err)
		}
		return syncDir(filepath.Dir(path))
	default:
		return fmt.Errorf("read audit public key: %w", err)
	}
}

func encodePublicKey(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode audit public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

func parsePublicKey(b []byte) (ed25519.PublicKey, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("no PEM \"PUBLIC KEY\" block")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%T is not an Ed25519 key", k)
	}
	return pub, nil
}

// writeTemp writes data to a new temporary file beside path with the given mode and
// fsyncs it; it returns the temporary file's name.
func writeTemp(path string, data []byte, mode os.FileMode) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(name)
		return "", err
	}
	if err := f.Chmod(mode); err != nil {
		return fail(err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func readAll(f *os.File, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}
