package evidence

import (
	"bytes"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/keeptrail/keeptrail"
)

// OSCALVersion is the OSCAL release the assessment results conform to.
const OSCALVersion = "1.0.6"

// OSCALNamespace qualifies the names of Keeptrail's own OSCAL properties.
const OSCALNamespace = "https://github.com/keeptrail/keeptrail/ns/oscal"

// OSCALInput is what oscal/assessment-results.json is generated from; the assembler fills
// it from the framework, the period and the bundle's evidence files.
type OSCALInput struct {
	Organization string
	Framework    ManifestFramework
	Period       AuditPeriod
	GeneratedAt  time.Time // metadata.last-modified, and when evidence was collected unless given
	Software     Software
	// Version is the document's metadata.version; empty means Software.Version.
	Version string
	// AssessmentPlanHref is import-ap's href; empty means a back-matter resource that
	// says the framework's definition stands in for an assessment plan.
	AssessmentPlanHref string
	// Files are the bundle's evidence files (BundleWriter.Members); every evidence path
	// must be one of them.
	Files    []Member
	Criteria []OSCALCriterion
}

// OSCALCriterion is one criterion of the framework (a section), which becomes one
// finding backed by one observation per evidence file.
type OSCALCriterion struct {
	ID          string // as the framework writes it: "CC6.1", "164.312(b)"
	Heading     string // optional display form, e.g. "§164.312(b)"; defaults to ID
	Title       string // "Logical access"
	Description string
	// ControlID is the OSCAL control id (an XML NCName); empty derives it from ID (see
	// OSCALControlID).
	ControlID string
	// Finding is the finding's statement; it must say that the evidence supports the
	// criterion and never that it satisfies it. Empty gives "The evidence in this package
	// supports <heading> <title> for the audit period."
	Finding string
	// Exceptions are the notable items the evidence shows for the auditor to evaluate
	// (SLA breaches, configuration versions deployed without passing validation, ...),
	// one line each. See GenerateOSCAL for how they set the finding's state.
	Exceptions []string
	Evidence   []OSCALEvidence
}

// OSCALEvidence is an evidence file that supports a criterion.
type OSCALEvidence struct {
	Path        string    // the file's path in the bundle
	Description string    // what the file shows for this criterion; empty gives a generic one
	CollectedAt time.Time // the snapshot the file was read from; zero means GeneratedAt
}

// AddOSCAL generates the assessment results from in and adds them to the bundle at
// OSCALPath. When in.Files is empty it uses the members added so far.
func (b *BundleWriter) AddOSCAL(in OSCALInput) (Member, error) {
	if len(in.Files) == 0 {
		in.Files = b.Members()
	}
	data, err := GenerateOSCAL(in)
	if err != nil {
		return Member{}, err
	}
	return b.Add(OSCALPath, bytes.NewReader(data))
}

// GenerateOSCAL returns an OSCAL 1.0.6 assessment-results document for the package: one
// result for the audit period, one finding per criterion targeting its control
// objective, one observation per (criterion, evidence file) whose relevant-evidence
// points at the file in the bundle (a reference relative to oscal/, with the file's
// SHA-256 and bundle path as properties) and a back-matter resource per file carrying
// its SHA-256 as an OSCAL hash. UUIDs are version 5, derived from the organization,
// framework, period and names, so the same input gives the same bytes.
//
// OSCAL requires a finding's state to be "satisfied" or "not-satisfied". Keeptrail
// records its automated evidence, not an auditor's conclusion: the state is
// "not-satisfied" when the criterion has exceptions for the auditor to evaluate and
// "satisfied" otherwise, and the state's remarks say that it reflects automated checks
// only. Every text Keeptrail writes says the evidence supports a criterion.
//
// A bad input is EINVALID naming each bad field.
func GenerateOSCAL(in OSCALInput) ([]byte, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	doc := newOSCALBuilder(in).document()
	return encodeJSON(doc)
}

// OSCALControlID derives an OSCAL control id from a criterion's id, in the style of
// NIST's catalogs: lower case, parentheses become dots ("164.312(a)(1)" gives
// "164.312.a.1"), other characters that an NCName cannot hold become '-', and an id that
// would not start with a letter is prefixed with the framework's name and '-'
// ("hipaa-164.312.a.1"). "CC6.1" gives "cc6.1".
func OSCALControlID(framework, id string) string {
	tok := ncName(id)
	if tok == "" || !startsNCName(tok) {
		prefix := ncName(framework)
		if prefix == "" || !startsNCName(prefix) {
			prefix = "_" + prefix
		}
		if tok == "" {
			return prefix
		}
		return prefix + "-" + tok
	}
	return tok
}

