package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/engine"
	"github.com/keeptrail/keeptrail/evidence"
)

func init() {
	commands = append(commands, func(a *app) *cobra.Command { return a.frameworkCommand() })
}

func (a *app) frameworkCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "framework",
		Short: "List, show and manage the compliance frameworks packages map evidence to",
		Long: `SOC 2 and HIPAA are built in. Custom framework templates are YAML or JSON documents:

  name: acme-ai
  title: ACME AI governance
  sections:
    - id: AI-1
      title: Prompt screening
      description: Prompts are screened for personal data.
      auditor_focus: Blocks by rule and their trend.
      sources: [events.blocks_by_rule, audit_log.configuration]

Each section needs at least one evidence source from the list that "framework sources"
prints. Every change is a new version; earlier versions stay readable (show --version).`,
	}
	cmd.AddCommand(a.frameworkListCommand(), a.frameworkShowCommand(), a.frameworkSourcesCommand(),
		a.frameworkCreateCommand(), a.frameworkUpdateCommand(), a.frameworkDeleteCommand())
	return cmd
}

func (a *app) frameworkListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the built-in frameworks and the custom templates",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withEngine(cmd.Context(), func(ctx context.Context, e *engine.Engine) error {
				fs, err := e.Frameworks(ctx)
				if err != nil {
					return err
				}
				if a.jsonOut {
					return a.printJSON(map[string]any{"frameworks": fs})
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tVERSION\tKIND\tSECTIONS\tTITLE")
				for _, f := range fs {
					kind := "custom"
					if f.BuiltIn {
						kind = "built-in"
					}
					fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\n", f.Name, f.Version, kind, len(f.Sections), f.Title)
				}
				return tw.Flush()
			})
		},
	}
}

func (a *app) frameworkShowCommand() *cobra.Command {
	var version int64
	cmd := &cobra.Command{
		Use:   "show NAME [--version N]",
		Short: "Show a framework's sections and the evidence sources each draws on",
		Args:  exactArgs("framework show NAME", 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withEngine(cmd.Context(), func(ctx context.Context, e *engine.Engine) error {
				var f evidence.Framework
				var err error
				if cmd.Flags().Changed("version") {
					f, err = e.FrameworkVersion(ctx, args[0], version)
					err = versionFlagError(err)
				} else {
					f, err = e.Framework(ctx, args[0])
				}
				if err != nil {
					return err
				}
				if a.jsonOut {
					return a.printJSON(f)
				}
				printFramework(a.stdout, f)
				return nil
			})
		},
	}
	cmd.Flags().Int64Var(&version, "version", 0, "show this version of a custom template (default: the current one)")
	return cmd
}

// versionFlagError names the --version flag in the engine's complaint about a version.
func versionFlagError(err error) error {
	if e, ok := err.(*keeptrail.Error); ok && e.Code == keeptrail.EINVALID && len(e.Fields) == 1 && e.Fields[0].Field == "version" {
		return usageError("--version: %s", e.Fields[0].Reason)
	}
	return err
}

// printFramework writes a framework for a terminal.
func printFramework(w io.Writer, f evidence.Framework) {
	kind := "custom template"
	if f.BuiltIn {
		kind = "built in"
	}
	fmt.Fprintf(w, "%s (%s), version %d, %s\n", f.Title, f.Name, f.Version, kind)
	if f.Edition != "" {
		fmt.Fprintf(w, "Edition: %s\n", f.Edition)
	}
	if f.UpdatedAt != nil {
		fmt.Fprintf(w, "Version written %s by %s\n", f.UpdatedAt.Format("2006-01-02 15:04:05Z07:00"), f.UpdatedBy)
	}
	if f.Description != "" {
		fmt.Fprintf(w, "%s\n", f.Description)
	}
	for _, s := range f.Sections {
		fmt.Fprintf(w, "\n%s\n", f.Heading(s))
		if s.Description != "" {
			fmt.Fprintf(w, "  %s\n", s.Description)
		}
		if s.AuditorFocus != "" {
			fmt.Fprintf(w, "  Auditors look for: %s\n", s.AuditorFocus)
		}
		names := make([]string, len(s.Sources))
		for i, src := range s.Sources {
			names[i] = string(src)
		}
		fmt.Fprintf(w, "  Evidence: %s\n", strings.Join(names, ", "))
	}
}

