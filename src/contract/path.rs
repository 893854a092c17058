//! One path's contracts: the hedged and the unhedged SPV stepped on the same market, day by day.
//!
//! Owns: per-path state (accounts, ledger, accruals, covenant windows, default, equity flows),
//! the payment-date sequence (covenant tests → payment-default test → waterfall), default and
//! recovery, and the per-path outcome. Must not: draw random numbers, do I/O, or allocate in
//! [`PathContracts::step`] (all buffers are sized in [`PathContracts::new`]).
//!
//! On each payment date of each live SPV, in this order:
//! 1. the period's DSCR = CFADS / debt service due, CFADS = revenue + swap net settled in the
//!    period − power − fixed opex (all accrued over days `[(k−1)I, kI)`);
//! 2. covenant tests (trailing DSCR over `window` payment periods once full; trailing utilization
//!    over the last `window` commissioned days once that many exist); a breach traps cash or is
//!    an event of default, as configured;
//! 3. payment default if operating cash + lock-up − opex due + DSRA < debt service due (checked
//!    before a covenant event of default: the cause is then `Payment`);
//! 4. otherwise the waterfall; at maturity the swap payable is settled from what is left and the
//!    accounts go to equity with the going-concern book value of the GPUs as terminal value.
//!
//! Default: EAD = scheduled balance before the payment + the period's interest (accrued, unpaid).
//! Recovery = collateral liquidation value + DSRA + lock-up + operating cash + the current swap
//! period's accrued positive settlement (a receivable assigned to the lender, paid by the
//! trader). Loss = max(EAD − recovery, 0). Any excess pays the trader's unpaid swap claims
//! (junior), then equity. Unpaid opex at default is left with the suppliers (it is not a claim
//! on the lender's recovery). After default the SPV's contracts stop; the swap ends with it.
//!
//! Trader default (hedged SPV only; driven by the engine from the CSA): after
//! [`PathContracts::suspend_swap`] no settlement moves in cash (it is withheld into the CSA's
//! close-out claim). [`PathContracts::close_out_swap`] books the close-out cash at the end of the
//! close-out day (received from the trader, or owed to its estate as a swap payable, junior to
//! debt service), then either a replacement trader continues at a new fixed price from the next
//! calculation period (the period running at close-out is part of the close-out claim and never
//! settles), or the swap is terminated. The trader P&L fields are the original trader's; the
//! contractual legs ignore the default and keep the original price.

use super::covenant::{capped_ratio, TrailingRatio};
use super::swap::{PeriodAccrual, SwapTerms};
use super::terms::ContractTerms;
use super::waterfall::{run_waterfall, Accounts, Ledger, Party, PaymentDues};
use super::DayMarket;
use crate::scenario::{Covenant, CovenantAction, SwapVariant};

/// Why a loan defaulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DefaultCause {
    /// Cash + lock-up + DSRA could not cover opex and debt service due.
    Payment,
    /// Trailing DSCR covenant breached with action `EventOfDefault`.
    DscrCovenant,
    /// Trailing utilization covenant breached with action `EventOfDefault`.
    UtilizationCovenant,
}

/// Who stands on the other side of the hedged SPV's swap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum SwapState {
    /// The original trader performs.
    #[default]
    Original,
    /// The original trader has defaulted: settlements are withheld (close-out pending).
    Suspended,
    /// Closed out; a replacement trader settles the calculation periods that start after the
    /// close-out, at its own fixed price.
    Replaced,
    /// Closed out and terminated: the SPV runs unhedged.
    Terminated,
}

/// The swap counterparty of one settlement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counterparty {
    Original,
    Replacement,
}

impl Counterparty {
    fn party(self) -> Party {
        match self {
            Self::Original => Party::Trader,
            Self::Replacement => Party::ReplacementTrader,
        }
    }
}

/// One SPV's state at the end of a day (for the per-period report table).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LoanDay {
    /// Operating cash + lock-up balance, $.
    pub cash_usd: f64,
    /// Lock-up balance alone, $.
    pub lock_up_usd: f64,
    /// DSRA balance, $.
    pub dsra_usd: f64,
    /// DSCR of the payment period tested today (capped at 100); 0 when not a payment day.
    pub dscr: f64,
    /// Trailing covenant DSCR tested today; 0 when not tested.
    pub trailing_dscr: f64,
    /// The trailing DSCR was tested today (window full, payment day).
    pub trailing_dscr_tested: bool,
    /// Debt service due today, $ (0 when not a payment day).
    pub debt_service_due_usd: f64,
    /// Swap payables owed to the original and any replacement trader after today's waterfall
    /// (and any close-out booked since the last record), $.
    pub swap_payable_usd: f64,
    /// Paid to equity today, $.
    pub equity_distribution_usd: f64,
    /// A cash trap is active.
    pub cash_trap: bool,
    /// The loan has defaulted (today or before).
    pub defaulted: bool,
}

