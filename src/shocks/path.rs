//! [`PathShocks`]: the shocks of one path, drawn once before the path runs, and the daily
//! [`Overlay`] they produce, precomputed so that [`PathShocks::overlay`] is a few array reads.
//!
//! Owns: arrival days, magnitude draws, Poisson counts and their cap, the per-target conversion
//! of magnitudes into overlay fields, and the combination of shocks acting on the same day.
//! Must not: create random generators (the engine hands each shock its own stream), allocate in
//! steady state (buffers are reused from path to path), or fail (models are validated upstream;
//! anything odd that slips through is sanitized to a finite, documented value).

use rand::Rng;
use rand_distr::{Distribution, Normal, Poisson};

use super::overlay::Overlay;
use super::shape::{active_days, shape_weight};
use crate::scenario::{Arrival, Magnitude, Shock, ShockTarget, DAYS_PER_YEAR};

/// Most occurrences one Poisson shock can have on one path. At the presets' rates (a few per
/// year over a few years, mean ≈ 20) the probability of reaching the cap is below 1e-300; the cap
/// only bounds memory and time for absurd rates (a rate of 10 000/yr would otherwise put tens of
/// thousands of events on every path). Occurrences beyond the cap are dropped.
pub const MAX_POISSON_OCCURRENCES: u32 = 1024;

/// Floor on a relative change (−0.99 = −99 %): keeps `ln(1 + m)` finite when a normal magnitude
/// draw falls below −100 %.
pub const MIN_RELATIVE_CHANGE: f64 = -0.99;

/// One arrival of one shock on this path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Occurrence {
    /// Index of the shock in the scenario's shock list.
    pub shock: usize,
    /// Number of this occurrence among the shock's occurrences, in draw order.
    pub index: u32,
    /// Arrival day (0-based, below the horizon).
    pub day: u32,
    /// Drawn magnitude, in the target's units (see [`ShockTarget`]), before any clamping.
    pub magnitude: f64,
}

/// A magnitude distribution ready to sample (validated once, in [`PathShocks::new`]).
#[derive(Debug, Clone, Copy)]
enum MagnitudeDraw {
    Fixed(f64),
    Normal(Normal<f64>),
    Uniform { low: f64, high: f64 },
}

impl MagnitudeDraw {
    fn new(m: &Magnitude) -> Self {
        match *m {
            Magnitude::Fixed(v) => MagnitudeDraw::Fixed(finite_or_zero(v)),
            Magnitude::Normal { mean, std } => match Normal::new(mean, std) {
                Ok(n) if mean.is_finite() && std.is_finite() => MagnitudeDraw::Normal(n),
                _ => MagnitudeDraw::Fixed(finite_or_zero(mean)),
            },
            Magnitude::Uniform { low, high } => {
                let (low, high) = (finite_or_zero(low), finite_or_zero(high));
                MagnitudeDraw::Uniform {
                    low: low.min(high),
                    high: low.max(high),
                }
            }
        }
    }

    /// Draws one magnitude. Random magnitudes always consume exactly one draw from `rng`.
    fn sample<R: Rng>(&self, rng: &mut R) -> f64 {
        let v = match *self {
            MagnitudeDraw::Fixed(v) => v,
            MagnitudeDraw::Normal(n) => n.sample(rng),
            MagnitudeDraw::Uniform { low, high } => low + (high - low) * rng.random::<f64>(),
        };
        finite_or_zero(v)
    }
}

fn finite_or_zero(v: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

// Internal per-day arrays, indexed by absolute day.
const F_PRICE_LEVEL: usize = 0;
const F_PRICE_MEAN: usize = 1;
const F_UTIL_MEAN: usize = 2;
const F_BASIS: usize = 3;
const F_INDEX: usize = 4;
/// ln power multiplier while filling, the multiplier after `finish`.
const F_POWER: usize = 5;
const F_OPEX: usize = 6;
const F_COLLATERAL: usize = 7;
const F_CAPACITY: usize = 8;
/// Π(1 − wᵢ) while filling, the combined weight W = 1 − Π(1 − wᵢ) after `finish`.
const F_UTIL_WEIGHT: usize = 9;
/// Σ-composed level contribution while filling, the level after `finish`.
const F_UTIL_LEVEL: usize = 10;
const N_FIELDS: usize = 11;

/// Starting value of each array while filling.
const FILL_START: [f64; N_FIELDS] = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0];
/// Value of each array's overlay field when no shock touches it (after `finish`).
const NEUTRAL_VALUE: [f64; N_FIELDS] = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0];

