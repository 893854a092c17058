//! Compound-Poisson jumps in log price: arrival times and sizes, drawn from the jump stream.
//!
//! Arrivals are generated as exponential inter-arrival times (in days) so a path without jumps
//! costs one draw. A jump of size ξ at time τ enters the OU deviation Z and reverts with it, so
//! on the day grid it contributes ξ·e^(−κ(t−τ)) at the end of its day.
//! Must not: own a generator.

use crate::scenario::{JumpSize, Jumps, DAYS_PER_YEAR};
use rand::Rng;
use rand_distr::{Distribution, Exp1, StandardNormal};

/// A validated jump process.
#[derive(Debug, Clone, PartialEq)]
pub struct JumpProcess {
    /// Expected jumps per day.
    pub rate_per_day: f64,
    pub size: JumpSize,
}

impl JumpProcess {
    pub fn new(j: &Jumps) -> Self {
        Self {
            rate_per_day: j.intensity_per_year / DAYS_PER_YEAR,
            size: j.size.clone(),
        }
    }

    /// Days until the next arrival (∞ when the rate is 0).
    #[inline]
    pub fn next_gap_days<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        if self.rate_per_day <= 0.0 {
            return f64::INFINITY;
        }
        let e: f64 = Exp1.sample(rng);
        e / self.rate_per_day
    }

    /// One jump size in log price.
    #[inline]
    pub fn size<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self.size {
            JumpSize::Normal { mean, std } => {
                let z: f64 = StandardNormal.sample(rng);
                mean + std * z
            }
            JumpSize::DoubleExponential {
                p_up,
                mean_up,
                mean_down,
            } => {
                let u: f64 = rng.random();
                let e: f64 = Exp1.sample(rng);
                if u < p_up {
                    mean_up * e
                } else {
                    -mean_down * e
                }
            }
        }
    }

    /// E[ξ] and E[ξ²] of one jump (for closed-form tests and MTM moments).
    pub fn size_moments(&self) -> (f64, f64) {
        match self.size {
            JumpSize::Normal { mean, std } => (mean, mean * mean + std * std),
            JumpSize::DoubleExponential {
                p_up,
                mean_up,
                mean_down,
            } => (
                p_up * mean_up - (1.0 - p_up) * mean_down,
                2.0 * (p_up * mean_up * mean_up + (1.0 - p_up) * mean_down * mean_down),
            ),
        }
    }

    /// E[e^(c·ξ)] of one jump (moment generating function; for the MTM).
    pub fn mgf(&self, c: f64) -> f64 {
        match self.size {
            JumpSize::Normal { mean, std } => (c * mean + 0.5 * c * c * std * std).exp(),
            JumpSize::DoubleExponential {
                p_up,
                mean_up,
                mean_down,
            } => {
                // Requires c·mean_up < 1 (finite MGF); validated jumps have small means.
                let up = if c * mean_up < 1.0 {
                    1.0 / (1.0 - c * mean_up)
                } else {
                    f64::MAX
                };
                p_up * up + (1.0 - p_up) / (1.0 + c * mean_down)
            }
        }
    }
}
