package main

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	_ "modernc.org/sqlite" // the driver Keeptrail uses
)

// sqliteLoadCommand loads the CSV into decision_events of a migrated SQLite file the way
// `sqlite3 .import` does (one prepared single-row INSERT per row, one transaction), but
// through the pure Go driver Keeptrail uses, with Keeptrail's pragmas. It measures how
// much of the gap to the native loader is the driver itself.
func sqliteLoadCommand(args []string) error {
	fs := flag.NewFlagSet("sqlite-load", flag.ContinueOnError)
	dbPath := fs.String("db", "", "migrated SQLite database file")
	csvPath := fs.String("csv", "", "CSV written by gen")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dbPath == "" || *csvPath == "" {
		return errors.New("sqlite-load: -db and -csv are required")
	}
	f, err := os.Open(*csvPath)
	if err != nil {
		return err
	}
	defer f.Close()
	db, err := sql.Open("sqlite", "file:"+*dbPath+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)"+
		"&_pragma=cache_size(-65536)&_pragma=temp_store(MEMORY)&_txlock=immediate")
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	started := time.Now()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO decision_events (id, request_id, occurred_at, gateway_id,
		team_id, user_name, model, decision, severity, policies_evaluated, rules_matched, categories, latency_ms,
		tokens_in, tokens_out, cost_usd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	r := csv.NewReader(f)
	r.ReuseRecord = true
	args16 := make([]any, 16)
	n := 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		for i, v := range rec {
			args16[i] = v
		}
		if _, err := stmt.ExecContext(ctx, args16...); err != nil {
			return fmt.Errorf("row %d: %w", n+1, err)
		}
		n++
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "loaded %d rows through modernc.org/sqlite in %.2f s\n", n, time.Since(started).Seconds())
	return nil
}
