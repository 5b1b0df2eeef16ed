package delivery

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/keeptrail/keeptrail"
)

// SMTP transport security, the values of SMTPConfig.TLS.
const (
	// TLSNone sends in clear text (a relay on the same host or network).
	TLSNone = "none"
	// TLSStartTLS requires STARTTLS on a plain connection (port 587 by default).
	TLSStartTLS = "starttls"
	// TLSImplicit opens a TLS connection from the start (port 465 by default).
	TLSImplicit = "tls"
)

// SMTPConfig is how Keeptrail reaches its mail server. With Host empty no server is used:
// each message is written as an .eml file into the Mailer's outbox folder instead.
type SMTPConfig struct {
	Host string
	// Port defaults to 25 (none), 587 (starttls) or 465 (tls).
	Port int
	// Username and Password, when Username is set, authenticate with the strongest
	// mechanism the server offers (PLAIN and LOGIN only over TLS or to localhost).
	Username, Password string
	// From is the sender, "Keeptrail <keeptrail@acme.com>" or a bare address. Required
	// with Host; defaults to keeptrail@localhost for the outbox.
	From string
	// TLS is TLSNone, TLSStartTLS or TLSImplicit; empty means TLSStartTLS.
	TLS string
}

// DefaultAttachMaxBytes is the largest file attached to a notice email unless
// MailerOptions says otherwise; larger files are sent as a link only.
const DefaultAttachMaxBytes = 5 << 20

// DefaultSMTPTimeout bounds one SMTP attempt unless MailerOptions says otherwise.
const DefaultSMTPTimeout = 30 * time.Second

// MailerOptions tunes a Mailer; the zero value is usable with an SMTP host.
type MailerOptions struct {
	// OutboxDir receives the .eml files when SMTPConfig.Host is empty
	// (DATA_DIR/outbox). Created 0700 if missing. Required without a host.
	OutboxDir string
	// AttachMaxBytes is the largest file attached; 0 means DefaultAttachMaxBytes and a
	// negative value never attaches. An attached file is held in memory while it is sent
	// (about twice its size, base64), so keep the limit modest.
	AttachMaxBytes int64
	// Retry bounds the attempts on temporary SMTP failures.
	Retry RetryPolicy
	// Timeout bounds one attempt (connect, greet, send, quit); 0 means
	// DefaultSMTPTimeout.
	Timeout time.Duration
	// TLSConfig, when set, is used for STARTTLS and implicit TLS (for a private CA); its
	// ServerName defaults to the SMTP host.
	TLSConfig *tls.Config
	// Now is the clock for the Date header; nil means time.Now.
	Now func() time.Time
	// Logger receives one line per failed attempt; nil discards.
	Logger *slog.Logger
}

// Mailer sends notices by email through SMTP, or into an outbox folder when no SMTP host
// is configured. It is safe for concurrent use.
type Mailer struct {
	cfg       SMTPConfig
	from      *mail.Address
	domain    string
	outbox    string
	attachMax int64
	retry     RetryPolicy
	timeout   time.Duration
	tlsConfig *tls.Config
	now       func() time.Time
	log       *slog.Logger
}

