package evidence

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/keeptrail/keeptrail"
)

// Paths with a fixed meaning in a compliance package.
const (
	ManifestPath  = "manifest.json"                 // the manifest, written by Seal
	SignaturePath = "manifest.sig"                  // its minisign signature, written by Seal
	MinisigPath   = "manifest.json.minisig"         // the same signature where minisign -Vm looks for it
	OSCALPath     = "oscal/assessment-results.json" // the OSCAL assessment results
	ReportPath    = "report.pdf"                    // the auditor's report
)

// reserved reports whether p is written by Seal and so not listed in the manifest.
func reserved(p string) bool {
	return p == ManifestPath || p == SignaturePath || p == MinisigPath
}

// Compression is how a bundle stores its members: Deflate (the default) or Store.
type Compression string

// Compression methods.
const (
	Deflate Compression = "deflate"
	Store   Compression = "store"
)

// method is the ZIP method number.
func (c Compression) method() uint16 {
	if c == Store {
		return zip.Store
	}
	return zip.Deflate
}

// deflateLevel is fixed so that the same members compress to the same bytes.
const deflateLevel = 6

// memberMode is the permission every member is unpacked with.
const memberMode = 0o644

// BundleOptions configures a BundleWriter.
type BundleOptions struct {
	// GeneratedAt is the package's generated-at time, written as every member's
	// modification time; required. Kept in UTC at microsecond precision (the ZIP header
	// itself keeps whole seconds).
	GeneratedAt time.Time
	// Compression is the method of every member; empty means Deflate.
	Compression Compression
}

