package evidence

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/safecsv"
)

// querier reads the evidence files of one package inside one read transaction and
// gathers the report's figures (facts) on the way.
type querier struct {
	tx       keeptrail.Tx
	in       QueryInput
	now      time.Time
	scope    keeptrail.TeamScope
	settings keeptrail.Settings
	teams    map[int64]string
	gws      []keeptrail.Gateway
	gwName   map[int64]string
	facts    Facts
	want     map[string]bool // the files the package keeps; the others are read for their facts only

	firstSeq, lastSeq, auditRows int64
}

func newQuerier(tx keeptrail.Tx, in QueryInput) (*querier, error) {
	now := in.AsOf
	if now.IsZero() {
		now = tx.Now()
	}
	q := &querier{tx: tx, in: in, now: now, scope: in.Principal.Scope(), teams: map[int64]string{}, gwName: map[int64]string{}}
	var err error
	if q.settings, err = tx.Settings(); err != nil {
		return nil, err
	}
	teams, err := tx.Teams(q.scope)
	if err != nil {
		return nil, err
	}
	for _, t := range teams {
		q.teams[t.ID] = t.Name
	}
	if q.gws, err = tx.Gateways(q.scope); err != nil {
		return nil, err
	}
	slices.SortFunc(q.gws, func(a, b keeptrail.Gateway) int { return cmp.Compare(a.Name, b.Name) })
	for _, g := range q.gws {
		q.gwName[g.ID] = g.Name
	}
	q.facts.init(in.From, in.To)
	return q, nil
}

// baseParams are the parameters every query records: the period, the requester's scope
// and the query's own filters.
func (q *querier) baseParams(name string, extra map[string]any) json.RawMessage {
	teams := []string{"<all>"}
	if !q.scope.Unrestricted() {
		teams = []string{}
		for _, id := range q.scope.TeamIDs {
			teams = append(teams, q.teams[id])
		}
		slices.Sort(teams)
	}
	p := map[string]any{"query": name, "period": map[string]any{"start": q.in.From, "end": q.in.To,
		"start_inclusive": true, "end_inclusive": false}, "teams": teams, "requested_by": q.in.Principal.Name}
	for k, v := range extra {
		p[k] = v
	}
	return params(p)
}

func (q *querier) filter() keeptrail.ExportFilter {
	return keeptrail.ExportFilter{Start: q.in.From, End: q.in.To, Scope: q.scope}
}

// open starts the evidence file at path: a member streamed into the bundle (QueryInput.Out),
// a buffer when there is no bundle, or nowhere when the package does not keep the file.
// finish ends it with its data rows and sets the file's Member or Data.
func (q *querier) open(path string) (w io.Writer, finish func(f *EvidenceFile, rows int64) error, err error) {
	switch {
	case !q.want[path]:
		return io.Discard, func(*EvidenceFile, int64) error { return nil }, nil
	case q.in.Out != nil:
		mw, err := q.in.Out.Create(path)
		if err != nil {
			return nil, nil, err
		}
		return mw, func(f *EvidenceFile, rows int64) error {
			m, err := mw.Close(rows)
			f.Member = &m
			return err
		}, nil
	}
	buf := &bytes.Buffer{}
	return buf, func(f *EvidenceFile, _ int64) error {
		f.Data = buf.Bytes()
		return nil
	}, nil
}

// csvFile runs fill on a safecsv writer into the file at path and returns the file.
func (q *querier) csvFile(path, name string, population int64, extra map[string]any, header []string,
	fill func(w *safecsv.Writer) error) (EvidenceFile, error) {
	out, finish, err := q.open(path)
	if err != nil {
		return EvidenceFile{}, err
	}
	w := safecsv.NewWriter(out)
	if err := w.Header(header...); err != nil {
		return EvidenceFile{}, err
	}
	if err := fill(w); err != nil {
		return EvidenceFile{}, err
	}
	if err := w.Flush(); err != nil {
		return EvidenceFile{}, err
	}
	if population < 0 {
		population = w.Rows()
	}
	f := EvidenceFile{Path: path, Rows: w.Rows(), Query: EvidenceQuery{Name: name, File: path,
		Parameters: q.baseParams(name, extra), SnapshotAt: q.now, Population: population, RowsWritten: w.Rows()}}
	return f, finish(&f, w.Rows())
}

