package evidence

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// TestBundleCreate streams a member in pieces through Create: the archive's bytes and
// the member's record equal those of Add with the whole data, and no other member may
// be added while it is open.
func TestBundleCreate(t *testing.T) {
	data := strings.Repeat("seq,actor\r\n1,ann@example.com\r\n", 5000)
	var whole, streamed bytes.Buffer
	a, err := NewBundleWriter(&whole, fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	want, err := a.AddRows("evidence/a.csv", strings.NewReader(data), 42)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBundleWriter(&streamed, fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	mw, err := b.Create("evidence/a.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Add("evidence/b.csv", strings.NewReader("x\r\n")); err == nil || !strings.Contains(err.Error(), "evidence/a.csv is not closed yet") {
		t.Errorf("add while a member is open: %v", err)
	}
	for rest := data; rest != ""; {
		n := min(len(rest), 777)
		if _, err := mw.Write([]byte(rest[:n])); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	got, err := mw.Close(42)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("streamed member %+v, added %+v", got, want)
	}
	if _, err := mw.Write([]byte("late")); err == nil {
		t.Error("a write after Close was accepted")
	}
	if _, err := b.Create("evidence/a.csv"); err == nil {
		t.Error("a second member at the same path was accepted")
	}
	for _, w := range []*BundleWriter{a, b} {
		m := fixtureManifest()
		m.Queries, m.AuditLog = nil, nil
		if err := w.Seal(&m, testKey(1)); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(whole.Bytes(), streamed.Bytes()) {
		t.Errorf("streaming in pieces gave other archive bytes (%d and %d bytes)", whole.Len(), streamed.Len())
	}
}
