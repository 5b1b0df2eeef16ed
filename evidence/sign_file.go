package evidence

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"aead.dev/minisign"
)

// LoadOrCreatePackageKey reads the package signing key at path (PEM "PRIVATE KEY",
// PKCS #8, as the audit checkpoint key), creating it with a new key (mode 0600) when it
// does not exist, and makes sure path+".pub" holds the matching public key in minisign's
// format (EncodeMinisignPublicKey), writing it when missing. It refuses a key file that
// group or others may access and a public key file that belongs to another key. Two
// processes creating the key at once end up with the same key.
func LoadOrCreatePackageKey(path string) (*PackageKey, error) {
	k, err := loadPackageKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		k, err = createPackageKey(path)
	}
	if err != nil {
		return nil, err
	}
	if err := ensureMinisignPublicKey(path+".pub", k.pub); err != nil {
		return nil, err
	}
	return k, nil
}

// EncodeMinisignPublicKey returns a public key file in minisign's format: an untrusted
// comment line naming the key ID, then base64 of "Ed", the 8-byte key number and the
// 32-byte key, as `minisign -G` writes minisign.pub. Its second line is what
// `minisign -V -P` takes.
func EncodeMinisignPublicKey(pub ed25519.PublicKey) []byte {
	return []byte("untrusted comment: keeptrail package signing key " + KeyID(pub) + "\n" +
		minisignPublicKeyLine(pub) + "\n")
}

// EncodePublicKeyPEM returns the public key as PEM "PUBLIC KEY" (PKIX).
func EncodePublicKeyPEM(pub ed25519.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic("evidence: encoding an Ed25519 public key: " + err.Error()) // cannot fail for Ed25519
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// ParsePublicKey reads a package signing public key in any form Keeptrail writes: a
// minisign public key file, its base64 line alone, or PEM "PUBLIC KEY". A minisign key
// whose key number is not the one Keeptrail derives from the key (see KeyID) is refused,
// since Keeptrail's signatures would never name it.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	text := bytes.TrimSpace(data)
	if bytes.HasPrefix(text, []byte("-----BEGIN")) {
		return parsePublicKeyPEM(text)
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
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read package public key: %w", err)
	}
	pub, err := ParsePublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("package public key %s: %w", path, err)
	}
	return pub, nil
}

func parsePublicKeyPEM(b []byte) (ed25519.PublicKey, error) {
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

func loadPackageKey(path string) (*PackageKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open package signing key: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat package signing key: %w", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("package signing key %s: mode %04o lets group or others access it; run chmod 600 %s",
			path, fi.Mode().Perm(), path)
	}
	b, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("read package signing key: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("package signing key %s: no PEM \"PRIVATE KEY\" block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("package signing key %s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("package signing key %s: %T is not an Ed25519 key", path, k)
	}
	return NewPackageKey(priv), nil
}

// createPackageKey writes a new key to a temporary file, fsyncs it and links it into
// place, so that of two processes starting at once the loser loads the winner's key.
func createPackageKey(path string) (*PackageKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate package signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encode package signing key: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	tmp, err := writeKeyTemp(path, data, 0o600)
	if err != nil {
		return nil, fmt.Errorf("write package signing key: %w", err)
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return loadPackageKey(path)
		}
		return nil, fmt.Errorf("write package signing key: %w", err)
	}
	if err := syncFolder(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("write package signing key: %w", err)
	}
	return NewPackageKey(priv), nil
}

func ensureMinisignPublicKey(path string, pub ed25519.PublicKey) error {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		have, err := ParsePublicKey(b)
		if err != nil {
			return fmt.Errorf("package public key %s: %w", path, err)
		}
		if !have.Equal(pub) {
			return fmt.Errorf("package public key %s (key %s) does not belong to the signing key (key %s); move it away to have it rewritten",
				path, KeyID(have), KeyID(pub))
		}
		return nil
	case errors.Is(err, fs.ErrNotExist):
		tmp, err := writeKeyTemp(path, EncodeMinisignPublicKey(pub), 0o644)
		if err != nil {
			return fmt.Errorf("write package public key: %w", err)
		}
		if err := os.Rename(tmp, path); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("write package public key: %w", err)
		}
		return syncFolder(filepath.Dir(path))
	default:
		return fmt.Errorf("read package public key: %w", err)
	}
}

// writeKeyTemp writes data to a new temporary file beside path with the given mode,
// fsyncs it and returns its name.
func writeKeyTemp(path string, data []byte, mode os.FileMode) (string, error) {
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

func syncFolder(dir string) error {
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
