//! The SPV's accounts, the cash ledger and the payment-date waterfall (SPEC §9, seed 002).
//!
//! Owns: the three SPV accounts (operating, lock-up, DSRA), the ledger that records every
//! movement source → destination, and one run of the ordered waterfall on a payment date.
//! Must not: decide defaults or covenants (that is `path`), or know the market.
//!
//! Waterfall steps (order from `waterfall.order`; revenue and swap receipts have already
//! accumulated in the operating account):
//! - `opex`: power + fixed opex accrued since the last waterfall, paid from operating cash, then
//!   lock-up, then DSRA (the payment-default test treats the three as one pool);
//! - `debt_service`: interest, then principal; paid from operating cash, shortfall drawn from the
//!   lock-up account, then the DSRA;
//! - `swap_payment`: the SPV's swap payables, from operating cash only: to the original trader
//!   (or its estate after a default) and to a replacement trader, pro rata when cash is short;
//!   any unpaid rest carries forward;
//! - `dsra_top_up`: operating cash into the DSRA up to its target; a DSRA above target releases
//!   the excess to operating cash;
//! - `equity`: all operating cash to equity, together with any lock-up balance, unless a cash
//!   trap is active: then operating cash moves to the lock-up account instead.
//!
//! **Invariant**: for every account, balance = Σ in − Σ out of the ledger; money only enters from
//! and leaves to the external parties of [`Party`].

use crate::scenario::WaterfallStep;

/// Every place money can be: the SPV's three accounts and the external parties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Party {
    /// SPV operating (sweep) account, controlled by the lender.
    Operating = 0,
    /// Lock-up account: cash trapped by a covenant breach.
    LockUp = 1,
    /// Debt service reserve account.
    Dsra = 2,
    /// Compute customers (source of realized revenue).
    Customers = 3,
    /// Power, colocation, staff (destination of opex).
    Suppliers = 4,
    /// The lender (interest, principal, recoveries).
    Lender = 5,
    /// The original swap counterparty (its estate after its default).
    Trader = 6,
    /// The operator's equity (initial funding, distributions).
    Equity = 7,
    /// Buyers of the liquidated collateral (source of liquidation proceeds).
    CollateralBuyers = 8,
    /// The trader that continues the swap after the original trader's close-out.
    ReplacementTrader = 9,
}

/// Number of [`Party`] values.
pub const N_PARTIES: usize = 10;

/// The SPV's internal accounts.
pub const ACCOUNTS: [Party; 3] = [Party::Operating, Party::LockUp, Party::Dsra];

/// Cumulative flows between parties, $: `flows[from][to]`. Fixed size: no allocation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ledger {
    pub flows: [[f64; N_PARTIES]; N_PARTIES],
}

impl Default for Ledger {
    fn default() -> Self {
        Self {
            flows: [[0.0; N_PARTIES]; N_PARTIES],
        }
    }
}

impl Ledger {
    /// Record a movement of `amount_usd` from `from` to `to`.
    pub fn record(&mut self, from: Party, to: Party, amount_usd: f64) {
        self.flows[from as usize][to as usize] += amount_usd;
    }

    /// Total that ever flowed into `p`, $.
    pub fn inflow_usd(&self, p: Party) -> f64 {
        self.flows.iter().map(|row| row[p as usize]).sum()
    }

    /// Total that ever flowed out of `p`, $.
    pub fn outflow_usd(&self, p: Party) -> f64 {
        self.flows[p as usize].iter().sum()
    }

    /// Net amount `p` received, $ (inflow − outflow).
    pub fn net_usd(&self, p: Party) -> f64 {
        self.inflow_usd(p) - self.outflow_usd(p)
    }

    /// Total moved from `from` to `to`, $.
    pub fn between_usd(&self, from: Party, to: Party) -> f64 {
        self.flows[from as usize][to as usize]
    }
}

/// Balances of the SPV's accounts, $ (never negative).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Accounts {
    pub operating_usd: f64,
    pub lock_up_usd: f64,
    pub dsra_usd: f64,
}

impl Accounts {
    /// Balance of an internal account (0 for an external party).
    pub fn balance_usd(&self, p: Party) -> f64 {
        match p {
            Party::Operating => self.operating_usd,
            Party::LockUp => self.lock_up_usd,
            Party::Dsra => self.dsra_usd,
            _ => 0.0,
        }
    }

    /// Sum of the three accounts, $.
    pub fn total_usd(&self) -> f64 {
        self.operating_usd + self.lock_up_usd + self.dsra_usd
    }

    fn slot(&mut self, p: Party) -> Option<&mut f64> {
        match p {
            Party::Operating => Some(&mut self.operating_usd),
            Party::LockUp => Some(&mut self.lock_up_usd),
            Party::Dsra => Some(&mut self.dsra_usd),
            _ => None,
        }
    }

    /// Move up to `amount_usd` from `from` to `to` (either may be external), limited by the
    /// balance of an internal source; records it in the ledger and returns the amount moved.
    pub fn transfer(
        &mut self,
        ledger: &mut Ledger,
        from: Party,
        to: Party,
        amount_usd: f64,
    ) -> f64 {
        let wanted = amount_usd.max(0.0);
        let moved = match self.slot(from) {
            Some(bal) => {
                let m = wanted.min(*bal);
                *bal -= m;
                m
            }
            None => wanted,
        };
        if moved > 0.0 {
            if let Some(bal) = self.slot(to) {
                *bal += moved;
            }
            ledger.record(from, to, moved);
        }
        moved
    }

