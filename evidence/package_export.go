package evidence

import (
	"context"
	"io"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/export"
)

// ExportPackager runs compliance_package export specs through a Packager, so packages
// go through the export engine and its jobs (scope checks, audit entries,
// notifications) like every other export. Register it with export.RegisterPackager.
type ExportPackager struct {
	Packager *Packager
}

// WritePackage implements export.Packager: the spec's framework (soc2 when empty), time
// range and include list make the request; at is the generated-at time. The spec's teams
// (already checked against p's by the export engine) narrow what p sees; its gateways do
// not narrow a package, which covers whole teams.
func (e ExportPackager) WritePackage(ctx context.Context, s export.Spec, p *keeptrail.Principal, at time.Time, w io.Writer) (export.Result, error) {
	if len(s.Scope.Teams) > 0 {
		narrowed := *p
		narrowed.AllTeams = false
		narrowed.TeamIDs = nil
		err := e.Packager.Store.View(ctx, func(tx keeptrail.Tx) error {
			for _, name := range s.Scope.Teams {
				t, err := tx.TeamByName(name)
				if err != nil {
					return err
				}
				narrowed.TeamIDs = append(narrowed.TeamIDs, t.ID)
			}
			return nil
		})
		if err != nil {
			return export.Result{}, err
		}
		p = &narrowed
	}
	ctx = keeptrail.NewContextWithPrincipal(ctx, p)
	include := make([]string, len(s.Include))
	for i, sec := range s.Include {
		include[i] = string(sec)
	}
	m, err := e.Packager.Write(ctx, PackageRequest{Framework: s.Framework, From: s.TimeRange.Start, To: s.TimeRange.End,
		Include: include, GeneratedAt: at}, w)
	if err != nil {
		return export.Result{}, err
	}
	n := int64(len(m.Files))
	res := export.Result{Population: n, Rows: n, SchemaVersion: m.SchemaVersion, SnapshotAt: m.GeneratedAt}
	if m.AuditLog != nil {
		res.FirstSeq, res.LastSeq = m.AuditLog.FirstSeq, m.AuditLog.LastSeq
	}
	return res, nil
}
