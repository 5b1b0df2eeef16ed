package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/keeptrail/keeptrail"
	"github.com/keeptrail/keeptrail/compliance"
)

// UseCompliance makes the server answer the compliance endpoints with svc (its weights and
// window come from the configuration file), as Config.Compliance does. Without either they
// use a service with the default weights over Config.Store.
func (s *Server) UseCompliance(svc *compliance.Service) {
	s.complianceMu.Lock()
	defer s.complianceMu.Unlock()
	s.complianceSvc = svc
}

// compliance returns the server's compliance service, making the default one on first use.
func (s *Server) compliance() (*compliance.Service, error) {
	s.complianceMu.Lock()
	defer s.complianceMu.Unlock()
	if s.complianceSvc == nil {
		svc, err := compliance.New(s.cfg.Store, compliance.Options{Logger: s.log})
		if err != nil {
			return nil, err
		}
		s.complianceSvc = svc
	}
	return s.complianceSvc, nil
}

// checkQuery rejects query parameters other than the allowed ones, naming them.
func checkQuery(r *http.Request, allowed ...string) error {
	var v keeptrail.Validation
	names := make([]string, 0, len(r.URL.Query()))
	for name := range r.URL.Query() {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if !slices.Contains(allowed, name) {
			v.Add(name, "unknown parameter (allowed: %s)", strings.Join(allowed, ", "))
		}
	}
	return v.Err()
}

// queryTime parses an optional time query parameter: an RFC 3339 time or a date. An end
// (to, at) written as a date or to the second includes that whole day or second.
func queryTime(r *http.Request, name string, end bool) (time.Time, error) {
	q := r.URL.Query()
	if len(q[name]) > 1 {
		return time.Time{}, invalid(name, "given more than once")
	}
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	parse := compliance.ParseStart
	if end {
		parse = compliance.ParseEnd
	}
	t, err := parse(v)
	if err != nil {
		return time.Time{}, invalid(name, err.Error())
	}
	return t, nil
}

// queryNames returns every value of a repeatable name parameter (team, gateway). Names
// are not split on commas: team and gateway names may contain them.
func queryNames(r *http.Request, name string) ([]string, error) {
	vals := r.URL.Query()[name]
	for _, v := range vals {
		if v == "" {
			return nil, invalid(name, "must not be empty")
		}
	}
	return vals, nil
}

// complianceStatus serves GET /api/v1/compliance/status?from=&to=&team=&gateway=: the
// policy compliance status of the period (default: the score window before now) and
// scope (default: every team the caller may see).
func (s *Server) complianceStatus(w http.ResponseWriter, r *http.Request) error {
	if err := checkQuery(r, "from", "to", "team", "gateway"); err != nil {
		return err
	}
	var req compliance.StatusRequest
	var err error
	if req.From, err = queryTime(r, "from", false); err != nil {
		return err
	}
	if req.To, err = queryTime(r, "to", true); err != nil {
		return err
	}
	if req.Teams, err = queryNames(r, "team"); err != nil {
		return err
	}
	if req.Gateways, err = queryNames(r, "gateway"); err != nil {
		return err
	}
	svc, err := s.compliance()
	if err != nil {
		return err
	}
	st, err := svc.Status(r.Context(), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// complianceScore serves GET /api/v1/compliance/score?at=&team=: the compliance score
// at a time (default now; a date means the end of that day) over the score window before
// it; with history=1, the stored daily scores of days from..to instead
// (?history=1&from=&to=&team=).
func (s *Server) complianceScore(w http.ResponseWriter, r *http.Request) error {
	history := r.URL.Query().Get("history")
	switch history {
	case "", "0", "false":
		history = ""
	case "1", "true":
	default:
		return invalid("history", "must be 1 or 0")
	}
	svc, err := s.compliance()
	if err != nil {
		return err
	}
	if history != "" {
		if err := checkQuery(r, "history", "from", "to", "team"); err != nil {
			return err
		}
		var req compliance.HistoryRequest
		if req.From, err = queryTime(r, "from", false); err != nil {
			return err
		}
		if req.To, err = queryTime(r, "to", true); err != nil {
			return err
		}
		if req.Teams, err = queryNames(r, "team"); err != nil {
			return err
		}
		points, err := svc.History(r.Context(), req)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"history": points})
		return nil
	}
	if err := checkQuery(r, "history", "at", "team"); err != nil {
		return err
	}
	var req compliance.ScoreRequest
	q := r.URL.Query()
	if len(q["at"]) > 1 {
		return invalid("at", "given more than once")
	}
	if v := q.Get("at"); v != "" {
		if req.At, err = svc.ParseAt(v); err != nil {
			return invalid("at", err.Error())
		}
	}
	if req.Teams, err = queryNames(r, "team"); err != nil {
		return err
	}
	sc, err := svc.Score(r.Context(), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sc)
	return nil
}
