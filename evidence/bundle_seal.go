package evidence

import (
	"fmt"
	"slices"
	"strings"

	"github.com/keeptrail/keeptrail"
)

// Seal finishes the bundle: it sets the manifest's kind, format version and files (the
// members added, ordered by path; GeneratedAt too when zero), validates it, writes
// manifest.json in canonical form and its signature by key as the last members, and
// closes the archive (not the underlying writer). The signature is written twice, as
// manifest.sig and as manifest.json.minisig, the name under which
// `minisign -Vm manifest.json -P <key>` looks for it, so that command works as written
// in the unpacked folder. A manifest that does not
// validate is EINVALID and leaves the bundle open, so the caller may fix it and seal again.
func (b *BundleWriter) Seal(m *Manifest, key *PackageKey) error {
	if err := b.usable(); err != nil {
		return err
	}
	if key == nil {
		return fmt.Errorf("seal bundle: no package signing key")
	}
	m.Kind, m.FormatVersion = ManifestKind, ManifestFormatVersion
	m.Files = b.Members()
	slices.SortFunc(m.Files, func(a, c Member) int { return strings.Compare(a.Path, c.Path) })
	if m.GeneratedAt.IsZero() {
		m.GeneratedAt = b.modified
	}
	if !keeptrail.TruncTime(m.GeneratedAt).Equal(b.modified) {
		return &keeptrail.Error{Code: keeptrail.EINVALID, Fields: []keeptrail.FieldError{{Field: "generated_at",
			Reason: "differs from the bundle's generated-at time " + b.modified.Format("2006-01-02T15:04:05.999999Z")}}}
	}
	if err := m.Validate(); err != nil {
		return err
	}
	data, err := m.Encode()
	if err != nil {
		return fmt.Errorf("seal bundle: %w", err)
	}
	if err := b.writeRaw(ManifestPath, data); err != nil {
		return err
	}
	sig := key.SignManifest(data, b.modified)
	if err := b.writeRaw(SignaturePath, sig); err != nil {
		return err
	}
	if err := b.writeRaw(MinisigPath, sig); err != nil {
		return err
	}
	b.sealed = true
	if err := b.zw.Close(); err != nil {
		b.err = fmt.Errorf("seal bundle: %w", err)
		return b.err
	}
	return nil
}
