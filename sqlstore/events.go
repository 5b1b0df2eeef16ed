package sqlstore

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"unicode/utf8"

	keeptrail "github.com/keeptrail/keeptrail"
)

// eventColumns are the columns InsertEvents writes, in argument order.
const eventColumns = `request_id, occurred_at, gateway_id, team_id, user_name, model, decision, severity,
policies_evaluated, rules_matched, categories, latency_ms, tokens_in, tokens_out, cost_usd`

const eventColumnCount = 15

// maxEventChunk is the most events one INSERT statement carries on SQLite (15 parameters
// each; SQLite allows 32766 per statement). A batch is split into chunks whose sizes are
// powers of two (1000 = 512+256+128+64+32+8), so that at most 11 statements, each
// prepared once, serve every batch size. The chunk size hardly changes the cost per event
// (measured from 100 to 2000 rows a statement).
const maxEventChunk = 1024

// eventInsertSQL caches the multi-row INSERT for each chunk size.
var eventInsertSQL sync.Map // rows -> string

// eventInsertQuery is the SQLite insert of rows events. It is INSERT OR IGNORE, not
// ON CONFLICT DO NOTHING RETURNING: a multi-row statement that may abort (a NOT NULL or
// conflict clause with the default ABORT) or that returns rows makes SQLite copy every
// page it touches into a statement journal first, and with random request ids that is
// one page per event. OR IGNORE skips a row whose request_id is stored (the same outcome
// as DO NOTHING) and no value it is given can be NULL, so nothing else is ignored;
// storedSince reads back which rows were stored.
func eventInsertQuery(rows int) string {
	if q, ok := eventInsertSQL.Load(rows); ok {
		return q.(string)
	}
	q := "INSERT OR IGNORE INTO decision_events (" + eventColumns + ") VALUES " + placeholders(rows, eventColumnCount)
	eventInsertSQL.Store(rows, q)
	return q
}

// The queries that find the rows an insert stored: SQLite gives each new row the largest
// id in the table plus one (ids are never near the int64 limit here), in the order of the
// VALUES, and the writer holds the database, so the rows above the largest id before the
// insert are exactly those it stored. When it stored every row and the last one got
// that id plus their number, the ids follow without reading them back.
const (
	eventMaxIDQuery  = "SELECT COALESCE(MAX(id), 0) FROM decision_events"
	eventStoredSince = "SELECT id, request_id FROM decision_events WHERE id > ? ORDER BY id"
)

// eventChunk returns the size of the next chunk of n remaining events: the largest power
// of two no greater than n and maxEventChunk.
func eventChunk(n int) int {
	c := 1
	for c*2 <= n && c*2 <= maxEventChunk {
		c *= 2
	}
	return c
}

// InsertEvents stores the events whose request_id is new, sets their ID, and returns the
// indexes (into events, ascending) of those inserted; the rest were duplicates, of a
// stored event or of an earlier event in the same batch (the first one wins). GatewayID
// and TeamID must be set. Times are truncated to microseconds in UTC, in events too.
func (t *tx) InsertEvents(events []keeptrail.DecisionEvent) ([]int, error) {
	if len(events) == 0 {
		return nil, nil
	}
	first := make(map[string]int, len(events))
	unique := make([]int, 0, len(events))
	for i := range events {
		e := &events[i]
		if e.GatewayID == 0 || e.TeamID == 0 {
			return nil, fmt.Errorf("insert events: event %d (request %q) lacks its gateway or team id", i, e.RequestID)
		}
		if _, dup := first[e.RequestID]; dup {
			continue
		}
		e.Time = keeptrail.TruncTime(e.Time)
		first[e.RequestID] = i
		unique = append(unique, i)
	}
	inserted := make([]int, 0, len(unique))
	stored := func(id int64, requestID string) error {
		i, ok := first[requestID]
		if !ok {
			return fmt.Errorf("returned request id %q was not in the batch", requestID)
		}
		events[i].ID = id
		inserted = append(inserted, i)
		return nil
	}
	var err error
	if t.db.d.name == "postgres" {
		err = t.unnestEvents(events, unique, stored)
	} else {
		err = t.valuesEvents(events, unique, stored)
	}
	if err != nil {
		return nil, fmt.Errorf("insert decision events: %w", err)
	}
	slices.Sort(inserted)
	// The compliance rollups count exactly the rows stored, in the same transaction.
	if err := t.rollUpEvents(events, inserted); err != nil {
		return nil, fmt.Errorf("insert decision events: %w", err)
	}
	return inserted, nil
}