/// What happened on one day of one path.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DayRecord {
    pub day: u32,
    /// A loan payment falls at the end of this day.
    pub is_payment_day: bool,
    /// A swap calculation period ends at the end of this day.
    pub is_settlement_day: bool,
    /// Rentable GPU-hours.
    pub capacity_hours: f64,
    /// GPU-hours sold.
    pub hours_sold: f64,
    /// Realized revenue, $.
    pub revenue_usd: f64,
    /// Power cost, $.
    pub power_usd: f64,
    /// Fixed opex, $.
    pub fixed_opex_usd: f64,
    /// Collateral liquidation value (forced-sale basis), $.
    pub collateral_value_usd: f64,
    /// Collateral going-concern book value, $.
    pub collateral_book_usd: f64,
    /// Notional factor n(t) at the start of the day.
    pub notional_factor: f64,
    /// Swap net settlement to the hedged SPV settled today, $ (0 if no period end, after the
    /// swap ended, or withheld after the trader's default; at the replacement's price once a
    /// replacement trader settles).
    pub swap_net_to_spv_usd: f64,
    /// The hedged swap's counterparty state at the end of the day (before any close-out the
    /// engine books after this record).
    pub swap_state: SwapState,
    /// Contractual swap net settlement of the period ending today (ignoring default), $.
    pub swap_net_contractual_usd: f64,
    /// Trailing utilization tested today (0 when not tested).
    pub trailing_utilization: f64,
    /// The utilization covenant was tested today.
    pub trailing_utilization_tested: bool,
    pub hedged: LoanDay,
    pub unhedged: LoanDay,
}

/// The outcome of one loan (hedged or unhedged) on one path.
#[derive(Debug, Clone, PartialEq)]
pub struct LoanOutcome {
    pub defaulted: bool,
    /// Time of default, days after close (a payment date).
    pub default_day: Option<u32>,
    pub cause: Option<DefaultCause>,
    /// Exposure at default: balance + accrued interest, $ (0 without default).
    pub ead_usd: f64,
    /// Lender's recovery sources: collateral + DSRA + lock-up + cash + swap receivable, $.
    pub recovery_usd: f64,
    /// max(EAD − recovery, 0), $.
    pub loss_usd: f64,
    /// loss / EAD (0 without default).
    pub lgd: f64,
    /// Collateral liquidation value at default, $ (0 without default).
    pub collateral_at_default_usd: f64,
    /// Smallest period DSCR over the payment dates reached (capped at 100).
    pub min_dscr: Option<f64>,
    /// Smallest trailing covenant DSCR tested.
    pub min_trailing_dscr: Option<f64>,
    /// Smallest trailing utilization tested.
    pub min_trailing_utilization: Option<f64>,
    /// Annual equity IRR; −1 when equity got nothing back; None when undefined.
    pub equity_irr: Option<f64>,
    /// PV of all equity flows at the discount rate, $ (investment negative).
    pub equity_pv_usd: f64,
    /// Equity put in at close, $.
    pub equity_invested_usd: f64,
    /// Distributions + terminal value + residual at default, $ (undiscounted).
    pub equity_received_usd: f64,
    /// Days on which a cash trap was active.
    pub cash_trap_days: u32,
    /// Times a covenant breach triggered a cash trap.
    pub cash_trap_events: u32,
    /// DSRA drawn for opex or debt service, $.
    pub dsra_draws_usd: f64,
    pub interest_paid_usd: f64,
    pub principal_paid_usd: f64,
    /// Net swap cash received by the SPV (receipts − payments), $: settlements with the
    /// original and any replacement trader, and close-out cash.
    pub swap_net_cash_usd: f64,
    /// Every cash movement of the SPV, source → destination.
    pub ledger: Ledger,
    /// Account balances at the end (all zero after maturity or default).
    pub final_accounts: Accounts,
}

/// Everything one path produced.
#[derive(Debug, Clone, PartialEq)]
pub struct PathOutcome {
    /// The loan with the configured swap.
    pub hedged: LoanOutcome,
    /// The same loan with no swap.
    pub unhedged: LoanOutcome,
    /// PV at `simulation.discount_rate` of the original trader's actual swap cash flows on the
    /// hedged path (receipts of payables and recovery residual − fixed-leg payments − close-out
    /// cash to the SPV; flows with a replacement trader excluded), $.
    pub trader_pnl_pv_usd: f64,
    /// The same, undiscounted, $.
    pub trader_pnl_usd: f64,
    /// Swap amounts the SPV owed the original trader (or its estate) and never paid (lost at
    /// default or maturity), $. A replacement trader's unpaid claims are not reported.
    pub trader_unpaid_claims_usd: f64,
    /// Close-out cash of the original trader's default applied to the hedged SPV, $ (positive:
    /// received from the trader's collateral; negative: owed to its estate as a swap payable;
    /// 0 without a close-out or when the SPV's contracts had already stopped).
    pub trader_closeout_cash_to_spv_usd: f64,
    /// Σ DF_p · (fixed leg per $1/GPU-hour of P_fix) over the contractual schedule, ignoring
    /// default (GPU-hours, discounted).
    pub swap_pv_fixed_leg_per_usd: f64,
    /// Σ DF_p · V_p over the contractual schedule, ignoring default, $.
    pub swap_pv_variable_leg_usd: f64,
    /// Contractual net settlement to the SPV per loan year (undiscounted, ignoring default), $.
    pub settlement_by_year_usd: Vec<f64>,
    /// Σ GPU-hours sold over the horizon.
    pub hours_sold: f64,
    /// Σ rentable GPU-hours over the horizon.
    pub capacity_hours: f64,
    /// Σ realized revenue over the horizon, $.
    pub revenue_usd: f64,
}

