package main

import (
	"os"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail/compliance"
)

func TestParseConfig(t *testing.T) {
	full := `
score:
  window_days: 7
  release_grace_hours: 0
  weights:
    policy_coverage: 40
    escalation_sla: 20
    configuration_currency: 10
    security_settings:
      sso: 0
      mfa: 15
      key_rotation: 5
    audit_completeness: 10
`
	cfg, err := parseConfig([]byte(full))
	if err != nil {
		t.Fatal(err)
	}
	want := compliance.Weights{PolicyCoverage: 40, EscalationSLA: 20, ConfigurationCurrency: 10, SSO: 0, MFA: 15, KeyRotation: 5, AuditCompleteness: 10}
	if cfg.weights() != want || cfg.window() != 7*24*time.Hour || cfg.releaseGrace() >= 0 {
		t.Errorf("full file: weights %+v, window %v, grace %v", cfg.weights(), cfg.window(), cfg.releaseGrace())
	}

	// Keys left out keep their defaults; an empty file is all defaults.
	cfg, err = parseConfig([]byte("score:\n  weights:\n    security_settings:\n      mfa: 30\n"))
	if err != nil {
		t.Fatal(err)
	}
	want = compliance.DefaultWeights()
	want.MFA = 30
	if cfg.weights() != want || cfg.window() != compliance.DefaultWindow || cfg.releaseGrace() != 0 {
		t.Errorf("partial file: %+v, %v, %v", cfg.weights(), cfg.window(), cfg.releaseGrace())
	}
	for _, empty := range []string{"", "# nothing\n"} {
		cfg, err = parseConfig([]byte(empty))
		if err != nil || cfg.weights() != compliance.DefaultWeights() {
			t.Errorf("empty file %q: %+v, %v", empty, cfg.weights(), err)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown key", "score:\n  weights:\n    polcy_coverage: 20\n",
			"line 3: score.weights.polcy_coverage: unknown key (known: policy_coverage, escalation_sla, configuration_currency, security_settings, audit_completeness)"},
		{"unknown section", "scores: {}\n", "line 1: scores: unknown key (known: score)"},
		{"negative and not a number", "score:\n  weights:\n    policy_coverage: -5\n    security_settings:\n      mfa: ten\n",
			"line 3: score.weights.policy_coverage: must be a number from 0 to 1000000000, not -5; line 5: score.weights.security_settings.mfa: must be a number, not \"ten\""},
		{"not a number at all", "score:\n  weights:\n    security_settings:\n      sso: [1]\n", `line 4: score.weights.security_settings.sso: must be a number, not ""`},
		{"all zero", "score:\n  weights:\n    policy_coverage: 0\n    escalation_sla: 0\n    configuration_currency: 0\n    security_settings: {sso: 0, mfa: 0, key_rotation: 0}\n    audit_completeness: 0\n",
			"line 3: score.weights: at least one weight must be more than 0"},
		{"window", "score:\n  window_days: 0\n", "line 2: score.window_days: must be from 1 to 3660 days, not 0"},
		{"grace", "score:\n  release_grace_hours: 721\n", "line 2: score.release_grace_hours: must be from 0 to 720 hours, not 721"},
		{"window not whole", "score:\n  window_days: 1.5\n", `line 2: score.window_days: must be a whole number of days, not "1.5"`},
		{"twice", "score:\n  window_days: 3\n  window_days: 4\n", "line 3: score.window_days: given twice"},
		{"not a mapping", "- score\n", "line 1: the file: must be a mapping of keys"},
		{"infinite", "score:\n  weights:\n    security_settings: {sso: .inf}\n", "line 3: score.weights.security_settings.sso: must be a number from 0 to 1000000000, not .inf"},
		{"syntax", "score:\n  weights: [\n", "line 2: did not find expected node content"},
	}
	for _, tt := range tests {
		_, err := parseConfig([]byte(tt.yaml))
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: error %v\n want %s", tt.name, err, tt.want)
		}
	}
}

func TestConfigFileFlag(t *testing.T) {
	f := dirs(t)
	dir := t.TempDir()
	bad := dir + "/bad.yaml"
	if err := writeFile(bad, "score:\n  weights:\n    security_settings:\n      sso: -1\n"); err != nil {
		t.Fatal(err)
	}
	code, _, errs := cli(t, "", append([]string{"score", "--config", bad}, f...)...)
	want := "keeptrail: config " + bad + ": line 4: score.weights.security_settings.sso: must be a number from 0 to 1000000000, not -1\n"
	if code != 2 || errs != want {
		t.Errorf("bad config: %d %q\n want %q", code, errs, want)
	}
	t.Setenv("KEEPTRAIL_CONFIG", dir+"/missing.yaml")
	code, _, errs = cli(t, "", append([]string{"status"}, f...)...)
	if code != 2 || errs != "keeptrail: --config: open "+dir+"/missing.yaml: no such file or directory\n" {
		t.Errorf("missing config from the environment: %d %q", code, errs)
	}
}

// FuzzParseConfig checks that no configuration file makes the parser panic, and that a
// file it accepts gives valid weights.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{"", "score:\n  window_days: 7\n", "score:\n  weights:\n    sso: 1e3\n", "score: [1, {a: b}]\n",
		"score:\n  weights:\n    security_settings: {sso: .nan}\n", "&a [*a]", "score: !!binary abc\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cfg, err := parseConfig([]byte(s))
		if err != nil {
			return
		}
		if err := cfg.weights().Validate(""); err != nil {
			t.Errorf("accepted %q with invalid weights: %v", s, err)
		}
		if w := cfg.window(); w < 24*time.Hour || w > maxWindowDays*24*time.Hour {
			t.Errorf("accepted %q with window %v", s, w)
		}
	})
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }
