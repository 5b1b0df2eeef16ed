package storetest

import (
	"encoding/json"
	"testing"

	keeptrail "github.com/keeptrail/keeptrail"
)

func testPolicies(t *testing.T, st keeptrail.Store) {
	f := newFixture(t, st)
	var gwA2 keeptrail.Gateway
	update(t, st, func(tx keeptrail.Tx) error {
		var err error
		gwA2, _, err = tx.EnsureGateway("gw-a2", f.teamA.ID)
		return err
	})
	policies := []keeptrail.Policy{
		{Name: "no-ssn", Kind: "pii", TeamID: f.teamA.ID, Rules: json.RawMessage(`{ "patterns": [ "ssn" ],
			"action": "block" }`), Active: true, GatewayIDs: []int64{gwA2.ID, f.gwA.ID, gwA2.ID}, CreatedAt: at(3, 8, 0)},
		{Name: "budget", Kind: "cost", TeamID: f.teamB.ID, Active: false},
	}
	update(t, st, func(tx keeptrail.Tx) error {
		for i := range policies {
			if err := tx.CreatePolicy(&policies[i]); err != nil {
				return err
			}
		}
		if !policies[1].CreatedAt.Equal(tx.Now()) || !policies[1].UpdatedAt.Equal(tx.Now()) {
			t.Fatalf("policy times = %v, %v; want %v", policies[1].CreatedAt, policies[1].UpdatedAt, tx.Now())
		}
		err := tx.CreatePolicy(&keeptrail.Policy{Name: "no-ssn", Kind: "phi", TeamID: f.teamA.ID})
		wantErr(t, err, keeptrail.ECONFLICT, `policy "no-ssn" already exists`)
		// The same name in another team is fine.
		other := keeptrail.Policy{Name: "no-ssn", Kind: "pii", TeamID: f.teamC.ID, Active: true}
		if err := tx.CreatePolicy(&other); err != nil {
			return err
		}
		policies = append(policies, other)
		return nil
	})
	wantEqual(t, "compacted rules", string(policies[0].Rules), `{"patterns":["ssn"],"action":"block"}`)
	wantEqual(t, "empty rules", string(policies[1].Rules), `{}`)
	wantEqual(t, "gateway ids sorted and unique", policies[0].GatewayIDs, sortedIDs(f.gwA.ID, gwA2.ID))
	wantEqual(t, "created time", policies[0].CreatedAt, stored(at(3, 8, 0)))
	wantEqual(t, "updated time defaults to created", policies[0].UpdatedAt, stored(at(3, 8, 0)))
	view(t, st, func(tx keeptrail.Tx) error {
		got, err := tx.PolicyByID(policies[0].ID)
		if err != nil {
			return err
		}
		wantEqual(t, "PolicyByID", got, policies[0])
		_, err = tx.PolicyByID(606)
		wantErr(t, err, keeptrail.ENOTFOUND, "policy 606 not found")
		want := map[string][]keeptrail.Policy{
			"unrestricted": policies,
			"A":            {policies[0]},
			"B":            {policies[1]},
			"A+B":          {policies[0], policies[1]},
			"C":            {policies[2]},
			"none":         nil,
			"empty":        nil,
		}
		for name, scope := range f.scopes() {
			got, err := tx.Policies(scope)
			if err != nil {
				return err
			}
			wantEqual(t, "Policies("+name+")", got, want[name])
		}
		return nil
	})
	p := policies[1]
	p.Name, p.Kind, p.Rules, p.Active, p.GatewayIDs = "budget-v2", "model_allowlist", json.RawMessage(`{"models": ["gpt-4o"]}`), true, []int64{f.gwB.ID}
	update(t, st, func(tx keeptrail.Tx) error {
		if err := tx.UpdatePolicy(&p); err != nil {
			return err
		}
		if !p.UpdatedAt.Equal(tx.Now()) {
			t.Fatalf("UpdatedAt = %v, want the transaction's time %v", p.UpdatedAt, tx.Now())
		}
		err := tx.UpdatePolicy(&keeptrail.Policy{ID: 4040, Name: "x", Kind: "pii"})
		wantErr(t, err, keeptrail.ENOTFOUND, "policy 4040 not found")
		clash := policies[0]
		clash.ID = 0
		clash.Name = "other"
		if err := tx.CreatePolicy(&clash); err != nil {
			return err
		}
		clash.Name = "no-ssn"
		err = tx.UpdatePolicy(&clash)
		wantErr(t, err, keeptrail.ECONFLICT, `policy "no-ssn" already exists`)
		return nil
	})
	wantEqual(t, "rules after update", string(p.Rules), `{"models":["gpt-4o"]}`)
	view(t, st, func(tx keeptrail.Tx) error {
		got, err := tx.PolicyByID(p.ID)
		if err != nil {
			return err
		}
		wantEqual(t, "policy after update", got, p)
		return nil
	})
	// Unassigning every gateway.
	p.GatewayIDs = nil
	update(t, st, func(tx keeptrail.Tx) error { return tx.UpdatePolicy(&p) })
	view(t, st, func(tx keeptrail.Tx) error {
		got, err := tx.PolicyByID(p.ID)
		if err != nil {
			return err
		}
		wantEqual(t, "policy gateways after unassigning", got.GatewayIDs, []int64(nil))
		return nil
	})
}