// Member is one file of a bundle as the manifest lists it.
type Member struct {
	Path      string `json:"path"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
	Rows      *int64 `json:"rows,omitempty"` // data rows of CSV, NDJSON and JSON-array files
	MediaType string `json:"media_type"`
}

// BundleWriter writes a compliance package as a ZIP archive, streaming each member
// through SHA-256 and a row counter into the archive. The output depends only on the
// members' paths and bytes, the order they are added in, and the options: every member
// has the same modification time and mode, one compression method at one fixed level,
// and no comment, so the same inputs give a byte-identical archive (with the same Go
// release, whose flate encoder is part of the output).
//
// Add the members in a fixed order (the assembler's), then call Seal, which writes
// manifest.json and manifest.sig last. A BundleWriter is not safe for concurrent use.
// After an error the bundle is unusable and every later call returns that error.
type BundleWriter struct {
	zw       *zip.Writer
	method   Compression
	modified time.Time
	members  []Member
	files    map[string]bool
	dirs     map[string]bool
	err      error
	sealed   bool
	open     *MemberWriter // the member Create started, until it is closed
}

// NewBundleWriter starts a bundle on w. It returns EINVALID when GeneratedAt is zero or
// the compression is neither Deflate nor Store.
func NewBundleWriter(w io.Writer, opt BundleOptions) (*BundleWriter, error) {
	var v keeptrail.Validation
	if opt.GeneratedAt.IsZero() {
		v.Add("generated_at", "is required")
	} else if opt.GeneratedAt.Year() < 1980 || opt.GeneratedAt.Year() > 2107 {
		v.Add("generated_at", "must fall in 1980 to 2107, the years a ZIP header can hold")
	}
	if opt.Compression == "" {
		opt.Compression = Deflate
	}
	if opt.Compression != Deflate && opt.Compression != Store {
		v.Add("compression", "must be deflate or store")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, deflateLevel)
	})
	return &BundleWriter{
		zw: zw, method: opt.Compression, modified: keeptrail.TruncTime(opt.GeneratedAt),
		files: map[string]bool{}, dirs: map[string]bool{},
	}, nil
}

// Add streams r into the bundle as the member at path and returns what the manifest
// records of it. Rows are counted for .csv (records less the header), .ndjson/.jsonl
// (lines) and .json files that hold an array (elements); other members have none.
// A bad, duplicate or reserved path (manifest.json, manifest.sig) is EINVALID.
func (b *BundleWriter) Add(path string, r io.Reader) (Member, error) {
	return b.add(path, r, newRowCounter(path), -1)
}

// AddRows is Add for a member whose row count the caller knows (a format Add does not
// count, or counted while it was produced).
func (b *BundleWriter) AddRows(path string, r io.Reader, rows int64) (Member, error) {
	if rows < 0 {
		return Member{}, &keeptrail.Error{Code: keeptrail.EINVALID,
			Fields: []keeptrail.FieldError{{Field: path, Reason: "rows must not be negative"}}}
	}
	return b.add(path, r, nil, rows)
}

// Create starts the member at path for the caller to write into, so that a member is
// streamed into the archive as it is produced instead of being held whole. Close the
// returned MemberWriter, with the member's row count, before adding another member. A
// bad, duplicate or reserved path is EINVALID, as for Add.
func (b *BundleWriter) Create(path string) (*MemberWriter, error) {
	if err := b.usable(); err != nil {
		return nil, err
	}
	if reason := b.pathProblem(path); reason != "" {
		return nil, &keeptrail.Error{Code: keeptrail.EINVALID,
			Fields: []keeptrail.FieldError{{Field: path, Reason: reason}}}
	}
	mw, err := b.begin(path, nil)
	if err != nil {
		b.err = fmt.Errorf("bundle member %s: %w", path, err)
		return nil, b.err
	}
	b.open = mw
	return mw, nil
}

// MemberWriter is one member being written: its bytes go through SHA-256 into the
// archive as they are written.
type MemberWriter struct {
	b       *BundleWriter
	path    string
	w       io.Writer
	h       hash.Hash
	counter rowCounter
	n       int64
	closed  bool
}

// Write adds p to the member.
func (m *MemberWriter) Write(p []byte) (int, error) {
	if m.closed {
		return 0, errors.New("bundle member " + m.path + " is already closed")
	}
	if m.b.err != nil {
		return 0, m.b.err
	}
	n, err := m.w.Write(p)
	m.n += int64(n)
	if err != nil {
		m.b.err = fmt.Errorf("bundle member %s: %w", m.path, err)
		return n, m.b.err
	}
	return n, nil
}

// Close ends the member and records it with rows data rows (negative: none recorded)
// and returns what the manifest records of it.
func (m *MemberWriter) Close(rows int64) (Member, error) {
	if m.closed {
		return Member{}, errors.New("bundle member " + m.path + " is already closed")
	}
	m.closed = true
	b := m.b
	b.open = nil
	if b.err != nil {
		return Member{}, b.err
	}
	mem := m.member()
	if rows >= 0 {
		mem.Rows = &rows
	}
	b.record(mem)
	return mem, nil
}

// member is what the manifest records of the bytes written so far.
func (m *MemberWriter) member() Member {
	mem := Member{Path: m.path, Size: m.n, SHA256: hex.EncodeToString(m.h.Sum(nil)), MediaType: MediaType(m.path)}
	if m.counter != nil {
		if rows, ok := m.counter.Rows(); ok {
			mem.Rows = &rows
		}
	}
	return mem
}

// Members returns the members added so far, in the order they were added.
func (b *BundleWriter) Members() []Member {
	return slices.Clone(b.members)
}

// Member returns the member added at path.
func (b *BundleWriter) Member(path string) (Member, bool) {
	for _, m := range b.members {
		if m.Path == path {
			return m, true
		}
	}
	return Member{}, false
}

func (b *BundleWriter) add(p string, r io.Reader, counter rowCounter, rows int64) (Member, error) {
	if err := b.usable(); err != nil {
		return Member{}, err
	}
	if reason := b.pathProblem(p); reason != "" {
		return Member{}, &keeptrail.Error{Code: keeptrail.EINVALID,
			Fields: []keeptrail.FieldError{{Field: p, Reason: reason}}}
	}
	m, err := b.write(p, r, counter)
	if err != nil {
		b.err = fmt.Errorf("bundle member %s: %w", p, err)
		return Member{}, b.err
	}
	if rows >= 0 {
		m.Rows = &rows
	}
	b.record(m)
	return m, nil
}

// record lists a written member.
func (b *BundleWriter) record(m Member) {
	b.files[m.Path] = true
	for _, d := range parentDirs(m.Path) {
		b.dirs[d] = true
	}
	b.members = append(b.members, m)
}

// pathProblem says why p cannot be added, or "".
func (b *BundleWriter) pathProblem(p string) string {
	if reason := CheckPath(p); reason != "" {
		return reason
	}
	switch {
	case reserved(p):
		return "is reserved for the manifest and its signature"
	case b.files[p]:
		return "was already added"
	case b.dirs[p]:
		return "is a folder of another member"
	}
	for _, d := range parentDirs(p) {
		if b.files[d] {
			return "lies in " + d + ", which is a member"
		}
	}
	return ""
}

// begin writes a member's header and returns the writer of its bytes.
func (b *BundleWriter) begin(p string, counter rowCounter) (*MemberWriter, error) {
	fh := &zip.FileHeader{Name: p, Method: b.method.method(), Modified: b.modified}
	fh.SetMode(memberMode)
	zf, err := b.zw.CreateHeader(fh)
	if err != nil {
		return nil, err
	}
	m := &MemberWriter{b: b, path: p, h: sha256.New(), counter: counter}
	m.w = io.MultiWriter(zf, m.h)
	if counter != nil {
		m.w = io.MultiWriter(zf, m.h, counter)
	}
	return m, nil
}

// write streams one member into the archive.
func (b *BundleWriter) write(p string, r io.Reader, counter rowCounter) (Member, error) {
	m, err := b.begin(p, counter)
	if err != nil {
		return Member{}, err
	}
	if _, err := io.Copy(writerOnly{m.w, &m.n}, r); err != nil {
		return Member{}, err
	}
	return m.member(), nil
}

// writerOnly counts what it passes on (and hides ReadFrom, so io.Copy uses Write).
type writerOnly struct {
	w io.Writer
	n *int64
}

func (w writerOnly) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	*w.n += int64(n)
	return n, err
}

// writeRaw adds a member that is not listed in the manifest (the manifest and its
// signature).
func (b *BundleWriter) writeRaw(p string, data []byte) error {
	if _, err := b.write(p, bytes.NewReader(data), nil); err != nil {
		b.err = fmt.Errorf("bundle member %s: %w", p, err)
		return b.err
	}
	return nil
}

func (b *BundleWriter) usable() error {
	switch {
	case b.err != nil:
		return b.err
	case b.sealed:
		return errors.New("bundle is already sealed")
	case b.open != nil:
		return errors.New("bundle member " + b.open.path + " is not closed yet")
	}
	return nil
}

// MediaType is the media type the manifest records for a member path, by extension.
func MediaType(p string) string {
	switch strings.ToLower(path.Ext(p)) {
	case ".csv":
		return "text/csv; charset=utf-8"
	case ".json":
		return "application/json"
	case ".ndjson", ".jsonl":
		return "application/x-ndjson"
	case ".pdf":
		return "application/pdf"
	case ".txt", ".md":
		return "text/plain; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".sig", ".minisig":
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}