func (in OSCALInput) validate() error {
	var v keeptrail.Validation
	oneLine(&v, "organization", in.Organization)
	oneLine(&v, "framework.name", in.Framework.Name)
	oneLine(&v, "framework.title", in.Framework.Title)
	in.Period.validate(&v)
	if in.Period.TimeZone != "" {
		oneLine(&v, "period.time_zone", in.Period.TimeZone)
	}
	if in.GeneratedAt.IsZero() {
		v.Add("generated_at", "is required")
	}
	oneLine(&v, "software.name", in.Software.Name)
	oneLine(&v, "software.version", in.Software.Version)
	if in.Version != "" {
		oneLine(&v, "version", in.Version)
	}
	files := make(map[string]bool, len(in.Files))
	for _, f := range in.Files {
		files[f.Path] = true
	}
	if len(in.Criteria) == 0 {
		v.Add("criteria", "must list at least one criterion")
	}
	ids, criteria := map[string]string{}, map[string]bool{}
	for i, c := range in.Criteria {
		field := fmt.Sprintf("criteria[%d]", i)
		oneLine(&v, field+".id", c.ID)
		if criteria[c.ID] {
			v.Add(field+".id", "%s is listed twice", c.ID)
		}
		criteria[c.ID] = true
		if c.Title == "" {
			v.Add(field+".title", "is required")
		}
		cid := c.controlID(in.Framework.Name)
		if !validNCName(cid) {
			v.Add(field+".control_id", "%q is not an NCName (a letter or '_', then letters, digits, '.', '-' or '_')", cid)
		} else if prev, dup := ids[cid]; dup {
			v.Add(field+".control_id", "%s is also the control id of %s", cid, prev)
		}
		ids[cid] = c.ID
		checkSupportWording(&v, field+".finding", c.Finding, c.Finding != "")
		checkSupportWording(&v, field+".description", c.Description, false)
		for j, e := range c.Exceptions {
			if strings.TrimSpace(e) == "" || strings.ContainsAny(e, "\r\n") {
				v.Add(fmt.Sprintf("%s.exceptions[%d]", field, j), "must be one line of text")
			}
		}
		if len(c.Evidence) == 0 {
			v.Add(field+".evidence", "must name at least one evidence file")
		}
		cited := map[string]bool{}
		for j, e := range c.Evidence {
			ef := fmt.Sprintf("%s.evidence[%d]", field, j)
			switch {
			case !files[e.Path]:
				v.Add(ef+".path", "%q is not among the bundle's files", e.Path)
			case cited[e.Path]:
				v.Add(ef+".path", "%s is cited twice for %s", e.Path, c.ID)
			}
			cited[e.Path] = true
			checkSupportWording(&v, ef+".description", e.Description, false)
		}
	}
	return v.Err()
}

// oneLine requires a value that OSCAL's string type accepts: one line, not empty, without
// white space at either end.
func oneLine(v *keeptrail.Validation, field, s string) {
	switch {
	case s == "":
		v.Add(field, "is required")
	case strings.ContainsAny(s, "\r\n") || strings.TrimSpace(s) != s:
		v.Add(field, "must be one line without spaces at either end")
	}
}

// checkSupportWording refuses text that says the evidence satisfies a criterion and, when
// mustSupport, text that does not say it supports it.
func checkSupportWording(v *keeptrail.Validation, field, text string, mustSupport bool) {
	lower := strings.ToLower(text)
	if strings.Contains(lower, "satisf") {
		v.Add(field, "must say the evidence supports the criterion, not that it satisfies it")
	} else if mustSupport && !strings.Contains(lower, "support") {
		v.Add(field, "must say that the evidence supports the criterion")
	}
}

func (c OSCALCriterion) controlID(framework string) string {
	if c.ControlID != "" {
		return c.ControlID
	}
	return OSCALControlID(framework, c.ID)
}

func (c OSCALCriterion) heading() string {
	if c.Heading != "" {
		return c.Heading
	}
	return c.ID
}

// oscalTime formats a time as OSCAL's date-time with time zone: UTC, microseconds at
// most, trailing zeros dropped.
func oscalTime(t time.Time) string {
	return keeptrail.TruncTime(t).Format("2006-01-02T15:04:05.999999Z07:00")
}

// periodText is "2025-01-01 to 2025-03-31 (UTC)" for a half-open period, naming the last
// day that belongs to it.
func periodText(p AuditPeriod) string {
	end := p.End.UTC()
	if !p.EndInclusive && end.Equal(end.Truncate(24*time.Hour)) {
		end = end.Add(-24 * time.Hour)
	}
	return p.Start.UTC().Format("2006-01-02") + " to " + end.Format("2006-01-02") + " (" + p.TimeZone + ")"
}

// evidenceHref is a bundle path as a URI reference relative to oscal/assessment-results.json.
func evidenceHref(p string) string {
	rel := strings.Repeat("../", strings.Count(path.Dir(OSCALPath), "/")+1)
	if strings.HasPrefix(p, path.Dir(OSCALPath)+"/") {
		rel, p = "", strings.TrimPrefix(p, path.Dir(OSCALPath)+"/")
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = escapePathSegment(s)
	}
	return rel + strings.Join(segs, "/")
}

// escapePathSegment percent-encodes what a URI path segment cannot hold.
func escapePathSegment(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("-._~!$&'()*+,;=@", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(c)|0x100, 16)[1:]))
	}
	return b.String()
}
