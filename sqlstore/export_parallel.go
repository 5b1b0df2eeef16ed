package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"

	keeptrail "github.com/keeptrail/keeptrail"
)

var _ keeptrail.ParallelViewer = (*DB)(nil)

// snapshotID is the shape of a PostgreSQL exported snapshot name.
var snapshotID = regexp.MustCompile(`^[0-9A-Fa-f]+-[0-9A-Fa-f]+(-[0-9A-Fa-f]+)?$`)

// ViewParallel runs fn with n read-only transactions that see one snapshot.
//
// SQLite: the write lock is taken (BEGIN IMMEDIATE on the write connection) while the n
// read transactions start, so no commit can land between their snapshots; it is released
// before fn runs, so writers wait only for the readers to open. PostgreSQL: the first
// transaction exports its snapshot (pg_export_snapshot) and the others adopt it (SET
// TRANSACTION SNAPSHOT), all REPEATABLE READ READ ONLY.
func (db *DB) ViewParallel(ctx context.Context, n int, fn func([]keeptrail.Tx) error) (err error) {
	if n <= 1 {
		return db.View(ctx, func(t keeptrail.Tx) error { return fn([]keeptrail.Tx{t}) })
	}
	txs := make([]*tx, 0, n)
	defer func() {
		for _, t := range txs {
			t.tx.Rollback()
			t.conn.Close()
		}
	}()
	begin := func() (*tx, error) {
		conn, err := db.read.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("get database connection: %w", err)
		}
		sqlTx, err := conn.BeginTx(ctx, db.d.viewOpts)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("begin transaction: %w", err)
		}
		t := &tx{ctx: ctx, db: db, conn: conn, tx: sqlTx}
		txs = append(txs, t)
		return t, nil
	}
	if db.d.name == "postgres" {
		first, err := begin()
		if err != nil {
			return err
		}
		var id string
		if err := first.queryRow("SELECT pg_export_snapshot()").Scan(&id); err != nil {
			return fmt.Errorf("export snapshot: %w", err)
		}
		if !snapshotID.MatchString(id) {
			return fmt.Errorf("export snapshot: unexpected snapshot name %q", id)
		}
		for i := 1; i < n; i++ {
			t, err := begin()
			if err != nil {
				return err
			}
			// SET TRANSACTION SNAPSHOT takes no parameters; the name comes from the server
			// and was checked against the shape of snapshot names above.
			if _, err := t.tx.ExecContext(ctx, "SET TRANSACTION SNAPSHOT '"+id+"'"); err != nil {
				return fmt.Errorf("adopt snapshot: %w", err)
			}
		}
	} else if err := db.sqliteSharedSnapshot(ctx, n, begin); err != nil {
		return err
	}
	now := keeptrail.TruncTime(db.now())
	out := make([]keeptrail.Tx, len(txs))
	for i, t := range txs {
		t.now = now
		out[i] = t
	}
	return fn(out)
}

// sqliteSharedSnapshot starts n read transactions under the write lock.
func (db *DB) sqliteSharedSnapshot(ctx context.Context, n int, begin func() (*tx, error)) error {
	wconn, err := db.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("get write connection: %w", err)
	}
	defer wconn.Close()
	lock, err := wconn.BeginTx(ctx, db.d.updateOpts) // BEGIN IMMEDIATE: the write lock
	if err != nil {
		return fmt.Errorf("take the write lock: %w", err)
	}
	defer lock.Rollback()
	for range n {
		t, err := begin()
		if err != nil {
			return err
		}
		// A read transaction takes its snapshot at its first read.
		var seq int64
		if err := t.queryRow("SELECT seq FROM audit_head WHERE id = 1").Scan(&seq); err != nil && err != sql.ErrNoRows {
			return fmt.Errorf("start read snapshot: %w", err)
		}
	}
	return nil
}
