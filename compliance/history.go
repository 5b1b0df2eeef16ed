package compliance

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/keeptrail/keeptrail"
)

// Snapshots are kept for closed UTC days: the day's score is the score at the next
// midnight UTC, over the window that ends then. UTC, not the organization's time zone,
// because the rollups are kept by UTC hour and day, and a day of 23 or 25 hours would
// make days incomparable.

// MaxCatchUpDays bounds how many missed days the snapshot job fills in at once.
const MaxCatchUpDays = 366

// HistoryRequest asks for the daily scores of days in [From, To) (zero To: today; zero
// From: the score window before To), of the organization or, with Teams, of those teams.
type HistoryRequest struct {
	From, To time.Time
	Teams    []string
}

// HistoryPoint is the stored score of one day and team ("" is the organization).
type HistoryPoint struct {
	Day        time.Time        `json:"day"`
	Team       string           `json:"team,omitempty"`
	Score      float64          `json:"score"`
	Components []ComponentPoint `json:"components"`
}

// ComponentPoint is a component of a stored score.
type ComponentPoint struct {
	Name   string  `json:"name"`
	Ratio  float64 `json:"ratio"`
	Points float64 `json:"points"`
}

// History returns the stored daily scores, oldest first: the organization's, or with Teams
// those of each team named. A caller limited to some teams never sees the organization's:
// asking for no team gives it the history of each of its own teams.
func (s *Service) History(ctx context.Context, req HistoryRequest) ([]HistoryPoint, error) {
	const action = "compliance.history_read"
	p, err := s.authorize(ctx, action)
	if err != nil {
		return nil, err
	}
	today := floorDay(s.clock())
	to := req.To
	if to.IsZero() {
		to = today.Add(24 * time.Hour)
	}
	period, err := s.period(req.From, to, today)
	if err != nil {
		return nil, err
	}
	var out []HistoryPoint
	err = s.view(ctx, p, action, func(tx keeptrail.Tx) error {
		st, err := readState(tx)
		if err != nil {
			return err
		}
		sc, err := resolveScope(st, p, req.Teams, nil)
		if err != nil {
			return err
		}
		teamIDs := []int64{0}
		if len(sc.askedTeams) > 0 || !sc.teams.Unrestricted() {
			teamIDs = sc.teamIDs(st)
		}
		snaps, err := tx.ComplianceSnapshots(floorDay(period.From), period.To, teamIDs)
		if err != nil {
			return err
		}
		for _, sn := range snaps {
			var body Score
			if err := json.Unmarshal(sn.Body, &body); err != nil {
				return fmt.Errorf("compliance: decode the snapshot of %s: %w", sn.Day.Format(time.DateOnly), err)
			}
			pt := HistoryPoint{Day: sn.Day, Score: sn.Score, Components: []ComponentPoint{}}
			if sn.TeamID != 0 {
				pt.Team = st.teamName(sn.TeamID)
			}
			for _, c := range body.Components {
				pt.Components = append(pt.Components, ComponentPoint{Name: c.Name, Ratio: c.Ratio, Points: c.Points})
			}
			out = append(out, pt)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []HistoryPoint{}
	}
	return out, nil
}

// Snapshot stores the scores of a closed UTC day: the organization's and each team's,
// unless already stored (by this replica or another). It returns how many it stored.
func (s *Service) Snapshot(ctx context.Context, day time.Time) (int, error) {
	day = floorDay(day)
	now := s.clock()
	at := day.Add(24 * time.Hour)
	if at.After(now) {
		return 0, keeptrail.Errorf(keeptrail.EINVALID, "day %s is not over yet", day.Format(time.DateOnly))
	}
	if err := s.ensureRollups(ctx); err != nil {
		return 0, err
	}
	if err := s.settleEscalations(ctx, now); err != nil {
		return 0, err
	}
	chain, err := s.auditChain(ctx)
	if err != nil {
		return 0, err
	}
	period := Period{From: at.Add(-s.window), To: at}
	var snaps []keeptrail.ComplianceSnapshot
	err = s.st.View(ctx, func(tx keeptrail.Tx) error {
		st, err := readState(tx)
		if err != nil {
			return err
		}
		scopes := []struct {
			team int64
			sc   scope
		}{{0, scope{}}}
		for _, t := range st.teams {
			scopes = append(scopes, struct {
				team int64
				sc   scope
			}{t.ID, scope{teams: keeptrail.TeamScope{TeamIDs: []int64{t.ID}}, askedTeams: []int64{t.ID}}})
		}
		for _, x := range scopes {
			sc, err := s.score(ctx, tx, st, x.sc, period, now, chain)
			if err != nil {
				return err
			}
			body, err := json.Marshal(sc)
			if err != nil {
				return fmt.Errorf("compliance: encode the score: %w", err)
			}
			snaps = append(snaps, keeptrail.ComplianceSnapshot{Day: day, TeamID: x.team, Score: sc.Score, Body: body})
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	stored := 0
	err = s.st.Update(ctx, func(tx keeptrail.Tx) error {
		stored = 0
		for i := range snaps {
			created, err := tx.PutComplianceSnapshot(&snaps[i])
			if err != nil {
				return err
			}
			if created {
				stored++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("compliance: store the snapshots of %s: %w", day.Format(time.DateOnly), err)
	}
	return stored, nil
}

// CatchUp stores the snapshots of every closed day since the last one (at most
// MaxCatchUpDays): after downtime, the days missed are filled in. With no snapshot yet,
// it starts at the first day with gateway activity. It first runs the full audit log
// verification when there is a day to store. It returns the days it stored.
func (s *Service) CatchUp(ctx context.Context) (int, error) {
	now := s.clock()
	last := floorDay(now).Add(-24 * time.Hour) // the last closed day
	var start time.Time
	err := s.st.View(ctx, func(tx keeptrail.Tx) error {
		latest, ok, err := tx.LatestComplianceSnapshotDay()
		if err != nil {
			return err
		}
		if ok {
			start = latest.Add(24 * time.Hour)
			return nil
		}
		first, err := tx.ComplianceFirstActivity(now)
		if err != nil {
			return err
		}
		start = last
		for _, f := range first {
			if d := floorDay(f); d.Before(start) {
				start = d
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("compliance: find the days to snapshot: %w", err)
	}
	if earliest := last.Add(-(MaxCatchUpDays - 1) * 24 * time.Hour); start.Before(earliest) {
		start = earliest
	}
	if start.After(last) {
		return 0, nil
	}
	if _, err := s.VerifyAuditLog(ctx); err != nil {
		return 0, err
	}
	days := 0
	for d := start; !d.After(last); d = d.Add(24 * time.Hour) {
		if _, err := s.Snapshot(ctx, d); err != nil {
			return days, err
		}
		days++
	}
	return days, nil
}

// RunSnapshots runs CatchUp at once and then every interval (15 minutes when every <= 0)
// until ctx ends. Failures are logged and retried at the next tick.
func (s *Service) RunSnapshots(ctx context.Context, every time.Duration, log *slog.Logger) {
	if every <= 0 {
		every = 15 * time.Minute
	}
	if log == nil {
		log = s.log
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.CatchUp(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Error("compliance snapshots", "err", err)
		} else if n > 0 {
			log.Info("compliance snapshots stored", "days", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