/// The shocks of one path: arrival days and magnitudes drawn once, before the path runs.
///
/// Create one per worker thread with [`PathShocks::new`] and call [`PathShocks::redraw`] for
/// every path: the buffers are reused, so `redraw` does not allocate once they have reached the
/// largest horizon and occurrence count seen.
#[derive(Debug, Clone)]
pub struct PathShocks {
    draws: Vec<MagnitudeDraw>,
    occurrences: Vec<Occurrence>,
    commissioning_delay_days: u32,
    horizon_days: u32,
    /// First day with a non-neutral overlay (meaningless when `touched == 0`).
    start_day: u32,
    /// Bit f set = array f holds this path's values on `start_day .. horizon_days`.
    touched: u16,
    fields: [Vec<f64>; N_FIELDS],
}

impl PathShocks {
    /// Prepares the samplers of `shocks` (the scenario's validated shock list, in order).
    pub fn new(shocks: &[Shock]) -> Self {
        PathShocks {
            draws: shocks
                .iter()
                .map(|s| MagnitudeDraw::new(&s.magnitude))
                .collect(),
            occurrences: Vec::new(),
            commissioning_delay_days: 0,
            horizon_days: 0,
            start_day: 0,
            touched: 0,
            fields: Default::default(),
        }
    }

    /// Draws this path's arrivals and magnitudes and precomputes its daily overlay.
    ///
    /// `shocks` must be the list given to [`PathShocks::new`] (a list of another length is
    /// accepted, at the cost of an allocation). `rng_for(i)` gives shock i its own stream (the
    /// engine seeds it from (seed, path, 1000 + i)), so switching one shock off never moves
    /// another's draws. `enabled[i] == false` → shock i does nothing and `rng_for(i)` is not
    /// called; indices past the end of `enabled` count as enabled. Arrivals on or after
    /// `horizon_days` are dropped.
    ///
    /// Draw order in shock i's stream (fixed, so that sweeping a probability or a rate keeps the
    /// other draws on common random numbers):
    /// - fixed day: one magnitude;
    /// - probability: a uniform for the coin, the day, then the magnitude, all three always drawn;
    /// - Poisson: the count, then (day, magnitude) for each occurrence.
    pub fn redraw<R: Rng>(
        &mut self,
        shocks: &[Shock],
        horizon_days: u32,
        enabled: &[bool],
        mut rng_for: impl FnMut(usize) -> R,
    ) {
        if self.draws.len() != shocks.len() {
            *self = PathShocks::new(shocks);
        }
        self.occurrences.clear();
        self.commissioning_delay_days = 0;
        self.horizon_days = horizon_days;
        self.touched = 0;

        for (i, shock) in shocks.iter().enumerate() {
            if !enabled.get(i).copied().unwrap_or(true) {
                continue;
            }
            let mut rng = rng_for(i);
            self.draw_shock(i, shock, horizon_days, &mut rng);
        }
        self.occurrences
            .sort_unstable_by_key(|o| (o.day, o.shock, o.index));

        for o in &self.occurrences {
            if shocks[o.shock].target == ShockTarget::CommissioningDate {
                let days = o.magnitude.round().clamp(0.0, f64::from(u32::MAX)) as u32;
                self.commissioning_delay_days = self.commissioning_delay_days.saturating_add(days);
            }
        }
        self.fill(shocks);
    }

    fn draw_shock<R: Rng>(&mut self, i: usize, shock: &Shock, horizon_days: u32, rng: &mut R) {
        let draw = self.draws[i];
        match shock.arrival {
            Arrival::FixedDay(day) => {
                let magnitude = draw.sample(rng);
                if day < horizon_days {
                    self.occurrences.push(Occurrence {
                        shock: i,
                        index: 0,
                        day,
                        magnitude,
                    });
                }
            }
            Arrival::Probability {
                probability,
                first_day,
                last_day,
            } => {
                let coin = rng.random::<f64>();
                let (lo, hi) = (first_day.min(last_day), first_day.max(last_day));
                let day = rng.random_range(lo..=hi);
                let magnitude = draw.sample(rng);
                if coin < probability && day < horizon_days {
                    self.occurrences.push(Occurrence {
                        shock: i,
                        index: 0,
                        day,
                        magnitude,
                    });
                }
            }
            Arrival::Poisson { rate_per_year } => {
                if horizon_days == 0 {
                    return;
                }
                let mean = rate_per_year * f64::from(horizon_days) / DAYS_PER_YEAR;
                let count = match Poisson::new(mean) {
                    Ok(p) => p.sample(rng).min(f64::from(MAX_POISSON_OCCURRENCES)) as u32,
                    Err(_) => 0,
                };
                for index in 0..count {
                    let day = rng.random_range(0..horizon_days);
                    let magnitude = draw.sample(rng);
                    self.occurrences.push(Occurrence {
                        shock: i,
                        index,
                        day,
                        magnitude,
                    });
                }
            }
        }
    }

