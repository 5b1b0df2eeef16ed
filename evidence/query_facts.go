package evidence

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/chart"
)

// FailedLoginSpike is the number of failed sign-ins in one day from which the report
// lists that day as a spike.
const FailedLoginSpike = 5

// MaxNotable bounds each list of notable items the report prints; the evidence files
// hold them all.
const MaxNotable = 25

// Facts are the figures of a package's report, gathered while its evidence files are
// read, so they agree with the files row for row.
type Facts struct {
	// Days are the UTC days of the period; Allowed, Blocked and Escalated count the
	// decision events of each.
	Days                         []time.Time
	Allowed, Blocked, Escalated  []float64
	Requests                     int64
	BlockedTotal, EscalatedTotal int64
	BySeverity                   map[keeptrail.Severity]int64
	RuleMatches                  map[string]int64
	// ByPolicy counts, by policy label (NoPolicy for rules no policy holds), the blocked
	// and escalated decision events that matched its rules (an event matching two rules
	// of one policy counts for each).
	ByPolicy map[string]chart.Count

	AuditEntries      int64
	AuditByCategory   map[string]int64
	FailedLoginsByDay map[string]int64

	SLA SLAFacts

	VersionsCreated, Deployments int64
	// DeployedUnvalidated lists deployments of configuration versions that did not pass
	// validation.
	DeployedUnvalidated []string

	Gateways, ActiveGateways int
	StoppedReporting         []string
	ActiveUsers              int
	UsersWithoutMFA          []string
}

// SLAFacts are the escalation figures of the period.
type SLAFacts struct {
	Opened, Resolved, WithinSLA, Breached, Pending int64
	// Breaches lists escalations resolved past their SLA, or still open past it.
	Breaches   []string
	bySeverity map[keeptrail.Severity]*slaCount
}

type slaCount struct {
	Opened    int64 `json:"opened"`
	Resolved  int64 `json:"resolved"`
	WithinSLA int64 `json:"within_sla"`
	Breached  int64 `json:"breached"`
	Pending   int64 `json:"pending"`
	// resolution minutes, for the median
	minutes []float64
}

func (f *Facts) init(from, to time.Time) {
	for d := from.UTC().Truncate(24 * time.Hour); d.Before(to); d = d.Add(24 * time.Hour) {
		f.Days = append(f.Days, d)
	}
	f.Allowed = make([]float64, len(f.Days))
	f.Blocked = make([]float64, len(f.Days))
	f.Escalated = make([]float64, len(f.Days))
	f.BySeverity = map[keeptrail.Severity]int64{}
	f.RuleMatches = map[string]int64{}
	f.ByPolicy = map[string]chart.Count{}
	f.AuditByCategory = map[string]int64{}
	f.FailedLoginsByDay = map[string]int64{}
	f.SLA.bySeverity = map[keeptrail.Severity]*slaCount{}
}

func (f *Facts) dayIndex(t time.Time) int {
	if len(f.Days) == 0 {
		return -1
	}
	i := int(t.Sub(f.Days[0]) / (24 * time.Hour))
	if i < 0 || i >= len(f.Days) {
		return -1
	}
	return i
}

func (f *Facts) events(day time.Time, c keeptrail.EventCount) {
	f.Requests += c.Requests
	f.BlockedTotal += c.Blocked
	f.EscalatedTotal += c.Escalated
	f.BySeverity[c.Severity] += c.Requests
	if i := f.dayIndex(day); i >= 0 {
		f.Allowed[i] += float64(c.Requests - c.Blocked - c.Escalated)
		f.Blocked[i] += float64(c.Blocked)
		f.Escalated[i] += float64(c.Escalated)
	}
}

func (f *Facts) rule(rule, policy string, v ruleTally) {
	f.RuleMatches[rule] += v.matches
	c := f.ByPolicy[policy]
	c.Name = policy
	c.Blocked += v.blocked
	c.Escalated += v.escalated
	f.ByPolicy[policy] = c
}

func (f *Facts) audit(e *keeptrail.AuditEntry) {
	f.AuditEntries++
	f.AuditByCategory[e.Category]++
	if e.Action == "auth.login_failed" || e.Action == "auth.api_key_rejected" {
		f.FailedLoginsByDay[e.Time.UTC().Format(time.DateOnly)]++
	}
}

// FailedLoginSpikes returns the days with at least FailedLoginSpike failed sign-ins or
// rejected API keys, in order, as "2025-01-02: 7 failed sign-ins".
func (f *Facts) FailedLoginSpikes() []string {
	var days []string
	for d, n := range f.FailedLoginsByDay {
		if n >= FailedLoginSpike {
			days = append(days, d)
		}
	}
	slices.Sort(days)
	out := make([]string, len(days))
	for i, d := range days {
		out[i] = fmt.Sprintf("%s: %d failed sign-ins or rejected API keys", d, f.FailedLoginsByDay[d])
	}
	return out
}

