package sqlstore_test

import (
	"context"
	"testing"

	keeptrail "github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
)

func TestSmoke(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		err := db.Update(ctx, func(tx keeptrail.Tx) error {
			team, created, err := tx.EnsureTeam("payments")
			if err != nil || !created {
				t.Fatalf("ensure team: %v %v", created, err)
			}
			g, _, err := tx.EnsureGateway("gw-1", team.ID)
			if err != nil {
				t.Fatal(err)
			}
			ins, err := tx.InsertEvents([]keeptrail.DecisionEvent{{RequestID: "a", GatewayID: g.ID, TeamID: team.ID}, {RequestID: "a", GatewayID: g.ID, TeamID: team.ID}})
			t.Log(ins, err)
			return tx.AppendAudit(&keeptrail.AuditEntry{Actor: "x"})
		})
		if err != nil {
			t.Fatal(err)
		}
		_ = db.View(ctx, func(tx keeptrail.Tx) error {
			_, err := tx.GatewayByName("nope")
			t.Log(err)
			s, h, err := tx.AuditHead()
			t.Log(s, h, err)
			return nil
		})
	})
}
