package delivery

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// outboxTempPrefix names files being written; a crash leaves at most such files, which
// prepareOutbox removes, never a half-written .eml.
const outboxTempPrefix = ".writing-"

// prepareOutbox creates the folder and removes temporary files a crash left behind.
func prepareOutbox(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create outbox: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read outbox: %w", err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), outboxTempPrefix) && e.Type().IsRegular() {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
	return nil
}

// outboxName is the file of one (notice, recipient): the same for every retry, so a
// repeated send replaces the file instead of adding a second message.
func outboxName(n Notice, messageID string) string {
	id := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, n.ID)
	if len(id) > 40 {
		id = id[:40]
	}
	hash := strings.TrimPrefix(messageID, "keeptrail."+n.Kind+".")
	if i := strings.IndexByte(hash, '@'); i >= 0 {
		hash = hash[:i]
	}
	return n.Kind + "-" + id + "-" + hash + ".eml"
}

// writeOutbox writes the message as an .eml file: temporary name, fsync, rename, fsync of
// the folder, so the outbox never shows a partial message.
func (m *Mailer) writeOutbox(n Notice, to Target, messageID string, data []byte) (path string, err error) {
	msg := m.buildMessage(n, to, messageID, data)
	f, err := os.CreateTemp(m.outbox, outboxTempPrefix+"*.eml")
	if err != nil {
		return "", fmt.Errorf("write outbox: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	w := bufio.NewWriterSize(f, 64<<10)
	if _, err = msg.WriteTo(w); err != nil {
		return "", fmt.Errorf("write outbox: %w", err)
	}
	if err = w.Flush(); err != nil {
		return "", fmt.Errorf("write outbox: %w", err)
	}
	if err = f.Sync(); err != nil {
		return "", fmt.Errorf("write outbox: %w", err)
	}
	if err = f.Close(); err != nil {
		return "", fmt.Errorf("write outbox: %w", err)
	}
	path = filepath.Join(m.outbox, outboxName(n, messageID))
	if err = os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("write outbox: %w", err)
	}
	if err = syncDir(m.outbox); err != nil {
		return "", fmt.Errorf("write outbox: %w", err)
	}
	return path, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