var auditHeader = []string{"seq", "time", "actor_kind", "actor", "action", "category", "team", "target",
	"severity", "source_ip", "outcome", "details", "prev_hash", "hash"}

func (q *querier) auditRow(w *safecsv.Writer, e *keeptrail.AuditEntry) error {
	w.Int(e.Seq)
	w.Time(e.Time)
	w.Text(string(e.ActorKind))
	w.Text(e.Actor)
	w.Text(e.Action)
	w.Text(e.Category)
	w.Text(e.Team)
	w.Text(e.Target)
	w.Text(string(e.Severity))
	w.Text(e.SourceIP)
	w.Text(e.Outcome)
	w.Text(string(e.Details))
	w.Text(e.PrevHash)
	w.Text(e.Hash)
	return w.EndRow()
}

// auditLog writes the complete audit log of the period and records its sequence range.
func (q *querier) auditLog() (EvidenceFile, error) {
	f := q.filter()
	n, err := q.tx.CountAuditEntries(f)
	if err != nil {
		return EvidenceFile{}, err
	}
	return q.csvFile(FileAuditLog, "audit_log", n, map[string]any{"categories": "all"}, auditHeader, func(w *safecsv.Writer) error {
		return q.tx.ExportAuditEntries(f, func(e *keeptrail.AuditEntry) error {
			if q.firstSeq == 0 {
				q.firstSeq = e.Seq
			}
			q.lastSeq = e.Seq
			q.auditRows++
			q.facts.audit(e)
			return q.auditRow(w, e)
		})
	})
}

// auditSlice writes the audit entries of one category.
func (q *querier) auditSlice(path, name, category string) (EvidenceFile, error) {
	f := q.filter()
	f.Categories = []string{category}
	n, err := q.tx.CountAuditEntries(f)
	if err != nil {
		return EvidenceFile{}, err
	}
	return q.csvFile(path, name, n, map[string]any{"categories": []string{category}}, auditHeader, func(w *safecsv.Writer) error {
		return q.tx.ExportAuditEntries(f, func(e *keeptrail.AuditEntry) error { return q.auditRow(w, e) })
	})
}

// auditEvidence describes the audit log file for the manifest.
func (q *querier) auditEvidence(chain *ChainCheck) *AuditLogEvidence {
	a := &AuditLogEvidence{File: FileAuditLog, FirstSeq: q.firstSeq, LastSeq: q.lastSeq, Entries: q.auditRows}
	if chain != nil {
		a.ChainCheck = *chain
	} else {
		a.ChainCheck = ChainCheck{Result: ChainIntact, CheckedFrom: q.firstSeq, CheckedTo: q.lastSeq, Entries: q.auditRows}
	}
	return a
}

// eventsSummary counts the decision events of each day by team, gateway and severity,
// from the rollups.
func (q *querier) eventsSummary() (EvidenceFile, error) {
	var total int64
	header := []string{"day", "team", "gateway", "severity", "requests", "allowed", "blocked", "escalated", "enforced"}
	f, err := q.csvFile(FileEventsSummary, "events_summary", -1,
		map[string]any{"group_by": []string{"day", "team", "gateway", "severity"}, "source": "rollups"}, header,
		func(w *safecsv.Writer) error {
			for day := q.in.From; day.Before(q.in.To); {
				next := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, time.UTC)
				end := next
				if end.After(q.in.To) {
					end = q.in.To
				}
				counts, err := q.tx.ComplianceEventCounts(keeptrail.ComplianceFilter{From: day, To: end, Scope: q.scope})
				if err != nil {
					return err
				}
				slices.SortFunc(counts, func(a, b keeptrail.EventCount) int {
					return cmp.Or(cmp.Compare(q.teams[a.TeamID], q.teams[b.TeamID]),
						cmp.Compare(q.gwName[a.GatewayID], q.gwName[b.GatewayID]),
						cmp.Compare(severityRank(a.Severity), severityRank(b.Severity)))
				})
				for _, c := range counts {
					if c.Requests == 0 {
						continue
					}
					total += c.Requests
					q.facts.events(day, c)
					w.Text(day.Format(time.DateOnly))
					w.Text(q.teams[c.TeamID])
					w.Text(q.gwName[c.GatewayID])
					w.Text(string(c.Severity))
					w.Int(c.Requests)
					w.Int(c.Requests - c.Blocked - c.Escalated)
					w.Int(c.Blocked)
					w.Int(c.Escalated)
					w.Int(c.Enforced)
					if err := w.EndRow(); err != nil {
						return err
					}
				}
				day = next
			}
			return nil
		})
	f.Query.Population = total // decision events summarised
	return f, err
}

