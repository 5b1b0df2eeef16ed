package demo

import (
	"context"
	"fmt"

	"github.com/keeptrail/keeptrail"
)

// summary counts what the run created.
func (r *run) summary(ctx context.Context) (Summary, error) {
	s := Summary{
		Events:        r.eventsDone,
		Escalations:   r.escalations,
		AdminEmail:    adminEmail,
		AdminPassword: AdminPassword(r.opts.Seed),
		APIKey:        r.adminToken,
	}
	err := r.st.View(ctx, func(tx keeptrail.Tx) error {
		all := keeptrail.TeamScope{}
		teams, err := tx.Teams(all)
		if err != nil {
			return err
		}
		users, err := tx.Users(all)
		if err != nil {
			return err
		}
		gws, err := tx.Gateways(all)
		if err != nil {
			return err
		}
		pols, err := tx.Policies(all)
		if err != nil {
			return err
		}
		cvs, err := tx.ConfigurationVersions()
		if err != nil {
			return err
		}
		seq, _, err := tx.AuditHead()
		if err != nil {
			return err
		}
		s.Teams, s.Users, s.Gateways, s.Policies, s.ConfigurationVersions = len(teams), len(users), len(gws), len(pols), len(cvs)
		s.AuditEntries = int(seq)
		return nil
	})
	if err != nil {
		return Summary{}, fmt.Errorf("demo: count what was created: %w", err)
	}
	return s, nil
}
