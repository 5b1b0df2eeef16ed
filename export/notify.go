package export

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/delivery"
)

// DefaultLinkTTL is how long a download link in a notice works.
const DefaultLinkTTL = 7 * 24 * time.Hour

// Notification statuses recorded on a job.
const (
	NotifySent   = "sent"
	NotifyFailed = "failed"
)

// Notifier sends the notify_on_complete notice of a finished export: an email (SMTP, or
// the outbox folder) or a signed webhook, carrying a signed download link that expires and
// works only for the requester, signed in (the link names the export, the requester's user
// id and the expiry; the download endpoint checks it and the caller's own credentials).
// The file itself is never attached: the address in a spec may be anyone's, and the data
// goes only to people allowed to download it.
type Notifier struct {
	Mailer  *delivery.Mailer
	Webhook *delivery.Webhook
	Links   *delivery.LinkSigner
	// BaseURL is the server's public URL (https://keeptrail.example); links are
	// BaseURL + /api/v1/exports/{id}/download?expires=..&sig=..&user=..
	BaseURL string
	// LinkTTL is how long links work (DefaultLinkTTL when zero).
	LinkTTL time.Duration
	// Now is the clock of link expiries (time.Now when nil).
	Now func() time.Time
}

// LinkArtifact is the artifact id a download link of export id is signed for.
func LinkArtifact(id int64) string { return "export/" + strconv.FormatInt(id, 10) }

// DownloadLink returns the signed link for userID to download export id, and its expiry.
func (n *Notifier) DownloadLink(id, userID int64) (string, time.Time) {
	now := time.Now
	if n.Now != nil {
		now = n.Now
	}
	ttl := n.LinkTTL
	if ttl <= 0 {
		ttl = DefaultLinkTTL
	}
	exp := now().Add(ttl).Truncate(time.Second)
	u := strings.TrimRight(n.BaseURL, "/") + "/api/v1/exports/" + strconv.FormatInt(id, 10) + "/download?" +
		n.Links.Sign(LinkArtifact(id), userID, exp)
	return u, exp
}

// notify sends the notice of a finished job and returns the status and last error to
// record on it.
func (q *Jobs) notify(ctx context.Context, job keeptrail.ExportJob, s Spec) (string, string) {
	n := q.opt.Notifier
	if n == nil {
		return NotifyFailed, "notifications are not configured on this server"
	}
	target, err := delivery.ParseTarget("export.notify_on_complete", s.NotifyOnComplete)
	if err != nil {
		return NotifyFailed, keeptrail.ErrorMessage(err)
	}
	notice := delivery.Notice{
		Kind: "export", ID: strconv.FormatInt(job.ID, 10),
		Title:  strings.ReplaceAll(string(s.Type), "_", " ") + " export, " + s.TimeRange.String(),
		Status: delivery.StatusSucceeded, Rows: job.Rows, Bytes: job.Bytes, SHA256: job.SHA256,
	}
	if job.FinishedAt != nil {
		notice.FinishedAt = *job.FinishedAt
	}
	if job.Status != keeptrail.ExportSucceeded {
		notice.Status, notice.Error = delivery.StatusFailed, job.Error
	} else if n.Links != nil && n.BaseURL != "" && job.RequesterUserID != 0 {
		notice.Link, notice.LinkExpires = n.DownloadLink(job.ID, job.RequesterUserID)
	}
	var sendErr error
	switch target.Kind {
	case delivery.TargetEmail:
		if n.Mailer == nil {
			return NotifyFailed, "email is not configured on this server"
		}
		_, sendErr = n.Mailer.Send(ctx, target, notice)
	case delivery.TargetWebhook:
		if n.Webhook == nil {
			return NotifyFailed, "webhooks are not configured on this server"
		}
		_, sendErr = n.Webhook.Send(ctx, target, notice)
	}
	if sendErr != nil {
		q.log.Warn("export notice not delivered", "job", job.ID, "target", target.String(), "err", sendErr)
		return NotifyFailed, sendErr.Error()
	}
	return NotifySent, ""
}

// VerifyLink checks a download link's query for export id (from the request path) and
// returns the user it was issued to: delivery.ErrLinkInvalid or ErrLinkExpired
// (EFORBIDDEN) otherwise. The caller must also be signed in as that user.
func (n *Notifier) VerifyLink(id int64, query url.Values) (int64, error) {
	if n == nil || n.Links == nil {
		return 0, delivery.ErrLinkInvalid
	}
	g, err := n.Links.Verify(LinkArtifact(id), query)
	if err != nil {
		return 0, err
	}
	return g.UserID, nil
}
