package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"

	keeptrail "github.com/keeptrail/keeptrail"
)

const apiKeyColumns = "id, prefix, name, owner_user_id, role, team_ids, secret_hash, created_at, rotated_at, revoked_at, last_used_at"

func scanAPIKey(s scanner) (keeptrail.APIKey, error) {
	var k keeptrail.APIKey
	var owner, revoked, lastUsed sql.NullInt64
	var teams string
	var created, rotated int64
	if err := s.Scan(&k.ID, &k.Prefix, &k.Name, &owner, &k.Role, &teams, &k.SecretHash, &created, &rotated,
		&revoked, &lastUsed); err != nil {
		return k, err
	}
	var err error
	if k.TeamIDs, err = parseInt64s(teams); err != nil {
		return k, fmt.Errorf("api key %d team_ids: %w", k.ID, err)
	}
	k.OwnerUserID = intPtr(owner)
	k.CreatedAt = fromMicros(created)
	k.RotatedAt = fromMicros(rotated)
	k.RevokedAt = timePtr(revoked)
	k.LastUsedAt = timePtr(lastUsed)
	return k, nil
}

func secretBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// CreateAPIKey inserts k and sets its ID; CreatedAt defaults to the transaction's time and
// RotatedAt to CreatedAt. ECONFLICT on a taken prefix.
func (t *tx) CreateAPIKey(k *keeptrail.APIKey) error {
	k.CreatedAt = t.orNow(k.CreatedAt)
	if k.RotatedAt.IsZero() {
		k.RotatedAt = k.CreatedAt
	}
	k.RotatedAt = keeptrail.TruncTime(k.RotatedAt)
	k.RevokedAt = truncPtr(k.RevokedAt)
	k.LastUsedAt = truncPtr(k.LastUsedAt)
	err := t.queryRow(`INSERT INTO api_keys (prefix, name, owner_user_id, role, team_ids, secret_hash, created_at, rotated_at, revoked_at, last_used_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		k.Prefix, k.Name, nullInt(k.OwnerUserID), string(k.Role), int64sJSON(k.TeamIDs), secretBytes(k.SecretHash),
		micros(k.CreatedAt), micros(k.RotatedAt), nullMicros(k.RevokedAt), nullMicros(k.LastUsedAt)).Scan(&k.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return conflict("api key", k.Prefix)
	}
	if err != nil {
		return fmt.Errorf("insert api key: %w", err)
	}
	return nil
}

// APIKeyByID returns the API key with the id; ENOTFOUND if there is none.
func (t *tx) APIKeyByID(id int64) (keeptrail.APIKey, error) {
	k, err := scanAPIKey(t.queryRow("SELECT "+apiKeyColumns+" FROM api_keys WHERE id = ?", id))
	if err != nil {
		return k, rowErr(err, "select api key by id", "api key", id)
	}
	return k, nil
}

// APIKeyByPrefix returns the API key with the prefix; ENOTFOUND if there is none.
func (t *tx) APIKeyByPrefix(prefix string) (keeptrail.APIKey, error) {
	k, err := scanAPIKey(t.queryRow("SELECT "+apiKeyColumns+" FROM api_keys WHERE prefix = ?", prefix))
	if err != nil {
		return k, rowErr(err, "select api key by prefix", "api key", prefix)
	}
	return k, nil
}

// APIKeys lists every API key, oldest first.
func (t *tx) APIKeys() ([]keeptrail.APIKey, error) {
	return queryAll(t, "api keys", scanAPIKey, "SELECT "+apiKeyColumns+" FROM api_keys ORDER BY id")
}

// UpdateAPIKey writes the secret hash, rotated, revoked and last-used times; ENOTFOUND if
// the key does not exist.
func (t *tx) UpdateAPIKey(k *keeptrail.APIKey) error {
	k.RotatedAt = keeptrail.TruncTime(k.RotatedAt)
	k.RevokedAt = truncPtr(k.RevokedAt)
	k.LastUsedAt = truncPtr(k.LastUsedAt)
	res, err := t.exec("UPDATE api_keys SET secret_hash = ?, rotated_at = ?, revoked_at = ?, last_used_at = ? WHERE id = ?",
		secretBytes(k.SecretHash), micros(k.RotatedAt), nullMicros(k.RevokedAt), nullMicros(k.LastUsedAt), k.ID)
	if err != nil {
		return fmt.Errorf("update api key: %w", err)
	}
	return mustAffect(res, "update api key", "api key", k.ID)
}
