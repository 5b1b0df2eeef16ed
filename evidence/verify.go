package evidence

import (
	"archive/zip"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Limits on the two members VerifyBundle reads whole.
const (
	maxManifestBytes  = 64 << 20
	maxSignatureBytes = 64 << 10
)

// Problem is one thing wrong with a bundle, naming the member it concerns ("" for the
// archive as a whole).
type Problem struct {
	Path string `json:"path"`
	What string `json:"what"`
}

// String is "path: what", e.g. "evidence/events.csv: SHA-256 mismatch (altered)".
func (p Problem) String() string {
	if p.Path == "" {
		return p.What
	}
	return p.Path + ": " + p.What
}

// Report is the result of verifying a bundle. OK is true when there are no problems.
// Manifest is the decoded manifest when its signature verified, nil otherwise.
type Report struct {
	OK           bool      `json:"ok"`
	KeyID        string    `json:"key_id"`
	FilesChecked int       `json:"files_checked"`
	Problems     []Problem `json:"problems"`
	Manifest     *Manifest `json:"-"`
}

// VerifyBundleFile is VerifyBundle for the ZIP file at path.
func VerifyBundleFile(path string, pub ed25519.PublicKey) (Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return Report{}, fmt.Errorf("open bundle: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Report{}, fmt.Errorf("stat bundle: %w", err)
	}
	return VerifyBundle(f, fi.Size(), pub)
}

// VerifyBundle checks a compliance package offline, trusting only pub: that manifest.sig
// and manifest.json.minisig are each a signature over manifest.json by pub's key, and
// then, the manifest being authentic (either signature verifying),
// that every file it lists is in the archive once with its size and SHA-256, and that the
// archive holds no other file. It reports each problem naming its file:
//
//	evidence/events.csv: SHA-256 mismatch (altered)
//	oscal/assessment-results.json: missing
//	extra.txt: not in manifest
//	manifest.sig: signature does not verify with key 1A2B3C4D5E6F7081
//
// When the manifest is not authentic the members are not checked against it, since
// nothing it says can be relied on. The error is for failures to read r only.
func VerifyBundle(r io.ReaderAt, size int64, pub ed25519.PublicKey) (Report, error) {
	rep := Report{KeyID: KeyID(pub), Problems: []Problem{}}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		rep.Problems = append(rep.Problems, Problem{What: "not a readable ZIP archive (" + err.Error() + ")"})
		return rep, nil
	}
	entries := map[string][]*zip.File{}
	var order []string
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") && f.UncompressedSize64 == 0 {
			continue // a folder entry, as zip tools add when re-packing
		}
		if entries[f.Name] == nil {
			order = append(order, f.Name)
		}
		entries[f.Name] = append(entries[f.Name], f)
	}
	rep.Manifest = rep.checkManifest(entries, pub)
	if rep.Manifest != nil {
		rep.checkMembers(entries, order)
	}
	rep.OK = len(rep.Problems) == 0
	return rep, nil
}

func (rep *Report) add(path, format string, args ...any) {
	rep.Problems = append(rep.Problems, Problem{Path: path, What: fmt.Sprintf(format, args...)})
}

// checkManifest reads manifest.json and both copies of its signature, verifies each and
// decodes the manifest. The manifest is authentic when either copy verifies; each copy
// that does not is a problem of its own (one altered manifest is reported once). It
// returns nil when the manifest is not authentic.
func (rep *Report) checkManifest(entries map[string][]*zip.File, pub ed25519.PublicKey) *Manifest {
	manifest, ok := rep.readWhole(entries, ManifestPath, maxManifestBytes)
	authentic := false
	type failure struct {
		sigPath string
		p       Problem
	}
	var failed []failure
	for _, sigPath := range []string{SignaturePath, MinisigPath} {
		sig, sigOK := rep.readWhole(entries, sigPath, maxSignatureBytes)
		if !ok || !sigOK {
			continue
		}
		if p := checkSignature(sigPath, manifest, sig, pub); p != nil {
			failed = append(failed, failure{sigPath, *p})
		} else {
			authentic = true
		}
	}
	for _, f := range failed {
		p := f.p
		if authentic && p.Path == ManifestPath {
			// The other copy verifies this manifest, so this copy signs another one.
			p = Problem{Path: f.sigPath, What: "signs another manifest, not this manifest.json (altered)"}
		}
		if !slices.Contains(rep.Problems, p) {
			rep.Problems = append(rep.Problems, p)
		}
	}
	if !authentic {
		return nil
	}
	m, err := DecodeManifest(manifest)
	if err != nil {
		rep.add(ManifestPath, "%v", err)
		return nil
	}
	return &m
}

// readWhole reads a member that must appear once and be at most limit bytes.
func (rep *Report) readWhole(entries map[string][]*zip.File, path string, limit int64) ([]byte, bool) {
	fs := entries[path]
	switch {
	case len(fs) == 0:
		rep.add(path, "missing")
		return nil, false
	case len(fs) > 1:
		rep.add(path, "appears %d times in the archive", len(fs))
		return nil, false
	case fs[0].UncompressedSize64 > uint64(limit):
		rep.add(path, "larger than %d bytes", limit)
		return nil, false
	}
	rc, err := fs[0].Open()
	if err != nil {
		rep.add(path, "damaged in the archive (%v)", err)
		return nil, false
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	switch {
	case err != nil:
		rep.add(path, "damaged in the archive (%v)", err)
		return nil, false
	case int64(len(b)) > limit:
		rep.add(path, "larger than %d bytes", limit)
		return nil, false
	}
	return b, true
}

// checkMembers compares the archive with the authentic manifest.
func (rep *Report) checkMembers(entries map[string][]*zip.File, order []string) {
	listed := make(map[string]bool, len(rep.Manifest.Files))
	for _, want := range rep.Manifest.Files {
		listed[want.Path] = true
		fs := entries[want.Path]
		switch {
		case len(fs) == 0:
			rep.add(want.Path, "missing")
			continue
		case len(fs) > 1:
			rep.add(want.Path, "appears %d times in the archive", len(fs))
			continue
		}
		rep.FilesChecked++
		n, sum, err := hashMember(fs[0], want.Size)
		switch {
		case err != nil:
			rep.add(want.Path, "damaged in the archive (%v)", err)
		case n != want.Size:
			rep.add(want.Path, "SHA-256 mismatch (altered: %s, the manifest says %d)", sizeText(n, want.Size), want.Size)
		case sum != want.SHA256:
			rep.add(want.Path, "SHA-256 mismatch (altered)")
		}
	}
	for _, name := range order {
		if listed[name] || reserved(name) {
			continue
		}
		if reason := CheckPath(name); reason != "" {
			rep.add(name, "not in manifest (and its path %s)", reason)
			continue
		}
		rep.add(name, "not in manifest")
	}
}

// hashMember streams a member through SHA-256, reading at most one byte more than the
// manifest's size so that a swollen member is not read to its end.
func hashMember(f *zip.File, size int64) (int64, string, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, "", err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(rc, size+1))
	if err != nil {
		return n, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// sizeText says how big a member is, "more than N bytes" when reading stopped early.
func sizeText(n, want int64) string {
	if n > want {
		return fmt.Sprintf("more than %d bytes", want)
	}
	return fmt.Sprintf("%d bytes", n)
}
