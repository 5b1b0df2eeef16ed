// Command keeptrail is the Keeptrail compliance evidence service: the server (serve), the
// demo organization (demo), and the command-line workflows that share its engine.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// exitError carries a process exit status with the one-line reason already printed or to print.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line and returns the process exit status: 0 on success, 1 when
// the work found problems (rejected lines, a failed verification), 2 on bad input or errors.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := newApp(stdin, stdout, stderr)
	root := app.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stderr, "keeptrail: "+ee.msg)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "keeptrail: "+oneLine(err))
	return 2
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "keeptrail",
		Short: "Compliance evidence and reporting for AI gateways",
		Long: `Keeptrail records the decision events, heartbeats and configuration changes of AI
gateways and every console and API action in a tamper-evident audit log, and turns them
into evidence for auditors.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version(),
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.dsn, "db", envOr("KEEPTRAIL_DB", "keeptrail.db"),
		"SQLite file path or postgres:// URL (env KEEPTRAIL_DB)")
	pf.StringVar(&a.dataDir, "data-dir", envOr("KEEPTRAIL_DATA_DIR", "keeptrail-data"),
		"folder for artifacts, the outbox and signing keys (env KEEPTRAIL_DATA_DIR)")
	pf.BoolVar(&a.jsonOut, "json", false, "print machine-readable JSON")
	root.AddCommand(
		a.serveCommand(),
		a.demoCommand(),
		a.migrateCommand(),
		a.ingestCommand(),
		a.verifyCommand(),
		a.userCommand(),
		a.apikeyCommand(),
		a.versionCommand(),
	)
	for _, c := range commands {
		root.AddCommand(c(a))
	}
	return root
}

// commands are subcommands defined in their own files, which add themselves here from an
// init function, so a new workflow (export, status, score, ...) needs no edit of this file.
var commands []func(*app) *cobra.Command

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
