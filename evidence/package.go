package evidence

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/auditlog"
	"github.com/keeptrail/keeptrail/compliance"
)

// PackageRequest asks for one compliance package.
type PackageRequest struct {
	// Framework is soc2, hipaa or a custom framework template's name; empty means soc2.
	Framework string
	// From and To bound the audit period [From, To) in UTC.
	From, To time.Time
	// Include limits the period sections (see QueryInput.Include); empty means all.
	Include []string
	// GeneratedAt is the package's generated-at time: every date inside the bundle
	// comes from it, so the same data, request and time give the same bytes. Required.
	GeneratedAt time.Time
}

// Packager writes compliance packages: it reads the evidence, writes report.pdf, the
// OSCAL results and the signed manifest into one ZIP. It is safe for concurrent use.
type Packager struct {
	// Store is read for the evidence and the framework templates.
	Store keeptrail.Store
	// Key signs manifest.json.
	Key *PackageKey
	// AuditPublicKey verifies the audit log's signed checkpoints in the chain check;
	// required (a nil key reports every checkpoint as signed by another key).
	AuditPublicKey ed25519.PublicKey
	// Compliance configures the policy compliance status and score of the package
	// (weights, window); its clock is replaced by the package's generated-at time.
	Compliance compliance.Options
	// Software names the program written into the manifest and the report.
	Software Software
}

// Framework returns the framework named name: a built-in one, or a custom template from
// the store. An unknown name is EINVALID naming "framework".
func (p *Packager) Framework(ctx context.Context, name string) (Framework, error) {
	if name == "" {
		name = SOC2
	}
	if f, ok := LookupBuiltIn(strings.ToLower(name)); ok {
		return f, nil
	}
	var t keeptrail.FrameworkTemplate
	err := p.Store.View(ctx, func(tx keeptrail.Tx) error {
		var err error
		t, err = tx.FrameworkTemplate(name)
		return err
	})
	if keeptrail.ErrorCode(err) == keeptrail.ENOTFOUND {
		var v keeptrail.Validation
		v.Add("framework", "%q is neither soc2, hipaa nor a framework template", name)
		return Framework{}, v.Err()
	}
	if err != nil {
		return Framework{}, err
	}
	return FromTemplate(t)
}

