package web

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// pathID parses the path parameter name as a positive decimal id, written canonically
// (no sign, no leading zeros). Anything else is EINVALID naming the parameter.
func pathID(r *http.Request, name string) (int64, error) {
	return parseID(name, r.PathValue(name))
}

// parseID is pathID's parser, separate so it can be fuzzed.
func parseID(name, v string) (int64, error) {
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != v {
		return 0, invalid(name, "must be a positive integer")
	}
	return id, nil
}

// pathText returns the path parameter name, which must be non-empty valid UTF-8 without
// control characters.
func pathText(r *http.Request, name string) (string, error) {
	v := r.PathValue(name)
	if v == "" || !utf8.ValidString(v) || strings.ContainsFunc(v, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
		return "", invalid(name, "must be non-empty text without control characters")
	}
	return v, nil
}

// queryValues returns every value of the query parameter, with comma-separated values
// split ("status=open,claimed" is "status=open&status=claimed"), empty ones dropped.
func queryValues(r *http.Request, name string) []string {
	var out []string
	for _, v := range r.URL.Query()[name] {
		for part := range strings.SplitSeq(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// queryInt parses an optional integer query parameter in [min, max]; absent gives 0.
func queryInt(r *http.Request, name string, min, max int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		return 0, invalid(name, "must be an integer from "+strconv.Itoa(min)+" to "+strconv.Itoa(max))
	}
	return n, nil
}