// escalation classifies one escalation against its SLA ("within", "breached" or
// "pending") and counts it.
func (f *Facts) escalation(e *keeptrail.Escalation, now time.Time, team, gateway string) string {
	c := f.SLA.bySeverity[e.Severity]
	if c == nil {
		c = &slaCount{}
		f.SLA.bySeverity[e.Severity] = c
	}
	f.SLA.Opened++
	c.Opened++
	var state string
	switch {
	case e.ResolvedAt != nil && !e.ResolvedAt.After(e.SLADueAt):
		state = "within"
	case e.ResolvedAt != nil, now.After(e.SLADueAt):
		state = "breached"
	default:
		state = "pending"
	}
	if e.ResolvedAt != nil {
		f.SLA.Resolved++
		c.Resolved++
		c.minutes = append(c.minutes, e.ResolvedAt.Sub(e.OpenedAt).Minutes())
	}
	switch state {
	case "within":
		f.SLA.WithinSLA++
		c.WithinSLA++
	case "breached":
		f.SLA.Breached++
		c.Breached++
		how := "still " + string(e.Status) + " past its SLA"
		if e.ResolvedAt != nil {
			how = fmt.Sprintf("resolved %s after its SLA", e.ResolvedAt.Sub(e.SLADueAt).Round(time.Minute))
		}
		f.SLA.Breaches = append(f.SLA.Breaches, fmt.Sprintf("escalation %d (%s, %s/%s) opened %s, %s",
			e.ID, e.Severity, team, gateway, e.OpenedAt.UTC().Format("2006-01-02 15:04"), how))
	default:
		f.SLA.Pending++
		c.Pending++
	}
	return state
}

// slaReport is escalation_sla.json.
type slaReport struct {
	Opened    int64         `json:"opened"`
	Resolved  int64         `json:"resolved"`
	WithinSLA int64         `json:"within_sla"`
	Breached  int64         `json:"breached"`
	Pending   int64         `json:"pending"`
	Severity  []slaSeverity `json:"by_severity"`
	Breaches  []string      `json:"breaches"`
	Rule      string        `json:"rule"`
}

type slaSeverity struct {
	Severity keeptrail.Severity `json:"severity"`
	slaCount
	MedianResolutionMinutes *float64 `json:"median_resolution_minutes"`
}

func (s *SLAFacts) report() slaReport {
	r := slaReport{Opened: s.Opened, Resolved: s.Resolved, WithinSLA: s.WithinSLA, Breached: s.Breached, Pending: s.Pending,
		Breaches: slices.Clone(s.Breaches),
		Rule: "within: resolved by sla_due_at; breached: resolved after sla_due_at, or unresolved at the snapshot " +
			"past sla_due_at; pending: unresolved and not yet due"}
	if r.Breaches == nil {
		r.Breaches = []string{}
	}
	for _, sev := range []keeptrail.Severity{keeptrail.SeverityCritical, keeptrail.SeverityHigh, keeptrail.SeverityMedium, keeptrail.SeverityLow} {
		c := s.bySeverity[sev]
		if c == nil {
			continue
		}
		row := slaSeverity{Severity: sev, slaCount: *c}
		if len(c.minutes) > 0 {
			m := slices.Clone(c.minutes)
			slices.Sort(m)
			med := m[len(m)/2]
			if len(m)%2 == 0 {
				med = (m[len(m)/2-1] + m[len(m)/2]) / 2
			}
			med = float64(int64(med*10+0.5)) / 10
			row.MedianResolutionMinutes = &med
		}
		r.Severity = append(r.Severity, row)
	}
	if r.Severity == nil {
		r.Severity = []slaSeverity{}
	}
	return r
}

func (f *Facts) configuration(c *keeptrail.ConfigurationChange, gateway string) {
	switch c.Change {
	case keeptrail.ChangeVersionCreated:
		f.VersionsCreated++
	case keeptrail.ChangeDeployed:
		f.Deployments++
		if c.ValidationPassed != nil && !*c.ValidationPassed {
			f.DeployedUnvalidated = append(f.DeployedUnvalidated, fmt.Sprintf("version %d deployed to %s at %s by %s without passing validation",
				c.Version, gateway, c.Time.UTC().Format("2006-01-02 15:04"), orDash(c.DeployedBy)))
		}
	}
}

func (f *Facts) gateway(g keeptrail.Gateway, stopped bool) {
	f.Gateways++
	if g.Active {
		f.ActiveGateways++
	}
	if stopped {
		last := "never"
		if g.LastHeartbeatAt != nil {
			last = g.LastHeartbeatAt.UTC().Format("2006-01-02 15:04")
		}
		f.StoppedReporting = append(f.StoppedReporting, fmt.Sprintf("%s: last heartbeat %s", g.Name, last))
	}
}

func (f *Facts) user(u keeptrail.User) {
	if !u.Active {
		return
	}
	f.ActiveUsers++
	if !u.MFAEnrolled {
		who := u.Email
		if u.Name != "" && u.Name != u.Email {
			who = u.Name + " <" + u.Email + ">"
		}
		f.UsersWithoutMFA = append(f.UsersWithoutMFA, fmt.Sprintf("%s (%s)", who, u.Role))
	}
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}
