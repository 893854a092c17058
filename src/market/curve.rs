//! The price mean curve θ(t) on the daily grid, and the lag term of the reversion-level
//! convention.
//!
//! Both conventions are written as X_t = ln θ(t) + Z_t (SPEC §4.1):
//! * **median** (default): dZ = −κZ dt + σ dW, so θ(t) is the median path without jumps;
//! * **reversion level**: dX = κ(ln θ(t) − X) dt + σ dW, i.e. dZ = (−κZ − g(t)) dt + σ dW with
//!   g = d ln θ / dt; the exact daily step adds −g·(1 − e^(−κΔ))/κ, so with a falling curve X
//!   settles |g|/κ above ln θ.
//!
//! Must not: draw random numbers.

use super::ou::ExactOu;
use crate::scenario::{CurveConvention, MeanCurve, DAYS_PER_YEAR};

/// ln θ(t) per day and the per-step lag added to Z (0 under the median convention).
#[derive(Debug, Clone, PartialEq)]
pub struct CurveGrid {
    /// ln θ(day) for day 0..=horizon.
    pub ln_theta: Vec<f64>,
    /// Deterministic drift added to Z on the step from day t to t+1.
    pub lag_step: Vec<f64>,
}

/// ln θ(t) for t in days.
pub fn ln_theta(curve: &MeanCurve, day: f64) -> f64 {
    match curve {
        MeanCurve::Drift {
            initial_usd_per_gpu_hour,
            annual_drift,
        } => initial_usd_per_gpu_hour.ln() + (1.0 + annual_drift).ln() * day / DAYS_PER_YEAR,
        MeanCurve::Points(points) => {
            let (d0, p0) = points[0];
            if day <= d0 {
                return p0.ln();
            }
            for w in points.windows(2) {
                let ((da, pa), (db, pb)) = (w[0], w[1]);
                if day <= db {
                    let f = (day - da) / (db - da);
                    return pa.ln() + f * (pb.ln() - pa.ln());
                }
            }
            points[points.len() - 1].1.ln()
        }
    }
}

impl CurveGrid {
    pub fn new(
        curve: &MeanCurve,
        convention: CurveConvention,
        kappa_per_year: f64,
        horizon_days: u32,
    ) -> Self {
        let ln: Vec<f64> = (0..=horizon_days)
            .map(|d| ln_theta(curve, d as f64))
            .collect();
        let dt = 1.0 / DAYS_PER_YEAR;
        let lag_step = match convention {
            CurveConvention::Median => vec![0.0; horizon_days as usize],
            CurveConvention::ReversionLevel => {
                let k = ExactOu::kernel_integral(kappa_per_year, dt);
                ln.windows(2).map(|w| -((w[1] - w[0]) / dt) * k).collect()
            }
        };
        Self {
            ln_theta: ln,
            lag_step,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_curve_falls_by_the_annual_rate() {
        let c = MeanCurve::Drift {
            initial_usd_per_gpu_hour: 2.0,
            annual_drift: -0.15,
        };
        assert!((ln_theta(&c, 365.0).exp() - 1.7).abs() < 1e-12);
    }

    #[test]
    fn points_interpolate_in_log_and_stay_flat_outside() {
        let c = MeanCurve::Points(vec![(0.0, 2.0), (100.0, 1.0)]);
        assert!((ln_theta(&c, 50.0).exp() - 2f64.sqrt()).abs() < 1e-12);
        assert!((ln_theta(&c, 500.0).exp() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn reversion_level_lag_matches_steady_state() {
        // With a constant log slope g the steady-state Z solves Z = aZ + lag: Z* = −g/κ.
        let c = MeanCurve::Drift {
            initial_usd_per_gpu_hour: 2.0,
            annual_drift: -0.15,
        };
        let g = grid_steady_state(&c, 2.0);
        let expected = -(0.85f64.ln()) / 2.0;
        assert!((g - expected).abs() < 1e-9, "{g} vs {expected}");
    }

    fn grid_steady_state(c: &MeanCurve, kappa: f64) -> f64 {
        let grid = CurveGrid::new(c, CurveConvention::ReversionLevel, kappa, 10);
        let a = (-kappa / DAYS_PER_YEAR).exp();
        grid.lag_step[0] / (1.0 - a)
    }
}
