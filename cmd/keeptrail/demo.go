package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/auditlog"
	"github.com/keeptrail/keeptrail/demo"
	"github.com/keeptrail/keeptrail/engine"
	"github.com/keeptrail/keeptrail/sqlstore"
)

func (a *app) demoCommand() *cobra.Command {
	var (
		opts       demo.Options
		from, to   string
		serveAfter bool
		reset      bool
		serveOpts  serveOptions
	)
	cmd := &cobra.Command{
		Use:   "demo [--seed N] [--events N] [--from DATE --to DATE] [--serve] [--reset]",
		Short: "Fill the database with a realistic demo organization, then optionally serve it",
		Long: `Create a demo organization: teams, users with and without MFA, gateways (some without an
active policy, some on an outdated configuration version, one silent for a day), policies,
configuration versions with deployments, a period of decision events with a daily and weekly
rhythm, escalations with SLA breaches, spend, and audit entries of every category. Everything
goes through the same code paths as the API. The same seed and period give the same data.

On a database that already holds an organization, demo --serve just starts the server.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var err error
			if opts.From, err = parseDay("--from", from); err != nil {
				return err
			}
			if opts.To, err = parseDay("--to", to); err != nil {
				return err
			}
			if !opts.From.IsZero() && !opts.To.IsZero() && !opts.To.After(opts.From) {
				return usageError("--to: must be after --from")
			}
			if opts.Events < 0 {
				return usageError("--events: must not be negative")
			}
			if reset {
				if err := a.resetDatabase(); err != nil {
					return err
				}
			}
			// The store shares the demo's clock, so rows it stamps itself (created_at,
			// updated_at) carry the simulated time of the period being generated.
			clk := &demo.Clock{}
			opts.Clock = clk
			db, err := sqlstore.Open(ctx, a.dsn, sqlstore.Options{Now: clk.Now, Logger: a.logger()})
			if err != nil {
				return fmt.Errorf("open database %s: %w", redactDSN(a.dsn), err)
			}
			var teams []keeptrail.Team
			err = db.View(ctx, func(tx keeptrail.Tx) error {
				teams, err = tx.Teams(keeptrail.TeamScope{})
				return err
			})
			if err != nil {
				db.Close()
				return err
			}
			var sum demo.Summary
			if len(teams) > 0 {
				if !serveAfter {
					db.Close()
					return usageError("%s already holds an organization; pass --reset to recreate it, or --serve to serve it", redactDSN(a.dsn))
				}
				fmt.Fprintf(a.stderr, "%s already holds an organization; serving it as it is (use --reset to recreate it)\n", redactDSN(a.dsn))
				sum, err = a.demoAccess(ctx, db)
			} else {
				sum, err = a.runDemo(ctx, db, opts)
			}
			db.Close()
			if err != nil {
				return err
			}
			if !serveAfter {
				return a.printDemoSummary(sum, "")
			}
			return a.serve(ctx, serveOpts, func(url string) { a.printDemoSummary(sum, url) })
		},
	}
	f := cmd.Flags()
	f.Int64Var(&opts.Seed, "seed", 1, "random seed; the same seed and period give the same organization")
	f.IntVar(&opts.Events, "events", 200_000, "number of decision events")
	f.StringVar(&from, "from", "", "first day of the period (YYYY-MM-DD, UTC; default 90 days before today)")
	f.StringVar(&to, "to", "", "day after the period (YYYY-MM-DD, UTC; default today)")
	f.BoolVar(&serveAfter, "serve", false, "start the server afterwards")
	f.BoolVar(&reset, "reset", false, "delete the SQLite database file first")
	a.serveFlags(cmd, &serveOpts)
	return cmd
}

func (a *app) runDemo(ctx context.Context, db keeptrail.Store, opts demo.Options) (demo.Summary, error) {
	bar := a.newCountProgress(-1, "demo")
	stage := ""
	opts.Progress = func(s string, done, total int) {
		if s != stage {
			stage = s
			bar.finish()
			bar = a.newCountProgress(int64(total), s)
			if bar.bar == nil && !a.jsonOut {
				fmt.Fprintf(a.stderr, "demo: %s (%d)\n", s, total)
			}
		}
		bar.set(int64(done))
	}
	start := time.Now()
	sum, err := demo.Run(ctx, db, opts)
	bar.finish()
	if err != nil {
		return sum, fmt.Errorf("demo: %w", err)
	}
	if !a.jsonOut {
		fmt.Fprintf(a.stderr, "demo: organization created in %s\n", time.Since(start).Round(time.Millisecond))
	}
	// Sign a first checkpoint so the audit log's head is vouched for from the start.
	if signer, err := a.signer(); err == nil {
		if _, err := auditlog.Checkpoint(ctx, db, signer); err != nil {
			return sum, fmt.Errorf("sign audit checkpoint: %w", err)
		}
	} else {
		return sum, fmt.Errorf("audit checkpoint key: %w", err)
	}
	return sum, nil
}

// demoAccess issues a fresh admin API key for an existing organization so the printed
// instructions work; the key's creation is audited like any other.
func (a *app) demoAccess(ctx context.Context, db keeptrail.Store) (demo.Summary, error) {
	_, token, err := a.engine(db).CreateAPIKey(cliContext(ctx), engine.NewAPIKey{
		Name: "demo console " + time.Now().UTC().Format(time.DateTime), Role: keeptrail.RoleAdmin,
	})
	if err != nil {
		return demo.Summary{}, err
	}
	return demo.Summary{APIKey: token}, nil
}

func (a *app) printDemoSummary(sum demo.Summary, url string) error {
	if a.jsonOut {
		return a.printJSON(map[string]any{"summary": sum, "url": url})
	}
	w := a.stdout
	if sum.Teams > 0 {
		fmt.Fprintf(w, "Demo organization: %d teams, %d users, %d gateways, %d policies, %d configuration versions,\n",
			sum.Teams, sum.Users, sum.Gateways, sum.Policies, sum.ConfigurationVersions)
		fmt.Fprintf(w, "  %d decision events, %d escalations, %d audit entries.\n", sum.Events, sum.Escalations, sum.AuditEntries)
	}
	if sum.AdminEmail != "" {
		fmt.Fprintf(w, "Admin sign-in: %s / %s\n", sum.AdminEmail, sum.AdminPassword)
	}
	if sum.APIKey != "" {
		fmt.Fprintf(w, "Admin API key: %s\n", sum.APIKey)
	}
	if url != "" {
		fmt.Fprintf(w, "\nKeeptrail is serving on %s. Try:\n", url)
		fmt.Fprintf(w, "  curl -s -H 'Authorization: Bearer %s' %s/api/v1/escalations?status=open\n", sum.APIKey, url)
		fmt.Fprintf(w, "  curl -s -H 'Authorization: Bearer %s' %s/api/v1/gateways\n", sum.APIKey, url)
		fmt.Fprintf(w, "  curl -s -H 'Authorization: Bearer %s' %s/api/v1/compliance/score\n", sum.APIKey, url)
		fmt.Fprintf(w, "  keeptrail score --db %s            # the compliance score and what would raise it most\n", a.dsn)
		fmt.Fprintf(w, "  keeptrail status --db %s           # policy compliance status by team and gateway\n", a.dsn)
		fmt.Fprintf(w, "  keeptrail verify --audit-log --db %s\n", a.dsn)
		fmt.Fprintf(w, "Press Ctrl-C to stop.\n")
	}
	return nil
}

// resetDatabase deletes the SQLite database and its WAL files. PostgreSQL databases are
// never dropped by the CLI.
func (a *app) resetDatabase() error {
	if strings.HasPrefix(a.dsn, "postgres://") || strings.HasPrefix(a.dsn, "postgresql://") {
		return usageError("--reset: only deletes SQLite files; drop a PostgreSQL database yourself")
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(a.dsn + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("--reset: %w", err)
		}
	}
	return nil
}

// parseDay parses YYYY-MM-DD as midnight UTC; empty gives the zero time.
func parseDay(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, usageError("%s: %q is not a date (YYYY-MM-DD)", flag, s)
	}
	return t, nil
}
