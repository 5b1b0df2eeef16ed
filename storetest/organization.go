package storetest

import (
	"slices"
	"testing"

	keeptrail "github.com/keeptrail/keeptrail"
)

func testSettings(t *testing.T, st keeptrail.Store) {
	view(t, st, func(tx keeptrail.Tx) error {
		s, err := tx.Settings()
		if err != nil {
			return err
		}
		wantEqual(t, "settings before any were saved", s, keeptrail.DefaultSettings())
		return nil
	})
	want := keeptrail.Settings{
		OrganizationName: "Acme Health",
		TimeZone:         "Europe/Berlin",
		SSOConfigured:    true,
		MFARequired:      true,
		SCIMEnabled:      true,
		KeyRotationDays:  30,
		SLAMinutes: map[keeptrail.Severity]int{
			keeptrail.SeverityCritical: 15, keeptrail.SeverityHigh: 60, keeptrail.SeverityMedium: 480, keeptrail.SeverityLow: 2880,
		},
		ExpiryAfterSLA: 120,
	}
	update(t, st, func(tx keeptrail.Tx) error { return tx.PutSettings(want) })
	view(t, st, func(tx keeptrail.Tx) error {
		got, err := tx.Settings()
		if err != nil {
			return err
		}
		wantEqual(t, "settings after save", got, want)
		return nil
	})
	// A second save replaces the first.
	want.OrganizationName, want.MFARequired = "Acme", false
	update(t, st, func(tx keeptrail.Tx) error { return tx.PutSettings(want) })
	view(t, st, func(tx keeptrail.Tx) error {
		got, err := tx.Settings()
		if err != nil {
			return err
		}
		wantEqual(t, "settings after second save", got, want)
		return nil
	})
}

func testTeams(t *testing.T, st keeptrail.Store) {
	var payments keeptrail.Team
	update(t, st, func(tx keeptrail.Tx) error {
		var created bool
		var err error
		payments, created, err = tx.EnsureTeam("payments")
		if err != nil {
			return err
		}
		if !created || payments.ID == 0 || payments.Name != "payments" || !payments.CreatedAt.Equal(tx.Now()) {
			t.Fatalf("EnsureTeam(new) = %+v, created %v; want a new team at %v", payments, created, tx.Now())
		}
		again, created, err := tx.EnsureTeam("payments")
		if err != nil {
			return err
		}
		if created {
			t.Fatal("EnsureTeam(existing) reported created")
		}
		wantEqual(t, "EnsureTeam(existing)", again, payments)
		return nil
	})
	f := newFixture(t, st)
	view(t, st, func(tx keeptrail.Tx) error {
		got, err := tx.TeamByName("payments")
		if err != nil {
			return err
		}
		wantEqual(t, "TeamByName", got, payments)
		if got, err = tx.TeamByID(payments.ID); err != nil {
			return err
		}
		wantEqual(t, "TeamByID", got, payments)
		_, err = tx.TeamByName("nobody")
		wantErr(t, err, keeptrail.ENOTFOUND, `team "nobody" not found`)
		_, err = tx.TeamByID(987654)
		wantErr(t, err, keeptrail.ENOTFOUND, `team 987654 not found`)

		want := map[string][]keeptrail.Team{
			"unrestricted": {f.teamA, f.teamB, f.teamC, payments}, // by name
			"A":            {f.teamA},
			"B":            {f.teamB},
			"A+B":          {f.teamA, f.teamB},
			"C":            {f.teamC},
			"none":         nil,
			"empty":        nil,
		}
		for name, scope := range f.scopes() {
			got, err := tx.Teams(scope)
			if err != nil {
				return err
			}
			wantEqual(t, "Teams("+name+")", got, want[name])
		}
		return nil
	})
}

