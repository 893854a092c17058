//! Everything about the contracts that is fixed for a run, precomputed once.
//!
//! Owns: building the cluster constants, collateral curve, loan schedule (sculpted on the base
//! case), swap terms, DSRA targets, equity investment and discount factors from a validated
//! `Scenario`. Must not: hold path state or draw random numbers.

use super::cluster::{ClusterEconomics, CollateralModel};
use super::loan::{LoanSchedule, ScheduleShape};
use super::swap::SwapTerms;
use super::{ContractError, DayMarket};
use crate::scenario::{Amortization, Covenant, Scenario, WaterfallStep, DAYS_PER_YEAR};

/// The contract terms of a run (immutable; shared by all paths).
#[derive(Debug, Clone, PartialEq)]
pub struct ContractTerms {
    pub cluster: ClusterEconomics,
    pub collateral: CollateralModel,
    pub schedule: LoanSchedule,
    /// The configured (hedged) swap, with P_fix resolved.
    pub swap: SwapTerms,
    /// Waterfall outflow steps in order.
    pub order: Vec<WaterfallStep>,
    /// DSRA size in payment periods ("months") of debt service.
    pub dsra_months: f64,
    /// DSRA funded by equity at close: dsra_months × the first amortizing debt service, $.
    pub initial_dsra_usd: f64,
    /// Equity at close: capex − principal + initial DSRA, $.
    pub equity_investment_usd: f64,
    pub dscr_covenant: Option<Covenant>,
    pub utilization_covenant: Option<Covenant>,
    /// Annual continuously-compounded discount rate (simulation.discount_rate).
    pub discount_rate: f64,
    /// DSRA target after payment k (index k−1): dsra_months × DS_{k+1}; 0 after the last, $.
    pub(crate) dsra_target_after: Vec<f64>,
    /// exp(−rate · t / 365) for t = 0..=horizon days.
    pub(crate) discount: Vec<f64>,
    /// Notional factor n(t) for t = 0..=horizon days (looked up every day of every path).
    notional: Vec<f64>,
    /// Per time t = 0..=horizon: bit 0 = a calculation period ends at t, bit 1 = a loan payment
    /// falls at t (saves two integer divisions per path-day).
    event_flags: Vec<u8>,
    horizon_days: u32,
    maturity_day: u32,
    loan_years: usize,
}

