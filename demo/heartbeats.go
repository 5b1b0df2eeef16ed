package demo

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/keeptrail/keeptrail/ingest"
)

// heartbeatEvery is how often a gateway reports; heartbeatBatchHours how often the
// fleet's collector forwards what it gathered.
const (
	heartbeatEvery      = 15 * time.Minute
	heartbeatBatchHours = 3
)

// flushHeartbeats sends, as the gateway fleet, the heartbeats due before upTo: one per
// gateway every 15 minutes, except from the silent gateway on its silent day. Each
// reports the configuration version the gateway runs now.
func (r *run) flushHeartbeats(ctx context.Context, upTo time.Time) error {
	if r.hbCursor.IsZero() || !r.hbCursor.Before(upTo) {
		return nil
	}
	var b bytes.Buffer
	n := 0
	for ; r.hbCursor.Before(upTo); r.hbCursor = r.hbCursor.Add(heartbeatEvery) {
		for i, g := range gateways {
			t := r.hbCursor.Add(time.Duration(i*3) * time.Second)
			if g.silent && !t.Before(r.silentDay) && t.Before(r.silentDay.Add(24*time.Hour)) {
				continue
			}
			r.heartbeat(&b, r.state[g.name], t)
			n++
		}
	}
	if n == 0 {
		return nil
	}
	res, err := r.in.Ingest(as(ctx, r.fleet), ingest.KindHeartbeats, &b)
	if err != nil {
		return fmt.Errorf("demo: ingest heartbeats: %w", err)
	}
	if res.Accepted != n {
		return fmt.Errorf("demo: ingest heartbeats: %d of %d accepted: %v", res.Accepted, n, res.Errors)
	}
	return nil
}

// heartbeat writes one heartbeat line of gateway s at t.
func (r *run) heartbeat(b *bytes.Buffer, s *gatewayState, t time.Time) {
	rate := s.spec.errorRate * math.Exp(0.4*r.rngHealth.NormFloat64())
	healthy := true
	if !t.Before(s.incidentFrom) && t.Before(s.incidentTo) {
		rate = 0.08 + 0.1*r.rngHealth.Float64()
		healthy = false
	}
	rate = math.Round(min(rate, 1)*1e5) / 1e5
	b.WriteString(`{"gateway":"`)
	b.WriteString(s.spec.name)
	b.WriteString(`","team":"`)
	b.WriteString(s.spec.team)
	b.WriteString(`","time":"`)
	b.WriteString(t.Format(time.RFC3339))
	b.WriteByte('"')
	if s.version > 0 {
		b.WriteString(`,"config_version":`)
		b.WriteString(strconv.Itoa(s.version))
	}
	b.WriteString(`,"healthy":`)
	b.WriteString(strconv.FormatBool(healthy))
	b.WriteString(`,"error_rate":`)
	b.WriteString(strconv.FormatFloat(rate, 'f', -1, 64))
	b.WriteString(`,"tls_min_version":"`)
	b.WriteString(s.spec.tls)
	b.WriteString(`","encryption_at_rest":`)
	b.WriteString(strconv.FormatBool(s.spec.encrypted))
	b.WriteString("}\n")
}