func testConfigurationVersions(t *testing.T, st keeptrail.Store) {
	view(t, st, func(tx keeptrail.Tx) error {
		all, err := tx.ConfigurationVersions()
		if err != nil {
			return err
		}
		wantEqual(t, "no versions yet", all, []keeptrail.ConfigurationVersion(nil))
		_, err = tx.ConfigurationVersion(1)
		wantErr(t, err, keeptrail.ENOTFOUND, "configuration version 1 not found")
		return nil
	})
	var vs []keeptrail.ConfigurationVersion
	// Three transactions: numbering continues across them.
	for i, in := range []keeptrail.ConfigurationVersion{
		{Author: "alice@acme.example", ChangeSummary: "initial policies", Content: json.RawMessage(`{ "policies": [1, 2] }`),
			ValidationPassed: true, ValidationOutput: "ok", CreatedAt: at(3, 9, 0), Version: 77},
		{Author: "bob@acme.example", ChangeSummary: "tighten pii", Content: json.RawMessage(`{"policies":[1,2,3]}`),
			ValidationPassed: false, ValidationOutput: "rule 3: unknown pattern"},
		{Author: "system:demo", ChangeSummary: "empty"},
	} {
		update(t, st, func(tx keeptrail.Tx) error {
			if err := tx.CreateConfigurationVersion(&in); err != nil {
				return err
			}
			if in.Version != int64(i+1) {
				t.Fatalf("version %d got number %d", i+1, in.Version)
			}
			return nil
		})
		vs = append(vs, in)
	}
	wantEqual(t, "compacted content", string(vs[0].Content), `{"policies":[1,2]}`)
	wantEqual(t, "empty content", string(vs[2].Content), `{}`)
	wantEqual(t, "created time", vs[0].CreatedAt, stored(at(3, 9, 0)))
	// Two in one transaction.
	update(t, st, func(tx keeptrail.Tx) error {
		for n := int64(4); n <= 5; n++ {
			v := keeptrail.ConfigurationVersion{Author: "carol@acme.example", ChangeSummary: "batch", Content: json.RawMessage(`[]`)}
			if err := tx.CreateConfigurationVersion(&v); err != nil {
				return err
			}
			if v.Version != n {
				t.Fatalf("version in batch = %d, want %d", v.Version, n)
			}
			vs = append(vs, v)
		}
		return nil
	})
	view(t, st, func(tx keeptrail.Tx) error {
		for _, v := range vs {
			got, err := tx.ConfigurationVersion(v.Version)
			if err != nil {
				return err
			}
			wantEqual(t, "ConfigurationVersion", got, v)
		}
		all, err := tx.ConfigurationVersions()
		if err != nil {
			return err
		}
		wantEqual(t, "ConfigurationVersions", all, vs)
		return nil
	})
	// A rolled-back version does not consume its number.
	_ = st.Update(bg(), func(tx keeptrail.Tx) error {
		v := keeptrail.ConfigurationVersion{Author: "x", ChangeSummary: "discarded"}
		if err := tx.CreateConfigurationVersion(&v); err != nil {
			return err
		}
		return errRollback
	})
	update(t, st, func(tx keeptrail.Tx) error {
		v := keeptrail.ConfigurationVersion{Author: "x", ChangeSummary: "kept"}
		if err := tx.CreateConfigurationVersion(&v); err != nil {
			return err
		}
		wantEqual(t, "number after a rollback", v.Version, int64(6))
		return nil
	})
}

func testDeployments(t *testing.T, st keeptrail.Store) {
	f := newFixture(t, st)
	ds := []keeptrail.Deployment{
		{GatewayID: f.gwB.ID, Version: 2, DeployedAt: at(5, 10, 0), DeployedBy: "bob@acme.example", Source: "api"},
		{GatewayID: f.gwA.ID, Version: 1, DeployedAt: at(4, 10, 0), DeployedBy: "alice@acme.example", Source: "api"},
		{GatewayID: f.gwA.ID, Version: 2, DeployedBy: "gw-a", Source: "heartbeat"},
	}
	update(t, st, func(tx keeptrail.Tx) error {
		for i := range ds {
			if err := tx.CreateDeployment(&ds[i]); err != nil {
				return err
			}
			if ds[i].ID == 0 {
				t.Fatal("CreateDeployment left ID 0")
			}
		}
		wantEqual(t, "deployed at defaults to now", ds[2].DeployedAt, tx.Now())
		err := tx.CreateDeployment(&keeptrail.Deployment{GatewayID: 999, Version: 1, DeployedBy: "x", Source: "api"})
		wantErr(t, err, keeptrail.ENOTFOUND, "gateway 999 not found")
		return nil
	})
	wantEqual(t, "deployed time", ds[0].DeployedAt, stored(at(5, 10, 0)))
	view(t, st, func(tx keeptrail.Tx) error {
		// Oldest first: ds[1] (Feb 4), ds[0] (Feb 5), ds[2] (now).
		want := map[string][]keeptrail.Deployment{
			"unrestricted": {ds[1], ds[0], ds[2]},
			"A":            {ds[1], ds[2]},
			"B":            {ds[0]},
			"A+B":          {ds[1], ds[0], ds[2]},
			"C":            nil,
			"none":         nil,
			"empty":        nil,
		}
		for name, scope := range f.scopes() {
			got, err := tx.Deployments(scope)
			if err != nil {
				return err
			}
			wantEqual(t, "Deployments("+name+")", got, want[name])
		}
		return nil
	})
}
