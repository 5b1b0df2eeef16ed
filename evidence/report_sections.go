package evidence

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/chart"
)

// ReportCharts returns the charts of a package's report, from its facts: decision events
// per day as a trend line, the blocked and escalated events by policy as bars, and the
// share of decision events by severity as a pie. They are package chart's shared
// definitions (DecisionsOverTime, BlocksAndEscalations, SeverityShare), which the console
// draws as SVG.
func ReportCharts(f Facts) []chart.Chart {
	ints := func(v []float64) []int64 {
		out := make([]int64, len(v))
		for i, x := range v {
			out[i] = int64(x)
		}
		return out
	}
	trend := chart.DecisionsOverTime(f.Days, ints(f.Allowed), ints(f.Blocked), ints(f.Escalated))
	var counts []chart.Count
	for _, c := range f.ByPolicy {
		if c.Blocked+c.Escalated > 0 {
			counts = append(counts, c)
		}
	}
	bars := chart.BlocksAndEscalations("policy", counts)
	pie := chart.SeverityShare("Decision events by severity", f.BySeverity)
	return []chart.Chart{trend, bars, pie}
}

// reportChartSize is the size charts are drawn at; the report places them at the full
// text width.
var reportChartSize = chart.Size{Width: 640, Height: 300}

func (r *report) overview() error {
	r.f.AddPage()
	r.h1("Overview of the audit period")
	fa := r.in.Evidence.Facts
	r.para(fmt.Sprintf("%s decision events were recorded in the period: %s blocked and %s escalated. "+
		"%s escalations were opened, %s of them resolved within their SLA and %s past it or still open past it. "+
		"The audit log holds %s entries for the period.",
		num(fa.Requests), num(fa.BlockedTotal), num(fa.EscalatedTotal), num(fa.SLA.Opened), num(fa.SLA.WithinSLA),
		num(fa.SLA.Breached), num(fa.AuditEntries)))
	for i, c := range ReportCharts(fa) {
		chartMu.Lock()
		// fpdf writes images ordered by pixel width only, ties in map order: give each
		// chart its own width (4 PNG pixels less each) so the PDF's bytes are reproducible.
		size := reportChartSize
		size.Width -= 2 * i
		png, err := chart.PNG(c, size)
		chartMu.Unlock()
		if err != nil {
			return fmt.Errorf("evidence: report chart %s: %w", c.Kind(), err)
		}
		r.image("chart"+strconv.Itoa(i), png, float64(size.Height)/float64(size.Width)*0.85)
	}
	return nil
}

// chartMu serialises chart rendering, which shares font state inside go-analyze/charts.
var chartMu sync.Mutex

func num(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func pct(n, of int64) string {
	if of == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(of))
}