func testUsers(t *testing.T, st keeptrail.Store) {
	f := newFixture(t, st)
	deactivated := at(4, 9, 30)
	users := []keeptrail.User{
		{Email: "zoe@acme.example", Name: "Zoe", Role: keeptrail.RoleTeamAdmin, TeamIDs: []int64{f.teamB.ID, f.teamA.ID},
			PasswordHash: "$argon2id$v=19$abc", SSOEnrolled: true, MFAEnrolled: true, Active: true, CreatedAt: at(3, 10, 0)},
		{Email: "adam@acme.example", Name: "Adam", Role: keeptrail.RoleViewer, TeamIDs: []int64{f.teamA.ID},
			Active: false, DeactivatedAt: &deactivated},
		{Email: "root@acme.example", Name: "Root", Role: keeptrail.RoleAdmin, Active: true},
	}
	update(t, st, func(tx keeptrail.Tx) error {
		for i := range users {
			if err := tx.CreateUser(&users[i]); err != nil {
				return err
			}
			if users[i].ID == 0 {
				t.Fatalf("CreateUser left ID 0 for %s", users[i].Email)
			}
		}
		err := tx.CreateUser(&keeptrail.User{Email: "zoe@acme.example", Name: "Other", Role: keeptrail.RoleViewer})
		wantErr(t, err, keeptrail.ECONFLICT, `user "zoe@acme.example" already exists`)
		// The transaction stays usable after a conflict.
		_, err = tx.UserByEmail("root@acme.example")
		return err
	})
	// What CreateUser left in the structs is what the store returns.
	wantEqual(t, "created time", users[0].CreatedAt, stored(at(3, 10, 0)))
	wantEqual(t, "deactivated time", *users[1].DeactivatedAt, stored(deactivated))
	wantEqual(t, "team ids sorted", users[0].TeamIDs, []int64{f.teamA.ID, f.teamB.ID})
	zoe, adam, root := users[0], users[1], users[2]
	view(t, st, func(tx keeptrail.Tx) error {
		got, err := tx.UserByID(zoe.ID)
		if err != nil {
			return err
		}
		wantEqual(t, "UserByID", got, zoe)
		if got, err = tx.UserByEmail("adam@acme.example"); err != nil {
			return err
		}
		wantEqual(t, "UserByEmail", got, adam)
		if got, err = tx.UserByEmail("root@acme.example"); err != nil {
			return err
		}
		wantEqual(t, "user without teams", got, root)
		_, err = tx.UserByEmail("ghost@acme.example")
		wantErr(t, err, keeptrail.ENOTFOUND, `user "ghost@acme.example" not found`)
		_, err = tx.UserByID(424242)
		wantErr(t, err, keeptrail.ENOTFOUND, `user 424242 not found`)

		want := map[string][]keeptrail.User{
			"unrestricted": {adam, root, zoe}, // by email
			"A":            {adam, zoe},
			"B":            {zoe},
			"A+B":          {adam, zoe},
			"C":            nil,
			"none":         nil,
			"empty":        nil,
		}
		for name, scope := range f.scopes() {
			got, err := tx.Users(scope)
			if err != nil {
				return err
			}
			wantEqual(t, "Users("+name+")", got, want[name])
		}
		return nil
	})

	// UpdateUser writes every mutable field, including the team memberships.
	update(t, st, func(tx keeptrail.Tx) error {
		zoe.Name, zoe.Role, zoe.PasswordHash = "Zoe Q.", keeptrail.RoleComplianceOfficer, "$argon2id$v=19$new"
		zoe.SSOEnrolled, zoe.MFAEnrolled, zoe.Active = false, false, false
		zoe.DeactivatedAt = ptr(at(5, 8, 0))
		zoe.TeamIDs = []int64{f.teamC.ID}
		if err := tx.UpdateUser(&zoe); err != nil {
			return err
		}
		err := tx.UpdateUser(&keeptrail.User{ID: 999999, Email: "x@y"})
		wantErr(t, err, keeptrail.ENOTFOUND, "user 999999 not found")
		return nil
	})
	wantEqual(t, "deactivated time after update", *zoe.DeactivatedAt, stored(at(5, 8, 0)))
	view(t, st, func(tx keeptrail.Tx) error {
		got, err := tx.UserByID(zoe.ID)
		if err != nil {
			return err
		}
		wantEqual(t, "user after update", got, zoe)
		inC, err := tx.Users(keeptrail.TeamScope{TeamIDs: []int64{f.teamC.ID}})
		if err != nil {
			return err
		}
		wantEqual(t, "Users(C) after update", inC, []keeptrail.User{zoe})
		inB, err := tx.Users(keeptrail.TeamScope{TeamIDs: []int64{f.teamB.ID}})
		if err != nil {
			return err
		}
		wantEqual(t, "Users(B) after update", inB, nil)
		return nil
	})
	// Reactivation clears the deactivation time.
	update(t, st, func(tx keeptrail.Tx) error {
		zoe.Active, zoe.DeactivatedAt, zoe.TeamIDs = true, nil, nil
		return tx.UpdateUser(&zoe)
	})
	view(t, st, func(tx keeptrail.Tx) error {
		got, err := tx.UserByID(zoe.ID)
		if err != nil {
			return err
		}
		wantEqual(t, "user after reactivation", got, zoe)
		return nil
	})
}

