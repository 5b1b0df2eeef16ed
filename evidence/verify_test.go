package evidence

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// rezip copies a bundle member by member, letting edit change or drop each one, and adds
// the extra members at the end. Members keep their names, order and times.
func rezip(t *testing.T, data []byte, edit func(name string, b []byte) ([]byte, bool), extra ...fixtureMember) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	put := func(name string, b []byte) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: fixtureGeneratedAt})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	for _, f := range zr.File {
		b := readMember(t, zr, f.Name)
		keep := true
		if edit != nil {
			b, keep = edit(f.Name, b)
		}
		if keep {
			put(f.Name, b)
		}
	}
	for _, m := range extra {
		put(m.path, []byte(m.data))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// only edits the member called name.
func only(name string, fn func([]byte) []byte) func(string, []byte) ([]byte, bool) {
	return func(n string, b []byte) ([]byte, bool) {
		if n == name {
			return fn(b), true
		}
		return b, true
	}
}

func without(name string) func(string, []byte) ([]byte, bool) {
	return func(n string, b []byte) ([]byte, bool) { return b, n != name }
}

// flip returns b with bit 0 of byte i flipped.
func flip(i int) func([]byte) []byte {
	return func(b []byte) []byte {
		c := bytes.Clone(b)
		c[i] ^= 0x01
		return c
	}
}

func flipMiddle(b []byte) []byte { return flip(len(b) / 2)(b) }

func verifyBytes(t *testing.T, data []byte, pub ed25519.PublicKey) Report {
	t.Helper()
	rep, err := VerifyBundle(bytes.NewReader(data), int64(len(data)), pub)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func problemStrings(rep Report) []string {
	var s []string
	for _, p := range rep.Problems {
		s = append(s, p.String())
	}
	return s
}

func TestVerifyUntouched(t *testing.T) {
	key := testKey(1)
	for _, c := range []Compression{Deflate, Store} {
		opt := fixtureOptions()
		opt.Compression = c
		data := buildFixture(t, opt, key)
		rep := verifyBytes(t, data, key.PublicKey())
		if !rep.OK || len(rep.Problems) != 0 || rep.FilesChecked != len(fixtureMembers) || rep.KeyID != key.KeyID() {
			t.Fatalf("%s: untouched bundle: %+v", c, rep)
		}
		m := rep.Manifest
		if m == nil || m.Organization != "Example Health <Ops> & Co" || len(m.Files) != len(fixtureMembers) ||
			m.Files[0].Path != "evidence/audit_log.csv" || *m.Files[0].Rows != 3 {
			t.Errorf("%s: decoded manifest %+v", c, m)
		}
	}
	// Re-packed by a zip tool with folder entries and another order, it still verifies.
	data := buildFixture(t, fixtureOptions(), key)
	zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	zw.Create("evidence/")
	zw.Create("oscal/")
	files := slices.Clone(zr.File)
	slices.Reverse(files)
	for _, f := range files {
		w, _ := zw.Create(f.Name)
		w.Write(readMember(t, zr, f.Name))
	}
	zw.Close()
	if rep := verifyBytes(t, out.Bytes(), key.PublicKey()); !rep.OK {
		t.Errorf("re-packed bundle: %q", problemStrings(rep))
	}
}

// TestVerifyTamper changes a bundle in every way the issue names and checks that each is
// reported with its exact message, and nothing else is.
func TestVerifyTamper(t *testing.T) {
	key, other := testKey(1), testKey(2)
	orig := buildFixture(t, fixtureOptions(), key)
	manifest := readMember(t, mustZip(t, orig), ManifestPath)
	id, otherID := key.KeyID(), other.KeyID()

	type tc struct {
		name string
		data []byte
		want []string
	}
	var cases []tc
	for _, m := range fixtureMembers {
		cases = append(cases,
			tc{"flip a byte of " + m.path, rezip(t, orig, only(m.path, flipMiddle)),
				[]string{m.path + ": SHA-256 mismatch (altered)"}},
			tc{"delete " + m.path, rezip(t, orig, without(m.path)),
				[]string{m.path + ": missing"}})
	}
	audit := "evidence/audit_log.csv"
	size := int64(len(fixtureMembers[0].data))
	cases = append(cases,
		tc{"flip a byte of manifest.json", rezip(t, orig, only(ManifestPath, flipMiddle)),
			[]string{"manifest.json: SHA-256 mismatch (altered)"}},
		tc{"flip a byte of manifest.sig", rezip(t, orig, only(SignaturePath, flipMiddle)),
			[]string{"manifest.sig: signature does not verify with key " + id}},
		tc{"delete manifest.json", rezip(t, orig, without(ManifestPath)), []string{"manifest.json: missing"}},
		tc{"delete manifest.sig", rezip(t, orig, without(SignaturePath)), []string{"manifest.sig: missing"}},
		tc{"flip a byte of manifest.json.minisig", rezip(t, orig, only(MinisigPath, flipMiddle)),
			[]string{"manifest.json.minisig: signature does not verify with key " + id}},
		tc{"delete manifest.json.minisig", rezip(t, orig, without(MinisigPath)), []string{"manifest.json.minisig: missing"}},
		tc{"delete both signatures", rezip(t, rezip(t, orig, without(MinisigPath)), without(SignaturePath)),
			[]string{"manifest.sig: missing", "manifest.json.minisig: missing"}},
		tc{"add a file", rezip(t, orig, nil, fixtureMember{"extra.txt", "hello"}),
			[]string{"extra.txt: not in manifest"}},
		tc{"add a file with an unsafe path", rezip(t, orig, nil, fixtureMember{"../evil.sh", "rm -rf"}),
			[]string{`../evil.sh: not in manifest (and its path has a ".." segment)`}},
		tc{"add a second copy of a member", rezip(t, orig, nil, fixtureMember{audit, "seq\n"}),
			[]string{audit + ": appears 2 times in the archive"}},
		tc{"grow a member", rezip(t, orig, only(audit, func(b []byte) []byte { return append(b, "4,x,y,z\r\n"...) })),
			[]string{fmt.Sprintf("%s: SHA-256 mismatch (altered: more than %d bytes, the manifest says %d)", audit, size, size)}},
		tc{"truncate a member", rezip(t, orig, only(audit, func(b []byte) []byte { return b[:10] })),
			[]string{fmt.Sprintf("%s: SHA-256 mismatch (altered: 10 bytes, the manifest says %d)", audit, size)}},
		tc{"re-sign the manifest with another key",
			rezip(t, orig, only(SignaturePath, func([]byte) []byte { return other.SignManifest(manifest, fixtureGeneratedAt) })),
			[]string{"manifest.sig: signature does not verify with key " + id + " (it names key " + otherID + ")"}},
		tc{"re-sign both copies with another key", rezip(t, orig, func(n string, b []byte) ([]byte, bool) {
			if n == SignaturePath || n == MinisigPath {
				return other.SignManifest(manifest, fixtureGeneratedAt), true
			}
			return b, true
		}), []string{
			"manifest.sig: signature does not verify with key " + id + " (it names key " + otherID + ")",
			"manifest.json.minisig: signature does not verify with key " + id + " (it names key " + otherID + ")",
		}},
		tc{"alter a member, rewrite the manifest and re-sign it with another key", forge(t, orig, other), []string{
			"manifest.sig: signature does not verify with key " + id + " (it names key " + otherID + ")",
			"manifest.json.minisig: signature does not verify with key " + id + " (it names key " + otherID + ")",
		}},
		tc{"replace the signature with text", rezip(t, orig, only(SignaturePath, func([]byte) []byte { return []byte("hello\n") })),
			[]string{"manifest.sig: not a valid minisign signature (invalid signature)"}},
		tc{"change the untrusted comment", rezip(t, orig, only(SignaturePath, func(b []byte) []byte {
			return bytes.Replace(b, []byte("signature from"), []byte("Signature from"), 1)
		})), []string{"manifest.sig: altered (not in the form Keeptrail writes)"}},
		tc{"swap the signature for one over another manifest",
			rezip(t, orig, only(SignaturePath, func([]byte) []byte { return key.SignManifest([]byte("{}\n"), fixtureGeneratedAt) })),
			[]string{"manifest.sig: signs another manifest, not this manifest.json (altered)"}},
		tc{"swap both signatures for ones over another manifest", rezip(t, orig, func(n string, b []byte) ([]byte, bool) {
			if n == SignaturePath || n == MinisigPath {
				return key.SignManifest([]byte("{}\n"), fixtureGeneratedAt), true
			}
			return b, true
		}), []string{"manifest.json: SHA-256 mismatch (altered)"}},
		tc{"several problems at once", rezip(t, orig, func(n string, b []byte) ([]byte, bool) {
			switch n {
			case "evidence/escalations.ndjson", ReportPath:
				return flipMiddle(b), true
			case OSCALPath:
				return nil, false
			}
			return b, true
		}, fixtureMember{"extra.txt", "x"}, fixtureMember{"notes/more.csv", "a\n"}), []string{
			"evidence/escalations.ndjson: SHA-256 mismatch (altered)",
			"oscal/assessment-results.json: missing",
			"report.pdf: SHA-256 mismatch (altered)",
			"extra.txt: not in manifest",
			"notes/more.csv: not in manifest",
		}},
		tc{"not a ZIP file", []byte("PK\x03\x04 not really"), []string{"not a readable ZIP archive (zip: not a valid zip file)"}},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := verifyBytes(t, c.data, key.PublicKey())
			if got := problemStrings(rep); rep.OK || !slices.Equal(got, c.want) {
				t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(c.want, "\n  "))
			}
		})
	}
}

