// Package artifact keeps finished files (exports today; compliance packages and reports
// later) in a local folder, so that nobody ever sees half a file (invariant N4).
//
// A file is written under a temporary name in the folder's .tmp subfolder, hashed
// (SHA-256) and counted as it is written, fsynced, renamed to its final name and the
// folder fsynced; a crash leaves at most a temporary file, which Sweep or RemoveTemp
// removes. Every access goes through an os.Root opened on the folder, and names are
// plain file names checked by ValidName, so no name can reach outside the folder.
package artifact

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// tempDir is the subfolder of unfinished files.
const tempDir = ".tmp"

// maxNameLen bounds a file name.
const maxNameLen = 200

// Dir is a folder of finished files. It is safe for concurrent use.
type Dir struct {
	path string
	root *os.Root
	// tmpPrefix starts the name of temporary files: ".tmp/" in an artifact folder, "."
	// (hidden, beside the finished file) in a folder opened with OpenFolder.
	tmpPrefix string
	// anyName accepts any single path element as a name (OpenFolder), not only ValidName.
	anyName bool
}

// Info describes a finished file.
type Info struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// OpenDir opens (creating it 0700 if needed) the folder at path.
func OpenDir(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("artifact: create folder: %w", err)
	}
	root, err := os.OpenRoot(path)
	if err != nil {
		return nil, fmt.Errorf("artifact: open folder: %w", err)
	}
	if err := root.Mkdir(tempDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		root.Close()
		return nil, fmt.Errorf("artifact: create temporary folder: %w", err)
	}
	return &Dir{path: path, root: root, tmpPrefix: tempDir + "/"}, nil
}

// OpenFolder opens an existing folder of someone else's files (the output folder of a
// command): temporary files are hidden beside the finished one (.NAME.RANDOM.part), and
// any name that is a single path element is accepted. Sweep does nothing here.
func OpenFolder(path string) (*Dir, error) {
	root, err := os.OpenRoot(path)
	if err != nil {
		return nil, fmt.Errorf("artifact: open folder: %w", err)
	}
	return &Dir{path: path, root: root, tmpPrefix: ".", anyName: true}, nil
}

// Path is the folder's path.
func (d *Dir) Path() string { return d.path }

// Close releases the folder.
func (d *Dir) Close() error { return d.root.Close() }

// ValidName reports whether name may name a file: 1 to 200 characters of letters,
// digits, '.', '_' and '-', not starting with '.'.
func ValidName(name string) bool {
	if name == "" || len(name) > maxNameLen || name[0] == '.' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func (d *Dir) checkName(name string) error {
	if d.anyName {
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
			return fmt.Errorf("artifact: %q is not a file name", name)
		}
		return nil
	}
	if !ValidName(name) {
		return fmt.Errorf("artifact: %q is not a valid file name", name)
	}
	return nil
}

// Writer writes one file under a temporary name; Commit makes it visible under its name.
// It counts and hashes what is written. Abort (or a failed Commit) removes the temporary
// file. Not safe for concurrent use.
type Writer struct {
	d      *Dir
	f      *os.File
	name   string
	tmp    string // relative to the root
	n      int64
	h      hash.Hash
	closed bool

	// Large files are flushed to disk while they are written: after every syncEvery
	// bytes a background fsync starts (one at a time), so Commit's fsync finds little
	// left to write instead of the whole file.
	unsynced int64
	syncing  sync.WaitGroup
	inFlight atomic.Bool
	syncErr  atomic.Pointer[error]
}

// syncEvery is how many bytes are written between background flushes (a variable so
// tests can make it small).
var syncEvery int64 = 64 << 20

// Create starts the file name. A file of that name appears only at Commit, replacing
// any earlier one.
func (d *Dir) Create(name string) (*Writer, error) {
	if err := d.checkName(name); err != nil {
		return nil, err
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := d.tmpPrefix + name + "." + hex.EncodeToString(rnd[:]) + ".part"
	f, err := d.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("artifact: create %s: %w", name, err)
	}
	return &Writer{d: d, f: f, name: name, tmp: tmp, h: sha256.New()}, nil
}

