package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	keeptrail "github.com/keeptrail/keeptrail"
)

// tx is one transaction: keeptrail.Tx over a database/sql transaction.
type tx struct {
	ctx  context.Context
	db   *DB
	conn *sql.Conn
	tx   *sql.Tx
	now  time.Time
}

var _ keeptrail.Tx = (*tx)(nil)

// Now is the transaction's single clock reading (UTC, microsecond precision).
func (t *tx) Now() time.Time { return t.now }

func (t *tx) exec(q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(t.ctx, t.db.d.rebind(q), args...)
}

func (t *tx) query(q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(t.ctx, t.db.d.rebind(q), args...)
}

func (t *tx) queryRow(q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(t.ctx, t.db.d.rebind(q), args...)
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// queryAll runs q and scans each row with scan.
func queryAll[T any](t *tx, what string, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	return out, nil
}

// notFound is the ENOTFOUND error for an entity and its key: gateway "gw-1" not found.
func notFound(entity string, key any) error {
	if s, ok := key.(string); ok {
		return keeptrail.Errorf(keeptrail.ENOTFOUND, "%s %q not found", entity, s)
	}
	return keeptrail.Errorf(keeptrail.ENOTFOUND, "%s %v not found", entity, key)
}

// conflict is the ECONFLICT error for a taken unique key: user "a@b.example" already exists.
func conflict(entity string, key any) error {
	if s, ok := key.(string); ok {
		return keeptrail.Errorf(keeptrail.ECONFLICT, "%s %q already exists", entity, s)
	}
	return keeptrail.Errorf(keeptrail.ECONFLICT, "%s %v already exists", entity, key)
}

// rowErr maps the error of a single-row read: no rows is ENOTFOUND, anything else an
// internal error wrapped with what.
func rowErr(err error, what, entity string, key any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(entity, key)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// writeErr maps the error of a write: a unique violation is ECONFLICT, anything else an
// internal error wrapped with what.
func writeErr(err error, what, entity string, key any) error {
	if isUniqueViolation(err) {
		return conflict(entity, key)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// mustAffect returns ENOTFOUND when an UPDATE changed no row.
func mustAffect(res sql.Result, what, entity string, key any) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: rows affected: %w", what, err)
	}
	if n == 0 {
		return notFound(entity, key)
	}
	return nil
}

// Times are stored as BIGINT microseconds since the Unix epoch.

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func timePtr(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMicros(n.Int64)
	return &t
}

func truncPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := keeptrail.TruncTime(*t)
	return &v
}

// orNow returns t truncated, or the transaction's time when t is zero.
func (t *tx) orNow(v time.Time) time.Time {
	if v.IsZero() {
		return t.now
	}
	return keeptrail.TruncTime(v)
}

func nullInt(p *int64) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: *p, Valid: true}
}

func intPtr(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	v := n.Int64
	return &v
}

// JSON columns hold compact text.

// compactJSON returns raw as compact JSON text, or empty when raw is blank.
func compactJSON(raw json.RawMessage, empty string) (string, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return empty, nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return "", err
	}
	return b.String(), nil
}

func int64sJSON(ids []int64) string {
	if len(ids) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(ids)
	return string(b)
}

func parseInt64s(s string) ([]int64, error) {
	var ids []int64
	if err := json.Unmarshal([]byte(s), &ids); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return ids, nil
}

// scopeEmpty reports whether the scope admits no team at all.
func scopeEmpty(s keeptrail.TeamScope) bool {
	return s.None || (s.TeamIDs != nil && len(s.TeamIDs) == 0)
}

// scopeFilter returns an SQL condition restricting col to the scope's teams ("" when the
// scope is unrestricted) and its arguments. Callers return nothing for scope.None without
// querying.
func scopeFilter(col string, s keeptrail.TeamScope) (string, []any) {
	if s.Unrestricted() {
		return "", nil
	}
	args := make([]any, len(s.TeamIDs))
	for i, id := range s.TeamIDs {
		args[i] = id
	}
	return col + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ") + ")", args
}
