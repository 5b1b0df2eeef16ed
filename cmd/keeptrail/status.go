package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/compliance"
	"github.com/keeptrail/keeptrail/sqlstore"
)

func init() {
	commands = append(commands, func(a *app) *cobra.Command { return a.statusCommand() })
}

func (a *app) statusCommand() *cobra.Command {
	var from, to, configPath string
	var teams, gateways []string
	cmd := &cobra.Command{
		Use:   "status [--from TIME] [--to TIME] [--team NAME]... [--gateway NAME]...",
		Short: "Show the policy compliance status of a period",
		Long: `Show the policy compliance status: active policies, policy coverage, enforcement rate,
violation rate and configuration drift, for the whole organization and per team and gateway.

The period is --from to --to (RFC 3339 times or dates; a date or a time to the second as --to
includes that whole day or second); by default the score window (30 days) before now.
--team and --gateway, repeatable, narrow the scope. The figures come from hourly and daily
rollups kept at ingest; docs/compliance-score.md defines each of them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := compliance.StatusRequest{Teams: teams, Gateways: gateways}
			var err error
			if req.From, err = flagTime("--from", from, compliance.ParseStart); err != nil {
				return err
			}
			if req.To, err = flagTime("--to", to, compliance.ParseEnd); err != nil {
				return err
			}
			return a.withStore(cmd.Context(), func(ctx context.Context, db *sqlstore.DB) error {
				svc, err := a.complianceService(db, configPath, compliance.Options{})
				if err != nil {
					return err
				}
				st, err := svc.Status(ctx, req)
				if err != nil {
					return flagError(err)
				}
				if a.jsonOut {
					return a.printJSON(st)
				}
				printStatus(a.stdout, st)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "start of the period (RFC 3339 time or date; default: the score window before --to)")
	f.StringVar(&to, "to", "", "end of the period, inclusive as written (default: now)")
	f.StringArrayVar(&teams, "team", nil, "only this team (repeatable)")
	f.StringArrayVar(&gateways, "gateway", nil, "only this gateway (repeatable)")
	addConfigFlag(cmd, &configPath)
	return cmd
}

// flagTime parses an optional time flag.
func flagTime(flag, v string, parse func(string) (time.Time, error)) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := parse(v)
	if err != nil {
		return time.Time{}, usageError("%s: %v", flag, err)
	}
	return t, nil
}

// flagError names the flags behind an EINVALID error's fields as the user typed them
// (from becomes --from) and makes it a usage error.
func flagError(err error) error {
	var e *keeptrail.Error
	if !errors.As(err, &e) || e.Code != keeptrail.EINVALID || len(e.Fields) == 0 {
		return err
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = "--" + f.Field + ": " + f.Reason
	}
	return usageError("%s", strings.Join(parts, "; "))
}

// printStatus writes the status for a terminal.
func printStatus(w io.Writer, st compliance.Status) {
	fmt.Fprintf(w, "Policy compliance status, %s to %s (state as of %s)\n", when(st.Period.From), when(st.Period.To), when(st.AsOf))
	fmt.Fprintf(w, "Teams: %s\n", plainList(st.Teams))
	if len(st.Gateways) > 0 {
		fmt.Fprintf(w, "Gateways: %s\n", plainList(st.Gateways))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Active policies\t%d\t\n", st.ActivePolicies)
	fmt.Fprintf(tw, "Policy coverage\t%s\t%d of %d active gateways have an active policy\n", percent(st.PolicyCoverage), st.PolicyCoverage.Count, st.PolicyCoverage.Of)
	fmt.Fprintf(tw, "Enforcement rate\t%s\t%d of %d requests evaluated by a policy\n", percent(st.EnforcementRate), st.EnforcementRate.Count, st.EnforcementRate.Of)
	fmt.Fprintf(tw, "Violation rate\t%s\t%d of %d requests (%d blocked, %d escalated)\n", percent(st.ViolationRate), st.ViolationRate.Count, st.ViolationRate.Of, st.Blocked, st.Escalated)
	fmt.Fprintf(tw, "Configuration drift\t%s\t\n", plural(len(st.ConfigurationDrift), "gateway"))
	tw.Flush()
	if len(st.ConfigurationDrift) > 0 {
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, d := range st.ConfigurationDrift {
			fmt.Fprintf(tw, "  %s\t%s\trunning %s, latest v%d\tbehind since %s\n", plain(d.Gateway), plain(d.Team), configVersion(d.Running), d.Latest, whenPtr(d.BehindSince))
		}
		tw.Flush()
	}

	fmt.Fprintln(w, "\nBy team")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  TEAM\tACTIVE POLICIES\tCOVERAGE\tREQUESTS\tENFORCED\tVIOLATIONS\tDRIFTED")
	for _, t := range st.ByTeam {
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%d\t%s\t%s\t%d\n", plain(t.Team), t.ActivePolicies, percent(t.PolicyCoverage), t.Requests,
			percent(t.EnforcementRate), percent(t.ViolationRate), t.DriftedGateways)
	}
	tw.Flush()

	fmt.Fprintln(w, "\nBy gateway")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  GATEWAY\tTEAM\tACTIVE POLICIES\tREQUESTS\tENFORCED\tVIOLATIONS\tCONFIGURATION")
	for _, g := range st.ByGateway {
		policies, config := "-", "(another team's gateway)"
		if g.InScope {
			policies = fmt.Sprint(g.ActivePolicies)
			config = "current"
			if c := g.Configuration; c != nil && !c.Current() {
				config = fmt.Sprintf("behind: %s of v%d", configVersion(c.Running), c.Latest)
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%s\t%s\t%s\n", plain(g.Gateway), plain(g.Team), policies, g.Requests,
			percent(g.EnforcementRate), percent(g.ViolationRate), config)
	}
	tw.Flush()

	if len(st.ByRule) > 0 {
		fmt.Fprintln(w, "\nRules matched")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for i, r := range st.ByRule {
			if i == 10 {
				fmt.Fprintf(tw, "  (%d more: see --json)\t\n", len(st.ByRule)-10)
				break
			}
			fmt.Fprintf(tw, "  %s\t%d\n", plain(r.Rule), r.Matches)
		}
		tw.Flush()
	}
}

// percent shows a rate to one decimal, or n/a when nothing was measured.
func percent(r compliance.Rate) string {
	if r.Percent == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", *r.Percent)
}

func configVersion(v *int64) string {
	if v == nil {
		return "no version"
	}
	return fmt.Sprintf("v%d", *v)
}

func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func whenPtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return when(*t)
}

// plain makes a name that gateways or people chose safe for a terminal: control
// characters (escape sequences) become U+FFFD.
func plain(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '\uFFFD'
		}
		return r
	}, s)
}

func plainList(names []string) string {
	if len(names) == 0 {
		return "(none)"
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = plain(n)
	}
	return strings.Join(out, ", ")
}
