package web

import "net/http"

// costTicketList serves GET /api/v1/cost-tickets.
func (s *Server) costTicketList(w http.ResponseWriter, r *http.Request) error {
	tickets, err := s.cfg.Engine.CostTickets(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(tickets))
	return nil
}

type costTicketCreateRequest struct {
	WalletID  int64   `json:"wallet_id"`
	Title     string  `json:"title"`
	AmountUSD float64 `json:"amount_usd"`
}

// costTicketCreate serves POST /api/v1/cost-tickets {"wallet_id":1,"title":"...","amount_usd":120}.
func (s *Server) costTicketCreate(w http.ResponseWriter, r *http.Request) error {
	var in costTicketCreateRequest
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	ticket, err := s.cfg.Engine.OpenCostTicket(r.Context(), in.WalletID, in.Title, in.AmountUSD)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, ticket)
	return nil
}

type costTicketResolveRequest struct {
	Resolution string `json:"resolution"`
}

// costTicketResolve serves POST /api/v1/cost-tickets/{id}/resolve {"resolution":"..."}.
func (s *Server) costTicketResolve(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in costTicketResolveRequest
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	ticket, err := s.cfg.Engine.ResolveCostTicket(r.Context(), id, in.Resolution)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ticket)
	return nil
}
