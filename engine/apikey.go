package engine

import (
	"context"
	"fmt"

	"github.com/keeptrail/keeptrail"
)

// NewAPIKey is the input of CreateAPIKey. Teams empty means every team, except for a
// team_admin key, which needs an owner and carries the owner's teams.
type NewAPIKey struct {
	Name       string         `json:"name"`
	Role       keeptrail.Role `json:"role"`
	Teams      []string       `json:"teams"`
	OwnerEmail string         `json:"owner_email"`
}

// CreateAPIKey issues an API key. It needs the administer role. It returns the key and
// the full token "kt_PREFIX_SECRET", which is shown this once: only the prefix and the
// SHA-256 of the secret are stored. Recorded as api_key.created.
func (e *Engine) CreateAPIKey(ctx context.Context, in NewAPIKey) (keeptrail.APIKey, string, error) {
	p, err := e.authorize(ctx, keeptrail.ActAdminister, opAPIKeyCreated, "")
	if err != nil {
		return keeptrail.APIKey{}, "", err
	}
	var v keeptrail.Validation
	if msg := textProblem(in.Name, true, maxNameLength); msg != "" {
		v.Add("name", "%s", msg)
	}
	switch {
	case in.Role == "":
		v.Add("role", "is required")
	case !in.Role.Valid():
		v.Add("role", "must be one of admin, compliance_officer, team_admin, auditor, viewer, gateway")
	}
	if in.Role == keeptrail.RoleTeamAdmin {
		if in.OwnerEmail == "" {
			v.Add("owner_email", "a team_admin key needs an owner, whose teams it carries")
		}
		if len(in.Teams) > 0 {
			v.Add("teams", "a team_admin key carries its owner's teams; leave teams empty")
		}
	}
	secret, err := newTokenPart(tokenSecretLength)
	if err != nil {
		return keeptrail.APIKey{}, "", err
	}
	var k keeptrail.APIKey
	err = e.update(ctx, p, func(tx keeptrail.Tx) error {
		v := v // fn may run again
		teams, err := resolveTeams(tx, &v, "teams", in.Teams)
		if err != nil {
			return err
		}
		var owner *keeptrail.User
		if in.OwnerEmail != "" {
			u, err := tx.UserByEmail(normalizeEmail(in.OwnerEmail))
			switch {
			case keeptrail.ErrorCode(err) == keeptrail.ENOTFOUND:
				v.Add("owner_email", "unknown user %q", in.OwnerEmail)
			case err != nil:
				return fmt.Errorf("engine: load key owner: %w", err)
			case !u.Active:
				v.Add("owner_email", "user %q is deprovisioned", in.OwnerEmail)
			case in.Role == keeptrail.RoleTeamAdmin && u.Role != keeptrail.RoleTeamAdmin:
				v.Add("owner_email", "the owner of a team_admin key must be a team_admin")
			default:
				owner = &u
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		prefix, err := freePrefix(tx)
		if err != nil {
			return err
		}
		now := e.clock()
		k = keeptrail.APIKey{
			Prefix: prefix, Name: in.Name, Role: in.Role, TeamIDs: teamIDs(teams),
			SecretHash: hashSecret(secret), CreatedAt: now, RotatedAt: now,
		}
		ownerEmail := ""
		if owner != nil {
			k.OwnerUserID = &owner.ID
			ownerEmail = owner.Email
		}
		if err := tx.CreateAPIKey(&k); err != nil {
			return fmt.Errorf("engine: create api key: %w", err)
		}
		return record(tx, p, opAPIKeyCreated, "api_key:"+prefix, singleTeam(k.TeamIDs), map[string]any{
			"name": k.Name, "role": k.Role, "teams": teamNames(teams), "owner": ownerEmail,
		})
	})
	if err != nil {
		return keeptrail.APIKey{}, "", err
	}
	k.SecretHash = nil
	return k, formatToken(k.Prefix, secret), nil
}

// freePrefix returns a random key prefix not yet in use.
func freePrefix(tx keeptrail.Tx) (string, error) {
	for range 5 {
		prefix, err := newTokenPart(tokenPrefixLength)
		if err != nil {
			return "", err
		}
		_, err = tx.APIKeyByPrefix(prefix)
		if keeptrail.ErrorCode(err) == keeptrail.ENOTFOUND {
			return prefix, nil
		} else if err != nil {
			return "", fmt.Errorf("engine: check api key prefix: %w", err)
		}
	}
	return "", fmt.Errorf("engine: no free api key prefix after 5 tries")
}

// RotateAPIKey gives the key a new secret under the same prefix and returns the new full
// token; the old token stops working at once. It needs the administer role; a revoked key
// is ECONFLICT. Recorded as api_key.rotated.
func (e *Engine) RotateAPIKey(ctx context.Context, prefix string) (keeptrail.APIKey, string, error) {
	target := "api_key:" + truncate(prefix, maxNameLength)
	p, err := e.authorize(ctx, keeptrail.ActAdminister, opAPIKeyRotated, target)
	if err != nil {
		return keeptrail.APIKey{}, "", err
	}
	secret, err := newTokenPart(tokenSecretLength)
	if err != nil {
		return keeptrail.APIKey{}, "", err
	}
	var k keeptrail.APIKey
	err = e.update(ctx, p, func(tx keeptrail.Tx) error {
		var err error
		if k, err = tx.APIKeyByPrefix(prefix); err != nil {
			return lookupErr(err, "API key %q", prefix)
		}
		if k.RevokedAt != nil {
			return keeptrail.Errorf(keeptrail.ECONFLICT, "API key %q is revoked", prefix)
		}
		before := k.RotatedAt
		k.SecretHash = hashSecret(secret)
		k.RotatedAt = e.clock()
		if err := tx.UpdateAPIKey(&k); err != nil {
			return fmt.Errorf("engine: rotate api key: %w", err)
		}
		return record(tx, p, opAPIKeyRotated, target, singleTeam(k.TeamIDs), map[string]any{
			"name": k.Name, "rotated_at": map[string]any{"before": before, "after": k.RotatedAt},
		})
	})
	if err != nil {
		return keeptrail.APIKey{}, "", err
	}
	k.SecretHash = nil
	return k, formatToken(k.Prefix, secret), nil
}

// RevokeAPIKey revokes a key for good. It needs the administer role; a key already revoked
// is ECONFLICT. Recorded as api_key.revoked.
func (e *Engine) RevokeAPIKey(ctx context.Context, prefix string) (keeptrail.APIKey, error) {
	target := "api_key:" + truncate(prefix, maxNameLength)
	p, err := e.authorize(ctx, keeptrail.ActAdminister, opAPIKeyRevoked, target)
	if err != nil {
		return keeptrail.APIKey{}, err
	}
	var k keeptrail.APIKey
	err = e.update(ctx, p, func(tx keeptrail.Tx) error {
		var err error
		if k, err = tx.APIKeyByPrefix(prefix); err != nil {
			return lookupErr(err, "API key %q", prefix)
		}
		if k.RevokedAt != nil {
			return keeptrail.Errorf(keeptrail.ECONFLICT, "API key %q is already revoked", prefix)
		}
		now := e.clock()
		k.RevokedAt = &now
		if err := tx.UpdateAPIKey(&k); err != nil {
			return fmt.Errorf("engine: revoke api key: %w", err)
		}
		return record(tx, p, opAPIKeyRevoked, target, singleTeam(k.TeamIDs),
			map[string]string{"name": k.Name, "reason": "revoked"})
	})
	if err != nil {
		return keeptrail.APIKey{}, err
	}
	k.SecretHash = nil
	return k, nil
}

// APIKeys lists every API key (prefixes and metadata, never secrets). It needs the
// administer role.
func (e *Engine) APIKeys(ctx context.Context) ([]keeptrail.APIKey, error) {
	if _, err := e.authorize(ctx, keeptrail.ActAdminister, opAPIKeysRead, ""); err != nil {
		return nil, err
	}
	var ks []keeptrail.APIKey
	err := e.st.View(ctx, func(tx keeptrail.Tx) error {
		var err error
		ks, err = tx.APIKeys()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("engine: list api keys: %w", err)
	}
	for i := range ks {
		ks[i].SecretHash = nil
	}
	return ks, nil
}
