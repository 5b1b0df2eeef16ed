// Package testdb opens fresh Keeptrail databases for tests: a SQLite file in the test's
// temporary directory, and a PostgreSQL schema of its own inside the server named by
// $KEEPTRAIL_TEST_POSTGRES, dropped when the test ends.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/keeptrail/keeptrail/sqlstore"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver for the admin connection
)

// Environment variables that point the tests at PostgreSQL.
const (
	// EnvPostgres holds the URL of a PostgreSQL server the tests may create schemas in.
	EnvPostgres = "KEEPTRAIL_TEST_POSTGRES"
	// EnvRequirePostgres set to 1 makes a missing EnvPostgres fail the test, not skip it.
	EnvRequirePostgres = "KEEPTRAIL_REQUIRE_POSTGRES"
)

func options(opts []sqlstore.Options) sqlstore.Options {
	if len(opts) > 0 {
		return opts[0]
	}
	return sqlstore.Options{}
}

// SQLite opens a migrated SQLite database in a fresh file under t.TempDir(); it is closed
// when the test ends.
func SQLite(t testing.TB, opts ...sqlstore.Options) *sqlstore.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keeptrail.db")
	db, err := sqlstore.Open(context.Background(), path, options(opts))
	if err != nil {
		t.Fatalf("open sqlite test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// PostgresURL returns $KEEPTRAIL_TEST_POSTGRES, skipping the test when it is unset (or
// failing it when $KEEPTRAIL_REQUIRE_POSTGRES is 1).
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvPostgres)
	if u == "" {
		if os.Getenv(EnvRequirePostgres) == "1" {
			t.Fatalf("%s is unset but %s=1: the PostgreSQL tests must run", EnvPostgres, EnvRequirePostgres)
		}
		t.Skipf("%s is unset: skipping the PostgreSQL test", EnvPostgres)
	}
	return u
}

var admin struct {
	sync.Mutex
	url string
	db  *sql.DB
}

// adminDB returns a small pool on the server itself, shared by the tests of a process.
func adminDB(t testing.TB, u string) *sql.DB {
	t.Helper()
	admin.Lock()
	defer admin.Unlock()
	if admin.db != nil && admin.url == u {
		return admin.db
	}
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatalf("open %s: %v", EnvPostgres, err)
	}
	db.SetMaxOpenConns(4)
	admin.url, admin.db = u, db
	return db
}

// PostgresSchema creates a fresh schema t_<random> in the server and returns its name and
// a URL whose connections use it (search_path); the schema is dropped when the test ends.
func PostgresSchema(t testing.TB) (schema, dsn string) {
	t.Helper()
	base := PostgresURL(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	var b [8]byte
	rand.Read(b[:])
	schema = "t_" + hex.EncodeToString(b[:])
	adm := adminDB(t, base)
	ctx := context.Background()
	if _, err := adm.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := adm.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return schema, u.String()
}

// Postgres opens a migrated PostgreSQL database in a fresh schema of the server named by
// $KEEPTRAIL_TEST_POSTGRES; it is closed and the schema dropped when the test ends. The
// test is skipped when the variable is unset, unless $KEEPTRAIL_REQUIRE_POSTGRES is 1.
func Postgres(t testing.TB, opts ...sqlstore.Options) *sqlstore.DB {
	t.Helper()
	_, dsn := PostgresSchema(t)
	db, err := sqlstore.Open(context.Background(), dsn, options(opts))
	if err != nil {
		t.Fatalf("open postgres test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Each runs fn as the subtests "sqlite" and "postgres", each with a fresh database.
func Each(t *testing.T, fn func(t *testing.T, db *sqlstore.DB), opts ...sqlstore.Options) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t, opts...)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t, opts...)) })
}
