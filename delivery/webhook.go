package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/keeptrail/keeptrail"
)

// DefaultWebhookTimeout bounds one webhook request unless WebhookOptions says otherwise.
const DefaultWebhookTimeout = 10 * time.Second

// minWebhookSecret is the shortest secret NewWebhook accepts.
const minWebhookSecret = 16

// WebhookOptions tunes a Webhook; the zero value is usable.
type WebhookOptions struct {
	// Client sends the requests; nil means a client of its own. Redirects are never
	// followed either way: a 3xx is a permanent failure.
	Client *http.Client
	// Timeout bounds one request; 0 means DefaultWebhookTimeout.
	Timeout time.Duration
	// Retry bounds the attempts on network errors, 429 and 5xx.
	Retry RetryPolicy
	// Now is the clock for signature timestamps and Retry-After dates; nil means
	// time.Now.
	Now func() time.Time
	// Logger receives one line per failed attempt; nil discards.
	Logger *slog.Logger
	// UserAgent defaults to "Keeptrail-Webhook/1".
	UserAgent string
	// DenyPrivateNetworks refuses to connect to loopback, private (RFC 1918, ULA),
	// link-local, unspecified and multicast addresses, checked on the address actually
	// dialled (after DNS), so a webhook URL cannot make the server reach its own network
	// or a cloud metadata endpoint. Such a delivery fails permanently. It applies to the
	// Webhook's own client (Client nil), which then uses no HTTP proxy.
	DenyPrivateNetworks bool
}

// WebhookPayload is the JSON body of a notice webhook: the notice (never its file, never
// a secret) with the event name and the delivery id. Receivers decode it.
type WebhookPayload struct {
	// Event is "<kind>.<status>", e.g. "export.succeeded".
	Event string `json:"event"`
	// DeliveryID equals the Keeptrail-Delivery header.
	DeliveryID string `json:"delivery_id"`
	Notice
}

// Webhook posts notices as signed JSON to webhook targets. It is safe for concurrent use.
type Webhook struct {
	secret    []byte
	client    *http.Client
	timeout   time.Duration
	retry     RetryPolicy
	now       func() time.Time
	log       *slog.Logger
	userAgent string
}

