package evidence_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/evidence"
	"github.com/keeptrail/keeptrail/internal/testtool"
)

// testPackageUnderIngest packages while decision events of the period are stored
// concurrently: in every bundle the events summary's population, the policy compliance
// status (requests, blocked, escalated), and the report's overview agree, because they
// read one snapshot. It stores events, so it runs after the checks of fixed data.
func testPackageUnderIngest(t *testing.T, fx *packageFixture) {
	pdftotext := testtool.Require(t, "pdftotext")
	var gws []keeptrail.Gateway
	if err := fx.db.View(context.Background(), func(tx keeptrail.Tx) error {
		var err error
		gws, err = tx.Gateways(keeptrail.TeamScope{})
		return err
	}); err != nil || len(gws) == 0 {
		t.Fatalf("gateways %d: %v", len(gws), err)
	}
	var stop atomic.Bool
	var stored atomic.Int64
	var wg sync.WaitGroup
	var ingestErr error
	wg.Go(func() {
		for n := 0; !stop.Load(); n++ {
			events := make([]keeptrail.DecisionEvent, 5)
			for i := range events {
				k := n*len(events) + i
				g := gws[k%len(gws)]
				d := []keeptrail.Decision{keeptrail.DecisionAllowed, keeptrail.DecisionBlocked, keeptrail.DecisionEscalated}[k%3]
				events[i] = keeptrail.DecisionEvent{RequestID: fmt.Sprintf("concurrent-%d", k), GatewayID: g.ID, TeamID: g.TeamID,
					Time: pkgFrom.Add(time.Duration(k%(13*24*60)) * time.Minute), Decision: d, Severity: keeptrail.SeverityMedium,
					PoliciesEvaluated: 1, RulesMatched: []string{"pii.ssn"}}
			}
			if err := fx.db.Update(context.Background(), func(tx keeptrail.Tx) error {
				_, err := tx.InsertEvents(events)
				return err
			}); err != nil {
				ingestErr = err
				return
			}
			stored.Add(int64(len(events)))
		}
	})
	populations := map[int64]bool{}
	// At least three packages, and more (up to eight) until two saw different data.
	for i := 0; i < 8 && !t.Failed() && (i < 3 || len(populations) < 2); i++ {
		bundle, m := fx.write(t, "soc2")
		var population int64 = -1
		for _, q := range m.Queries {
			if q.Name == "events_summary" {
				population = q.Population
			}
		}
		populations[population] = true
		if a := m.AuditLog; a == nil || a.ChainCheck.CheckedTo < a.LastSeq {
			t.Errorf("package %d: the chain check does not cover the audit log file: %+v", i, a)
		}
		var status struct{ Requests, Blocked, Escalated int64 }
		if err := json.Unmarshal(member(t, bundle, evidence.FilePolicyStatus), &status); err != nil {
			t.Fatal(err)
		}
		if status.Requests != population {
			t.Errorf("package %d: events_summary population %d, policy compliance status %d requests", i, population, status.Requests)
		}
		file := filepath.Join(t.TempDir(), "report.pdf")
		if err := os.WriteFile(file, member(t, bundle, evidence.ReportPath), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(pdftotext, file, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(string(out)), " ")
		mm := regexp.MustCompile(`([\d,]+) decision events were recorded in the period: ([\d,]+) blocked and ([\d,]+) escalated`).FindStringSubmatch(text)
		if mm == nil {
			t.Fatalf("package %d: the overview's figures are not in the report", i)
		}
		figures := make([]int64, 3)
		for j := range figures {
			figures[j], _ = strconv.ParseInt(strings.ReplaceAll(mm[j+1], ",", ""), 10, 64)
		}
		if want := []int64{status.Requests, status.Blocked, status.Escalated}; figures[0] != want[0] || figures[1] != want[1] || figures[2] != want[2] {
			t.Errorf("package %d: report says %v (requests, blocked, escalated), the status %v", i, figures, want)
		}
	}
	stop.Store(true)
	wg.Wait()
	if ingestErr != nil {
		t.Fatal(ingestErr)
	}
	if stored.Load() == 0 || len(populations) < 2 {
		t.Errorf("%d events stored while packaging, populations seen %v: the packages did not overlap the ingest", stored.Load(), populations)
	}
}