/// One SPV's state on a path.
#[derive(Debug, Clone)]
struct LoanBook {
    hedged: bool,
    acc: Accounts,
    ledger: Ledger,
    /// Power + fixed opex accrued since the last waterfall, unpaid, $.
    opex_due_usd: f64,
    /// CFADS of the running payment period, $.
    period_cfads_usd: f64,
    /// Swap amounts owed to the original trader (or its estate), $.
    swap_payable_usd: f64,
    /// Swap amounts owed to a replacement trader, $.
    replacement_payable_usd: f64,
    dscr_window: TrailingRatio,
    cash_trap: bool,
    /// Contracts stopped (default or maturity).
    done: bool,
    default_day: Option<u32>,
    cause: Option<DefaultCause>,
    ead_usd: f64,
    recovery_usd: f64,
    collateral_at_default_usd: f64,
    min_dscr: Option<f64>,
    min_trailing_dscr: Option<f64>,
    min_trailing_utilization: Option<f64>,
    cash_trap_days: u32,
    cash_trap_events: u32,
    equity_flows: Vec<(u32, f64)>,
    trader_pv_usd: f64,
    trader_cash_usd: f64,
    trader_unpaid_usd: f64,
    dsra_draws_usd: f64,
    interest_paid_usd: f64,
    principal_paid_usd: f64,
    swap_net_cash_usd: f64,
    today: LoanDay,
}

fn min_opt(a: Option<f64>, b: f64) -> Option<f64> {
    Some(a.map_or(b, |a| a.min(b)))
}

impl LoanBook {
    fn new(terms: &ContractTerms, hedged: bool) -> Self {
        let mut acc = Accounts::default();
        let mut ledger = Ledger::default();
        acc.transfer(
            &mut ledger,
            Party::Equity,
            Party::Dsra,
            terms.initial_dsra_usd,
        );
        let mut equity_flows = Vec::with_capacity(terms.schedule.payments.len() + 3);
        equity_flows.push((0, -terms.equity_investment_usd));
        Self {
            hedged,
            acc,
            ledger,
            opex_due_usd: 0.0,
            period_cfads_usd: 0.0,
            swap_payable_usd: 0.0,
            replacement_payable_usd: 0.0,
            dscr_window: TrailingRatio::new(terms.dscr_covenant.map_or(1, |c| c.window)),
            cash_trap: false,
            done: false,
            default_day: None,
            cause: None,
            ead_usd: 0.0,
            recovery_usd: 0.0,
            collateral_at_default_usd: 0.0,
            min_dscr: None,
            min_trailing_dscr: None,
            min_trailing_utilization: None,
            cash_trap_days: 0,
            cash_trap_events: 0,
            equity_flows,
            trader_pv_usd: 0.0,
            trader_cash_usd: 0.0,
            trader_unpaid_usd: 0.0,
            dsra_draws_usd: 0.0,
            interest_paid_usd: 0.0,
            principal_paid_usd: 0.0,
            swap_net_cash_usd: 0.0,
            today: LoanDay::default(),
        }
    }

    /// Original trader's cash flow at `time` (positive: the trader receives).
    fn trader_flow(&mut self, terms: &ContractTerms, time: u32, usd: f64) {
        self.trader_cash_usd += usd;
        self.swap_net_cash_usd -= usd;
        self.trader_pv_usd += usd * terms.discount_factor(time);
    }

    /// Swap cash flow with `cp` at `time` (positive: the counterparty receives); only the
    /// original trader's flows count in the trader P&L.
    fn swap_flow(&mut self, terms: &ContractTerms, cp: Counterparty, time: u32, usd: f64) {
        match cp {
            Counterparty::Original => self.trader_flow(terms, time, usd),
            Counterparty::Replacement => self.swap_net_cash_usd -= usd,
        }
    }

    /// Pay both swap payables from `src` as far as its balance allows, pro rata.
    fn pay_swap_payables(&mut self, terms: &ContractTerms, time: u32, src: Party) {
        let due = self.swap_payable_usd + self.replacement_payable_usd;
        if due <= 0.0 {
            return;
        }
        let share = self.acc.balance_usd(src).min(due) / due;
        let to_original = self.swap_payable_usd * share;
        let to_replacement = self.replacement_payable_usd * share;
        let a = self
            .acc
            .transfer(&mut self.ledger, src, Party::Trader, to_original);
        let b = self.acc.transfer(
            &mut self.ledger,
            src,
            Party::ReplacementTrader,
            to_replacement,
        );
        self.swap_payable_usd -= a;
        self.replacement_payable_usd -= b;
        if a > 0.0 {
            self.trader_flow(terms, time, a);
        }
        if b > 0.0 {
            self.swap_flow(terms, Counterparty::Replacement, time, b);
        }
    }

