package delivery

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/keeptrail/keeptrail"
)

// Notice statuses.
const (
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
)

// Notice says that an artifact (an export today; later a compliance package or a scheduled
// report) has finished. The producer fills it; the Mailer and the Webhook turn it into a
// message without knowing what produced it.
type Notice struct {
	// Kind is what finished, in the product's words: "export", "compliance_package", ...
	Kind string `json:"kind"`
	// ID identifies the artifact or job within its kind ("42"). Together with Kind it
	// makes the Message-ID and the webhook delivery id, so a retry is recognisable.
	ID string `json:"id"`
	// Title is a short human name ("Q3 audit log"); optional, one line.
	Title string `json:"title,omitempty"`
	// Status is StatusSucceeded or StatusFailed.
	Status string `json:"status"`
	// Rows, Bytes and SHA256 describe the file of a succeeded artifact.
	Rows   int64  `json:"rows"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256,omitempty"`
	// Error is the user-facing reason of a failure (keeptrail.ErrorMessage, never a cause
	// with internals).
	Error string `json:"error,omitempty"`
	// Link is the absolute URL to download the file (see LinkSigner); it needs sign-in.
	Link string `json:"link,omitempty"`
	// LinkExpires is when Link stops working.
	LinkExpires time.Time `json:"link_expires,omitzero"`
	// FinishedAt is when the artifact finished.
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// Attachment is the file itself, attached to email when small enough. Never sent by
	// webhook.
	Attachment *Attachment `json:"-"`
}

// Attachment is a file that may be attached to a notice email. When it is small enough
// to attach, Send opens it once and reads it into memory before connecting: the bytes
// must number exactly Size and, when it is the notice's file (Size == Notice.Bytes and
// Notice.SHA256 set), hash to Notice.SHA256, or the delivery fails before anything is
// sent.
type Attachment struct {
	// Name is the file name shown to the recipient ("export-42.csv").
	Name string
	// ContentType is the MIME type; empty means guessed from Name's extension.
	ContentType string
	// Size is the file's length in bytes.
	Size int64
	// Open opens the file for reading from the start.
	Open func() (io.ReadCloser, error)
}

// Receipt says how a notice was handed over.
type Receipt struct {
	// Target is the recipient, as Target.String.
	Target string
	// ID is the Message-ID (without angle brackets) of an email, or the
	// Keeptrail-Delivery id of a webhook; the same for every retry of the same notice.
	ID string
	// Attempts is how many tries it took (1 when the first succeeded).
	Attempts int
	// Attached reports whether the file was attached to the email.
	Attached bool
	// OutboxPath is the .eml file written when no SMTP server is configured.
	OutboxPath string
}

// validate checks the parts of n that end up in headers or identifiers.
func (n Notice) validate() error {
	var v keeptrail.Validation
	switch {
	case n.Kind == "":
		v.Add("notice.kind", "is empty")
	case !isToken(n.Kind):
		v.Add("notice.kind", "must be lowercase letters, digits and _")
	}
	if n.ID == "" {
		v.Add("notice.id", "is empty")
	} else if hasControl(n.ID) || len(n.ID) > 200 {
		v.Add("notice.id", "must be at most 200 characters without control characters")
	}
	if hasControl(n.Title) {
		v.Add("notice.title", "must not contain control characters (CR, LF, ...)")
	} else if len(n.Title) > 200 {
		v.Add("notice.title", "longer than 200 characters")
	}
	if n.Status != StatusSucceeded && n.Status != StatusFailed {
		v.Add("notice.status", "must be %s or %s", StatusSucceeded, StatusFailed)
	}
	if hasControl(n.Link) {
		v.Add("notice.link", "must not contain control characters (CR, LF, ...)")
	}
	if a := n.Attachment; a != nil {
		if a.Open == nil {
			v.Add("notice.attachment.open", "is nil")
		}
		if a.Size < 0 {
			v.Add("notice.attachment.size", "is negative")
		}
		if a.Name == "" || hasControl(a.Name) || strings.ContainsAny(a.Name, `/\"`) {
			v.Add("notice.attachment.name", "must be a plain file name")
		}
		if hasControl(a.ContentType) {
			v.Add("notice.attachment.content_type", "must not contain control characters")
		}
	}
	return v.Err()
}

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if (b < 'a' || b > 'z') && (b < '0' || b > '9') && b != '_' {
			return false
		}
	}
	return s != ""
}

// stableID is a hex digest naming one (notice, recipient) pair: the same for every retry,
// different for every other pair. The parts are length-prefixed so no two pairs collide.
func stableID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		io.WriteString(h, strconv.Itoa(len(p)))
		io.WriteString(h, ":")
		io.WriteString(h, p)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
