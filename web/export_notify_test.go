package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/delivery"
	"github.com/keeptrail/keeptrail/export"
	"github.com/keeptrail/keeptrail/internal/testdb"
	"github.com/keeptrail/keeptrail/internal/testsmtp"
	"github.com/keeptrail/keeptrail/sqlstore"
)

// TestExportEmailNotice sends the completion notice through a real SMTP server (mailpit)
// and follows the link in the message: it downloads the file for the requester, and is
// refused for a user of another team and once it has expired.
func TestExportEmailNotice(t *testing.T) {
	mail := testsmtp.Start(t)
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		if err := mail.DeleteAll(); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		clock := func() time.Time { return now }
		ts := newExportServer(t, db, 5, clock)
		m, err := delivery.NewMailer(delivery.SMTPConfig{Host: mail.SMTPHost, Port: mail.SMTPPort, TLS: delivery.TLSNone,
			From: "Keeptrail <keeptrail@acme.example>"}, delivery.MailerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ts.notifier.Mailer = m
		ts.team("payments")
		ts.team("claims")
		ts.events("gw-pay", "payments", 3)
		_, ownerKey := ts.userKey("tom@acme.example", keeptrail.RoleTeamAdmin, "payments")
		_, otherKey := ts.userKey("una@acme.example", keeptrail.RoleTeamAdmin, "claims")

		body := strings.Replace(eventsSpec, `"format":"csv"`, `"format":"csv","notify_on_complete":"email:tom@acme.example"`, 1)
		var created exportCreatedBody
		ts.call("POST", "/api/v1/exports", ownerKey, json.RawMessage(body), 202, &created)
		ts.runJobs()
		var job keeptrail.ExportJob
		ts.call("GET", fmt.Sprintf("/api/v1/exports/%d", created.ID), ownerKey, nil, 200, &job)
		if job.NotifyStatus != export.NotifySent || job.NotifyError != "" {
			t.Fatalf("notification %q %q", job.NotifyStatus, job.NotifyError)
		}
		msgs, err := mail.WaitMessages(1, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		full, err := mail.Message(msgs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(full.To) != 1 || full.To[0].Address != "tom@acme.example" || full.AttachmentCount != 0 && len(full.Attachments) != 0 {
			t.Fatalf("message to %+v with %d attachments", full.To, len(full.Attachments))
		}
		link := regexp.MustCompile(`https?://\S+/download\?\S+`).FindString(full.Text)
		if link == "" || !strings.Contains(full.Text, job.SHA256) {
			t.Fatalf("message text has no download link or SHA-256:\n%s", full.Text)
		}
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		if res := ts.do("GET", u.RequestURI(), ownerKey, nil); res.status != 200 || !strings.Contains(string(res.body), "gw-pay") {
			t.Fatalf("requester following the emailed link: %d %s", res.status, res.body)
		}
		if res := ts.do("GET", u.RequestURI(), otherKey, nil); res.status != 403 && res.status != 404 {
			t.Fatalf("another team's user following the link: %d %s", res.status, res.body)
		}
		now = now.Add(export.DefaultLinkTTL + time.Minute)
		wantError(t, ts.do("GET", u.RequestURI(), ownerKey, nil), 403, "forbidden")
	})
}

// TestExportWebhookNotice posts the notice to a webhook that fails once: it is retried
// and arrives signed with HMAC-SHA256 over the body.
func TestExportWebhookNotice(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *sqlstore.DB) {
		secret := []byte("0123456789abcdef0123456789abcdef")
		var mu sync.Mutex
		var calls int
		var got delivery.WebhookPayload
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			calls++
			if calls == 1 {
				http.Error(w, "try later", http.StatusServiceUnavailable)
				return
			}
			if err := delivery.VerifySignature(secret, r.Header.Get(delivery.HeaderSignature), b, time.Now(), 0); err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			json.Unmarshal(b, &got)
		}))
		defer hook.Close()
		ts := newExportServer(t, db, 5, time.Now)
		wh, err := delivery.NewWebhook(secret, delivery.WebhookOptions{Retry: delivery.RetryPolicy{
			Sleep: func(context.Context, time.Duration) error { return nil }}})
		if err != nil {
			t.Fatal(err)
		}
		ts.notifier.Webhook = wh
		ts.team("payments")
		ts.events("gw-pay", "payments", 2)
		_, key := ts.userKey("tom@acme.example", keeptrail.RoleTeamAdmin, "payments")
		body := strings.Replace(eventsSpec, `"format":"csv"`, `"format":"ndjson","notify_on_complete":"webhook:`+hook.URL+`/hook"`, 1)
		var created exportCreatedBody
		ts.call("POST", "/api/v1/exports", key, json.RawMessage(body), 202, &created)
		ts.runJobs()
		var job keeptrail.ExportJob
		ts.call("GET", fmt.Sprintf("/api/v1/exports/%d", created.ID), key, nil, 200, &job)
		mu.Lock()
		defer mu.Unlock()
		if calls != 2 || job.NotifyStatus != export.NotifySent || got.Event != "export.succeeded" ||
			got.ID != fmt.Sprint(created.ID) || got.SHA256 != job.SHA256 || got.Rows != 2 || !strings.Contains(got.Link, "/download?") {
			t.Fatalf("webhook: %d calls, job notify %q %q, payload %+v", calls, job.NotifyStatus, job.NotifyError, got)
		}
	})
}
