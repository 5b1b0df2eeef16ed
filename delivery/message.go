package delivery

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Headers Keeptrail adds to every notice email, so mail rules can sort them and
// auto-responders stay quiet (RFC 3834).
const (
	headerAutoSubmitted = "Auto-Submitted"
	headerNotice        = "X-Keeptrail-Notice"
)

// loadAttachment reads the notice's file into memory before any SMTP session, so a file
// that is missing, short or not the one the notice describes fails the delivery before a
// byte is sent: a mail server never receives a truncated attachment. When the notice
// carries a SHA-256 and the attachment is the notice's file (Size == Bytes), the bytes
// must hash to it. The second result reports whether retrying can help.
func loadAttachment(n Notice) (data []byte, permanent bool, err error) {
	a := n.Attachment
	rc, err := a.Open()
	if err != nil {
		return nil, errors.Is(err, fs.ErrNotExist), fmt.Errorf("open attachment %s: %w", a.Name, err)
	}
	defer rc.Close()
	data, err = io.ReadAll(io.LimitReader(rc, a.Size+1))
	if err != nil {
		return nil, false, fmt.Errorf("read attachment %s: %w", a.Name, err)
	}
	if int64(len(data)) != a.Size {
		return nil, true, fmt.Errorf("attachment %s: read %d bytes, want %d", a.Name, len(data), a.Size)
	}
	if n.SHA256 != "" && a.Size == n.Bytes {
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, n.SHA256) {
			return nil, true, fmt.Errorf("attachment %s: SHA-256 %s, want %s", a.Name, got, n.SHA256)
		}
	}
	return data, false, nil
}

// buildMessage renders the notice for one recipient. The subject, addresses and
// Message-ID come only from validated values, so no header can be injected.
// data, when not nil, is attached as the notice's file.
func (m *Mailer) buildMessage(n Notice, to Target, messageID string, data []byte) *gomail.Msg {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(m.from)
	msg.AddToMailAddress(&mail.Address{Name: to.Name, Address: to.Address})
	msg.SetMessageIDWithValue(messageID)
	msg.SetDateWithValue(m.now())
	msg.Subject(subject(n))
	msg.SetGenHeader(headerAutoSubmitted, "auto-generated")
	msg.SetGenHeader(headerNotice, n.Kind+" "+n.Status)
	msg.SetBodyString(gomail.TypeTextPlain, body(n, data != nil, m.attachMax))
	if data == nil {
		return msg
	}
	msg.SetAttachments([]*gomail.File{{
		Name:        n.Attachment.Name,
		ContentType: gomail.ContentType(n.Attachment.ContentType),
		Header:      make(textproto.MIMEHeader),
		Writer: func(w io.Writer) (int64, error) {
			k, err := w.Write(data)
			return int64(k), err
		},
	}})
	return msg
}

// kindWords turns a notice kind into words: "compliance_package" -> "compliance package".
func kindWords(kind string) string { return strings.ReplaceAll(kind, "_", " ") }

// subject is one line: "Keeptrail export succeeded: Q3 audit log", or with the id when
// the notice has no title.
func subject(n Notice) string {
	s := "Keeptrail " + kindWords(n.Kind) + " " + n.Status
	if n.Title != "" {
		return s + ": " + n.Title
	}
	return s + ": " + kindWords(n.Kind) + " " + n.ID
}

// timeText formats a time for people reading the email: UTC, to the second.
func timeText(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// body is the plain-text message: what finished, its figures, and how to get the file.
func body(n Notice, attached bool, attachMax int64) string {
	var b strings.Builder
	what := kindWords(n.Kind)
	if n.Title != "" {
		fmt.Fprintf(&b, "Your %s %q (id %s) %s", what, n.Title, n.ID, n.Status)
	} else {
		fmt.Fprintf(&b, "Your %s %s %s", what, n.ID, n.Status)
	}
	if !n.FinishedAt.IsZero() {
		b.WriteString(" at " + timeText(n.FinishedAt))
	}
	b.WriteString(".\n\n")
	if n.Status == StatusFailed {
		if n.Error != "" {
			b.WriteString("Reason: " + n.Error + "\n\n")
		}
		b.WriteString("Nothing was produced. Check the request in Keeptrail and run it again.\n")
		return b.String()
	}
	fmt.Fprintf(&b, "Rows:    %d\n", n.Rows)
	fmt.Fprintf(&b, "Size:    %d bytes\n", n.Bytes)
	if n.SHA256 != "" {
		fmt.Fprintf(&b, "SHA-256: %s\n", n.SHA256)
	}
	b.WriteString("\n")
	switch {
	case attached:
		fmt.Fprintf(&b, "The file is attached: %s\n\n", n.Attachment.Name)
	case n.Attachment != nil && attachMax >= 0:
		fmt.Fprintf(&b, "The file is too large to attach (more than %d bytes).\n\n", attachMax)
	}
	if n.Link != "" {
		b.WriteString("Download it from Keeptrail (you will be asked to sign in):\n")
		b.WriteString(n.Link + "\n")
		if !n.LinkExpires.IsZero() {
			b.WriteString("The link expires at " + timeText(n.LinkExpires) + ".\n")
		}
	} else if !attached {
		fmt.Fprintf(&b, "Download it from Keeptrail: %s %s.\n", what, n.ID)
	}
	return b.String()
}