    /// Close-out cash of the original trader's default at `time` (positive: to the SPV).
    fn close_out(&mut self, terms: &ContractTerms, time: u32, spv_cash_usd: f64) {
        if spv_cash_usd > 0.0 {
            self.acc.transfer(
                &mut self.ledger,
                Party::Trader,
                Party::Operating,
                spv_cash_usd,
            );
            self.trader_flow(terms, time, -spv_cash_usd);
        } else {
            self.swap_payable_usd += -spv_cash_usd;
        }
    }

    fn equity_flow(&mut self, time: u32, usd: f64) {
        if usd != 0.0 {
            self.equity_flows.push((time, usd));
            self.today.equity_distribution_usd += usd;
        }
    }

    /// Accrue one day's operations.
    #[inline]
    fn accrue(&mut self, revenue_usd: f64, costs_usd: f64) {
        self.acc.transfer(
            &mut self.ledger,
            Party::Customers,
            Party::Operating,
            revenue_usd,
        );
        self.opex_due_usd += costs_usd;
        self.period_cfads_usd += revenue_usd - costs_usd;
        if self.cash_trap {
            self.cash_trap_days += 1;
        }
    }

    /// Book a swap settlement with `cp` at `time` (net to the SPV).
    fn settle_swap(&mut self, terms: &ContractTerms, cp: Counterparty, time: u32, net_usd: f64) {
        if net_usd > 0.0 {
            self.acc
                .transfer(&mut self.ledger, cp.party(), Party::Operating, net_usd);
            self.swap_flow(terms, cp, time, -net_usd);
        } else {
            match cp {
                Counterparty::Original => self.swap_payable_usd += -net_usd,
                Counterparty::Replacement => self.replacement_payable_usd += -net_usd,
            }
        }
        self.period_cfads_usd += net_usd;
    }

    /// Process payment `k` (1-based) at time `time`.
    #[allow(clippy::too_many_arguments)]
    fn payment(
        &mut self,
        terms: &ContractTerms,
        k: usize,
        time: u32,
        m: &DayMarket,
        trailing_utilization: Option<f64>,
        accrued_swap: Option<(Counterparty, f64)>,
    ) {
        let pay = terms.schedule.payments[k - 1];
        let ds = pay.debt_service_usd();
        let interest_due = pay.interest_usd.min(ds.max(0.0));
        let principal_due = pay.principal_usd.max(0.0);
        let ds_due = interest_due + principal_due;
        let dscr = capped_ratio(self.period_cfads_usd, ds_due);
        self.min_dscr = min_opt(self.min_dscr, dscr);
        self.today.dscr = dscr;
        self.today.debt_service_due_usd = ds_due;
        self.dscr_window.push(self.period_cfads_usd, ds_due);
        self.period_cfads_usd = 0.0;

        let mut trap = false;
        let mut eod: Option<DefaultCause> = None;
        let mut apply = |c: &Covenant, value: f64, cause: DefaultCause| {
            if value < c.threshold {
                match c.action {
                    CovenantAction::CashTrap => trap = true,
                    CovenantAction::EventOfDefault => {
                        eod.get_or_insert(cause);
                    }
                }
            }
        };
        if let Some(c) = &terms.dscr_covenant {
            if self.dscr_window.is_full() {
                let v = self.dscr_window.ratio();
                self.min_trailing_dscr = min_opt(self.min_trailing_dscr, v);
                self.today.trailing_dscr = v;
                self.today.trailing_dscr_tested = true;
                apply(c, v, DefaultCause::DscrCovenant);
            }
        }
        if let (Some(c), Some(v)) = (&terms.utilization_covenant, trailing_utilization) {
            self.min_trailing_utilization = min_opt(self.min_trailing_utilization, v);
            apply(c, v, DefaultCause::UtilizationCovenant);
        }

        let pool = self.acc.total_usd() - self.opex_due_usd;
        if pool < ds_due {
            self.default(terms, k, time, m, DefaultCause::Payment, accrued_swap);
            return;
        }
        if let Some(cause) = eod {
            self.default(terms, k, time, m, cause, accrued_swap);
            return;
        }
        let last = k == terms.schedule.payments.len();
        if trap && !self.cash_trap {
            self.cash_trap_events += 1;
        }
        self.cash_trap = trap && !last;
        let dues = PaymentDues {
            opex_usd: self.opex_due_usd,
            interest_usd: interest_due,
            principal_usd: principal_due,
            swap_payable_usd: self.swap_payable_usd,
            replacement_swap_payable_usd: self.replacement_payable_usd,
            dsra_target_usd: terms.dsra_target_after[k - 1],
            cash_trap: self.cash_trap,
        };
        let paid = run_waterfall(&terms.order, &mut self.acc, &dues, &mut self.ledger);
        self.opex_due_usd -= paid.opex_usd;
        self.dsra_draws_usd += paid.dsra_draw_usd;
        self.interest_paid_usd += paid.interest_usd;
        self.principal_paid_usd += paid.principal_usd;
        self.swap_payable_usd -= paid.swap_usd;
        self.replacement_payable_usd -= paid.replacement_swap_usd;
        if paid.swap_usd > 0.0 {
            self.trader_flow(terms, time, paid.swap_usd);
        }
        if paid.replacement_swap_usd > 0.0 {
            self.swap_flow(
                terms,
                Counterparty::Replacement,
                time,
                paid.replacement_swap_usd,
            );
        }
        self.equity_flow(time, paid.to_equity_usd);
        let short = ds_due - paid.debt_service_usd();
        if short > 1e-9 * ds_due.max(1.0) {
            // Only reachable with a non-standard order that pays juniors before debt service.
            self.default(terms, k, time, m, DefaultCause::Payment, accrued_swap);
            return;
        }
        if last {
            self.mature(terms, time, m);
        }
    }

