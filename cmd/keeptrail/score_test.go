package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail/compliance"
)

// TestStatusAndScoreCommands runs status and score on ingested events: JSON and text
// output, a team filter, and bad flags named in one line.
func TestStatusAndScoreCommands(t *testing.T) {
	f := dirs(t)
	when := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Hour).Add(10 * time.Minute).Format(time.RFC3339)
	events := strings.Join([]string{
		`{"request_id":"r-1","time":"` + when + `","gateway":"gw-pay","team":"payments","decision":"blocked","severity":"high","policies_evaluated":2,"rules_matched":["pii.ssn"]}`,
		`{"request_id":"r-2","time":"` + when + `","gateway":"gw-pay","team":"payments","decision":"allowed","severity":"low","policies_evaluated":0}`,
		`{"request_id":"r-3","time":"` + when + `","gateway":"gw-rad","team":"radiology","decision":"escalated","severity":"low","policies_evaluated":1}`,
	}, "\n") + "\n"
	if code, out, errs := cli(t, events, append([]string{"ingest", "events", "-"}, f...)...); code != 0 {
		t.Fatalf("ingest: %d %s %s", code, out, errs)
	}

	code, out, errs := cli(t, "", append([]string{"status", "--json"}, f...)...)
	if code != 0 {
		t.Fatalf("status: %d %s", code, errs)
	}
	var st compliance.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	if st.Requests != 3 || st.Blocked != 1 || st.Escalated != 1 || st.EnforcementRate.Count != 2 || st.PolicyCoverage.Of != 2 {
		t.Errorf("status: %s", out)
	}
	code, out, _ = cli(t, "", append([]string{"status", "--team", "payments"}, f...)...)
	for _, want := range []string{"Teams: payments\n", "1 of 2 requests (1 blocked, 0 escalated)", "gw-pay", "pii.ssn"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("status --team payments: missing %q in\n%s", want, out)
		}
	}

	code, out, errs = cli(t, "", append([]string{"score", "--json"}, f...)...)
	var sc compliance.Score
	if code != 0 || json.Unmarshal([]byte(out), &sc) != nil {
		t.Fatalf("score: %d %s %s", code, out, errs)
	}
	if len(sc.Components) != 5 || sc.Components[0].Counts["active_gateways"] != 2 || len(sc.Improvements) == 0 ||
		sc.Improvements[0].Change != "assign an active policy to gw-pay" {
		t.Errorf("score: %s", out)
	}
	code, out, _ = cli(t, "", append([]string{"score", "--at", time.Now().UTC().Format(time.DateOnly)}, f...)...)
	for _, want := range []string{"Compliance score ", "policy coverage", "0 of 2 active gateways have an active policy", "To raise it most:",
		"assign an active policy to gw-pay"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("score text: missing %q in\n%s", want, out)
		}
	}
	code, out, _ = cli(t, "", append([]string{"score", "--history", "--from", "2025-01-01", "--to", "2025-01-31"}, f...)...)
	if code != 0 || !strings.Contains(out, "No daily scores stored") {
		t.Errorf("score --history: %d %q", code, out)
	}

	tests := []struct {
		args []string
		want string
	}{
		{[]string{"status", "--from", "yesterday"}, "keeptrail: --from: not an RFC 3339 time such as 2025-01-01T00:00:00Z or a date such as 2025-01-01\n"},
		{[]string{"status", "--from", "2025-02-01", "--to", "2025-01-01"}, "keeptrail: --from: must be before to (2025-01-02T00:00:00Z)\n"},
		{[]string{"status", "--team", "nope"}, `keeptrail: --team: unknown team "nope"` + "\n"},
		{[]string{"score", "--at", "2999-01-01"}, "keeptrail: --at: 2999-01-02T00:00:00Z is in the future\n"},
		{[]string{"score", "--history", "--at", "2025-01-01"}, "keeptrail: --at: not with --history (use --from and --to)\n"},
		{[]string{"score", "--from", "2025-01-01"}, "keeptrail: --from and --to: only with --history (the score's period is the window before --at)\n"},
	}
	for _, tt := range tests {
		code, _, errs := cli(t, "", append(tt.args, f...)...)
		if code != 2 || errs != tt.want {
			t.Errorf("%v: %d %q\n want %q", tt.args, code, errs, tt.want)
		}
	}
}
