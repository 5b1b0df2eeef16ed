package delivery

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// scriptedSMTP is a tiny real SMTP server on a loopback socket: it answers RCPT with
// rcptReply(session) (1-based session number) and accepts everything else.
type scriptedSMTP struct {
	ln        net.Listener
	sessions  atomic.Int32
	delivered atomic.Int32
	rcptReply func(session int) string
	// dropAtQuit closes the connection instead of answering QUIT.
	dropAtQuit bool
	wg         sync.WaitGroup
}

func startScriptedSMTP(t *testing.T, rcptReply func(session int) string) *scriptedSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &scriptedSMTP{ln: ln, rcptReply: rcptReply}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serve(c, int(s.sessions.Add(1)))
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *scriptedSMTP) serve(c net.Conn, session int) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	say := func(line string) { fmt.Fprintf(c, "%s\r\n", line) }
	say("220 scripted ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250-scripted")
			say("250 8BITMIME")
		case strings.HasPrefix(cmd, "RCPT"):
			say(s.rcptReply(session))
		case cmd == "DATA":
			say("354 go ahead")
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
			}
			s.delivered.Add(1)
			say("250 queued")
		case cmd == "QUIT":
			if !s.dropAtQuit {
				say("221 bye")
			}
			return
		default: // MAIL, RSET, NOOP
			say("250 ok")
		}
	}
}

