package export

import (
	"context"
	"encoding/json"
	"fmt"

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
	m := x.newManifest(s, p, jobID, res, FileInfo{Name: name, MediaType: MediaType(s.Format), Bytes: info.Bytes, SHA256: info.SHA256})
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return Manifest{}, fmt.Errorf("export: manifest: %w", err)
	}
	if _, err := d.WriteFile(ManifestName(name), append(b, '\n')); err != nil {
		return Manifest{}, err
	}
	return m, nil
}