    /// Maturity: settle the swap payable from every account, then everything to equity with the
    /// going-concern book value of the GPUs as terminal value.
    fn mature(&mut self, terms: &ContractTerms, time: u32, m: &DayMarket) {
        for src in [Party::Operating, Party::LockUp, Party::Dsra] {
            self.pay_swap_payables(terms, time, src);
        }
        self.trader_unpaid_usd += self.swap_payable_usd;
        self.swap_payable_usd = 0.0;
        self.replacement_payable_usd = 0.0;
        let mut to_equity = 0.0;
        for src in [Party::Operating, Party::LockUp, Party::Dsra] {
            let bal = self.acc.balance_usd(src);
            to_equity += self.acc.transfer(&mut self.ledger, src, Party::Equity, bal);
        }
        let book = terms.collateral.book_value_usd(time, m);
        self.equity_flow(time, to_equity + book);
        self.cash_trap = false;
        self.done = true;
    }

    /// Default at payment `k` (time `time`): recovery, loss, and the junior waterfall of any excess.
    fn default(
        &mut self,
        terms: &ContractTerms,
        k: usize,
        time: u32,
        m: &DayMarket,
        cause: DefaultCause,
        accrued_swap: Option<(Counterparty, f64)>,
    ) {
        let pay = terms.schedule.payments[k - 1];
        let ead = pay.balance_before_usd + pay.interest_usd;
        let collateral = terms.collateral.liquidation_value_usd(time, m);
        let mut recovery = 0.0;
        for src in [Party::Operating, Party::LockUp, Party::Dsra] {
            let bal = self.acc.balance_usd(src);
            recovery += self.acc.transfer(&mut self.ledger, src, Party::Lender, bal);
        }
        recovery += self.acc.transfer(
            &mut self.ledger,
            Party::CollateralBuyers,
            Party::Lender,
            collateral,
        );
        let mut trader_claim = self.swap_payable_usd;
        let mut replacement_claim = self.replacement_payable_usd;
        if let (true, Some((cp, accrued))) = (self.hedged, accrued_swap) {
            if accrued > 0.0 {
                // The receivable is assigned to the lender: the counterparty pays it there.
                recovery += self
                    .acc
                    .transfer(&mut self.ledger, cp.party(), Party::Lender, accrued);
                self.swap_flow(terms, cp, time, -accrued);
            } else {
                match cp {
                    Counterparty::Original => trader_claim += -accrued,
                    Counterparty::Replacement => replacement_claim += -accrued,
                }
            }
        }
        let excess = (recovery - ead).max(0.0);
        let claims = trader_claim + replacement_claim;
        // The swap claims rank together (pro rata), junior to the lender.
        let share = if claims > 0.0 {
            excess.min(claims) / claims
        } else {
            0.0
        };
        let to_trader = trader_claim * share;
        let to_replacement = replacement_claim * share;
        if to_trader > 0.0 {
            self.acc
                .transfer(&mut self.ledger, Party::Lender, Party::Trader, to_trader);
            self.trader_flow(terms, time, to_trader);
        }
        if to_replacement > 0.0 {
            self.acc.transfer(
                &mut self.ledger,
                Party::Lender,
                Party::ReplacementTrader,
                to_replacement,
            );
            self.swap_flow(terms, Counterparty::Replacement, time, to_replacement);
        }
        self.trader_unpaid_usd += trader_claim - to_trader;
        let to_equity = excess - to_trader - to_replacement;
        if to_equity > 0.0 {
            self.acc
                .transfer(&mut self.ledger, Party::Lender, Party::Equity, to_equity);
            self.equity_flow(time, to_equity);
        }
        self.swap_payable_usd = 0.0;
        self.replacement_payable_usd = 0.0;
        self.opex_due_usd = 0.0;
        self.cash_trap = false;
        self.default_day = Some(time);
        self.cause = Some(cause);
        self.ead_usd = ead;
        self.recovery_usd = recovery;
        self.collateral_at_default_usd = collateral;
        self.done = true;
    }

    /// Snapshot of balances for the day record.
    #[inline]
    fn snapshot(&mut self) -> LoanDay {
        let mut d = self.today;
        d.cash_usd = self.acc.operating_usd + self.acc.lock_up_usd;
        d.lock_up_usd = self.acc.lock_up_usd;
        d.dsra_usd = self.acc.dsra_usd;
        d.swap_payable_usd = self.swap_payable_usd + self.replacement_payable_usd;
        d.cash_trap = self.cash_trap;
        d.defaulted = self.default_day.is_some();
        self.today = LoanDay::default();
        d
    }

