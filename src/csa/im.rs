//! Initial margin of the trader and its coverage (SPEC §10).
//!
//! Owns: the three IM methods — `fixed`; `stress`, the trader's loss over the margin period of
//! risk under a named stress at inception (settlements over the stress days plus the change of
//! the semi-analytic MTM); `var`, a quantile of simulated MPOR losses supplied by the engine from
//! a pilot — the MPOR loss windows of one path, and coverage (the share of MPOR windows whose
//! loss stayed within the IM). Must not: simulate paths, draw random numbers, or know the CSA's
//! call mechanics.

use super::mtm::{PeriodAccrual, SwapMtm};
use crate::market::logit;
use crate::metrics::sketch::QuantileSketch;
use crate::scenario::{InitialMargin, StressSpec};
use thiserror::Error;

/// Why an IM could not be computed.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ImError {
    #[error("the var initial margin needs a pilot sample of MPOR losses")]
    MissingPilot,
    #[error("the pilot sample of MPOR losses is empty")]
    EmptySample,
    #[error("quantile must be in (0, 1), got {0}")]
    Quantile(f64),
    #[error("MPOR loss sample contains a non-finite value")]
    NonFinite,
    #[error("fixed initial margin must be finite and non-negative, got {0}")]
    Fixed(f64),
    #[error("stress must have days >= 1, price_change > -1 and utilization in (0, 1); got {0:?}")]
    Stress(StressSpec),
}

/// The stress IM and its parts, all in dollars present-valued to inception.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StressIm {
    /// Trader's MTM at inception in the base state (Z = W = 0).
    pub mtm_before_usd: f64,
    /// Trader's settlements of the periods that settle within the stress window.
    pub settlements_usd: f64,
    /// Trader's MTM at the end of the stress window in the stressed state (with the accruals of
    /// the period under way), discounted to inception.
    pub mtm_after_usd: f64,
    /// mtm_before − (settlements + mtm_after): the trader's loss over the window.
    pub loss_usd: f64,
    /// max(loss, 0).
    pub im_usd: f64,
}

/// IM in dollars for `method`, before any downgrade multiplier. `pilot_sorted_losses` (ascending
/// MPOR losses of a pilot run) is needed only by `Var`.
pub fn initial_margin_usd(
    method: &InitialMargin,
    mtm: &SwapMtm,
    pilot_sorted_losses: Option<&[f64]>,
) -> Result<f64, ImError> {
    match method {
        InitialMargin::Fixed { usd } => {
            if usd.is_finite() && *usd >= 0.0 {
                Ok(*usd)
            } else {
                Err(ImError::Fixed(*usd))
            }
        }
        InitialMargin::Stress(spec) => Ok(stress_im(mtm, spec)?.im_usd),
        InitialMargin::Var { quantile } => {
            var_im_usd(pilot_sorted_losses.ok_or(ImError::MissingPilot)?, *quantile)
        }
    }
}

/// The stress IM: over days 0..days−1 the index price is the base path × (1 + price_change)
/// (a log shift of Z) and utilization sits at the stress level (W = logit(level) − target).
/// Periods settling inside the window settle on the stressed values; the rest is valued with
/// the semi-analytic MTM at the stressed state at the end of the window (which then reverts
/// with the model's dynamics). A window longer than the swap is cut at its end.
pub fn stress_im(mtm: &SwapMtm, spec: &StressSpec) -> Result<StressIm, ImError> {
    if spec.days == 0
        || !(spec.price_change > -1.0 && spec.price_change.is_finite())
        || !(spec.utilization > 0.0 && spec.utilization < 1.0)
    {
        return Err(ImError::Stress(*spec));
    }
    let fixed = mtm.fixed_price_usd_per_gpu_hour();
    let before = mtm.legs_at_inception(0.0, 0.0).value(fixed);
    let shift = (1.0 + spec.price_change).ln();
    let last = spec.days.min(mtm.end_day()) - 1;
    let mut acc = PeriodAccrual::default();
    let mut settlements = 0.0;
    for d in 0..=last {
        let price = (mtm.base_log_price(d).unwrap_or(0.0) + shift).exp();
        mtm.accrue(&mut acc, d, price, spec.utilization);
        if mtm.settlement_day(acc.period) == Some(d) {
            settlements +=
                mtm.discount_factor(d) * mtm.period_settlement_to_trader_usd(&acc, fixed);
        }
    }
    let z = mtm.base_z(last).unwrap_or(0.0) + shift;
    let w = logit(spec.utilization) - mtm.target_logit(last).unwrap_or(0.0);
    let after = mtm.discount_factor(last) * mtm.value(last, z, w, &acc);
    let loss = before - (settlements + after);
    Ok(StressIm {
        mtm_before_usd: before,
        settlements_usd: settlements,
        mtm_after_usd: after,
        loss_usd: loss,
        im_usd: loss.max(0.0),
    })
}