// Write writes p to the temporary file.
func (w *Writer) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.n += int64(n)
	w.h.Write(p[:n])
	w.unsynced += int64(n)
	if w.unsynced >= syncEvery && w.inFlight.CompareAndSwap(false, true) {
		w.unsynced = 0
		w.syncing.Go(func() {
			defer w.inFlight.Store(false)
			if err := w.f.Sync(); err != nil {
				w.syncErr.CompareAndSwap(nil, &err)
			}
		})
	}
	return n, err
}

// Bytes is how much has been written.
func (w *Writer) Bytes() int64 { return w.n }

// Commit fsyncs the file, renames it to its name, fsyncs the folder and returns its
// size and SHA-256.
func (w *Writer) Commit() (Info, error) {
	if w.closed {
		return Info{}, errors.New("artifact: commit after close")
	}
	w.closed = true
	w.syncing.Wait()
	var err error
	if p := w.syncErr.Load(); p != nil {
		err = *p
	}
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = w.d.root.Rename(w.tmp, w.name)
	}
	if err == nil {
		err = w.d.syncFolder()
	}
	if err != nil {
		w.d.root.Remove(w.tmp)
		return Info{}, fmt.Errorf("artifact: commit %s: %w", w.name, err)
	}
	return Info{Name: w.name, Bytes: w.n, SHA256: hex.EncodeToString(w.h.Sum(nil))}, nil
}

// Abort discards the temporary file. It is a no-op after Commit.
func (w *Writer) Abort() {
	if w.closed {
		return
	}
	w.closed = true
	w.syncing.Wait()
	w.f.Close()
	w.d.root.Remove(w.tmp)
}

// syncFolder fsyncs the folder, so a rename survives a crash.
func (d *Dir) syncFolder() error {
	f, err := d.root.Open(".")
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// WriteFile writes data as the file name, atomically (see Create).
func (d *Dir) WriteFile(name string, data []byte) (Info, error) {
	w, err := d.Create(name)
	if err != nil {
		return Info{}, err
	}
	if _, err := w.Write(data); err != nil {
		w.Abort()
		return Info{}, fmt.Errorf("artifact: write %s: %w", name, err)
	}
	return w.Commit()
}

// Open opens the finished file name for reading.
func (d *Dir) Open(name string) (*os.File, error) {
	if err := d.checkName(name); err != nil {
		return nil, err
	}
	return d.root.Open(name)
}

// ReadFile reads the finished file name.
func (d *Dir) ReadFile(name string) ([]byte, error) {
	if err := d.checkName(name); err != nil {
		return nil, err
	}
	return d.root.ReadFile(name)
}

// Remove deletes the finished file name; a missing file is not an error.
func (d *Dir) Remove(name string) error {
	if err := d.checkName(name); err != nil {
		return err
	}
	if err := d.root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// RemoveTemp deletes the temporary files of name (left by a writer that died), and
// returns how many it removed. Call it only when no live writer can be writing name.
func (d *Dir) RemoveTemp(name string) (int, error) {
	if err := d.checkName(name); err != nil {
		return 0, err
	}
	return d.sweep(func(e fs.DirEntry) bool {
		return strings.HasPrefix(e.Name(), name+".") && strings.HasSuffix(e.Name(), ".part") &&
			len(e.Name()) == len(name)+len(".000000000000.part")
	})
}

// Sweep deletes temporary files not written to for longer than idle (writers still
// running touch theirs continually), and returns how many it removed.
func (d *Dir) Sweep(idle time.Duration) (int, error) {
	cutoff := time.Now().Add(-idle)
	return d.sweep(func(e fs.DirEntry) bool {
		info, err := e.Info()
		return err == nil && info.ModTime().Before(cutoff)
	})
}

func (d *Dir) sweep(match func(fs.DirEntry) bool) (int, error) {
	if d.anyName {
		return 0, nil
	}
	f, err := d.root.Open(tempDir)
	if err != nil {
		return 0, fmt.Errorf("artifact: open temporary folder: %w", err)
	}
	entries, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return 0, fmt.Errorf("artifact: read temporary folder: %w", err)
	}
	n := 0
	for _, e := range entries {
		if !e.Type().IsRegular() || !match(e) {
			continue
		}
		if err := d.root.Remove(tempDir + "/" + e.Name()); err == nil {
			n++
		} else if !errors.Is(err, fs.ErrNotExist) {
			return n, fmt.Errorf("artifact: remove temporary file: %w", err)
		}
	}
	return n, nil
}
