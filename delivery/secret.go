package delivery

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// secretBytes is the size of a secret LoadOrCreateSecret makes.
const secretBytes = 32

// LoadOrCreateSecret returns the secret kept in path (hex, one line), creating it with
// 32 random bytes the first time: written 0600 to a temporary name, fsynced and linked
// into place, so a crash never leaves a half-written key and two processes starting at
// once end up with the same one. A file others may read (group or world
// permission bits) is refused. Use one file per purpose: DATA_DIR/link.key for
// LinkSigner, DATA_DIR/webhook.key for Webhook.
func LoadOrCreateSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createSecret(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secret %s is readable by others (mode %04o); chmod 600 it", path, st.Mode().Perm())
	}
	secret, err := hex.DecodeString(string(bytes.TrimSpace(b)))
	if err != nil || len(secret) < secretBytes {
		return nil, fmt.Errorf("secret %s: want at least %d bytes as hex", path, secretBytes)
	}
	return secret, nil
}

func createSecret(path string) ([]byte, error) {
	secret := make([]byte, secretBytes)
	rand.Read(secret)
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create secret: %w", err)
	}
	f, err := os.CreateTemp(dir, ".secret-*")
	if err != nil {
		return nil, fmt.Errorf("create secret: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after the rename there is nothing to remove
	_, err = f.WriteString(hex.EncodeToString(secret) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("create secret: %w", err)
	}
	// Link, not rename: if another process created the file meanwhile, keep theirs.
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return LoadOrCreateSecret(path)
		}
		return nil, fmt.Errorf("create secret: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return nil, fmt.Errorf("create secret: %w", err)
	}
	return secret, nil
}