    /// Precomputes the overlay arrays from the sorted occurrences.
    fn fill(&mut self, shocks: &[Shock]) {
        let horizon = self.horizon_days;
        let Some(first) = self
            .occurrences
            .iter()
            .find(|o| shocks[o.shock].target != ShockTarget::CommissioningDate)
        else {
            return;
        };
        self.start_day = first.day;
        let start = self.start_day as usize;
        let end = horizon as usize;
        for f in &mut self.fields {
            if f.len() < end {
                f.resize(end, 0.0);
            }
        }

        for k in 0..self.occurrences.len() {
            let o = self.occurrences[k];
            let shock = &shocks[o.shock];
            if shock.target == ShockTarget::CommissioningDate {
                continue;
            }
            let last = match active_days(shock.shape) {
                Some(n) => o.day.saturating_add(n).min(horizon),
                None => horizon,
            };
            let m = o.magnitude;
            let rel_log = m.max(MIN_RELATIVE_CHANGE).ln_1p();
            let elasticity_points = -shock.demand_elasticity * m;
            let targets: (usize, Option<usize>) = match shock.target {
                ShockTarget::PriceLevel => (F_PRICE_LEVEL, Some(F_UTIL_MEAN)),
                ShockTarget::PriceMeanCurve => (F_PRICE_MEAN, Some(F_UTIL_MEAN)),
                ShockTarget::UtilizationMean => (F_UTIL_MEAN, None),
                ShockTarget::UtilizationLevel => (F_UTIL_WEIGHT, Some(F_UTIL_LEVEL)),
                ShockTarget::Capacity => (F_CAPACITY, None),
                ShockTarget::OperatorBasis => (F_BASIS, None),
                ShockTarget::PowerPrice => (F_POWER, None),
                ShockTarget::Opex => (F_OPEX, None),
                ShockTarget::CollateralValue => (F_COLLATERAL, None),
                ShockTarget::IndexMethodology => (F_INDEX, None),
                ShockTarget::CommissioningDate => continue,
            };
            let with_elasticity = matches!(
                shock.target,
                ShockTarget::PriceLevel | ShockTarget::PriceMeanCurve
            ) && elasticity_points != 0.0;
            self.touch(targets.0, start, end);
            if let Some(second) = targets.1 {
                if shock.target == ShockTarget::UtilizationLevel || with_elasticity {
                    self.touch(second, start, end);
                }
            }

            for day in o.day..last {
                let w = shape_weight(shock.shape, day - o.day);
                if w == 0.0 {
                    continue;
                }
                let d = day as usize;
                match shock.target {
                    ShockTarget::PriceLevel | ShockTarget::PriceMeanCurve => {
                        self.fields[targets.0][d] += rel_log * w;
                        if with_elasticity {
                            self.fields[F_UTIL_MEAN][d] += elasticity_points * w;
                        }
                    }
                    ShockTarget::PowerPrice
                    | ShockTarget::Opex
                    | ShockTarget::CollateralValue
                    | ShockTarget::IndexMethodology => self.fields[targets.0][d] += rel_log * w,
                    ShockTarget::UtilizationMean | ShockTarget::OperatorBasis => {
                        self.fields[targets.0][d] += m * w;
                    }
                    ShockTarget::Capacity => {
                        self.fields[F_CAPACITY][d] *= (1.0 - m * w).clamp(0.0, 1.0);
                    }
                    ShockTarget::UtilizationLevel => {
                        let level = m.clamp(0.0, 1.0);
                        let acc = &mut self.fields[F_UTIL_LEVEL][d];
                        *acc = (1.0 - w) * *acc + w * level;
                        self.fields[F_UTIL_WEIGHT][d] *= 1.0 - w;
                    }
                    ShockTarget::CommissioningDate => {}
                }
            }
        }
        self.finish(start, end);
    }

    /// Marks array `f` as used by this path, resetting its range on first use.
    fn touch(&mut self, f: usize, start: usize, end: usize) {
        let bit = 1u16 << f;
        if self.touched & bit == 0 {
            self.touched |= bit;
            self.fields[f][start..end].fill(FILL_START[f]);
        }
    }

