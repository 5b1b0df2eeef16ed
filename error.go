// Package keeptrail holds the domain of the Keeptrail compliance evidence service: its
// entities in the product's own words, the error codes every layer speaks, the principal
// that carries a caller's identity and team scope, and the store interface that the SQLite
// and PostgreSQL stores implement. It performs no I/O.
package keeptrail

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. Users see the message of every code but EINTERNAL; internal errors are
// logged with their cause and shown as "internal error".
const (
	ECONFLICT     = "conflict"
	EINTERNAL     = "internal"
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	EFORBIDDEN    = "forbidden"
	EUNAUTHORIZED = "unauthorized"
	ETOOLARGE     = "too_large"
	ETOOMANY      = "too_many_requests"
)

// Error is the domain error: a code from the list above and a message fit for the user.
// Fields lists, for EINVALID, each bad field and why, in the order they were found.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
}

// FieldError names one bad input field (a dotted path such as "export.time_range.end",
// or "line 7: decision") and why it is bad.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (e FieldError) String() string { return e.Field + ": " + e.Reason }

// Error implements the error interface.
func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.String()
	}
	if e.Message == "" {
		return strings.Join(parts, "; ")
	}
	return e.Message + ": " + strings.Join(parts, "; ")
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, EINTERNAL otherwise,
// and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err: the message of an *Error, or
// "internal error" for anything else.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Error()
	}
	return "internal error"
}

// Validation collects field errors; Err returns nil when none were added.
type Validation struct {
	Fields []FieldError
}

// Add records that field is bad for the given reason.
func (v *Validation) Add(field, format string, args ...any) {
	v.Fields = append(v.Fields, FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// Err returns an EINVALID *Error listing every field added, or nil.
func (v *Validation) Err() error {
	if len(v.Fields) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Fields: v.Fields}
}