    /// The loan's outcome, with the original trader's swap cash on this SPV.
    fn outcome(
        mut self,
        terms: &ContractTerms,
        end_time: u32,
        last: &DayMarket,
    ) -> (LoanOutcome, TraderTotals) {
        if !self.done {
            // The engine stopped before maturity: value what is left as at the last day, after
            // paying the opex accrued since the last waterfall.
            for src in [Party::Operating, Party::LockUp, Party::Dsra] {
                let paid =
                    self.acc
                        .transfer(&mut self.ledger, src, Party::Suppliers, self.opex_due_usd);
                self.opex_due_usd -= paid;
            }
            let mut cash = 0.0;
            for src in [Party::Operating, Party::LockUp, Party::Dsra] {
                let bal = self.acc.balance_usd(src);
                cash += self.acc.transfer(&mut self.ledger, src, Party::Equity, bal);
            }
            let book = terms.collateral.book_value_usd(end_time, last);
            self.equity_flow(end_time, cash + book);
            self.trader_unpaid_usd += self.swap_payable_usd;
            self.swap_payable_usd = 0.0;
            self.replacement_payable_usd = 0.0;
        }
        let ead = self.ead_usd;
        let loss = (ead - self.recovery_usd).max(0.0);
        let received: f64 = self.equity_flows.iter().skip(1).map(|f| f.1).sum();
        let outcome = LoanOutcome {
            defaulted: self.default_day.is_some(),
            default_day: self.default_day,
            cause: self.cause,
            ead_usd: ead,
            recovery_usd: self.recovery_usd,
            loss_usd: loss,
            lgd: if ead > 0.0 { loss / ead } else { 0.0 },
            collateral_at_default_usd: self.collateral_at_default_usd,
            min_dscr: self.min_dscr,
            min_trailing_dscr: self.min_trailing_dscr,
            min_trailing_utilization: self.min_trailing_utilization,
            equity_irr: super::irr::irr(&self.equity_flows),
            equity_pv_usd: super::irr::pv_continuous(&self.equity_flows, terms.discount_rate),
            equity_invested_usd: terms.equity_investment_usd,
            equity_received_usd: received,
            cash_trap_days: self.cash_trap_days,
            cash_trap_events: self.cash_trap_events,
            dsra_draws_usd: self.dsra_draws_usd,
            interest_paid_usd: self.interest_paid_usd,
            principal_paid_usd: self.principal_paid_usd,
            swap_net_cash_usd: self.swap_net_cash_usd,
            ledger: self.ledger,
            final_accounts: self.acc,
        };
        let trader = TraderTotals {
            pv_usd: self.trader_pv_usd,
            cash_usd: self.trader_cash_usd,
            unpaid_usd: self.trader_unpaid_usd,
        };
        (outcome, trader)
    }
}

/// The original trader's swap cash on one SPV, $.
struct TraderTotals {
    pv_usd: f64,
    cash_usd: f64,
    unpaid_usd: f64,
}

/// Per-path contract state: the hedged and the unhedged SPV on the same market.
///
/// Create one per path with [`PathContracts::new`]; call [`PathContracts::step`] for days
/// `0..terms.horizon_days()` in order, then [`PathContracts::finish`].
#[derive(Debug, Clone)]
pub struct PathContracts {
    hedged: LoanBook,
    unhedged: LoanBook,
    /// Swap accruals of the running calculation period.
    accrual: PeriodAccrual,
    /// Start time of the running calculation period.
    period_start: u32,
    /// Trailing (hours sold, capacity hours) over commissioned days.
    utilization_window: TrailingRatio,
    swap_pv_fixed_leg_per_usd: f64,
    swap_pv_variable_leg_usd: f64,
    settlement_by_year_usd: Vec<f64>,
    hours_sold: f64,
    capacity_hours: f64,
    revenue_usd: f64,
    next_day: u32,
    swap_state: SwapState,
    /// The replacement swap and the first time (days) at which its calculation periods start.
    replacement: Option<(SwapTerms, u32)>,
    trader_closeout_cash_to_spv_usd: f64,
}

impl PathContracts {
    /// Fresh state at loan close: the DSRA funded by equity, all other accounts empty.
    pub fn new(terms: &ContractTerms) -> Self {
        Self {
            hedged: LoanBook::new(terms, true),
            unhedged: LoanBook::new(terms, false),
            accrual: PeriodAccrual::default(),
            period_start: 0,
            utilization_window: TrailingRatio::new(
                terms.utilization_covenant.map_or(1, |c| c.window),
            ),
            swap_pv_fixed_leg_per_usd: 0.0,
            swap_pv_variable_leg_usd: 0.0,
            settlement_by_year_usd: vec![0.0; terms.loan_years()],
            hours_sold: 0.0,
            capacity_hours: 0.0,
            revenue_usd: 0.0,
            next_day: 0,
            swap_state: SwapState::Original,
            replacement: None,
            trader_closeout_cash_to_spv_usd: 0.0,
        }
    }

