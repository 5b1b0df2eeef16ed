package storetest

import (
	"testing"

	keeptrail "github.com/keeptrail/keeptrail"
)

func testUpdateRollsBack(t *testing.T, st keeptrail.Store) {
	err := st.Update(bg(), func(tx keeptrail.Tx) error {
		if _, _, err := tx.EnsureTeam("ephemeral"); err != nil {
			return err
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatalf("Update returned %v, want fn's own error", err)
	}
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want the panic to pass through Update", r)
			}
		}()
		_ = st.Update(bg(), func(tx keeptrail.Tx) error {
			if _, _, err := tx.EnsureTeam("panicky"); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	// fn's domain errors keep their code.
	err = st.Update(bg(), func(tx keeptrail.Tx) error {
		_, err := tx.TeamByName("ephemeral")
		return err
	})
	wantErr(t, err, keeptrail.ENOTFOUND, `team "ephemeral" not found`)
	view(t, st, func(tx keeptrail.Tx) error {
		teams, err := tx.Teams(keeptrail.TeamScope{})
		if err != nil {
			return err
		}
		wantEqual(t, "teams after rollbacks", teams, []keeptrail.Team(nil))
		return nil
	})
	// The store still works after the panic.
	update(t, st, func(tx keeptrail.Tx) error {
		_, created, err := tx.EnsureTeam("kept")
		if !created {
			t.Fatal("team not created after the rollbacks")
		}
		return err
	})
}

func testViewSnapshot(t *testing.T, st keeptrail.Store) {
	f := newFixture(t, st)
	err := st.View(bg(), func(tx keeptrail.Tx) error {
		before, err := tx.Teams(keeptrail.TeamScope{})
		if err != nil {
			return err
		}
		if len(before) != 3 {
			t.Fatalf("%d teams at first read, want 3", len(before))
		}
		// Another transaction commits a team, a gateway update and an audit entry.
		update(t, st, func(w keeptrail.Tx) error {
			if _, _, err := w.EnsureTeam("delta"); err != nil {
				return err
			}
			g := f.gwA
			g.Environment = "changed"
			if err := w.UpdateGateway(&g); err != nil {
				return err
			}
			e := auditEntry(1, nil)
			return w.AppendAudit(&e)
		})
		after, err := tx.Teams(keeptrail.TeamScope{})
		if err != nil {
			return err
		}
		wantEqual(t, "teams inside the view after a commit", after, before)
		g, err := tx.GatewayByID(f.gwA.ID)
		if err != nil {
			return err
		}
		wantEqual(t, "gateway inside the view after a commit", g, f.gwA)
		seq, _, err := tx.AuditHead()
		if err != nil {
			return err
		}
		if seq != 0 {
			t.Fatalf("audit head inside the view = %d, want 0", seq)
		}
		_, err = tx.TeamByName("delta")
		wantErr(t, err, keeptrail.ENOTFOUND, `team "delta" not found`)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	view(t, st, func(tx keeptrail.Tx) error {
		teams, err := tx.Teams(keeptrail.TeamScope{})
		if err != nil {
			return err
		}
		if len(teams) != 4 {
			t.Fatalf("%d teams in a new view, want 4", len(teams))
		}
		return nil
	})
}

func testViewReadOnly(t *testing.T, st keeptrail.Store) {
	err := st.View(bg(), func(tx keeptrail.Tx) error {
		_, _, err := tx.EnsureTeam("sneaky")
		return err
	})
	if err == nil {
		t.Fatal("a write inside View succeeded")
	}
	view(t, st, func(tx keeptrail.Tx) error {
		_, err := tx.TeamByName("sneaky")
		wantErr(t, err, keeptrail.ENOTFOUND, `team "sneaky" not found`)
		return nil
	})
}

// Concurrent transactions that ensure the same team and gateway (ingest requests naming a
// new gateway at once) all succeed with the same rows; exactly one creates each.
func testEnsureConcurrent(t *testing.T, st keeptrail.Store) {
	const n = 8
	type result struct {
		team, gateway               int64
		teamCreated, gatewayCreated bool
		err                         error
	}
	results := make(chan result, n)
	for i := 0; i < n; i++ {
		go func() {
			var r result
			r.err = st.Update(bg(), func(tx keeptrail.Tx) error {
				team, created, err := tx.EnsureTeam("shared")
				if err != nil {
					return err
				}
				r.team, r.teamCreated = team.ID, created
				g, created, err := tx.EnsureGateway("gw-shared", team.ID)
				r.gateway, r.gatewayCreated = g.ID, created
				return err
			})
			results <- r
		}()
	}
	var teams, gateways int
	first := result{}
	for i := 0; i < n; i++ {
		r := <-results
		if r.err != nil {
			t.Fatalf("concurrent ensure: %v", r.err)
		}
		if first.team == 0 {
			first = r
		}
		if r.team != first.team || r.gateway != first.gateway {
			t.Fatalf("concurrent ensure gave team %d gateway %d, another gave %d %d", r.team, r.gateway, first.team, first.gateway)
		}
		if r.teamCreated {
			teams++
		}
		if r.gatewayCreated {
			gateways++
		}
	}
	if teams != 1 || gateways != 1 {
		t.Fatalf("%d transactions created the team and %d the gateway, want 1 and 1", teams, gateways)
	}
}
