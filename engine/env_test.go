package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/engine"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// cheapCost keeps password hashing fast in tests; the defaults stay strong.
var cheapCost = engine.PasswordCost{Time: 1, MemoryKiB: 64, Threads: 1}

// start is the fake clock's time at the beginning of every test.
var start = time.Date(2025, 2, 3, 10, 0, 0, 0, time.UTC)

// clock is a settable clock shared by the engine and the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is one test database with an engine and two teams, each with a gateway.
type env struct {
	t        *testing.T
	db       *sqlstore.DB
	e        *engine.Engine
	clock    *clock
	payments keeptrail.Team
	research keeptrail.Team
	gwPay    keeptrail.Gateway
	gwRes    keeptrail.Gateway
	seq      int // for unique names
}

// each runs fn on SQLite and PostgreSQL, each with a fresh env, in parallel with the
// other tests (each has databases of its own).
func each(t *testing.T, fn func(t *testing.T, x *env)) {
	t.Parallel()
	c := &clock{t: start}
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		c.Set(start)
		x := &env{t: t, db: db, clock: c}
		x.e = engine.New(db, engine.Options{Now: c.Now, PasswordCost: cheapCost})
		err := db.Update(context.Background(), func(tx keeptrail.Tx) error {
			var err error
			if x.payments, _, err = tx.EnsureTeam("payments"); err != nil {
				return err
			}
			if x.research, _, err = tx.EnsureTeam("research"); err != nil {
				return err
			}
			if x.gwPay, _, err = tx.EnsureGateway("gw-pay-1", x.payments.ID); err != nil {
				return err
			}
			x.gwRes, _, err = tx.EnsureGateway("gw-res-1", x.research.ID)
			return err
		})
		if err != nil {
			t.Fatalf("seed: %v", err)
		}
		fn(t, x)
	}, sqlstore.Options{Now: c.Now})
}

func (x *env) name(base string) string {
	x.seq++
	return fmt.Sprintf("%s-%d", base, x.seq)
}

// Principals of the matrix.
func (x *env) admin() *keeptrail.Principal {
	return &keeptrail.Principal{Kind: keeptrail.ActorUser, UserID: 9001, Name: "ada@acme.example", Role: keeptrail.RoleAdmin, AllTeams: true, SourceIP: "198.51.100.1"}
}

func (x *env) officer() *keeptrail.Principal {
	return &keeptrail.Principal{Kind: keeptrail.ActorUser, UserID: 9002, Name: "cora@acme.example", Role: keeptrail.RoleComplianceOfficer, AllTeams: true, SourceIP: "198.51.100.2"}
}

// teamAdmin is a team admin of payments.
func (x *env) teamAdmin() *keeptrail.Principal {
	return &keeptrail.Principal{Kind: keeptrail.ActorUser, UserID: 9003, Name: "tom@acme.example", Role: keeptrail.RoleTeamAdmin, TeamIDs: []int64{x.payments.ID}, SourceIP: "198.51.100.3"}
}

func (x *env) auditor() *keeptrail.Principal {
	return &keeptrail.Principal{Kind: keeptrail.ActorUser, UserID: 9004, Name: "audrey@acme.example", Role: keeptrail.RoleAuditor, AllTeams: true, SourceIP: "198.51.100.4"}
}

func (x *env) viewer() *keeptrail.Principal {
	return &keeptrail.Principal{Kind: keeptrail.ActorUser, UserID: 9005, Name: "vic@acme.example", Role: keeptrail.RoleViewer, AllTeams: true, SourceIP: "198.51.100.5"}
}

func (x *env) gatewayKey() *keeptrail.Principal {
	return &keeptrail.Principal{Kind: keeptrail.ActorAPIKey, APIKeyID: 77, Name: "key:gwkey234", Role: keeptrail.RoleGateway, AllTeams: true, SourceIP: "198.51.100.6"}
}

func as(p *keeptrail.Principal) context.Context {
	return keeptrail.NewContextWithPrincipal(context.Background(), p)
}

