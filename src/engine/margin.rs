//! The margin agreement as the engine runs it: everything fixed per run (the conditional MTM of
//! the swap, its fast interpolated surface, the CSA terms and the initial margin), and the
//! per-path state machine wiring between the CSA and the hedged SPV's contracts.
//!
//! Per day, in this order (the contracts need to know before they settle whether the trader
//! pays): the swap cash the contracts would settle today is previewed → the CSA steps with it
//! (interest, exogenous default, the settlement, the margin call) → a trader default suspends the
//! swap in the contracts → the contracts step → a close-out pays the collateral applied to the
//! claim into the SPV and replaces (at the then-par price) or terminates the swap.
//! The CSA stops when the hedged SPV defaults or the swap ends (the trader's claims on a defaulted
//! SPV are junior to the lender and handled by the contracts' recovery).
//! Must not: do I/O, draw from any stream but the path's `TRADER` stream.

use crate::contract::ContractTerms;
use crate::csa::agreement::{CsaAgreement, CsaDayInput, CsaDayOutcome, CsaPath, TraderStatus};
use crate::csa::im::{initial_margin_usd, stress_im, StressIm};
use crate::csa::mtm::{MtmLegs, PeriodAccrual, SwapMtm, SwapTermsForMtm};
use crate::csa::surface::MtmSurface;
use crate::market::{FactorState, MarketModel};
use crate::scenario::{InitialMargin, Scenario, SwapVariant};

/// Everything about the margin agreement that is fixed for a run.
#[derive(Debug)]
pub struct MarginSetup {
    pub mtm: SwapMtm,
    /// Interpolated MTM of the future periods (the fast path; exact outside its grid).
    pub surface: MtmSurface,
    pub agreement: CsaAgreement,
    /// Initial margin posted at inception (before any downgrade multiplier), dollars.
    pub im_usd: f64,
    /// The stress IM breakdown when the method is `stress`.
    pub stress: Option<StressIm>,
    pub mpor_days: u32,
    /// Last swap day + 1 (the loan maturity day).
    pub end_day: u32,
    /// The swap's fixed price, $/GPU-hour.
    pub fixed_price_usd_per_gpu_hour: f64,
}