// figures returns the key figures and notable items the source contributes to a section.
func (r *report) figures(src Source) (figures []string, notable []string) {
	fa := &r.in.Evidence.Facts
	switch src {
	case SourceAuditLogComplete:
		if a := r.in.Evidence.AuditLog; a != nil {
			figures = append(figures, fmt.Sprintf("Audit log: %s entries, sequence %d to %d; hash chain check: %s (%d entries, %d signed checkpoints).",
				num(a.Entries), a.FirstSeq, a.LastSeq, a.ChainCheck.Result, a.ChainCheck.Entries, a.ChainCheck.Checkpoints))
			for _, p := range a.ChainCheck.Problems {
				notable = append(notable, fmt.Sprintf("audit log entry %d: %s", p.Seq, p.What))
			}
		}
	case SourceAuditLogAuthentication:
		figures = append(figures, fmt.Sprintf("Authentication audit entries: %s.", num(fa.AuditByCategory[keeptrail.CategoryAuthentication])))
		notable = append(notable, fa.FailedLoginSpikes()...)
	case SourceAuditLogAuthorization, SourceAuditLogSecurity, SourceAuditLogConfiguration, SourceAuditLogEscalation,
		SourceAuditLogFinancial, SourceAuditLogExport:
		info, _ := LookupSource(src)
		cat := info.Categories[0]
		figures = append(figures, fmt.Sprintf("Audit entries of category %s: %s.", cat, num(fa.AuditByCategory[cat])))
	case SourceEventsSummary, SourceEventsPHIDetections:
		figures = append(figures, fmt.Sprintf("Decision events: %s; blocked %s (%s), escalated %s (%s).", num(fa.Requests),
			num(fa.BlockedTotal), pct(fa.BlockedTotal, fa.Requests), num(fa.EscalatedTotal), pct(fa.EscalatedTotal, fa.Requests)))
	case SourceEventsBlocksByRule:
		figures = append(figures, fmt.Sprintf("Policy rules that matched decision events: %d.", len(fa.RuleMatches)))
	case SourceEscalationsHistory, SourceEscalationsSLA:
		figures = append(figures, fmt.Sprintf("Escalations opened: %s; resolved %s; within SLA %s; past SLA %s; not yet due %s.",
			num(fa.SLA.Opened), num(fa.SLA.Resolved), num(fa.SLA.WithinSLA), num(fa.SLA.Breached), num(fa.SLA.Pending)))
		notable = append(notable, fa.SLA.Breaches...)
	case SourceConfigurationsChanges, SourceConfigurationsValid, SourceConfigurationsDeploys:
		figures = append(figures, fmt.Sprintf("Configuration versions created: %s; deployments: %s; deployments of versions that did not pass validation: %d.",
			num(fa.VersionsCreated), num(fa.Deployments), len(fa.DeployedUnvalidated)))
		notable = append(notable, fa.DeployedUnvalidated...)
	case SourceGatewaysHealth, SourceGatewaysTLS:
		figures = append(figures, fmt.Sprintf("Gateways: %d (%d active); stopped reporting: %d.", fa.Gateways, fa.ActiveGateways, len(fa.StoppedReporting)))
		for _, g := range fa.StoppedReporting {
			notable = append(notable, "gateway stopped reporting: "+g)
		}
	case SourceAccessRBAC, SourceAccessMFASSO, SourceAccessDeprovisioning:
		figures = append(figures, fmt.Sprintf("Active users: %d; without MFA: %d.", fa.ActiveUsers, len(fa.UsersWithoutMFA)))
		for _, u := range fa.UsersWithoutMFA {
			notable = append(notable, "user without MFA: "+u)
		}
	case SourceAccessAPIKeys:
		figures = append(figures, "API keys with owner, role, rotation and revocation times: see "+FileAPIKeys+".")
	case SourceComplianceScore:
		if s := r.in.Score; s != nil {
			figures = append(figures, fmt.Sprintf("Compliance score: %.1f of 100.", s.Score))
		}
	case SourcePolicyComplianceStatus:
		figures = append(figures, "Policy coverage, enforcement and violation rates and configuration drift: see "+FilePolicyStatus+".")
	case SourceAlertingRules:
		figures = append(figures, "Alerting rules in force: see "+FileAlertingRules+".")
	case SourceSpend:
		figures = append(figures, "Wallet budgets: see "+FileWallets+".")
	}
	return figures, notable
}

func (r *report) section(s Section) {
	fw := r.in.Framework
	r.f.AddPage()
	r.h1(fw.Heading(s))
	r.para(SupportStatement(fw, s))
	if s.Description != "" {
		r.para(s.Description)
	}
	if s.AuditorFocus != "" {
		r.para("What an auditor looks for: " + s.AuditorFocus)
	}
	r.h2("Evidence files")
	r.bullets(SectionFiles(s, r.in.Evidence.Paths()), 0)
	var figures, notable []string
	for _, src := range s.Sources {
		fg, nt := r.figures(src)
		for _, x := range fg {
			if !slices.Contains(figures, x) {
				figures = append(figures, x)
			}
		}
		for _, x := range nt {
			if !slices.Contains(notable, x) {
				notable = append(notable, x)
			}
		}
	}
	r.h2("Key figures")
	r.bullets(figures, 0)
	r.h2("Notable items")
	if len(notable) == 0 {
		r.para("None found in the evidence for this period.")
		return
	}
	more := 0
	if len(notable) > MaxNotable {
		more = len(notable) - MaxNotable
		notable = notable[:MaxNotable]
	}
	r.bullets(notable, more)
}

func (r *report) appendix() {
	r.f.AddPage()
	r.h1("Appendix: evidence files")
	r.para("Every file of the package except this report, manifest.json and manifest.sig, with its size, rows and SHA-256. " +
		"manifest.json lists the same and the report's own hash; manifest.sig signs manifest.json.")
	rows := [][]string{{"File", "Rows", "Bytes", "SHA-256"}}
	for _, m := range r.in.Files {
		rowsText := "-"
		if m.Rows != nil {
			rowsText = num(*m.Rows)
		}
		rows = append(rows, []string{m.Path, rowsText, num(m.Size), m.SHA256})
	}
	r.table([]float64{58, 16, 20, 86}, rows)
}

func sortStrings(s []string) { slices.Sort(s) }