func (x *env) asAdmin() context.Context { return as(x.admin()) }

// head returns the audit log's last sequence number.
func (x *env) head() int64 {
	x.t.Helper()
	var seq int64
	err := x.db.View(context.Background(), func(tx keeptrail.Tx) error {
		var err error
		seq, _, err = tx.AuditHead()
		return err
	})
	if err != nil {
		x.t.Fatalf("audit head: %v", err)
	}
	return seq
}

// since returns the audit entries after seq.
func (x *env) since(seq int64) []keeptrail.AuditEntry {
	x.t.Helper()
	var out []keeptrail.AuditEntry
	err := x.db.View(context.Background(), func(tx keeptrail.Tx) error {
		return tx.AuditEntries(seq+1, 0, func(e keeptrail.AuditEntry) error {
			out = append(out, e)
			return nil
		})
	})
	if err != nil {
		x.t.Fatalf("audit entries: %v", err)
	}
	return out
}

// entry is what a test expects of an audit entry.
type entry struct {
	Actor    string
	Action   string
	Category string
	TeamID   *int64
	Target   string
	Severity keeptrail.Severity
	Outcome  string
	Details  string // exact compact JSON; "" skips the check
}

func team(id int64) *int64 { return &id }

func fmtTeam(id *int64) string {
	if id == nil {
		return "none"
	}
	return fmt.Sprint(*id)
}

// expect checks that exactly the wanted audit entries were written after seq.
func (x *env) expect(t *testing.T, seq int64, want ...entry) {
	t.Helper()
	got := x.since(seq)
	if len(got) != len(want) {
		for _, g := range got {
			t.Logf("got entry %d: %s %s %s team=%s %s %s", g.Seq, g.Action, g.Outcome, g.Target, fmtTeam(g.TeamID), g.Actor, g.Details)
		}
		t.Fatalf("%d audit entries written, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		gotE := entry{Actor: g.Actor, Action: g.Action, Category: g.Category, TeamID: g.TeamID, Target: g.Target,
			Severity: g.Severity, Outcome: g.Outcome, Details: string(g.Details)}
		if w.Details == "" {
			gotE.Details = ""
		}
		if gotE.Actor != w.Actor || gotE.Action != w.Action || gotE.Category != w.Category ||
			fmtTeam(gotE.TeamID) != fmtTeam(w.TeamID) || gotE.Target != w.Target || gotE.Severity != w.Severity ||
			gotE.Outcome != w.Outcome || gotE.Details != w.Details {
			t.Errorf("audit entry %d:\n got  %s\n want %s", i, show(gotE), show(w))
		}
	}
}

func show(e entry) string {
	return fmt.Sprintf("actor=%s action=%s category=%s team=%s target=%s severity=%s outcome=%s details=%s",
		e.Actor, e.Action, e.Category, fmtTeam(e.TeamID), e.Target, e.Severity, e.Outcome, e.Details)
}

// wantCode fails the test unless err has the code ("" for nil).
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := keeptrail.ErrorCode(err); got != code {
		t.Fatalf("error code %q (%v), want %q", got, err, code)
	}
}

// wantFields fails the test unless err is EINVALID naming exactly these fields.
func wantFields(t *testing.T, err error, fields ...string) {
	t.Helper()
	wantCode(t, err, keeptrail.EINVALID)
	e := err.(*keeptrail.Error)
	var got []string
	for _, f := range e.Fields {
		got = append(got, f.Field)
	}
	if fmt.Sprint(got) != fmt.Sprint(fields) {
		t.Fatalf("invalid fields %v (%v), want %v", got, err, fields)
	}
}

