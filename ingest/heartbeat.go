package ingest

import (
	"github.com/keeptrail/keeptrail"
)

// Bits of the heartbeat fields.
const (
	hbGateway uint32 = 1 << iota
	hbTeam
	hbTime
	hbConfigVersion
	hbHealthy
	hbErrorRate
	hbTLS
	hbEncryption
)

var (
	heartbeatRequired      = []uint32{hbGateway, hbTime, hbHealthy}
	heartbeatRequiredNames = []string{"gateway", "time", "healthy"}
	// tlsVersions are the TLS protocol versions a heartbeat may report as its minimum.
	tlsVersions = []string{"1.0", "1.1", "1.2", "1.3"}
)

// ParseHeartbeat parses one NDJSON line of POST /api/v1/heartbeats: a gateway's health
// and the configuration version it runs. Required: gateway, time, healthy. Optional:
// team (used only when the gateway is new), config_version, error_rate (0 to 1),
// tls_min_version (1.0 to 1.3), encryption_at_rest. Errors as for ParseEvent.
func ParseHeartbeat(line []byte) (keeptrail.Heartbeat, error) {
	var hb keeptrail.Heartbeat
	p := newParser(line)
	for p.next() {
		switch string(p.key) {
		case "gateway":
			hb.Gateway, _ = p.text(hbGateway, "gateway", true)
		case "team":
			hb.Team, _ = p.text(hbTeam, "team", false)
		case "time":
			hb.Time, _ = p.time(hbTime, "time")
		case "config_version":
			if v, ok := p.integer(hbConfigVersion, "config_version", 1<<53); ok {
				hb.ConfigVersion = &v
			}
		case "healthy":
			hb.Healthy, _ = p.boolean(hbHealthy, "healthy")
		case "error_rate":
			hb.ErrorRate, _ = p.number(hbErrorRate, "error_rate", 0, 1)
		case "tls_min_version":
			hb.TLSMinVersion, _ = p.enum(hbTLS, "tls_min_version", tlsVersions)
		case "encryption_at_rest":
			if v, ok := p.boolean(hbEncryption, "encryption_at_rest"); ok {
				hb.EncryptionAtRest = &v
			}
		default:
			p.unknown()
		}
	}
	if p.s.err == nil && !p.notObject {
		p.require(heartbeatRequired, heartbeatRequiredNames)
	}
	if err := p.err(); err != nil {
		return keeptrail.Heartbeat{}, err
	}
	return hb, nil
}