// NewWebhook returns a Webhook signing with secret (at least 16 bytes; see
// LoadOrCreateSecret). An unusable secret is a *keeptrail.Error EINVALID naming
// webhook.secret.
func NewWebhook(secret []byte, opts WebhookOptions) (*Webhook, error) {
	if len(secret) < minWebhookSecret {
		var v keeptrail.Validation
		v.Add("webhook.secret", "must be at least %d bytes", minWebhookSecret)
		return nil, v.Err()
	}
	w := &Webhook{
		secret:    bytes.Clone(secret),
		timeout:   opts.Timeout,
		retry:     opts.Retry.withDefaults(),
		now:       opts.Now,
		log:       opts.Logger,
		userAgent: opts.UserAgent,
	}
	client := &http.Client{}
	if opts.DenyPrivateNetworks {
		if opts.Client != nil {
			var v keeptrail.Validation
			v.Add("webhook.deny_private_networks", "needs the Webhook's own HTTP client")
			return nil, v.Err()
		}
		client.Transport = publicOnlyTransport()
	}
	if opts.Client != nil {
		c := *opts.Client
		client = &c
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	w.client = client
	if w.timeout <= 0 {
		w.timeout = DefaultWebhookTimeout
	}
	if w.now == nil {
		w.now = time.Now
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if w.userAgent == "" {
		w.userAgent = "Keeptrail-Webhook/1"
	}
	return w, nil
}

// DeliveryID returns the Keeptrail-Delivery id of the notice to one URL: the same for
// every retry.
func (w *Webhook) DeliveryID(n Notice, to Target) string {
	return "kt_" + stableID(n.Kind, n.ID, to.URL)
}

// Payload returns the exact JSON body Send posts for the notice to one URL: the same
// bytes on every retry (times in UTC).
func (w *Webhook) Payload(n Notice, to Target) ([]byte, error) {
	p := WebhookPayload{Event: n.Kind + "." + n.Status, DeliveryID: w.DeliveryID(n, to), Notice: n}
	p.FinishedAt = p.FinishedAt.UTC()
	p.LinkExpires = p.LinkExpires.UTC()
	return json.Marshal(p)
}

// Send posts the notice to one webhook target, signed (HeaderSignature, re-signed each
// attempt) and identified (HeaderDelivery). A 2xx answer is success. Network errors,
// timeouts, 429 and 5xx (not a certificate the client rejects) are retried with backoff within ctx, waiting at least what a
// Retry-After header asks; a Retry-After beyond the policy's longest wait ends the
// delivery as temporary with RetryAfter set. Other answers (3xx, 4xx) are permanent.
// Every failure is a *Error.
func (w *Webhook) Send(ctx context.Context, to Target, n Notice) (Receipt, error) {
	rcpt := Receipt{Target: to.String()}
	if to.Kind != TargetWebhook || to.URL == "" {
		return rcpt, &Error{Target: rcpt.Target, Permanent: true,
			Err: keeptrail.Errorf(keeptrail.EINVALID, "not a webhook target")}
	}
	if err := n.validate(); err != nil {
		return rcpt, &Error{Target: rcpt.Target, Permanent: true, Err: err}
	}
	rcpt.ID = w.DeliveryID(n, to)
	body, err := w.Payload(n, to)
	if err != nil {
		return rcpt, &Error{Target: rcpt.Target, Permanent: true, Err: err}
	}
	for attempt := 1; ; attempt++ {
		rcpt.Attempts = attempt
		fail, retryAfter := w.attempt(ctx, to.URL, rcpt.ID, body)
		if fail == nil {
			return rcpt, nil
		}
		fail.Target, fail.Attempts = rcpt.Target, attempt
		w.log.Warn("webhook delivery attempt failed", "target", rcpt.Target, "delivery_id", rcpt.ID,
			"attempt", attempt, "permanent", fail.Permanent, "err", fail.Err)
		if fail.Permanent || attempt >= w.retry.Attempts || ctx.Err() != nil {
			return rcpt, fail
		}
		wait := w.retry.delay(attempt)
		if retryAfter > w.retry.Max {
			fail.RetryAfter = retryAfter
			return rcpt, fail
		}
		wait = max(wait, retryAfter)
		if err := w.retry.Sleep(ctx, wait); err != nil {
			fail.Err = errors.Join(fail.Err, err)
			return rcpt, fail
		}
	}
}

// attempt posts once; it returns nil on a 2xx, else the failure (Target and Attempts
// left for the caller) and the Retry-After the receiver asked for.
func (w *Webhook) attempt(ctx context.Context, url, deliveryID string, body []byte) (*Error, time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return &Error{Permanent: true, Err: err}, 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", w.userAgent)
	req.Header.Set(HeaderDelivery, deliveryID)
	req.Header.Set(HeaderSignature, SignatureHeader(w.secret, w.now(), body))
	resp, err := w.client.Do(req)
	if err != nil {
		return &Error{Permanent: certificateError(err) || errors.Is(err, errPrivateAddress), Err: err}, 0
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil, 0
	}
	fail := &Error{Code: resp.StatusCode, Err: errors.New(statusText(resp, snippet))}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500:
		return fail, retryAfter(resp.Header.Get("Retry-After"), w.now())
	default:
		fail.Permanent = true
		return fail, 0
	}
}

// statusText is "503 Service Unavailable: <start of the body, one line>".
func statusText(resp *http.Response, snippet []byte) string {
	s := resp.Status
	if s == "" {
		s = strconv.Itoa(resp.StatusCode)
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return s + ": redirects are not followed (to " + oneLine(resp.Header.Get("Location")) + ")"
	}
	if text := strings.TrimSpace(oneLine(string(bytes.ToValidUTF8(snippet, nil)))); text != "" {
		return s + ": " + truncate(text, 200)
	}
	return s
}

// retryAfter reads a Retry-After value (seconds or an HTTP date); 0 when absent or bad.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, 1<<31)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
