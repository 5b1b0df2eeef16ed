package export

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// sink receives the cells of one row, column by column, in the form of one output
// format; endRow finishes the row. key announces the column (index into the column list)
// before its value: JSON writes the name, CSV and PDF ignore it.
type sink interface {
	key(col int)
	text(s string)
	int(n int64)
	float(f float64)
	bool(b bool)
	time(t time.Time)
	null()
	// raw is a JSON value (an array or object): JSON embeds it, CSV and PDF show its text.
	raw(json string)
	endRow() error
}

// timeLayout is how times are written in every format: UTC, microseconds (the precision
// of storage). It equals safecsv.TimeLayout.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// appendTime appends t in timeLayout, by hand for the years 0 to 9999.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, timeLayout)
	}
	hour, minute, sec := t.Clock()
	us := t.Nanosecond() / 1000
	return append(b, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-', byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':', byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), '.',
		byte('0'+us/100000), byte('0'+us/10000%10), byte('0'+us/1000%10),
		byte('0'+us/100%10), byte('0'+us/10%10), byte('0'+us%10), 'Z')
}

// appendFloat writes a number the way CSV does: 'f' format, shortest exact digits.
func appendFloat(b []byte, f float64) []byte { return strconv.AppendFloat(b, f, 'f', -1, 64) }

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string: quotes, backslashes and control characters
// escaped, U+2028 and U+2029 escaped (they end lines in JavaScript), invalid UTF-8
// replaced with U+FFFD; <, > and & are kept (the output is data, not HTML).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
