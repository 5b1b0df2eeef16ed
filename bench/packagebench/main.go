// Command packagebench times a compliance package against the queries it needs, on a
// database filled by keeptrail demo (see bench/package.sh).
//
//	packagebench -db FILE|URL [-schema S] -mode schema|drop|queries|package -from DATE -to DATE
//
// Mode queries runs, in one read transaction and discarding the rows, every read a SOC 2
// package makes (audit log of the period and its authentication and configuration
// slices, daily event counts from the rollups, rule
// counts, escalations, configuration changelog, users, API keys, gateways), then the
// audit chain check, the policy compliance status and the score. Mode package builds the
// whole bundle (report.pdf, evidence, OSCAL, signed manifest) into a counting sink. Each
// prints one line: mode, seconds, bytes written and the process's peak RSS in MiB, so
// run each mode in its own process.
package main

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/auditlog"
	"github.com/keeptrail/keeptrail/compliance"
	"github.com/keeptrail/keeptrail/evidence"
	"github.com/keeptrail/keeptrail/sqlstore"
)

func main() {
	dsn := flag.String("db", "", "SQLite file or postgres:// URL")
	schema := flag.String("schema", "", "PostgreSQL schema (search_path) of the data")
	mode := flag.String("mode", "package", "schema (print the DSN of a fresh schema), drop, queries or package")
	from := flag.String("from", "2025-01-01", "start of the audit period")
	to := flag.String("to", "2025-03-31", "end of the audit period (inclusive date)")
	framework := flag.String("framework", "soc2", "framework")
	flag.Parse()
	if err := run(context.Background(), *dsn, *schema, *mode, *from, *to, *framework); err != nil {
		fmt.Fprintln(os.Stderr, "packagebench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dsn, schema, mode, fromS, toS, framework string) error {
	if schema != "" {
		switch mode {
		case "drop":
			return exec(ctx, dsn, `DROP SCHEMA IF EXISTS "`+strings.ReplaceAll(schema, `"`, ``)+`" CASCADE`)
		case "schema":
			if err := exec(ctx, dsn, `CREATE SCHEMA IF NOT EXISTS "`+strings.ReplaceAll(schema, `"`, ``)+`"`); err != nil {
				return err
			}
		}
		u, err := url.Parse(dsn)
		if err != nil {
			return err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		dsn = u.String()
		if mode == "schema" {
			fmt.Println(dsn)
			return nil
		}
	}
	from, err := compliance.ParseStart(fromS)
	if err != nil {
		return err
	}
	to, err := compliance.ParseEnd(toS)
	if err != nil {
		return err
	}
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{NoMigrate: true})
	if err != nil {
		return err
	}
	defer db.Close()
	ctx = keeptrail.NewContextWithPrincipal(ctx, keeptrail.SystemPrincipal("packagebench"))
	signer, err := auditlog.LoadOrCreateKey(os.TempDir() + "/packagebench-audit.key")
	if err != nil {
		return err
	}
	start := time.Now()
	var bytes int64
	switch mode {
	case "queries":
		err = queries(ctx, db, signer.PublicKey(), from, to)
	case "package":
		_, seed, _ := ed25519.GenerateKey(nil)
		pk := &evidence.Packager{Store: db, Key: evidence.NewPackageKey(seed), AuditPublicKey: signer.PublicKey(),
			Software: evidence.Software{Name: "keeptrail", Version: "bench"}}
		w := &counter{}
		_, err = pk.Write(ctx, evidence.PackageRequest{Framework: framework, From: from, To: to, GeneratedAt: time.Now()}, w)
		bytes = w.n
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("%s %s seconds=%.2f bytes=%d peak_rss_mib=%.0f\n", db.Dialect(), mode, elapsed.Seconds(), bytes, float64(ru.Maxrss)/1024)
	return nil
}

// queries runs the reads of a package alone, discarding the rows.
func queries(ctx context.Context, db *sqlstore.DB, pub ed25519.PublicKey, from, to time.Time) error {
	err := db.View(ctx, func(tx keeptrail.Tx) error {
		f := keeptrail.ExportFilter{Start: from, End: to}
		if _, err := tx.CountAuditEntries(f); err != nil {
			return err
		}
		if err := tx.ExportAuditEntries(f, func(*keeptrail.AuditEntry) error { return nil }); err != nil {
			return err
		}
		// The SOC 2 package's slices of the audit log by category.
		for _, c := range []string{keeptrail.CategoryAuthentication, keeptrail.CategoryConfiguration} {
			fc := f
			fc.Categories = []string{c}
			if _, err := tx.CountAuditEntries(fc); err != nil {
				return err
			}
			if err := tx.ExportAuditEntries(fc, func(*keeptrail.AuditEntry) error { return nil }); err != nil {
				return err
			}
		}
		for d := from; d.Before(to); d = d.Add(24 * time.Hour) {
			if _, err := tx.ComplianceEventCounts(keeptrail.ComplianceFilter{From: d, To: d.Add(24 * time.Hour)}); err != nil {
				return err
			}
		}
		if _, err := tx.ComplianceRuleCounts(keeptrail.ComplianceFilter{From: from, To: to}); err != nil {
			return err
		}
		if _, err := tx.CountEscalations(f); err != nil {
			return err
		}
		if err := tx.ExportEscalations(f, func(*keeptrail.Escalation) error { return nil }); err != nil {
			return err
		}
		if _, err := tx.CountConfigurationChanges(f); err != nil {
			return err
		}
		if err := tx.ExportConfigurationChanges(f, func(*keeptrail.ConfigurationChange) error { return nil }); err != nil {
			return err
		}
		if _, err := tx.Users(keeptrail.TeamScope{}); err != nil {
			return err
		}
		if _, err := tx.APIKeys(); err != nil {
			return err
		}
		_, err := tx.Gateways(keeptrail.TeamScope{})
		return err
	})
	if err != nil {
		return err
	}
	if _, err := auditlog.Verify(ctx, db, pub); err != nil {
		return err
	}
	svc, err := compliance.New(db, compliance.Options{})
	if err != nil {
		return err
	}
	if _, err := svc.Status(ctx, compliance.StatusRequest{From: from, To: to}); err != nil {
		return err
	}
	_, err = svc.Score(ctx, compliance.ScoreRequest{From: from, At: to})
	return err
}

type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func exec(ctx context.Context, dsn, stmt string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, stmt)
	return err
}
