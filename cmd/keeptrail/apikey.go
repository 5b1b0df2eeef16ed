package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/engine"
)

func (a *app) apikeyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "apikey",
		Short: "Manage API keys for gateways, scripts and the CLI (create, list, rotate, revoke)",
	}
	cmd.AddCommand(a.apikeyCreateCommand(), a.apikeyListCommand(),
		a.apikeyChangeCommand("rotate", "Replace a key's secret; the old token stops working"),
		a.apikeyChangeCommand("revoke", "Revoke a key; its token stops working"))
	return cmd
}

// apikeyOutput is what create and rotate print: the key and, once, its token.
type apikeyOutput struct {
	Key   keeptrail.APIKey `json:"key"`
	Token string           `json:"token,omitempty"`
}

func (a *app) apikeyCreateCommand() *cobra.Command {
	var in engine.NewAPIKey
	var role string
	cmd := &cobra.Command{
		Use:   "create --name NAME --role ROLE [--team NAME]... [--owner EMAIL]",
		Short: "Create an API key and print its token (shown only this once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in.Role = keeptrail.Role(role)
			return a.withEngine(cmd.Context(), func(ctx context.Context, e *engine.Engine) error {
				k, token, err := e.CreateAPIKey(ctx, in)
				if err != nil {
					return err
				}
				return a.printKey(k, token)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Name, "name", "", "what the key is for")
	f.StringVar(&role, "role", string(keeptrail.RoleGateway), "role: gateway (ingest only), admin, compliance_officer, team_admin, auditor, viewer")
	f.StringSliceVar(&in.Teams, "team", nil, "limit the key to these teams (repeat for several)")
	f.StringVar(&in.OwnerEmail, "owner", "", "the user who owns the key")
	return cmd
}

func (a *app) apikeyChangeCommand(verb, short string) *cobra.Command {
	return &cobra.Command{
		Use:   verb + " PREFIX",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withEngine(cmd.Context(), func(ctx context.Context, e *engine.Engine) error {
				if verb == "rotate" {
					k, token, err := e.RotateAPIKey(ctx, args[0])
					if err != nil {
						return err
					}
					return a.printKey(k, token)
				}
				k, err := e.RevokeAPIKey(ctx, args[0])
				if err != nil {
					return err
				}
				return a.printKey(k, "")
			})
		},
	}
}

func (a *app) printKey(k keeptrail.APIKey, token string) error {
	if a.jsonOut {
		return a.printJSON(apikeyOutput{Key: k, Token: token})
	}
	switch {
	case k.RevokedAt != nil:
		a.printf("revoked API key %s (%s)\n", k.Prefix, k.Name)
	default:
		a.printf("API key %s (%s, role %s)\ntoken: %s\nStore the token now: it is not shown again.\n", k.Prefix, k.Name, k.Role, token)
	}
	return nil
}

func (a *app) apikeyListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List API keys (prefixes only; secrets are never shown)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withEngine(cmd.Context(), func(ctx context.Context, e *engine.Engine) error {
				keys, err := e.APIKeys(ctx)
				if err != nil {
					return err
				}
				if a.jsonOut {
					if keys == nil {
						keys = []keeptrail.APIKey{}
					}
					return a.printJSON(keys)
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "PREFIX\tNAME\tROLE\tCREATED\tROTATED\tSTATUS")
				for _, k := range keys {
					status := "active"
					if k.RevokedAt != nil {
						status = "revoked " + k.RevokedAt.Format(time.DateOnly)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.Prefix, k.Name, k.Role,
						k.CreatedAt.Format(time.DateOnly), k.RotatedAt.Format(time.DateOnly), status)
				}
				return tw.Flush()
			})
		},
	}
}
