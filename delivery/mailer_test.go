package delivery

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail/internal/testsmtp"
)

var testNow = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// fileBytes is an attachment body that survives only a byte-exact transfer: every byte
// value, CRLF and bare LF, a line starting with a dot, a formula cell.
func fileBytes() []byte {
	var b bytes.Buffer
	b.WriteString("id,value\r\n1,=HYPERLINK(\"x\")\n.\r\n..\n")
	for i := range 256 {
		b.WriteByte(byte(i))
	}
	b.WriteString("\nend")
	return b.Bytes()
}

func attachmentOf(name string, data []byte) *Attachment {
	return &Attachment{
		Name: name,
		Size: int64(len(data)),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
	}
}

func exportNotice(att *Attachment) Notice {
	return Notice{
		Kind:        "export",
		ID:          "42",
		Title:       "Q3 audit log",
		Status:      StatusSucceeded,
		Rows:        1234,
		Bytes:       5678,
		SHA256:      strings.Repeat("ab", 32),
		Link:        "https://keeptrail.example/exports/42/download?exp=1741669567&sig=c2lnbmF0dXJl&user=7",
		LinkExpires: testNow.Add(7 * 24 * time.Hour),
		FinishedAt:  testNow,
		Attachment:  att,
	}
}

func mustTarget(t *testing.T, s string) Target {
	t.Helper()
	tg, err := ParseTarget("notify_on_complete", s)
	if err != nil {
		t.Fatalf("ParseTarget(%q): %v", s, err)
	}
	return tg
}

