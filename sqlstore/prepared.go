package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"sync"
)

// preparedStatements keeps statements prepared on each driver connection, so that the
// large multi-row inserts of the ingest path are parsed once per connection rather than
// once per batch. database/sql cannot do this for us: preparing on the pool needs a free
// connection, and SQLite's write pool has exactly one, held by the running transaction.
type preparedStatements struct {
	mu sync.Mutex
	m  map[driver.Conn]map[string]driver.Stmt
}

func (p *preparedStatements) get(ctx context.Context, dc driver.Conn, q string) (driver.Stmt, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.m[dc][q]; ok {
		return s, nil
	}
	var s driver.Stmt
	var err error
	if pc, ok := dc.(driver.ConnPrepareContext); ok {
		s, err = pc.PrepareContext(ctx, q)
	} else {
		s, err = dc.Prepare(q)
	}
	if err != nil {
		return nil, err
	}
	if p.m == nil {
		p.m = map[driver.Conn]map[string]driver.Stmt{}
	}
	if p.m[dc] == nil {
		p.m[dc] = map[string]driver.Stmt{}
	}
	p.m[dc][q] = s
	return s, nil
}

// forget drops the statements of a connection that went bad.
func (p *preparedStatements) forget(dc driver.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.m[dc] {
		s.Close()
	}
	delete(p.m, dc)
}

func (p *preparedStatements) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for dc, stmts := range p.m {
		for _, s := range stmts {
			s.Close()
		}
		delete(p.m, dc)
	}
}

// withPrepared runs fn with the statement for q (already rebound) cached on the
// transaction's connection; a connection that went bad loses its statements.
func (t *tx) withPrepared(q string, fn func(s driver.Stmt) error) error {
	return t.conn.Raw(func(c any) error {
		dc, ok := c.(driver.Conn)
		if !ok {
			return fmt.Errorf("driver connection %T is not a driver.Conn", c)
		}
		s, err := t.db.prepared.get(t.ctx, dc, q)
		if err != nil {
			return err
		}
		err = fn(s)
		if errors.Is(err, driver.ErrBadConn) {
			t.db.prepared.forget(dc)
		}
		return err
	})
}

// execPrepared runs q (already rebound) with args through a statement cached on the
// transaction's connection and returns the number of rows it changed and the last rowid
// inserted (SQLite).
func (t *tx) execPrepared(q string, args []driver.NamedValue) (n, lastID int64, err error) {
	err = t.withPrepared(q, func(s driver.Stmt) error {
		se, ok := s.(driver.StmtExecContext)
		if !ok {
			return fmt.Errorf("driver statement %T cannot exec with a context", s)
		}
		res, err := se.ExecContext(t.ctx, args)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		lastID, err = res.LastInsertId()
		return err
	})
	return n, lastID, err
}

// queryPrepared runs q (already rebound) with args through a statement cached on the
// transaction's connection, calling each for every row. dest is reused between rows.
func (t *tx) queryPrepared(q string, args []driver.NamedValue, each func(dest []driver.Value) error) error {
	return t.withPrepared(q, func(s driver.Stmt) error {
		sq, ok := s.(driver.StmtQueryContext)
		if !ok {
			return fmt.Errorf("driver statement %T cannot query with a context", s)
		}
		rows, err := sq.QueryContext(t.ctx, args)
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
