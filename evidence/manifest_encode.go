package evidence

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/keeptrail/keeptrail"
)

// Encode returns the canonical form of the manifest, the bytes that are signed: struct
// fields in declaration order, object keys inside query parameters sorted, two-space
// indentation, no HTML escaping, times in UTC at microsecond precision (RFC 3339 without
// trailing zeros), empty lists as [], files ordered by path, and a trailing newline. Kind
// and FormatVersion are filled in when empty. Encode does not validate (see Validate).
func (m Manifest) Encode() ([]byte, error) {
	c, err := m.canonical()
	if err != nil {
		return nil, err
	}
	return encodeJSON(c)
}

// canonical returns a copy of m in canonical form.
func (m Manifest) canonical() (Manifest, error) {
	if m.Kind == "" {
		m.Kind = ManifestKind
	}
	if m.FormatVersion == 0 {
		m.FormatVersion = ManifestFormatVersion
	}
	m.Period.Start = keeptrail.TruncTime(m.Period.Start)
	m.Period.End = keeptrail.TruncTime(m.Period.End)
	m.GeneratedAt = keeptrail.TruncTime(m.GeneratedAt)
	m.Files = slices.Clone(m.Files)
	if m.Files == nil {
		m.Files = []Member{}
	}
	slices.SortStableFunc(m.Files, func(a, b Member) int { return strings.Compare(a.Path, b.Path) })
	m.Queries = slices.Clone(m.Queries)
	if m.Queries == nil {
		m.Queries = []EvidenceQuery{}
	}
	for i := range m.Queries {
		q := &m.Queries[i]
		q.SnapshotAt = keeptrail.TruncTime(q.SnapshotAt)
		if q.Exclusions == nil {
			q.Exclusions = []Exclusion{}
		}
		params, err := canonicalJSON(q.Parameters)
		if err != nil {
			return Manifest{}, fmt.Errorf("manifest: evidence_queries[%d].parameters: %w", i, err)
		}
		q.Parameters = params
	}
	if m.AuditLog != nil {
		a := *m.AuditLog
		if a.ChainCheck.Problems == nil {
			a.ChainCheck.Problems = []ChainProblem{}
		}
		m.AuditLog = &a
	}
	if m.Score != nil {
		s := *m.Score
		s.At = keeptrail.TruncTime(s.At)
		if s.Components == nil {
			s.Components = []ScoreComponent{}
		}
		m.Score = &s
	}
	return m, nil
}

// DecodeManifest reads manifest.json strictly: unknown fields, trailing data, another
// kind or format version are errors.
func DecodeManifest(data []byte) (Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("not a valid manifest: %w", err)
	}
	if !atEOF(dec) {
		return Manifest{}, fmt.Errorf("not a valid manifest: data after the manifest object")
	}
	if m.Kind != ManifestKind {
		return Manifest{}, fmt.Errorf("not a compliance package manifest: kind %q", m.Kind)
	}
	if m.FormatVersion != ManifestFormatVersion {
		return Manifest{}, fmt.Errorf("manifest format version %d is not supported (this Keeptrail reads version %d)",
			m.FormatVersion, ManifestFormatVersion)
	}
	return m, nil
}

// atEOF reports whether nothing but white space follows the value dec read.
func atEOF(dec *json.Decoder) bool {
	_, err := dec.Token()
	return err == io.EOF
}

// encodeJSON encodes v indented by two spaces, without HTML escaping, with a trailing
// newline.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// canonicalJSON re-encodes a JSON value with object keys sorted and numbers as written;
// empty input is {}.
func canonicalJSON(raw json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return json.RawMessage("{}"), nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if !atEOF(dec) {
		return nil, fmt.Errorf("not valid JSON: data after the value")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return json.RawMessage(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}