// forge alters a member, writes a manifest with its new hash and signs that with key, as
// someone without the package key would.
func forge(t *testing.T, orig []byte, key *PackageKey) []byte {
	zr := mustZip(t, orig)
	m, err := DecodeManifest(readMember(t, zr, ManifestPath))
	if err != nil {
		t.Fatal(err)
	}
	altered := flipMiddle([]byte(fixtureMembers[1].data))
	for i := range m.Files {
		if m.Files[i].Path == fixtureMembers[1].path {
			m.Files[i].SHA256 = sha256Hex(altered)
		}
	}
	data, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	forged := rezip(t, orig, func(n string, b []byte) ([]byte, bool) {
		switch n {
		case fixtureMembers[1].path:
			return altered, true
		case ManifestPath:
			return data, true
		case SignaturePath, MinisigPath:
			return key.SignManifest(data, fixtureGeneratedAt), true
		}
		return b, true
	})
	// With the forger's own key the forgery is consistent: only the key tells.
	if rep := verifyBytes(t, forged, key.PublicKey()); !rep.OK {
		t.Fatalf("forged bundle with the forger's key: %q", problemStrings(rep))
	}
	return forged
}

func mustZip(t testing.TB, data []byte) *zip.Reader {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	return zr
}

// TestVerifyEveryByte flips each byte of manifest.json and of each signature file in
// turn: every change is caught and blamed on the file that was changed.
func TestVerifyEveryByte(t *testing.T) {
	key := testKey(1)
	orig := rezip(t, buildFixture(t, fixtureOptions(), key), nil) // stored: quicker to copy
	zr := mustZip(t, orig)
	step := 1
	if testing.Short() {
		step = 7
	}
	for _, name := range []string{ManifestPath, SignaturePath, MinisigPath} {
		n := len(readMember(t, zr, name))
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for i := 0; i < n; i += step {
				rep := verifyBytes(t, rezip(t, orig, only(name, flip(i))), key.PublicKey())
				if rep.OK || len(rep.Problems) != 1 || rep.Problems[0].Path != name {
					t.Fatalf("%s byte %d flipped: %q", name, i, problemStrings(rep))
				}
				if name == ManifestPath && rep.Problems[0].What != "SHA-256 mismatch (altered)" {
					t.Fatalf("manifest.json byte %d flipped: %q", i, problemStrings(rep))
				}
			}
		})
	}
}