func (a *app) frameworkSourcesCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "sources",
		Short: "List the evidence sources a framework section may draw on",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			srcs := evidence.Sources()
			if a.jsonOut {
				return a.printJSON(map[string]any{"sources": srcs})
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SOURCE\tREADS")
			for _, s := range srcs {
				fmt.Fprintf(tw, "%s\t%s\n", s.Name, s.Reads)
			}
			return tw.Flush()
		},
	}
}

func (a *app) frameworkCreateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "create FILE",
		Short: "Create a custom framework template from a YAML or JSON file (- for standard input)",
		Args:  exactArgs("framework create FILE", 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			doc, err := a.readTemplateFile(args[0])
			if err != nil {
				return err
			}
			return a.withEngine(cmd.Context(), func(ctx context.Context, e *engine.Engine) error {
				f, err := e.CreateFramework(ctx, doc)
				if err != nil {
					return templateError(args[0], err)
				}
				if a.jsonOut {
					return a.printJSON(f)
				}
				a.printf("created framework %s version %d (%s)\n", f.Name, f.Version, plural(len(f.Sections), "section"))
				return nil
			})
		},
	}
}

func (a *app) frameworkUpdateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "update NAME FILE",
		Short: "Store a new version of a custom framework template (FILE may leave out the name)",
		Args:  exactArgs("framework update NAME FILE", 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			doc, err := a.readTemplateFile(args[1])
			if err != nil {
				return err
			}
			return a.withEngine(cmd.Context(), func(ctx context.Context, e *engine.Engine) error {
				before, err := e.Framework(ctx, args[0])
				if err != nil {
					return err
				}
				f, err := e.UpdateFramework(ctx, args[0], doc)
				if err != nil {
					return templateError(args[1], err)
				}
				if a.jsonOut {
					return a.printJSON(f)
				}
				if f.Version == before.Version {
					a.printf("framework %s unchanged (version %d)\n", f.Name, f.Version)
				} else {
					a.printf("updated framework %s to version %d\n", f.Name, f.Version)
				}
				return nil
			})
		},
	}
}

func (a *app) frameworkDeleteCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a custom framework template (its versions stay readable)",
		Args:  exactArgs("framework delete NAME", 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withEngine(cmd.Context(), func(ctx context.Context, e *engine.Engine) error {
				f, err := e.DeleteFramework(ctx, args[0])
				if err != nil {
					return err
				}
				if a.jsonOut {
					return a.printJSON(f)
				}
				a.printf("deleted framework %s (versions 1 to %d stay readable with show --version)\n", f.Name, f.Version)
				return nil
			})
		},
	}
}

// readTemplateFile reads a template from path, or standard input for "-".
func (a *app) readTemplateFile(path string) ([]byte, error) {
	var r io.Reader = a.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, usageError("%v", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, evidence.MaxTemplateBytes+1))
	if err != nil {
		return nil, usageError("read %s: %v", path, err)
	}
	return b, nil
}

// templateError puts the file name before a template's field errors.
func templateError(path string, err error) error {
	if c := keeptrail.ErrorCode(err); c == keeptrail.EINVALID || c == keeptrail.ETOOLARGE {
		if path == "-" {
			path = "standard input"
		}
		return usageError("%s: %s", path, oneLine(err))
	}
	return err
}

// exactArgs requires n arguments, naming the usage when they are not there.
func exactArgs(usage string, n int) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError("usage: keeptrail %s", usage)
		}
		return nil
	}
}
