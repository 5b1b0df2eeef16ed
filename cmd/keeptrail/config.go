package main

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/compliance"
)

// The configuration file (--config FILE, or $KEEPTRAIL_CONFIG) holds the settings that are
// not per-command flags. For now those are the compliance score's:
//
//	score:
//	  window_days: 30            # the period a score covers, ending at its time
//	  release_grace_hours: 24    # how long a staged rollout of a release may take
//	  weights:                   # relative weights; the score is scaled to 0-100
//	    policy_coverage: 25
//	    escalation_sla: 25
//	    configuration_currency: 20
//	    security_settings:
//	      sso: 5
//	      mfa: 10
//	      key_rotation: 5
//	    audit_completeness: 10
//
// Every key is optional; a weight left out keeps its default. Decoding is strict: an
// unknown key, a value of the wrong type or a negative weight is an error naming the key
// and its line.

// configFile is the decoded configuration file.
type configFile struct {
	Score scoreConfig `yaml:"score"`
}

type scoreConfig struct {
	WindowDays        *int           `yaml:"window_days"`
	ReleaseGraceHours *int           `yaml:"release_grace_hours"`
	Weights           *weightsConfig `yaml:"weights"`
}

type weightsConfig struct {
	PolicyCoverage        *float64         `yaml:"policy_coverage"`
	EscalationSLA         *float64         `yaml:"escalation_sla"`
	ConfigurationCurrency *float64         `yaml:"configuration_currency"`
	SecuritySettings      *securityWeights `yaml:"security_settings"`
	AuditCompleteness     *float64         `yaml:"audit_completeness"`
}

type securityWeights struct {
	SSO         *float64 `yaml:"sso"`
	MFA         *float64 `yaml:"mfa"`
	KeyRotation *float64 `yaml:"key_rotation"`
}

// maxWindowDays bounds score.window_days, maxGraceHours score.release_grace_hours.
const (
	maxWindowDays = 3660
	maxGraceHours = 720
)

// configKey describes one key of the file: a mapping of keys, or a leaf of a kind.
type configKey struct {
	name string
	kind string // "map", "weight", "days", "hours"
	keys []configKey
}

var configSchema = configKey{kind: "map", keys: []configKey{
	{name: "score", kind: "map", keys: []configKey{
		{name: "window_days", kind: "days"},
		{name: "release_grace_hours", kind: "hours"},
		{name: "weights", kind: "map", keys: []configKey{
			{name: "policy_coverage", kind: "weight"},
			{name: "escalation_sla", kind: "weight"},
			{name: "configuration_currency", kind: "weight"},
			{name: "security_settings", kind: "map", keys: []configKey{
				{name: "sso", kind: "weight"}, {name: "mfa", kind: "weight"}, {name: "key_rotation", kind: "weight"},
			}},
			{name: "audit_completeness", kind: "weight"},
		}},
	}},
}}

// addConfigFlag adds --config to a command; its default is $KEEPTRAIL_CONFIG.
func addConfigFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().StringVar(path, "config", os.Getenv("KEEPTRAIL_CONFIG"),
		"configuration file with the compliance score's weights (env KEEPTRAIL_CONFIG)")
}

// loadConfig reads the configuration file at path; no path gives the defaults.
func loadConfig(path string) (configFile, error) {
	var cfg configFile
	if path == "" {
		return cfg, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return cfg, usageError("--config: %v", err)
	}
	cfg, err = parseConfig(b)
	if err != nil {
		return cfg, usageError("config %s: %s", path, oneLine(err))
	}
	return cfg, nil
}