    /// The trader has defaulted: from the next settlement on, swap settlements are neither paid
    /// nor received by the hedged SPV (they are withheld into the close-out claim the CSA
    /// computes). No effect once the swap has been closed out.
    pub fn suspend_swap(&mut self) {
        if self.swap_state == SwapState::Original {
            self.swap_state = SwapState::Suspended;
        }
    }

    /// Close-out of the defaulted trader at the end of day `day` (call after
    /// [`PathContracts::step`] for `day`; the cash moves at time `day + 1`): `spv_cash_usd` is the
    /// cash the SPV receives (positive: the trader's collateral applied to its claim) or owes the
    /// trader's estate (negative: becomes a swap payable, junior to debt service in the
    /// waterfall). Then, with `Some(p)` a replacement trader continues the swap at fixed price p
    /// $/GPU-hour from the next calculation period (periods starting at or after `day + 1`; the
    /// period running at close-out never settles: it is part of the close-out claim); with
    /// `None` the swap is terminated and the SPV runs unhedged.
    ///
    /// The cash is booked as the original trader's flow. It is ignored (not booked) when the
    /// hedged SPV's contracts have already stopped (its default or maturity). A non-finite
    /// `spv_cash_usd` counts as 0 and a non-finite or negative `p` as 0. Calling it again after
    /// a close-out has no effect.
    pub fn close_out_swap(
        &mut self,
        terms: &ContractTerms,
        day: u32,
        spv_cash_usd: f64,
        replacement_fixed_price: Option<f64>,
    ) {
        if matches!(self.swap_state, SwapState::Replaced | SwapState::Terminated) {
            return;
        }
        let time = day.saturating_add(1);
        let cash = if spv_cash_usd.is_finite() {
            spv_cash_usd
        } else {
            0.0
        };
        if !self.hedged.done && cash != 0.0 {
            self.hedged.close_out(terms, time, cash);
            self.trader_closeout_cash_to_spv_usd += cash;
        }
        match replacement_fixed_price {
            Some(p) => {
                let p = if p.is_finite() { p.max(0.0) } else { 0.0 };
                let mut swap = terms.swap;
                swap.fixed_price_usd_per_gpu_hour = p;
                if let SwapVariant::TwoLeg { .. } = swap.variant {
                    swap.variant = SwapVariant::TwoLeg {
                        reserved_fee_usd_per_gpu_hour: p,
                    };
                }
                self.replacement = Some((swap, time));
                self.swap_state = SwapState::Replaced;
            }
            None => self.swap_state = SwapState::Terminated,
        }
    }

    /// The swap cash that [`PathContracts::step`] for `m` would settle to the hedged SPV if the
    /// swap state does not change before it, $ (positive: received; 0 when day `m.day` ends no
    /// calculation period, or the settlement is withheld, or the swap or the SPV's contracts
    /// have ended). Pure: lets the engine show the CSA the day's settlement before deciding
    /// whether the trader defaults today (then [`PathContracts::suspend_swap`] before `step`
    /// withholds it).
    pub fn pending_settlement_to_spv_usd(&self, terms: &ContractTerms, m: &DayMarket) -> f64 {
        let time = m.day.saturating_add(1);
        let maturity = terms.maturity_day();
        let (period_end, _) = terms.events_at(time);
        if m.day >= maturity || !period_end || self.hedged.done {
            return 0.0;
        }
        match self.settling_swap(terms) {
            Some((swap, _)) => {
                let mut accrual = self.accrual;
                accrual.add(&terms.cluster.day(m), m, terms.swap.reference);
                swap.legs(&accrual, terms.notional_factor(self.period_start))
                    .net_to_spv_usd()
            }
            None => 0.0,
        }
    }

    /// The swap that settles the calculation period starting at `period_start`, with its
    /// counterparty (None: withheld or terminated).
    fn settling_swap(&self, terms: &ContractTerms) -> Option<(SwapTerms, Counterparty)> {
        if !terms.swap.settles() {
            return None;
        }
        match (self.swap_state, self.replacement) {
            (SwapState::Original, _) => Some((terms.swap, Counterparty::Original)),
            (SwapState::Replaced, Some((swap, from))) if self.period_start >= from => {
                Some((swap, Counterparty::Replacement))
            }
            _ => None,
        }
    }

