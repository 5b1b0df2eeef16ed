package evidence

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/keeptrail/keeptrail"
)

// Evidence file paths in a package. Every file lives under evidence/ so that the bundle's
// top level holds only the report, the manifest, its signature and oscal/.
const (
	FileAuditLog         = "evidence/audit_log.csv"
	FileEventsSummary    = "evidence/events_summary.csv"
	FileBlocksByRule     = "evidence/blocks_by_rule.csv"
	FileEscalations      = "evidence/escalation_report.csv"
	FileEscalationSLA    = "evidence/escalation_sla.json"
	FileConfigurations   = "evidence/configuration_changelog.csv"
	FilePolicyStatus     = "evidence/policy_compliance_status.json"
	FileComplianceScore  = "evidence/compliance_score.json"
	FileGateways         = "evidence/gateways.csv"
	FileAlertingRules    = "evidence/alerting_rules.csv"
	FileUsers            = "evidence/users.csv"
	FileAPIKeys          = "evidence/api_keys.csv"
	FileWallets          = "evidence/wallets.csv"
	FileAuthentication   = "evidence/audit_authentication.csv"
	FileConfigurationLog = "evidence/audit_configuration.csv"
)

// sourceFiles maps each evidence source to the files that carry it, in the order the
// package lists them.
var sourceFiles = map[Source][]string{
	SourceAuditLogComplete:       {FileAuditLog},
	SourceAuditLogAuthentication: {FileAuthentication, FileAuditLog},
	SourceAuditLogAuthorization:  {FileAuditLog},
	SourceAuditLogSecurity:       {FileAuditLog},
	SourceAuditLogConfiguration:  {FileConfigurationLog, FileAuditLog},
	SourceAuditLogEscalation:     {FileAuditLog},
	SourceAuditLogFinancial:      {FileAuditLog},
	SourceAuditLogExport:         {FileAuditLog},
	SourceEventsSummary:          {FileEventsSummary},
	SourceEventsBlocksByRule:     {FileBlocksByRule},
	SourceEventsPHIDetections:    {FileEventsSummary, FileBlocksByRule},
	SourceEscalationsHistory:     {FileEscalations},
	SourceEscalationsSLA:         {FileEscalationSLA, FileEscalations},
	SourceConfigurationsChanges:  {FileConfigurations},
	SourceConfigurationsValid:    {FileConfigurations},
	SourceConfigurationsDeploys:  {FileConfigurations},
	SourceGatewaysHealth:         {FileGateways},
	SourceGatewaysTLS:            {FileGateways},
	SourceAlertingRules:          {FileAlertingRules},
	SourceAccessRBAC:             {FileUsers, FileAPIKeys},
	SourceAccessMFASSO:           {FileUsers},
	SourceAccessDeprovisioning:   {FileUsers},
	SourceAccessAPIKeys:          {FileAPIKeys},
	SourcePolicyComplianceStatus: {FilePolicyStatus},
	SourceComplianceScore:        {FileComplianceScore},
	SourceSpend:                  {FileWallets},
}

// FilesFor returns the evidence files that carry the source.
func FilesFor(src Source) []string { return slices.Clone(sourceFiles[src]) }

// SectionFiles returns the evidence files that support a section, each once, in the
// order of the package's file list, keeping only those in have (when have is not nil).
func SectionFiles(s Section, have []string) []string {
	var out []string
	for _, src := range s.Sources {
		for _, f := range sourceFiles[src] {
			if !slices.Contains(out, f) && (have == nil || slices.Contains(have, f)) {
				out = append(out, f)
			}
		}
	}
	slices.SortFunc(out, func(a, b string) int { return fileOrder(a) - fileOrder(b) })
	return out
}

// fileOrderList is the order evidence files are added to a bundle.
var fileOrderList = []string{FileAuditLog, FileAuthentication, FileConfigurationLog, FileEventsSummary,
	FileBlocksByRule, FileEscalations, FileEscalationSLA, FileConfigurations, FilePolicyStatus,
	FileComplianceScore, FileGateways, FileAlertingRules, FileUsers, FileAPIKeys, FileWallets}

