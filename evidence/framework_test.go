package evidence_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/evidence"
	"github.com/keeptrail/keeptrail/export"
)

func sectionIDs(f evidence.Framework) []string {
	var ids []string
	for _, s := range f.Sections {
		ids = append(ids, s.ID)
	}
	return ids
}

func TestBuiltInFrameworks(t *testing.T) {
	fs := evidence.BuiltIn()
	if len(fs) != 2 || fs[0].Name != "soc2" || fs[1].Name != "hipaa" {
		t.Fatalf("built-in frameworks: %v", fs)
	}
	if got, want := sectionIDs(fs[0]), []string{"CC6.1", "CC6.2", "CC7.1", "CC7.2", "CC7.3", "CC7.4", "CC8.1"}; !slices.Equal(got, want) {
		t.Errorf("SOC 2 sections %v, want %v", got, want)
	}
	if got, want := sectionIDs(fs[1]), []string{"164.312(a)(1)", "164.312(b)", "164.312(c)(1)", "164.312(e)(1)"}; !slices.Equal(got, want) {
		t.Errorf("HIPAA sections %v, want %v", got, want)
	}
	for _, f := range fs {
		if !f.BuiltIn || f.Version != 1 || f.Title == "" || f.Description == "" {
			t.Errorf("%s: built_in %v version %d title %q", f.Name, f.BuiltIn, f.Version, f.Title)
		}
		for _, s := range f.Sections {
			if s.Title == "" || s.Description == "" || s.AuditorFocus == "" || len(s.Sources) == 0 {
				t.Errorf("%s %s: a text or the sources are missing", f.Name, s.ID)
			}
			for _, src := range s.Sources {
				if !src.Valid() {
					t.Errorf("%s %s: unknown source %q", f.Name, s.ID, src)
				}
			}
		}
		// Built-ins are checked like templates, apart from their reserved names.
		c := f.Clone()
		c.Name, c.BuiltIn = "copy-of-"+f.Name, false
		if err := evidence.ValidateTemplate(c); err != nil {
			t.Errorf("%s as a template: %v", f.Name, err)
		}
	}
}

// TestBuiltInEvidenceFromSpec checks that each criterion draws on the evidence the
// product specification names for it.
func TestBuiltInEvidenceFromSpec(t *testing.T) {
	want := map[string][]evidence.Source{
		// Audit log of user authentication, role assignments, and access key management.
		"soc2 CC6.1": {"audit_log.authentication", "audit_log.authorization", "access.api_keys"},
		// SCIM deprovisioning events, session revocations.
		"soc2 CC6.2": {"access.deprovisioning", "audit_log.authentication"},
		// Gateway health metrics, error rate trends, alerting rule configurations.
		"soc2 CC7.1": {"gateways.health", "alerting_rules"},
		// Escalation history, SLA compliance metrics, resolution actions.
		"soc2 CC7.2": {"escalations.history", "escalations.sla", "audit_log.escalation"},
		"soc2 CC7.3": {"escalations.history", "escalations.sla"},
		"soc2 CC7.4": {"escalations.history", "escalations.sla", "audit_log.escalation"},
		// Configuration version history, validation evidence, deployment records.
		"soc2 CC8.1": {"configurations.changelog", "configurations.validation", "configurations.deployments"},
		// RBAC configuration, SSO/MFA enrollment records.
		"hipaa 164.312(a)(1)": {"access.rbac", "access.mfa_sso"},
		// Complete audit log with user actions and timestamps.
		"hipaa 164.312(b)": {"audit_log.complete"},
		// Policy enforcement records showing PHI detection and blocking.
		"hipaa 164.312(c)(1)": {"events.phi_detections", "events.blocks_by_rule"},
		// Gateway TLS configuration, encryption-at-rest status.
		"hipaa 164.312(e)(1)": {"gateways.tls"},
	}
	seen := 0
	for _, f := range evidence.BuiltIn() {
		for _, s := range f.Sections {
			key := f.Name + " " + s.ID
			w, ok := want[key]
			if !ok {
				t.Errorf("%s: no expectation", key)
				continue
			}
			seen++
			for _, src := range w {
				if !slices.Contains(s.Sources, src) {
					t.Errorf("%s: sources %v lack %s", key, s.Sources, src)
				}
			}
		}
	}
	if seen != len(want) {
		t.Errorf("%d of %d criteria found", seen, len(want))
	}
}

func TestSourceCatalogue(t *testing.T) {
	sources := evidence.Sources()
	if len(sources) != 26 {
		t.Errorf("%d sources, want 26", len(sources))
	}
	names := map[evidence.Source]bool{}
	for _, s := range sources {
		if names[s.Name] {
			t.Errorf("%s listed twice", s.Name)
		}
		names[s.Name] = true
		if s.Title == "" || s.Reads == "" {
			t.Errorf("%s: title or reads missing", s.Name)
		}
		if s.Section != "" && !slices.Contains(export.Sections, export.Section(s.Section)) {
			t.Errorf("%s: section %q is not an export section", s.Name, s.Section)
		}
		for _, c := range s.Categories {
			if !slices.Contains(keeptrail.AuditCategories, c) {
				t.Errorf("%s: category %q is not an audit category", s.Name, c)
			}
		}
		if strings.HasPrefix(string(s.Name), "audit_log.") {
			want := strings.TrimPrefix(string(s.Name), "audit_log.")
			if want == "complete" {
				if len(s.Categories) != 0 {
					t.Errorf("%s: categories %v, want none (all)", s.Name, s.Categories)
				}
			} else if !reflect.DeepEqual(s.Categories, []string{want}) {
				t.Errorf("%s: categories %v, want [%s]", s.Name, s.Categories, want)
			}
		}
	}
	for _, n := range []evidence.Source{"audit_log.authentication", "audit_log.authorization", "audit_log.security",
		"audit_log.configuration", "audit_log.export", "audit_log.complete", "events.summary", "events.phi_detections",
		"events.blocks_by_rule", "escalations.history", "escalations.sla", "configurations.changelog",
		"configurations.validation", "gateways.health", "gateways.tls", "alerting_rules", "access.rbac",
		"access.mfa_sso", "access.deprovisioning", "access.api_keys", "policy_compliance_status", "compliance_score", "spend"} {
		if !n.Valid() {
			t.Errorf("%s is not in the catalogue", n)
		}
	}
	if evidence.Source("audit_log").Valid() || evidence.Source("").Valid() {
		t.Error("a name outside the catalogue is valid")
	}
	// Sources returns copies.
	sources[1].Categories[0] = "changed"
	if again, _ := evidence.LookupSource(sources[1].Name); again.Categories[0] == "changed" {
		t.Error("Sources shares its category slices with the catalogue")
	}
}

