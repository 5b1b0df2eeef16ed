package sqlstore

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"unsafe"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	keeptrail "github.com/keeptrail/keeptrail"
)

// exportPgxRows runs q on the pgx connection under the transaction and calls each with
// every row's raw values (valid only during the call) and the result's field
// descriptions. It reads pgx's wire values directly: on exports of millions of rows the
// conversion of every value into a database/sql value costs more than PostgreSQL takes to
// send it.
func (t *tx) exportPgxRows(q sqlConst, args []any, each func(vals [][]byte, fields []pgconn.FieldDescription) error) error {
	query := t.db.d.rebind(string(q))
	for i, a := range args {
		args[i] = driverValue(a)
	}
	return t.conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("driver connection %T is not pgx", dc)
		}
		rows, err := sc.Conn().Query(t.ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		fields := rows.FieldDescriptions()
		for rows.Next() {
			if err := each(rows.RawValues(), fields); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// pgValues decodes raw PostgreSQL values of the types exports read (bigint, integer,
// double precision, boolean in binary or text format, and text). The first bad value is
// kept in err.
type pgValues struct {
	fields []pgconn.FieldDescription
	err    error
}

func (p *pgValues) fail(col int, why string) {
	if p.err == nil {
		p.err = fmt.Errorf("column %d (%s): %s", col, p.fields[col].Name, why)
	}
}

func (p *pgValues) int64(v []byte, col int) int64 {
	f := p.fields[col]
	if v == nil {
		return 0
	}
	if f.Format == pgtype.TextFormatCode {
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			p.fail(col, err.Error())
		}
		return n
	}
	switch len(v) {
	case 8:
		return int64(binary.BigEndian.Uint64(v))
	case 4:
		return int64(int32(binary.BigEndian.Uint32(v)))
	case 2:
		return int64(int16(binary.BigEndian.Uint16(v)))
	}
	p.fail(col, "not an integer")
	return 0
}

func (p *pgValues) float64(v []byte, col int) float64 {
	f := p.fields[col]
	if v == nil {
		return 0
	}
	if f.Format == pgtype.TextFormatCode {
		x, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			p.fail(col, err.Error())
		}
		return x
	}
	switch len(v) {
	case 8:
		return math.Float64frombits(binary.BigEndian.Uint64(v))
	case 4:
		return float64(math.Float32frombits(binary.BigEndian.Uint32(v)))
	}
	p.fail(col, "not a float")
	return 0
}

// rowText copies the text columns of one row into one allocation and returns them as
// strings viewing it: one allocation per row instead of one per value.
type rowText struct {
	buf []byte
	off int
}

// reserve allocates room for the text values of a row.
func (r *rowText) reserve(vals [][]byte, cols []int) {
	n := 0
	for _, c := range cols {
		n += len(vals[c])
	}
	r.buf, r.off = make([]byte, n), 0
}

// text returns v as a string inside the row's allocation.
func (r *rowText) text(v []byte) string {
	if len(v) == 0 {
		return ""
	}
	b := r.buf[r.off : r.off+len(v)]
	copy(b, v)
	r.off += len(v)
	return unsafe.String(&b[0], len(b))
}

// eventTextColumns are the text columns of exportEventColumns.
var eventTextColumns = []int{1, 5, 6, 7, 8, 10, 11}

// exportEventsPgx is ExportDecisionEvents on PostgreSQL.
func (t *tx) exportEventsPgx(q sqlConst, args []any, fn func(*keeptrail.DecisionEventRow) error) error {
	var e keeptrail.DecisionEventRow
	var p pgValues
	var rt rowText
	return t.exportPgxRows(q, args, func(v [][]byte, fields []pgconn.FieldDescription) error {
		p.fields = fields
		rt.reserve(v, eventTextColumns)
		e.ID = p.int64(v[0], 0)
		e.RequestID = rt.text(v[1])
		e.Time = fromMicros(p.int64(v[2], 2))
		e.GatewayID = p.int64(v[3], 3)
		e.TeamID = p.int64(v[4], 4)
		e.User = rt.text(v[5])
		e.Model = rt.text(v[6])
		e.Decision = rt.text(v[7])
		e.Severity = rt.text(v[8])
		e.PoliciesEvaluated = p.int64(v[9], 9)
		e.RulesMatched = rt.text(v[10])
		e.Categories = rt.text(v[11])
		e.LatencyMS = p.int64(v[12], 12)
		e.TokensIn = p.int64(v[13], 13)
		e.TokensOut = p.int64(v[14], 14)
		e.CostUSD = p.float64(v[15], 15)
		if p.err != nil {
			return p.err
		}
		return fn(&e)
	})
}