// Write writes the package req asks for, as the principal of ctx sees the data, to w,
// and returns its manifest. The principal must be allowed to export.
func (p *Packager) Write(ctx context.Context, req PackageRequest, w io.Writer) (Manifest, error) {
	pr := keeptrail.PrincipalFromContext(ctx)
	if pr == nil {
		return Manifest{}, keeptrail.Errorf(keeptrail.EUNAUTHORIZED, "authentication required")
	}
	if !pr.Role.Can(keeptrail.ActExport) {
		return Manifest{}, keeptrail.Errorf(keeptrail.EFORBIDDEN, "role %s may not export", pr.Role)
	}
	var v keeptrail.Validation
	if req.GeneratedAt.IsZero() {
		v.Add("generated_at", "is required")
	}
	if req.From.IsZero() {
		v.Add("from", "is required")
	}
	if !req.To.After(req.From) {
		v.Add("to", "must be after from")
	}
	if err := v.Err(); err != nil {
		return Manifest{}, err
	}
	from, to := keeptrail.TruncTime(req.From), keeptrail.TruncTime(req.To)
	at := keeptrail.TruncTime(req.GeneratedAt)
	fw, err := p.Framework(ctx, req.Framework)
	if err != nil {
		return Manifest{}, err
	}

	// The chain check, status, score and evidence files all read one snapshot, so that
	// the report's figures and the manifest's populations agree whatever is written
	// meanwhile. The writes the compliance figures need (rollups built once, escalations
	// settled, the chain's progress recorded) are done first.
	copts := p.Compliance
	copts.Now = func() time.Time { return at }
	svc, err := compliance.New(p.Store, copts)
	if err != nil {
		return Manifest{}, err
	}
	if err := svc.Prepare(ctx); err != nil {
		return Manifest{}, err
	}
	// The evidence files stream into the bundle while they are read.
	bw, err := NewBundleWriter(w, BundleOptions{GeneratedAt: at})
	if err != nil {
		return Manifest{}, err
	}
	var ev *Evidence
	var score compliance.Score
	err = p.Store.View(ctx, func(tx keeptrail.Tx) error {
		rep, err := auditlog.Verify(ctx, snapshotStore{Store: p.Store, tx: tx}, p.AuditPublicKey)
		if err != nil {
			return fmt.Errorf("evidence: audit chain check: %w", err)
		}
		chain := chainCheck(rep, p.AuditPublicKey)
		status, err := svc.StatusIn(ctx, tx, compliance.StatusRequest{From: from, To: to})
		if err != nil {
			return err
		}
		sreq := compliance.ScoreRequest{From: from}
		if !to.After(at) {
			sreq.At = to
		}
		if score, err = svc.ScoreIn(ctx, tx, sreq); err != nil {
			return err
		}
		ev, err = CollectIn(ctx, tx, QueryInput{Framework: fw, From: from, To: to, Principal: pr, Include: req.Include, AsOf: at,
			AuditChain: &chain, Out: bw}, status, score)
		return err
	})
	if err != nil {
		return Manifest{}, err
	}

	m := Manifest{
		Organization:  ev.Organization,
		Framework:     ManifestFramework{Name: fw.Name, Title: fw.Title, Version: fw.Version},
		Period:        HalfOpenPeriod(from, to, "UTC"),
		GeneratedAt:   at,
		GeneratedBy:   generatedBy(pr, ev.KeyOwner),
		Software:      p.Software,
		SchemaVersion: ev.SchemaVersion,
		AuditLog:      ev.AuditLog,
		Score:         scoreSummary(score),
	}
	if m.Organization == "" {
		m.Organization = "Keeptrail"
	}
	for _, f := range ev.Files {
		if strings.HasSuffix(f.Path, ".json") {
			f.Query.RowsWritten = 1 // the file is one JSON document
		}
		m.Queries = append(m.Queries, f.Query)
	}
	if _, err := bw.AddOSCAL(oscalInput(fw, m, ev)); err != nil {
		return Manifest{}, err
	}
	var pdf bytes.Buffer
	counts := map[string]map[string]int64{}
	for _, c := range score.Components {
		counts[c.Name] = c.Counts
	}
	err = WriteReport(&pdf, ReportInput{Organization: m.Organization, Framework: fw, Period: m.Period, GeneratedAt: at,
		GeneratedBy: m.GeneratedBy, Software: m.Software, Score: m.Score, ScoreCounts: counts, Evidence: ev, Files: bw.Members()})
	if err != nil {
		return Manifest{}, err
	}
	if _, err := bw.Add(ReportPath, &pdf); err != nil {
		return Manifest{}, err
	}
	if err := bw.Seal(&m, p.Key); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// snapshotStore is a Store whose View runs in a transaction already open, so that code
// written against a Store (auditlog.Verify) reads the package's snapshot. It does not
// write.
type snapshotStore struct {
	keeptrail.Store
	tx keeptrail.Tx
}

func (s snapshotStore) View(_ context.Context, fn func(keeptrail.Tx) error) error { return fn(s.tx) }

func (s snapshotStore) Update(context.Context, func(keeptrail.Tx) error) error {
	return fmt.Errorf("evidence: the package's snapshot is read-only")
}

// chainCheck turns the audit log verification into the manifest's chain check.
func chainCheck(rep auditlog.Report, pub ed25519.PublicKey) ChainCheck {
	c := ChainCheck{Result: ChainIntact, CheckedFrom: rep.From, CheckedTo: rep.To, Entries: rep.Entries,
		Checkpoints: rep.Checkpoints, Problems: []ChainProblem{}}
	if pub != nil {
		c.CheckpointKeyID = auditlog.PublicKeyID(pub)
	}
	for _, pr := range rep.Problems {
		c.Problems = append(c.Problems, ChainProblem{Seq: pr.Seq, What: pr.What})
	}
	if !rep.OK {
		c.Result = ChainBroken
	}
	return c
}

// generatedBy names the requester; an API key's owner (owner, the user's email) is the
// one it acted on behalf of.
func generatedBy(p *keeptrail.Principal, owner string) GeneratedBy {
	g := GeneratedBy{Name: p.Name, Role: p.Role}
	switch p.Kind {
	case keeptrail.ActorUser:
		g.Kind = GeneratedByUser
	case keeptrail.ActorAPIKey:
		g.Kind = GeneratedByAPIKey
		g.OnBehalfOf = owner
	default:
		g.Kind = GeneratedBySystem
	}
	return g
}

func scoreSummary(s compliance.Score) *ScoreSummary {
	out := &ScoreSummary{Score: s.Score, At: s.At}
	var conv func(cs []compliance.Component) []ScoreComponent
	conv = func(cs []compliance.Component) []ScoreComponent {
		var r []ScoreComponent
		for _, c := range cs {
			r = append(r, ScoreComponent{Name: c.Name, Weight: c.Weight, MaxPoints: c.MaxPoints, Ratio: c.Ratio,
				Points: c.Points, Parts: conv(c.Parts)})
		}
		return r
	}
	out.Components = conv(s.Components)
	return out
}

func oscalInput(fw Framework, m Manifest, ev *Evidence) OSCALInput {
	in := OSCALInput{Organization: m.Organization, Framework: m.Framework, Period: m.Period, GeneratedAt: m.GeneratedAt,
		Software: m.Software}
	have := ev.Paths()
	r := &report{in: ReportInput{Evidence: ev, Score: m.Score}}
	for _, s := range fw.Sections {
		c := OSCALCriterion{ID: s.ID, Heading: fw.IDPrefix + s.ID, Title: s.Title, Description: s.Description}
		for _, src := range s.Sources {
			_, notable := r.figures(src)
			for _, n := range notable {
				if len(c.Exceptions) < MaxNotable && !containsString(c.Exceptions, n) {
					c.Exceptions = append(c.Exceptions, n)
				}
			}
		}
		for _, f := range SectionFiles(s, have) {
			e := OSCALEvidence{Path: f}
			if ef, ok := ev.File(f); ok {
				e.CollectedAt = ef.Query.SnapshotAt
			}
			c.Evidence = append(c.Evidence, e)
		}
		in.Criteria = append(in.Criteria, c)
	}
	return in
}

func containsString(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
