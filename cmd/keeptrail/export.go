package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/artifact"
	"github.com/keeptrail/keeptrail/delivery"
	"github.com/keeptrail/keeptrail/export"
	"github.com/keeptrail/keeptrail/sqlstore"
	"github.com/keeptrail/keeptrail/web"
)

func init() {
	commands = append(commands, func(a *app) *cobra.Command { return a.exportCommand() })
}

// exportCLI holds the flags of keeptrail export.
type exportCLI struct {
	config string
	out    string
	flags  export.Flags
	server string
	apiKey string
	poll   time.Duration
}

func (a *app) exportCommand() *cobra.Command {
	var o exportCLI
	cmd := &cobra.Command{
		Use:   "export (--config FILE | --type TYPE --start DATE --end DATE ...) -o FILE",
		Short: "Export the audit log, decision events, escalations or the configuration changelog",
		Long: `Export one type of evidence for a period as CSV, JSON, NDJSON or (audit log) PDF.

The spec comes from a YAML file with an export: block (--config), or from flags. Without
--server the export runs in-process against --db, as the operator of this machine; with
--server URL --api-key KEY it is submitted to a running server as a job, followed until it
ends, and downloaded. Both give the same bytes for the same spec and data. The file is
written to a temporary name and renamed when complete; its manifest (population, rows,
SHA-256, ...) is written beside it as FILE.manifest.json.`,
		Example: `  keeptrail export --config export.yaml -o q1-audit.csv
  keeptrail export --type events --start 2025-01-01 --end 2025-03-31 --team payments --decision blocked --format ndjson -o blocked.ndjson
  keeptrail export --config export.yaml -o q1.csv --server https://keeptrail.example --api-key "$KEEPTRAIL_API_KEY"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			spec, raw, mediaType, err := o.spec(cmd)
			if err != nil {
				return err
			}
			if o.out == "" {
				return usageError("export: -o FILE is required")
			}
			if o.server != "" {
				return a.exportRemote(cmd.Context(), o, raw, mediaType)
			}
			if o.apiKey != "" {
				return usageError("export: --api-key needs --server")
			}
			return a.exportLocal(cmd.Context(), o, spec)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.config, "config", "", "YAML file with the export: block (or JSON, by the .json extension)")
	f.StringVarP(&o.out, "output", "o", "", "file to write (its manifest goes to FILE.manifest.json)")
	f.StringVar(&o.server, "server", os.Getenv("KEEPTRAIL_SERVER"), "run the export on this server (env KEEPTRAIL_SERVER)")
	f.StringVar(&o.apiKey, "api-key", os.Getenv("KEEPTRAIL_API_KEY"), "API key for --server (env KEEPTRAIL_API_KEY)")
	f.DurationVar(&o.poll, "poll", 500*time.Millisecond, "how often to ask --server how the export is going")
	f.StringVar(&o.flags.Type, "type", "", "audit_log, events, escalations or configurations")
	f.StringVar(&o.flags.Start, "start", "", "first instant, RFC 3339 or a date (inclusive)")
	f.StringVar(&o.flags.End, "end", "", "last instant, RFC 3339 or a date (inclusive, at the precision written)")
	f.StringVar(&o.flags.Format, "format", "", "csv, json, ndjson or pdf")
	f.StringVar(&o.flags.Notify, "notify", "", "email:ADDRESS or webhook:URL to tell when it is done (with --server)")
	f.StringVar(&o.flags.Framework, "framework", "", "compliance package framework")
	for _, l := range []struct {
		name  string
		dst   *[]string
		usage string
	}{
		{"team", &o.flags.Teams, "team (repeat or comma-separate; default all you may see)"},
		{"gateway", &o.flags.Gateways, "gateway (repeat or comma-separate; default all)"},
		{"severity", &o.flags.Severity, "severity: low, medium, high, critical"},
		{"user", &o.flags.Users, "user of events, actor of audit entries"},
		{"decision", &o.flags.Decisions, "decision of events: allowed, blocked, escalated"},
		{"category", &o.flags.Categories, "audit log category"},
		{"action", &o.flags.Actions, "audit log action, e.g. auth.login_failed"},
		{"status", &o.flags.Statuses, "escalation status: open, claimed, resolved, expired"},
		{"include", &o.flags.Include, "compliance package section"},
	} {
		f.StringSliceVar(l.dst, l.name, nil, l.usage)
	}
	return cmd
}

// spec reads the spec from --config or the flags; raw is what --server is sent.
func (o *exportCLI) spec(cmd *cobra.Command) (export.Spec, []byte, string, error) {
	specFlags := false
	for _, name := range []string{"type", "start", "end", "format", "notify", "framework", "team", "gateway", "severity",
		"user", "decision", "category", "action", "status", "include"} {
		specFlags = specFlags || cmd.Flags().Changed(name)
	}
	if o.config != "" {
		if specFlags {
			return export.Spec{}, nil, "", usageError("export: give the spec with --config or with flags, not both")
		}
		b, err := os.ReadFile(o.config)
		if err != nil {
			return export.Spec{}, nil, "", usageError("export: %v", err)
		}
		if strings.EqualFold(filepath.Ext(o.config), ".json") {
			s, err := export.ParseJSON(b, export.Limits{})
			return s, b, "application/json", err
		}
		s, err := export.ParseYAML(b, export.Limits{})
		return s, b, "application/yaml", err
	}
	if !specFlags {
		return export.Spec{}, nil, "", usageError("export: give the spec with --config FILE or with --type, --start, --end and --format")
	}
	s, err := export.FromFlags(o.flags, export.Limits{})
	if err != nil {
		return s, nil, "", err
	}
	b, err := json.Marshal(s)
	return s, b, "application/json", err
}

// exportLocal runs the export in-process against --db.
func (a *app) exportLocal(ctx context.Context, o exportCLI, s export.Spec) error {
	return a.withStore(ctx, func(ctx context.Context, db *sqlstore.DB) error {
		dir, err := artifact.OpenFolder(filepath.Dir(o.out))
		if err != nil {
			return usageError("export: %v", err)
		}
		defer dir.Close()
		if s.NotifyOnComplete != "" {
			fmt.Fprintln(a.stderr, "keeptrail: notify_on_complete is sent by a server (--server); an in-process export does not send it")
		}
		x := export.New(db, export.Options{Version: version()})
		bar := a.newExportProgress("export")
		m, err := x.Run(ctx, s, keeptrail.PrincipalFromContext(ctx), dir, filepath.Base(o.out),
			func(rows, _ int64) { bar.rows(rows) })
		bar.finish()
		if err != nil {
			return err
		}
		return a.exportDone(o.out, m)
	})
}

// exportDone prints the outcome: the manifest with --json, else one line.
func (a *app) exportDone(out string, m export.Manifest) error {
	if a.jsonOut {
		return a.printJSON(m)
	}
	a.printf("wrote %s: %d rows of %d, %d bytes, sha256 %s; manifest %s\n", out, m.RowsWritten, m.Population,
		m.File.Bytes, m.File.SHA256, export.ManifestName(out))
	return nil
}

// exportProgress shows rows exported: a bar on a terminal, otherwise a plain line at
// most every two seconds on stderr.
type exportProgress struct {
	bar  *progress
	w    io.Writer
	what string
	last time.Time
}

func (a *app) newExportProgress(what string) *exportProgress {
	p := &exportProgress{bar: a.newCountProgress(-1, what), what: what}
	if p.bar.bar == nil && !a.jsonOut {
		p.w = a.stderr
	}
	return p
}

func (p *exportProgress) rows(n int64) {
	p.bar.set(n)
	if p.w != nil && time.Since(p.last) >= 2*time.Second {
		p.last = time.Now()
		fmt.Fprintf(p.w, "%s: %d rows\n", p.what, n)
	}
}

func (p *exportProgress) status(s string) {
	p.bar.describe(s)
	if p.w != nil {
		fmt.Fprintf(p.w, "%s: %s\n", p.what, s)
	}
}

func (p *exportProgress) finish() { p.bar.finish() }

// remote is a client of a Keeptrail server's API.
type remote struct {
	base  string
	key   string
	http  *http.Client
	agent string
}

// apiError is the JSON error answer of the API.
type apiError struct {
	Error struct {
		Code    string                 `json:"code"`
		Message string                 `json:"message"`
		Fields  []keeptrail.FieldError `json:"fields"`
	} `json:"error"`
}

// do sends a request and returns the answer when its status is want; any other answer is
// an error carrying the server's message.
func (r *remote) do(ctx context.Context, method, path, contentType string, body []byte, want int) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, rd)
	if err != nil {
		return nil, usageError("export: --server: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+r.key)
	req.Header.Set("User-Agent", r.agent)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode == want {
		return resp, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var e apiError
	if json.Unmarshal(b, &e) == nil && e.Error.Code != "" {
		return nil, &keeptrail.Error{Code: e.Error.Code, Message: e.Error.Message, Fields: e.Error.Fields}
	}
	return nil, fmt.Errorf("%s %s: %s", method, path, resp.Status)
}

// getJSON reads a JSON answer into v.
func (r *remote) getJSON(ctx context.Context, path string, v any) error {
	resp, err := r.do(ctx, "GET", path, "", nil, http.StatusOK)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

// exportRemote submits the spec to --server, follows the job and downloads the file.
func (a *app) exportRemote(ctx context.Context, o exportCLI, raw []byte, mediaType string) error {
	if o.apiKey == "" {
		return usageError("export: --server needs --api-key (or KEEPTRAIL_API_KEY)")
	}
	if _, err := url.ParseRequestURI(o.server); err != nil {
		return usageError("export: --server: not a URL: %q", o.server)
	}
	r := &remote{base: strings.TrimRight(o.server, "/"), key: o.apiKey, http: &http.Client{}, agent: "keeptrail-cli/" + version()}
	resp, err := r.do(ctx, "POST", "/api/v1/exports", mediaType, raw, http.StatusAccepted)
	if err != nil {
		return err
	}
	var created struct {
		ID int64 `json:"id"`
	}
	err = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if err != nil || created.ID == 0 {
		return fmt.Errorf("export: the server's answer to the submission has no id: %v", err)
	}
	path := "/api/v1/exports/" + strconv.FormatInt(created.ID, 10)
	bar := a.newExportProgress("export " + strconv.FormatInt(created.ID, 10))
	var job keeptrail.ExportJob
	status := keeptrail.ExportJobStatus("")
	for {
		if err := r.getJSON(ctx, path, &job); err != nil {
			bar.finish()
			return err
		}
		if job.Status != status {
			status = job.Status
			bar.status(string(status))
		}
		bar.rows(job.Rows)
		if job.Status.Final() {
			break
		}
		select {
		case <-ctx.Done():
			bar.finish()
			return fmt.Errorf("export %d: stopped following it (it goes on on the server): %w", job.ID, ctx.Err())
		case <-time.After(o.poll):
		}
	}
	bar.finish()
	if job.Status != keeptrail.ExportSucceeded {
		msg := job.Error
		if msg == "" {
			msg = string(job.Status)
		}
		return &exitError{code: 1, msg: fmt.Sprintf("export %d %s: %s", job.ID, job.Status, msg)}
	}
	if err := r.downloadTo(ctx, path+"/download", o.out, job); err != nil {
		return err
	}
	var m export.Manifest
	resp, err = r.do(ctx, "GET", path+"/manifest", "", nil, http.StatusOK)
	if err != nil {
		return err
	}
	manifest, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil {
		err = json.Unmarshal(manifest, &m)
	}
	if err != nil {
		return fmt.Errorf("export %d: read manifest: %w", job.ID, err)
	}
	dir, err := artifact.OpenFolder(filepath.Dir(o.out))
	if err != nil {
		return err
	}
	defer dir.Close()
	if _, err := dir.WriteFile(filepath.Base(export.ManifestName(o.out)), manifest); err != nil {
		return err
	}
	return a.exportDone(o.out, m)
}

// downloadTo writes the export file to out atomically, checking its size and SHA-256
// against the job.
func (r *remote) downloadTo(ctx context.Context, path, out string, job keeptrail.ExportJob) error {
	resp, err := r.do(ctx, "GET", path, "", nil, http.StatusOK)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	dir, err := artifact.OpenFolder(filepath.Dir(out))
	if err != nil {
		return usageError("export: %v", err)
	}
	defer dir.Close()
	w, err := dir.Create(filepath.Base(out))
	if err != nil {
		return err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(w, h), resp.Body); err != nil {
		w.Abort()
		return fmt.Errorf("export %d: download: %w", job.ID, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != job.SHA256 || w.Bytes() != job.Bytes {
		w.Abort()
		return fmt.Errorf("export %d: downloaded %d bytes with SHA-256 %s; the server recorded %d bytes, %s",
			job.ID, w.Bytes(), got, job.Bytes, job.SHA256)
	}
	_, err = w.Commit()
	return err
}

// exportServeOptions are the settings of the export workers and notifications in serve.
type exportServeOptions struct {
	maxDays    int
	workers    int
	maxActive  int
	lease      time.Duration
	publicURL  string
	smtp       delivery.SMTPConfig
	allowLocal bool
}

// exportServeFlags adds the export and notification flags of keeptrail serve.
func (a *app) exportServeFlags(cmd *cobra.Command, o *exportServeOptions) {
	f := cmd.Flags()
	f.IntVar(&o.workers, "export-workers", int(envInt64("KEEPTRAIL_EXPORT_WORKERS", 1)),
		"export jobs run at once by this process (env KEEPTRAIL_EXPORT_WORKERS)")
	f.IntVar(&o.maxActive, "export-max-active", int(envInt64("KEEPTRAIL_EXPORT_MAX_ACTIVE", export.DefaultMaxActive)),
		"queued and running exports one user or API key may have (env KEEPTRAIL_EXPORT_MAX_ACTIVE)")
	f.IntVar(&o.maxDays, "export-max-days", int(envInt64("KEEPTRAIL_EXPORT_MAX_DAYS", int64(export.DefaultMaxRange/(24*time.Hour)))),
		"longest period an export spec may cover, in days (env KEEPTRAIL_EXPORT_MAX_DAYS)")
	f.DurationVar(&o.lease, "export-lease", export.DefaultLease,
		"how long a worker holds an export between progress writes; a dead worker's export restarts after it")
	f.StringVar(&o.publicURL, "public-url", os.Getenv("KEEPTRAIL_PUBLIC_URL"),
		"URL people reach this server at, for download links in notices (env KEEPTRAIL_PUBLIC_URL; default the listen address)")
	f.StringVar(&o.smtp.Host, "smtp-host", os.Getenv("KEEPTRAIL_SMTP_HOST"),
		"SMTP server for notices (env KEEPTRAIL_SMTP_HOST); without one, mail goes to DATA_DIR/outbox")
	f.IntVar(&o.smtp.Port, "smtp-port", int(envInt64("KEEPTRAIL_SMTP_PORT", 0)), "SMTP port (env KEEPTRAIL_SMTP_PORT)")
	f.StringVar(&o.smtp.Username, "smtp-username", os.Getenv("KEEPTRAIL_SMTP_USERNAME"), "SMTP user (env KEEPTRAIL_SMTP_USERNAME; the password only from KEEPTRAIL_SMTP_PASSWORD)")
	f.StringVar(&o.smtp.From, "smtp-from", os.Getenv("KEEPTRAIL_SMTP_FROM"), "sender of notices (env KEEPTRAIL_SMTP_FROM)")
	f.StringVar(&o.smtp.TLS, "smtp-tls", envOr("KEEPTRAIL_SMTP_TLS", delivery.TLSStartTLS), "none, starttls or tls (env KEEPTRAIL_SMTP_TLS)")
	f.BoolVar(&o.allowLocal, "webhook-allow-private", false, "let webhooks reach loopback and private addresses")
	o.smtp.Password = os.Getenv("KEEPTRAIL_SMTP_PASSWORD")
}

// exportService is the export queue of a running server.
type exportService struct {
	jobs      *export.Jobs
	artifacts *artifact.Dir
	workers   int
	routes    *web.ExportConfig // web.Config.Exports
}

// startExports builds the export queue with its notifier and returns it, with what the
// server's routes need in routes; run starts the workers. listenURL is the default
// public URL.
func (a *app) startExports(db *sqlstore.DB, o exportServeOptions, listenURL string, log *slog.Logger) (*exportService, error) {
	arts, err := artifact.OpenDir(filepath.Join(a.dataDir, "artifacts"))
	if err != nil {
		return nil, err
	}
	linkKey, err := delivery.LoadOrCreateSecret(filepath.Join(a.dataDir, "keys", "link.key"))
	if err != nil {
		arts.Close()
		return nil, fmt.Errorf("download link key: %w", err)
	}
	hookKey, err := delivery.LoadOrCreateSecret(filepath.Join(a.dataDir, "keys", "webhook.key"))
	if err != nil {
		arts.Close()
		return nil, fmt.Errorf("webhook key: %w", err)
	}
	signer, err := delivery.NewLinkSigner(linkKey, nil)
	if err == nil {
		var mailer *delivery.Mailer
		mailer, err = delivery.NewMailer(o.smtp, delivery.MailerOptions{OutboxDir: filepath.Join(a.dataDir, "outbox"), Logger: log})
		if err == nil {
			var hook *delivery.Webhook
			hook, err = delivery.NewWebhook(hookKey, delivery.WebhookOptions{Logger: log, DenyPrivateNetworks: !o.allowLocal})
			if err == nil {
				base := o.publicURL
				if base == "" {
					base = listenURL
				}
				n := &export.Notifier{Mailer: mailer, Webhook: hook, Links: signer, BaseURL: base}
				q := export.NewJobs(export.New(db, export.Options{Version: version()}), export.JobsOptions{
					Artifacts: arts, MaxActive: o.maxActive, Lease: o.lease, Notifier: n, Logger: log})
				lim := export.Limits{MaxRange: time.Duration(max(1, o.maxDays)) * 24 * time.Hour}
				return &exportService{jobs: q, artifacts: arts, workers: o.workers,
					routes: &web.ExportConfig{Jobs: q, Notifier: n, Limits: lim}}, nil
			}
		}
	}
	arts.Close()
	var kerr *keeptrail.Error
	if errors.As(err, &kerr) {
		return nil, usageError("%s", kerr.Error())
	}
	return nil, err
}

// run runs the export workers until ctx ends.
func (e *exportService) run(ctx context.Context) { e.jobs.Run(ctx, e.workers) }

// close releases the artifact folder.
func (e *exportService) close() { e.artifacts.Close() }