/// Why the margin agreement could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum MarginError {
    #[error("swap MTM: {0}")]
    Mtm(#[from] crate::csa::mtm::MtmError),
    #[error("initial margin: {0}")]
    Im(#[from] crate::csa::im::ImError),
    #[error("csa: {0}")]
    Csa(#[from] crate::csa::agreement::CsaError),
}

/// The swap's terms as the MTM sees them: scheduled capacity (availability, commissioning day),
/// the contractual notional factor, the loan maturity as the swap's end.
pub fn mtm_terms(s: &Scenario, terms: &ContractTerms, fixed: f64) -> SwapTermsForMtm {
    let end = terms.maturity_day();
    let c = &s.cluster;
    let per_day = c.gpus as f64 * c.hours_per_day * c.availability;
    SwapTermsForMtm {
        fixed_price_usd_per_gpu_hour: fixed,
        strike_utilization: s.swap.strike_utilization,
        period_days: s.swap.period_days,
        notional_factor_by_day: (0..end).map(|d| terms.notional_factor(d)).collect(),
        capacity_hours_by_day: (0..end)
            .map(|d| {
                if d >= c.commissioning_day {
                    per_day
                } else {
                    0.0
                }
            })
            .collect(),
        discount_rate: s.simulation.discount_rate,
        end_day: end,
    }
}

impl MarginSetup {
    /// Build the margin agreement of a tenancy swap (`None` for `two_leg` and `none`, whose
    /// MTM is not modelled). `var_losses` (ascending MPOR losses of a pilot) is needed only when
    /// the IM method is `var`; `im_override` replaces the scenario's IM method (for
    /// `tenancy margin`).
    pub fn new(
        s: &Scenario,
        m: &MarketModel,
        terms: &ContractTerms,
        fixed: f64,
        var_losses: Option<&[f64]>,
        im_override: Option<f64>,
    ) -> Result<Option<Self>, MarginError> {
        if !matches!(s.swap.variant, SwapVariant::TenancySwap) || terms.maturity_day() == 0 {
            return Ok(None);
        }
        let mtm = SwapMtm::new(m, &mtm_terms(s, terms, fixed))?;
        let stress = match &s.csa.initial_margin {
            InitialMargin::Stress(spec) => Some(stress_im(&mtm, spec)?),
            _ => None,
        };
        let im_usd = match im_override {
            Some(x) => x,
            None => match (&s.csa.initial_margin, var_losses) {
                (InitialMargin::Var { .. }, None) => 0.0,
                (method, losses) => initial_margin_usd(method, &mtm, losses)?,
            },
        };
        let theta0 = m.curve.ln_theta.first().copied().unwrap_or(0.0).exp();
        let agreement = CsaAgreement::new(&s.csa, &s.trader, im_usd, theta0)?;
        let surface = MtmSurface::new(&mtm, m);
        Ok(Some(Self {
            surface,
            end_day: mtm.end_day(),
            mtm,
            agreement,
            im_usd,
            stress,
            mpor_days: s.csa.mpor_days,
            fixed_price_usd_per_gpu_hour: fixed,
        }))
    }

    /// The remaining swap's legs at the end of `day` in state `st`.
    #[inline]
    pub fn legs(&self, day: u32, st: &FactorState, acc: &PeriodAccrual) -> MtmLegs {
        self.surface.legs(&self.mtm, day, st.z, st.w, acc)
    }
}

/// What the margin agreement did on one day of one path.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MarginDay {
    /// Signed VM held by the SPV (positive: posted by the trader), dollars.
    pub vm_usd: f64,
    /// IM held by the SPV, dollars.
    pub im_usd: f64,
    /// Collateral called from the trader today (0 if none), dollars.
    pub call_usd: f64,
    /// The SPV's uncollateralized exposure to the trader, dollars.
    pub exposure_usd: f64,
    /// Trader's value of the remaining swap, dollars.
    pub trader_value_usd: f64,
    /// The agreement is still running (trader performing or in its MPOR).
    pub active: bool,
}

/// Per-path margin state.
#[derive(Debug)]
pub struct PathMargin {
    pub csa: CsaPath,
    accrual: PeriodAccrual,
    /// Trader value per day and settlement to the trader per day (MPOR-loss windows).
    pub values: Vec<f64>,
    pub settlements: Vec<f64>,
    stopped: bool,
}

impl PathMargin {
    /// Fresh per-path state; `default_uniform` from the path's TRADER stream. Reuses buffers.
    pub fn reset(&mut self, setup: &MarginSetup, default_uniform: f64) {
        self.csa = setup.agreement.start(default_uniform);
        self.accrual = PeriodAccrual::default();
        self.values.clear();
        self.settlements.clear();
        self.stopped = false;
    }

    pub fn new(setup: &MarginSetup) -> Self {
        Self {
            csa: setup.agreement.start(0.5),
            accrual: PeriodAccrual::default(),
            values: Vec::with_capacity(setup.end_day as usize),
            settlements: Vec::with_capacity(setup.end_day as usize),
            stopped: false,
        }
    }

    /// Step the agreement on `day`, before the contracts step. `settlement_to_spv_usd` is the
    /// swap cash the contracts would settle today (0 while they hold the swap suspended: the
    /// contractual settlement computed by the MTM's own accrual is then withheld into the claim).
    /// Returns the day's outcome, or `None` once the agreement has stopped.
    pub fn step(
        &mut self,
        setup: &MarginSetup,
        day: u32,
        st: &FactorState,
        index_price: f64,
        utilization: f64,
        settlement_to_spv_usd: f64,
        swap_suspended: bool,
        hedged_alive: bool,
    ) -> Option<(CsaDayOutcome, MarginDay)> {
        if self.stopped || day >= setup.end_day || !hedged_alive {
            self.stopped = true;
            return None;
        }
        setup
            .mtm
            .accrue(&mut self.accrual, day, index_price, utilization);
        let to_trader = if swap_suspended {
            if setup.mtm.settlement_day(self.accrual.period) == Some(day) {
                setup.mtm.period_settlement_to_trader_usd(
                    &self.accrual,
                    setup.fixed_price_usd_per_gpu_hour,
                )
            } else {
                0.0
            }
        } else {
            -settlement_to_spv_usd
        };
        let legs = setup.legs(day, st, &self.accrual);
        let out = setup.agreement.step(
            &mut self.csa,
            &CsaDayInput {
                day,
                legs,
                fixed_price_usd_per_gpu_hour: setup.fixed_price_usd_per_gpu_hour,
                settlement_to_trader_usd: to_trader,
                index_price_usd_per_gpu_hour: index_price,
            },
        );
        let value = legs.value(setup.fixed_price_usd_per_gpu_hour);
        self.values.push(value);
        self.settlements.push(to_trader);
        let closed = matches!(self.csa.status, TraderStatus::ClosedOut(_));
        let day_out = MarginDay {
            vm_usd: out.vm_balance_usd,
            im_usd: out.im_held_usd,
            call_usd: out.call_usd.max(0.0),
            exposure_usd: out.exposure_usd,
            trader_value_usd: value,
            active: !closed,
        };
        if closed {
            self.stopped = true;
        }
        Some((out, day_out))
    }

    /// Close out a default still pending when the swap ends (the MTM is then 0); the cash has
    /// nowhere to go once the swap has ended, so only the CSA's own records change.
    pub fn finalize(&mut self, setup: &MarginSetup, day: u32) {
        let _ = setup.agreement.finalize(&mut self.csa, day);
    }

    /// The trader has defaulted (close-out pending or done).
    pub fn trader_defaulted(&self) -> bool {
        self.csa.summary.defaulted
    }
}
