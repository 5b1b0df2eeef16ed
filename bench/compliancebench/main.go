// Command compliancebench measures policy compliance status and the compliance score on a
// large database (issue 4, point 5): it loads a quarter of decision events (10 million by
// default) through the store's ingest path, which keeps the rollups, then times status
// and score for the whole quarter and all teams, in-process, from the rollups and from a
// plain SQL scan of the raw rows (package compliance/recompute), checks that both give the
// same figures, and prints the medians and their ratio.
//
//	compliancebench -db FILE|postgres://... [-events 10000000] [-runs 21] [-raw-runs 3]
//
// A database that already holds the events is measured as it is (no reload), so a second
// run only measures. bench/compliance.sh runs it on SQLite and PostgreSQL.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/compliance"
	"github.com/keeptrail/keeptrail/compliance/recompute"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// profile is the file the rollup runs' CPU profile goes to ("": none).
var profile string

// The quarter the events fill, and the clock of the measurement (the quarter is over).
var (
	quarterStart = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	quarterEnd   = time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
)

func main() {
	dsn := flag.String("db", "", "SQLite file or postgres:// URL (with PostgreSQL, -schema is created in it)")
	schema := flag.String("schema", "keeptrail_bench_compliance", "PostgreSQL schema to load into")
	events := flag.Int("events", 10_000_000, "decision events to load")
	runs := flag.Int("runs", 21, "timed runs from the rollups")
	rawRuns := flag.Int("raw-runs", 3, "timed runs from the raw rows")
	batch := flag.Int("batch", 5000, "events per ingest transaction")
	drop := flag.Bool("drop", false, "drop the PostgreSQL schema and exit")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the timed runs from the rollups to this file")
	rebuild := flag.Bool("rebuild", false, "rebuild the rollups from the raw rows before measuring (timed)")
	flag.Parse()
	if *dsn == "" {
		fmt.Fprintln(os.Stderr, "compliancebench: -db is required")
		os.Exit(2)
	}
	profile = *cpuprofile
	if *drop {
		if err := dropSchema(context.Background(), *dsn, *schema); err != nil {
			fmt.Fprintln(os.Stderr, "compliancebench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(context.Background(), *dsn, *schema, *events, *runs, *rawRuns, *batch, *rebuild); err != nil {
		fmt.Fprintln(os.Stderr, "compliancebench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dsn, schema string, n, runs, rawRuns, batch int, rebuild bool) error {
	if strings.HasPrefix(dsn, "postgres") {
		var err error
		if dsn, err = inSchema(ctx, dsn, schema); err != nil {
			return err
		}
	}
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{Now: func() time.Time { return quarterEnd }})
	if err != nil {
		return err
	}
	defer db.Close()
	var have int64
	if err := db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM decision_events").Scan(&have); err != nil {
		return err
	}
	if have == 0 {
		if err := load(ctx, db, n, batch); err != nil {
			return err
		}
	} else {
		fmt.Printf("database already holds %d decision events: measuring them\n", have)
		n = int(have)
	}
	if rebuild {
		start := time.Now()
		if err := db.Update(ctx, func(tx keeptrail.Tx) error { return tx.RebuildComplianceRollups() }); err != nil {
			return fmt.Errorf("rebuild rollups: %w", err)
		}
		fmt.Printf("rollups rebuilt from the raw rows in %s\n", time.Since(start).Round(time.Millisecond))
	}
	if err := analyze(ctx, db); err != nil {
		return err
	}
	return measure(ctx, db, n, runs, rawRuns)
}

// inSchema creates the schema and returns dsn with it as the search path.
func inSchema(ctx context.Context, dsn, schema string) (string, error) {
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS "`+strings.ReplaceAll(schema, `"`, ``)+`"`); err != nil {
		return "", fmt.Errorf("create schema: %w", err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// dropSchema drops the benchmark's PostgreSQL schema.
func dropSchema(ctx context.Context, dsn, schema string) error {
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer admin.Close()
	_, err = admin.ExecContext(ctx, `DROP SCHEMA IF EXISTS "`+strings.ReplaceAll(schema, `"`, ``)+`" CASCADE`)
	return err
}

// analyze refreshes the planner's statistics (and PostgreSQL's visibility map, which
// index-only scans need), as autovacuum would after a bulk load.
func analyze(ctx context.Context, db *sqlstore.DB) error {
	q := "ANALYZE"
	if db.Dialect() == "postgres" {
		q = "VACUUM ANALYZE"
	}
	start := time.Now()
	if _, err := db.SQL().ExecContext(ctx, q); err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	fmt.Printf("%s: %s\n", q, time.Since(start).Round(time.Millisecond))
	return nil
}

// organization is the generated organization.
type organization struct {
	teams    []keeptrail.Team
	gateways []keeptrail.Gateway
}

var teamNames = []string{"payments", "radiology", "claims", "customer-support", "research", "platform"}

var ruleNames = []string{"pii.ssn", "pii.email", "pii.phone", "pii.card", "pii.iban", "phi.mrn", "phi.dob", "phi.diagnosis",
	"secrets.aws_key", "secrets.private_key", "secrets.jwt", "injection.ignore_previous", "injection.system_prompt",
	"toxicity.harassment", "toxicity.hate", "cost.token_budget", "residency.eu", "model.not_allowed", "phi.member_id", "pii.address"}

// load stores the organization and n decision events spread over the quarter, in time
// order, batch events per transaction, with the escalations of escalated events and a
// heartbeat from every gateway every 15 minutes (but one gateway silent for a day).
func load(ctx context.Context, db *sqlstore.DB, n, batch int) error {
	start := time.Now()
	org, err := setup(ctx, db)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	span := quarterEnd.Sub(quarterStart)
	step := span / time.Duration(n)
	silentDay := quarterStart.Add(40 * 24 * time.Hour)
	settings := keeptrail.DefaultSettings()
	escalations := 0
	for first := 0; first < n; first += batch {
		events := make([]keeptrail.DecisionEvent, 0, batch)
		for k := first; k < min(first+batch, n); k++ {
			events = append(events, event(rng, org, k, quarterStart.Add(time.Duration(k)*step+time.Duration(rng.Int64N(int64(step))))))
		}
		err := db.Update(ctx, func(tx keeptrail.Tx) error {
			inserted, err := tx.InsertEvents(events)
			if err != nil {
				return err
			}
			var es []keeptrail.Escalation
			for _, i := range inserted {
				e := events[i]
				if e.Decision != keeptrail.DecisionEscalated {
					continue
				}
				due := e.Time.Add(time.Duration(settings.SLAMinutes[e.Severity]) * time.Minute)
				x := keeptrail.Escalation{EventID: e.ID, RequestID: e.RequestID, GatewayID: e.GatewayID, TeamID: e.TeamID,
					Severity: e.Severity, OpenedAt: e.Time, SLADueAt: due, ExpiresAt: due.Add(24 * time.Hour), Status: keeptrail.EscalationResolved}
				switch r := rng.IntN(20); {
				case r < 17: // within the SLA
					t := e.Time.Add(time.Duration(rng.Int64N(int64(due.Sub(e.Time)))))
					x.ResolvedAt, x.Outcome = &t, "approved"
				case r < 19: // late
					t := due.Add(time.Duration(1+rng.IntN(600)) * time.Minute)
					x.ResolvedAt, x.Outcome = &t, "denied"
				default:
					x.Status = keeptrail.EscalationExpired
				}
				es = append(es, x)
			}
			escalations += len(es)
			if len(es) == 0 {
				return nil
			}
			return tx.CreateEscalations(es)
		})
		if err != nil {
			return fmt.Errorf("load events %d-%d: %w", first, first+len(events)-1, err)
		}
		if first/batch%200 == 0 {
			fmt.Printf("  %d of %d events loaded (%.0f/s)\n", first+len(events), n, float64(first+len(events))/time.Since(start).Seconds())
		}
	}
	var hbs []keeptrail.Heartbeat
	flush := func() error {
		err := db.Update(ctx, func(tx keeptrail.Tx) error { return tx.InsertHeartbeats(hbs) })
		hbs = hbs[:0]
		return err
	}
	for t := quarterStart; t.Before(quarterEnd); t = t.Add(15 * time.Minute) {
		for i, g := range org.gateways {
			if i == len(org.gateways)-1 && !t.Before(silentDay) && t.Before(silentDay.Add(24*time.Hour)) {
				continue
			}
			hbs = append(hbs, keeptrail.Heartbeat{GatewayID: g.ID, Time: t.Add(time.Duration(rng.IntN(600)) * time.Second), Healthy: true})
		}
		if len(hbs) >= 5000 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	took := time.Since(start)
	fmt.Printf("loaded %d decision events (%d escalations) and the heartbeats in %s: %.0f events/s, rollups kept at ingest\n",
		n, escalations, took.Round(time.Second), float64(n)/took.Seconds())
	return nil
}

// event returns the k-th decision event.
func event(rng *rand.Rand, org organization, k int, at time.Time) keeptrail.DecisionEvent {
	g := org.gateways[rng.IntN(len(org.gateways))]
	team := g.TeamID
	if rng.IntN(10) == 0 {
		// Shared traffic: the platform team's first gateway serves every team, as in the
		// demo organization.
		g = org.gateways[len(teamNames)-1]
		team = org.teams[rng.IntN(len(org.teams))].ID
	}
	e := keeptrail.DecisionEvent{RequestID: fmt.Sprintf("bench-%09d", k), Time: at, GatewayID: g.ID, TeamID: team,
		User: fmt.Sprintf("user%d@acme.example", rng.IntN(500)), Model: "gpt-4o", PoliciesEvaluated: 1 + rng.IntN(4)}
	switch r := rng.IntN(100); {
	case r < 85:
		e.Decision = keeptrail.DecisionAllowed
	case r < 97:
		e.Decision = keeptrail.DecisionBlocked
	default:
		e.Decision = keeptrail.DecisionEscalated
	}
	switch r := rng.IntN(100); {
	case r < 50:
		e.Severity = keeptrail.SeverityLow
	case r < 80:
		e.Severity = keeptrail.SeverityMedium
	case r < 95:
		e.Severity = keeptrail.SeverityHigh
	default:
		e.Severity = keeptrail.SeverityCritical
	}
	if rng.IntN(20) == 0 {
		e.PoliciesEvaluated = 0
	}
	if e.Decision != keeptrail.DecisionAllowed || rng.IntN(10) == 0 {
		for range 1 + rng.IntN(2) {
			e.RulesMatched = append(e.RulesMatched, ruleNames[rng.IntN(len(ruleNames))])
		}
	}
	return e
}

// setup stores the teams, gateways, policies, configuration versions, deployments, users
// and API keys.
func setup(ctx context.Context, db *sqlstore.DB) (organization, error) {
	var org organization
	err := db.Update(ctx, func(tx keeptrail.Tx) error {
		for _, name := range teamNames {
			t, _, err := tx.EnsureTeam(name)
			if err != nil {
				return err
			}
			org.teams = append(org.teams, t)
		}
		for i := range 12 {
			t := org.teams[i%len(org.teams)]
			g, _, err := tx.EnsureGateway(fmt.Sprintf("gw-%s-%d", t.Name, i/len(org.teams)+1), t.ID)
			if err != nil {
				return err
			}
			org.gateways = append(org.gateways, g)
		}
		for i, t := range org.teams {
			p := keeptrail.Policy{Name: "PII redaction", Kind: "pii", TeamID: t.ID, Active: true}
			for j, g := range org.gateways {
				if g.TeamID == t.ID && !(i == 4 && j%2 == 1) { // one research gateway has no policy
					p.GatewayIDs = append(p.GatewayIDs, g.ID)
				}
			}
			if err := tx.CreatePolicy(&p); err != nil {
				return err
			}
		}
		for v := range 30 {
			cv := keeptrail.ConfigurationVersion{Author: "ci", ChangeSummary: fmt.Sprintf("release %d", v+1), Content: []byte(`{}`),
				ValidationPassed: v != 24, CreatedAt: quarterStart.Add(time.Duration(v) * 3 * 24 * time.Hour)}
			if err := tx.CreateConfigurationVersion(&cv); err != nil {
				return err
			}
			for i, g := range org.gateways {
				if (i == 3 && v >= 20) || (i == 7 && v >= 26) { // two gateways fall behind
					continue
				}
				d := keeptrail.Deployment{GatewayID: g.ID, Version: int64(v + 1), DeployedAt: cv.CreatedAt.Add(time.Duration(i) * time.Hour),
					DeployedBy: "ci", Source: "api"}
				if err := tx.CreateDeployment(&d); err != nil {
					return err
				}
			}
		}
		for i := range 60 {
			u := keeptrail.User{Email: fmt.Sprintf("user%d@acme.example", i), Name: "user", Role: keeptrail.RoleViewer,
				TeamIDs: []int64{org.teams[i%len(org.teams)].ID}, MFAEnrolled: i%5 != 0, Active: true, CreatedAt: quarterStart}
			if err := tx.CreateUser(&u); err != nil {
				return err
			}
		}
		for i := range 20 {
			rotated := quarterEnd.Add(-time.Duration(10+i*7) * 24 * time.Hour)
			k := keeptrail.APIKey{Prefix: fmt.Sprintf("bench%03d", i), Name: "key", Role: keeptrail.RoleGateway, SecretHash: []byte("x"),
				TeamIDs: []int64{org.teams[i%len(org.teams)].ID}, CreatedAt: quarterStart.Add(-200 * 24 * time.Hour), RotatedAt: rotated}
			if err := tx.CreateAPIKey(&k); err != nil {
				return err
			}
		}
		s, err := tx.Settings()
		if err != nil {
			return err
		}
		s.SSOConfigured = true
		if err := tx.PutSettings(s); err != nil {
			return err
		}
		for i := range 1000 {
			e := keeptrail.AuditEntry{Time: quarterStart.Add(time.Duration(i) * 2 * time.Hour), ActorKind: keeptrail.ActorSystem,
				Actor: "bench", Action: "ingest.events", Category: keeptrail.CategoryIngest, Severity: keeptrail.SeverityLow, Outcome: "success"}
			if err := tx.AppendAudit(&e); err != nil {
				return err
			}
		}
		return nil
	})
	return org, err
}

// measure times status and score for the quarter from the rollups and from raw rows.
func measure(ctx context.Context, db *sqlstore.DB, n, runs, rawRuns int) error {
	clock := func() time.Time { return quarterEnd }
	window := quarterEnd.Sub(quarterStart)
	rollups, err := compliance.New(db, compliance.Options{Now: clock, Window: window})
	if err != nil {
		return err
	}
	raw, err := compliance.New(db, compliance.Options{Now: clock, Window: window, Counter: recompute.New(db.SQL(), db.Dialect())})
	if err != nil {
		return err
	}
	sys := keeptrail.NewContextWithPrincipal(ctx, keeptrail.SystemPrincipal("bench"))
	statusReq := compliance.StatusRequest{From: quarterStart, To: quarterEnd}
	scoreReq := compliance.ScoreRequest{From: quarterStart, At: quarterEnd}

	type result struct {
		name    string
		rollups time.Duration
		raw     time.Duration
	}
	var results []result
	var figures [2][2]any
	for i, m := range []struct {
		name string
		fn   func(*compliance.Service) (any, error)
	}{
		{"status", func(s *compliance.Service) (any, error) { return s.Status(sys, statusReq) }},
		{"score", func(s *compliance.Service) (any, error) { return s.Score(sys, scoreReq) }},
	} {
		stop, err := startProfile(m.name)
		if err != nil {
			return err
		}
		fast, v1, err := median(runs, func() (any, error) { return m.fn(rollups) })
		stop()
		if err != nil {
			return fmt.Errorf("%s from rollups: %w", m.name, err)
		}
		slow, v2, err := median(rawRuns, func() (any, error) { return m.fn(raw) })
		if err != nil {
			return fmt.Errorf("%s from raw rows: %w", m.name, err)
		}
		figures[i] = [2]any{v1, v2}
		results = append(results, result{m.name, fast, slow})
	}
	for i, name := range []string{"status", "score"} {
		a, _ := json.Marshal(figures[i][0])
		b, _ := json.Marshal(figures[i][1])
		if string(a) != string(b) {
			return fmt.Errorf("%s from the rollups differs from the raw rows:\n%s\n%s", name, a, b)
		}
	}
	st := figures[0][0].(compliance.Status)
	sc := figures[1][0].(compliance.Score)
	fmt.Printf("\n%s, %d decision events, quarter %s to %s, all teams: %d requests counted, score %.1f\n",
		db.Dialect(), n, quarterStart.Format(time.DateOnly), quarterEnd.Format(time.DateOnly), st.Requests, sc.Score)
	fmt.Printf("rollups and raw rows give the same status and score\n")
	fmt.Printf("%-8s %22s %22s %8s\n", "", fmt.Sprintf("rollups (median of %d)", runs), fmt.Sprintf("raw scan (median of %d)", rawRuns), "ratio")
	for _, r := range results {
		fmt.Printf("%-8s %22s %22s %7.0fx\n", r.name, r.rollups.Round(10*time.Microsecond), r.raw.Round(time.Millisecond), float64(r.raw)/float64(r.rollups))
	}
	return nil
}

// startProfile starts the CPU profile of one measure, if asked for.
func startProfile(name string) (func(), error) {
	if profile == "" {
		return func() {}, nil
	}
	f, err := os.Create(profile + "." + name)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// median runs fn once to warm up, then runs times, and returns the median duration and
// the last value.
func median(runs int, fn func() (any, error)) (time.Duration, any, error) {
	v, err := fn()
	if err != nil {
		return 0, nil, err
	}
	ds := make([]time.Duration, runs)
	for i := range ds {
		start := time.Now()
		if v, err = fn(); err != nil {
			return 0, nil, err
		}
		ds[i] = time.Since(start)
	}
	slices.Sort(ds)
	return ds[len(ds)/2], v, nil
}