func testAPIKeys(t *testing.T, st keeptrail.Store) {
	f := newFixture(t, st)
	var owner keeptrail.User
	update(t, st, func(tx keeptrail.Tx) error {
		owner = keeptrail.User{Email: "ops@acme.example", Name: "Ops", Role: keeptrail.RoleAdmin, Active: true}
		return tx.CreateUser(&owner)
	})
	lastUsed := at(6, 12, 0)
	keys := []keeptrail.APIKey{
		{Prefix: "abcdefgh", Name: "gateway eu", Role: keeptrail.RoleGateway, TeamIDs: []int64{f.teamB.ID, f.teamA.ID},
			SecretHash: []byte{0, 1, 2, 255, 254}, CreatedAt: at(3, 9, 0), RotatedAt: at(4, 9, 0), LastUsedAt: &lastUsed},
		{Prefix: "ijklmnop", Name: "auditor key", OwnerUserID: &owner.ID, Role: keeptrail.RoleAuditor,
			SecretHash: []byte("sha256-of-secret-32-bytes-long!!")},
	}
	update(t, st, func(tx keeptrail.Tx) error {
		for i := range keys {
			if err := tx.CreateAPIKey(&keys[i]); err != nil {
				return err
			}
		}
		if !keys[1].CreatedAt.Equal(tx.Now()) || !keys[1].RotatedAt.Equal(tx.Now()) {
			t.Fatalf("CreateAPIKey without times: created %v rotated %v, want both %v", keys[1].CreatedAt, keys[1].RotatedAt, tx.Now())
		}
		err := tx.CreateAPIKey(&keeptrail.APIKey{Prefix: "abcdefgh", Name: "dup", Role: keeptrail.RoleViewer, SecretHash: []byte{1}})
		wantErr(t, err, keeptrail.ECONFLICT, `api key "abcdefgh" already exists`)
		return nil
	})
	wantEqual(t, "created time", keys[0].CreatedAt, stored(at(3, 9, 0)))
	wantEqual(t, "rotated time", keys[0].RotatedAt, stored(at(4, 9, 0)))
	wantEqual(t, "team ids as given", keys[0].TeamIDs, []int64{f.teamB.ID, f.teamA.ID})
	view(t, st, func(tx keeptrail.Tx) error {
		got, err := tx.APIKeyByID(keys[0].ID)
		if err != nil {
			return err
		}
		wantEqual(t, "APIKeyByID", got, keys[0])
		if got, err = tx.APIKeyByPrefix("ijklmnop"); err != nil {
			return err
		}
		wantEqual(t, "APIKeyByPrefix", got, keys[1])
		all, err := tx.APIKeys()
		if err != nil {
			return err
		}
		wantEqual(t, "APIKeys", all, keys)
		_, err = tx.APIKeyByPrefix("zzzzzzzz")
		wantErr(t, err, keeptrail.ENOTFOUND, `api key "zzzzzzzz" not found`)
		_, err = tx.APIKeyByID(31337)
		wantErr(t, err, keeptrail.ENOTFOUND, `api key 31337 not found`)
		return nil
	})
	update(t, st, func(tx keeptrail.Tx) error {
		k := &keys[1]
		k.SecretHash = []byte("rotated-hash")
		k.RotatedAt = at(7, 10, 0)
		k.RevokedAt = ptr(at(8, 11, 0))
		k.LastUsedAt = ptr(at(7, 23, 59))
		k.Name = "ignored: names are not mutable"
		if err := tx.UpdateAPIKey(k); err != nil {
			return err
		}
		err := tx.UpdateAPIKey(&keeptrail.APIKey{ID: 5555, SecretHash: []byte{1}})
		wantErr(t, err, keeptrail.ENOTFOUND, "api key 5555 not found")
		return nil
	})
	keys[1].Name = "auditor key"
	view(t, st, func(tx keeptrail.Tx) error {
		got, err := tx.APIKeyByID(keys[1].ID)
		if err != nil {
			return err
		}
		wantEqual(t, "api key after update", got, keys[1])
		wantEqual(t, "revoked time", *got.RevokedAt, stored(at(8, 11, 0)))
		return nil
	})
}

