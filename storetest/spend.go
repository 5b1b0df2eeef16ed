package storetest

import (
	"testing"

	keeptrail "github.com/keeptrail/keeptrail"
)

func testWallets(t *testing.T, st keeptrail.Store) {
	f := newFixture(t, st)
	ws := []keeptrail.Wallet{
		{TeamID: f.teamB.ID, Name: "bravo AI", BudgetUSD: 12500.75, CreatedAt: at(3, 8, 0)},
		{TeamID: f.teamA.ID, Name: "alpha AI"},
	}
	update(t, st, func(tx keeptrail.Tx) error {
		for i := range ws {
			if err := tx.CreateWallet(&ws[i]); err != nil {
				return err
			}
		}
		wantEqual(t, "wallet created at defaults to now", ws[1].CreatedAt, tx.Now())
		return nil
	})
	wantEqual(t, "wallet created time", ws[0].CreatedAt, stored(at(3, 8, 0)))
	entries := []keeptrail.WalletEntry{
		{WalletID: ws[0].ID, Kind: keeptrail.WalletTopUp, AmountUSD: 500.5, Actor: "cfo@acme.example", At: at(5, 9, 0), Note: "Q1 top-up"},
		{WalletID: ws[0].ID, Kind: keeptrail.WalletAllocation, AmountUSD: -120.25, Actor: "alice@acme.example", At: at(4, 9, 0)},
		{WalletID: ws[1].ID, Kind: keeptrail.WalletAllocation, AmountUSD: 10, Actor: "bob@acme.example"},
	}
	update(t, st, func(tx keeptrail.Tx) error {
		for i := range entries {
			if err := tx.CreateWalletEntry(&entries[i]); err != nil {
				return err
			}
			if entries[i].ID == 0 {
				t.Fatal("CreateWalletEntry left ID 0")
			}
		}
		wantEqual(t, "entry time defaults to now", entries[2].At, tx.Now())
		err := tx.CreateWalletEntry(&keeptrail.WalletEntry{WalletID: 777, Kind: keeptrail.WalletTopUp, Actor: "x"})
		wantErr(t, err, keeptrail.ENOTFOUND, "wallet 777 not found")
		return nil
	})
	view(t, st, func(tx keeptrail.Tx) error {
		got, err := tx.WalletByID(ws[0].ID)
		if err != nil {
			return err
		}
		wantEqual(t, "WalletByID", got, ws[0])
		_, err = tx.WalletByID(778)
		wantErr(t, err, keeptrail.ENOTFOUND, "wallet 778 not found")
		want := map[string][]keeptrail.Wallet{
			"unrestricted": ws, "A": {ws[1]}, "B": {ws[0]}, "A+B": ws, "C": nil, "none": nil, "empty": nil,
		}
		for name, scope := range f.scopes() {
			got, err := tx.Wallets(scope)
			if err != nil {
				return err
			}
			wantEqual(t, "Wallets("+name+")", got, want[name])
		}
		es, err := tx.WalletEntries(ws[0].ID)
		if err != nil {
			return err
		}
		wantEqual(t, "WalletEntries oldest first", es, []keeptrail.WalletEntry{entries[1], entries[0]})
		if es, err = tx.WalletEntries(999); err != nil {
			return err
		}
		wantEqual(t, "WalletEntries of an unknown wallet", es, []keeptrail.WalletEntry(nil))
		return nil
	})
}

func testCostTickets(t *testing.T, st keeptrail.Store) {
	f := newFixture(t, st)
	ws := []keeptrail.Wallet{{TeamID: f.teamA.ID, Name: "alpha"}, {TeamID: f.teamB.ID, Name: "bravo"}}
	update(t, st, func(tx keeptrail.Tx) error {
		for i := range ws {
			if err := tx.CreateWallet(&ws[i]); err != nil {
				return err
			}
		}
		return nil
	})
	cs := []keeptrail.CostTicket{
		{WalletID: ws[1].ID, TeamID: f.teamB.ID, Title: "over budget in March", AmountUSD: 830.4, OpenedAt: at(5, 10, 0), OpenedBy: "system:spend"},
		{WalletID: ws[0].ID, TeamID: f.teamA.ID, Title: "anomaly", AmountUSD: 12, Status: "open", OpenedAt: at(4, 10, 0), OpenedBy: "alice@acme.example"},
	}
	update(t, st, func(tx keeptrail.Tx) error {
		for i := range cs {
			if err := tx.CreateCostTicket(&cs[i]); err != nil {
				return err
			}
		}
		err := tx.CreateCostTicket(&keeptrail.CostTicket{WalletID: 4242, TeamID: f.teamA.ID, Title: "x", OpenedBy: "x"})
		wantErr(t, err, keeptrail.ENOTFOUND, "wallet 4242 not found")
		return nil
	})
	wantEqual(t, "status defaults to open", cs[0].Status, "open")
	wantEqual(t, "opened time", cs[0].OpenedAt, stored(at(5, 10, 0)))
	view(t, st, func(tx keeptrail.Tx) error {
		got, err := tx.CostTicketByID(cs[0].ID)
		if err != nil {
			return err
		}
		wantEqual(t, "CostTicketByID", got, cs[0])
		_, err = tx.CostTicketByID(9191)
		wantErr(t, err, keeptrail.ENOTFOUND, "cost ticket 9191 not found")
		want := map[string][]keeptrail.CostTicket{
			"unrestricted": {cs[1], cs[0]}, "A": {cs[1]}, "B": {cs[0]}, "A+B": {cs[1], cs[0]}, "C": nil, "none": nil, "empty": nil,
		}
		for name, scope := range f.scopes() {
			got, err := tx.CostTickets(scope)
			if err != nil {
				return err
			}
			wantEqual(t, "CostTickets("+name+")", got, want[name])
		}
		return nil
	})
	c := cs[0]
	c.Status, c.ResolvedAt, c.ResolvedBy, c.Resolution = "resolved", ptr(at(6, 11, 0)), "cfo@acme.example", "budget raised"
	c.Title = "ignored: titles are not mutable"
	update(t, st, func(tx keeptrail.Tx) error {
		if err := tx.UpdateCostTicket(&c); err != nil {
			return err
		}
		err := tx.UpdateCostTicket(&keeptrail.CostTicket{ID: 9192, Status: "resolved"})
		wantErr(t, err, keeptrail.ENOTFOUND, "cost ticket 9192 not found")
		return nil
	})
	c.Title = cs[0].Title
	wantEqual(t, "resolved time", *c.ResolvedAt, stored(at(6, 11, 0)))
	view(t, st, func(tx keeptrail.Tx) error {
		got, err := tx.CostTicketByID(c.ID)
		if err != nil {
			return err
		}
		wantEqual(t, "cost ticket after update", got, c)
		return nil
	})
}
