package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/keeptrail/keeptrail"
)

// SettingsUpdate is the input of UpdateSettings; nil fields (and an empty SLAMinutes)
// are left as they are. SLAMinutes sets the given severities only.
type SettingsUpdate struct {
	OrganizationName *string                    `json:"organization_name"`
	TimeZone         *string                    `json:"time_zone"`
	SSOConfigured    *bool                      `json:"sso_configured"`
	MFARequired      *bool                      `json:"mfa_required"`
	SCIMEnabled      *bool                      `json:"scim_enabled"`
	KeyRotationDays  *int                       `json:"key_rotation_days"`
	SLAMinutes       map[keeptrail.Severity]int `json:"sla_minutes"`
	ExpiryAfterSLA   *int                       `json:"expiry_after_sla_minutes"`
}

// Bounds of the numeric settings.
const (
	maxKeyRotationDays = 3650
	maxSLAMinutes      = 365 * 24 * 60
)

// Settings returns the organization settings. It needs the read permission.
func (e *Engine) Settings(ctx context.Context) (keeptrail.Settings, error) {
	if _, err := e.authorize(ctx, keeptrail.ActRead, opSettingsRead, ""); err != nil {
		return keeptrail.Settings{}, err
	}
	var s keeptrail.Settings
	err := e.st.View(ctx, func(tx keeptrail.Tx) error {
		var err error
		s, err = tx.Settings()
		return err
	})
	if err != nil {
		return keeptrail.Settings{}, fmt.Errorf("engine: read settings: %w", err)
	}
	return s, nil
}

// validate checks the fields of u that are set.
func (u SettingsUpdate) validate() error {
	var v keeptrail.Validation
	if u.OrganizationName != nil {
		if msg := textProblem(*u.OrganizationName, true, maxNameLength); msg != "" {
			v.Add("organization_name", "%s", msg)
		}
	}
	if u.TimeZone != nil {
		if *u.TimeZone == "" || strings.TrimSpace(*u.TimeZone) != *u.TimeZone {
			v.Add("time_zone", "must be an IANA time zone name such as Europe/Berlin")
		} else if _, err := time.LoadLocation(*u.TimeZone); err != nil {
			v.Add("time_zone", "unknown time zone %q", *u.TimeZone)
		}
	}
	if u.KeyRotationDays != nil && (*u.KeyRotationDays < 1 || *u.KeyRotationDays > maxKeyRotationDays) {
		v.Add("key_rotation_days", "must be between 1 and %d", maxKeyRotationDays)
	}
	for _, sev := range sortedSeverities(u.SLAMinutes) {
		f := "sla_minutes." + string(sev)
		if !sev.Valid() {
			v.Add(f, "unknown severity; use low, medium, high or critical")
		} else if m := u.SLAMinutes[sev]; m < 1 || m > maxSLAMinutes {
			v.Add(f, "must be between 1 and %d minutes", maxSLAMinutes)
		}
	}
	if u.ExpiryAfterSLA != nil && (*u.ExpiryAfterSLA < 0 || *u.ExpiryAfterSLA > maxSLAMinutes) {
		v.Add("expiry_after_sla_minutes", "must be between 0 and %d minutes", maxSLAMinutes)
	}
	return v.Err()
}

// sortedSeverities returns the keys of m: known severities in increasing order, then
// unknown ones sorted, so that errors come in a stable order.
func sortedSeverities(m map[keeptrail.Severity]int) []keeptrail.Severity {
	var out []keeptrail.Severity
	for _, s := range keeptrail.Severities {
		if _, ok := m[s]; ok {
			out = append(out, s)
		}
	}
	var unknown []string
	for s := range m {
		if !s.Valid() {
			unknown = append(unknown, string(s))
		}
	}
	slices.Sort(unknown)
	for _, s := range unknown {
		out = append(out, keeptrail.Severity(s))
	}
	return out
}

// UpdateSettings changes the settings of in that are set. It needs the administer role.
// Each kind of change is its own audit entry with before/after: sso.configuration_changed,
// mfa.policy_changed, and settings.updated for everything else. An update that changes
// nothing writes nothing.
func (e *Engine) UpdateSettings(ctx context.Context, in SettingsUpdate) (keeptrail.Settings, error) {
	p, err := e.authorize(ctx, keeptrail.ActAdminister, opSettingsUpdated, "settings")
	if err != nil {
		return keeptrail.Settings{}, err
	}
	if err := in.validate(); err != nil {
		return keeptrail.Settings{}, err
	}
	var s keeptrail.Settings
	err = e.update(ctx, p, func(tx keeptrail.Tx) error {
		var err error
		if s, err = tx.Settings(); err != nil {
			return fmt.Errorf("engine: read settings: %w", err)
		}
		before := s
		before.SLAMinutes = maps.Clone(s.SLAMinutes)
		general := map[string]any{}
		change := func(field string, b, a any) {
			general[field] = map[string]any{"before": b, "after": a}
		}
		if in.OrganizationName != nil && *in.OrganizationName != s.OrganizationName {
			s.OrganizationName = *in.OrganizationName
			change("organization_name", before.OrganizationName, s.OrganizationName)
		}
		if in.TimeZone != nil && *in.TimeZone != s.TimeZone {
			s.TimeZone = *in.TimeZone
			change("time_zone", before.TimeZone, s.TimeZone)
		}
		if in.SCIMEnabled != nil && *in.SCIMEnabled != s.SCIMEnabled {
			s.SCIMEnabled = *in.SCIMEnabled
			change("scim_enabled", before.SCIMEnabled, s.SCIMEnabled)
		}
		if in.KeyRotationDays != nil && *in.KeyRotationDays != s.KeyRotationDays {
			s.KeyRotationDays = *in.KeyRotationDays
			change("key_rotation_days", before.KeyRotationDays, s.KeyRotationDays)
		}
		if s.SLAMinutes == nil {
			s.SLAMinutes = map[keeptrail.Severity]int{}
		}
		for sev, m := range in.SLAMinutes {
			if s.SLAMinutes[sev] != m {
				s.SLAMinutes[sev] = m
				change("sla_minutes."+string(sev), before.SLAMinutes[sev], m)
			}
		}
		if in.ExpiryAfterSLA != nil && *in.ExpiryAfterSLA != s.ExpiryAfterSLA {
			s.ExpiryAfterSLA = *in.ExpiryAfterSLA
			change("expiry_after_sla_minutes", before.ExpiryAfterSLA, s.ExpiryAfterSLA)
		}
		sso := in.SSOConfigured != nil && *in.SSOConfigured != s.SSOConfigured
		if sso {
			s.SSOConfigured = *in.SSOConfigured
		}
		mfa := in.MFARequired != nil && *in.MFARequired != s.MFARequired
		if mfa {
			s.MFARequired = *in.MFARequired
		}
		if len(general) == 0 && !sso && !mfa {
			return nil
		}
		if err := tx.PutSettings(s); err != nil {
			return fmt.Errorf("engine: write settings: %w", err)
		}
		if len(general) > 0 {
			if err := record(tx, p, opSettingsUpdated, "settings", nil, general); err != nil {
				return err
			}
		}
		if sso {
			if err := record(tx, p, opSSOChanged, "settings", nil, map[string]any{
				"sso_configured": map[string]bool{"before": before.SSOConfigured, "after": s.SSOConfigured}}); err != nil {
				return err
			}
		}
		if mfa {
			if err := record(tx, p, opMFAChanged, "settings", nil, map[string]any{
				"mfa_required": map[string]bool{"before": before.MFARequired, "after": s.MFARequired}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return keeptrail.Settings{}, err
	}
	return s, nil
}
