package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/artifact"
	"github.com/keeptrail/keeptrail/compliance"
	"github.com/keeptrail/keeptrail/evidence"
	"github.com/keeptrail/keeptrail/export"
	"github.com/keeptrail/keeptrail/sqlstore"
)

func init() {
	commands = append(commands, func(a *app) *cobra.Command {
		// compliance_package exports (API, jobs, keeptrail export) run through the
		// evidence packager of this process's database and data folder.
		export.RegisterPackager(&cliPackager{a: a})
		return a.packageCommand()
	})
}

// packageKeyPath is where the package signing key lives: in the data folder, beside the
// audit checkpoint key and separate from it. Its public key is packageKeyPath()+".pub".
func (a *app) packageKeyPath() string {
	return filepath.Join(a.dataDir, "keys", "package-signing.key")
}

// packager returns the evidence packager over st with the data folder's keys.
func (a *app) packager(st keeptrail.Store, configPath string) (*evidence.Packager, error) {
	if err := os.MkdirAll(filepath.Join(a.dataDir, "keys"), 0o700); err != nil {
		return nil, err
	}
	key, err := evidence.LoadOrCreatePackageKey(a.packageKeyPath())
	if err != nil {
		return nil, fmt.Errorf("package signing key: %w", err)
	}
	signer, err := a.signer()
	if err != nil {
		return nil, fmt.Errorf("audit checkpoint key: %w", err)
	}
	cfg, err := loadConfig(configPath)
	if err != nil {
		return nil, err
	}
	return &evidence.Packager{Store: st, Key: key, AuditPublicKey: signer.PublicKey(),
		Compliance: compliance.Options{Weights: cfg.weights(), Window: cfg.window(), Logger: a.logger()},
		Software:   evidence.Software{Name: "keeptrail", Version: version()}}, nil
}

// cliPackager is the export.Packager of the program: it opens the database and keys of
// the app when a compliance_package export runs.
type cliPackager struct{ a *app }

func (c *cliPackager) WritePackage(ctx context.Context, s export.Spec, p *keeptrail.Principal, at time.Time, w io.Writer) (export.Result, error) {
	db, err := c.a.openStore(ctx)
	if err != nil {
		return export.Result{}, err
	}
	defer db.Close()
	pk, err := c.a.packager(db, os.Getenv("KEEPTRAIL_CONFIG"))
	if err != nil {
		return export.Result{}, err
	}
	return evidence.ExportPackager{Packager: pk}.WritePackage(ctx, s, p, at, w)
}

func (a *app) packageCommand() *cobra.Command {
	var from, to, generatedAt, out, configPath string
	var include []string
	cmd := &cobra.Command{
		Use:   "package soc2|hipaa|NAME --from DATE --to DATE [--generated-at RFC3339] -o BUNDLE.zip",
		Short: "Build a signed compliance package (evidence bundle) for an audit period",
		Long: `Build a compliance package for the framework (soc2, hipaa or a custom framework template)
over the audit period --from to --to (a date as --to means the end of that day): report.pdf,
the evidence files, oscal/assessment-results.json, manifest.json and manifest.sig, in one
ZIP written to -o. The manifest is signed with the package signing key in the data folder
(keys/package-signing.key; its public key, keys/package-signing.key.pub, is what auditors
verify with). The same data, framework, period and --generated-at give the same bytes.
docs/compliance-packages.md describes the bundle.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError("-o: say where to write the bundle")
			}
			req := evidence.PackageRequest{Framework: args[0], Include: include}
			var err error
			if from == "" || to == "" {
				return usageError("--from and --to: the audit period is required")
			}
			if req.From, err = flagTime("--from", from, compliance.ParseStart); err != nil {
				return err
			}
			if req.To, err = flagTime("--to", to, compliance.ParseEnd); err != nil {
				return err
			}
			req.GeneratedAt = time.Now().UTC()
			if generatedAt != "" {
				if req.GeneratedAt, err = time.Parse(time.RFC3339Nano, generatedAt); err != nil {
					return usageError("--generated-at: not an RFC 3339 time such as 2025-04-01T06:00:00Z")
				}
			}
			return a.withStore(cmd.Context(), func(ctx context.Context, db *sqlstore.DB) error {
				pk, err := a.packager(db, configPath)
				if err != nil {
					return err
				}
				dir, err := artifact.OpenFolder(filepath.Dir(out))
				if err != nil {
					return err
				}
				defer dir.Close()
				w, err := dir.Create(filepath.Base(out))
				if err != nil {
					return err
				}
				m, err := pk.Write(ctx, req, w)
				if err != nil {
					w.Abort()
					return flagError(err)
				}
				info, err := w.Commit()
				if err != nil {
					return err
				}
				if a.jsonOut {
					return a.printJSON(map[string]any{"file": out, "bytes": info.Bytes, "sha256": info.SHA256, "manifest": m})
				}
				a.printf("Wrote %s (%s, %d bytes, SHA-256 %s)\n", out, plural(len(m.Files), "file"), info.Bytes, info.SHA256)
				a.printf("Framework %s, period %s to %s; verify with: keeptrail verify %s --pubkey %s\n", m.Framework.Title,
					m.Period.Start.Format(time.RFC3339), m.Period.End.Format(time.RFC3339), out, a.packageKeyPath()+".pub")
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "start of the audit period (RFC 3339 time or date)")
	f.StringVar(&to, "to", "", "end of the audit period (a date means the end of that day)")
	f.StringVar(&generatedAt, "generated-at", "", "the package's generated-at time (RFC 3339; default now): fixes every date inside the bundle")
	f.StringVarP(&out, "output", "o", "", "bundle file to write")
	f.StringSliceVar(&include, "include", nil, "period sections to include (audit_log, events_summary, escalation_report, configuration_changelog, policy_compliance_status; default all)")
	addConfigFlag(cmd, &configPath)
	return cmd
}
