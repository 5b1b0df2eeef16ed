package delivery

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// parsedMail is an .eml file read back with the standard library only.
type parsedMail struct {
	header     mail.Header
	text       string
	attachName string
	attachment []byte
}

func parseEML(t *testing.T, raw []byte) parsedMail {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail cannot read the message: %v", err)
	}
	out := parsedMail{header: msg.Header}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(mediaType, "multipart/") {
		out.text = decodePart(t, msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
		return out
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.FileName() != "" {
			out.attachName = p.FileName()
			b, err := io.ReadAll(p)
			if err != nil {
				t.Fatal(err)
			}
			dec, err := decodeBase64(b)
			if err != nil {
				t.Fatal(err)
			}
			out.attachment = dec
			continue
		}
		out.text = decodePart(t, p.Header.Get("Content-Transfer-Encoding"), p)
	}
}

func decodePart(t *testing.T, enc string, r io.Reader) string {
	t.Helper()
	if strings.EqualFold(enc, "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

func TestOutboxWritesParseableEML(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	m, err := NewMailer(SMTPConfig{}, MailerOptions{OutboxDir: dir, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	if !m.UsesOutbox() {
		t.Fatal("a Mailer without SMTP host does not use the outbox")
	}
	data := fileBytes()
	n := exportNotice(attachmentOf("export-42.csv", data))
	n.Bytes, n.SHA256 = int64(len(data)), sha256Hex(data)
	to := mustTarget(t, "email:Ana Lima <ana@acme.example>")
	r, err := m.Send(context.Background(), to, n)
	if err != nil {
		t.Fatal(err)
	}
	wantID := "keeptrail.export." + stableID("export", "42", "ana@acme.example") + "@localhost"
	if r.ID != wantID || !r.Attached || r.Attempts != 1 || filepath.Dir(r.OutboxPath) != dir {
		t.Fatalf("receipt = %+v, want id %s attached in %s", r, wantID, dir)
	}
	raw, err := os.ReadFile(r.OutboxPath)
	if err != nil {
		t.Fatal(err)
	}
	got := parseEML(t, raw)
	h := got.header
	if s, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject")); err != nil || s != wantSubject {
		t.Errorf("Subject = %q (%v), want %q", s, err, wantSubject)
	}
	if h.Get("Message-Id") != "<"+wantID+">" {
		t.Errorf("Message-ID = %q, want <%s>", h.Get("Message-Id"), wantID)
	}
	to0, err := h.AddressList("To")
	if err != nil || len(to0) != 1 || to0[0].Address != "ana@acme.example" || to0[0].Name != "Ana Lima" {
		t.Errorf("To = %v, %v", to0, err)
	}
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Address != "keeptrail@localhost" {
		t.Errorf("From = %v, %v", from, err)
	}
	if d, err := h.Date(); err != nil || !d.Equal(testNow) {
		t.Errorf("Date = %v, %v, want %v", d, err, testNow)
	}
	if h.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("Auto-Submitted = %q", h.Get("Auto-Submitted"))
	}
	lines := strings.Split(got.text, "\n")
	for _, want := range []string{n.Link, "The file is attached: export-42.csv", "SHA-256: " + n.SHA256} {
		if !containsLine(lines, want) {
			t.Errorf("body lacks line %q:\n%s", want, got.text)
		}
	}
	if got.attachName != "export-42.csv" || !bytes.Equal(got.attachment, data) {
		t.Errorf("attachment %q, %d bytes; want export-42.csv, the exact %d bytes", got.attachName, len(got.attachment), len(data))
	}

	// A retry replaces the same file: one message per (notice, recipient).
	r2, err := m.Send(context.Background(), to, n)
	if err != nil || r2.OutboxPath != r.OutboxPath {
		t.Fatalf("retry wrote %s (%v), want %s", r2.OutboxPath, err, r.OutboxPath)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "export-42-"+stableID("export", "42", "ana@acme.example")+".eml" {
		t.Fatalf("outbox holds %v, want the one .eml", entries)
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("outbox mode %v, want 0700", st.Mode().Perm())
	}
}

func TestOutboxSweepsTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, outboxTempPrefix+"123.eml")
	kept := filepath.Join(dir, "export-1-abc.eml")
	for _, p := range []string{stale, kept} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := NewMailer(SMTPConfig{}, MailerOptions{OutboxDir: dir}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temporary file survived: %v", err)
	}
	if _, err := os.Stat(kept); err != nil {
		t.Errorf("finished message removed: %v", err)
	}
}
