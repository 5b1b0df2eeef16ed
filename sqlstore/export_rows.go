package sqlstore

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"time"
)

// exportRows runs q (rebound here) with args on the transaction's connection at the
// driver level and calls each for every row with the row's values in dest, which is
// reused from row to row. Exports read millions of rows: going below database/sql skips
// its per-column conversion and locking, and the values arrive as the driver made them
// (int64, float64, string, bool, []byte, nil).
func (t *tx) exportRows(q sqlConst, args []any, each func(dest []driver.Value) error) error {
	query := t.db.d.rebind(string(q))
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: driverValue(a)}
	}
	return t.conn.Raw(func(c any) error {
		var rows driver.Rows
		var err error
		if qc, ok := c.(driver.QueryerContext); ok {
			rows, err = qc.QueryContext(t.ctx, query, named)
		}
		if rows == nil && (err == nil || errors.Is(err, driver.ErrSkip)) {
			rows, err = t.exportPrepared(c, query, named)
		}
		if err != nil {
			return err
		}
		defer rows.Close()
		dest := make([]driver.Value, len(rows.Columns()))
		for {
			if err := rows.Next(dest); err != nil {
				if err == io.EOF {
					return nil
				}
				return err
			}
			if err := each(dest); err != nil {
				return err
			}
		}
	})
}

// exportPrepared queries through a statement prepared for this one query.
func (t *tx) exportPrepared(c any, query string, named []driver.NamedValue) (driver.Rows, error) {
	dc, ok := c.(driver.Conn)
	if !ok {
		return nil, fmt.Errorf("driver connection %T is not a driver.Conn", c)
	}
	var s driver.Stmt
	var err error
	if pc, ok := dc.(driver.ConnPrepareContext); ok {
		s, err = pc.PrepareContext(t.ctx, query)
	} else {
		s, err = dc.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	sq, ok := s.(driver.StmtQueryContext)
	if !ok {
		s.Close()
		return nil, fmt.Errorf("driver statement %T cannot query with a context", s)
	}
	rows, err := sq.QueryContext(t.ctx, named)
	if err != nil {
		s.Close()
		return nil, err
	}
	return stmtRows{Rows: rows, stmt: s}, nil
}

// stmtRows closes its statement with the rows.
type stmtRows struct {
	driver.Rows
	stmt driver.Stmt
}

func (r stmtRows) Close() error {
	err := r.Rows.Close()
	if serr := r.stmt.Close(); err == nil {
		err = serr
	}
	return err
}

// driverValue turns a bind argument into a driver value.
func driverValue(a any) driver.Value {
	switch v := a.(type) {
	case int:
		return int64(v)
	case int32:
		return int64(v)
	case time.Time:
		return v.UnixMicro()
	}
	return a
}

// Column readers for driver values. A type the column cannot hold is a bug in the query,
// reported once per read through colErr.

type colReader struct{ err error }

func (c *colReader) fail(col int, v driver.Value, want string) {
	if c.err == nil {
		c.err = fmt.Errorf("column %d: got %T, want %s", col, v, want)
	}
}

func (c *colReader) int64(dest []driver.Value, col int) int64 {
	switch v := dest[col].(type) {
	case int64:
		return v
	case nil:
		return 0
	case float64:
		return int64(v)
	}
	c.fail(col, dest[col], "an integer")
	return 0
}

// nullInt64 reads a nullable integer: ok is false for NULL.
func (c *colReader) nullInt64(dest []driver.Value, col int) (int64, bool) {
	if dest[col] == nil {
		return 0, false
	}
	return c.int64(dest, col), true
}

func (c *colReader) float64(dest []driver.Value, col int) float64 {
	switch v := dest[col].(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	case nil:
		return 0
	}
	c.fail(col, dest[col], "a number")
	return 0
}

func (c *colReader) string(dest []driver.Value, col int) string {
	switch v := dest[col].(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case nil:
		return ""
	}
	c.fail(col, dest[col], "text")
	return ""
}

// nullBool reads a nullable boolean (SQLite stores 0 and 1).
func (c *colReader) nullBool(dest []driver.Value, col int) *bool {
	var b bool
	switch v := dest[col].(type) {
	case nil:
		return nil
	case bool:
		b = v
	case int64:
		b = v != 0
	default:
		c.fail(col, dest[col], "a boolean")
		return nil
	}
	return &b
}

func (c *colReader) time(dest []driver.Value, col int) time.Time {
	return fromMicros(c.int64(dest, col))
}
