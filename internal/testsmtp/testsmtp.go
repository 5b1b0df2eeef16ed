// Package testsmtp starts a real SMTP server (mailpit) for tests and reads back what it
// received through mailpit's HTTP API, so mail code is tested against a real server and
// not a mock.
//
// The binary is found at $KEEPTRAIL_MAILPIT, else as `mailpit` in PATH, else at
// .cache/bin/mailpit under the repository root (scripts/tools.sh installs it there).
// Without one the test is skipped, or failed when $KEEPTRAIL_REQUIRE_SMTP is 1 (CI).
package testsmtp

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Environment variables that steer Start.
const (
	// EnvMailpit names the mailpit binary to run, overriding PATH and .cache/bin.
	EnvMailpit = "KEEPTRAIL_MAILPIT"
	// EnvRequireSMTP set to 1 makes a missing mailpit fail the test, not skip it.
	EnvRequireSMTP = "KEEPTRAIL_REQUIRE_SMTP"
)

// Server is one running mailpit, stopped when the test that started it ends.
type Server struct {
	// SMTPAddr is host:port of the SMTP listener (127.0.0.1 only).
	SMTPAddr string
	// SMTPHost and SMTPPort are SMTPAddr split, as mail clients are configured.
	SMTPHost string
	SMTPPort int
	// APIURL is the base URL of mailpit's HTTP API and web UI, ending in "/".
	APIURL string
	// RootCAs trusts the server's certificate (StartSecure only; nil for Start). The
	// certificate names 127.0.0.1 and localhost.
	RootCAs *x509.CertPool

	http *http.Client
	cmd  *exec.Cmd
	log  *lockedBuffer
	done chan struct{}
}

// Address is a mailbox as mailpit reports it.
type Address struct {
	Name    string
	Address string
}

// Attachment is one attached file of a received message; read its bytes with Part.
type Attachment struct {
	PartID      string
	FileName    string
	ContentType string
	Size        uint64
}

// Message is a received message: from the list, only the summary fields are filled
// (ID, MessageID, From, To, Cc, Bcc, Subject, Size, AttachmentCount); Message(id) fills
// the rest.
type Message struct {
	ID        string
	MessageID string
	From      *Address
	To        []Address
	Cc        []Address
	Bcc       []Address
	ReplyTo   []Address
	Subject   string
	Size      uint64
	// Username is the SMTP AUTH user the message was sent with, empty without AUTH.
	Username string
	// Text and HTML are the decoded bodies (full message only).
	Text string
	HTML string
	// Attachments are the attached files (full message only).
	Attachments []Attachment
	// AttachmentCount is the number of attachments (summary only).
	AttachmentCount int `json:"-"`
}

// Start runs mailpit on free 127.0.0.1 ports with a database in t.TempDir(), waits until
// it answers, and stops it when the test ends. SMTP authentication with any credentials
// is accepted, also without TLS.
func Start(t testing.TB) *Server {
	t.Helper()
	return startWith(t, findBinary(t), []string{"--smtp-auth-allow-insecure"}, nil)
}

// StartSecure is Start with TLS required on the SMTP listener, under a certificate made
// for the test (trust it with Server.RootCAs): mode "starttls" requires STARTTLS on a
// plain connection, "tls" speaks TLS from the first byte.
func StartSecure(t testing.TB, mode string) *Server {
	t.Helper()
	bin := findBinary(t)
	pool, certFile, keyFile := testCertificate(t)
	args := []string{"--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile}
	switch mode {
	case "starttls":
		args = append(args, "--smtp-require-starttls")
	case "tls":
		args = append(args, "--smtp-require-tls")
	default:
		t.Fatalf("testsmtp: StartSecure mode %q: want starttls or tls", mode)
	}
	return startWith(t, bin, args, pool)
}

func startWith(t testing.TB, bin string, args []string, pool *x509.CertPool) *Server {
	t.Helper()
	var lastErr error
	for range 3 { // a free port may be taken between finding and binding it
		s, err := start(t, bin, args)
		if err == nil {
			s.RootCAs = pool
			return s
		}
		lastErr = err
	}
	t.Fatalf("testsmtp: start mailpit: %v", lastErr)
	return nil
}

func start(t testing.TB, bin string, extra []string) (*Server, error) {
	smtpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	httpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	dir := t.TempDir()
	s := &Server{
		SMTPAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(smtpPort)),
		SMTPHost: "127.0.0.1",
		SMTPPort: smtpPort,
		APIURL:   fmt.Sprintf("http://127.0.0.1:%d/", httpPort),
		http:     &http.Client{Timeout: 10 * time.Second},
		log:      &lockedBuffer{},
		done:     make(chan struct{}),
	}
	args := []string{
		"-s", s.SMTPAddr,
		"-l", net.JoinHostPort("127.0.0.1", strconv.Itoa(httpPort)),
		"--smtp-auth-accept-any",
		"--disable-version-check",
		"--database", filepath.Join(dir, "mail.db"),
	}
	s.cmd = exec.Command(bin, append(args, extra...)...)
	s.cmd.Stdout = s.log
	s.cmd.Stderr = s.log
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", bin, err)
	}
	go func() {
		s.cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(15 * time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w; mailpit output:\n%s", err, s.log.String())
	}
	t.Cleanup(s.stop)
	return s, nil
}