func (s *scriptedSMTP) mailer(t *testing.T, retry RetryPolicy) *Mailer {
	t.Helper()
	addr := s.ln.Addr().(*net.TCPAddr)
	m, err := NewMailer(SMTPConfig{Host: "127.0.0.1", Port: addr.Port, TLS: TLSNone, From: "keeptrail@acme.example"},
		MailerOptions{Retry: retry, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// recordSleeps is a RetryPolicy.Sleep that spends no time and remembers each wait.
type recordSleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (r *recordSleeps) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waits = append(r.waits, d)
	return ctx.Err()
}

func TestMailerPermanentFailureNotRetried(t *testing.T) {
	srv := startScriptedSMTP(t, func(int) string { return "550 5.1.1 no such user" })
	var sl recordSleeps
	m := srv.mailer(t, RetryPolicy{Attempts: 5, Initial: time.Millisecond, Sleep: sl.sleep})
	r, err := m.Send(context.Background(), mustTarget(t, "email:ghost@acme.example"), exportNotice(nil))
	var de *Error
	if !errors.As(err, &de) {
		t.Fatalf("err = %v, want *delivery.Error", err)
	}
	if !de.Permanent || de.Code != 550 || de.Attempts != 1 || r.Attempts != 1 {
		t.Fatalf("error %+v, receipt %+v: want permanent 550 after 1 attempt", de, r)
	}
	if got := srv.sessions.Load(); got != 1 {
		t.Fatalf("server saw %d sessions, want 1", got)
	}
	if len(sl.waits) != 0 || srv.delivered.Load() != 0 {
		t.Fatalf("waits %v, delivered %d: want none", sl.waits, srv.delivered.Load())
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "email:ghost@acme.example: failed permanently: ") || !strings.Contains(msg, "550 5.1.1 no such user") {
		t.Fatalf("message %q: want it to say permanently and quote the 550 reply", msg)
	}
}

func TestMailerTemporaryFailureRetried(t *testing.T) {
	srv := startScriptedSMTP(t, func(session int) string {
		if session == 1 {
			return "451 4.7.1 try again later"
		}
		return "250 ok"
	})
	var sl recordSleeps
	m := srv.mailer(t, RetryPolicy{Attempts: 5, Initial: 3 * time.Millisecond, Sleep: sl.sleep})
	r, err := m.Send(context.Background(), mustTarget(t, "email:ana@acme.example"), exportNotice(nil))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if r.Attempts != 2 || srv.sessions.Load() != 2 || srv.delivered.Load() != 1 {
		t.Fatalf("attempts %d, sessions %d, delivered %d: want 2, 2, 1", r.Attempts, srv.sessions.Load(), srv.delivered.Load())
	}
	if len(sl.waits) != 1 || sl.waits[0] != 3*time.Millisecond {
		t.Fatalf("waits = %v, want [3ms]", sl.waits)
	}
}

func TestMailerAcceptedMessageNotResentWhenQuitFails(t *testing.T) {
	srv := startScriptedSMTP(t, func(int) string { return "250 ok" })
	srv.dropAtQuit = true
	var sl recordSleeps
	m := srv.mailer(t, RetryPolicy{Attempts: 5, Initial: time.Millisecond, Sleep: sl.sleep})
	r, err := m.Send(context.Background(), mustTarget(t, "email:ana@acme.example"), exportNotice(nil))
	if err != nil || r.Attempts != 1 || srv.delivered.Load() != 1 || srv.sessions.Load() != 1 {
		t.Fatalf("err %v, attempts %d, delivered %d, sessions %d: want nil, 1, 1, 1",
			err, r.Attempts, srv.delivered.Load(), srv.sessions.Load())
	}
}

func TestMailerTemporaryFailureGivesUp(t *testing.T) {
	srv := startScriptedSMTP(t, func(int) string { return "452 4.2.2 mailbox full" })
	var sl recordSleeps
	m := srv.mailer(t, RetryPolicy{Attempts: 4, Initial: 10 * time.Millisecond, Max: 25 * time.Millisecond, Sleep: sl.sleep})
	_, err := m.Send(context.Background(), mustTarget(t, "email:ana@acme.example"), exportNotice(nil))
	var de *Error
	if !errors.As(err, &de) || de.Permanent || de.Code != 452 || de.Attempts != 4 {
		t.Fatalf("err = %#v, want temporary 452 after 4 attempts", err)
	}
	want := []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 25 * time.Millisecond}
	if fmt.Sprint(sl.waits) != fmt.Sprint(want) {
		t.Fatalf("waits = %v, want %v", sl.waits, want)
	}
	if !strings.Contains(err.Error(), "failed temporarily after 4 attempts") {
		t.Fatalf("message %q", err)
	}
}

func TestMailerConnectionRefusedIsTemporary(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	var sl recordSleeps
	m, err := NewMailer(SMTPConfig{Host: "127.0.0.1", Port: port, TLS: TLSNone, From: "keeptrail@acme.example"},
		MailerOptions{Retry: RetryPolicy{Attempts: 3, Initial: time.Millisecond, Sleep: sl.sleep}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Send(context.Background(), mustTarget(t, "email:ana@acme.example"), exportNotice(nil))
	var de *Error
	if !errors.As(err, &de) || de.Permanent || de.Attempts != 3 || de.Code != 0 {
		t.Fatalf("err = %#v, want temporary after 3 attempts", err)
	}
}

func TestMailerStopsWhenContextEnds(t *testing.T) {
	srv := startScriptedSMTP(t, func(int) string { return "421 4.3.2 shutting down" })
	ctx, cancel := context.WithCancel(context.Background())
	m := srv.mailer(t, RetryPolicy{Attempts: 10, Initial: time.Millisecond, Sleep: func(context.Context, time.Duration) error {
		cancel()
		return context.Canceled
	}})
	_, err := m.Send(ctx, mustTarget(t, "email:ana@acme.example"), exportNotice(nil))
	var de *Error
	if !errors.As(err, &de) || de.Permanent || de.Attempts != 1 || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want temporary after 1 attempt wrapping context.Canceled", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk read error") }

func TestMailerAttachmentErrors(t *testing.T) {
	data := []byte("id,value\n1,2\n")
	cases := []struct {
		name      string
		edit      func(n *Notice)
		permanent bool
		want      string
	}{
		{"short file", func(n *Notice) { n.Attachment.Size = 30 }, true, "attachment a.csv: read 13 bytes, want 30"},
		{"long file", func(n *Notice) { n.Attachment.Size = 5 }, true, "attachment a.csv: read 6 bytes, want 5"},
		{"missing file", func(n *Notice) {
			n.Attachment.Open = func() (io.ReadCloser, error) {
				return nil, &fs.PathError{Op: "open", Path: "a.csv", Err: fs.ErrNotExist}
			}
		}, true, "open attachment a.csv: open a.csv: file does not exist"},
		{"read error", func(n *Notice) {
			n.Attachment.Open = func() (io.ReadCloser, error) { return io.NopCloser(failingReader{}), nil }
		}, false, "read attachment a.csv: disk read error"},
		{"not the notice's file", func(n *Notice) { n.SHA256 = sha256Hex([]byte("other")) }, true,
			"attachment a.csv: SHA-256 " + sha256Hex(data) + ", want " + sha256Hex([]byte("other"))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startScriptedSMTP(t, func(int) string { return "250 ok" })
			m := srv.mailer(t, RetryPolicy{Attempts: 3, Initial: time.Millisecond, Sleep: (&recordSleeps{}).sleep})
			n := exportNotice(attachmentOf("a.csv", data))
			n.Bytes, n.SHA256 = int64(len(data)), sha256Hex(data)
			tc.edit(&n)
			_, err := m.Send(context.Background(), mustTarget(t, "email:ana@acme.example"), n)
			var de *Error
			if !errors.As(err, &de) || de.Permanent != tc.permanent || de.Attempts != 0 || de.Err.Error() != tc.want {
				t.Fatalf("err = %v, want permanent=%v, 0 attempts, cause %q", err, tc.permanent, tc.want)
			}
			if srv.sessions.Load() != 0 {
				t.Fatalf("connected to the server %d times despite a bad attachment", srv.sessions.Load())
			}
		})
	}
}