// TestVerifyDamagedArchive corrupts a stored member's bytes inside the archive itself, so
// its ZIP checksum no longer matches.
func TestVerifyDamagedArchive(t *testing.T) {
	key := testKey(1)
	opt := fixtureOptions()
	opt.Compression = Store
	data := bytes.Clone(buildFixture(t, opt, key))
	m := fixtureMembers[1]
	i := bytes.Index(data, []byte(m.data))
	if i < 0 {
		t.Fatal("stored member not found in the archive")
	}
	data[i+len(m.data)/2] ^= 0x01
	rep := verifyBytes(t, data, key.PublicKey())
	want := []string{m.path + ": damaged in the archive (zip: checksum error)"}
	if got := problemStrings(rep); !slices.Equal(got, want) {
		t.Errorf("problems %q, want %q", got, want)
	}
}

func TestVerifyBundleFile(t *testing.T) {
	key := testKey(1)
	path := filepath.Join(t.TempDir(), "bundle.zip")
	if err := os.WriteFile(path, buildFixture(t, fixtureOptions(), key), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := VerifyBundleFile(path, key.PublicKey())
	if err != nil || !rep.OK {
		t.Fatalf("VerifyBundleFile: %+v, %v", rep, err)
	}
	if _, err := VerifyBundleFile(path+".missing", key.PublicKey()); err == nil {
		t.Errorf("VerifyBundleFile on a missing file gave no error")
	}
}

// TestMinisignVerifiesBundle runs Debian's minisign on the manifest and signatures of an
// unpacked bundle, as an auditor without Keeptrail would: `minisign -Vm manifest.json -P
// <key>` as written (it reads manifest.json.minisig) and with -x manifest.sig; and on an
// altered manifest, which both refuse.
func TestMinisignVerifiesBundle(t *testing.T) {
	bin := requireTool(t, "minisign")
	key := testKey(1)
	zr := mustZip(t, buildFixture(t, fixtureOptions(), key))
	dir := t.TempDir()
	for _, name := range []string{ManifestPath, SignaturePath, MinisigPath} {
		if err := os.WriteFile(filepath.Join(dir, name), readMember(t, zr, name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "keeptrail.pub"), key.MinisignPublicKey(), 0o644); err != nil {
		t.Fatal(err)
	}
	pubLine := strings.Split(string(key.MinisignPublicKey()), "\n")[1]
	commands := [][]string{
		{"-Vm", "manifest.json", "-P", pubLine},
		{"-Vm", "manifest.json", "-x", "manifest.sig", "-P", pubLine},
		{"-Vm", "manifest.json", "-x", "manifest.sig", "-p", "keeptrail.pub"},
	}
	run := func(args []string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, args := range commands {
		out, err := run(args)
		if err != nil || !strings.Contains(out, "Signature and comment signature verified") ||
			!strings.Contains(out, "Trusted comment: timestamp:1743489015\tfile:manifest.json\thashed\tsha256:") {
			t.Errorf("minisign %q on the untouched manifest: %v\n%s", args, err, out)
		}
	}
	mpath := filepath.Join(dir, ManifestPath)
	b, _ := os.ReadFile(mpath)
	os.WriteFile(mpath, flipMiddle(b), 0o644)
	for _, args := range commands {
		if out, err := run(args); err == nil || !strings.Contains(out, "Signature verification failed") {
			t.Errorf("minisign %q on an altered manifest: %v\n%s", args, err, out)
		}
	}
}
