package sqlstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	keeptrail "github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/sqlstore"
	"github.com/keeptrail/keeptrail/storetest"
)

func TestStoreSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) keeptrail.Store { return testdb.SQLite(t) })
}

func TestStorePostgres(t *testing.T) {
	testdb.PostgresURL(t)
	storetest.Run(t, func(t *testing.T) keeptrail.Store { return testdb.Postgres(t) })
}

// migrationNames are the migration files, in order, without .sql.
var migrationNames = func() []string {
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		panic(fmt.Sprintf("list migrations: %v (%d files)", err, len(files)))
	}
	sort.Strings(files)
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = strings.TrimSuffix(filepath.Base(f), ".sql")
	}
	return names
}()

func TestMigrate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		// testdb opened with migrations: a second Migrate applies nothing.
		applied, err := db.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 0 {
			t.Fatalf("second Migrate applied %v, want nothing", applied)
		}
		rows, err := db.SQL().QueryContext(ctx, "SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var names []string
		for rows.Next() {
			var version, at int64
			var name string
			if err := rows.Scan(&version, &name, &at); err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("%04d_", version); !strings.HasPrefix(name, want) || version != int64(len(names)+1) {
				t.Fatalf("schema_migrations row %d: version %d name %q", len(names), version, name)
			}
			if at <= 0 {
				t.Fatalf("migration %s applied_at = %d", name, at)
			}
			names = append(names, name)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if strings.Join(names, ",") != strings.Join(migrationNames, ",") {
			t.Fatalf("schema_migrations = %v, want %v", names, migrationNames)
		}
	})
}

func TestMigrateFresh(t *testing.T) {
	clock := time.Date(2025, 3, 1, 12, 0, 0, 987654321, time.UTC)
	opts := sqlstore.Options{Now: func() time.Time { return clock }, NoMigrate: true}
	check := func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		applied, err := db.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(applied, ",") != strings.Join(migrationNames, ",") {
			t.Fatalf("fresh Migrate applied %v, want %v", applied, migrationNames)
		}
		var at int64
		if err := db.SQL().QueryRowContext(ctx, "SELECT applied_at FROM schema_migrations WHERE name = '0001_init'").Scan(&at); err != nil {
			t.Fatal(err)
		}
		if at != clock.UnixMicro() {
			t.Fatalf("applied_at = %d, want %d", at, clock.UnixMicro())
		}
		if again, err := db.Migrate(ctx); err != nil || len(again) != 0 {
			t.Fatalf("second Migrate = %v, %v; want nothing", again, err)
		}
		// The audit head starts at the genesis hash.
		var seq int64
		var hash string
		if err := db.SQL().QueryRowContext(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&seq, &hash); err != nil {
			t.Fatal(err)
		}
		if seq != 0 || hash != keeptrail.AuditGenesisHash {
			t.Fatalf("audit head = %d %s", seq, hash)
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		check(t, testdb.SQLite(t, opts))
	})
	t.Run("postgres", func(t *testing.T) {
		check(t, testdb.Postgres(t, opts))
	})
}

// Two replicas migrating the same PostgreSQL schema at once apply each migration once.
func TestMigrateConcurrentPostgres(t *testing.T) {
	_, dsn := testdb.PostgresSchema(t)
	ctx := context.Background()
	const replicas = 4
	var wg sync.WaitGroup
	applied := make([][]string, replicas)
	errs := make([]error, replicas)
	for i := 0; i < replicas; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{NoMigrate: true})
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			applied[i], errs[i] = db.Migrate(ctx)
		}()
	}
	wg.Wait()
	total := 0
	for i := range errs {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		total += len(applied[i])
	}
	if total != len(migrationNames) {
		t.Fatalf("replicas applied %v in total, want each of %v once", applied, migrationNames)
	}
}

func TestOpenSQLitePragmas(t *testing.T) {
	db := testdb.SQLite(t)
	ctx := context.Background()
	for pragma, want := range map[string]string{
		"journal_mode": "wal",
		"synchronous":  "2", // FULL
		"foreign_keys": "1",
		"busy_timeout": "10000",
	} {
		var got string
		if err := db.SQL().QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
	if db.SQL().Stats().MaxOpenConnections != 1 {
		t.Errorf("write pool allows %d connections, want 1", db.SQL().Stats().MaxOpenConnections)
	}
}

func TestOpenSQLiteBadPath(t *testing.T) {
	_, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "missing", "dir", "k.db"), sqlstore.Options{})
	if err == nil {
		t.Fatal("Open in a missing directory succeeded")
	}
}

func TestOpenSQLiteInMemoryRefused(t *testing.T) {
	for _, dsn := range []string{"", ":memory:", "file::memory:?cache=shared", "file:x?mode=memory"} {
		_, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{})
		if keeptrail.ErrorCode(err) != keeptrail.EINVALID {
			t.Errorf("Open(%q) = %v, want EINVALID", dsn, err)
		}
	}
}
