package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
	"github.com/keeptrail/keeptrail/web"
)

// list is the shape of every list answer.
type list[T any] struct {
	Items []T `json:"items"`
}

// gatewayNamed registers a gateway by ingesting a heartbeat for it and returns it.
func (ts *testServer) gatewayNamed(name, team string) keeptrail.Gateway {
	ts.t.Helper()
	hb := `{"gateway":"` + name + `","team":"` + team + `","time":"2025-02-03T10:15:00Z","healthy":true}` + "\n"
	res := ts.do("POST", "/api/v1/heartbeats", ts.key(keeptrail.RoleGateway), strings.NewReader(hb))
	if res.status != http.StatusOK {
		ts.t.Fatalf("heartbeat for %s: status %d: %s", name, res.status, res.body)
	}
	var gws list[keeptrail.Gateway]
	ts.call("GET", "/api/v1/gateways", ts.key(keeptrail.RoleAdmin), nil, http.StatusOK, &gws)
	for _, g := range gws.Items {
		if g.Name == name {
			return g
		}
	}
	ts.t.Fatalf("gateway %s not listed: %+v", name, gws.Items)
	return keeptrail.Gateway{}
}

func TestPolicyFlow(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ts := newTestServer(t, db, web.Config{})
		ts.team("payments")
		gw := ts.gatewayNamed("gw-eu-1", "payments")
		admin := ts.key(keeptrail.RoleAdmin)
		prefix := strings.Split(admin, "_")[1]

		steps := []struct {
			name   string
			method string
			path   func(id int64) string
			body   any
			status int
			check  func(t *testing.T, p keeptrail.Policy)
			action string
		}{{
			name: "create", method: "POST", path: func(int64) string { return "/api/v1/policies" },
			body:   map[string]any{"name": "payments pii", "kind": "pii", "team": "payments", "rules": map[string]any{"block": []string{"ssn"}}},
			status: http.StatusCreated,
			check: func(t *testing.T, p keeptrail.Policy) {
				if p.ID == 0 || p.Name != "payments pii" || p.Kind != "pii" || !p.Active || len(p.GatewayIDs) != 0 {
					t.Errorf("created policy %+v", p)
				}
			},
			action: "policy.created",
		}, {
			name: "assign", method: "POST", path: func(id int64) string { return "/api/v1/policies/" + itoa(id) + "/assign" },
			body:   map[string]any{"gateways": []string{"gw-eu-1"}},
			status: http.StatusOK,
			check: func(t *testing.T, p keeptrail.Policy) {
				if len(p.GatewayIDs) != 1 || p.GatewayIDs[0] != gw.ID {
					t.Errorf("assigned policy gateways %v, want [%d]", p.GatewayIDs, gw.ID)
				}
			},
			action: "policy.assigned",
		}, {
			name: "deactivate", method: "POST", path: func(id int64) string { return "/api/v1/policies/" + itoa(id) + "/deactivate" },
			status: http.StatusOK,
			check: func(t *testing.T, p keeptrail.Policy) {
				if p.Active {
					t.Errorf("deactivated policy is active: %+v", p)
				}
			},
			action: "policy.deactivated",
		}}
		var id int64
		for _, st := range steps {
			before := ts.auditHead()
			var p keeptrail.Policy
			ts.call(st.method, st.path(id), admin, st.body, st.status, &p)
			if id == 0 {
				id = p.ID
			}
			st.check(t, p)
			entries := ts.auditSince(before)
			if len(entries) != 1 {
				t.Fatalf("%s: audit entries %v, want one %s", st.name, auditActions(entries), st.action)
			}
			e := entries[0]
			if e.Action != st.action || e.Category != keeptrail.CategoryConfiguration || e.Outcome != "success" ||
				e.Actor != "key:"+prefix || e.ActorKind != keeptrail.ActorAPIKey || e.SourceIP != "127.0.0.1" || e.Target != "policy:"+itoa(id) {
				t.Errorf("%s: audit entry %+v, want %s by key:%s on policy:%d", st.name, e, st.action, prefix, id)
			}
		}
		var policies list[keeptrail.Policy]
		ts.call("GET", "/api/v1/policies", admin, nil, http.StatusOK, &policies)
		if len(policies.Items) != 1 || policies.Items[0].Active || len(policies.Items[0].GatewayIDs) != 1 {
			t.Errorf("policies after the flow: %+v", policies.Items)
		}
	})
}

