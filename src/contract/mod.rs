//! The contracts of one simulated path, day by day (SPEC §6–§9, seed 002): cluster economics,
//! the amortizing loan, the tenancy swap, the cash waterfall, covenants, default, recovery and
//! equity flows, for the hedged SPV (configured swap) and the unhedged SPV (no swap) side by side
//! on the same market.
//!
//! Must not: draw random numbers (the engine builds each [`DayMarket`]), do I/O, or allocate per
//! day. The engine calls [`ContractTerms::new`] once per run, then per path
//! [`PathContracts::new`], [`PathContracts::step`] for days `0..horizon_days` in order, and
//! [`PathContracts::finish`]. When the swap counterparty defaults (the CSA decides), the engine
//! calls [`PathContracts::suspend_swap`] and later [`PathContracts::close_out_swap`];
//! [`PathContracts::pending_settlement_to_spv_usd`] previews the day's settlement for the CSA.
//!
//! **Time convention.** Day `t` is the interval `[t, t+1)` days after loan close. An event dated
//! "day d" (loan payment `k` at `d = k·I`, a swap settlement at the end of a calculation period)
//! happens at time `d`, i.e. at the end of step `d − 1`, after that day's revenue and costs have
//! accrued. So payment period `k` covers days `[(k−1)I, kI)` and the final payment falls at the
//! end of the last simulated loan day. Discounting and IRRs use the event time `d`.

pub mod cluster;
pub mod covenant;
pub mod irr;
pub mod loan;
pub mod path;
pub mod swap;
pub mod terms;
pub mod testing;
pub mod waterfall;

pub use loan::{LoanSchedule, ScheduledPayment};
pub use path::{
    DayRecord, DefaultCause, LoanDay, LoanOutcome, PathContracts, PathOutcome, SwapState,
};
pub use terms::ContractTerms;

/// What the market did on one day of one path (built by the engine).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayMarket {
    /// Days since loan close (day 0 = close).
    pub day: u32,
    /// P_ref, the index price after shocks, $/GPU-hour.
    pub index_price: f64,
    /// P_op, the operator-realized price, $/GPU-hour.
    pub operator_price: f64,
    /// Realized utilization u_t in (0, 1).
    pub utilization: f64,
    /// 0..=1: 0 before (actual) commissioning or when fully curtailed.
    pub capacity_factor: f64,
    /// Power price, $/kWh.
    pub power_usd_per_kwh: f64,
    /// Multiplier on fixed opex from shocks (1 = none).
    pub opex_multiplier: f64,
    /// Multiplier on collateral value from shocks (1 = none).
    pub collateral_multiplier: f64,
    /// P_ref / θ(t) of the unshocked starting mean curve.
    pub price_to_curve_ratio: f64,
}

/// Why the contract terms could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ContractError {
    /// The loan schedule cannot be built (sizing, tenor, grace).
    #[error("loan schedule: {0}")]
    Schedule(String),
    /// The base-case market is shorter than the loan.
    #[error("base case covers {got} days but the loan needs {needed}")]
    BaseCaseTooShort { needed: u32, got: usize },
    /// The swap's fixed price is negative or not finite.
    #[error("swap fixed price must be finite and non-negative, got {0} $/GPU-hour")]
    FixedPrice(f64),
    /// The waterfall order lacks a step the contracts cannot run without.
    #[error("waterfall.order must contain {0}")]
    WaterfallStepMissing(&'static str),
}