/// The var IM: the `quantile` of an ascending sample of MPOR losses (the smallest loss whose
/// empirical distribution function reaches the quantile), floored at 0.
pub fn var_im_usd(sorted_losses: &[f64], quantile: f64) -> Result<f64, ImError> {
    if !(quantile > 0.0 && quantile < 1.0) {
        return Err(ImError::Quantile(quantile));
    }
    if sorted_losses.is_empty() {
        return Err(ImError::EmptySample);
    }
    if sorted_losses.iter().any(|x| !x.is_finite()) {
        return Err(ImError::NonFinite);
    }
    let n = sorted_losses.len();
    let idx = ((quantile * n as f64).ceil() as usize).clamp(1, n) - 1;
    Ok(sorted_losses[idx].max(0.0))
}

/// The var IM from a quantile sketch of MPOR losses (the engine's streaming alternative to a
/// sorted sample), floored at 0.
pub fn var_im_from_sketch(sketch: &QuantileSketch, quantile: f64) -> Result<f64, ImError> {
    if !(quantile > 0.0 && quantile < 1.0) {
        return Err(ImError::Quantile(quantile));
    }
    if sketch.count() == 0 {
        return Err(ImError::EmptySample);
    }
    let q = sketch.quantile(quantile);
    if q.is_finite() {
        Ok(q.max(0.0))
    } else {
        Err(ImError::NonFinite)
    }
}

/// The trader's loss over every MPOR window of one path: for each start day t with
/// t + mpor_days inside the series, value(t) − value(t + m) − Σ settlements to the trader on
/// days t+1..=t+m. This is what the SPV loses if the trader stops paying at t and the swap is
/// closed out m days later with no further margin. Dollars.
pub fn mpor_losses(
    trader_value_usd: &[f64],
    settlement_to_trader_usd: &[f64],
    mpor_days: u32,
) -> Vec<f64> {
    let m = mpor_days as usize;
    let n = trader_value_usd.len().min(settlement_to_trader_usd.len());
    if m == 0 || n <= m {
        return Vec::new();
    }
    let mut window: f64 = settlement_to_trader_usd[1..=m].iter().sum();
    let mut out = Vec::with_capacity(n - m);
    for t in 0..n - m {
        if t > 0 {
            window += settlement_to_trader_usd[t + m] - settlement_to_trader_usd[t];
        }
        out.push(trader_value_usd[t] - trader_value_usd[t + m] - window);
    }
    out
}

/// Coverage: the share of MPOR losses that stayed within `im_usd` (1 for an empty sample).
pub fn coverage(losses: &[f64], im_usd: f64) -> f64 {
    if losses.is_empty() {
        return 1.0;
    }
    losses.iter().filter(|&&l| l <= im_usd).count() as f64 / losses.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn var_picks_the_order_statistic() {
        let s: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(var_im_usd(&s, 0.99).unwrap(), 99.0);
        assert_eq!(var_im_usd(&s, 0.995).unwrap(), 100.0);
        assert_eq!(var_im_usd(&s, 0.5).unwrap(), 50.0);
        assert_eq!(var_im_usd(&[-5.0, -1.0], 0.5).unwrap(), 0.0);
        assert_eq!(var_im_usd(&[], 0.5), Err(ImError::EmptySample));
        assert_eq!(var_im_usd(&s, 1.0), Err(ImError::Quantile(1.0)));
    }

    #[test]
    fn mpor_losses_by_hand() {
        // Values 10, 8, 9, 4 and settlements 0, 1, −2, 3 to the trader, MPOR 2:
        // t=0: 10 − 9 − (1 − 2) = 2; t=1: 8 − 4 − (−2 + 3) = 3.
        let l = mpor_losses(&[10.0, 8.0, 9.0, 4.0], &[0.0, 1.0, -2.0, 3.0], 2);
        assert_eq!(l, vec![2.0, 3.0]);
        assert!(mpor_losses(&[1.0, 2.0], &[0.0, 0.0], 2).is_empty());
    }

    #[test]
    fn coverage_counts_windows_within_im() {
        let l = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(coverage(&l, 2.5), 0.5);
        assert_eq!(coverage(&l, 4.0), 1.0);
        assert_eq!(coverage(&[], 0.0), 1.0);
    }
}