    /// Pay `amount_usd` to `to` drawing on `sources` in order; returns (paid, drawn per source).
    fn pay_from(
        &mut self,
        ledger: &mut Ledger,
        sources: &[Party],
        to: Party,
        amount_usd: f64,
        drawn: &mut [f64; 3],
    ) -> f64 {
        let mut left = amount_usd.max(0.0);
        for (i, &s) in sources.iter().enumerate() {
            if left <= 0.0 {
                break;
            }
            let m = self.transfer(ledger, s, to, left);
            drawn[i] += m;
            left -= m;
        }
        amount_usd.max(0.0) - left
    }
}

/// What is due on one payment date, $.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PaymentDues {
    /// Power + fixed opex accrued since the last waterfall.
    pub opex_usd: f64,
    /// Interest due.
    pub interest_usd: f64,
    /// Principal due.
    pub principal_usd: f64,
    /// The SPV's swap payable to the original trader (carried forward when unpaid).
    pub swap_payable_usd: f64,
    /// The SPV's swap payable to a replacement trader (same rank; carried forward when unpaid).
    pub replacement_swap_payable_usd: f64,
    /// DSRA target after this payment.
    pub dsra_target_usd: f64,
    /// A covenant cash trap is active: equity distributions go to the lock-up account.
    pub cash_trap: bool,
}

impl PaymentDues {
    /// Debt service due (interest + principal), $.
    pub fn debt_service_usd(&self) -> f64 {
        self.interest_usd + self.principal_usd
    }
}

/// What one waterfall run paid, $.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WaterfallPaid {
    pub opex_usd: f64,
    pub interest_usd: f64,
    pub principal_usd: f64,
    /// Swap payable paid to the original trader.
    pub swap_usd: f64,
    /// Swap payable paid to a replacement trader.
    pub replacement_swap_usd: f64,
    /// Operating cash moved into the DSRA.
    pub dsra_top_up_usd: f64,
    /// DSRA excess over target released to operating cash.
    pub dsra_release_usd: f64,
    /// DSRA drawn for opex or debt service.
    pub dsra_draw_usd: f64,
    /// Lock-up drawn for opex or debt service.
    pub lock_up_draw_usd: f64,
    /// Distributed to equity (operating cash and released lock-up).
    pub to_equity_usd: f64,
    /// Moved into the lock-up account by a cash trap.
    pub to_lock_up_usd: f64,
}

impl WaterfallPaid {
    /// Debt service paid (interest + principal), $.
    pub fn debt_service_usd(&self) -> f64 {
        self.interest_usd + self.principal_usd
    }
}

/// Run the waterfall steps in `order` on `acc`, recording every movement in `ledger`.
pub fn run_waterfall(
    order: &[WaterfallStep],
    acc: &mut Accounts,
    dues: &PaymentDues,
    ledger: &mut Ledger,
) -> WaterfallPaid {
    const POOL: [Party; 3] = [Party::Operating, Party::LockUp, Party::Dsra];
    let mut paid = WaterfallPaid::default();
    for step in order {
        match step {
            WaterfallStep::Opex => {
                let mut drawn = [0.0; 3];
                paid.opex_usd +=
                    acc.pay_from(ledger, &POOL, Party::Suppliers, dues.opex_usd, &mut drawn);
                paid.lock_up_draw_usd += drawn[1];
                paid.dsra_draw_usd += drawn[2];
            }
            WaterfallStep::DebtService => {
                let mut drawn = [0.0; 3];
                paid.interest_usd +=
                    acc.pay_from(ledger, &POOL, Party::Lender, dues.interest_usd, &mut drawn);
                paid.principal_usd +=
                    acc.pay_from(ledger, &POOL, Party::Lender, dues.principal_usd, &mut drawn);
                paid.lock_up_draw_usd += drawn[1];
                paid.dsra_draw_usd += drawn[2];
            }
            WaterfallStep::SwapPayment => {
                let original = (dues.swap_payable_usd - paid.swap_usd).max(0.0);
                let replacement =
                    (dues.replacement_swap_payable_usd - paid.replacement_swap_usd).max(0.0);
                let due = original + replacement;
                if due > 0.0 {
                    // Same rank: pro rata when operating cash is short.
                    let share = acc.operating_usd.min(due) / due;
                    paid.swap_usd +=
                        acc.transfer(ledger, Party::Operating, Party::Trader, original * share);
                    paid.replacement_swap_usd += acc.transfer(
                        ledger,
                        Party::Operating,
                        Party::ReplacementTrader,
                        replacement * share,
                    );
                }
            }
            WaterfallStep::DsraTopUp => {
                let target = dues.dsra_target_usd.max(0.0);
                if acc.dsra_usd < target {
                    paid.dsra_top_up_usd +=
                        acc.transfer(ledger, Party::Operating, Party::Dsra, target - acc.dsra_usd);
                } else if acc.dsra_usd > target {
                    paid.dsra_release_usd +=
                        acc.transfer(ledger, Party::Dsra, Party::Operating, acc.dsra_usd - target);
                }
            }
            WaterfallStep::Equity => {
                if dues.cash_trap {
                    paid.to_lock_up_usd +=
                        acc.transfer(ledger, Party::Operating, Party::LockUp, acc.operating_usd);
                } else {
                    paid.to_equity_usd +=
                        acc.transfer(ledger, Party::Operating, Party::Equity, acc.operating_usd);
                    paid.to_equity_usd +=
                        acc.transfer(ledger, Party::LockUp, Party::Equity, acc.lock_up_usd);
                }
            }
        }
    }
    paid
}
