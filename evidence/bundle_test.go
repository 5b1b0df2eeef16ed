package evidence

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
)

func ptr(n int64) *int64 { return &n }

func TestBundleMembers(t *testing.T) {
	var buf bytes.Buffer
	b, err := NewBundleWriter(&buf, fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		rows *int64
		mt   string
	}{
		"evidence/audit_log.csv":                 {ptr(3), "text/csv; charset=utf-8"},
		"evidence/events_summary.csv":            {ptr(2), "text/csv; charset=utf-8"},
		"evidence/escalations.ndjson":            {ptr(2), "application/x-ndjson"},
		"evidence/configuration_changelog.json":  {ptr(3), "application/json"},
		"evidence/policy_compliance_status.json": {nil, "application/json"},
		OSCALPath:                                {nil, "application/json"},
		ReportPath:                               {nil, "application/pdf"},
	}
	for _, fm := range fixtureMembers {
		got, err := b.Add(fm.path, strings.NewReader(fm.data))
		if err != nil {
			t.Fatalf("add %s: %v", fm.path, err)
		}
		sum := sha256.Sum256([]byte(fm.data))
		w := want[fm.path]
		exp := Member{Path: fm.path, Size: int64(len(fm.data)), SHA256: hex.EncodeToString(sum[:]), Rows: w.rows, MediaType: w.mt}
		if !memberEqual(got, exp) {
			t.Errorf("add %s = %+v (rows %v), want %+v (rows %v)", fm.path, got, rowsText(got.Rows), exp, rowsText(exp.Rows))
		}
	}
	got, err := b.AddRows("evidence/notes.txt", strings.NewReader("a\nb\n"), 7)
	if err != nil || got.Rows == nil || *got.Rows != 7 || got.MediaType != "text/plain; charset=utf-8" {
		t.Errorf("AddRows = %+v, %v; want rows 7, text/plain", got, err)
	}
	if n := len(b.Members()); n != len(fixtureMembers)+1 {
		t.Errorf("Members() has %d, want %d", n, len(fixtureMembers)+1)
	}
	if m, ok := b.Member("evidence/escalations.ndjson"); !ok || *m.Rows != 2 {
		t.Errorf("Member(escalations) = %+v, %v", m, ok)
	}
}

func memberEqual(a, b Member) bool {
	if (a.Rows == nil) != (b.Rows == nil) || (a.Rows != nil && *a.Rows != *b.Rows) {
		return false
	}
	a.Rows, b.Rows = nil, nil
	return a == b
}

func rowsText(r *int64) any {
	if r == nil {
		return "none"
	}
	return *r
}

// TestBundleReproducible builds the same bundle twice, with each compression, and gets
// the same bytes; another generated-at time gives other bytes.
func TestBundleReproducible(t *testing.T) {
	key := testKey(1)
	for _, c := range []Compression{Deflate, Store} {
		opt := fixtureOptions()
		opt.Compression = c
		a := buildFixture(t, opt, key)
		b := buildFixture(t, opt, key)
		if !bytes.Equal(a, b) {
			t.Fatalf("compression %s: two builds differ", c)
		}
		opt.GeneratedAt = opt.GeneratedAt.Add(time.Second)
		if bytes.Equal(a, buildFixtureAt(t, opt, key)) {
			t.Errorf("compression %s: another generated-at time gave the same bytes", c)
		}
		checkArchive(t, a, c)
	}
}

// buildFixtureAt is buildFixture with the manifest's generated-at set from the options.
func buildFixtureAt(t *testing.T, opt BundleOptions, key *PackageKey) []byte {
	var buf bytes.Buffer
	b, err := NewBundleWriter(&buf, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range fixtureMembers {
		if _, err := b.Add(m.path, strings.NewReader(m.data)); err != nil {
			t.Fatal(err)
		}
	}
	m := fixtureManifest()
	m.GeneratedAt = opt.GeneratedAt
	if err := b.Seal(&m, key); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkArchive reads a fixture bundle back: members in the order added, then the
// manifest and signature, each with the fixed time, mode and method, and its bytes.
func checkArchive(t *testing.T, data []byte, c Compression) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if f.Method != c.method() {
			t.Errorf("%s: method %d, want %s", f.Name, f.Method, c)
		}
		if !f.Modified.Equal(fixtureGeneratedAt.Truncate(time.Second)) {
			t.Errorf("%s: modified %v, want %v", f.Name, f.Modified, fixtureGeneratedAt.Truncate(time.Second))
		}
		if f.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v", f.Name, f.Mode())
		}
	}
	var want []string
	for _, m := range fixtureMembers {
		want = append(want, m.path)
		got := readMember(t, zr, m.path)
		if string(got) != m.data {
			t.Errorf("%s reads back as %q, want %q", m.path, got, m.data)
		}
	}
	want = append(want, ManifestPath, SignaturePath, MinisigPath)
	if !slices.Equal(names, want) {
		t.Errorf("members %q, want %q", names, want)
	}
	if zr.Comment != "" {
		t.Errorf("archive comment %q", zr.Comment)
	}
}

func readMember(t testing.TB, zr *zip.Reader, name string) []byte {
	t.Helper()
	rc, err := zr.Open(name)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return b
}

