package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

var webhookSecret = []byte("0123456789abcdef0123456789abcdef")

// hookRequest is what the test receiver saw in one request.
type hookRequest struct {
	header http.Header
	body   []byte
}

// hookServer answers each request with the next status of replies (the last one
// repeats) and records the requests.
type hookServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []hookRequest
	replies  []func(w http.ResponseWriter)
}

func startHookServer(t *testing.T, replies ...func(w http.ResponseWriter)) *hookServer {
	t.Helper()
	h := &hookServer{replies: replies}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.requests = append(h.requests, hookRequest{header: r.Header.Clone(), body: body})
		reply := h.replies[min(len(h.requests), len(h.replies))-1]
		h.mu.Unlock()
		reply(w)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) seen() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookRequest(nil), h.requests...)
}

func status(code int, headers ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, "reply %d\n", code)
	}
}

func newTestWebhook(t *testing.T, sl *recordSleeps, retry RetryPolicy) *Webhook {
	t.Helper()
	clock := testNow
	var mu sync.Mutex
	retry.Sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		clock = clock.Add(d) // the signing clock moves with the waits
		mu.Unlock()
		return sl.sleep(ctx, d)
	}
	w, err := NewWebhook(webhookSecret, WebhookOptions{Retry: retry, Timeout: 5 * time.Second,
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func webhookTarget(t *testing.T, h *hookServer) Target {
	return mustTarget(t, "webhook:"+h.URL+"/hooks/keeptrail")
}

func TestWebhookSignedPayload(t *testing.T) {
	h := startHookServer(t, status(204))
	var sl recordSleeps
	w := newTestWebhook(t, &sl, RetryPolicy{})
	n := exportNotice(attachmentOf("export-42.csv", []byte("secret file contents")))
	to := webhookTarget(t, h)
	r, err := w.Send(context.Background(), to, n)
	if err != nil {
		t.Fatal(err)
	}
	reqs := h.seen()
	if len(reqs) != 1 || r.Attempts != 1 || r.ID != w.DeliveryID(n, to) || !strings.HasPrefix(r.ID, "kt_") {
		t.Fatalf("%d requests, receipt %+v", len(reqs), r)
	}
	req := reqs[0]
	if got := req.header.Get(HeaderDelivery); got != r.ID {
		t.Errorf("%s = %q, want %q", HeaderDelivery, got, r.ID)
	}
	if ct := req.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	sig := req.header.Get(HeaderSignature)
	if err := VerifySignature(webhookSecret, sig, req.body, testNow, time.Minute); err != nil {
		t.Fatalf("VerifySignature(%q): %v", sig, err)
	}
	if want := SignatureHeader(webhookSecret, testNow, req.body); sig != want {
		t.Errorf("signature %q, want %q", sig, want)
	}
	want := `{"event":"export.succeeded","delivery_id":"` + r.ID + `","kind":"export","id":"42",` +
		`"title":"Q3 audit log","status":"succeeded","rows":1234,"bytes":5678,"sha256":"` + strings.Repeat("ab", 32) + `",` +
		`"link":"https://keeptrail.example/exports/42/download?exp=1741669567\u0026sig=c2lnbmF0dXJl\u0026user=7",` +
		`"link_expires":"2025-03-11T05:06:07Z","finished_at":"2025-03-04T05:06:07Z"}`
	if string(req.body) != want {
		t.Errorf("body\n%s\nwant\n%s", req.body, want)
	}
	var p WebhookPayload
	if err := json.Unmarshal(req.body, &p); err != nil || p.ID != "42" || p.Attachment != nil {
		t.Errorf("decode payload: %+v, %v", p, err)
	}
}

func TestWebhookRetriesThenSucceeds(t *testing.T) {
	h := startHookServer(t, status(503), status(500), status(200))
	var sl recordSleeps
	w := newTestWebhook(t, &sl, RetryPolicy{Attempts: 5, Initial: 10 * time.Millisecond})
	r, err := w.Send(context.Background(), webhookTarget(t, h), exportNotice(nil))
	if err != nil {
		t.Fatal(err)
	}
	reqs := h.seen()
	if r.Attempts != 3 || len(reqs) != 3 {
		t.Fatalf("attempts %d, requests %d: want 3, 3", r.Attempts, len(reqs))
	}
	if fmt.Sprint(sl.waits) != "[10ms 20ms]" {
		t.Fatalf("waits = %v, want [10ms 20ms]", sl.waits)
	}
	for i, req := range reqs {
		if req.header.Get(HeaderDelivery) != r.ID || string(req.body) != string(reqs[0].body) {
			t.Errorf("request %d: delivery id %q or body changed across retries", i, req.header.Get(HeaderDelivery))
		}
	}
	// Each attempt is signed at its own time.
	if err := VerifySignature(webhookSecret, reqs[2].header.Get(HeaderSignature), reqs[2].body, testNow.Add(30*time.Millisecond), time.Second); err != nil {
		t.Errorf("third attempt: %v", err)
	}
}

func TestWebhookPermanentOnClientError(t *testing.T) {
	for _, code := range []int{400, 401, 404, 410, 302} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			h := startHookServer(t, status(code, "Location", "https://elsewhere.example/"))
			var sl recordSleeps
			w := newTestWebhook(t, &sl, RetryPolicy{Attempts: 5, Initial: time.Millisecond})
			_, err := w.Send(context.Background(), webhookTarget(t, h), exportNotice(nil))
			var de *Error
			if !errors.As(err, &de) || !de.Permanent || de.Code != code || de.Attempts != 1 {
				t.Fatalf("err = %v, want permanent %d after 1 attempt", err, code)
			}
			if n := len(h.seen()); n != 1 || len(sl.waits) != 0 {
				t.Fatalf("%d requests, waits %v: want 1, none", n, sl.waits)
			}
			want := fmt.Sprintf("%d %s: reply %d", code, http.StatusText(code), code)
			if code == 302 {
				want = "302 Found: redirects are not followed (to https://elsewhere.example/)"
			}
			if !strings.HasSuffix(err.Error(), "failed permanently: "+want) {
				t.Fatalf("message %q, want it to end %q", err, want)
			}
		})
	}
}