// escalation opens an escalation in the team of gw via the store, as ingest would.
func (x *env) escalation(gw keeptrail.Gateway, status keeptrail.EscalationStatus) keeptrail.Escalation {
	x.t.Helper()
	now := x.clock.Now()
	es := []keeptrail.Escalation{{}}
	err := x.db.Update(context.Background(), func(tx keeptrail.Tx) error {
		ev := []keeptrail.DecisionEvent{{RequestID: x.name("req"), Time: now, GatewayID: gw.ID, Gateway: gw.Name,
			TeamID: gw.TeamID, Decision: keeptrail.DecisionEscalated, Severity: keeptrail.SeverityHigh, PoliciesEvaluated: 1}}
		if _, err := tx.InsertEvents(ev); err != nil {
			return err
		}
		es[0] = keeptrail.Escalation{EventID: ev[0].ID, RequestID: ev[0].RequestID, GatewayID: gw.ID, TeamID: gw.TeamID,
			Severity: keeptrail.SeverityHigh, OpenedAt: now, SLADueAt: now.Add(4 * time.Hour),
			ExpiresAt: now.Add(28 * time.Hour), Status: status}
		return tx.CreateEscalations(es)
	})
	if err != nil {
		x.t.Fatalf("create escalation: %v", err)
	}
	return es[0]
}

// policy creates a policy in the team as admin.
func (x *env) policy(tm keeptrail.Team) keeptrail.Policy {
	x.t.Helper()
	p, err := x.e.CreatePolicy(x.asAdmin(), engine.PolicyInput{Name: x.name("pii-guard"), Kind: "pii", Team: tm.Name,
		Rules: json.RawMessage(`{"block":["ssn"]}`)})
	if err != nil {
		x.t.Fatalf("create policy: %v", err)
	}
	return p
}

// wallet creates a wallet in the team as admin.
func (x *env) wallet(tm keeptrail.Team) keeptrail.Wallet {
	x.t.Helper()
	w, err := x.e.CreateWallet(x.asAdmin(), tm.Name, x.name("llm-spend"), 1000)
	if err != nil {
		x.t.Fatalf("create wallet: %v", err)
	}
	return w
}

// costTicket opens a cost ticket on a new wallet of the team as admin.
func (x *env) costTicket(tm keeptrail.Team) keeptrail.CostTicket {
	x.t.Helper()
	c, err := x.e.OpenCostTicket(x.asAdmin(), x.wallet(tm).ID, "over budget", 120.5)
	if err != nil {
		x.t.Fatalf("open cost ticket: %v", err)
	}
	return c
}

// user creates a user as admin.
func (x *env) user(role keeptrail.Role, teams ...string) keeptrail.User {
	x.t.Helper()
	u, err := x.e.CreateUser(x.asAdmin(), engine.NewUser{Email: x.name("user") + "@acme.example", Name: "Some One",
		Role: role, Teams: teams, Password: "correct horse battery"})
	if err != nil {
		x.t.Fatalf("create user: %v", err)
	}
	return u
}

// apiKey creates an API key as admin and returns it with its token.
func (x *env) apiKey(role keeptrail.Role, teams ...string) (keeptrail.APIKey, string) {
	x.t.Helper()
	k, tok, err := x.e.CreateAPIKey(x.asAdmin(), engine.NewAPIKey{Name: x.name("key"), Role: role, Teams: teams})
	if err != nil {
		x.t.Fatalf("create api key: %v", err)
	}
	return k, tok
}

// version creates a configuration version as admin.
func (x *env) version() keeptrail.ConfigurationVersion {
	x.t.Helper()
	v, err := x.e.CreateConfigurationVersion(x.asAdmin(), engine.ConfigurationInput{ChangeSummary: "baseline",
		Content: json.RawMessage(`{"policies":[{"name":"pii-guard","kind":"pii"}]}`)})
	if err != nil {
		x.t.Fatalf("create configuration version: %v", err)
	}
	return v
}

// alertingRule creates an alerting rule as admin.
func (x *env) alertingRule() keeptrail.AlertingRule {
	x.t.Helper()
	r, err := x.e.CreateAlertingRule(x.asAdmin(), engine.AlertingRuleInput{Name: x.name("error-rate"), Metric: "error_rate",
		Condition: "> 0.05 for 10m", Channel: "email:secops@acme.example"})
	if err != nil {
		x.t.Fatalf("create alerting rule: %v", err)
	}
	return r
}
