package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/auditlog"
	"github.com/keeptrail/keeptrail/engine"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// app holds what every subcommand shares: the global flags and the process's streams.
type app struct {
	dsn     string
	dataDir string
	jsonOut bool

	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	return &app{stdin: stdin, stdout: stdout, stderr: stderr}
}

// openStore opens the database named by --db, applying pending migrations.
func (a *app) openStore(ctx context.Context) (*sqlstore.DB, error) {
	db, err := sqlstore.Open(ctx, a.dsn, sqlstore.Options{Logger: a.logger()})
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", redactDSN(a.dsn), err)
	}
	return db, nil
}

// withStore opens the database named by --db (see openStore), runs fn with it as the
// operator of this machine (ctx carries cliContext's principal), and closes it.
func (a *app) withStore(ctx context.Context, fn func(ctx context.Context, db *sqlstore.DB) error) error {
	db, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(cliContext(ctx), db)
}

// withEngine is withStore for a command that needs only an engine over the database.
func (a *app) withEngine(ctx context.Context, fn func(ctx context.Context, e *engine.Engine) error) error {
	return a.withStore(ctx, func(ctx context.Context, db *sqlstore.DB) error { return fn(ctx, a.engine(db)) })
}

// engine returns an engine over st with the production clock.
func (a *app) engine(st keeptrail.Store) *engine.Engine {
	return engine.New(st, engine.Options{Logger: a.logger()})
}

func (a *app) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// cliContext returns ctx carrying the principal of a command run with direct access to the
// database: the operator of the machine, recorded in the audit log as cli:<os user>.
func cliContext(ctx context.Context) context.Context {
	name := "cli"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = "cli:" + u.Username
	}
	p := &keeptrail.Principal{Kind: keeptrail.ActorSystem, Name: name, Role: keeptrail.RoleAdmin, AllTeams: true}
	return keeptrail.NewContextWithPrincipal(ctx, p)
}

// signingKeyPath is where the audit checkpoint signing key lives: in the data folder,
// outside the database it vouches for.
func (a *app) signingKeyPath() string {
	return filepath.Join(a.dataDir, "keys", "audit-checkpoint.key")
}

// signer loads (or creates on first use) the audit checkpoint signing key.
func (a *app) signer() (*auditlog.Signer, error) {
	if err := os.MkdirAll(filepath.Join(a.dataDir, "keys"), 0o700); err != nil {
		return nil, fmt.Errorf("create key folder: %w", err)
	}
	return auditlog.LoadOrCreateKey(a.signingKeyPath())
}

// printJSON writes v as indented JSON to stdout.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printf writes human-readable output to stdout.
func (a *app) printf(format string, args ...any) {
	fmt.Fprintf(a.stdout, format, args...)
}

// oneLine flattens an error into the single line the CLI prints.
func oneLine(err error) string {
	msg := keeptrail.ErrorMessage(err)
	if keeptrail.ErrorCode(err) == keeptrail.EINTERNAL {
		msg = err.Error()
	}
	return strings.Join(strings.Fields(msg), " ")
}

// redactDSN hides a password in a postgres URL.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if at := strings.LastIndex(dsn, "@"); at > i {
			cred := dsn[i+3 : at]
			if c := strings.Index(cred, ":"); c >= 0 {
				return dsn[:i+3] + cred[:c] + ":***" + dsn[at:]
			}
		}
	}
	return dsn
}

// version returns the module version and VCS revision the binary was built from.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += "+" + s.Value[:12]
		}
	}
	return v
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.jsonOut {
				return a.printJSON(map[string]string{"version": version()})
			}
			a.printf("keeptrail %s\n", version())
			return nil
		},
	}
}

// usageError is a bad command line: exit status 2 with the reason.
func usageError(format string, args ...any) error {
	return &exitError{code: 2, msg: fmt.Sprintf(format, args...)}
}
