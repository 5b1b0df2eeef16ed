package delivery

import (
	"context"
	"crypto/tls"
	"errors"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail/internal/testsmtp"
)

func TestMailerTLSModes(t *testing.T) {
	for _, mode := range []string{TLSStartTLS, TLSImplicit} {
		t.Run(mode, func(t *testing.T) {
			s := testsmtp.StartSecure(t, mode)
			cfg := SMTPConfig{Host: s.SMTPHost, Port: s.SMTPPort, TLS: mode, Username: "keeptrail", Password: "secret",
				From: "keeptrail@acme.example"}
			m, err := NewMailer(cfg, MailerOptions{TLSConfig: &tls.Config{RootCAs: s.RootCAs}, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			r, err := m.Send(context.Background(), mustTarget(t, "email:ana@acme.example"), exportNotice(nil))
			if err != nil {
				t.Fatalf("Send over %s: %v", mode, err)
			}
			list, err := s.WaitMessages(1, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if list[0].MessageID != r.ID || list[0].Subject != wantSubject || list[0].Username != "keeptrail" {
				t.Fatalf("received %+v, want Message-ID %s sent as keeptrail", list[0], r.ID)
			}

			// The same server without trusting its certificate: permanent, no retry.
			var sl recordSleeps
			untrusted, err := NewMailer(cfg, MailerOptions{Retry: RetryPolicy{Attempts: 3, Sleep: sl.sleep}, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			_, err = untrusted.Send(context.Background(), mustTarget(t, "email:ana@acme.example"), exportNotice(nil))
			var de *Error
			if !errors.As(err, &de) || !de.Permanent || de.Attempts != 1 || !certificateError(err) {
				t.Fatalf("untrusted certificate: err = %v, want permanent certificate error after 1 attempt", err)
			}
			t.Logf("recorded as: %v", err)
		})
	}
}

func TestMailerSecurityMismatchIsPermanent(t *testing.T) {
	plain := testsmtp.Start(t)
	secure := testsmtp.StartSecure(t, TLSStartTLS)
	cases := []struct {
		name string
		s    *testsmtp.Server
		tls  string
		code int
	}{
		{"starttls demanded, server lacks it", plain, TLSStartTLS, 0},
		{"plain sent, server demands starttls", secure, TLSNone, 530},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var sl recordSleeps
			m, err := NewMailer(SMTPConfig{Host: tc.s.SMTPHost, Port: tc.s.SMTPPort, TLS: tc.tls, From: "keeptrail@acme.example"},
				MailerOptions{Retry: RetryPolicy{Attempts: 3, Sleep: sl.sleep}, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			_, err = m.Send(context.Background(), mustTarget(t, "email:ana@acme.example"), exportNotice(nil))
			var de *Error
			if !errors.As(err, &de) || !de.Permanent || de.Attempts != 1 || de.Code != tc.code {
				t.Fatalf("err = %v (code %d), want permanent with code %d after 1 attempt", err, de.Code, tc.code)
			}
			t.Logf("recorded as: %v", err)
		})
	}
}
