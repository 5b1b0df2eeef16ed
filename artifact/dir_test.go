package artifact

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func listDir(t *testing.T, path string) []string {
	t.Helper()
	entries, err := os.ReadDir(path)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestCommitMakesTheFileVisibleOnlyWhenComplete(t *testing.T) {
	path := t.TempDir()
	d, err := OpenDir(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	w, err := d.Create("export-1.csv")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("a,b\r\n"))
	w.Write([]byte("1,2\r\n"))
	if got := listDir(t, path); !slices.Equal(got, []string{".tmp"}) {
		t.Fatalf("before commit the folder holds %v, want only .tmp", got)
	}
	if got := listDir(t, filepath.Join(path, ".tmp")); len(got) != 1 {
		t.Fatalf("temporary folder holds %v, want one part file", got)
	}
	info, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("a,b\r\n1,2\r\n"))
	want := Info{Name: "export-1.csv", Bytes: 10, SHA256: hex.EncodeToString(sum[:])}
	if info != want {
		t.Fatalf("commit info %+v, want %+v", info, want)
	}
	if got := listDir(t, path); !slices.Equal(got, []string{".tmp", "export-1.csv"}) {
		t.Fatalf("after commit: %v", got)
	}
	if got := listDir(t, filepath.Join(path, ".tmp")); len(got) != 0 {
		t.Fatalf("temporary files left: %v", got)
	}
	b, err := d.ReadFile("export-1.csv")
	if err != nil || string(b) != "a,b\r\n1,2\r\n" {
		t.Fatalf("read back %q, %v", b, err)
	}
	st, _ := os.Stat(filepath.Join(path, "export-1.csv"))
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v, want 0600", st.Mode().Perm())
	}
}

func TestAbortAndRemoveTemp(t *testing.T) {
	path := t.TempDir()
	d, err := OpenDir(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	w, _ := d.Create("export-2.csv")
	w.Write([]byte("partial"))
	w.Abort()
	w.Abort() // twice is harmless
	if got := listDir(t, filepath.Join(path, ".tmp")); len(got) != 0 {
		t.Fatalf("abort left %v", got)
	}
	// A writer that died (never committed or aborted) leaves a part file; RemoveTemp of
	// its name removes it and only it.
	dead, _ := d.Create("export-3.csv")
	dead.Write([]byte("half"))
	other, _ := d.Create("export-33.csv")
	n, err := d.RemoveTemp("export-3.csv")
	if err != nil || n != 1 {
		t.Fatalf("RemoveTemp = %d, %v; want 1", n, err)
	}
	if _, err := other.Commit(); err != nil {
		t.Fatalf("the other writer was disturbed: %v", err)
	}
	if _, err := d.Open("export-3.csv"); err == nil {
		t.Fatal("a file that was never committed can be opened")
	}
}

func TestSweepRemovesOnlyIdleTemporaryFiles(t *testing.T) {
	path := t.TempDir()
	d, err := OpenDir(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	old, _ := d.Create("export-4.csv")
	old.Write([]byte("x"))
	live, _ := d.Create("export-5.csv")
	live.Write([]byte("y"))
	tmps := listDir(t, filepath.Join(path, ".tmp"))
	for _, name := range tmps {
		if len(name) > len("export-4.csv") && name[:len("export-4.csv")] == "export-4.csv" {
			past := time.Now().Add(-time.Hour)
			os.Chtimes(filepath.Join(path, ".tmp", name), past, past)
		}
	}
	n, err := d.Sweep(10 * time.Minute)
	if err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want 1", n, err)
	}
	if _, err := live.Commit(); err != nil {
		t.Fatalf("a live writer was swept: %v", err)
	}
}

func TestNamesCannotLeaveTheFolder(t *testing.T) {
	parent := t.TempDir()
	path := filepath.Join(parent, "artifacts")
	d, err := OpenDir(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	os.WriteFile(filepath.Join(parent, "secret.txt"), []byte("secret"), 0o600)
	os.Symlink(filepath.Join(parent, "secret.txt"), filepath.Join(path, "link.csv"))
	for _, name := range []string{"../secret.txt", "a/b", ".tmp", "", "x\x00y", ".hidden", "export 1.csv"} {
		if _, err := d.Open(name); err == nil {
			t.Errorf("Open(%q) succeeded", name)
		}
		if _, err := d.Create(name); err == nil {
			t.Errorf("Create(%q) succeeded", name)
		}
	}
	if _, err := d.Open("link.csv"); err == nil {
		t.Error("a symlink out of the folder was followed")
	}
}

func TestOpenFolderHidesTemporaryFilesBesideTheFile(t *testing.T) {
	path := t.TempDir()
	d, err := OpenFolder(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	w, err := d.Create("my export.csv")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("z"))
	got := listDir(t, path)
	if len(got) != 1 || got[0][:len(".my export.csv.")] != ".my export.csv." {
		t.Fatalf("while writing: %v", got)
	}
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, path); !slices.Equal(got, []string{"my export.csv"}) {
		t.Fatalf("after commit: %v", got)
	}
	if _, err := d.Create("../x"); err == nil {
		t.Fatal("Create(../x) succeeded")
	}
}

// TestBackgroundFlushes writes a file larger than the flush interval in small writes: it
// commits whole, with its SHA-256, and aborting one mid-flush leaves nothing.
func TestBackgroundFlushes(t *testing.T) {
	defer func(old int64) { syncEvery = old }(syncEvery)
	syncEvery = 1000
	d, err := OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var want []byte
	w, _ := d.Create("big.csv")
	for i := range 500 {
		line := []byte(strings.Repeat("x", i%97) + "\n")
		want = append(want, line...)
		if _, err := w.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	info, err := w.Commit()
	sum := sha256.Sum256(want)
	if err != nil || info.Bytes != int64(len(want)) || info.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("commit %+v, %v", info, err)
	}
	if got, _ := d.ReadFile("big.csv"); string(got) != string(want) {
		t.Fatal("file differs from what was written")
	}
	a, _ := d.Create("aborted.csv")
	for range 50 {
		a.Write([]byte(strings.Repeat("y", 100)))
	}
	a.Abort()
	if n, _ := d.Sweep(0); n != 0 {
		t.Fatalf("abort left %d temporary files", n)
	}
}
