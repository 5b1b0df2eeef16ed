package evidence

import (
	"regexp"
	"strings"
)

// Report wording. Keeptrail's evidence supports a criterion; only the auditor decides
// whether a control is in place and working. Report text is built from these helpers and
// never claims more (see ClaimWords).

// Disclaimer is the statement a report and its cover page carry about what the evidence
// does and does not establish.
const Disclaimer = "Keeptrail collects and summarises evidence from the AI gateways and its own audit log. " +
	"The evidence in this package supports the criteria it is mapped to; whether each control is " +
	"designed and operating effectively is the auditor's judgement."

// SupportStatement is the sentence that opens a section of the report: "The evidence in
// this section supports CC6.1 Logical access (SOC 2)."
func SupportStatement(f Framework, s Section) string {
	return "The evidence in this section supports " + f.Heading(s) + " (" + f.Title + ")."
}

// ArtifactStatement is the mapping-table sentence for one evidence file: "audit_log.csv
// supports CC6.1, CC6.2." An artifact that supports no section gets "audit_log.csv is
// included for reference."
func ArtifactStatement(f Framework, artifact string, sectionIDs []string) string {
	if len(sectionIDs) == 0 {
		return artifact + " is included for reference."
	}
	refs := make([]string, len(sectionIDs))
	for i, id := range sectionIDs {
		refs[i] = f.IDPrefix + id
	}
	return artifact + " supports " + strings.Join(refs, ", ") + "."
}

// claimPattern matches words that would say the evidence achieves a criterion rather
// than supports it: satisfy, meet(s)/met, fulfil, comply/compliant, certify, prove,
// guarantee, in any form and case. "meet" alone is allowed (people meet).
var claimPattern = regexp.MustCompile(`(?i)\b(satisf(y|ies|ied|ying|action|actory|actorily)|meets|met|fulfil(l)?(s|ed|ling|ment)?|compl(y|ies|ied|ying|iant)|certif(y|ies|ied|ying|ication)|prov(e|es|ed|en|ing)|guarantee(s|d)?)\b`)

// ClaimWords returns the words of text that claim more than support, in order of
// appearance, or nil. Built-in texts contain none (tested), and templates are refused
// when a title, description or auditor focus contains one.
func ClaimWords(text string) []string {
	return claimPattern.FindAllString(text, -1)
}