// NewMailer checks cfg and returns a Mailer. Errors are *keeptrail.Error EINVALID naming
// the bad setting (smtp.host, smtp.port, smtp.from, smtp.tls, outbox_dir).
func NewMailer(cfg SMTPConfig, opts MailerOptions) (*Mailer, error) {
	var v keeptrail.Validation
	m := &Mailer{
		cfg:       cfg,
		outbox:    opts.OutboxDir,
		attachMax: opts.AttachMaxBytes,
		retry:     opts.Retry.withDefaults(),
		timeout:   opts.Timeout,
		tlsConfig: opts.TLSConfig,
		now:       opts.Now,
		log:       opts.Logger,
	}
	if m.attachMax == 0 {
		m.attachMax = DefaultAttachMaxBytes
	}
	if m.timeout <= 0 {
		m.timeout = DefaultSMTPTimeout
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if hasControl(cfg.Host) || strings.ContainsAny(cfg.Host, " /:") && net.ParseIP(cfg.Host) == nil {
		v.Add("smtp.host", "must be a host name or IP address")
	}
	switch m.cfg.TLS {
	case "":
		m.cfg.TLS = TLSStartTLS
	case TLSNone, TLSStartTLS, TLSImplicit:
	default:
		v.Add("smtp.tls", "must be %s, %s or %s", TLSNone, TLSStartTLS, TLSImplicit)
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		v.Add("smtp.port", "must be between 1 and 65535")
	}
	if m.cfg.Port == 0 {
		m.cfg.Port = map[string]int{TLSNone: 25, TLSStartTLS: 587, TLSImplicit: 465}[m.cfg.TLS]
	}
	from := cfg.From
	if from == "" && cfg.Host == "" {
		from = "Keeptrail <keeptrail@localhost>"
	}
	switch addr, err := mail.ParseAddress(from); {
	case from == "":
		v.Add("smtp.from", "is required when smtp.host is set")
	case hasControl(from):
		v.Add("smtp.from", "must not contain control characters (CR, LF, ...)")
	case err != nil:
		v.Add("smtp.from", "not an email address: %s", reason(err))
	default:
		m.from = addr
		m.domain = addr.Address[strings.LastIndexByte(addr.Address, '@')+1:]
	}
	if cfg.Host == "" && opts.OutboxDir == "" {
		v.Add("outbox_dir", "is required when no SMTP host is configured")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if cfg.Host == "" {
		if err := prepareOutbox(m.outbox); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// UsesOutbox reports whether messages go to the outbox folder instead of an SMTP server.
func (m *Mailer) UsesOutbox() bool { return m.cfg.Host == "" }

// MessageID returns the Message-ID (without angle brackets) of the notice's email to
// one recipient: the same for every retry, so a receiver or a reader can tell a repeat.
func (m *Mailer) MessageID(n Notice, to Target) string {
	return "keeptrail." + n.Kind + "." + stableID(n.Kind, n.ID, strings.ToLower(to.Address)) + "@" + m.domain
}

// Send emails the notice to one email target: attached when the file is at most the
// attachment limit, else with the link only. Temporary SMTP failures (4xx, connection
// errors) are retried with backoff within ctx; a 5xx is not. Every failure is a *Error
// saying whether it is permanent; an invalid target or notice is a permanent *Error
// wrapping a *keeptrail.Error EINVALID.
func (m *Mailer) Send(ctx context.Context, to Target, n Notice) (Receipt, error) {
	rcpt := Receipt{Target: to.String()}
	if to.Kind != TargetEmail || to.Address == "" || hasControl(to.Address) || hasControl(to.Name) {
		return rcpt, &Error{Target: rcpt.Target, Permanent: true,
			Err: keeptrail.Errorf(keeptrail.EINVALID, "not an email target")}
	}
	if err := n.validate(); err != nil {
		return rcpt, &Error{Target: rcpt.Target, Permanent: true, Err: err}
	}
	rcpt.ID = m.MessageID(n, to)
	rcpt.Attached = n.Status == StatusSucceeded && n.Attachment != nil &&
		m.attachMax >= 0 && n.Attachment.Size <= m.attachMax
	var data []byte
	if rcpt.Attached {
		var permanent bool
		var err error
		if data, permanent, err = loadAttachment(n); err != nil {
			return rcpt, &Error{Target: rcpt.Target, Permanent: permanent, Err: err}
		}
	}
	if m.UsesOutbox() {
		rcpt.Attempts = 1
		path, err := m.writeOutbox(n, to, rcpt.ID, data)
		if err != nil {
			fail := classifySMTP(err)
			fail.Target, fail.Attempts = rcpt.Target, 1
			return rcpt, fail
		}
		rcpt.OutboxPath = path
		return rcpt, nil
	}
	for attempt := 1; ; attempt++ {
		rcpt.Attempts = attempt
		err := m.attempt(ctx, n, to, rcpt.ID, data)
		if err == nil {
			return rcpt, nil
		}
		fail := classifySMTP(err)
		fail.Target, fail.Attempts = rcpt.Target, attempt
		m.log.Warn("email delivery attempt failed", "target", rcpt.Target, "message_id", rcpt.ID,
			"attempt", attempt, "permanent", fail.Permanent, "err", err)
		if fail.Permanent || attempt >= m.retry.Attempts || ctx.Err() != nil {
			return rcpt, fail
		}
		if err := m.retry.Sleep(ctx, m.retry.delay(attempt)); err != nil {
			fail.Err = errors.Join(fail.Err, err)
			return rcpt, fail
		}
	}
}

// attempt runs one SMTP session: connect, greet, secure, authenticate, send, quit, all
// within the attempt timeout; ending ctx closes the connection.
func (m *Mailer) attempt(ctx context.Context, n Notice, to Target, messageID string, data []byte) error {
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	client, err := m.client(ctx)
	if err != nil {
		return err
	}
	msg := m.buildMessage(n, to, messageID, data)
	err = client.DialAndSendWithContext(ctx, msg)
	if err != nil && msg.IsDelivered() {
		// The server accepted the message; only the goodbye failed. Retrying would
		// deliver it twice.
		m.log.Warn("email accepted but the SMTP session ended badly", "message_id", messageID, "err", err)
		return nil
	}
	return err
}

func (m *Mailer) client(ctx context.Context) (*gomail.Client, error) {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if m.tlsConfig != nil {
		tlsConfig = m.tlsConfig.Clone()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = m.cfg.Host
	}
	opts := []gomail.Option{
		gomail.WithPort(m.cfg.Port),
		gomail.WithTimeout(m.timeout),
		gomail.WithTLSConfig(tlsConfig),
		gomail.WithDialContextFunc(m.dialer(ctx, tlsConfig)),
	}
	switch m.cfg.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		// The dialer already speaks TLS; opportunistic reads its state as encrypted.
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if m.cfg.Username != "" {
		opts = append(opts,
			gomail.WithOpportunisticSMTPAuth(authPreference(m.cfg.TLS)...),
			gomail.WithUsername(m.cfg.Username),
			gomail.WithPassword(m.cfg.Password))
	}
	return gomail.NewClient(m.cfg.Host, opts...)
}

// authPreference lists the SMTP AUTH mechanisms to use, strongest first. Without TLS
// the channel-bound SCRAM variants are impossible, and PLAIN and LOGIN refuse to send the
// password unless the server is on localhost.
func authPreference(security string) []gomail.SMTPAuthType {
	if security == TLSNone {
		return []gomail.SMTPAuthType{gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1,
			gomail.SMTPAuthCramMD5, gomail.SMTPAuthPlain, gomail.SMTPAuthLogin}
	}
	return []gomail.SMTPAuthType{gomail.SMTPAuthSCRAMSHA256PLUS, gomail.SMTPAuthSCRAMSHA256,
		gomail.SMTPAuthSCRAMSHA1PLUS, gomail.SMTPAuthSCRAMSHA1, gomail.SMTPAuthCramMD5,
		gomail.SMTPAuthPlain, gomail.SMTPAuthLogin}
}

// dialer connects (over TLS for TLSImplicit) and ties the connection to ctx, so a
// cancelled delivery or an expired attempt does not wait on a silent server.
func (m *Mailer) dialer(ctx context.Context, tlsConfig *tls.Config) gomail.DialContextFunc {
	return func(dialCtx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		var conn net.Conn
		var err error
		if m.cfg.TLS == TLSImplicit {
			conn, err = (&tls.Dialer{NetDialer: &d, Config: tlsConfig}).DialContext(dialCtx, network, addr)
		} else {
			conn, err = d.DialContext(dialCtx, network, addr)
		}
		if err != nil {
			return nil, err
		}
		context.AfterFunc(ctx, func() { conn.Close() })
		return conn, nil
	}
}