// valuesEvents inserts events[unique] with multi-row INSERT OR IGNORE statements, each
// prepared once on the connection (SQLite), and reads back the ids of the rows stored.
func (t *tx) valuesEvents(events []keeptrail.DecisionEvent, unique []int, stored func(int64, string) error) error {
	var last int64
	err := t.queryPrepared(eventMaxIDQuery, nil, func(dest []driver.Value) error {
		id, ok := dest[0].(int64)
		if !ok {
			return fmt.Errorf("largest event id is %T", dest[0])
		}
		last = id
		return nil
	})
	if err != nil {
		return err
	}
	args := make([]driver.NamedValue, 0, eventChunk(len(unique))*eventColumnCount)
	var js jsonText
	for start := 0; start < len(unique); {
		part := unique[start : start+eventChunk(len(unique)-start)]
		start += len(part)
		args = args[:0]
		for _, i := range part {
			e := &events[i]
			n := len(args)
			args = append(args,
				driver.NamedValue{Ordinal: n + 1, Value: e.RequestID},
				driver.NamedValue{Ordinal: n + 2, Value: e.Time.UnixMicro()},
				driver.NamedValue{Ordinal: n + 3, Value: e.GatewayID},
				driver.NamedValue{Ordinal: n + 4, Value: e.TeamID},
				driver.NamedValue{Ordinal: n + 5, Value: e.User},
				driver.NamedValue{Ordinal: n + 6, Value: e.Model},
				driver.NamedValue{Ordinal: n + 7, Value: string(e.Decision)},
				driver.NamedValue{Ordinal: n + 8, Value: string(e.Severity)},
				driver.NamedValue{Ordinal: n + 9, Value: int64(e.PoliciesEvaluated)},
				driver.NamedValue{Ordinal: n + 10, Value: js.strings(e.RulesMatched)},
				driver.NamedValue{Ordinal: n + 11, Value: js.strings(e.Categories)},
				driver.NamedValue{Ordinal: n + 12, Value: e.LatencyMS},
				driver.NamedValue{Ordinal: n + 13, Value: e.TokensIn},
				driver.NamedValue{Ordinal: n + 14, Value: e.TokensOut},
				driver.NamedValue{Ordinal: n + 15, Value: e.CostUSD},
			)
		}
		n, lastID, err := t.execPrepared(eventInsertQuery(len(part)), args)
		if err != nil {
			return err
		}
		if n == int64(len(part)) && lastID == last+n {
			// All stored, and SQLite numbered them in statement order, each one above
			// the largest id before it: the ids are last+1 ... last+n.
			for k, i := range part {
				if err := stored(last+1+int64(k), events[i].RequestID); err != nil {
					return err
				}
			}
			last = lastID
			continue
		}
		var got int64
		storedNow := map[string]bool{}
		if n > 0 {
			since := []driver.NamedValue{{Ordinal: 1, Value: last}}
			err = t.queryPrepared(eventStoredSince, since, func(dest []driver.Value) error {
				got++
				return storedRow(dest, func(id int64, requestID string) error {
					last = id
					storedNow[requestID] = true
					return stored(id, requestID)
				})
			})
			if err != nil {
				return err
			}
		}
		if got != n {
			return fmt.Errorf("insert stored %d events but %d rows follow the largest id before it", n, got)
		}
		// OR IGNORE skips a row for any constraint; only a stored request_id may be the
		// reason. No other constraint can fail today, and this keeps it so.
		for _, i := range part {
			if id := events[i].RequestID; !storedNow[id] {
				if err := t.requireStored(id); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// eventByRequestIDQuery finds a stored event by its request id.
const eventByRequestIDQuery = "SELECT id FROM decision_events WHERE request_id = ?"

// requireStored returns an error unless an event with the request id is stored.
func (t *tx) requireStored(requestID string) error {
	found := false
	err := t.queryPrepared(eventByRequestIDQuery, []driver.NamedValue{{Ordinal: 1, Value: requestID}},
		func([]driver.Value) error {
			found = true
			return nil
		})
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("event %q was neither stored nor a duplicate of a stored one", requestID)
	}
	return nil
}

// storedRow reads one (id, request_id) row returned by an insert.
func storedRow(dest []driver.Value, stored func(int64, string) error) error {
	id, ok := dest[0].(int64)
	if !ok {
		return fmt.Errorf("returned event id is %T", dest[0])
	}
	switch v := dest[1].(type) {
	case string:
		return stored(id, v)
	case []byte:
		return stored(id, string(v))
	}
	return fmt.Errorf("returned request id is %T", dest[1])
}

// jsonText encodes string lists as compact JSON arrays, the stored form of rules matched
// and categories, reusing its buffer.
type jsonText struct{ b []byte }

func (j *jsonText) strings(list []string) string {
	if len(list) == 0 {
		return "[]"
	}
	j.b = append(j.b[:0], '[')
	for i, s := range list {
		if i > 0 {
			j.b = append(j.b, ',')
		}
		if plainJSONString(s) {
			j.b = append(j.b, '"')
			j.b = append(j.b, s...)
			j.b = append(j.b, '"')
			continue
		}
		q, _ := json.Marshal(s)
		j.b = append(j.b, q...)
	}
	j.b = append(j.b, ']')
	return string(j.b)
}

// plainJSONString reports whether s can be written between quotes as it is: printable
// ASCII without quote, backslash or the characters encoding/json escapes for HTML.
func plainJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

const heartbeatColumns = "gateway_id, occurred_at, config_version, healthy, error_rate, tls_min_version, encryption_at_rest"

const heartbeatColumnCount = 7

// InsertHeartbeats stores heartbeats (GatewayID set) for the completeness measure. Times
// are truncated to microseconds in UTC, in hbs too.
func (t *tx) InsertHeartbeats(hbs []keeptrail.Heartbeat) error {
	chunk := min(500, t.db.d.maxParams/heartbeatColumnCount)
	for start := 0; start < len(hbs); start += chunk {
		part := hbs[start:min(start+chunk, len(hbs))]
		args := make([]any, 0, len(part)*heartbeatColumnCount)
		for i := range part {
			h := &part[i]
			if h.GatewayID == 0 {
				return fmt.Errorf("insert heartbeats: heartbeat %d (gateway %q) lacks its gateway id", start+i, h.Gateway)
			}
			h.Time = keeptrail.TruncTime(h.Time)
			enc := sql.NullBool{}
			if h.EncryptionAtRest != nil {
				enc = sql.NullBool{Bool: *h.EncryptionAtRest, Valid: true}
			}
			args = append(args, h.GatewayID, micros(h.Time), nullInt(h.ConfigVersion), h.Healthy, h.ErrorRate, h.TLSMinVersion, enc)
		}
		q := "INSERT INTO heartbeats (" + heartbeatColumns + ") VALUES " + placeholders(len(part), heartbeatColumnCount)
		if _, err := t.exec(q, args...); err != nil {
			return fmt.Errorf("insert heartbeats: %w", err)
		}
	}
	if err := t.rollUpHeartbeats(hbs); err != nil {
		return fmt.Errorf("insert heartbeats: %w", err)
	}
	return nil
}
