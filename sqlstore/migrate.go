package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrateLockKey is the PostgreSQL advisory lock that serializes replicas migrating at once.
const migrateLockKey = 7_265_746_101

// migration is one numbered schema change.
type migration struct {
	version int64
	name    string // file name without .sql, e.g. "0001_init"
	body    string
}

// migrations returns the embedded migrations in version order.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	var out []migration
	seen := map[int64]string{}
	for _, p := range names {
		name := strings.TrimSuffix(path.Base(p), ".sql")
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: name must start with a positive number and _", name)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %q and %q share version %d", other, name, v)
		}
		seen[v] = name
		body, err := migrationFiles.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", name, err)
		}
		out = append(out, migration{version: v, name: name, body: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// Migrate applies the pending embedded migrations, each in its own transaction, and
// returns the names of those it applied. On PostgreSQL each transaction first takes an
// advisory lock, so replicas that migrate at the same time apply each migration once.
func (db *DB) Migrate(ctx context.Context) (applied []string, err error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		done, err := db.migrateOne(ctx, m)
		if err != nil {
			return applied, err
		}
		if done {
			db.log.Info("applied migration", "migration", m.name, "database", db.d.name)
			applied = append(applied, m.name)
		}
	}
	return applied, nil
}

// migrateOne applies m unless schema_migrations records it; it reports whether it did.
func (db *DB) migrateOne(ctx context.Context, m migration) (bool, error) {
	sqlTx, err := db.write.BeginTx(ctx, db.d.updateOpts)
	if err != nil {
		return false, fmt.Errorf("begin migration %s: %w", m.name, err)
	}
	defer sqlTx.Rollback()
	if db.d.name == "postgres" {
		if _, err := sqlTx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrateLockKey)); err != nil {
			return false, fmt.Errorf("lock for migration %s: %w", m.name, err)
		}
	}
	if _, err := sqlTx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
    version     BIGINT PRIMARY KEY,
    name        TEXT NOT NULL,
    applied_at  BIGINT NOT NULL
)`); err != nil {
		return false, fmt.Errorf("create schema_migrations: %w", err)
	}
	var n int
	if err := sqlTx.QueryRowContext(ctx, db.d.rebind("SELECT COUNT(*) FROM schema_migrations WHERE version = ?"), m.version).Scan(&n); err != nil {
		return false, fmt.Errorf("check migration %s: %w", m.name, err)
	}
	if n > 0 {
		return false, nil
	}
	if _, err := sqlTx.ExecContext(ctx, db.d.migrationSQL(m.body)); err != nil {
		return false, fmt.Errorf("apply migration %s: %w", m.name, err)
	}
	if _, err := sqlTx.ExecContext(ctx, db.d.rebind("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
		m.version, m.name, micros(db.now())); err != nil {
		return false, fmt.Errorf("record migration %s: %w", m.name, err)
	}
	if err := sqlTx.Commit(); err != nil {
		return false, fmt.Errorf("commit migration %s: %w", m.name, err)
	}
	return true, nil
}