func fileOrder(p string) int { return slices.Index(fileOrderList, p) }

// QueryInput says which evidence to read: the framework's sources for the period
// [From, To), as Principal sees the data.
type QueryInput struct {
	Framework Framework
	From, To  time.Time
	Principal *keeptrail.Principal
	// Include limits the period sections (export spec include names: audit_log,
	// events_summary, escalation_report, configuration_changelog,
	// policy_compliance_status); empty means all. Snapshots of current state the
	// framework needs are always read.
	Include []string
	// AsOf is the time the package is generated as of: the snapshot time recorded for
	// every query and the "now" of state measures (SLA due, key rotation, gateways that
	// stopped reporting), so the same data and AsOf give the same files. Zero means the
	// read transaction's clock.
	AsOf time.Time
	// AuditChain is the result of checking the audit log's hash chain, recorded beside
	// the audit log file; the assembler fills it (auditlog.Verify).
	AuditChain *ChainCheck
	// Out, when set, receives the evidence files as bundle members while they are read,
	// in the package's file order, so that no file is held whole in memory
	// (EvidenceFile.Member is set, Data nil). When nil, each file is buffered in Data.
	Out *BundleWriter
}

// EvidenceFile is one evidence file read for a package, with the query behind it.
type EvidenceFile struct {
	Path string
	// Data is the file's bytes when it was read without a bundle (QueryInput.Out nil).
	Data []byte
	// Member is the bundle member it was streamed into (QueryInput.Out set).
	Member *Member
	Rows   int64
	Query  EvidenceQuery
}

// Evidence is what a package's queries read in one snapshot: the files, the audit log's
// sequence range, and the figures the report shows.
type Evidence struct {
	Organization string
	// KeyOwner is the email of the user who owns the requesting API key, if it has one.
	KeyOwner      string
	SnapshotAt    time.Time
	SchemaVersion string
	Files         []EvidenceFile
	AuditLog      *AuditLogEvidence
	Facts         Facts
}

// File returns the evidence file at path, and whether there is one.
func (e *Evidence) File(path string) (EvidenceFile, bool) {
	for _, f := range e.Files {
		if f.Path == path {
			return f, true
		}
	}
	return EvidenceFile{}, false
}

// Paths returns the paths of the evidence files in bundle order.
func (e *Evidence) Paths() []string {
	out := make([]string, len(e.Files))
	for i, f := range e.Files {
		out[i] = f.Path
	}
	return out
}

// wanted reports which files the package needs for the framework and include list.
func wanted(in QueryInput) map[string]bool {
	incl := func(section string) bool {
		return section == "" || len(in.Include) == 0 || slices.Contains(in.Include, section)
	}
	out := map[string]bool{}
	core := []struct{ section, file string }{
		{sectionAuditLog, FileAuditLog}, {sectionEvents, FileEventsSummary}, {sectionEscalations, FileEscalations},
		{sectionConfiguration, FileConfigurations}, {sectionPolicyStatus, FilePolicyStatus},
	}
	for _, c := range core {
		if incl(c.section) {
			out[c.file] = true
		}
	}
	for _, src := range in.Framework.Sources() {
		info, _ := LookupSource(src)
		if !incl(info.Section) {
			continue
		}
		for _, f := range sourceFiles[src] {
			out[f] = true
		}
	}
	return out
}

// Collect reads every evidence file the package needs in one read transaction of st, so
// every population is counted and every row read in the same snapshot. Status and score
// come from the caller (they are computed by package compliance from the same store).
func Collect(ctx context.Context, st keeptrail.Store, in QueryInput, status, score any) (*Evidence, error) {
	var ev *Evidence
	err := st.View(ctx, func(tx keeptrail.Tx) error {
		var err error
		ev, err = CollectIn(ctx, tx, in, status, score)
		return err
	})
	return ev, err
}

