package sqlstore

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	keeptrail "github.com/keeptrail/keeptrail"
)

// Settings returns the organization settings: DefaultSettings before any were saved, and
// the defaults for any field a saved body lacks.
func (t *tx) Settings() (keeptrail.Settings, error) {
	var body string
	err := t.queryRow("SELECT body FROM settings WHERE id = 1").Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return keeptrail.DefaultSettings(), nil
	}
	if err != nil {
		return keeptrail.Settings{}, fmt.Errorf("select settings: %w", err)
	}
	s := keeptrail.DefaultSettings()
	s.SLAMinutes = nil
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		return keeptrail.Settings{}, fmt.Errorf("decode settings: %w", err)
	}
	if s.SLAMinutes == nil {
		s.SLAMinutes = keeptrail.DefaultSettings().SLAMinutes
	}
	return s, nil
}

// PutSettings saves the organization settings, replacing what was saved before.
func (t *tx) PutSettings(s keeptrail.Settings) error {
	body, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode settings: %w", err)
	}
	if _, err := t.exec("INSERT INTO settings (id, body) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body",
		string(body)); err != nil {
		return fmt.Errorf("upsert settings: %w", err)
	}
	return nil
}
