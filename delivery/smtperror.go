package delivery

import (
	"errors"
	"fmt"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// permanentSMTPErrors are client-side failures that the same configuration will meet
// again on every attempt: the server lacks what the settings demand.
var permanentSMTPErrors = []error{
	gomail.ErrNoSupportedAuthDiscovered,
	gomail.ErrPlainAuthNotSupported,
	gomail.ErrLoginAuthNotSupported,
	gomail.ErrCramMD5AuthNotSupported,
	gomail.ErrSCRAMSHA1AuthNotSupported,
	gomail.ErrSCRAMSHA256AuthNotSupported,
	gomail.ErrServerNoUnencoded,
	smtp.ErrUnencrypted,
	smtp.ErrWrongHostname,
}

// classifySMTP turns the error of one SMTP attempt into a delivery *Error (Target and
// Attempts left for the caller): a 5xx reply, a certificate the client rejects, an
// authentication mechanism or STARTTLS the server lacks, or a missing attachment is
// permanent; a 4xx reply, a connection failure or anything unknown is temporary, retried
// within the bounded attempts.
func classifySMTP(err error) *Error {
	fail := &Error{Err: err}
	if code := smtpCode(err); code != 0 {
		fail.Code = code
		fail.Permanent = code >= 500
		fail.Err = errors.New(smtpReply(err))
		return fail
	}
	var se *gomail.SendError
	if errors.As(err, &se) && (se.Reason == gomail.ErrGetSender || se.Reason == gomail.ErrGetRcpts) {
		fail.Permanent = true
		return fail
	}
	for _, p := range permanentSMTPErrors {
		if errors.Is(err, p) {
			fail.Permanent = true
			return fail
		}
	}
	if certificateError(err) {
		fail.Permanent = true
		return fail
	}
	if strings.Contains(err.Error(), "does not support STARTTLS") {
		fail.Permanent = true
	}
	return fail
}

// smtpCode returns the SMTP reply code (4xx or 5xx) carried by err, or 0.
func smtpCode(err error) int {
	var se *gomail.SendError
	if errors.As(err, &se) {
		if c := se.ErrorCode(); c >= 400 && c < 600 {
			return c
		}
	}
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 400 && te.Code < 600 {
		return te.Code
	}
	return 0
}

// quotedReply finds a reply as net/textproto prints it: 550 "5.1.1 no such user".
var quotedReply = regexp.MustCompile(`\b([45][0-9][0-9]) ("(?:[^"\\]|\\.)*")`)

// smtpReply returns the failed step and the server's reply unquoted
// ("sending SMTP RCPT TO command: 550 5.1.1 no such user"), which is what a person reads
// as the delivery's last error; err's text when it carries no reply.
func smtpReply(err error) string {
	var se *gomail.SendError
	if errors.As(err, &se) {
		if m := quotedReply.FindStringSubmatch(se.Error()); m != nil {
			if text, uerr := strconv.Unquote(m[2]); uerr == nil {
				return se.Reason.String() + ": " + m[1] + " " + oneLine(text)
			}
		}
		return se.Error()
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return strings.Replace(err.Error(), te.Error(), fmt.Sprintf("%03d %s", te.Code, oneLine(te.Msg)), 1)
	}
	return err.Error()
}

// oneLine joins a multi-line reply and drops control characters.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' {
			return ' '
		}
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}