func TestStrictJSON(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ts := newTestServer(t, db, web.Config{})
		admin := ts.key(keeptrail.RoleAdmin)
		tests := []struct {
			method, path, body string
			field, reason      string
		}{
			{"POST", "/api/v1/teams", `{"name":"x","colour":"red"}`, "colour", "unknown field"},
			{"POST", "/api/v1/teams", `{"name":5}`, "name", "must be a string"},
			{"POST", "/api/v1/deployments", `{"gateway":"gw-1","version":"3"}`, "version", "must be an integer"},
			{"POST", "/api/v1/deployments", `{"gateway":"gw-1","version":1.5}`, "version", "must be an integer"},
			{"POST", "/api/v1/wallets", `{"team":"t","name":"w","budget_usd":"lots"}`, "budget_usd", "must be a number"},
			{"PATCH", "/api/v1/users/a@acme.example", `{"teams":"payments"}`, "teams", "must be an array"},
			{"PATCH", "/api/v1/settings", `{"mfa_required":"yes"}`, "mfa_required", "must be true or false"},
			{"POST", "/api/v1/policies", `{"name":"p","kind":"pii","team":"t","rules":{},"gateways":[1]}`, "gateways", "must be a string"},
			{"POST", "/api/v1/teams", ``, "body", "required: send a JSON object"},
			{"POST", "/api/v1/teams", `{"name":"x"} {"name":"y"}`, "body", "must hold exactly one JSON object"},
			{"POST", "/api/v1/teams", `{"name":`, "body", "truncated JSON"},
			{"POST", "/api/v1/teams", `[1]`, "body", "must be an object"},
			{"POST", "/api/v1/teams", `{name}`, "body", "invalid JSON at byte 2: invalid character 'n' looking for beginning of object key string"},
			{"POST", "/api/v1/policies/1/activate", `{"force":true}`, "force", "unknown field"},
			{"POST", "/api/v1/policies/abc/activate", ``, "id", "must be a positive integer"},
			{"POST", "/api/v1/policies/007/deactivate", ``, "id", "must be a positive integer"},
			{"PUT", "/api/v1/alerting-rules/-1", `{}`, "id", "must be a positive integer"},
			{"GET", "/api/v1/escalations/0", ``, "id", "must be a positive integer"},
			{"POST", "/api/v1/wallets/1e3/entries", `{}`, "id", "must be a positive integer"},
			{"POST", "/api/v1/cost-tickets/99999999999999999999/resolve", `{}`, "id", "must be a positive integer"},
			{"GET", "/api/v1/escalations?status=open,done", ``, "status", "must be one of open, claimed, resolved, expired"},
			{"GET", "/api/v1/escalations?limit=0", ``, "limit", "must be an integer from 1 to 10000"},
			{"POST", "/api/v1/policies/1/assign", `{}`, "gateways", "required: a list of gateway names (empty to unassign)"},
		}
		before := ts.auditHead()
		for _, tt := range tests {
			t.Run(tt.method+" "+tt.path+" "+tt.body, func(t *testing.T) {
				res := ts.do(tt.method, tt.path, admin, strings.NewReader(tt.body))
				wantError(t, res, http.StatusBadRequest, keeptrail.EINVALID, keeptrail.FieldError{Field: tt.field, Reason: tt.reason})
			})
		}
		if after := ts.auditHead(); after != before {
			t.Errorf("requests refused for their shape wrote %d audit entries", after-before)
		}

		big := `{"name":"` + strings.Repeat("x", 1<<20) + `"}`
		wantError(t, ts.do("POST", "/api/v1/teams", admin, strings.NewReader(big)), http.StatusRequestEntityTooLarge, keeptrail.ETOOLARGE)
	})
}