// blocksByRule counts the decision events of the period that matched each policy rule,
// and of those the blocked and escalated ones, with the policy each rule belongs to.
func (q *querier) blocksByRule() (EvidenceFile, error) {
	pols, err := q.tx.Policies(q.scope)
	if err != nil {
		return EvidenceFile{}, err
	}
	pm := newPolicyMap(pols, q.teams)
	counts, err := q.tx.ComplianceRuleCounts(keeptrail.ComplianceFilter{From: q.in.From, To: q.in.To, Scope: q.scope})
	if err != nil {
		return EvidenceFile{}, err
	}
	type key struct{ rule, policy, team, gateway string }
	sum := map[key]ruleTally{}
	for _, c := range counts {
		v := ruleTally{c.Matches, c.Blocked, c.Escalated}
		k := key{c.Rule, pm.policy(c.TeamID, c.Rule), q.teams[c.TeamID], q.gwName[c.GatewayID]}
		sum[k] = sum[k].plus(v)
		q.facts.rule(c.Rule, k.policy, v)
	}
	keys := make([]key, 0, len(sum))
	for k := range sum {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.rule, b.rule), cmp.Compare(a.team, b.team), cmp.Compare(a.gateway, b.gateway))
	})
	return q.csvFile(FileBlocksByRule, "blocks_by_rule", -1, map[string]any{"group_by": []string{"rule", "team", "gateway"},
		"counts": "decision events that matched the rule, and of those the blocked and the escalated ones",
		"policy": "the policy of the event's team that lists the rule (docs/compliance-packages.md)", "source": "rollups"},
		[]string{"rule", "policy", "team", "gateway", "matches", "blocked", "escalated"}, func(w *safecsv.Writer) error {
			for _, k := range keys {
				v := sum[k]
				w.Text(k.rule)
				w.Text(k.policy)
				w.Text(k.team)
				w.Text(k.gateway)
				w.Int(v.matches)
				w.Int(v.blocked)
				w.Int(v.escalated)
				if err := w.EndRow(); err != nil {
					return err
				}
			}
			return nil
		})
}

// ruleTally counts decision events that matched a rule, and those blocked and escalated.
type ruleTally struct{ matches, blocked, escalated int64 }

func (a ruleTally) plus(b ruleTally) ruleTally {
	return ruleTally{a.matches + b.matches, a.blocked + b.blocked, a.escalated + b.escalated}
}

// escalations writes the escalations opened in the period with their actions, and
// gathers SLA figures.
func (q *querier) escalations() (EvidenceFile, error) {
	f := q.filter()
	n, err := q.tx.CountEscalations(f)
	if err != nil {
		return EvidenceFile{}, err
	}
	header := []string{"id", "request_id", "team", "gateway", "severity", "opened_at", "sla_due_at", "status",
		"assignee", "resolved_at", "outcome", "sla", "actions"}
	return q.csvFile(FileEscalations, "escalation_report", n, nil, header, func(w *safecsv.Writer) error {
		return q.tx.ExportEscalations(f, func(e *keeptrail.Escalation) error {
			sla := q.facts.escalation(e, q.now, q.teams[e.TeamID], q.gwName[e.GatewayID])
			w.Int(e.ID)
			w.Text(e.RequestID)
			w.Text(q.teams[e.TeamID])
			w.Text(q.gwName[e.GatewayID])
			w.Text(string(e.Severity))
			w.Time(e.OpenedAt)
			w.Time(e.SLADueAt)
			w.Text(string(e.Status))
			w.Text(e.Assignee)
			if e.ResolvedAt != nil {
				w.Time(*e.ResolvedAt)
			} else {
				w.Null()
			}
			w.Text(e.Outcome)
			w.Text(sla)
			acts := make([]string, len(e.Actions))
			for i, a := range e.Actions {
				acts[i] = a.At.UTC().Format(time.RFC3339) + " " + a.Action + " by " + a.Actor
			}
			w.Text(strings.Join(acts, "; "))
			return w.EndRow()
		})
	})
}

