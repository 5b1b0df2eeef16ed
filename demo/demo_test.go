package demo_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/demo"
	"github.com/keeptrail/keeptrail/engine"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// cheap is a password cost for tests.
var cheap = engine.PasswordCost{Time: 1, MemoryKiB: 64, Threads: 1}

// A small run: 5,000 events over two weeks.
var (
	from   = time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	to     = time.Date(2025, 1, 20, 0, 0, 0, 0, time.UTC)
	events = 5000
)

// run fills a fresh database of the kind open makes.
func run(t *testing.T, open func(testing.TB, ...sqlstore.Options) *sqlstore.DB, seed int64) (*sqlstore.DB, demo.Summary) {
	t.Helper()
	clock := &demo.Clock{}
	db := open(t, sqlstore.Options{Now: clock.Now})
	var stages []string
	s, err := demo.Run(context.Background(), db, demo.Options{Seed: seed, Events: events, From: from, To: to,
		Clock: clock, PasswordCost: cheap, Progress: func(stage string, done, total int) {
			if len(stages) == 0 || stages[len(stages)-1] != stage {
				stages = append(stages, stage)
			}
			if done > total {
				t.Errorf("progress %s: %d of %d", stage, done, total)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(stages, ","); got != "setup,events,done" {
		t.Errorf("progress stages %s", got)
	}
	if now := clock.Now(); time.Since(now) > time.Minute {
		t.Errorf("the clock reads %v after the run, not the real time", now)
	}
	return db, s
}

func TestRun(t *testing.T) {
	var mu sync.Mutex
	digests := map[string]string{}
	testdb.Each(t, func(t *testing.T, db0 *sqlstore.DB) {
		open := testdb.SQLite
		if db0.Dialect() == "postgres" {
			open = testdb.Postgres
		}
		db, s := run(t, open, 42)
		checkSummary(t, db, s)
		checkEvents(t, db)
		checkEscalations(t, db)
		checkGateways(t, db)
		checkConfiguration(t, db)
		checkAuditLog(t, db)
		checkPeople(t, db)
		checkCredentials(t, db, s)
		mu.Lock()
		digests[db.Dialect()] = digest(t, db)
		mu.Unlock()
	})
	// The same seed gives the same rows on both databases; without PostgreSQL, a second
	// SQLite run stands in.
	if len(digests) == 1 {
		db, _ := run(t, testdb.SQLite, 42)
		digests["sqlite again"] = digest(t, db)
	}
	var first string
	for k, d := range digests {
		if first == "" {
			first = d
		}
		if d != first {
			t.Fatalf("digests differ: %v (%s)", digests, k)
		}
	}
	other, _ := run(t, testdb.SQLite, 43)
	if digest(t, other) == first {
		t.Fatal("another seed gave the same rows")
	}
}

func query[T any](t *testing.T, db *sqlstore.DB, q string, scan func(*sql.Rows) (T, error)) []T {
	t.Helper()
	rows, err := db.SQL().Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// counts runs a "SELECT key, COUNT(*) ... GROUP BY key" query.
func counts(t *testing.T, db *sqlstore.DB, q string) map[string]int {
	t.Helper()
	m := map[string]int{}
	for _, kv := range query(t, db, q, func(r *sql.Rows) ([2]string, error) {
		var k sql.NullString
		var n int
		err := r.Scan(&k, &n)
		return [2]string{k.String, strconv.Itoa(n)}, err
	}) {
		m[kv[0]], _ = strconv.Atoi(kv[1])
	}
	return m
}

func one(t *testing.T, db *sqlstore.DB, q string) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func checkSummary(t *testing.T, db *sqlstore.DB, s demo.Summary) {
	want := demo.Summary{Teams: 6, Users: 27, Gateways: 12, Policies: 20, ConfigurationVersions: 30, Events: events,
		Escalations: one(t, db, "SELECT COUNT(*) FROM escalations"), AuditEntries: one(t, db, "SELECT COUNT(*) FROM audit_entries"),
		AdminEmail: "admin@acme-health.example", AdminPassword: "keeptrail-demo-42", APIKey: s.APIKey}
	if s != want {
		t.Errorf("summary\n got  %+v\n want %+v", s, want)
	}
	if s.Escalations == 0 || s.AuditEntries < 1000 {
		t.Errorf("summary %+v", s)
	}
	for table, n := range map[string]int{"teams": 6, "users": 27, "gateways": 12, "policies": 20, "configuration_versions": 30, "decision_events": events} {
		if got := one(t, db, "SELECT COUNT(*) FROM "+table); got != n {
			t.Errorf("%d %s, want %d", got, table, n)
		}
	}
}

func checkEvents(t *testing.T, db *sqlstore.DB) {
	dec := counts(t, db, "SELECT decision, COUNT(*) FROM decision_events GROUP BY decision")
	if dec["allowed"] < events*85/100 || dec["blocked"] < events/50 || dec["escalated"] == 0 {
		t.Errorf("decisions %v", dec)
	}
	cats := counts(t, db, "SELECT categories, COUNT(*) FROM decision_events GROUP BY categories")
	if cats[`["phi"]`] == 0 || cats[`["pii"]`] == 0 {
		t.Errorf("categories %v", cats)
	}
	// Rhythm: weekdays busier than weekends, working hours (Eastern) busier than nights.
	var weekday, weekend, work, night int
	for _, at := range query(t, db, "SELECT occurred_at FROM decision_events", func(r *sql.Rows) (int64, error) {
		var v int64
		return v, r.Scan(&v)
	}) {
		ts := time.UnixMicro(at).UTC()
		if !ts.Before(to) || ts.Before(from) {
			t.Fatalf("event at %v outside the period", ts)
		}
		local := ts.Add(-5 * time.Hour)
		if local.Weekday() == time.Saturday || local.Weekday() == time.Sunday {
			weekend++
		} else {
			weekday++
		}
		switch h := local.Hour(); {
		case h >= 9 && h < 17:
			work++
		case h < 6:
			night++
		}
	}
	// per day: 10 weekdays, 4 weekend days; per hour: 8 working hours, 6 night hours
	if weekday/10 < 2*weekend/4 || work/8 < 5*night/6 {
		t.Errorf("no rhythm: %d weekday, %d weekend, %d working hours, %d night", weekday, weekend, work, night)
	}
	if n := one(t, db, "SELECT COUNT(*) FROM decision_events e JOIN gateways g ON g.id = e.gateway_id WHERE g.name = 'gw-research-lab-1' AND e.decision <> 'allowed'"); n != 0 {
		t.Errorf("a gateway without policies blocked or escalated %d events", n)
	}
}

func checkEscalations(t *testing.T, db *sqlstore.DB) {
	escalated := one(t, db, "SELECT COUNT(*) FROM decision_events WHERE decision = 'escalated'")
	if n := one(t, db, "SELECT COUNT(*) FROM escalations"); n != escalated || n < 7 {
		t.Fatalf("%d escalations for %d escalated events", n, escalated)
	}
	// SLA by severity, and expiry a day after it.
	sla := map[string]int64{"critical": 60, "high": 240, "medium": 1440, "low": 4320}
	for _, e := range query(t, db, "SELECT x.severity, x.opened_at, x.sla_due_at, x.expires_at, e.occurred_at FROM escalations x JOIN decision_events e ON e.id = x.event_id",
		func(r *sql.Rows) ([5]int64, error) {
			var sev string
			var v [5]int64
			err := r.Scan(&sev, &v[1], &v[2], &v[3], &v[4])
			v[0] = sla[sev]
			return v, err
		}) {
		min := int64(time.Minute / time.Microsecond)
		if e[1] != e[4] || e[2] != e[1]+e[0]*min || e[3] != e[2]+1440*min {
			t.Fatalf("escalation times %v", e)
		}
	}
	st := counts(t, db, "SELECT status || ':' || outcome, COUNT(*) FROM escalations GROUP BY status || ':' || outcome")
	for _, k := range []string{"resolved:approved", "resolved:denied", "resolved:false_positive", "resolved:policy_updated", "expired:"} {
		if st[k] == 0 {
			t.Errorf("no escalation %s: %v", k, st)
		}
	}
	acts := counts(t, db, "SELECT action, COUNT(*) FROM escalation_actions GROUP BY action")
	for _, a := range []string{"claim", "reassign", "resolve", "expire"} {
		if acts[a] == 0 {
			t.Errorf("no %s action: %v", a, acts)
		}
	}
	if n := one(t, db, "SELECT COUNT(*) FROM escalations WHERE resolved_at > sla_due_at"); n == 0 {
		t.Error("no escalation resolved after its SLA")
	}
	if n := one(t, db, "SELECT COUNT(*) FROM escalations WHERE resolved_at <= sla_due_at"); n == 0 {
		t.Error("no escalation resolved within its SLA")
	}
	// Every action happens after the escalation opened.
	if n := one(t, db, "SELECT COUNT(*) FROM escalation_actions a JOIN escalations x ON x.id = a.escalation_id WHERE a.at < x.opened_at"); n != 0 {
		t.Errorf("%d actions before their escalation opened", n)
	}
}

func checkGateways(t *testing.T, db *sqlstore.DB) {
	type gw struct {
		name     string
		version  int64
		policies int
		tls      string
	}
	gws := query(t, db, `SELECT g.name, COALESCE(g.running_version, 0), g.tls_min_version,
		(SELECT COUNT(*) FROM policy_gateways pg JOIN policies p ON p.id = pg.policy_id WHERE pg.gateway_id = g.id AND p.active)
		FROM gateways g ORDER BY g.name`, func(r *sql.Rows) (gw, error) {
		var g gw
		return g, r.Scan(&g.name, &g.version, &g.tls, &g.policies)
	})
	var outdated, unprotected []string
	for _, g := range gws {
		if g.version != 30 {
			outdated = append(outdated, fmt.Sprintf("%s@%d", g.name, g.version))
		}
		if g.policies == 0 {
			unprotected = append(unprotected, g.name)
		}
	}
	if got := strings.Join(outdated, ","); got != "gw-claims-us-central-1@27,gw-research-lab-1@4,gw-support-eu-west-1@21" {
		t.Errorf("outdated gateways %s", got)
	}
	if got := strings.Join(unprotected, ","); got != "gw-research-lab-1,gw-research-us-west-2" {
		t.Errorf("gateways without an active policy %s", got)
	}
	// One gateway is silent for a whole day of the period; the others report every 15
	// minutes of every day.
	perDay := query(t, db, `SELECT g.name, COUNT(*) FROM heartbeats h JOIN gateways g ON g.id = h.gateway_id
		WHERE h.occurred_at >= `+strconv.FormatInt(from.UnixMicro(), 10)+` GROUP BY g.name ORDER BY g.name`,
		func(r *sql.Rows) (string, error) {
			var name string
			var n int
			err := r.Scan(&name, &n)
			return fmt.Sprintf("%s:%d", name, n), err
		})
	days := int(to.Sub(from) / (24 * time.Hour))
	silent := 0
	for _, s := range perDay {
		name, n, _ := strings.Cut(s, ":")
		switch n {
		case strconv.Itoa(days * 96):
		case strconv.Itoa((days - 1) * 96):
			if name != "gw-platform-ap-southeast-1" {
				t.Errorf("%s missed a day", name)
			}
			silent++
		default:
			t.Errorf("heartbeats %s", s)
		}
	}
	if silent != 1 || len(perDay) != 12 {
		t.Errorf("heartbeats per gateway %v", perDay)
	}
	if n := one(t, db, "SELECT COUNT(*) FROM decision_events e JOIN gateways g ON g.id = e.gateway_id WHERE g.name = 'gw-platform-ap-southeast-1'"); n == 0 {
		t.Error("the silent gateway has no events at all")
	}
}

func checkConfiguration(t *testing.T, db *sqlstore.DB) {
	if n := one(t, db, "SELECT COUNT(*) FROM configuration_versions WHERE NOT validation_passed"); n != 3 {
		t.Errorf("%d versions failed validation, want 3", n)
	}
	unvalidated := query(t, db, `SELECT d.version || '@' || g.name FROM deployments d JOIN gateways g ON g.id = d.gateway_id
		JOIN configuration_versions c ON c.version = d.version WHERE NOT c.validation_passed ORDER BY d.version, g.name`,
		func(r *sql.Rows) (string, error) {
			var s string
			return s, r.Scan(&s)
		})
	if got := strings.Join(unvalidated, ","); got != "8@gw-pay-eu-west-1,17@gw-pay-eu-west-1,17@gw-support-us-east-1" {
		t.Errorf("unvalidated deployments %s", got)
	}
	src := counts(t, db, "SELECT source, COUNT(*) FROM deployments GROUP BY source")
	if src["api"] < 30*8 || src["heartbeat"] == 0 {
		t.Errorf("deployments by source %v", src)
	}
	if n := one(t, db, "SELECT COUNT(*) FROM deployments d JOIN configuration_versions c ON c.version = d.version WHERE d.deployed_at < c.created_at"); n != 0 {
		t.Errorf("%d deployments before their version existed", n)
	}
}

func checkAuditLog(t *testing.T, db *sqlstore.DB) {
	var prev keeptrail.AuditEntry
	n := 0
	err := db.View(context.Background(), func(tx keeptrail.Tx) error {
		return tx.AuditEntries(1, 0, func(e keeptrail.AuditEntry) error {
			n++
			switch {
			case e.Seq != int64(n):
				return fmt.Errorf("seq %d at position %d", e.Seq, n)
			case e.Hash != e.ComputeHash():
				return fmt.Errorf("entry %d: hash does not match", e.Seq)
			case n > 1 && e.PrevHash != prev.Hash:
				return fmt.Errorf("entry %d: chain broken", e.Seq)
			case e.Time.Before(prev.Time):
				return fmt.Errorf("entry %d (%s) at %v is before entry %d (%s) at %v", e.Seq, e.Action, e.Time, prev.Seq, prev.Action, prev.Time)
			case e.Time.Before(from.Add(-24*time.Hour)) || e.Time.After(to):
				return fmt.Errorf("entry %d at %v outside the demo", e.Seq, e.Time)
			}
			prev = e
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	cats := counts(t, db, "SELECT category, COUNT(*) FROM audit_entries GROUP BY category")
	for _, c := range keeptrail.AuditCategories {
		if cats[c] == 0 && c != keeptrail.CategoryExport {
			t.Errorf("no %s entries: %v", c, cats)
		}
	}
	actions := counts(t, db, "SELECT action || ':' || outcome, COUNT(*) FROM audit_entries GROUP BY action || ':' || outcome")
	for _, a := range []string{"auth.login:success", "auth.login_failed:failure", "auth.mfa_challenge:success", "auth.mfa_challenge:failure",
		"auth.logout:success", "auth.api_key_rejected:failure", "user.created:success", "user.role_changed:success",
		"team.membership_changed:success", "user.provisioned:success", "user.deprovisioned:success", "session.revoked:success",
		"api_key.created:success", "api_key.rotated:success", "api_key.revoked:success", "sso.configuration_changed:success",
		"mfa.policy_changed:success", "wallet.allocation:success", "wallet.top_up:success", "cost_ticket.opened:success",
		"cost_ticket.resolved:success", "alerting_rule.created:success", "alerting_rule.updated:success",
		"policy.updated:success", "policy.deactivated:success", "policy.activated:success", "policy.assigned:success",
		"configuration.deployed:success", "escalation.expired:success", "ingest.events:success", "ingest.heartbeats:success",
		"ingest.audit:success"} {
		if actions[a] == 0 {
			t.Errorf("no %s entry", a)
		}
	}
	// The burst: at least 14 failed sign-ins from one address within five minutes.
	burst := query(t, db, "SELECT at FROM audit_entries WHERE action = 'auth.login_failed' AND source_ip = '203.0.113.66' ORDER BY at",
		func(r *sql.Rows) (int64, error) {
			var v int64
			return v, r.Scan(&v)
		})
	if len(burst) != 14 || burst[13]-burst[0] > int64(5*time.Minute/time.Microsecond) {
		t.Errorf("burst of %d failed sign-ins", len(burst))
	}
	// Outside entries keep their source: the identity provider, as external actors.
	if n := one(t, db, "SELECT COUNT(*) FROM audit_entries WHERE actor_kind = 'external' AND action = 'auth.login'"); n < 50 {
		t.Errorf("%d identity provider sign-ins", n)
	}
}

func checkPeople(t *testing.T, db *sqlstore.DB) {
	mfa := counts(t, db, "SELECT CASE WHEN mfa_enrolled THEN 'yes' ELSE 'no' END, COUNT(*) FROM users WHERE active GROUP BY 1")
	if mfa["yes"] == 0 || mfa["no"] == 0 {
		t.Errorf("users with and without MFA: %v", mfa)
	}
	if n := one(t, db, "SELECT COUNT(*) FROM users WHERE NOT active AND deactivated_at IS NOT NULL"); n != 2 {
		t.Errorf("%d deprovisioned users, want 2", n)
	}
	if n := one(t, db, "SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NOT NULL"); n != 2 {
		t.Errorf("%d revoked keys, want 2", n)
	}
}

// checkCredentials signs in with what the summary says.
func checkCredentials(t *testing.T, db *sqlstore.DB, s demo.Summary) {
	eng := engine.New(db, engine.Options{PasswordCost: cheap})
	p, err := eng.Login(context.Background(), s.AdminEmail, s.AdminPassword, "127.0.0.1")
	if err != nil || p.Role != keeptrail.RoleAdmin {
		t.Errorf("admin sign-in: %v", err)
	}
	p, err = eng.Authenticate(context.Background(), s.APIKey, "127.0.0.1")
	if err != nil || p.Role != keeptrail.RoleAdmin || !p.AllTeams {
		t.Errorf("admin API key: %+v, %v", p, err)
	}
}

// digest hashes the events, escalations and escalation actions as the API would show them.
func digest(t *testing.T, db *sqlstore.DB) string {
	t.Helper()
	h := sha256.New()
	str := func(r *sql.Rows, n int) (string, error) {
		vals := make([]any, n)
		ptrs := make([]any, n)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			return "", err
		}
		var b strings.Builder
		for _, v := range vals {
			switch x := v.(type) {
			case []byte:
				b.Write(x)
			case float64:
				b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
			default:
				fmt.Fprint(&b, x)
			}
			b.WriteByte('|')
		}
		return b.String(), nil
	}
	for _, q := range []struct {
		sql string
		n   int
	}{
		{`SELECT e.request_id, e.occurred_at, g.name, t.name, e.user_name, e.model, e.decision, e.severity, e.policies_evaluated,
			e.rules_matched, e.categories, e.latency_ms, e.tokens_in, e.tokens_out, e.cost_usd
			FROM decision_events e JOIN gateways g ON g.id = e.gateway_id JOIN teams t ON t.id = e.team_id ORDER BY e.request_id`, 15},
		{`SELECT request_id, severity, opened_at, sla_due_at, expires_at, status, assignee, COALESCE(resolved_at, 0), outcome
			FROM escalations ORDER BY request_id`, 9},
		{`SELECT x.request_id, a.action, a.actor, a.at, a.assignee, a.outcome, a.note FROM escalation_actions a
			JOIN escalations x ON x.id = a.escalation_id ORDER BY x.request_id, a.at, a.id`, 7},
	} {
		rows := query(t, db, q.sql, func(r *sql.Rows) (string, error) { return str(r, q.n) })
		if len(rows) == 0 {
			t.Fatalf("nothing to digest: %s", q.sql)
		}
		for _, row := range rows {
			h.Write([]byte(row))
			h.Write([]byte{'\n'})
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestRunNeedsAnEmptyDatabase(t *testing.T) {
	db := testdb.SQLite(t)
	err := db.Update(context.Background(), func(tx keeptrail.Tx) error {
		return tx.CreateUser(&keeptrail.User{Email: "someone@example.com", Name: "Someone", Role: keeptrail.RoleViewer, Active: true})
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = demo.Run(context.Background(), db, demo.Options{Seed: 1, Events: 10, From: from, To: to, PasswordCost: cheap})
	if keeptrail.ErrorCode(err) != keeptrail.ECONFLICT {
		t.Fatalf("run on a database with users: %v", err)
	}
}

func TestRunPeriod(t *testing.T) {
	db := testdb.SQLite(t)
	for _, p := range [][2]time.Time{{to, from}, {from, from.Add(time.Hour)}} {
		_, err := demo.Run(context.Background(), db, demo.Options{Seed: 1, From: p[0], To: p[1]})
		if keeptrail.ErrorCode(err) != keeptrail.EINVALID {
			t.Fatalf("period %v: %v", p, err)
		}
	}
	f, tt := demo.DefaultPeriod(time.Date(2025, 4, 1, 15, 4, 0, 0, time.FixedZone("x", 3600)))
	if !f.Equal(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) || !tt.Equal(time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("default period %v to %v", f, tt)
	}
}