// findBinary returns the mailpit to run, or skips (fails when required) the test.
func findBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(EnvMailpit); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("testsmtp: %s=%s: %v", EnvMailpit, p, err)
		}
		return p
	}
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p
	}
	if root, ok := repoRoot(); ok {
		p := filepath.Join(root, ".cache", "bin", "mailpit")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	msg := "testsmtp: mailpit not found ($" + EnvMailpit + ", PATH, .cache/bin); run scripts/tools.sh"
	if os.Getenv(EnvRequireSMTP) == "1" {
		t.Fatalf("%s (%s=1: the SMTP tests must run)", msg, EnvRequireSMTP)
	}
	t.Skip(msg)
	return ""
}

// repoRoot walks up from the working directory to the folder holding go.mod.
func repoRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls the API and the SMTP port until both answer, mailpit exits, or the
// timeout passes.
func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-s.done:
			return errors.New("mailpit exited during start")
		default:
		}
		if s.ready() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("mailpit not ready after %s", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Server) ready() bool {
	resp, err := s.http.Get(s.APIURL + "readyz")
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	c, err := net.DialTimeout("tcp", s.SMTPAddr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func (s *Server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// Log returns what mailpit has printed so far, for failure messages.
func (s *Server) Log() string { return s.log.String() }

// Messages lists the received messages, newest first (summary fields only).
func (s *Server) Messages() ([]Message, error) {
	var list struct {
		Messages []struct {
			Message
			Attachments int
		} `json:"messages"`
	}
	if err := s.getJSON("api/v1/messages?limit=1000", &list); err != nil {
		return nil, err
	}
	out := make([]Message, len(list.Messages))
	for i, m := range list.Messages {
		out[i] = m.Message
		out[i].AttachmentCount = m.Attachments
	}
	return out, nil
}

// WaitMessages polls until at least n messages were received or timeout passes, and
// returns them newest first.
func (s *Server) WaitMessages(n int, timeout time.Duration) ([]Message, error) {
	deadline := time.Now().Add(timeout)
	for {
		msgs, err := s.Messages()
		if err != nil {
			return nil, err
		}
		if len(msgs) >= n || time.Now().After(deadline) {
			if len(msgs) < n {
				return msgs, fmt.Errorf("testsmtp: %d messages after %s, want %d", len(msgs), timeout, n)
			}
			return msgs, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Message returns one received message in full: bodies and attachments.
func (s *Server) Message(id string) (Message, error) {
	var m Message
	err := s.getJSON("api/v1/message/"+url.PathEscape(id), &m)
	return m, err
}

// Part returns the decoded bytes of one part (an attachment) of a message.
func (s *Server) Part(id, partID string) ([]byte, error) {
	return s.get("api/v1/message/" + url.PathEscape(id) + "/part/" + url.PathEscape(partID))
}

// Raw returns the message exactly as received over SMTP.
func (s *Server) Raw(id string) ([]byte, error) {
	return s.get("api/v1/message/" + url.PathEscape(id) + "/raw")
}

// DeleteAll removes every received message.
func (s *Server) DeleteAll() error {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodDelete, s.APIURL+"api/v1/messages", nil)
	if err != nil {
		return err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("testsmtp: DELETE api/v1/messages: %s", resp.Status)
	}
	return nil
}

func (s *Server) get(path string) ([]byte, error) {
	resp, err := s.http.Get(s.APIURL + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("testsmtp: GET %s: %s: %s", path, resp.Status, bytes.TrimSpace(b))
	}
	return b, nil
}

func (s *Server) getJSON(path string, v any) error {
	b, err := s.get(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("testsmtp: decode GET %s: %w", path, err)
	}
	return nil
}

// lockedBuffer collects mailpit's output from its two pipes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
