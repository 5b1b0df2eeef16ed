package ingest_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/keeptrail/keeptrail/ingest"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// TestConcurrentRequestsRegisterSameNewNames: concurrent requests that name the same new
// teams and gateways in opposite orders all succeed (on PostgreSQL they used to deadlock,
// failing one request) and each name is registered once.
func TestConcurrentRequestsRegisterSameNewNames(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		in := ingest.New(db, ingest.Options{})
		const names, clients = 20, 8
		body := func(client int) string {
			var b strings.Builder
			for k := range names {
				n := k
				if client%2 == 1 {
					n = names - 1 - k // the other half of the clients go the other way
				}
				b.WriteString(event(fmt.Sprintf("r-%d-%d", client, k), "2025-02-03T10:15:00Z",
					fmt.Sprintf("gw-%02d", n), fmt.Sprintf("team-%02d", n), "allowed", "low"))
				b.WriteByte('\n')
			}
			return b.String()
		}
		var wg sync.WaitGroup
		errs := make([]error, clients)
		for c := range clients {
			wg.Go(func() {
				res, err := in.Ingest(as(gatewayKey), ingest.KindEvents, strings.NewReader(body(c)))
				if err == nil && res.Accepted != names {
					err = fmt.Errorf("accepted %d of %d: %+v", res.Accepted, names, res.Errors)
				}
				errs[c] = err
			})
		}
		wg.Wait()
		for c, err := range errs {
			if err != nil {
				t.Errorf("client %d: %v", c, err)
			}
		}
		if n := count(t, db, "teams"); n != names {
			t.Errorf("%d teams, want %d", n, names)
		}
		if n := count(t, db, "gateways"); n != names {
			t.Errorf("%d gateways, want %d", n, names)
		}
		if n := count(t, db, "decision_events"); n != names*clients {
			t.Errorf("%d events, want %d", n, names*clients)
		}
	})
}