func TestFrameworkHelpers(t *testing.T) {
	h, _ := evidence.LookupBuiltIn("HIPAA")
	s, ok := h.Section("164.312(b)")
	if !ok {
		t.Fatal("HIPAA has no 164.312(b)")
	}
	if got := h.Heading(s); got != "§164.312(b) Audit controls" {
		t.Errorf("heading %q", got)
	}
	if got := h.SectionsUsing(evidence.SourceAuditLogComplete); !slices.Equal(got, []string{"164.312(b)", "164.312(c)(1)"}) {
		t.Errorf("sections using the complete audit log: %v", got)
	}
	want := []evidence.Source{"audit_log.complete", "audit_log.authentication", "events.blocks_by_rule",
		"events.phi_detections", "gateways.tls", "access.rbac", "access.mfa_sso", "access.deprovisioning", "access.api_keys"}
	if got := h.Sources(); !slices.Equal(got, want) {
		t.Errorf("HIPAA sources %v, want %v", got, want)
	}
	if _, ok := evidence.LookupBuiltIn("iso27001"); ok {
		t.Error("iso27001 is built in")
	}
	// Changing a copy leaves the built-in definition alone.
	soc, _ := evidence.LookupBuiltIn("soc2")
	soc.Sections[0].Sources[0] = "spend"
	again, _ := evidence.LookupBuiltIn("soc2")
	if again.Sections[0].Sources[0] != evidence.SourceAuditLogAuthentication {
		t.Error("LookupBuiltIn shares its sections")
	}
	for _, n := range []string{"soc2", "SOC2", "Hipaa"} {
		if !evidence.Reserved(n) {
			t.Errorf("%s is not reserved", n)
		}
	}
}

// TestWordingSupportsOnly scans every text a built-in framework, the source catalogue and
// the wording helpers produce for words that claim the evidence achieves a criterion.
func TestWordingSupportsOnly(t *testing.T) {
	var texts []string
	for _, f := range evidence.BuiltIn() {
		texts = append(texts, f.Title, f.Edition, f.Description)
		for _, s := range f.Sections {
			texts = append(texts, s.ID, s.Title, s.Description, s.AuditorFocus,
				evidence.SupportStatement(f, s), evidence.ArtifactStatement(f, "audit_log.csv", f.SectionsUsing(s.Sources[0])))
		}
	}
	for _, s := range evidence.Sources() {
		texts = append(texts, s.Title, s.Reads)
	}
	texts = append(texts, evidence.Disclaimer)
	for _, text := range texts {
		if w := evidence.ClaimWords(text); w != nil {
			t.Errorf("%q claims %v", text, w)
		}
	}
	if !strings.Contains(evidence.Disclaimer, "supports") {
		t.Error("the disclaimer does not say the evidence supports the criteria")
	}
}

func TestWordingHelpers(t *testing.T) {
	soc, _ := evidence.LookupBuiltIn("soc2")
	hip, _ := evidence.LookupBuiltIn("hipaa")
	tests := []struct{ got, want string }{
		{evidence.SupportStatement(soc, soc.Sections[0]), "The evidence in this section supports CC6.1 Logical access (SOC 2)."},
		{evidence.SupportStatement(hip, hip.Sections[1]), "The evidence in this section supports §164.312(b) Audit controls (HIPAA Security Rule)."},
		{evidence.ArtifactStatement(soc, "audit_log.csv", []string{"CC6.1", "CC6.2"}), "audit_log.csv supports CC6.1, CC6.2."},
		{evidence.ArtifactStatement(hip, "gateways.csv", []string{"164.312(e)(1)"}), "gateways.csv supports §164.312(e)(1)."},
		{evidence.ArtifactStatement(soc, "spend.csv", nil), "spend.csv is included for reference."},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	claims := map[string][]string{
		"This evidence satisfies CC6.1.":                              {"satisfies"},
		"The control meets the requirement":                           {"meets"},
		"Requirement met; fully Compliant":                            {"met", "Compliant"},
		"proves it, guaranteed, certified, fulfilled":                 {"proves", "guaranteed", "certified", "fulfilled"},
		"We meet the auditor; compliance score; metrics; improvement": nil,
	}
	for text, want := range claims {
		if got := evidence.ClaimWords(text); !slices.Equal(got, want) {
			t.Errorf("ClaimWords(%q) = %v, want %v", text, got, want)
		}
	}
}

func ExampleArtifactStatement() {
	soc, _ := evidence.LookupBuiltIn("soc2")
	fmt.Println(evidence.ArtifactStatement(soc, "escalations.csv", soc.SectionsUsing(evidence.SourceEscalationsSLA)))
	// Output: escalations.csv supports CC7.2, CC7.3, CC7.4.
}
