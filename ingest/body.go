package ingest

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"io"
	"strconv"

	"github.com/keeptrail/keeptrail"
)

// errTooLarge is returned by the body limit once more than MaxBodyBytes were read.
var errTooLarge = errors.New("body too large")

// limitedReader fails with errTooLarge when more than max bytes come out of r.
type limitedReader struct {
	r    io.Reader
	left int64 // bytes still allowed
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		// The bytes beyond the limit are dropped: the caller stops at the error.
		return n - int(-l.left), errTooLarge
	}
	return n, err
}

// gzipMagic starts every gzip stream.
var gzipMagic = []byte{0x1f, 0x8b}

// utf8BOM is skipped at the start of a body (some tools write it).
var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// lineReader yields the lines of a request body: decompressed when gzip, bounded in
// total decompressed size and in the length of each line.
type lineReader struct {
	br      *bufio.Reader
	max     int
	n       int  // number of the last line returned, from 1
	tooLong bool // the last line was longer than max and was skipped
	gzip    bool // the body is gzip-compressed
}

// newLineReader detects gzip by its magic bytes and sets up the limits.
func newLineReader(r io.Reader, maxBody int64, maxLine int) (*lineReader, error) {
	src := bufio.NewReaderSize(r, 4096)
	lr := &lineReader{max: maxLine}
	if magic, _ := src.Peek(2); bytes.Equal(magic, gzipMagic) {
		zr, err := gzip.NewReader(src)
		if err != nil {
			if isGzipError(err) {
				return nil, keeptrail.Errorf(keeptrail.EINVALID, "body: invalid gzip data: %v", err)
			}
			return nil, err
		}
		r = zr
		lr.gzip = true
	} else {
		r = src
	}
	// A line of max bytes fits with its CR LF.
	lr.br = bufio.NewReaderSize(&limitedReader{r: r, left: maxBody}, maxLine+2)
	return lr, nil
}

// next returns the next line without its line ending. tooLong reports a line longer
// than the maximum, which is skipped (line is nil). At the end it returns io.EOF.
func (lr *lineReader) next() (line []byte, err error) {
	lr.tooLong = false
	line, err = lr.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		lr.n++
		lr.tooLong = true
		for err == bufio.ErrBufferFull {
			_, err = lr.br.ReadSlice('\n')
		}
		if err == io.EOF {
			err = nil
		}
		return nil, lr.fail(err)
	}
	if err == io.EOF {
		if len(line) == 0 {
			return nil, io.EOF
		}
		err = nil
	}
	if err != nil {
		return nil, lr.fail(err)
	}
	lr.n++
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if len(line) > lr.max {
		lr.tooLong = true
		return nil, nil
	}
	if lr.n == 1 {
		line = bytes.TrimPrefix(line, utf8BOM)
	}
	return line, nil
}

// fail turns a read error into the error Ingest returns.
func (lr *lineReader) fail(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errTooLarge):
		return keeptrail.Errorf(keeptrail.ETOOLARGE, "body: larger than the limit after decompression")
	case lr.gzip && isGzipError(err):
		return keeptrail.Errorf(keeptrail.EINVALID, "body: invalid gzip data after line %d: %v", lr.n, err)
	}
	return err
}

// isGzipError reports a corrupt or truncated gzip stream.
func isGzipError(err error) bool {
	var corrupt flate.CorruptInputError
	return errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.As(err, &corrupt)
}

// tooLongReason is the rejection of a line over the maximum.
func tooLongReason(max int) string {
	return "line: longer than " + strconv.Itoa(max) + " bytes"
}

// blank reports whether a line holds nothing but spaces and tabs.
func blank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}
