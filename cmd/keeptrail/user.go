package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/engine"
)

func (a *app) userCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage console users (create, list, update, deactivate)",
	}
	cmd.AddCommand(a.userCreateCommand(), a.userListCommand(), a.userUpdateCommand(), a.userDeactivateCommand())
	return cmd
}

func (a *app) userCreateCommand() *cobra.Command {
	var in engine.NewUser
	var role string
	var passwordStdin bool
	cmd := &cobra.Command{
		Use:   "create --email EMAIL --role ROLE [--team NAME]... [--password-stdin]",
		Short: "Create a user; prints a generated password unless one is read from stdin",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in.Role = keeptrail.Role(role)
			generated := false
			if passwordStdin {
				line, err := bufio.NewReader(a.stdin).ReadString('\n')
				if err != nil && line == "" {
					return usageError("--password-stdin: no password on standard input")
				}
				in.Password = strings.TrimRight(line, "\r\n")
			} else {
				in.Password = randomPassword()
				generated = true
			}
			return a.withEngine(cmd.Context(), func(ctx context.Context, e *engine.Engine) error {
				u, err := e.CreateUser(ctx, in)
				if err != nil {
					return err
				}
				if a.jsonOut {
					out := map[string]any{"user": u}
					if generated {
						out["password"] = in.Password
					}
					return a.printJSON(out)
				}
				a.printf("created user %s (%s)\n", u.Email, u.Role)
				if generated {
					a.printf("password: %s\n", in.Password)
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Email, "email", "", "email address (the sign-in name)")
	f.StringVar(&in.Name, "name", "", "display name")
	f.StringVar(&role, "role", string(keeptrail.RoleViewer), "role: admin, compliance_officer, team_admin, auditor, viewer")
	f.StringSliceVar(&in.Teams, "team", nil, "team membership (repeat for several)")
	f.BoolVar(&in.MFAEnrolled, "mfa", false, "mark MFA as enrolled")
	f.BoolVar(&in.SSOEnrolled, "sso", false, "mark SSO as enrolled")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	return cmd
}

func (a *app) userListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withEngine(cmd.Context(), func(ctx context.Context, e *engine.Engine) error {
				users, err := e.Users(ctx)
				if err != nil {
					return err
				}
				if a.jsonOut {
					if users == nil {
						users = []keeptrail.User{}
					}
					return a.printJSON(users)
				}
				teams, err := e.Teams(ctx)
				if err != nil {
					return err
				}
				names := map[int64]string{}
				for _, t := range teams {
					names[t.ID] = t.Name
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "EMAIL\tROLE\tTEAMS\tMFA\tSSO\tACTIVE")
				for _, u := range users {
					var ts []string
					for _, id := range u.TeamIDs {
						ts = append(ts, names[id])
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Email, u.Role, strings.Join(ts, ","), yesNo(u.MFAEnrolled), yesNo(u.SSOEnrolled), yesNo(u.Active))
				}
				return tw.Flush()
			})
		},
	}
}

func (a *app) userUpdateCommand() *cobra.Command {
	var role string
	var teams []string
	var mfa, sso bool
	var name string
	cmd := &cobra.Command{
		Use:   "update EMAIL [--role ROLE] [--team NAME]... [--mfa=true|false] [--sso=true|false]",
		Short: "Change a user's role, teams, name or enrollment",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var up engine.UserUpdate
			f := cmd.Flags()
			if f.Changed("role") {
				r := keeptrail.Role(role)
				up.Role = &r
			}
			if f.Changed("team") {
				up.Teams = &teams
			}
			if f.Changed("mfa") {
				up.MFAEnrolled = &mfa
			}
			if f.Changed("sso") {
				up.SSOEnrolled = &sso
			}
			if f.Changed("name") {
				up.Name = &name
			}
			return a.withEngine(cmd.Context(), func(ctx context.Context, e *engine.Engine) error {
				u, err := e.UpdateUser(ctx, args[0], up)
				if err != nil {
					return err
				}
				if a.jsonOut {
					return a.printJSON(u)
				}
				a.printf("updated user %s (%s)\n", u.Email, u.Role)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&role, "role", "", "new role")
	f.StringSliceVar(&teams, "team", nil, "new team memberships (replaces the old; repeat for several)")
	f.BoolVar(&mfa, "mfa", false, "MFA enrolled")
	f.BoolVar(&sso, "sso", false, "SSO enrolled")
	f.StringVar(&name, "name", "", "display name")
	return cmd
}

func (a *app) userDeactivateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "deactivate EMAIL",
		Short: "Deprovision a user: sign-in is refused and the user's API keys are revoked",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withEngine(cmd.Context(), func(ctx context.Context, e *engine.Engine) error {
				u, err := e.DeactivateUser(ctx, args[0])
				if err != nil {
					return err
				}
				if a.jsonOut {
					return a.printJSON(u)
				}
				a.printf("deactivated user %s\n", u.Email)
				return nil
			})
		},
	}
}

// randomPassword returns a 24-character password from the system's random source.
func randomPassword() string {
	b := make([]byte, 15)
	rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
