package compliance

import (
	"cmp"
	"slices"
	"time"

	"github.com/keeptrail/keeptrail"
)

// GatewayConfiguration is where a gateway stands against the configuration it should run
// at a time. Latest is the newer of the newest version deployed to the gateway itself and
// the newest version that passed validation and was first deployed to any gateway (was
// released) at least the release grace before; 0 when there is neither. A gateway is current when it runs Latest, or when there is no
// Latest. BehindSince is when it last fell behind, for a gateway that is not current.
type GatewayConfiguration struct {
	Running     *int64     `json:"running_version"`
	Latest      int64      `json:"latest_version"`
	BehindSince *time.Time `json:"behind_since,omitempty"`
}

// Current reports whether the gateway runs the latest configuration version it should.
func (c GatewayConfiguration) Current() bool {
	if c.Latest == 0 {
		return true
	}
	return c.Running != nil && *c.Running >= c.Latest
}

// configurations is the configuration of every gateway at one time.
type configurations struct {
	gateways map[int64]GatewayConfiguration
	// none is the configuration of a gateway without any deployment: it runs no known
	// version and is behind since the first release, if there was one.
	none GatewayConfiguration
}

// of returns the configuration of a gateway.
func (c configurations) of(gatewayID int64) GatewayConfiguration {
	if g, ok := c.gateways[gatewayID]; ok {
		return g
	}
	return c.none
}

// DefaultReleaseGrace is how long after its release a configuration version becomes the
// latest for the gateways that have not got it yet: a staged rollout (a canary first, the
// rest the next day) is not drift while it runs.
const DefaultReleaseGrace = 24 * time.Hour

// configurationAt works out each gateway's configuration at time at from the deployments
// (of every gateway) and the validation result of each version, by replaying them in
// time order: a gateway's own deployment sets what it runs; the first deployment of a
// validated version anywhere releases it, which counts for every gateway grace later.
func configurationAt(deployments []keeptrail.Deployment, validated map[int64]bool, at time.Time, grace time.Duration) configurations {
	type change struct {
		at      time.Time
		order   int   // a gateway's own deployment before a release at the same time
		id      int64 // deployment ID, for a stable order
		gateway int64 // 0 for a release
		version int64
	}
	var changes []change
	released := map[int64]keeptrail.Deployment{} // version -> its first deployment
	for _, d := range deployments {
		if d.DeployedAt.After(at) {
			continue
		}
		changes = append(changes, change{d.DeployedAt, 0, d.ID, d.GatewayID, d.Version})
		if first, ok := released[d.Version]; validated[d.Version] && (!ok || d.DeployedAt.Before(first.DeployedAt)) {
			released[d.Version] = d
		}
	}
	for v, d := range released {
		if effective := d.DeployedAt.Add(grace); !effective.After(at) {
			changes = append(changes, change{effective, 1, d.ID, 0, v})
		}
	}
	slices.SortFunc(changes, func(a, b change) int {
		return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.order, b.order), cmp.Compare(a.id, b.id))
	})
	type state struct {
		running     *int64
		own         int64
		behindSince *time.Time
	}
	gateways := map[int64]*state{}
	none := &state{}
	var releasedMax int64
	update := func(s *state, when time.Time) {
		latest := max(s.own, releasedMax)
		behind := latest > 0 && (s.running == nil || *s.running < latest)
		if !behind {
			s.behindSince = nil
		} else if s.behindSince == nil {
			t := when
			s.behindSince = &t
		}
	}
	for _, c := range changes {
		if c.gateway != 0 {
			s := gateways[c.gateway]
			if s == nil {
				s = &state{}
				gateways[c.gateway] = s
			}
			v := c.version
			s.running = &v
			s.own = max(s.own, v)
			update(s, c.at)
			continue
		}
		if c.version <= releasedMax {
			continue
		}
		releasedMax = c.version
		for _, s := range gateways {
			update(s, c.at)
		}
		update(none, c.at)
	}
	out := configurations{gateways: make(map[int64]GatewayConfiguration, len(gateways)),
		none: GatewayConfiguration{Latest: releasedMax, BehindSince: none.behindSince}}
	for id, s := range gateways {
		out.gateways[id] = GatewayConfiguration{Running: s.running, Latest: max(s.own, releasedMax), BehindSince: s.behindSince}
	}
	return out
}