func testGateways(t *testing.T, st keeptrail.Store) {
	f := newFixture(t, st)
	var gwC keeptrail.Gateway
	update(t, st, func(tx keeptrail.Tx) error {
		var created bool
		var err error
		gwC, created, err = tx.EnsureGateway("gw-c", f.teamC.ID)
		if err != nil {
			return err
		}
		want := keeptrail.Gateway{ID: gwC.ID, Name: "gw-c", TeamID: f.teamC.ID, Healthy: true, Active: true, CreatedAt: tx.Now()}
		if !created || gwC.ID == 0 {
			t.Fatalf("EnsureGateway(new) = %+v, created %v", gwC, created)
		}
		wantEqual(t, "new gateway", gwC, want)
		// An existing name keeps its team.
		again, created, err := tx.EnsureGateway("gw-c", f.teamA.ID)
		if err != nil {
			return err
		}
		if created {
			t.Fatal("EnsureGateway(existing) reported created")
		}
		wantEqual(t, "EnsureGateway(existing)", again, gwC)
		return nil
	})
	view(t, st, func(tx keeptrail.Tx) error {
		got, err := tx.GatewayByName("gw-c")
		if err != nil {
			return err
		}
		wantEqual(t, "GatewayByName", got, gwC)
		if got, err = tx.GatewayByID(f.gwA.ID); err != nil {
			return err
		}
		wantEqual(t, "GatewayByID", got, f.gwA)
		_, err = tx.GatewayByName("gw-1")
		wantErr(t, err, keeptrail.ENOTFOUND, `gateway "gw-1" not found`)
		_, err = tx.GatewayByID(8888)
		wantErr(t, err, keeptrail.ENOTFOUND, `gateway 8888 not found`)
		want := map[string][]keeptrail.Gateway{
			"unrestricted": {f.gwA, f.gwB, gwC},
			"A":            {f.gwA},
			"B":            {f.gwB},
			"A+B":          {f.gwA, f.gwB},
			"C":            {gwC},
			"none":         nil,
			"empty":        nil,
		}
		for name, scope := range f.scopes() {
			got, err := tx.Gateways(scope)
			if err != nil {
				return err
			}
			wantEqual(t, "Gateways("+name+")", got, want[name])
		}
		return nil
	})
	g := f.gwA
	g.Environment, g.TLSMinVersion, g.EncryptionAtRest = "production", "1.3", true
	g.Healthy, g.ErrorRate, g.LastHeartbeatAt, g.RunningVersion, g.Active = false, 0.0625, ptr(at(9, 13, 5)), ptr(int64(12)), false
	update(t, st, func(tx keeptrail.Tx) error {
		if err := tx.UpdateGateway(&g); err != nil {
			return err
		}
		err := tx.UpdateGateway(&keeptrail.Gateway{ID: 7777})
		wantErr(t, err, keeptrail.ENOTFOUND, "gateway 7777 not found")
		return nil
	})
	wantEqual(t, "heartbeat time", *g.LastHeartbeatAt, stored(at(9, 13, 5)))
	view(t, st, func(tx keeptrail.Tx) error {
		got, err := tx.GatewayByID(g.ID)
		if err != nil {
			return err
		}
		wantEqual(t, "gateway after update", got, g)
		return nil
	})
	// Clearing the optional fields stores NULL again.
	g.LastHeartbeatAt, g.RunningVersion = nil, nil
	update(t, st, func(tx keeptrail.Tx) error { return tx.UpdateGateway(&g) })
	view(t, st, func(tx keeptrail.Tx) error {
		got, err := tx.GatewayByName("gw-a")
		if err != nil {
			return err
		}
		wantEqual(t, "gateway after clearing", got, g)
		return nil
	})
}

// sortedIDs returns ids ascending, for comparing assignment lists.
func sortedIDs(ids ...int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}
