package export

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/artifact"
)

// Produce exports s as p into the folder d under name, then writes its manifest beside it
// (ManifestName(name)). Both files appear only when complete: written under temporary
// names, fsynced and renamed (package artifact). jobID (0 for none) is recorded in the
// manifest. It audits nothing: the caller records the request and its outcome.
func (x *Exporter) Produce(ctx context.Context, s Spec, p *keeptrail.Principal, d *artifact.Dir, name string,
	jobID int64, progress func(rows, bytes int64)) (Manifest, error) {
	w, err := d.Create(name)
	if err != nil {
		return Manifest{}, err
	}
	var report func(int64)
	if progress != nil {
		report = func(rows int64) { progress(rows, w.Bytes()) }
	}
	res, err := x.Write(ctx, s, p, w, report)
	if err != nil {
		w.Abort()
		return Manifest{}, err
	}
	info, err := w.Commit()
	if err != nil {
		return Manifest{}, err
	}
	if info.Bytes != res.Bytes {
		return Manifest{}, fmt.Errorf("export: committed %d bytes, wrote %d", info.Bytes, res.Bytes)
	}
	m := x.newManifest(s, p, jobID, res, FileInfo{Name: name, MediaType: MediaType(s.Type, s.Format), Bytes: info.Bytes, SHA256: info.SHA256})
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return Manifest{}, fmt.Errorf("export: manifest: %w", err)
	}
	if _, err := d.WriteFile(ManifestName(name), append(b, '\n')); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// Run is Produce for a principal working in-process (the CLI against its database): it
// checks the spec against p (a denial is recorded and answered EFORBIDDEN), records
// export.requested, produces the file and its manifest, and records export.completed or
// export.failed, as a job would.
func (x *Exporter) Run(ctx context.Context, s Spec, p *keeptrail.Principal, d *artifact.Dir, name string,
	progress func(rows, bytes int64)) (Manifest, error) {
	s = s.Normalize()
	spec := s.Canonical()
	log := slog.New(slog.DiscardHandler)
	if err := x.Check(ctx, s, p); err != nil {
		var den *denial
		if errors.As(err, &den) {
			return Manifest{}, recordDenied(ctx, x.st, log, p, ActionRequested, 0, auditDetails{Spec: spec, Reason: den.reason},
				den.teamID, keeptrail.Errorf(keeptrail.EFORBIDDEN, "%s", den.reason))
		}
		return Manifest{}, err
	}
	err := x.st.Update(ctx, func(tx keeptrail.Tx) error {
		return appendAudit(tx, p, ActionRequested, outcomeSuccess, keeptrail.SeverityLow, nil, 0, auditDetails{Spec: spec, File: name})
	})
	if err != nil {
		return Manifest{}, err
	}
	m, runErr := x.Produce(ctx, s, p, d, name, 0, progress)
	action, outcome, sev := ActionCompleted, outcomeSuccess, keeptrail.SeverityLow
	det := auditDetails{Spec: spec, File: name}
	if runErr == nil {
		det.Population, det.Rows, det.Bytes, det.SHA256 = ptr(m.Population), ptr(m.RowsWritten), ptr(m.File.Bytes), m.File.SHA256
	} else {
		action, outcome, sev, det.Reason = ActionFailed, outcomeFailure, keeptrail.SeverityMedium, keeptrail.ErrorMessage(runErr)
	}
	err = x.st.Update(context.WithoutCancel(ctx), func(tx keeptrail.Tx) error {
		return appendAudit(tx, p, action, outcome, sev, nil, 0, det)
	})
	if runErr != nil {
		return Manifest{}, runErr
	}
	return m, err
}
