package compliance

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
)

// TestConfigurationAt checks the replay of deployments that decides drift: releases, the
// release grace, rollbacks, unvalidated versions and gateways without any deployment.
func TestConfigurationAt(t *testing.T) {
	h := func(hours int) time.Time {
		return time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(hours) * time.Hour)
	}
	d := func(id, gw, version int64, at int) keeptrail.Deployment {
		return keeptrail.Deployment{ID: id, GatewayID: gw, Version: version, DeployedAt: h(at)}
	}
	// Gateways 1 (canary), 2 and 3 get v1 at hour 0. v2 goes to the canary at hour 10 and
	// to gateway 2 at hour 30; gateway 3 never gets it. v3 fails validation and goes to the
	// canary only, at hour 40. Gateway 2 is rolled back to v1 at hour 50.
	deployments := []keeptrail.Deployment{d(1, 1, 1, 0), d(2, 2, 1, 0), d(3, 3, 1, 0), d(4, 1, 2, 10), d(5, 2, 2, 30),
		d(6, 1, 3, 40), d(7, 2, 1, 50)}
	validated := map[int64]bool{1: true, 2: true, 3: false}
	v := func(n int64) *int64 { return &n }
	at := func(hours int) *time.Time { x := h(hours); return &x }
	tests := []struct {
		name  string
		at    int
		grace time.Duration
		want  map[int64]GatewayConfiguration // gateway 0: one without deployments
	}{
		{"before anything", -1, 0, map[int64]GatewayConfiguration{0: {}}},
		{"v1 everywhere", 5, 0, map[int64]GatewayConfiguration{1: {Running: v(1), Latest: 1}, 2: {Running: v(1), Latest: 1},
			3: {Running: v(1), Latest: 1}, 0: {Latest: 1, BehindSince: at(0)}}},
		{"v2 released, no grace", 12, 0, map[int64]GatewayConfiguration{1: {Running: v(2), Latest: 2},
			2: {Running: v(1), Latest: 2, BehindSince: at(10)}, 3: {Running: v(1), Latest: 2, BehindSince: at(10)},
			0: {Latest: 2, BehindSince: at(0)}}},
		{"v2 released, within the grace", 12, 24 * time.Hour, map[int64]GatewayConfiguration{1: {Running: v(2), Latest: 2},
			2: {Running: v(1), Latest: 1}, 3: {Running: v(1), Latest: 1}, 0: {}}},
		{"the grace is over: gateway 3 behind since then", 45, 24 * time.Hour, map[int64]GatewayConfiguration{
			1: {Running: v(3), Latest: 3}, 2: {Running: v(2), Latest: 2}, 3: {Running: v(1), Latest: 2, BehindSince: at(34)},
			0: {Latest: 2, BehindSince: at(24)}}},
		{"gateway 2 rolled back", 60, 24 * time.Hour, map[int64]GatewayConfiguration{1: {Running: v(3), Latest: 3},
			2: {Running: v(1), Latest: 2, BehindSince: at(50)}, 3: {Running: v(1), Latest: 2, BehindSince: at(34)},
			0: {Latest: 2, BehindSince: at(24)}}},
	}
	for _, tt := range tests {
		c := configurationAt(deployments, validated, h(tt.at), tt.grace)
		got := map[int64]GatewayConfiguration{0: c.of(0)}
		for id := range c.gateways {
			got[id] = c.of(id)
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(tt.want)
		if string(g) != string(w) {
			t.Errorf("%s:\n got  %s\n want %s", tt.name, g, w)
		}
		for id, want := range tt.want {
			if c.of(id).Current() != (want.BehindSince == nil) {
				t.Errorf("%s: gateway %d current = %v", tt.name, id, c.of(id).Current())
			}
		}
	}
}
