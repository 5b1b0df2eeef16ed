package web

import "net/http"

// walletList serves GET /api/v1/wallets.
func (s *Server) walletList(w http.ResponseWriter, r *http.Request) error {
	wallets, err := s.cfg.Engine.Wallets(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(wallets))
	return nil
}

type walletCreateRequest struct {
	Team      string  `json:"team"`
	Name      string  `json:"name"`
	BudgetUSD float64 `json:"budget_usd"`
}

// walletCreate serves POST /api/v1/wallets {"team":"payments","name":"...","budget_usd":500}.
func (s *Server) walletCreate(w http.ResponseWriter, r *http.Request) error {
	var in walletCreateRequest
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	wallet, err := s.cfg.Engine.CreateWallet(r.Context(), in.Team, in.Name, in.BudgetUSD)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, wallet)
	return nil
}

type walletEntryCreateRequest struct {
	Kind      string  `json:"kind"`
	AmountUSD float64 `json:"amount_usd"`
	Note      string  `json:"note"`
}

// walletEntryCreate serves POST /api/v1/wallets/{id}/entries
// {"kind":"top_up","amount_usd":100,"note":""}: an allocation or a top-up.
func (s *Server) walletEntryCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in walletEntryCreateRequest
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	entry, err := s.cfg.Engine.AddWalletEntry(r.Context(), id, in.Kind, in.AmountUSD, in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, entry)
	return nil
}
