package delivery

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Error is a failed delivery: which target, whether it failed permanently (an SMTP 5xx, an
// HTTP 4xx other than 429, an invalid notice or target) or only temporarily (SMTP 4xx, a
// connection failure, HTTP 429 or 5xx) after every allowed attempt, and the cause.
//
// A caller records Error() as the delivery's last error. On a permanent failure it marks
// the delivery failed and tells someone; after a temporary one it may try again later
// (a durable job), no sooner than RetryAfter when that is set.
type Error struct {
	// Target is the recipient, as Target.String.
	Target string
	// Permanent is true when trying again cannot help.
	Permanent bool
	// Code is the SMTP reply code or HTTP status of the last attempt; 0 when there was
	// none (no connection, invalid input).
	Code int
	// Attempts is how many attempts were made (0 when the input was invalid).
	Attempts int
	// RetryAfter is how long the receiver asked us to wait (HTTP Retry-After) when that
	// was longer than this delivery was willing to wait.
	RetryAfter time.Duration
	// Err is the cause: a *keeptrail.Error for invalid input, else the last attempt's error.
	Err error
}

// Error reads like "email:ana@example.com: failed permanently: sending SMTP RCPT TO
// command: 550 5.1.1 no such user" or "webhook:https://...: failed temporarily after 5
// attempts: 503 Service Unavailable: <start of the reply body>".
func (e *Error) Error() string {
	var b strings.Builder
	if e.Target != "" {
		b.WriteString(e.Target)
		b.WriteString(": ")
	}
	if e.Permanent {
		b.WriteString("failed permanently")
	} else {
		b.WriteString("failed temporarily")
	}
	if e.Attempts > 1 {
		b.WriteString(" after ")
		b.WriteString(strconv.Itoa(e.Attempts))
		b.WriteString(" attempts")
	}
	if e.RetryAfter > 0 {
		b.WriteString(" (retry after ")
		b.WriteString(e.RetryAfter.String())
		b.WriteString(")")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause, so errors.As finds a *keeptrail.Error for invalid input.
func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether trying again later may succeed.
func (e *Error) Temporary() bool { return !e.Permanent }

// IsPermanent reports whether err is (or wraps) a delivery *Error that failed permanently.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// certificateError reports whether err is a server certificate the client rejects:
// trying again in a minute meets the same certificate, so the failure is permanent.
func certificateError(err error) bool {
	var (
		verr *tls.CertificateVerificationError
		uerr x509.UnknownAuthorityError
		herr x509.HostnameError
		cerr x509.CertificateInvalidError
	)
	return errors.As(err, &verr) || errors.As(err, &uerr) || errors.As(err, &herr) || errors.As(err, &cerr)
}