func TestBundlePaths(t *testing.T) {
	for _, tc := range []struct{ path, reason string }{
		{"", "is empty"},
		{"../etc/passwd", `has a ".." segment`},
		{"evidence/../../x.csv", `has a ".." segment`},
		{"/abs/file.csv", "is absolute"},
		{"evidence\\events.csv", "contains a backslash"},
		{"evidence/ev\x00ents.csv", "contains a NUL byte"},
		{"C:/events.csv", "contains a colon"},
		{"evidence//events.csv", "has an empty segment"},
		{"evidence/", "has an empty segment"},
		{"./events.csv", `has a "." segment`},
		{"evidence/line\nbreak.csv", "contains a control character"},
		{"bad\xffutf8", "is not valid UTF-8"},
		{strings.Repeat("a", 1025), "is longer than 1024 bytes"},
		{ManifestPath, "is reserved for the manifest and its signature"},
		{SignaturePath, "is reserved for the manifest and its signature"},
		{MinisigPath, "is reserved for the manifest and its signature"},
		{"evidence/events.csv", "was already added"},
		{"evidence", "is a folder of another member"},
		{"report.pdf/inner.txt", "lies in report.pdf, which is a member"},
	} {
		var buf bytes.Buffer
		b, err := NewBundleWriter(&buf, fixtureOptions())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"evidence/events.csv", "report.pdf"} {
			if _, err := b.Add(p, strings.NewReader("x")); err != nil {
				t.Fatal(err)
			}
		}
		_, err = b.Add(tc.path, strings.NewReader("data"))
		var e *keeptrail.Error
		if !errors.As(err, &e) || e.Code != keeptrail.EINVALID || len(e.Fields) != 1 ||
			e.Fields[0] != (keeptrail.FieldError{Field: tc.path, Reason: tc.reason}) {
			t.Errorf("Add(%q) = %v, want EINVALID %q", tc.path, err, tc.reason)
		}
		// A refused path leaves the bundle usable.
		if _, err := b.Add("evidence/ok.csv", strings.NewReader("h\n1\n")); err != nil {
			t.Errorf("after refusing %q: %v", tc.path, err)
		}
	}
}

func TestBundleOptions(t *testing.T) {
	for _, tc := range []struct {
		opt  BundleOptions
		want string
	}{
		{BundleOptions{}, "generated_at: is required"},
		{BundleOptions{GeneratedAt: time.Date(1979, 12, 31, 0, 0, 0, 0, time.UTC)}, "generated_at: must fall in 1980 to 2107, the years a ZIP header can hold"},
		{BundleOptions{GeneratedAt: fixtureGeneratedAt, Compression: "zstd"}, "compression: must be deflate or store"},
	} {
		_, err := NewBundleWriter(io.Discard, tc.opt)
		if keeptrail.ErrorCode(err) != keeptrail.EINVALID || err.Error() != tc.want {
			t.Errorf("NewBundleWriter(%+v) = %v, want %q", tc.opt, err, tc.want)
		}
	}
}

// failingReader returns some bytes and then an error.
type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, errors.New("disk on fire")
	}
	r.n--
	p[0] = 'x'
	return 1, nil
}

func TestBundleStickyError(t *testing.T) {
	b, err := NewBundleWriter(io.Discard, fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Add("evidence/a.csv", &failingReader{n: 3})
	if err == nil || err.Error() != "bundle member evidence/a.csv: disk on fire" {
		t.Fatalf("Add with a failing reader = %v", err)
	}
	if _, err2 := b.Add("evidence/b.csv", strings.NewReader("x")); err2 != err {
		t.Errorf("Add after an error = %v, want the first error", err2)
	}
	m := fixtureManifest()
	if err2 := b.Seal(&m, testKey(1)); err2 != err {
		t.Errorf("Seal after an error = %v, want the first error", err2)
	}
}

func TestBundleSealTwice(t *testing.T) {
	var buf bytes.Buffer
	b, _ := NewBundleWriter(&buf, fixtureOptions())
	for _, fm := range fixtureMembers {
		b.Add(fm.path, strings.NewReader(fm.data))
	}
	m := fixtureManifest()
	m.GeneratedAt = m.GeneratedAt.Add(time.Hour)
	err := b.Seal(&m, testKey(1))
	if keeptrail.ErrorCode(err) != keeptrail.EINVALID ||
		err.Error() != "generated_at: differs from the bundle's generated-at time 2025-04-01T06:30:15.123456Z" {
		t.Fatalf("Seal with another generated-at = %v", err)
	}
	m = fixtureManifest()
	if err := b.Seal(&m, testKey(1)); err != nil {
		t.Fatalf("Seal after fixing the manifest: %v", err)
	}
	if err := b.Seal(&m, testKey(1)); err == nil || err.Error() != "bundle is already sealed" {
		t.Errorf("second Seal = %v", err)
	}
	if _, err := b.Add("late.csv", strings.NewReader("x")); err == nil {
		t.Errorf("Add after Seal succeeded")
	}
}

// patternReader yields n bytes of a repeating CSV line without holding them.
type patternReader struct {
	line []byte
	off  int
	n    int64
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	for i := range p {
		p[i] = r.line[r.off]
		r.off = (r.off + 1) % len(r.line)
	}
	r.n -= int64(len(p))
	return len(p), nil
}

// TestBundleStreams adds a 24 MiB member and checks that the bytes allocated meanwhile
// stay far below its size: members stream, they are not held.
func TestBundleStreams(t *testing.T) {
	line := []byte("2025-01-02T03:04:05.000000Z,gw-eu,allowed,team-a,1200\r\n")
	size := int64(len(line)) * (24 << 20 / int64(len(line)))
	b, err := NewBundleWriter(io.Discard, fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m, err := b.Add("evidence/events.csv", &patternReader{line: line, n: size})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if m.Size != size || *m.Rows != size/int64(len(line))-1 {
		t.Errorf("member %+v rows %d, want size %d rows %d", m, *m.Rows, size, size/int64(len(line))-1)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("adding a %d-byte member allocated %d bytes", size, alloc)
	}
	if testing.Verbose() {
		t.Logf("adding a %d-byte member allocated %d bytes", size, after.TotalAlloc-before.TotalAlloc)
	}
}