// parseConfig decodes the configuration strictly. Errors name each bad key with its line
// ("line 4: score.weights.mfa: ...").
func parseConfig(b []byte) (configFile, error) {
	var cfg configFile
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return cfg, keeptrail.Errorf(keeptrail.EINVALID, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 0 {
		return cfg, nil // an empty file: the defaults
	}
	var v keeptrail.Validation
	checkConfigNode(&v, doc.Content[0], configSchema, "")
	if err := v.Err(); err != nil {
		return cfg, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		return cfg, keeptrail.Errorf(keeptrail.EINVALID, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if w := cfg.weights(); w.Total() == 0 {
		line := doc.Content[0].Line
		if n := findConfigNode(doc.Content[0], "score", "weights"); n != nil {
			line = n.Line
		}
		v.Add(fmt.Sprintf("line %d: score.weights", line), "at least one weight must be more than 0")
	}
	return cfg, v.Err()
}

// checkConfigNode checks n against the schema key k, adding a field error for every
// problem found.
func checkConfigNode(v *keeptrail.Validation, n *yaml.Node, k configKey, path string) {
	at := func(node *yaml.Node, p string) string { return fmt.Sprintf("line %d: %s", node.Line, p) }
	name := path
	if name == "" {
		name = "the file"
	}
	switch k.kind {
	case "map":
		if n.Kind != yaml.MappingNode {
			v.Add(at(n, name), "must be a mapping of keys")
			return
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			p := key.Value
			if path != "" {
				p = path + "." + key.Value
			}
			if seen[key.Value] {
				v.Add(at(key, p), "given twice")
				continue
			}
			seen[key.Value] = true
			var child *configKey
			for j := range k.keys {
				if k.keys[j].name == key.Value {
					child = &k.keys[j]
				}
			}
			if child == nil {
				known := make([]string, len(k.keys))
				for j, c := range k.keys {
					known[j] = c.name
				}
				v.Add(at(key, p), "unknown key (known: %s)", strings.Join(known, ", "))
				continue
			}
			checkConfigNode(v, val, *child, p)
		}
	case "weight":
		var f float64
		if n.Kind != yaml.ScalarNode || n.Decode(&f) != nil {
			v.Add(at(n, path), "must be a number, not %q", n.Value)
			return
		}
		if math.IsNaN(f) || f < 0 || f > 1e9 {
			v.Add(at(n, path), "must be a number from 0 to 1000000000, not %s", n.Value)
		}
	case "days", "hours":
		unit, low, high := "days", 1.0, float64(maxWindowDays)
		if k.kind == "hours" {
			unit, low, high = "hours", 0, maxGraceHours
		}
		var d float64
		if n.Kind != yaml.ScalarNode || n.Decode(&d) != nil || d != math.Trunc(d) {
			v.Add(at(n, path), "must be a whole number of %s, not %q", unit, n.Value)
			return
		}
		if d < low || d > high {
			v.Add(at(n, path), "must be from %d to %d %s, not %s", int(low), int(high), unit, n.Value)
		}
	}
}

// findConfigNode returns the value of the nested keys, or nil.
func findConfigNode(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

// weights returns the defaults with the file's weights applied.
func (c configFile) weights() compliance.Weights {
	w := compliance.DefaultWeights()
	cw := c.Score.Weights
	if cw == nil {
		return w
	}
	set := func(dst *float64, src *float64) {
		if src != nil {
			*dst = *src
		}
	}
	set(&w.PolicyCoverage, cw.PolicyCoverage)
	set(&w.EscalationSLA, cw.EscalationSLA)
	set(&w.ConfigurationCurrency, cw.ConfigurationCurrency)
	set(&w.AuditCompleteness, cw.AuditCompleteness)
	if s := cw.SecuritySettings; s != nil {
		set(&w.SSO, s.SSO)
		set(&w.MFA, s.MFA)
		set(&w.KeyRotation, s.KeyRotation)
	}
	return w
}

// window returns the score window, the default when the file sets none.
func (c configFile) window() time.Duration {
	if c.Score.WindowDays == nil {
		return compliance.DefaultWindow
	}
	return time.Duration(*c.Score.WindowDays) * 24 * time.Hour
}

// releaseGrace returns the release grace for compliance.Options: zero (the default) when
// the file sets none, negative for 0 hours (no grace).
func (c configFile) releaseGrace() time.Duration {
	switch h := c.Score.ReleaseGraceHours; {
	case h == nil:
		return 0
	case *h == 0:
		return -1
	default:
		return time.Duration(*h) * time.Hour
	}
}

// complianceService builds the compliance service of the configuration file at path.
func (a *app) complianceService(st keeptrail.Store, path string, opts compliance.Options) (*compliance.Service, error) {
	cfg, err := loadConfig(path)
	if err != nil {
		return nil, err
	}
	opts.Weights, opts.Window, opts.ReleaseGrace = cfg.weights(), cfg.window(), cfg.releaseGrace()
	if opts.Logger == nil {
		opts.Logger = a.logger()
	}
	svc, err := compliance.New(st, opts)
	if err != nil {
		var e *keeptrail.Error
		if errors.As(err, &e) {
			return nil, usageError("config %s: %s", path, oneLine(err))
		}
		return nil, err
	}
	return svc, nil
}
