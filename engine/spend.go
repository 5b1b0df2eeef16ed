package engine

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/keeptrail/keeptrail"
)

// maxAmountUSD bounds amounts of money so that sums stay exact enough in float64.
const maxAmountUSD = 1e12

// Cost ticket statuses.
const (
	costTicketOpen     = "open"
	costTicketResolved = "resolved"
)

func walletTarget(id int64) string     { return "wallet:" + strconv.FormatInt(id, 10) }
func costTicketTarget(id int64) string { return "cost_ticket:" + strconv.FormatInt(id, 10) }

// amountProblem returns why a USD amount is not acceptable, or "". positive requires > 0,
// otherwise >= 0.
func amountProblem(x float64, positive bool) string {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return "must be a number"
	case positive && x <= 0:
		return "must be greater than 0"
	case x < 0:
		return "must not be negative"
	case x > maxAmountUSD:
		return fmt.Sprintf("must be at most %g", maxAmountUSD)
	}
	return ""
}

// Wallets lists the wallets of the teams the caller may see. It needs the read permission.
func (e *Engine) Wallets(ctx context.Context) ([]keeptrail.Wallet, error) {
	p, err := e.authorize(ctx, keeptrail.ActRead, opWalletsRead, "")
	if err != nil {
		return nil, err
	}
	var ws []keeptrail.Wallet
	err = e.st.View(ctx, func(tx keeptrail.Tx) error {
		ws, err = tx.Wallets(p.Scope())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("engine: list wallets: %w", err)
	}
	return ws, nil
}

// CreateWallet adds a spend wallet to a team (named). It needs the manage permission and
// the team in scope; an unknown team is EINVALID naming "team". Recorded as
// wallet.created.
func (e *Engine) CreateWallet(ctx context.Context, team, name string, budgetUSD float64) (keeptrail.Wallet, error) {
	p, err := e.authorize(ctx, keeptrail.ActManage, opWalletCreated, "")
	if err != nil {
		return keeptrail.Wallet{}, err
	}
	var v keeptrail.Validation
	if team == "" {
		v.Add("team", "is required")
	}
	if msg := textProblem(name, true, maxNameLength); msg != "" {
		v.Add("name", "%s", msg)
	}
	if msg := amountProblem(budgetUSD, false); msg != "" {
		v.Add("budget_usd", "%s", msg)
	}
	var w keeptrail.Wallet
	err = e.update(ctx, p, func(tx keeptrail.Tx) error {
		v := v // fn may run again
		var t keeptrail.Team
		if team != "" {
			var err error
			t, err = tx.TeamByName(team)
			if keeptrail.ErrorCode(err) == keeptrail.ENOTFOUND {
				v.Add("team", "unknown team %q", team)
			} else if err != nil {
				return fmt.Errorf("engine: load team: %w", err)
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := denyTeam(p, opWalletCreated, "", t.ID, t.Name); err != nil {
			return err
		}
		w = keeptrail.Wallet{TeamID: t.ID, Name: strings.TrimSpace(name), BudgetUSD: budgetUSD, CreatedAt: e.clock()}
		if err := tx.CreateWallet(&w); err != nil {
			return fmt.Errorf("engine: create wallet: %w", err)
		}
		return record(tx, p, opWalletCreated, walletTarget(w.ID), teamRef(t.ID),
			map[string]any{"name": w.Name, "team": t.Name, "budget_usd": w.BudgetUSD})
	})
	if err != nil {
		return keeptrail.Wallet{}, err
	}
	return w, nil
}

// loadWallet reads a wallet for an action o, checking its team is in scope.
func loadWallet(tx keeptrail.Tx, p *keeptrail.Principal, o op, id int64) (keeptrail.Wallet, keeptrail.Team, error) {
	w, err := tx.WalletByID(id)
	if err != nil {
		return w, keeptrail.Team{}, lookupErr(err, "wallet %d", id)
	}
	t, err := tx.TeamByID(w.TeamID)
	if err != nil {
		return w, t, fmt.Errorf("engine: load wallet team: %w", err)
	}
	return w, t, denyTeam(p, o, walletTarget(id), t.ID, t.Name)
}

// AddWalletEntry records an allocation to or a top-up of a wallet. kind is "allocation"
// or "top_up" and the amount must be greater than 0. It needs the manage permission and
// the wallet's team in scope. Recorded as wallet.allocation or wallet.top_up.
func (e *Engine) AddWalletEntry(ctx context.Context, walletID int64, kind string, amountUSD float64, note string) (keeptrail.WalletEntry, error) {
	o := opWalletAllocation
	if kind == keeptrail.WalletTopUp {
		o = opWalletTopUp
	}
	p, err := e.authorize(ctx, keeptrail.ActManage, o, walletTarget(walletID))
	if err != nil {
		return keeptrail.WalletEntry{}, err
	}
	var v keeptrail.Validation
	if kind != keeptrail.WalletAllocation && kind != keeptrail.WalletTopUp {
		v.Add("kind", "must be allocation or top_up")
	}
	if msg := amountProblem(amountUSD, true); msg != "" {
		v.Add("amount_usd", "%s", msg)
	}
	if len(note) > maxChangeSummaryLength {
		v.Add("note", "must be at most %d bytes", maxChangeSummaryLength)
	}
	if err := v.Err(); err != nil {
		return keeptrail.WalletEntry{}, err
	}
	var we keeptrail.WalletEntry
	err = e.update(ctx, p, func(tx keeptrail.Tx) error {
		_, t, err := loadWallet(tx, p, o, walletID)
		if err != nil {
			return err
		}
		we = keeptrail.WalletEntry{WalletID: walletID, Kind: kind, AmountUSD: amountUSD, Actor: p.Name,
			At: e.clock(), Note: strings.TrimSpace(note)}
		if err := tx.CreateWalletEntry(&we); err != nil {
			return fmt.Errorf("engine: create wallet entry: %w", err)
		}
		details := map[string]any{"amount_usd": amountUSD}
		if we.Note != "" {
			details["note"] = we.Note
		}
		return record(tx, p, o, walletTarget(walletID), teamRef(t.ID), details)
	})
	if err != nil {
		return keeptrail.WalletEntry{}, err
	}
	return we, nil
}

// CostTickets lists the cost tickets of the teams the caller may see. It needs the read
// permission.
func (e *Engine) CostTickets(ctx context.Context) ([]keeptrail.CostTicket, error) {
	p, err := e.authorize(ctx, keeptrail.ActRead, opCostTicketsRead, "")
	if err != nil {
		return nil, err
	}
	var cs []keeptrail.CostTicket
	err = e.st.View(ctx, func(tx keeptrail.Tx) error {
		cs, err = tx.CostTickets(p.Scope())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("engine: list cost tickets: %w", err)
	}
	return cs, nil
}

// OpenCostTicket opens a cost ticket on a wallet (over budget, an anomaly) for a decision.
// It needs the manage permission and the wallet's team in scope. Recorded as
// cost_ticket.opened.
func (e *Engine) OpenCostTicket(ctx context.Context, walletID int64, title string, amountUSD float64) (keeptrail.CostTicket, error) {
	p, err := e.authorize(ctx, keeptrail.ActManage, opCostTicketOpened, walletTarget(walletID))
	if err != nil {
		return keeptrail.CostTicket{}, err
	}
	var v keeptrail.Validation
	if msg := textProblem(title, true, maxNameLength); msg != "" {
		v.Add("title", "%s", msg)
	}
	if msg := amountProblem(amountUSD, false); msg != "" {
		v.Add("amount_usd", "%s", msg)
	}
	if err := v.Err(); err != nil {
		return keeptrail.CostTicket{}, err
	}
	var c keeptrail.CostTicket
	err = e.update(ctx, p, func(tx keeptrail.Tx) error {
		w, t, err := loadWallet(tx, p, opCostTicketOpened, walletID)
		if err != nil {
			return err
		}
		c = keeptrail.CostTicket{WalletID: w.ID, TeamID: t.ID, Title: strings.TrimSpace(title), AmountUSD: amountUSD,
			Status: costTicketOpen, OpenedAt: e.clock(), OpenedBy: p.Name}
		if err := tx.CreateCostTicket(&c); err != nil {
			return fmt.Errorf("engine: create cost ticket: %w", err)
		}
		return record(tx, p, opCostTicketOpened, costTicketTarget(c.ID), teamRef(t.ID),
			map[string]any{"wallet": walletTarget(w.ID), "title": c.Title, "amount_usd": c.AmountUSD})
	})
	if err != nil {
		return keeptrail.CostTicket{}, err
	}
	return c, nil
}

// ResolveCostTicket resolves an open cost ticket with a resolution text. It needs the
// manage permission and the ticket's team in scope; a resolved ticket is ECONFLICT.
// Recorded as cost_ticket.resolved.
func (e *Engine) ResolveCostTicket(ctx context.Context, id int64, resolution string) (keeptrail.CostTicket, error) {
	target := costTicketTarget(id)
	p, err := e.authorize(ctx, keeptrail.ActManage, opCostTicketResolved, target)
	if err != nil {
		return keeptrail.CostTicket{}, err
	}
	var v keeptrail.Validation
	if strings.TrimSpace(resolution) == "" {
		v.Add("resolution", "is required")
	} else if len(resolution) > maxChangeSummaryLength {
		v.Add("resolution", "must be at most %d bytes", maxChangeSummaryLength)
	}
	if err := v.Err(); err != nil {
		return keeptrail.CostTicket{}, err
	}
	var c keeptrail.CostTicket
	err = e.update(ctx, p, func(tx keeptrail.Tx) error {
		var err error
		if c, err = tx.CostTicketByID(id); err != nil {
			return lookupErr(err, "cost ticket %d", id)
		}
		t, err := tx.TeamByID(c.TeamID)
		if err != nil {
			return fmt.Errorf("engine: load cost ticket team: %w", err)
		}
		if err := denyTeam(p, opCostTicketResolved, target, t.ID, t.Name); err != nil {
			return err
		}
		if c.Status != costTicketOpen {
			return keeptrail.Errorf(keeptrail.ECONFLICT, "cost ticket %d is %s; only open cost tickets can be resolved", id, c.Status)
		}
		now := e.clock()
		c.Status, c.ResolvedAt, c.ResolvedBy, c.Resolution = costTicketResolved, &now, p.Name, strings.TrimSpace(resolution)
		if err := tx.UpdateCostTicket(&c); err != nil {
			return fmt.Errorf("engine: resolve cost ticket: %w", err)
		}
		return record(tx, p, opCostTicketResolved, target, teamRef(t.ID),
			map[string]any{"status": map[string]string{"before": costTicketOpen, "after": costTicketResolved},
				"resolution": c.Resolution})
	})
	if err != nil {
		return keeptrail.CostTicket{}, err
	}
	return c, nil
}
