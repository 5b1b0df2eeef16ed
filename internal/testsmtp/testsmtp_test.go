package testsmtp

import (
	"net/smtp"
	"strings"
	"testing"
	"time"
)

func TestStartSendReadBack(t *testing.T) {
	s := Start(t)
	msg := strings.Join([]string{
		"From: Keeptrail <keeptrail@example.com>",
		"To: Ana <ana@example.com>",
		"Subject: hello from the test",
		"Message-ID: <abc123@example.com>",
		"MIME-Version: 1.0",
		`Content-Type: multipart/mixed; boundary="b1"`,
		"",
		"--b1",
		"Content-Type: text/plain; charset=utf-8",
		"",
		"body line",
		"--b1",
		`Content-Type: text/csv; name="a.csv"`,
		`Content-Disposition: attachment; filename="a.csv"`,
		"Content-Transfer-Encoding: base64",
		"",
		"aWQsbmFtZQoxLD1jbWQK",
		"--b1--",
		"",
	}, "\r\n")
	auth := smtp.PlainAuth("", "user", "pass", s.SMTPHost)
	if err := smtp.SendMail(s.SMTPAddr, auth, "keeptrail@example.com", []string{"ana@example.com"}, []byte(msg)); err != nil {
		t.Fatalf("send: %v", err)
	}
	list, err := s.WaitMessages(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("got %d messages, want 1", len(list))
	}
	sum := list[0]
	if sum.Subject != "hello from the test" || sum.MessageID != "abc123@example.com" || sum.AttachmentCount != 1 {
		t.Fatalf("summary = %+v", sum)
	}
	m, err := s.Message(sum.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.From == nil || m.From.Address != "keeptrail@example.com" || len(m.To) != 1 || m.To[0] != (Address{Name: "Ana", Address: "ana@example.com"}) {
		t.Fatalf("addresses: from %+v to %+v", m.From, m.To)
	}
	if strings.TrimSpace(m.Text) != "body line" {
		t.Fatalf("text = %q", m.Text)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].FileName != "a.csv" {
		t.Fatalf("attachments = %+v", m.Attachments)
	}
	b, err := s.Part(m.ID, m.Attachments[0].PartID)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "id,name\n1,=cmd\n" {
		t.Fatalf("attachment bytes = %q", b)
	}
	raw, err := s.Raw(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "Subject: hello from the test\r\n") {
		t.Fatalf("raw message lacks the subject:\n%s", raw)
	}
	if err := s.DeleteAll(); err != nil {
		t.Fatal(err)
	}
	if list, err := s.Messages(); err != nil || len(list) != 0 {
		t.Fatalf("after DeleteAll: %d messages, %v", len(list), err)
	}
}

func TestStopsAtCleanup(t *testing.T) {
	var s *Server
	t.Run("inner", func(t *testing.T) { s = Start(t) })
	if s == nil {
		t.Skip("mailpit did not start")
	}
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		t.Fatal("mailpit still running after its test ended")
	}
}
