package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
	"github.com/keeptrail/keeptrail/web"
)

func TestAuthenticationFailures(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ts := newTestServer(t, db, web.Config{})
		revoked := ts.key(keeptrail.RoleGateway)
		prefix := strings.Split(revoked, "_")[1]
		ts.call("POST", "/api/v1/api-keys/"+prefix+"/revoke", ts.key(keeptrail.RoleAdmin), nil, http.StatusOK, nil)

		tests := []struct {
			name          string
			authorization string
			actor         string
			reason        string
		}{
			{"no header", "", "anonymous", "malformed token"},
			{"another scheme", "Basic dXNlcjpwYXNz", "anonymous", "malformed token"},
			{"unknown key", "Bearer kt_aaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "key:aaaaaaaa", "unknown key"},
			{"revoked key", "Bearer " + revoked, "key:" + prefix, "revoked key"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := ts.auditHead()
				var headers []string
				if tt.authorization != "" {
					headers = []string{"Authorization", tt.authorization}
				}
				res := ts.do("POST", "/api/v1/events", "", strings.NewReader(event("r-1", "allowed", "low")), headers...)
				wantError(t, res, http.StatusUnauthorized, keeptrail.EUNAUTHORIZED)
				if got := res.header.Get("WWW-Authenticate"); got != `Bearer realm="keeptrail"` {
					t.Errorf("WWW-Authenticate %q", got)
				}
				entries := ts.auditSince(before)
				if len(entries) != 1 {
					t.Fatalf("audit entries after the attempt: %v, want one auth.api_key_rejected", auditActions(entries))
				}
				e := entries[0]
				var details map[string]string
				_ = json.Unmarshal(e.Details, &details)
				if e.Action != "auth.api_key_rejected" || e.Category != keeptrail.CategoryAuthentication ||
					e.Outcome != "failure" || e.Actor != tt.actor || e.SourceIP != "127.0.0.1" || details["reason"] != tt.reason {
					t.Errorf("audit entry %+v (details %s), want auth.api_key_rejected by %s from 127.0.0.1 for %q",
						e, e.Details, tt.actor, tt.reason)
				}
			})
		}
		if n := countEvents(t, db); n != 0 {
			t.Errorf("%d events stored by unauthenticated requests", n)
		}
	})
}

func TestForbidden(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ts := newTestServer(t, db, web.Config{})
		ts.team("payments")
		ts.team("research")
		admin := ts.key(keeptrail.RoleAdmin)

		t.Run("viewer posting events", func(t *testing.T) {
			viewer := ts.key(keeptrail.RoleViewer)
			res := ts.do("POST", "/api/v1/events", viewer, strings.NewReader(event("r-1", "allowed", "low")+"\n"))
			wantError(t, res, http.StatusForbidden, keeptrail.EFORBIDDEN)
			if n := countEvents(t, db); n != 0 {
				t.Errorf("%d events stored by a viewer", n)
			}
		})

		t.Run("team admin changing another team's policy", func(t *testing.T) {
			var theirs keeptrail.Policy
			ts.call("POST", "/api/v1/policies", admin, map[string]any{
				"name": "research pii", "kind": "pii", "team": "research", "rules": map[string]any{"block": []string{"ssn"}},
			}, http.StatusCreated, &theirs)
			teamAdmin := ts.teamAdminKey("pat@acme.example", "payments")

			before := ts.auditHead()
			res := ts.do("PUT", "/api/v1/policies/"+itoa(theirs.ID), teamAdmin, strings.NewReader(
				`{"name":"research pii","kind":"pii","team":"research","rules":{}}`))
			wantError(t, res, http.StatusForbidden, keeptrail.EFORBIDDEN)
			res = ts.do("POST", "/api/v1/policies/"+itoa(theirs.ID)+"/deactivate", teamAdmin, nil)
			wantError(t, res, http.StatusForbidden, keeptrail.EFORBIDDEN)

			entries := ts.auditSince(before)
			if got, want := auditActions(entries), []string{"policy.updated denied", "policy.deactivated denied"}; !equalStrings(got, want) {
				t.Errorf("audit log: %v, want %v", got, want)
			}
			var after keeptrail.Policy
			var list struct{ Items []keeptrail.Policy }
			ts.call("GET", "/api/v1/policies", admin, nil, http.StatusOK, &list)
			for _, p := range list.Items {
				if p.ID == theirs.ID {
					after = p
				}
			}
			if !after.Active || string(after.Rules) != string(theirs.Rules) {
				t.Errorf("the policy changed: %+v, was %+v", after, theirs)
			}
		})
	})
}