func TestWebhookHonoursRetryAfter(t *testing.T) {
	h := startHookServer(t, status(429, "Retry-After", "2"), status(503, "Retry-After", "Tue, 04 Mar 2025 05:06:12 GMT"), status(200))
	var sl recordSleeps
	w := newTestWebhook(t, &sl, RetryPolicy{Attempts: 5, Initial: time.Millisecond, Max: time.Minute})
	r, err := w.Send(context.Background(), webhookTarget(t, h), exportNotice(nil))
	if err != nil {
		t.Fatal(err)
	}
	// 2 s asked, then a date 5 s after the start, which the clock reaches 2 s in: 3 s.
	if r.Attempts != 3 || fmt.Sprint(sl.waits) != "[2s 3s]" {
		t.Fatalf("attempts %d, waits %v: want 3, [2s 3s]", r.Attempts, sl.waits)
	}
}

func TestWebhookRetryAfterBeyondPolicy(t *testing.T) {
	h := startHookServer(t, status(503, "Retry-After", "3600"))
	var sl recordSleeps
	w := newTestWebhook(t, &sl, RetryPolicy{Attempts: 5, Initial: time.Millisecond, Max: time.Minute})
	_, err := w.Send(context.Background(), webhookTarget(t, h), exportNotice(nil))
	var de *Error
	if !errors.As(err, &de) || de.Permanent || de.RetryAfter != time.Hour || de.Attempts != 1 || de.Code != 503 {
		t.Fatalf("err = %#v, want temporary 503 with RetryAfter 1h after 1 attempt", err)
	}
	if len(sl.waits) != 0 {
		t.Fatalf("waited %v", sl.waits)
	}
	if !strings.Contains(err.Error(), "failed temporarily (retry after 1h0m0s): 503 Service Unavailable: reply 503") {
		t.Fatalf("message %q", err)
	}
}

func TestWebhookGivesUpAfterAttempts(t *testing.T) {
	h := startHookServer(t, status(502))
	var sl recordSleeps
	w := newTestWebhook(t, &sl, RetryPolicy{Attempts: 3, Initial: time.Millisecond})
	_, err := w.Send(context.Background(), webhookTarget(t, h), exportNotice(nil))
	var de *Error
	if !errors.As(err, &de) || de.Permanent || de.Attempts != 3 || len(h.seen()) != 3 {
		t.Fatalf("err = %v, %d requests: want temporary after 3", err, len(h.seen()))
	}
}

func TestWebhookNetworkErrorsRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var sl recordSleeps
	w := newTestWebhook(t, &sl, RetryPolicy{Attempts: 3, Initial: time.Millisecond})
	_, err = w.Send(context.Background(), mustTarget(t, "webhook:http://"+addr+"/x"), exportNotice(nil))
	var de *Error
	if !errors.As(err, &de) || de.Permanent || de.Attempts != 3 || de.Code != 0 || len(sl.waits) != 2 {
		t.Fatalf("err = %v, waits %v: want temporary after 3 attempts", err, sl.waits)
	}
}

func TestWebhookTimeoutPerAttempt(t *testing.T) {
	release := make(chan struct{})
	h := startHookServer(t, func(w http.ResponseWriter) { <-release })
	t.Cleanup(func() { close(release) })
	var sl recordSleeps
	w, err := NewWebhook(webhookSecret, WebhookOptions{Timeout: 20 * time.Millisecond,
		Retry: RetryPolicy{Attempts: 2, Initial: time.Millisecond, Sleep: sl.sleep}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.Send(context.Background(), webhookTarget(t, h), exportNotice(nil))
	var de *Error
	if !errors.As(err, &de) || de.Permanent || de.Attempts != 2 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want temporary deadline exceeded after 2 attempts", err)
	}
}

func TestWebhookRejectsBadInput(t *testing.T) {
	if _, err := NewWebhook([]byte("short"), WebhookOptions{}); err == nil || err.Error() != "webhook.secret: must be at least 16 bytes" {
		t.Fatalf("short secret: %v", err)
	}
	w, err := NewWebhook(webhookSecret, WebhookOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.Send(context.Background(), mustTarget(t, "email:a@acme.example"), exportNotice(nil))
	if !IsPermanent(err) || keeptrailCode(err) != "invalid" {
		t.Fatalf("email target: %v", err)
	}
	n := exportNotice(nil)
	n.Status = "done"
	_, err = w.Send(context.Background(), mustTarget(t, "webhook:https://x.example/"), n)
	if !IsPermanent(err) || !strings.HasSuffix(err.Error(), "notice.status: must be succeeded or failed") {
		t.Fatalf("bad status: %v", err)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	cases := map[string]time.Duration{
		"":                              0,
		"0":                             0,
		"-5":                            0,
		"7":                             7 * time.Second,
		"soon":                          0,
		"Tue, 04 Mar 2025 05:06:17 GMT": 10 * time.Second,
		"Tue, 04 Mar 2025 05:00:00 GMT": 0, // in the past
	}
	for in, want := range cases {
		if got := retryAfter(in, testNow); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestWebhookDenyPrivateNetworks(t *testing.T) {
	h := startHookServer(t, status(200))
	var sl recordSleeps
	w, err := NewWebhook(webhookSecret, WebhookOptions{DenyPrivateNetworks: true,
		Retry: RetryPolicy{Attempts: 3, Sleep: sl.sleep}})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{h.URL + "/x", strings.Replace(h.URL, "127.0.0.1", "localhost", 1) + "/x"} {
		_, err = w.Send(context.Background(), mustTarget(t, "webhook:"+u), exportNotice(nil))
		var de *Error
		if !errors.As(err, &de) || !de.Permanent || de.Attempts != 1 || !errors.Is(err, errPrivateAddress) {
			t.Fatalf("%s: err = %v, want permanent refusal after 1 attempt", u, err)
		}
	}
	if n := len(h.seen()); n != 0 {
		t.Fatalf("the private server got %d requests", n)
	}
	if _, err := NewWebhook(webhookSecret, WebhookOptions{DenyPrivateNetworks: true, Client: &http.Client{}}); err == nil {
		t.Fatal("DenyPrivateNetworks with a caller's client accepted")
	}
}

func TestPublicAddr(t *testing.T) {
	cases := map[string]bool{
		"8.8.8.8": true, "2606:4700::1111": true, "127.0.0.1": false, "10.1.2.3": false,
		"172.16.0.1": false, "192.168.1.1": false, "169.254.169.254": false, "100.64.0.1": false,
		"0.0.0.0": false, "::1": false, "fd00::1": false, "fe80::1": false, "::ffff:127.0.0.1": false,
		"::ffff:8.8.8.8": true, "224.0.0.1": false, "64:ff9b::a00:1": false, "198.18.0.1": false,
	}
	for in, want := range cases {
		if got := publicAddr(netip.MustParseAddr(in)); got != want {
			t.Errorf("publicAddr(%s) = %v, want %v", in, got, want)
		}
	}
}
