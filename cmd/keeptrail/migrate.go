package main

import (
	"github.com/spf13/cobra"

	"github.com/keeptrail/keeptrail/sqlstore"
)

func (a *app) migrateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the database schema",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := sqlstore.Open(cmd.Context(), a.dsn, sqlstore.Options{NoMigrate: true, Logger: a.logger()})
			if err != nil {
				return err
			}
			defer db.Close()
			applied, err := db.Migrate(cmd.Context())
			if err != nil {
				return err
			}
			if a.jsonOut {
				if applied == nil {
					applied = []string{}
				}
				return a.printJSON(map[string]any{"database": db.Dialect(), "applied": applied})
			}
			if len(applied) == 0 {
				a.printf("%s schema is up to date\n", db.Dialect())
				return nil
			}
			for _, m := range applied {
				a.printf("applied %s\n", m)
			}
			return nil
		},
	}
}
