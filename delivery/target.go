package delivery

import (
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/keeptrail/keeptrail"
)

// TargetKind says how a notice reaches its recipient.
type TargetKind string

// Target kinds, the prefix of a notify_on_complete value.
const (
	TargetEmail   TargetKind = "email"
	TargetWebhook TargetKind = "webhook"
)

// Limits on target values, so a stored spec stays small and headers stay well-formed.
const (
	maxAddressLen = 254
	maxURLLen     = 2048
)

// Target is one recipient of a notice: an email mailbox or a webhook URL, parsed from a
// notify_on_complete value ("email:ana@example.com", "webhook:https://siem.example/hook").
type Target struct {
	Kind TargetKind
	// Address is the bare mailbox (ana@example.com) of an email target.
	Address string
	// Name is the display name of an email target, when one was given
	// ("email:Ana Lima <ana@example.com>").
	Name string
	// URL is the endpoint of a webhook target.
	URL string
}

// String returns the target in the form ParseTarget reads, with an email target reduced
// to its bare address.
func (t Target) String() string {
	switch t.Kind {
	case TargetEmail:
		return string(TargetEmail) + ":" + t.Address
	case TargetWebhook:
		return string(TargetWebhook) + ":" + t.URL
	}
	return ""
}

// ParseTarget parses one notify_on_complete value. An email target holds exactly one
// address (net/mail syntax, display name allowed); a webhook target an absolute http or
// https URL with a host and without user:password. No value may hold CR, LF or any other
// control character. Errors are *keeptrail.Error EINVALID naming field.
func ParseTarget(field, s string) (Target, error) {
	var v keeptrail.Validation
	t := parseTarget(&v, field, s)
	if err := v.Err(); err != nil {
		return Target{}, err
	}
	return t, nil
}

// ParseTargets parses a list of notify_on_complete values, naming bad ones field[i], and
// reports every bad value at once. Duplicates (the same String()) are kept once.
func ParseTargets(field string, values []string) ([]Target, error) {
	var v keeptrail.Validation
	out := make([]Target, 0, len(values))
	seen := make(map[string]bool, len(values))
	for i, s := range values {
		t := parseTarget(&v, indexed(field, i), s)
		if t.Kind == "" || seen[t.String()] {
			continue
		}
		seen[t.String()] = true
		out = append(out, t)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func indexed(field string, i int) string {
	return field + "[" + strconv.Itoa(i) + "]"
}

func parseTarget(v *keeptrail.Validation, field, s string) Target {
	if hasControl(s) {
		v.Add(field, "must not contain control characters (CR, LF, ...)")
		return Target{}
	}
	kind, rest, ok := strings.Cut(s, ":")
	if !ok || rest == "" {
		v.Add(field, "must be email:ADDRESS or webhook:URL")
		return Target{}
	}
	switch TargetKind(strings.ToLower(strings.TrimSpace(kind))) {
	case TargetEmail:
		return parseEmailTarget(v, field, strings.TrimSpace(rest))
	case TargetWebhook:
		return parseWebhookTarget(v, field, strings.TrimSpace(rest))
	}
	v.Add(field, "unknown target %q: must be email:ADDRESS or webhook:URL", truncate(kind, 40))
	return Target{}
}

func parseEmailTarget(v *keeptrail.Validation, field, s string) Target {
	if s == "" {
		v.Add(field, "email address is empty")
		return Target{}
	}
	addr, err := mail.ParseAddress(s)
	if err != nil {
		if list, lerr := mail.ParseAddressList(s); lerr == nil && len(list) > 1 {
			v.Add(field, "one email address per target")
		} else {
			v.Add(field, "not an email address: %s", reason(err))
		}
		return Target{}
	}
	if len(addr.Address) > maxAddressLen {
		v.Add(field, "email address longer than %d characters", maxAddressLen)
		return Target{}
	}
	if hasControl(addr.Name) || hasControl(addr.Address) {
		// Encoded words can decode to control characters; they would reach the header.
		v.Add(field, "must not contain control characters (CR, LF, ...)")
		return Target{}
	}
	return Target{Kind: TargetEmail, Address: addr.Address, Name: addr.Name}
}

func parseWebhookTarget(v *keeptrail.Validation, field, s string) Target {
	if len(s) > maxURLLen {
		v.Add(field, "webhook URL longer than %d characters", maxURLLen)
		return Target{}
	}
	u, err := url.Parse(s)
	if err != nil {
		v.Add(field, "not a URL: %s", reason(err))
		return Target{}
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		v.Add(field, "webhook URL must start with https:// or http://")
	case u.Host == "" || u.Hostname() == "":
		v.Add(field, "webhook URL has no host")
	case !validPort(u.Port()):
		v.Add(field, "webhook URL port must be between 1 and 65535")
	case u.User != nil:
		v.Add(field, "webhook URL must not carry a user or password; the webhook secret signs each request")
	case u.Fragment != "" || strings.Contains(s, "#"):
		v.Add(field, "webhook URL must not have a #fragment")
	default:
		return Target{Kind: TargetWebhook, URL: u.String()}
	}
	return Target{}
}

// validPort accepts an empty port (the scheme's default) or 1-65535.
func validPort(p string) bool {
	if p == "" {
		return true
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

// hasControl reports whether s holds a C0 control character (CR, LF, NUL, ...) or DEL.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 || b == 0x7f {
			return true
		}
	}
	return false
}

// reason returns err's text without the package prefix net/mail and net/url put in front,
// cut to a length fit for an error message.
func reason(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "mail: ")
	if ue, ok := err.(*url.Error); ok {
		msg = ue.Err.Error()
	}
	return truncate(msg, 80)
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
