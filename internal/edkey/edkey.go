// Package edkey keeps an Ed25519 signing key in files outside the database: the private
// key as PEM "PRIVATE KEY" (PKCS #8, mode 0600) and the public key beside it at
// path+".pub" (mode 0644) in the format its user chooses. The audit checkpoint key
// (package auditlog) and the compliance package signing key (package evidence) are both
// kept this way.
package edkey

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// maxKeyFile is the largest private key file read; a PEM Ed25519 key is 119 bytes.
const maxKeyFile = 64 << 10

// Files describes one kind of key file pair.
type Files struct {
	// Name is what error messages call the key: "audit" gives "audit signing key" and
	// "audit public key".
	Name string
	// EncodePublic returns the contents of the public key file.
	EncodePublic func(ed25519.PublicKey) []byte
	// ParsePublic reads the contents of a public key file.
	ParsePublic func([]byte) (ed25519.PublicKey, error)
	// KeyID names a key in the error that refuses a public key file of another key.
	KeyID func(ed25519.PublicKey) string
}

// LoadOrCreate reads the private key file at path, creating it with a new key (mode
// 0600) when it does not exist, and makes sure path+".pub" holds the matching public
// key, writing it when missing. It refuses a key file that group or others may access
// and a public key file that belongs to another key. Two processes creating the key at
// once end up with the same key: the loser loads the winner's.
func (k Files) LoadOrCreate(path string) (ed25519.PrivateKey, error) {
	priv, err := k.loadPrivate(path)
	if errors.Is(err, fs.ErrNotExist) {
		priv, err = k.createPrivate(path)
	}
	if err != nil {
		return nil, err
	}
	if err := k.ensurePublic(path+".pub", priv.Public().(ed25519.PublicKey)); err != nil {
		return nil, err
	}
	return priv, nil
}

// LoadPublic reads a public key file with ParsePublic.
func (k Files) LoadPublic(path string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s public key: %w", k.Name, err)
	}
	pub, err := k.ParsePublic(b)
	if err != nil {
		return nil, fmt.Errorf("%s public key %s: %w", k.Name, path, err)
	}
	return pub, nil
}

func (k Files) loadPrivate(path string) (ed25519.PrivateKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s signing key: %w", k.Name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat %s signing key: %w", k.Name, err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s signing key %s: mode %04o lets group or others access it; run chmod 600 %s",
			k.Name, path, fi.Mode().Perm(), path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err == nil && len(b) > maxKeyFile {
		err = fmt.Errorf("larger than %d bytes", maxKeyFile)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s signing key: %w", k.Name, err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s signing key %s: no PEM \"PRIVATE KEY\" block", k.Name, path)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s signing key %s: %w", k.Name, path, err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s signing key %s: %T is not an Ed25519 key", k.Name, path, key)
	}
	return priv, nil
}

// createPrivate writes a new key to a temporary file, fsyncs it and links it into place,
// so that of two processes starting at once the loser loads the winner's key.
func (k Files) createPrivate(path string) (ed25519.PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate %s signing key: %w", k.Name, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encode %s signing key: %w", k.Name, err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	tmp, err := writeTemp(path, data, 0o600)
	if err != nil {
		return nil, fmt.Errorf("write %s signing key: %w", k.Name, err)
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return k.loadPrivate(path)
		}
		return nil, fmt.Errorf("write %s signing key: %w", k.Name, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("write %s signing key: %w", k.Name, err)
	}
	return priv, nil
}

// ensurePublic checks that the public key file at path holds pub, writing it when it
// does not exist.
func (k Files) ensurePublic(path string, pub ed25519.PublicKey) error {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		have, err := k.ParsePublic(b)
		if err != nil {
			return fmt.Errorf("%s public key %s: %w", k.Name, path, err)
		}
		if !have.Equal(pub) {
			return fmt.Errorf("%s public key %s (key %s) does not belong to the signing key (key %s); move it away to have it rewritten",
				k.Name, path, k.KeyID(have), k.KeyID(pub))
		}
		return nil
	case errors.Is(err, fs.ErrNotExist):
		tmp, err := writeTemp(path, k.EncodePublic(pub), 0o644)
		if err != nil {
			return fmt.Errorf("write %s public key: %w", k.Name, err)
		}
		if err := os.Rename(tmp, path); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("write %s public key: %w", k.Name, err)
		}
		return syncDir(filepath.Dir(path))
	default:
		return fmt.Errorf("read %s public key: %w", k.Name, err)
	}
}

// EncodePublicPEM returns the public key as PEM "PUBLIC KEY" (PKIX), as
// `openssl pkey -pubout` writes it.
func EncodePublicPEM(pub ed25519.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic("edkey: encoding an Ed25519 public key: " + err.Error()) // cannot fail for Ed25519
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// ParsePublicPEM reads an Ed25519 public key from PEM "PUBLIC KEY" (PKIX).
func ParsePublicPEM(b []byte) (ed25519.PublicKey, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("no PEM \"PUBLIC KEY\" block")
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	pub, ok := key.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%T is not an Ed25519 key", key)
	}
	return pub, nil
}

// writeTemp writes data to a new temporary file beside path with the given mode, fsyncs
// it and returns its name.
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

// syncDir fsyncs a folder so that a file linked or renamed into it stays after a crash.
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