func smtpMailer(t *testing.T, s *testsmtp.Server, opts MailerOptions) *Mailer {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	m, err := NewMailer(SMTPConfig{
		Host: s.SMTPHost, Port: s.SMTPPort, TLS: TLSNone,
		Username: "keeptrail", Password: "secret",
		From: "Keeptrail <keeptrail@acme.example>",
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

const wantSubject = "Keeptrail export succeeded: Q3 audit log"

func TestMailerSendsThroughSMTP(t *testing.T) {
	s := testsmtp.Start(t)
	data := fileBytes()
	cases := []struct {
		name         string
		att          *Attachment
		attachMax    int64
		wantAttached bool
		wantLine     string // a line the body must hold besides the link
	}{
		{"small file attached", attachmentOf("export-42.csv", data), 0, true, "The file is attached: export-42.csv"},
		{"no file", nil, 0, false, "Rows:    1234"},
		{"file over the limit is linked", attachmentOf("export-42.csv", data), 100, false, "The file is too large to attach (more than 100 bytes)."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.DeleteAll(); err != nil {
				t.Fatal(err)
			}
			m := smtpMailer(t, s, MailerOptions{AttachMaxBytes: tc.attachMax})
			to := mustTarget(t, "email:Ana Lima <ana@acme.example>")
			n := exportNotice(tc.att)
			if tc.att != nil { // the notice describes the attached file; Send checks it
				n.Bytes, n.SHA256 = int64(len(data)), sha256Hex(data)
			}
			rcpt, err := m.Send(context.Background(), to, n)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			wantID := m.MessageID(n, to)
			if rcpt.ID != wantID || rcpt.Attempts != 1 || rcpt.Attached != tc.wantAttached || rcpt.Target != "email:ana@acme.example" {
				t.Fatalf("receipt = %+v, want id %s, 1 attempt, attached %v", rcpt, wantID, tc.wantAttached)
			}
			list, err := s.WaitMessages(1, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Message(list[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Subject != wantSubject {
				t.Errorf("subject = %q, want %q", got.Subject, wantSubject)
			}
			if got.Username != "keeptrail" {
				t.Errorf("SMTP AUTH user = %q, want keeptrail", got.Username)
			}
			if got.MessageID != wantID {
				t.Errorf("Message-ID = %q, want %q", got.MessageID, wantID)
			}
			if got.From == nil || *got.From != (testsmtp.Address{Name: "Keeptrail", Address: "keeptrail@acme.example"}) {
				t.Errorf("from = %+v", got.From)
			}
			if len(got.To) != 1 || got.To[0] != (testsmtp.Address{Name: "Ana Lima", Address: "ana@acme.example"}) {
				t.Errorf("to = %+v", got.To)
			}
			lines := strings.Split(strings.ReplaceAll(got.Text, "\r\n", "\n"), "\n")
			for _, want := range []string{n.Link, "The link expires at 2025-03-11 05:06:07 UTC.", tc.wantLine,
				"SHA-256: " + n.SHA256, `Your export "Q3 audit log" (id 42) succeeded at 2025-03-04 05:06:07 UTC.`} {
				if !containsLine(lines, want) {
					t.Errorf("body lacks line %q:\n%s", want, got.Text)
				}
			}
			if !tc.wantAttached {
				if len(got.Attachments) != 0 {
					t.Fatalf("attachments = %+v, want none", got.Attachments)
				}
				return
			}
			if len(got.Attachments) != 1 || got.Attachments[0].FileName != "export-42.csv" {
				t.Fatalf("attachments = %+v", got.Attachments)
			}
			b, err := s.Part(got.ID, got.Attachments[0].PartID)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, data) {
				t.Fatalf("attachment bytes differ: got %d bytes %q, want %d bytes", len(b), b, len(data))
			}
		})
	}
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

func TestMailerMessageIDStablePerNoticeAndRecipient(t *testing.T) {
	s := testsmtp.Start(t)
	m := smtpMailer(t, s, MailerOptions{})
	ana := mustTarget(t, "email:ana@acme.example")
	bo := mustTarget(t, "email:bo@acme.example")
	n := exportNotice(nil)
	ctx := context.Background()
	var ids []string
	for _, to := range []Target{ana, ana, bo} {
		r, err := m.Send(ctx, to, n)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	other := n
	other.ID = "43"
	if r, err := m.Send(ctx, ana, other); err != nil {
		t.Fatal(err)
	} else {
		ids = append(ids, r.ID)
	}
	if ids[0] != ids[1] {
		t.Errorf("retry to the same recipient changed Message-ID: %s then %s", ids[0], ids[1])
	}
	if ids[0] == ids[2] || ids[0] == ids[3] {
		t.Errorf("Message-IDs collide across recipients or notices: %v", ids)
	}
	if !strings.HasSuffix(ids[0], "@acme.example") || !strings.HasPrefix(ids[0], "keeptrail.export.") {
		t.Errorf("Message-ID %q: want keeptrail.export.<hash>@acme.example", ids[0])
	}
	list, err := s.WaitMessages(4, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, msg := range list {
		seen[msg.MessageID]++
	}
	if seen[ids[0]] != 2 || seen[ids[2]] != 1 || seen[ids[3]] != 1 {
		t.Fatalf("server saw Message-IDs %v, want %s twice and %s, %s once", seen, ids[0], ids[2], ids[3])
	}
}

func TestMailerFailedNotice(t *testing.T) {
	s := testsmtp.Start(t)
	m := smtpMailer(t, s, MailerOptions{})
	n := Notice{Kind: "export", ID: "9", Status: StatusFailed, Error: "export.time_range.end: before start",
		FinishedAt: testNow, Attachment: attachmentOf("x.csv", []byte("never sent"))}
	r, err := m.Send(context.Background(), mustTarget(t, "email:ana@acme.example"), n)
	if err != nil {
		t.Fatal(err)
	}
	if r.Attached {
		t.Fatal("a failed notice attached a file")
	}
	list, err := s.WaitMessages(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Message(list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	want := "Your export 9 failed at 2025-03-04 05:06:07 UTC.\n\nReason: export.time_range.end: before start\n\n" +
		"Nothing was produced. Check the request in Keeptrail and run it again.\n"
	if got.Subject != "Keeptrail export failed: export 9" || strings.ReplaceAll(got.Text, "\r\n", "\n") != want {
		t.Fatalf("subject %q body %q", got.Subject, got.Text)
	}
	if len(got.Attachments) != 0 {
		t.Fatalf("attachments = %+v", got.Attachments)
	}
}

func TestMailerRejectsHeaderInjection(t *testing.T) {
	m, err := NewMailer(SMTPConfig{}, MailerOptions{OutboxDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	good := mustTarget(t, "email:ana@acme.example")
	cases := []struct {
		name  string
		to    Target
		edit  func(*Notice)
		field string
	}{
		{"CRLF in title", good, func(n *Notice) { n.Title = "Q3\r\nBcc: eve@evil.example" }, "notice.title"},
		{"LF in title", good, func(n *Notice) { n.Title = "Q3\nX-Evil: 1" }, "notice.title"},
		{"CR in id", good, func(n *Notice) { n.ID = "42\rBcc: eve@evil.example" }, "notice.id"},
		{"CRLF in attachment name", good, func(n *Notice) { n.Attachment = attachmentOf("a.csv\r\nX-Evil: 1", nil) }, "notice.attachment.name"},
		{"CRLF in address", Target{Kind: TargetEmail, Address: "ana@acme.example\r\nBcc: eve@evil.example"}, nil, ""},
		{"CRLF in name", Target{Kind: TargetEmail, Address: "ana@acme.example", Name: "Ana\r\nBcc: eve@evil.example"}, nil, ""},
		{"webhook target", Target{Kind: TargetWebhook, URL: "https://x.example/"}, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := exportNotice(nil)
			if tc.edit != nil {
				tc.edit(&n)
			}
			_, err := m.Send(context.Background(), tc.to, n)
			if !IsPermanent(err) {
				t.Fatalf("err = %v, want a permanent delivery error", err)
			}
			if code := keeptrailCode(err); code != "invalid" {
				t.Fatalf("code = %q (%v), want invalid", code, err)
			}
			if tc.field != "" && !strings.Contains(err.Error(), tc.field+":") {
				t.Fatalf("err = %v, want it to name %s", err, tc.field)
			}
		})
	}
}

func TestNewMailerValidatesConfig(t *testing.T) {
	cases := []struct {
		cfg  SMTPConfig
		opts MailerOptions
		want string
	}{
		{SMTPConfig{Host: "smtp.acme.example", TLS: "ssl", From: "k@acme.example"}, MailerOptions{}, "smtp.tls: must be none, starttls or tls"},
		{SMTPConfig{Host: "smtp.acme.example"}, MailerOptions{}, "smtp.from: is required when smtp.host is set"},
		{SMTPConfig{Host: "smtp.acme.example", From: "k@acme.example\r\nBcc: e@x"}, MailerOptions{}, "smtp.from: must not contain control characters (CR, LF, ...)"},
		{SMTPConfig{Host: "smtp.acme.example", From: "k@acme.example", Port: 70000}, MailerOptions{}, "smtp.port: must be between 1 and 65535"},
		{SMTPConfig{Host: "smtp acme", From: "k@acme.example"}, MailerOptions{}, "smtp.host: must be a host name or IP address"},
		{SMTPConfig{}, MailerOptions{}, "outbox_dir: is required when no SMTP host is configured"},
	}
	for _, tc := range cases {
		_, err := NewMailer(tc.cfg, tc.opts)
		if err == nil || err.Error() != tc.want || keeptrailCode(err) != "invalid" {
			t.Errorf("NewMailer(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}