    /// Advance one day (`m.day` must be the next day, starting at 0). No allocation.
    ///
    /// The daily part (operations, accruals, the record) is small and inlined into the caller;
    /// settlement and payment dates go through [`PathContracts::events`]. Always inlined: out of
    /// line, the record built on the stack is copied to the return slot by a `memcpy` whose wide
    /// loads stall on the field-by-field stores just made (5 % of a full run).
    #[inline(always)]
    pub fn step(&mut self, terms: &ContractTerms, m: &DayMarket) -> DayRecord {
        let t = m.day;
        self.next_day = t.saturating_add(1);
        let ops = terms.cluster.day(m);
        self.hours_sold += ops.hours_sold;
        self.capacity_hours += ops.capacity_hours;
        self.revenue_usd += ops.revenue_usd;
        let book = terms.collateral.book_value_usd(t, m);
        let mut rec = DayRecord {
            day: t,
            capacity_hours: ops.capacity_hours,
            hours_sold: ops.hours_sold,
            revenue_usd: ops.revenue_usd,
            power_usd: ops.power_usd,
            fixed_opex_usd: ops.fixed_opex_usd,
            collateral_book_usd: book,
            collateral_value_usd: terms.collateral.liquidation_from_book(book),
            notional_factor: terms.notional_factor(t),
            ..DayRecord::default()
        };
        let maturity = terms.maturity_day();
        if t < maturity {
            if ops.capacity_hours > 0.0 {
                self.utilization_window
                    .push(ops.hours_sold, ops.capacity_hours);
            }
            self.accrual.add(&ops, m, terms.swap.reference);
            let costs = ops.power_usd + ops.fixed_opex_usd;
            for b in [&mut self.hedged, &mut self.unhedged] {
                if !b.done {
                    b.accrue(ops.revenue_usd, costs);
                }
            }
            let (period_end, payment_day) = terms.events_at(t + 1);
            if period_end || payment_day {
                self.events(terms, m, period_end, payment_day, &mut rec);
            }
        }
        rec.swap_state = self.swap_state;
        rec.hedged = self.hedged.snapshot();
        rec.unhedged = self.unhedged.snapshot();
        rec
    }

    /// The swap settlement (`period_end`) and then the loan payment (`payment_day`) at the end
    /// of day `m.day` (time `m.day + 1`, before maturity).
    #[inline(never)]
    fn events(
        &mut self,
        terms: &ContractTerms,
        m: &DayMarket,
        period_end: bool,
        payment_day: bool,
        rec: &mut DayRecord,
    ) {
        let t = m.day;
        let time = t + 1;
        if period_end {
            rec.is_settlement_day = true;
            let n_p = terms.notional_factor(self.period_start);
            let legs = terms.swap.legs(&self.accrual, n_p);
            let df = terms.discount_factor(time);
            self.swap_pv_fixed_leg_per_usd += df * legs.fixed_per_usd;
            self.swap_pv_variable_leg_usd += df * legs.variable_usd;
            let net = if terms.swap.settles() {
                legs.net_to_spv_usd()
            } else {
                0.0
            };
            rec.swap_net_contractual_usd = net;
            let year = ((t as usize) / 365).min(self.settlement_by_year_usd.len() - 1);
            self.settlement_by_year_usd[year] += net;
            if let (false, Some((swap, cp))) = (self.hedged.done, self.settling_swap(terms)) {
                let cash = match cp {
                    Counterparty::Original => net,
                    Counterparty::Replacement => swap.legs(&self.accrual, n_p).net_to_spv_usd(),
                };
                self.hedged.settle_swap(terms, cp, time, cash);
                rec.swap_net_to_spv_usd = cash;
            }
            self.accrual = PeriodAccrual::default();
            self.period_start = time;
        }
        let interval = terms.schedule.payment_interval_days;
        if payment_day {
            rec.is_payment_day = true;
            let k = (time / interval) as usize;
            let util = match &terms.utilization_covenant {
                Some(_) if self.utilization_window.is_full() => {
                    Some(self.utilization_window.ratio())
                }
                _ => None,
            };
            if let Some(u) = util {
                rec.trailing_utilization = u;
                rec.trailing_utilization_tested = true;
            }
            // The current period's accrued settlement (a receivable or a claim at default),
            // with the counterparty that would settle it.
            let accrued = match self.settling_swap(terms) {
                Some((swap, cp)) if self.accrual.days > 0 => Some((
                    cp,
                    swap.legs(&self.accrual, terms.notional_factor(self.period_start))
                        .net_to_spv_usd(),
                )),
                _ => None,
            };
            if !self.hedged.done {
                self.hedged.payment(terms, k, time, m, util, accrued);
            }
            if !self.unhedged.done {
                self.unhedged.payment(terms, k, time, m, util, None);
            }
        }
    }

    /// Close the path: value anything still open as at the end of `last` (only when the engine
    /// stopped before maturity), compute IRRs and present values.
    pub fn finish(self, terms: &ContractTerms, last: &DayMarket) -> PathOutcome {
        let end_time = self.next_day.max(last.day.saturating_add(1));
        let (hedged, trader) = self.hedged.outcome(terms, end_time, last);
        let (unhedged, _) = self.unhedged.outcome(terms, end_time, last);
        PathOutcome {
            trader_pnl_pv_usd: trader.pv_usd,
            trader_pnl_usd: trader.cash_usd,
            trader_unpaid_claims_usd: trader.unpaid_usd,
            trader_closeout_cash_to_spv_usd: self.trader_closeout_cash_to_spv_usd,
            hedged,
            unhedged,
            swap_pv_fixed_leg_per_usd: self.swap_pv_fixed_leg_per_usd,
            swap_pv_variable_leg_usd: self.swap_pv_variable_leg_usd,
            settlement_by_year_usd: self.settlement_by_year_usd,
            hours_sold: self.hours_sold,
            capacity_hours: self.capacity_hours,
            revenue_usd: self.revenue_usd,
        }
    }
}