// CollectIn is Collect inside tx, a read transaction the caller holds, so that the
// caller's own reads (the package's status, score and chain check) see the same snapshot.
func CollectIn(ctx context.Context, tx keeptrail.Tx, in QueryInput, status, score any) (*Evidence, error) {
	if in.Principal == nil {
		return nil, keeptrail.Errorf(keeptrail.EUNAUTHORIZED, "authentication required")
	}
	want := wanted(in)
	ev := &Evidence{}
	err := func() error {
		q, err := newQuerier(tx, in)
		if err != nil {
			return err
		}
		q.want = want
		ev.SnapshotAt = q.now
		ev.Organization = q.settings.OrganizationName
		if p := in.Principal; p.Kind == keeptrail.ActorAPIKey && p.UserID != 0 {
			u, err := tx.UserByID(p.UserID)
			if err != nil {
				return fmt.Errorf("evidence: the API key's owner: %w", err)
			}
			ev.KeyOwner = u.Email
		}
		if ev.SchemaVersion, err = tx.SchemaVersion(); err != nil {
			return err
		}
		steps := []struct {
			file string
			fn   func() (EvidenceFile, error)
		}{
			{FileAuditLog, q.auditLog},
			{FileAuthentication, func() (EvidenceFile, error) {
				return q.auditSlice(FileAuthentication, "audit_log.authentication", keeptrail.CategoryAuthentication)
			}},
			{FileConfigurationLog, func() (EvidenceFile, error) {
				return q.auditSlice(FileConfigurationLog, "audit_log.configuration", keeptrail.CategoryConfiguration)
			}},
			{FileEventsSummary, q.eventsSummary},
			{FileBlocksByRule, q.blocksByRule},
			{FileEscalations, q.escalations},
			{FileEscalationSLA, q.escalationSLA},
			{FileConfigurations, q.configurations},
			{FilePolicyStatus, func() (EvidenceFile, error) { return q.jsonFile(FilePolicyStatus, "policy_compliance_status", status) }},
			{FileComplianceScore, func() (EvidenceFile, error) { return q.jsonFile(FileComplianceScore, "compliance_score", score) }},
			{FileGateways, q.gateways},
			{FileAlertingRules, q.alertingRules},
			{FileUsers, q.users},
			{FileAPIKeys, q.apiKeys},
			{FileWallets, q.wallets},
		}
		// The facts of the report need some files' rows even when the package leaves them
		// out; read them all, keep the wanted ones.
		for _, s := range steps {
			if err := ctx.Err(); err != nil {
				return err
			}
			if !want[s.file] && s.file != FileEscalationSLA {
				if s.file == FileAuditLog || s.file == FileAuthentication || s.file == FileConfigurationLog ||
					s.file == FilePolicyStatus || s.file == FileComplianceScore {
					continue
				}
			}
			f, err := s.fn()
			if err != nil {
				return fmt.Errorf("evidence: %s: %w", s.file, err)
			}
			if want[s.file] {
				ev.Files = append(ev.Files, f)
			}
		}
		ev.Facts = q.facts
		if want[FileAuditLog] {
			ev.AuditLog = q.auditEvidence(in.AuditChain)
		}
		return nil
	}()
	if err != nil {
		return nil, err
	}
	return ev, nil
}

// params encodes a query's parameters.
func params(v map[string]any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// jsonFile writes v as indented JSON with a trailing newline: one row.
func (q *querier) jsonFile(path, name string, v any) (EvidenceFile, error) {
	out, finish, err := q.open(path)
	if err != nil {
		return EvidenceFile{}, err
	}
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return EvidenceFile{}, err
	}
	f := EvidenceFile{Path: path, Rows: 1, Query: EvidenceQuery{Name: name, File: path,
		Parameters: q.baseParams(name, nil), SnapshotAt: q.now, Population: 1, RowsWritten: 1}}
	return f, finish(&f, 1)
}