// escalationSLA writes the SLA metrics of the escalations read by escalations.
func (q *querier) escalationSLA() (EvidenceFile, error) {
	f, err := q.jsonFile(FileEscalationSLA, "escalation_sla", q.facts.SLA.report())
	f.Query.Population = q.facts.SLA.Opened
	f.Query.RowsWritten = q.facts.SLA.Opened
	f.Query.Parameters = q.baseParams("escalation_sla", map[string]any{"sla_minutes": q.settings.SLAMinutes})
	return f, err
}

// configurations writes the configuration changelog of the period: versions created
// and deployments, with each version's validation result.
func (q *querier) configurations() (EvidenceFile, error) {
	f := q.filter()
	n, err := q.tx.CountConfigurationChanges(f)
	if err != nil {
		return EvidenceFile{}, err
	}
	header := []string{"time", "change", "version", "gateway", "team", "author", "change_summary",
		"validation_passed", "validation_output", "deployed_by", "source"}
	return q.csvFile(FileConfigurations, "configuration_changelog", n, nil, header, func(w *safecsv.Writer) error {
		return q.tx.ExportConfigurationChanges(f, func(c *keeptrail.ConfigurationChange) error {
			q.facts.configuration(c, q.gwName[c.GatewayID])
			w.Time(c.Time)
			w.Text(c.Change)
			w.Int(c.Version)
			w.Text(q.gwName[c.GatewayID])
			w.Text(q.teams[c.TeamID])
			w.Text(c.Author)
			w.Text(c.ChangeSummary)
			if c.ValidationPassed != nil {
				w.Bool(*c.ValidationPassed)
			} else {
				w.Null()
			}
			w.Text(c.ValidationOutput)
			w.Text(c.DeployedBy)
			w.Text(c.Source)
			return w.EndRow()
		})
	})
}

// gateways writes each gateway in scope with its health, last heartbeat and TLS.
func (q *querier) gateways() (EvidenceFile, error) {
	header := []string{"gateway", "team", "environment", "active", "healthy", "error_rate", "last_heartbeat_at",
		"running_config_version", "tls_min_version", "encryption_at_rest", "stopped_reporting"}
	cutoff := minTime(q.in.To, q.now).Add(-StoppedReportingAfter)
	return q.csvFile(FileGateways, "gateways", -1, map[string]any{"state_as_of": q.now,
		"stopped_reporting": "active gateway without a heartbeat in the 24 hours before the period end"}, header,
		func(w *safecsv.Writer) error {
			for _, g := range q.gws {
				stopped := g.Active && (g.LastHeartbeatAt == nil || g.LastHeartbeatAt.Before(cutoff))
				q.facts.gateway(g, stopped)
				w.Text(g.Name)
				w.Text(q.teams[g.TeamID])
				w.Text(g.Environment)
				w.Bool(g.Active)
				w.Bool(g.Healthy)
				w.Float(g.ErrorRate)
				if g.LastHeartbeatAt != nil {
					w.Time(*g.LastHeartbeatAt)
				} else {
					w.Null()
				}
				if g.RunningVersion != nil {
					w.Int(*g.RunningVersion)
				} else {
					w.Null()
				}
				w.Text(g.TLSMinVersion)
				w.Bool(g.EncryptionAtRest)
				w.Bool(stopped)
				if err := w.EndRow(); err != nil {
					return err
				}
			}
			return nil
		})
}