impl ContractTerms {
    /// Precompute the terms.
    ///
    /// `base_case`: the deterministic base-case market (median price curve, target utilization,
    /// mean basis, median power), one entry per day; used for sculpting (it must cover the loan,
    /// `tenor × interval` days, when amortization is sculpted).
    /// `fixed_price_usd_per_gpu_hour`: the swap's P_fix (the engine resolves "par" first).
    pub fn new(
        s: &Scenario,
        base_case: &[DayMarket],
        fixed_price_usd_per_gpu_hour: f64,
    ) -> Result<Self, ContractError> {
        if !(fixed_price_usd_per_gpu_hour.is_finite() && fixed_price_usd_per_gpu_hour >= 0.0) {
            return Err(ContractError::FixedPrice(fixed_price_usd_per_gpu_hour));
        }
        for (step, name) in [
            (WaterfallStep::Opex, "opex"),
            (WaterfallStep::DebtService, "debt_service"),
        ] {
            if !s.waterfall.order.contains(&step) {
                return Err(ContractError::WaterfallStepMissing(name));
            }
        }
        let l = &s.loan;
        let interval = l.payment_interval_days;
        let maturity_day = l.tenor_months.saturating_mul(interval);
        let horizon_days = maturity_day.saturating_add(s.simulation.tail_days);
        let cluster = ClusterEconomics::new(&s.cluster);
        let capex_usd = s.cluster.capex_per_gpu_usd * f64::from(s.cluster.gpus);
        let advance_limit_usd = capex_usd * l.advance_rate;

        let cfads: Vec<f64>;
        let shape = match l.amortization {
            Amortization::Annuity => ScheduleShape::Annuity,
            Amortization::StraightLine => ScheduleShape::StraightLine,
            Amortization::Sculpted { target_dscr } => {
                if base_case.len() < maturity_day as usize {
                    return Err(ContractError::BaseCaseTooShort {
                        needed: maturity_day,
                        got: base_case.len(),
                    });
                }
                cfads = base_case[..maturity_day as usize]
                    .chunks(interval.max(1) as usize)
                    .map(|days| {
                        days.iter()
                            .map(|m| cluster.day(m).operating_margin_usd())
                            .sum()
                    })
                    .collect();
                ScheduleShape::Sculpted {
                    cfads_usd: &cfads,
                    target_dscr,
                }
            }
        };
        let schedule = LoanSchedule::build(
            advance_limit_usd,
            l.annual_rate,
            l.tenor_months,
            interval,
            l.grace_months,
            shape,
        )?;
        let first_amortizing = schedule.debt_service_usd(l.grace_months as usize + 1);
        let initial_dsra_usd = (l.dsra_months * first_amortizing).max(0.0);
        let dsra_target_after = (1..=schedule.payments.len())
            .map(|k| (l.dsra_months * schedule.debt_service_usd(k + 1)).max(0.0))
            .collect();
        let discount = (0..=horizon_days)
            .map(|d| super::irr::discount_factor(s.simulation.discount_rate, d))
            .collect();
        let loan_years = (f64::from(maturity_day) / DAYS_PER_YEAR).ceil().max(1.0) as usize;
        let notional = (0..=horizon_days)
            .map(|d| schedule.notional_factor(d))
            .collect();
        let period = s.swap.period_days.max(1);
        let event_flags = (0..=horizon_days)
            .map(|t| {
                let mut f = 0u8;
                if t % period == 0 || t == maturity_day {
                    f |= 1;
                }
                if interval > 0 && t % interval == 0 {
                    f |= 2;
                }
                f
            })
            .collect();
        Ok(Self {
            notional,
            event_flags,
            cluster,
            collateral: CollateralModel::new(&s.cluster, &s.collateral, horizon_days),
            equity_investment_usd: capex_usd - schedule.principal_usd + initial_dsra_usd,
            schedule,
            swap: SwapTerms::new(&s.swap, fixed_price_usd_per_gpu_hour),
            order: s.waterfall.order.clone(),
            dsra_months: l.dsra_months,
            initial_dsra_usd,
            dscr_covenant: l.dscr_covenant,
            utilization_covenant: l.utilization_covenant,
            discount_rate: s.simulation.discount_rate,
            dsra_target_after,
            discount,
            horizon_days,
            maturity_day,
            loan_years,
        })
    }

    /// Days the engine simulates: tenor × payment interval + tail days.
    pub fn horizon_days(&self) -> u32 {
        self.horizon_days
    }

    /// Day of the final loan payment (time, days after close).
    pub fn maturity_day(&self) -> u32 {
        self.maturity_day
    }

    /// Number of loan years (rows of `settlement_by_year_usd`): ceil(maturity / 365).
    pub fn loan_years(&self) -> usize {
        self.loan_years
    }

    /// The contractual loan schedule.
    pub fn schedule(&self) -> &LoanSchedule {
        &self.schedule
    }

    /// Notional factor n(t) at time `day`: scheduled balance / original principal.
    pub fn notional_factor(&self, day: u32) -> f64 {
        match self.notional.get(day as usize) {
            Some(&n) => n,
            None => self.schedule.notional_factor(day),
        }
    }

    /// (a calculation period ends, a loan payment falls) at time `time`.
    #[inline]
    pub(crate) fn events_at(&self, time: u32) -> (bool, bool) {
        match self.event_flags.get(time as usize) {
            Some(&f) => (f & 1 != 0, f & 2 != 0),
            None => (
                time % self.swap.period_days.max(1) == 0 || time == self.maturity_day,
                time % self.schedule.payment_interval_days.max(1) == 0,
            ),
        }
    }

    /// Discount factor at time `day` (flat beyond the horizon).
    pub fn discount_factor(&self, day: u32) -> f64 {
        let i = (day as usize).min(self.discount.len() - 1);
        self.discount[i]
    }
}
