// Package sqlstore is the database behind Keeptrail: one implementation of keeptrail.Store
// for SQLite (embedded, pure Go driver modernc.org/sqlite) and PostgreSQL (pgx). The SQL is
// written once; a small dialect value covers what differs. It reads and writes rows and
// holds no business rules.
package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"time"

	keeptrail "github.com/keeptrail/keeptrail"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Options configure Open.
type Options struct {
	// Now is the clock (time.Now when nil); each transaction reads it once.
	Now func() time.Time
	// NoMigrate skips applying pending migrations at Open.
	NoMigrate bool
	// Logger receives migration messages (discarded when nil).
	Logger *slog.Logger
}

// DB is a Keeptrail database. It implements keeptrail.Store.
type DB struct {
	d     *dialect
	write *sql.DB // SQLite: exactly one connection, transactions BEGIN IMMEDIATE
	read  *sql.DB // SQLite: a read-only pool for View; PostgreSQL: the same pool as write
	now   func() time.Time
	log   *slog.Logger

	prepared preparedStatements // driver-level statements of the ingest hot path

	// committer groups concurrent Update calls into shared transactions (SQLite only;
	// see groupcommit.go).
	committer *committer
}

var _ keeptrail.Store = (*DB)(nil)

// SQLite tuning. busy_timeout covers other processes (a CLI beside the server); in-process
// writers queue for the single write connection instead. The write connection keeps a
// large page cache and checkpoints the WAL every 8192 pages (32 MiB) rather than SQLite's
// default 1000: ingest batches with random request ids dirty a page of the request_id
// index per event, and a later checkpoint writes a page rewritten by many batches once.
// BenchmarkInsertEvents measured 1.5x the event rate with it. The WAL file is cut back
// to 64 MiB after a checkpoint.
const (
	sqliteBusyTimeoutMS    = 10000
	sqliteCacheKiB         = 65536
	sqliteAutoCheckpoint   = 8192
	sqliteJournalSizeLimit = 64 << 20
)

// Open opens the database named by dsn: a "postgres://" or "postgresql://" URL is
// PostgreSQL, anything else is a SQLite file path. It applies pending migrations unless
// opts.NoMigrate.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	db := &DB{now: opts.Now, log: opts.Logger}
	if db.now == nil {
		db.now = time.Now
	}
	if db.log == nil {
		db.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var err error
	if isPostgresDSN(dsn) {
		err = db.openPostgres(ctx, dsn)
	} else {
		err = db.openSQLite(ctx, dsn)
	}
	if err != nil {
		return nil, err
	}
	if !opts.NoMigrate {
		if _, err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

func isPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

func (db *DB) openPostgres(ctx context.Context, dsn string) error {
	db.d = newPostgresDialect()
	pool, err := sql.Open(db.d.driver, dsn)
	if err != nil {
		return fmt.Errorf("open postgres: %w", err)
	}
	pool.SetMaxOpenConns(16)
	pool.SetMaxIdleConns(16)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return fmt.Errorf("connect to postgres: %w", err)
	}
	db.write, db.read = pool, pool
	return nil
}

func (db *DB) openSQLite(ctx context.Context, path string) error {
	db.d = newSQLiteDialect()
	if path == "" || strings.Contains(path, ":memory:") || strings.Contains(path, "mode=memory") {
		// The read pool and the write connection must share one database.
		return keeptrail.Errorf(keeptrail.EINVALID, "sqlite database must be a file path, not %q", path)
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	common := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(ON)", sqliteBusyTimeoutMS)
	writeDSN := path + sep + common + fmt.Sprintf(
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=cache_size(-%d)&_pragma=temp_store(MEMORY)"+
			"&_pragma=wal_autocheckpoint(%d)&_pragma=journal_size_limit(%d)&_txlock=immediate",
		sqliteCacheKiB, sqliteAutoCheckpoint, sqliteJournalSizeLimit)
	readDSN := path + sep + common + "&_pragma=query_only(1)"

	write, err := sql.Open(db.d.driver, writeDSN)
	if err != nil {
		return fmt.Errorf("open sqlite write pool: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	// The write connection switches the file to WAL before any reader opens it.
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return fmt.Errorf("open sqlite database %q: %w", path, err)
	}
	read, err := sql.Open(db.d.driver, readDSN)
	if err != nil {
		write.Close()
		return fmt.Errorf("open sqlite read pool: %w", err)
	}
	n := max(4, runtime.NumCPU())
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	db.write, db.read = write, read
	db.committer = newCommitter(db)
	return nil
}

// SQL returns the write pool, for raw SQL in tests, tamper tests and tools.
func (db *DB) SQL() *sql.DB { return db.write }

// Dialect names the database: "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.d.name }

// Close releases the database.
func (db *DB) Close() error {
	if db.committer != nil {
		db.committer.close()
	}
	db.prepared.closeAll()
	err := db.write.Close()
	if db.read != db.write {
		if rerr := db.read.Close(); err == nil {
			err = rerr
		}
	}
	return err
}

// Update runs fn in a read-write transaction (SQLite: BEGIN IMMEDIATE on the single write
// connection; PostgreSQL: READ COMMITTED). An error from fn, or a panic, rolls it back;
// fn's error is returned as it is.
func (db *DB) Update(ctx context.Context, fn func(keeptrail.Tx) error) error {
	if db.committer != nil {
		return db.committer.update(ctx, fn)
	}
	return db.run(ctx, db.write, db.d.updateOpts, true, fn)
}

// View runs fn in a read-only transaction that sees one snapshot (SQLite: one read
// transaction on the read pool; PostgreSQL: REPEATABLE READ READ ONLY).
func (db *DB) View(ctx context.Context, fn func(keeptrail.Tx) error) error {
	return db.run(ctx, db.read, db.d.viewOpts, false, fn)
}

func (db *DB) run(ctx context.Context, pool *sql.DB, opts *sql.TxOptions, write bool, fn func(keeptrail.Tx) error) (err error) {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return fmt.Errorf("get database connection: %w", err)
	}
	defer conn.Close()
	sqlTx, err := conn.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	t := &tx{ctx: ctx, db: db, conn: conn, tx: sqlTx, now: keeptrail.TruncTime(db.now())}
	done := false
	defer func() {
		if !done {
			sqlTx.Rollback()
		}
	}()
	if err := fn(t); err != nil {
		return err
	}
	done = true
	if !write {
		if err := sqlTx.Rollback(); err != nil {
			return fmt.Errorf("end read transaction: %w", err)
		}
		return nil
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}