// StoppedReportingAfter is how long an active gateway may go without a heartbeat before
// the period's end (or the snapshot, if earlier) before the report lists it as having
// stopped reporting.
const StoppedReportingAfter = 24 * time.Hour

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func (q *querier) alertingRules() (EvidenceFile, error) {
	rules, err := q.tx.AlertingRules()
	if err != nil {
		return EvidenceFile{}, err
	}
	slices.SortFunc(rules, func(a, b keeptrail.AlertingRule) int { return cmp.Compare(a.ID, b.ID) })
	return q.csvFile(FileAlertingRules, "alerting_rules", -1, map[string]any{"state_as_of": q.now},
		[]string{"id", "name", "metric", "condition", "channel", "enabled", "created_at", "updated_at"},
		func(w *safecsv.Writer) error {
			for _, r := range rules {
				if err := w.Row(r.ID, r.Name, r.Metric, r.Condition, r.Channel, r.Enabled, r.CreatedAt, r.UpdatedAt); err != nil {
					return err
				}
			}
			return nil
		})
}

func (q *querier) teamNames(ids []int64) string {
	names := make([]string, 0, len(ids))
	for _, id := range ids {
		if n, ok := q.teams[id]; ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return strings.Join(names, ";")
}

func (q *querier) users() (EvidenceFile, error) {
	users, err := q.tx.Users(q.scope)
	if err != nil {
		return EvidenceFile{}, err
	}
	slices.SortFunc(users, func(a, b keeptrail.User) int { return cmp.Compare(a.Email, b.Email) })
	return q.csvFile(FileUsers, "users", -1, map[string]any{"state_as_of": q.now,
		"sso_configured": q.settings.SSOConfigured, "mfa_required": q.settings.MFARequired},
		[]string{"email", "name", "role", "teams", "active", "sso_enrolled", "mfa_enrolled", "created_at", "deactivated_at"},
		func(w *safecsv.Writer) error {
			for _, u := range users {
				q.facts.user(u)
				if err := w.Row(u.Email, u.Name, string(u.Role), q.teamNames(u.TeamIDs), u.Active, u.SSOEnrolled,
					u.MFAEnrolled, u.CreatedAt, u.DeactivatedAt); err != nil {
					return err
				}
			}
			return nil
		})
}

func (q *querier) apiKeys() (EvidenceFile, error) {
	keys, err := q.tx.APIKeys()
	if err != nil {
		return EvidenceFile{}, err
	}
	slices.SortFunc(keys, func(a, b keeptrail.APIKey) int { return cmp.Compare(a.Prefix, b.Prefix) })
	rotation := time.Duration(q.settings.KeyRotationDays) * 24 * time.Hour
	return q.csvFile(FileAPIKeys, "api_keys", -1, map[string]any{"state_as_of": q.now, "key_rotation_days": q.settings.KeyRotationDays},
		[]string{"prefix", "name", "role", "teams", "created_at", "rotated_at", "revoked_at", "last_used_at", "rotation_overdue"},
		func(w *safecsv.Writer) error {
			for _, k := range keys {
				overdue := k.RevokedAt == nil && rotation > 0 && q.now.Sub(k.RotatedAt) > rotation
				if err := w.Row(k.Prefix, k.Name, string(k.Role), q.teamNames(k.TeamIDs), k.CreatedAt, k.RotatedAt,
					k.RevokedAt, k.LastUsedAt, overdue); err != nil {
					return err
				}
			}
			return nil
		})
}

func (q *querier) wallets() (EvidenceFile, error) {
	ws, err := q.tx.Wallets(q.scope)
	if err != nil {
		return EvidenceFile{}, err
	}
	slices.SortFunc(ws, func(a, b keeptrail.Wallet) int { return cmp.Compare(a.ID, b.ID) })
	return q.csvFile(FileWallets, "wallets", -1, map[string]any{"state_as_of": q.now},
		[]string{"id", "team", "name", "budget_usd", "created_at"}, func(w *safecsv.Writer) error {
			for _, x := range ws {
				if err := w.Row(x.ID, q.teams[x.TeamID], x.Name, x.BudgetUSD, x.CreatedAt); err != nil {
					return err
				}
			}
			return nil
		})
}

func severityRank(s keeptrail.Severity) int {
	switch s {
	case keeptrail.SeverityLow:
		return 0
	case keeptrail.SeverityMedium:
		return 1
	case keeptrail.SeverityHigh:
		return 2
	case keeptrail.SeverityCritical:
		return 3
	}
	return 4
}
