package evidence

import (
	"path"
	"strings"
)

// rowCounter counts the data rows of a member as its bytes stream past. Rows reports
// false when the member's rows are not countable (a JSON file that is not an array).
type rowCounter interface {
	Write(p []byte) (int, error)
	Rows() (int64, bool)
}

// newRowCounter returns the counter for a member path by its extension, or nil when the
// format has no rows (PDF, images, anything unknown):
//   - .csv: records as encoding/csv reads them (quoted line breaks stay in their record,
//     empty lines are skipped), less the header record;
//   - .ndjson, .jsonl: lines that hold more than white space;
//   - .json: the elements of a top-level array.
func newRowCounter(p string) rowCounter {
	switch strings.ToLower(path.Ext(p)) {
	case ".csv":
		return &csvRows{}
	case ".ndjson", ".jsonl":
		return &ndjsonRows{}
	case ".json":
		return &jsonArrayRows{}
	}
	return nil
}

// csvRows counts CSV records. Outside quotes a line feed ends a physical line; a line
// that is empty, or holds only the carriage return of a CRLF, is skipped as encoding/csv
// skips it. Quote parity is enough to know whether a line feed is inside a quoted field:
// in valid CSV quotes appear only around fields and doubled inside them.
type csvRows struct {
	records  int64
	lineLen  int64 // bytes of the current physical line so far
	lastCR   bool  // the last byte of the current line was '\r'
	inQuotes bool
}

func (c *csvRows) Write(p []byte) (int, error) {
	for _, b := range p {
		switch {
		case b == '"':
			c.inQuotes = !c.inQuotes
		case b == '\n' && !c.inQuotes:
			c.endLine()
			continue
		}
		c.lineLen++
		c.lastCR = b == '\r'
	}
	return len(p), nil
}

func (c *csvRows) endLine() {
	n := c.lineLen
	if c.lastCR {
		n--
	}
	if n > 0 {
		c.records++
	}
	c.lineLen, c.lastCR = 0, false
}

// Rows is the number of records less the header.
func (c *csvRows) Rows() (int64, bool) {
	records := c.records
	if n := c.lineLen; n > 0 && !(n == 1 && c.lastCR) {
		records++ // a last record without a line end
	}
	if records == 0 {
		return 0, true
	}
	return records - 1, true
}

// ndjsonRows counts the lines of NDJSON that hold a value.
type ndjsonRows struct {
	rows    int64
	content bool // the current line has a byte that is not white space
}

func (c *ndjsonRows) Write(p []byte) (int, error) {
	for _, b := range p {
		switch b {
		case '\n':
			if c.content {
				c.rows++
			}
			c.content = false
		case ' ', '\t', '\r':
		default:
			c.content = true
		}
	}
	return len(p), nil
}

func (c *ndjsonRows) Rows() (int64, bool) {
	if c.content {
		return c.rows + 1, true
	}
	return c.rows, true
}

// jsonArrayRows counts the elements of a top-level JSON array by tracking strings and
// nesting depth; it does not validate the JSON, which the bundle's producer wrote.
type jsonArrayRows struct {
	started  bool // the first byte that is not white space was seen
	notArray bool
	depth    int
	inString bool
	escaped  bool
	expect   bool // at depth 1, the next value starts an element
	rows     int64
}

func (c *jsonArrayRows) Write(p []byte) (int, error) {
	if c.notArray {
		return len(p), nil
	}
	for _, b := range p {
		if c.inString {
			switch {
			case c.escaped:
				c.escaped = false
			case b == '\\':
				c.escaped = true
			case b == '"':
				c.inString = false
			}
			continue
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		if !c.started {
			c.started = true
			if b != '[' {
				c.notArray = true
				return len(p), nil
			}
			c.depth, c.expect = 1, true
			continue
		}
		switch b {
		case ',':
			if c.depth == 1 {
				c.expect = true
			}
			continue
		case ']', '}':
			c.depth--
			continue
		}
		if c.depth == 1 && c.expect {
			c.rows++
			c.expect = false
		}
		switch b {
		case '"':
			c.inString = true
		case '[', '{':
			c.depth++
		}
	}
	return len(p), nil
}

func (c *jsonArrayRows) Rows() (int64, bool) {
	if !c.started || c.notArray {
		return 0, false
	}
	return c.rows, true
}
