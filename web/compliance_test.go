package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/compliance"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
	"github.com/keeptrail/keeptrail/web"
)

// TestComplianceEndpoints checks GET /api/v1/compliance/status and /score: figures from
// ingested events, a team admin limited to its teams, and errors naming the parameter.
func TestComplianceEndpoints(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ts := newTestServer(t, db, web.Config{})
		ts.team("payments")
		ts.team("radiology")
		when := time.Now().UTC().Add(-2 * time.Hour).Format(time.RFC3339)
		events := strings.Join([]string{
			`{"request_id":"r-1","time":"` + when + `","gateway":"gw-pay","team":"payments","decision":"blocked","severity":"high","policies_evaluated":2,"rules_matched":["pii.ssn"]}`,
			`{"request_id":"r-2","time":"` + when + `","gateway":"gw-pay","team":"payments","decision":"allowed","severity":"low","policies_evaluated":0}`,
			`{"request_id":"r-3","time":"` + when + `","gateway":"gw-rad","team":"radiology","decision":"allowed","severity":"low","policies_evaluated":1}`,
			`{"request_id":"r-1","time":"` + when + `","gateway":"gw-pay","team":"payments","decision":"allowed","severity":"low","policies_evaluated":0}`,
		}, "\n") + "\n"
		if res := ts.do("POST", "/api/v1/events", ts.key(keeptrail.RoleGateway), strings.NewReader(events)); res.status != http.StatusOK {
			t.Fatalf("ingest: %d %s", res.status, res.body)
		}
		admin := ts.key(keeptrail.RoleAdmin)
		payments := ts.teamAdminKey("pat@acme.example", "payments")

		var st compliance.Status
		ts.call("GET", "/api/v1/compliance/status", admin, nil, http.StatusOK, &st)
		if st.Requests != 3 || st.Blocked != 1 || st.EnforcementRate.Count != 2 || len(st.Teams) != 2 || len(st.ByGateway) != 2 ||
			len(st.ByRule) != 1 || st.ByRule[0] != (compliance.RuleStatus{Rule: "pii.ssn", Matches: 1}) {
			t.Errorf("admin status: %+v", st)
		}
		ts.call("GET", "/api/v1/compliance/status?team=payments&gateway=gw-pay&from=2020-01-01&to="+time.Now().UTC().Format(time.DateOnly), payments, nil, http.StatusOK, &st)
		if st.Requests != 2 || len(st.Teams) != 1 || st.Teams[0] != "payments" || st.Period.From != time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC) {
			t.Errorf("team admin status: %+v", st)
		}
		ts.call("GET", "/api/v1/compliance/status", payments, nil, http.StatusOK, &st)
		if st.Requests != 2 || len(st.ByGateway) != 1 || st.ByGateway[0].Gateway != "gw-pay" {
			t.Errorf("team admin status without a team: %+v", st)
		}

		var sc compliance.Score
		ts.call("GET", "/api/v1/compliance/score", admin, nil, http.StatusOK, &sc)
		if len(sc.Components) != 5 || sc.Components[0].Counts["active_gateways"] != 2 || len(sc.Teams) != 2 {
			t.Errorf("admin score: %+v", sc)
		}
		ts.call("GET", "/api/v1/compliance/score?at="+time.Now().UTC().Format(time.DateOnly), payments, nil, http.StatusOK, &sc)
		if len(sc.Teams) != 1 || sc.Components[0].Counts["active_gateways"] != 1 {
			t.Errorf("team admin score: %+v", sc)
		}
		var hist struct {
			History []compliance.HistoryPoint `json:"history"`
		}
		ts.call("GET", "/api/v1/compliance/score?history=1&from=2025-01-01&to=2025-01-31", admin, nil, http.StatusOK, &hist)
		if hist.History == nil || len(hist.History) != 0 {
			t.Errorf("history: %+v", hist)
		}

		tests := []struct {
			token, path   string
			status        int
			code, message string
			field         string
		}{
			{payments, "/api/v1/compliance/status?team=radiology", 403, "forbidden", `team "radiology" is outside your teams`, ""},
			{payments, "/api/v1/compliance/score?team=radiology", 403, "forbidden", `team "radiology" is outside your teams`, ""},
			{admin, "/api/v1/compliance/status?from=yesterday", 400, "invalid", "", "from"},
			{admin, "/api/v1/compliance/status?to=2025-13-01", 400, "invalid", "", "to"},
			{admin, "/api/v1/compliance/status?form=2025-01-01", 400, "invalid", "", "form"},
			{admin, "/api/v1/compliance/status?team=nope", 400, "invalid", "", "team"},
			{admin, "/api/v1/compliance/status?gateway=", 400, "invalid", "", "gateway"},
			{admin, "/api/v1/compliance/score?at=2999-01-01", 400, "invalid", "", "at"},
			{admin, "/api/v1/compliance/score?at=soon", 400, "invalid", "", "at"},
			{admin, "/api/v1/compliance/score?history=maybe", 400, "invalid", "", "history"},
			{admin, "/api/v1/compliance/score?history=1&at=2025-01-01", 400, "invalid", "", "at"},
			{ts.key(keeptrail.RoleGateway), "/api/v1/compliance/score", 403, "forbidden", "role gateway may not read compliance figures", ""},
		}
		for _, tt := range tests {
			var e errorBody
			ts.call("GET", tt.path, tt.token, nil, tt.status, &e)
			if e.Error.Code != tt.code || (tt.message != "" && e.Error.Message != tt.message) ||
				(tt.field != "" && (len(e.Error.Fields) != 1 || e.Error.Fields[0].Field != tt.field)) {
				t.Errorf("%s: %+v", tt.path, e.Error)
			}
		}
	})
}

// TestComplianceWeightsFromServe checks that the service given to the server (with the
// configuration file's weights) answers the endpoints.
func TestComplianceWeightsFromServe(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ts := newTestServer(t, db, web.Config{})
		ts.gatewayNamed("gw-1", "payments")
		svc, err := compliance.New(db, compliance.Options{Weights: compliance.Weights{PolicyCoverage: 1}})
		if err != nil {
			t.Fatal(err)
		}
		ts.srv.UseCompliance(svc)
		var sc compliance.Score
		ts.call("GET", "/api/v1/compliance/score", ts.key(keeptrail.RoleAdmin), nil, http.StatusOK, &sc)
		// Only policy coverage weighs, and gw-1 has no policy: 0.
		if sc.Score != 0 || sc.Components[0].MaxPoints != 100 || sc.Components[1].Weight != 0 {
			t.Errorf("score with coverage-only weights: %+v", sc)
		}
	})
}
