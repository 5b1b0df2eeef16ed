package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/keeptrail/keeptrail/ingest"
	"github.com/keeptrail/keeptrail/sqlstore"
)

func (a *app) ingestCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ingest events|heartbeats|audit FILE...",
		Short: "Load NDJSON files (plain or gzip) through the same checks as the ingest API",
		Long: `Load decision events, heartbeats or outside audit entries from NDJSON files, one JSON
object a line, exactly as gateways send them to POST /api/v1/events, /heartbeats and /audit.
Use - for standard input. Good lines are stored; each bad line is reported with its number
and reason, and the command then exits with status 1.`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind := ingest.Kind(args[0])
			switch kind {
			case ingest.KindEvents, ingest.KindHeartbeats, ingest.KindAudit:
			default:
				return usageError("ingest: kind must be events, heartbeats or audit, not %q", args[0])
			}
			return a.withStore(cmd.Context(), func(ctx context.Context, db *sqlstore.DB) error {
				in := ingest.New(db, ingest.Options{})

				type fileResult struct {
					File   string        `json:"file"`
					Result ingest.Result `json:"result"`
				}
				var results []fileResult
				rejected := 0
				for _, name := range args[1:] {
					r, size, closeFn, err := a.openInput(name)
					if err != nil {
						return err
					}
					bar := a.newProgress(size, "ingest "+name)
					res, err := in.Ingest(ctx, kind, io.TeeReader(r, bar))
					bar.finish()
					closeFn()
					if err != nil {
						return fmt.Errorf("%s: %w", name, err)
					}
					results = append(results, fileResult{File: name, Result: res})
					rejected += res.Rejected
					if !a.jsonOut {
						a.printf("%s: %d accepted, %d duplicates, %d rejected", name, res.Accepted, res.Duplicates, res.Rejected)
						if res.EscalationsOpened > 0 {
							a.printf(", %d escalations opened", res.EscalationsOpened)
						}
						a.printf("\n")
						for _, le := range res.Errors {
							a.printf("  line %d: %s\n", le.Line, le.Reason)
						}
					}
				}
				if a.jsonOut {
					if err := a.printJSON(results); err != nil {
						return err
					}
				}
				if rejected > 0 {
					return &exitError{code: 1, msg: plural(rejected, "line") + " rejected"}
				}
				return nil
			})
		},
	}
	return cmd
}

// openInput opens a file, or standard input for "-", and returns its size when known.
func (a *app) openInput(name string) (io.Reader, int64, func(), error) {
	if name == "-" {
		return a.stdin, -1, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, nil, usageError("%v", err)
	}
	size := int64(-1)
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	return f, size, func() { f.Close() }, nil
}

// plural returns "1 line" or "N lines".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
