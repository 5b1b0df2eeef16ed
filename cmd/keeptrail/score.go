package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/keeptrail/keeptrail/compliance"
	"github.com/keeptrail/keeptrail/sqlstore"
)

func init() {
	commands = append(commands, func(a *app) *cobra.Command { return a.scoreCommand() })
}

func (a *app) scoreCommand() *cobra.Command {
	var at, from, to, configPath string
	var teams []string
	var history bool
	cmd := &cobra.Command{
		Use:   "score [--at DATE] [--team NAME]... | score --history [--from DATE] [--to DATE]",
		Short: "Show the compliance score, its breakdown and what would raise it most",
		Long: `Show the compliance score (0-100, one decimal) over the score window (30 days) that ends
--at (a date means the end of that day; default now): each component's ratio, weight, points
and the counts behind it, and the three changes that would raise the score most.

With --history, show the daily scores kept by keeptrail serve for the days --from to --to
(default: the last 30 days).

The weights and the window come from the configuration file (--config, or
$KEEPTRAIL_CONFIG); docs/compliance-score.md gives the formula.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if history && at != "" {
				return usageError("--at: not with --history (use --from and --to)")
			}
			if !history && (from != "" || to != "") {
				return usageError("--from and --to: only with --history (the score's period is the window before --at)")
			}
			return a.withStore(cmd.Context(), func(ctx context.Context, db *sqlstore.DB) error {
				svc, err := a.complianceService(db, configPath, compliance.Options{})
				if err != nil {
					return err
				}
				if history {
					req := compliance.HistoryRequest{Teams: teams}
					if req.From, err = flagTime("--from", from, compliance.ParseStart); err != nil {
						return err
					}
					if req.To, err = flagTime("--to", to, compliance.ParseEnd); err != nil {
						return err
					}
					points, err := svc.History(ctx, req)
					if err != nil {
						return flagError(err)
					}
					if a.jsonOut {
						return a.printJSON(map[string]any{"history": points})
					}
					printHistory(a.stdout, points)
					return nil
				}
				req := compliance.ScoreRequest{Teams: teams}
				if at != "" {
					if req.At, err = svc.ParseAt(at); err != nil {
						return usageError("--at: %v", err)
					}
				}
				sc, err := svc.Score(ctx, req)
				if err != nil {
					return flagError(err)
				}
				if a.jsonOut {
					return a.printJSON(sc)
				}
				printScore(a.stdout, sc)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&at, "at", "", "the score at the end of this date or at this time (default: now)")
	f.StringArrayVar(&teams, "team", nil, "only this team (repeatable)")
	f.BoolVar(&history, "history", false, "show the daily score history instead")
	f.StringVar(&from, "from", "", "with --history: first day")
	f.StringVar(&to, "to", "", "with --history: last day, inclusive")
	addConfigFlag(cmd, &configPath)
	return cmd
}

// componentTitles are the components' names in prose.
var componentTitles = map[string]string{
	compliance.PolicyCoverage:        "policy coverage",
	compliance.EscalationSLA:         "escalation SLA compliance",
	compliance.ConfigurationCurrency: "configuration currency",
	compliance.SecuritySettings:      "security settings",
	compliance.SSO:                   "SSO",
	compliance.MFA:                   "MFA enrollment",
	compliance.KeyRotation:           "API key rotation",
	compliance.AuditCompleteness:     "audit log completeness",
}

// componentCounts says in words what a component counted.
func componentCounts(c compliance.Component) string {
	n := c.Counts
	switch c.Name {
	case compliance.PolicyCoverage:
		return fmt.Sprintf("%d of %d active gateways have an active policy", n["covered_gateways"], n["active_gateways"])
	case compliance.EscalationSLA:
		return fmt.Sprintf("%d of %d escalations due were resolved within their SLA (%d breached)", n["met"], n["due"], n["breached"])
	case compliance.ConfigurationCurrency:
		return fmt.Sprintf("%d of %d active gateways run the latest configuration version", n["current_gateways"], n["active_gateways"])
	case compliance.SSO:
		if n["configured"] == 1 {
			return "single sign-on is configured"
		}
		return "single sign-on is not configured"
	case compliance.MFA:
		return fmt.Sprintf("%d of %d active users enrolled", n["enrolled_users"], n["active_users"])
	case compliance.KeyRotation:
		return fmt.Sprintf("%d of %d active API keys rotated within %d days", n["rotated_keys"], n["active_keys"], n["rotation_days"])
	case compliance.AuditCompleteness:
		chain := "hash chain intact"
		if n["chain_intact"] != 1 {
			chain = fmt.Sprintf("hash chain broken at seq %d", n["first_bad_seq"])
		}
		return fmt.Sprintf("%s; every active gateway reported in %d of %d hours", chain, n["complete_hours"], n["hours"])
	}
	return ""
}

// printScore writes the score and its breakdown for a terminal.
func printScore(w io.Writer, sc compliance.Score) {
	fmt.Fprintf(w, "Compliance score %.1f / 100\n", sc.Score)
	fmt.Fprintf(w, "Period %s to %s; teams: %s\n\n", when(sc.Period.From), when(sc.Period.To), plainList(sc.Teams))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPONENT\tMAX\tRATIO\tPOINTS\tCOUNTS")
	row := func(indent string, c compliance.Component) {
		counts := componentCounts(c)
		if c.Note != "" {
			counts = strings.TrimPrefix(counts+"; "+c.Note, "; ")
		}
		fmt.Fprintf(tw, "%s%s\t%.2f\t%.4f\t%.2f\t%s\n", indent, componentTitles[c.Name], c.MaxPoints, c.Ratio, c.Points, counts)
	}
	for _, c := range sc.Components {
		row("", c)
		for _, p := range c.Parts {
			row("  ", p)
		}
	}
	tw.Flush()
	if len(sc.Improvements) > 0 {
		fmt.Fprintln(w, "\nTo raise it most:")
		for _, i := range sc.Improvements {
			fmt.Fprintf(w, "  +%.1f  %s (to %.1f)\n", i.Gain, plain(i.Change), i.ScoreAfter)
		}
	}
}

// printHistory writes the daily scores, each component's points beside.
func printHistory(w io.Writer, points []compliance.HistoryPoint) {
	if len(points) == 0 {
		fmt.Fprintln(w, "No daily scores stored for these days (keeptrail serve stores one for each closed day).")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DAY\tTEAM\tSCORE\tCOVERAGE\tSLA\tCURRENCY\tSECURITY\tAUDIT")
	for _, p := range points {
		team := p.Team
		if team == "" {
			team = "(organization)"
		}
		cols := make([]string, 0, 5)
		for _, c := range p.Components {
			cols = append(cols, fmt.Sprintf("%.2f", c.Points))
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%s\n", p.Day.Format(time.DateOnly), plain(team), p.Score, strings.Join(cols, "\t"))
	}
	tw.Flush()
}
