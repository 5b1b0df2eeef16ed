package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/keeptrail/keeptrail"
)

// maxJSONBodyBytes limits a management API request body.
const maxJSONBodyBytes = 1 << 20

// writeJSON writes v as the JSON body of a response with the status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only values the server built are encoded here; failing is a programming error.
		http.Error(w, `{"error":{"code":"internal","message":"internal error"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// listResponse is the shape of every list: {"items":[...]}, never null.
type listResponse[T any] struct {
	Items []T `json:"items"`
}

// list wraps items for writeJSON.
func list[T any](items []T) listResponse[T] {
	if items == nil {
		items = []T{}
	}
	return listResponse[T]{Items: items}
}

// decodeBody decodes the request's JSON body into dst strictly: one JSON object, no
// unknown fields, right types, at most maxJSONBodyBytes. A missing body is an error.
func decodeBody(w http.ResponseWriter, r *http.Request, dst any) error {
	return decodeStrict(http.MaxBytesReader(w, r.Body, maxJSONBodyBytes), dst, false)
}

// decodeOptionalBody is decodeBody for actions whose body may be left out (or be {}).
func decodeOptionalBody(w http.ResponseWriter, r *http.Request) error {
	var none struct{}
	return decodeStrict(http.MaxBytesReader(w, r.Body, maxJSONBodyBytes), &none, true)
}

// decodeStrict decodes one JSON value from rd into dst and checks nothing follows it.
// Errors are EINVALID naming the field as the client wrote it, or ETOOLARGE.
func decodeStrict(rd io.Reader, dst any, optional bool) error {
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if errors.Is(err, io.EOF) {
			if optional {
				return nil
			}
			return invalid("body", "required: send a JSON object")
		}
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return decodeError(err)
			}
		}
		return invalid("body", "must hold exactly one JSON object")
	}
	return nil
}

// decodeError turns an encoding/json error into a domain error naming the field.
func decodeError(err error) error {
	var (
		tooBig *http.MaxBytesError
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooBig):
		return keeptrail.Errorf(keeptrail.ETOOLARGE, "request body is larger than %d bytes", tooBig.Limit)
	case errors.As(err, &syntax):
		return invalid("body", fmt.Sprintf("invalid JSON at byte %d: %s", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: ")))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("body", "truncated JSON")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return invalid(field, "must be "+describeType(typ.Type))
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, `json: unknown field `); ok {
		if unq, uerr := strconv.Unquote(name); uerr == nil {
			name = unq
		}
		if name == "" || len(name) > maxFieldNameBytes {
			return invalid("body", "unknown field "+strconv.Quote(truncateName(name)))
		}
		return invalid(name, "unknown field")
	}
	return invalid("body", strings.TrimPrefix(msg, "json: "))
}

// maxFieldNameBytes bounds a field name echoed back in an error.
const maxFieldNameBytes = 100

func truncateName(name string) string {
	if len(name) <= maxFieldNameBytes {
		return name
	}
	cut := maxFieldNameBytes
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return name[:cut] + "..."
}

// describeType names the JSON shape a Go type expects, for error reasons.
func describeType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "of type " + t.String()
}
