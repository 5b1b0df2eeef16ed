package sqlstore

import (
	"strings"

	keeptrail "github.com/keeptrail/keeptrail"
)

// sqlConst is SQL text written in this package's source. Export queries are assembled
// only from sqlConst values, and untyped string constants are the only strings that
// convert to it implicitly: a filter value (a string variable) cannot reach the query text
// without an explicit conversion, which TestExportSQLFromConstantsOnly forbids. Filter
// values travel as bind parameters; IN lists get one generated placeholder per value.
type sqlConst string

// exportWhere collects the conditions and arguments of an export query.
type exportWhere struct {
	conds []sqlConst
	args  []any
}

// add appends a condition written in the source, with its arguments.
func (w *exportWhere) add(cond sqlConst, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// in appends "col IN (?, ?, ...)" with one placeholder per value; nothing for no values.
func in[T any](w *exportWhere, col sqlConst, values []T) {
	if len(values) == 0 {
		return
	}
	w.conds = append(w.conds, col+" IN ("+placeholderList(len(values))+")")
	for _, v := range values {
		w.args = append(w.args, any(v))
	}
}

// placeholderList is "?, ?, ?" with n placeholders.
func placeholderList(n int) sqlConst {
	return sqlConst(strings.TrimSuffix(strings.Repeat("?, ", n), ", "))
}

// scope restricts col to the scope's teams; nothing when it is unrestricted.
func (w *exportWhere) scope(col sqlConst, s keeptrail.TeamScope) {
	if s.Unrestricted() {
		return
	}
	in(w, col, s.TeamIDs)
}

// sql is " WHERE c1 AND c2 ..." or "".
func (w *exportWhere) sql() sqlConst {
	if len(w.conds) == 0 {
		return ""
	}
	var b strings.Builder
	for i, c := range w.conds {
		if i == 0 {
			b.WriteString(" WHERE ")
		} else {
			b.WriteString(" AND ")
		}
		b.WriteString(string(c))
	}
	return sqlConst(b.String())
}

// strList converts a list of a string type into strings for bind arguments.
func strList[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}
