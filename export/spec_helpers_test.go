package export

import (
	"errors"
	"testing"

	"github.com/keeptrail/keeptrail"
)

// fieldErrors returns err's field errors as "field: reason" lines, failing the test if
// err is not an EINVALID *keeptrail.Error.
func fieldErrors(t *testing.T, err error) []string {
	t.Helper()
	var e *keeptrail.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *keeptrail.Error", err, err)
	}
	if e.Code != keeptrail.EINVALID {
		t.Fatalf("code = %q, want %q (%v)", e.Code, keeptrail.EINVALID, err)
	}
	out := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		out[i] = f.String()
	}
	return out
}

func equalLines(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d errors, want %d:\n got: %q\nwant: %q", len(got), len(want), got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("error %d:\n got: %s\nwant: %s", i, got[i], want[i])
		}
	}
}
