package engine

import (
	"context"
	"crypto/subtle"
	"fmt"
	"time"

	"github.com/keeptrail/keeptrail"
)

// lastUsedResolution is how often an API key's last-used time is written at most.
const lastUsedResolution = time.Minute

// maxAuditedIdentity bounds how much of an outside-supplied email is put in the audit log.
const maxAuditedIdentity = 320

// Authenticate checks an API key token ("kt_PREFIX_SECRET") and returns the principal it
// stands for: Kind api_key, the key's role, its teams (none: every team, except for
// team_admin keys, which carry their owner's teams), Name "key:PREFIX" and sourceIP.
// A malformed, unknown, revoked or mismatched token, or the key of a deprovisioned user,
// is EUNAUTHORIZED and recorded as auth.api_key_rejected.
func (e *Engine) Authenticate(ctx context.Context, token, sourceIP string) (*keeptrail.Principal, error) {
	prefix, secret, err := parseToken(token)
	if err != nil {
		return nil, e.rejectKey(ctx, prefix, sourceIP, "malformed token")
	}
	var (
		key    keeptrail.APIKey
		owner  keeptrail.User
		reason string
	)
	err = e.st.View(ctx, func(tx keeptrail.Tx) error {
		var err error
		key, err = tx.APIKeyByPrefix(prefix)
		if keeptrail.ErrorCode(err) == keeptrail.ENOTFOUND {
			reason = "unknown key"
			return nil
		} else if err != nil {
			return fmt.Errorf("engine: load api key: %w", err)
		}
		if subtle.ConstantTimeCompare(hashSecret(secret), key.SecretHash) != 1 {
			reason = "wrong secret"
			return nil
		}
		if key.RevokedAt != nil {
			reason = "revoked key"
			return nil
		}
		if key.OwnerUserID != nil {
			owner, err = tx.UserByID(*key.OwnerUserID)
			if err != nil {
				return fmt.Errorf("engine: load api key owner: %w", err)
			}
			if !owner.Active {
				reason = "owner deprovisioned"
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if reason != "" {
		return nil, e.rejectKey(ctx, prefix, sourceIP, reason)
	}
	now := e.clock()
	if key.LastUsedAt == nil || now.Sub(*key.LastUsedAt) >= lastUsedResolution {
		// The last-used time is bookkeeping: failing to write it does not refuse the key.
		if err := e.touchKey(ctx, key.ID, now); err != nil {
			e.log.Warn("engine: api key last use not written", "prefix", key.Prefix, "err", err)
		}
	}
	p := &keeptrail.Principal{
		Kind:     keeptrail.ActorAPIKey,
		APIKeyID: key.ID,
		Name:     "key:" + key.Prefix,
		Role:     key.Role,
		SourceIP: sourceIP,
	}
	if key.OwnerUserID != nil {
		p.UserID = *key.OwnerUserID
	}
	switch {
	case key.Role == keeptrail.RoleTeamAdmin:
		p.TeamIDs = append([]int64(nil), owner.TeamIDs...)
	case len(key.TeamIDs) == 0:
		p.AllTeams = true
	default:
		p.TeamIDs = append([]int64(nil), key.TeamIDs...)
	}
	return p, nil
}

// touchKey records that the key was used at now. The key is re-read in the write
// transaction so that a concurrent rotation or revocation is not overwritten.
// It may run twice (keeptrail.WithRerunnableUpdate): it only reads and sets the one row.
func (e *Engine) touchKey(ctx context.Context, id int64, now time.Time) error {
	return e.st.Update(keeptrail.WithRerunnableUpdate(ctx), func(tx keeptrail.Tx) error {
		k, err := tx.APIKeyByID(id)
		if err != nil {
			return fmt.Errorf("engine: reload api key: %w", err)
		}
		if k.LastUsedAt != nil && now.Sub(*k.LastUsedAt) < lastUsedResolution {
			return nil
		}
		k.LastUsedAt = &now
		if err := tx.UpdateAPIKey(&k); err != nil {
			return fmt.Errorf("engine: write api key last use: %w", err)
		}
		return nil
	})
}

// rejectKey records a failed API key authentication and returns EUNAUTHORIZED.
func (e *Engine) rejectKey(ctx context.Context, prefix, sourceIP, reason string) error {
	entry := keeptrail.AuditEntry{
		ActorKind: keeptrail.ActorAPIKey,
		Actor:     "anonymous",
		Action:    opAPIKeyRejected.action,
		Category:  opAPIKeyRejected.category,
		Severity:  opAPIKeyRejected.severity,
		SourceIP:  sourceIP,
		Outcome:   outcomeFailure,
		Details:   details(map[string]string{"reason": reason}),
	}
	if prefix != "" {
		entry.Actor = "key:" + prefix
		entry.Target = "api_key:" + prefix
	}
	if err := e.appendAlone(ctx, &entry); err != nil {
		return err
	}
	return keeptrail.Errorf(keeptrail.EUNAUTHORIZED, "invalid API key")
}

// appendAlone writes one audit entry in its own transaction.
func (e *Engine) appendAlone(ctx context.Context, entry *keeptrail.AuditEntry) error {
	err := e.st.Update(ctx, func(tx keeptrail.Tx) error { return tx.AppendAudit(entry) })
	if err != nil {
		return fmt.Errorf("engine: append audit entry %s: %w", entry.Action, err)
	}
	return nil
}

// Login checks an email and password and returns the user's principal. A wrong password,
// an unknown or deprovisioned user, or a user without a local password is EUNAUTHORIZED
// (one message for all) and recorded as auth.login_failed; success is recorded as
// auth.login. A login whose audit entry cannot be written fails.
func (e *Engine) Login(ctx context.Context, email, password, sourceIP string) (*keeptrail.Principal, error) {
	email = normalizeEmail(email)
	var u keeptrail.User
	err := e.st.View(ctx, func(tx keeptrail.Tx) error {
		var err error
		u, err = tx.UserByEmail(email)
		return err
	})
	reason := ""
	switch {
	case keeptrail.ErrorCode(err) == keeptrail.ENOTFOUND:
		reason = "unknown user"
	case err != nil:
		return nil, fmt.Errorf("engine: load user: %w", err)
	case !u.Active:
		reason = "user deprovisioned"
	case u.PasswordHash == "":
		reason = "no local password"
	}
	if reason != "" {
		verifyPassword(password, e.dummyHash) // same time as a real check
	} else if !verifyPassword(password, u.PasswordHash) {
		reason = "wrong password"
	}
	target := "user:" + truncate(email, maxAuditedIdentity)
	if reason != "" {
		entry := keeptrail.AuditEntry{
			ActorKind: keeptrail.ActorUser,
			Actor:     truncate(email, maxAuditedIdentity),
			Action:    opLoginFailed.action,
			Category:  opLoginFailed.category,
			Severity:  opLoginFailed.severity,
			Target:    target,
			SourceIP:  sourceIP,
			Outcome:   outcomeFailure,
			Details:   details(map[string]string{"reason": reason}),
		}
		if u.ID != 0 {
			entry.TeamID = singleTeam(u.TeamIDs)
		}
		if err := e.appendAlone(ctx, &entry); err != nil {
			return nil, err
		}
		return nil, keeptrail.Errorf(keeptrail.EUNAUTHORIZED, "invalid email or password")
	}
	p := userPrincipal(u)
	p.SourceIP = sourceIP
	err = e.st.Update(ctx, func(tx keeptrail.Tx) error {
		return record(tx, p, opLogin, target, singleTeam(u.TeamIDs), map[string]any{"method": "password"})
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// userPrincipal returns the principal of a signed-in user. Team admins, and viewers
// given teams, are limited to their teams; every other role sees the whole organization.
func userPrincipal(u keeptrail.User) *keeptrail.Principal {
	p := &keeptrail.Principal{Kind: keeptrail.ActorUser, UserID: u.ID, Name: u.Email, Role: u.Role}
	if u.Role == keeptrail.RoleTeamAdmin || (u.Role == keeptrail.RoleViewer && len(u.TeamIDs) > 0) {
		p.TeamIDs = append([]int64(nil), u.TeamIDs...)
	} else {
		p.AllTeams = true
	}
	return p
}

// singleTeam returns the team of an object that belongs to exactly one team, else nil.
func singleTeam(ids []int64) *int64 {
	if len(ids) == 1 {
		return teamRef(ids[0])
	}
	return nil
}

// truncate shortens s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
