package export

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// failAfter fails every write once n bytes have been written.
type failAfter struct{ n int }

var errDiskFull = errors.New("disk full")

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n -= len(p); f.n < 0 {
		return 0, errDiskFull
	}
	return len(p), nil
}

// TestSlicedExport reads an events export of several slices on two connections: the file
// equals the one read on a single connection, and a failing writer or a canceled context
// ends it with that error and without hanging.
func TestSlicedExport(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		org := loadFixture(t, db)
		defer func(old int64) { sliceRows = old }(sliceRows)
		sliceRows = 1500
		const n = 3*1500 + 123
		events := make([]keeptrail.DecisionEvent, n)
		gws := []string{"gw-eu-1", "gw-us-1", "gw-no-1"}
		for i := range events {
			// Ties in time across teams, so order within a time matters too.
			events[i] = fixtureEvent(org, fmt.Sprintf("s-%06d", i), fixtureDay.Add(time.Duration(i/3)*time.Second),
				gws[i%3], "u", "m", keeptrail.DecisionAllowed, keeptrail.SeverityLow, nil, nil)
		}
		if err := db.Update(context.Background(), func(tx keeptrail.Tx) error { _, err := tx.InsertEvents(events); return err }); err != nil {
			t.Fatal(err)
		}
		s := spec(t, Flags{Type: "events", Format: "csv"})
		var sliced, single bytes.Buffer
		res, err := New(db, Options{}).Write(context.Background(), s, adminPrincipal, &sliced, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := New(db, Options{SingleReader: true}).Write(context.Background(), s, adminPrincipal, &single, nil); err != nil {
			t.Fatal(err)
		}
		if res.Rows != n+5 || slicesFor(res.Population) != 4 || !bytes.Equal(sliced.Bytes(), single.Bytes()) {
			t.Fatalf("sliced export: %d rows in %d slices; equal to the single-reader file: %v",
				res.Rows, slicesFor(res.Population), bytes.Equal(sliced.Bytes(), single.Bytes()))
		}
		_, err = New(db, Options{}).Write(context.Background(), s, adminPrincipal, &failAfter{n: 100 << 10}, nil)
		if !errors.Is(err, errDiskFull) {
			t.Fatalf("failing writer: %v", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		_, err = New(db, Options{}).Write(ctx, s, adminPrincipal, io.Discard, func(rows int64) {
			if rows > sliceRows {
				cancel()
			}
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("canceled export: %v", err)
		}
	})
}

func TestSliceBounds(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(10*time.Second + 7*time.Microsecond)
	b := sliceBounds(start, end, 3)
	if len(b) != 4 || !b[0].Equal(start) || !b[3].Equal(end) || b[1].Sub(b[0]) != 3333335*time.Microsecond || !b[2].After(b[1]) {
		t.Fatalf("bounds %v", b)
	}
	for _, c := range []struct {
		pop  int64
		want int
	}{{0, 1}, {1, 1}, {16 << 10, 1}, {16<<10 + 1, 2}, {1 << 40, maxSlices}} {
		if got := slicesFor(c.pop); got != c.want {
			t.Errorf("slicesFor(%d) = %d, want %d", c.pop, got, c.want)
		}
	}
}
