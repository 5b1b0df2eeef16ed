package sqlstore

import (
	"database/sql"
	"fmt"

	keeptrail "github.com/keeptrail/keeptrail"
)

const walletColumns = "id, team_id, name, budget_usd, created_at"

func scanWallet(s scanner) (keeptrail.Wallet, error) {
	var w keeptrail.Wallet
	var created int64
	if err := s.Scan(&w.ID, &w.TeamID, &w.Name, &w.BudgetUSD, &created); err != nil {
		return w, err
	}
	w.CreatedAt = fromMicros(created)
	return w, nil
}

// CreateWallet inserts w and sets its ID; CreatedAt defaults to the transaction's time.
func (t *tx) CreateWallet(w *keeptrail.Wallet) error {
	w.CreatedAt = t.orNow(w.CreatedAt)
	err := t.queryRow("INSERT INTO wallets (team_id, name, budget_usd, created_at) VALUES (?, ?, ?, ?) RETURNING id",
		w.TeamID, w.Name, w.BudgetUSD, micros(w.CreatedAt)).Scan(&w.ID)
	if err != nil {
		return writeErr(err, "insert wallet", "wallet", w.Name)
	}
	return nil
}

// WalletByID returns the wallet with the id; ENOTFOUND if there is none.
func (t *tx) WalletByID(id int64) (keeptrail.Wallet, error) {
	w, err := scanWallet(t.queryRow("SELECT "+walletColumns+" FROM wallets WHERE id = ?", id))
	if err != nil {
		return w, rowErr(err, "select wallet", "wallet", id)
	}
	return w, nil
}

// Wallets lists the wallets of teams in scope, oldest first.
func (t *tx) Wallets(scope keeptrail.TeamScope) ([]keeptrail.Wallet, error) {
	if scopeEmpty(scope) {
		return nil, nil
	}
	where, args := scopeFilter("team_id", scope)
	q := "SELECT " + walletColumns + " FROM wallets"
	if where != "" {
		q += " WHERE " + where
	}
	return queryAll(t, "wallets", scanWallet, q+" ORDER BY id", args...)
}

const walletEntryColumns = "id, wallet_id, kind, amount_usd, actor, at, note"

func scanWalletEntry(s scanner) (keeptrail.WalletEntry, error) {
	var e keeptrail.WalletEntry
	var at int64
	if err := s.Scan(&e.ID, &e.WalletID, &e.Kind, &e.AmountUSD, &e.Actor, &at, &e.Note); err != nil {
		return e, err
	}
	e.At = fromMicros(at)
	return e, nil
}

// CreateWalletEntry inserts e and sets its ID; At defaults to the transaction's time.
// ENOTFOUND if the wallet does not exist.
func (t *tx) CreateWalletEntry(e *keeptrail.WalletEntry) error {
	if _, err := t.WalletByID(e.WalletID); err != nil {
		return err
	}
	e.At = t.orNow(e.At)
	err := t.queryRow("INSERT INTO wallet_entries (wallet_id, kind, amount_usd, actor, at, note) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
		e.WalletID, e.Kind, e.AmountUSD, e.Actor, micros(e.At), e.Note).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("insert wallet entry: %w", err)
	}
	return nil
}

// WalletEntries lists the entries of a wallet, oldest first.
func (t *tx) WalletEntries(walletID int64) ([]keeptrail.WalletEntry, error) {
	return queryAll(t, "wallet entries", scanWalletEntry,
		"SELECT "+walletEntryColumns+" FROM wallet_entries WHERE wallet_id = ? ORDER BY at, id", walletID)
}

const costTicketColumns = "id, wallet_id, team_id, title, amount_usd, status, opened_at, opened_by, resolved_at, resolved_by, resolution"

func scanCostTicket(s scanner) (keeptrail.CostTicket, error) {
	var c keeptrail.CostTicket
	var opened int64
	var resolved sql.NullInt64
	if err := s.Scan(&c.ID, &c.WalletID, &c.TeamID, &c.Title, &c.AmountUSD, &c.Status, &opened, &c.OpenedBy, &resolved,
		&c.ResolvedBy, &c.Resolution); err != nil {
		return c, err
	}
	c.OpenedAt = fromMicros(opened)
	c.ResolvedAt = timePtr(resolved)
	return c, nil
}

// CreateCostTicket inserts c and sets its ID; OpenedAt defaults to the transaction's time
// and Status to "open". ENOTFOUND if the wallet does not exist.
func (t *tx) CreateCostTicket(c *keeptrail.CostTicket) error {
	if _, err := t.WalletByID(c.WalletID); err != nil {
		return err
	}
	c.OpenedAt = t.orNow(c.OpenedAt)
	c.ResolvedAt = truncPtr(c.ResolvedAt)
	if c.Status == "" {
		c.Status = "open"
	}
	err := t.queryRow(`INSERT INTO cost_tickets (wallet_id, team_id, title, amount_usd, status, opened_at, opened_by, resolved_at, resolved_by, resolution)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.WalletID, c.TeamID, c.Title, c.AmountUSD, c.Status, micros(c.OpenedAt), c.OpenedBy, nullMicros(c.ResolvedAt),
		c.ResolvedBy, c.Resolution).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("insert cost ticket: %w", err)
	}
	return nil
}

// CostTicketByID returns the cost ticket with the id; ENOTFOUND if there is none.
func (t *tx) CostTicketByID(id int64) (keeptrail.CostTicket, error) {
	c, err := scanCostTicket(t.queryRow("SELECT "+costTicketColumns+" FROM cost_tickets WHERE id = ?", id))
	if err != nil {
		return c, rowErr(err, "select cost ticket", "cost ticket", id)
	}
	return c, nil
}

// CostTickets lists the cost tickets of teams in scope, oldest first.
func (t *tx) CostTickets(scope keeptrail.TeamScope) ([]keeptrail.CostTicket, error) {
	if scopeEmpty(scope) {
		return nil, nil
	}
	where, args := scopeFilter("team_id", scope)
	q := "SELECT " + costTicketColumns + " FROM cost_tickets"
	if where != "" {
		q += " WHERE " + where
	}
	return queryAll(t, "cost tickets", scanCostTicket, q+" ORDER BY opened_at, id", args...)
}

// UpdateCostTicket writes status, resolved at/by and resolution; ENOTFOUND if the ticket
// does not exist.
func (t *tx) UpdateCostTicket(c *keeptrail.CostTicket) error {
	c.ResolvedAt = truncPtr(c.ResolvedAt)
	res, err := t.exec("UPDATE cost_tickets SET status = ?, resolved_at = ?, resolved_by = ?, resolution = ? WHERE id = ?",
		c.Status, nullMicros(c.ResolvedAt), c.ResolvedBy, c.Resolution, c.ID)
	if err != nil {
		return fmt.Errorf("update cost ticket: %w", err)
	}
	return mustAffect(res, "update cost ticket", "cost ticket", c.ID)
}