    /// Turns the filling accumulators into overlay values.
    fn finish(&mut self, start: usize, end: usize) {
        for f in [F_POWER, F_OPEX, F_COLLATERAL] {
            if self.touched & (1 << f) != 0 {
                for v in &mut self.fields[f][start..end] {
                    *v = v.exp();
                }
            }
        }
        if self.touched & (1 << F_UTIL_WEIGHT) != 0 {
            let [.., weight, level] = &mut self.fields;
            for d in start..end {
                let w = 1.0 - weight[d];
                weight[d] = w;
                level[d] = if w > 0.0 {
                    (level[d] / w).clamp(0.0, 1.0)
                } else {
                    0.0
                };
            }
        }
    }

    /// Extra days of commissioning delay: the sum over this path's arrived commissioning_date
    /// occurrences of their magnitude, rounded to whole days (negative draws count as 0). The
    /// arrival day is when the delay becomes known; the shape plays no part.
    pub fn commissioning_delay_days(&self) -> u32 {
        self.commissioning_delay_days
    }

    /// This path's occurrences, sorted by (day, shock, index).
    pub fn occurrences(&self) -> &[Occurrence] {
        &self.occurrences
    }

    /// First day on which the overlay is not neutral by construction, or `None` when no shock
    /// with an overlay target arrived on this path.
    pub fn first_effect_day(&self) -> Option<u32> {
        (self.touched != 0).then_some(self.start_day)
    }

    /// The combined effect of all arrived shocks on `day` (days past the horizon read the last
    /// simulated day). Costs a comparison on paths without arrived shocks and a few array reads
    /// otherwise.
    #[inline]
    pub fn overlay(&self, day: u32) -> Overlay {
        if self.touched == 0 || day < self.start_day {
            return Overlay::NEUTRAL;
        }
        let d = day.min(self.horizon_days.saturating_sub(1)) as usize;
        let get = |f: usize| {
            if self.touched & (1 << f) != 0 {
                self.fields[f][d]
            } else {
                NEUTRAL_VALUE[f]
            }
        };
        let util_level = if self.touched & (1 << F_UTIL_WEIGHT) != 0 {
            let w = self.fields[F_UTIL_WEIGHT][d];
            (w > 0.0).then(|| (w, self.fields[F_UTIL_LEVEL][d]))
        } else {
            None
        };
        Overlay {
            price_level_log: get(F_PRICE_LEVEL),
            price_mean_log: get(F_PRICE_MEAN),
            util_mean_points: get(F_UTIL_MEAN),
            util_level,
            capacity_factor: get(F_CAPACITY),
            basis_log: get(F_BASIS),
            index_log: get(F_INDEX),
            power_mult: get(F_POWER),
            opex_mult: get(F_OPEX),
            collateral_mult: get(F_COLLATERAL),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Layer, Shape};
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn redraw_does_not_reallocate_in_steady_state() {
        let shocks = [
            Shock {
                name: "price".into(),
                layer: Layer(1),
                arrival: Arrival::Probability {
                    probability: 0.5,
                    first_day: 0,
                    last_day: 99,
                },
                magnitude: Magnitude::Normal {
                    mean: -0.2,
                    std: 0.1,
                },
                shape: Shape::Ramp { days: 10 },
                target: ShockTarget::PriceLevel,
                demand_elasticity: 0.1,
            },
            Shock {
                name: "power".into(),
                layer: Layer(0),
                arrival: Arrival::FixedDay(5),
                magnitude: Magnitude::Fixed(0.3),
                shape: Shape::Step,
                target: ShockTarget::PowerPrice,
                demand_elasticity: 0.0,
            },
        ];
        let mut p = PathShocks::new(&shocks);
        let rng =
            |path: u64| move |i: usize| Xoshiro256PlusPlus::seed_from_u64(path * 10 + i as u64);
        p.redraw(&shocks, 100, &[true, true], rng(0));
        let buffers: Vec<*const f64> = p.fields.iter().map(|f| f.as_ptr()).collect();
        let occurrences = p.occurrences.as_ptr();
        for path in 1..200 {
            p.redraw(&shocks, 100, &[true, true], rng(path));
            assert_eq!(p.occurrences.as_ptr(), occurrences);
            let now: Vec<*const f64> = p.fields.iter().map(|f| f.as_ptr()).collect();
            assert_eq!(now, buffers);
        }
    }
}
