package export

import "testing"

func TestFiltersText(t *testing.T) {
	s, err := FromFlags(Flags{Type: "events", Format: "csv", Start: "2025-01-01", End: "2025-01-31",
		Gateways: []string{"gw-us-2", "gw-eu-1"}, Severity: []string{"critical", "high"}, Decisions: []string{"blocked"}}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := "teams: all; gateways: gw-eu-1, gw-us-2; severity: high, critical; decisions: blocked"
	if got := s.FiltersText(); got != want {
		t.Errorf("FiltersText() = %q, want %q", got, want)
	}
}
