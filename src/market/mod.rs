//! The market model (SPEC §4): four correlated factors on the daily grid.
//!
//! * index price `P = exp(ln θ(t) + Z + shock overlays)`, Z an exact OU with jumps ([`curve`]);
//! * utilization `u = logistic(logit(target(t)) + W)`, target ramping after commissioning;
//! * operator basis `b = mean + V`, operator price `P·exp(b)`;
//! * power price fixed, or `median·exp(Q)`.
//!
//! Z, W, V, Q are exact OU deviations driven by one correlated Gaussian vector per day
//! (Cholesky factor of the scenario's correlation). Shocks arrive as an [`Overlay`]; shocks on the
//! *mean* (price mean curve, utilization mean) are filtered through the factor's own reversion
//! speed, shocks on the *level* apply at once. Must not: create generators, do I/O, know contracts.

pub mod correlation;
pub mod curve;
pub mod fastmath;
pub mod jumps;
pub mod ou;

use crate::scenario::{
    Correlation, PowerModel, Scenario, DAYS_PER_YEAR, F_BASIS, F_POWER, F_PRICE, F_UTIL, N_FACTORS,
};
use crate::shocks::Overlay;
use curve::CurveGrid;
use jumps::JumpProcess;
use ou::ExactOu;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// logit(p) = ln(p / (1 − p)).
#[inline]
pub fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// logistic(y) = 1 / (1 + e^(−y)), computed without overflow; strictly inside (0, 1) for |y| < 36.
#[inline]
pub fn logistic(y: f64) -> f64 {
    // Clamp keeps u strictly inside (0, 1) in f64 even under extreme parameters.
    let y = y.clamp(-36.0, 36.0);
    1.0 / (1.0 + (-y).exp())
}

/// logit of the utilization target moved by `shift_points` utilization points, kept inside
/// [1e-4, 1 − 1e-4].
#[inline]
fn shifted_target_logit(target_logit: f64, shift_points: f64) -> f64 {
    let target = (logistic(target_logit) + shift_points).clamp(1e-4, 1.0 - 1e-4);
    logit(target)
}

/// Logit of the utilization target `days_since` days after commissioning (`days_since ≤ ramp`).
#[inline(always)]
fn ramp_logit(days_since: u32, ramp_days: u32, initial: f64, long_run: f64) -> f64 {
    if ramp_days == 0 {
        long_run
    } else if days_since == 0 {
        initial
    } else if days_since >= ramp_days {
        // f = 1 exactly below, without the division.
        initial + (long_run - initial)
    } else {
        let f = (days_since as f64 / ramp_days as f64).min(1.0);
        initial + f * (long_run - initial)
    }
}

/// The log- and logit-scale quantities of one observation.
#[derive(Debug, Clone, Copy)]
struct ObservedLogs {
    ln_index: f64,
    basis: f64,
    util_logit: f64,
}

/// Days per [`MarketModel::simulate_days`] block that keep a block's buffers in the L1 cache.
pub const BLOCK_DAYS: u32 = 64;

/// Caller-owned buffers of [`MarketModel::simulate_days`]: one path's market over a block of
/// consecutive days. Reuse one per worker; it grows to the longest block once.
#[derive(Debug, Clone, Default)]
pub struct MarketDays {
    first_day: u32,
    len: usize,
    states: Vec<FactorState>,
    factors: Vec<DayFactors>,
    ln_index: Vec<f64>,
    basis: Vec<f64>,
    /// Logit of utilization, then (in place) utilization before any level shock.
    util: Vec<f64>,
    power: Vec<f64>,
    index_price: Vec<f64>,
    exp_basis: Vec<f64>,
    power_exp: Vec<f64>,
}

impl MarketDays {
    /// Buffers for blocks of up to `days` days (they grow if a longer block comes).
    pub fn with_capacity(days: usize) -> Self {
        let mut out = Self::default();
        out.prepare(0, days);
        out.len = 0;
        out
    }

    /// First day of the block.
    pub fn first_day(&self) -> u32 {
        self.first_day
    }

    /// The state at the end of each day of the block (after its advance), in day order.
    #[inline]
    pub fn states(&self) -> &[FactorState] {
        &self.states[..self.len]
    }

    /// The factors observed on each day of the block, in day order.
    #[inline]
    pub fn factors(&self) -> &[DayFactors] {
        &self.factors[..self.len]
    }

    /// State and factors of `day`, if it is in the block.
    #[inline]
    pub fn day(&self, day: u32) -> Option<(&FactorState, &DayFactors)> {
        let i = day.checked_sub(self.first_day)? as usize;
        Some((self.states().get(i)?, self.factors().get(i)?))
    }

    /// Start a block of `n` days at `first_day` (buffers only grow).
    fn prepare(&mut self, first_day: u32, n: usize) {
        self.first_day = first_day;
        self.len = n;
        if self.states.len() < n {
            self.states.resize(n, FactorState::default());
            self.factors.resize(n, DayFactors::default());
            for v in [
                &mut self.ln_index,
                &mut self.basis,
                &mut self.util,
                &mut self.power,
                &mut self.index_price,
                &mut self.exp_basis,
                &mut self.power_exp,
            ] {
                v.resize(n, 0.0);
            }
        }
    }
}

/// The validated, precomputed market model for one run.
#[derive(Debug, Clone)]
pub struct MarketModel {
    pub horizon_days: u32,
    pub curve: CurveGrid,
    pub price: ExactOu,
    pub jumps: Option<JumpProcess>,
    pub util: ExactOu,
    pub util_initial_logit: f64,
    pub util_long_run_logit: f64,
    pub util_ramp_days: u32,
    pub basis: ExactOu,
    pub basis_mean: f64,
    pub basis_initial: f64,
    pub power: ExactOu,
    pub power_median_usd_per_kwh: f64,
    pub power_stochastic: bool,
    pub chol: [[f64; N_FACTORS]; N_FACTORS],
    pub commissioning_day: u32,
    /// 1 / θ(day), $/GPU-hour⁻¹ (for the price-to-curve ratio without an extra `exp`; may be
    /// empty, then the ratio is computed with `exp`).
    pub inv_theta: Vec<f64>,
}

/// The mutable factor state of one path.
#[derive(Debug, Clone, Copy, Default)]
pub struct FactorState {
    /// Days since close of the current state.
    pub day: u32,
    /// OU deviation of log price from ln θ (includes reverting jumps).
    pub z: f64,
    /// OU deviation of logit utilization from its target.
    pub w: f64,
    /// OU deviation of the basis from its mean.
    pub v: f64,
    /// OU deviation of log power price.
    pub q: f64,
    /// Price mean-curve shock after filtering through κ (log units).
    pub mean_shift: f64,
    /// Utilization mean shock after filtering through the utilization κ (points).
    pub util_shift: f64,
    /// Time of the next jump, in days since close.
    pub next_jump_day: f64,
    /// Jumps so far on this path.
    pub jumps: u32,
    /// Commissioning day of this path (after any delay shock).
    pub commissioning_day: u32,
}

/// What the market did on one day of one path.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DayFactors {
    pub day: u32,
    /// Index (reference) price, $/GPU-hour.
    pub index_price: f64,
    /// Operator-realized price, $/GPU-hour.
    pub operator_price: f64,
    /// Realized utilization in (0, 1).
    pub utilization: f64,
    /// Power price, $/kWh.
    pub power_usd_per_kwh: f64,
    /// Physical rental value relative to the unshocked starting mean curve (for collateral):
    /// exp(Z + mean and level shocks), excluding index-methodology moves.
    pub price_to_curve_ratio: f64,
    /// 0 before commissioning, else the shock capacity factor.
    pub capacity_factor: f64,
    pub opex_multiplier: f64,
    pub collateral_multiplier: f64,
}

impl MarketModel {
    /// Build from a validated scenario for a horizon in days.
    pub fn new(s: &Scenario, horizon_days: u32) -> Self {
        let dt = 1.0 / DAYS_PER_YEAR;
        let m = &s.market;
        let (power_median, pk, ps, stochastic) = match m.power {
            PowerModel::Fixed { usd_per_kwh } => (usd_per_kwh, 0.0, 0.0, false),
            PowerModel::MeanReverting {
                usd_per_kwh,
                kappa_per_year,
                sigma_per_sqrt_year,
            } => (usd_per_kwh, kappa_per_year, sigma_per_sqrt_year, true),
        };
        let curve = CurveGrid::new(
            &m.price.curve,
            m.price.convention,
            m.price.kappa_per_year,
            horizon_days,
        );
        let util_initial_logit = logit(m.utilization.initial);
        let util_long_run_logit = logit(m.utilization.long_run_mean);
        let ramp = m.utilization.ramp_days;
        Self {
            horizon_days,
            inv_theta: curve.ln_theta.iter().map(|l| (-l).exp()).collect(),
            curve,
            price: ExactOu::new(m.price.kappa_per_year, m.price.sigma_per_sqrt_year, dt),
            jumps: m.price.jumps.as_ref().map(JumpProcess::new),
            util: ExactOu::new(
                m.utilization.kappa_per_year,
                m.utilization.sigma_per_sqrt_year,
                dt,
            ),
            util_initial_logit,
            util_long_run_logit,
            util_ramp_days: ramp,
            basis: ExactOu::new(m.basis.kappa_per_year, m.basis.sigma_per_sqrt_year, dt),
            basis_mean: m.basis.mean,
            basis_initial: m.basis.initial,
            power: ExactOu::new(pk, ps, dt),
            power_median_usd_per_kwh: power_median,
            power_stochastic: stochastic,
            chol: m.correlation.cholesky,
            commissioning_day: s.cluster.commissioning_day,
        }
    }

    /// The correlation this model was built from (for reports).
    pub fn correlation_of(s: &Scenario) -> &Correlation {
        &s.market.correlation
    }

    /// Logit of the utilization target on `day` for a cluster commissioned on `commissioning_day`:
    /// linear in logit from `initial` to `long_run_mean` over `ramp_days`.
    #[inline]
    pub fn util_target_logit(&self, day: u32, commissioning_day: u32) -> f64 {
        if day < commissioning_day {
            return self.util_initial_logit;
        }
        ramp_logit(
            (day - commissioning_day).min(self.util_ramp_days),
            self.util_ramp_days,
            self.util_initial_logit,
            self.util_long_run_logit,
        )
    }

    /// The state on day 0 of a path; draws the first jump arrival from the jump stream.
    pub fn initial_state<J: Rng + ?Sized>(
        &self,
        jump_rng: &mut J,
        commissioning_delay_days: u32,
    ) -> FactorState {
        FactorState {
            day: 0,
            v: self.basis_initial - self.basis_mean,
            next_jump_day: self
                .jumps
                .as_ref()
                .map_or(f64::INFINITY, |j| j.next_gap_days(jump_rng)),
            commissioning_day: self
                .commissioning_day
                .saturating_add(commissioning_delay_days),
            ..FactorState::default()
        }
    }

    /// Draw the day's correlated Gaussian vector (always four normals, so switching a factor
    /// off never shifts the others' numbers).
    #[inline(always)]
    pub fn correlated_normals<R: Rng + ?Sized>(&self, rng: &mut R) -> [f64; N_FACTORS] {
        let e: [f64; N_FACTORS] = [
            StandardNormal.sample(rng),
            StandardNormal.sample(rng),
            StandardNormal.sample(rng),
            StandardNormal.sample(rng),
        ];
        let l = &self.chol;
        [
            l[0][0] * e[0],
            l[1][0] * e[0] + l[1][1] * e[1],
            l[2][0] * e[0] + l[2][1] * e[1] + l[2][2] * e[2],
            l[3][0] * e[0] + l[3][1] * e[1] + l[3][2] * e[2] + l[3][3] * e[3],
        ]
    }

    /// Advance the state from day t to day t+1 with the day's correlated shocks `z` and the
    /// overlay in force on day t+1.
    #[inline(always)]
    pub fn advance<J: Rng + ?Sized>(
        &self,
        st: &mut FactorState,
        z: &[f64; N_FACTORS],
        ov: &Overlay,
        jump_rng: &mut J,
    ) {
        let t = st.day as usize;
        st.z = self.price.step(st.z, z[F_PRICE]) + self.curve.lag_step[t];
        let next = (st.day + 1) as f64;
        if st.next_jump_day <= next {
            if let Some(j) = &self.jumps {
                self.jump(st, j, next, jump_rng);
            }
        }
        st.w = self.util.step(st.w, z[F_UTIL]);
        st.v = self.basis.step(st.v, z[F_BASIS]);
        if self.power_stochastic {
            st.q = self.power.step(st.q, z[F_POWER]);
        }
        st.mean_shift = self.price.a * st.mean_shift + (1.0 - self.price.a) * ov.price_mean_log;
        st.util_shift = self.util.a * st.util_shift + (1.0 - self.util.a) * ov.util_mean_points;
        st.day += 1;
    }

    /// The jumps arriving up to time `next` (days): each reverts from its arrival to `next`.
    #[cold]
    #[inline(never)]
    fn jump<J: Rng + ?Sized>(
        &self,
        st: &mut FactorState,
        j: &JumpProcess,
        next: f64,
        jump_rng: &mut J,
    ) {
        while st.next_jump_day <= next {
            let xi = j.size(jump_rng);
            st.z +=
                xi * (-self.price.kappa_per_year * (next - st.next_jump_day) / DAYS_PER_YEAR).exp();
            st.jumps += 1;
            st.next_jump_day += j.next_gap_days(jump_rng);
        }
    }

    /// Observe the factors on the state's day under the overlay (the same arithmetic as
    /// [`MarketModel::simulate_days`], bit for bit).
    #[inline]
    pub fn observe(&self, st: &FactorState, ov: &Overlay) -> DayFactors {
        let logs = self.observed_logs(st, ov);
        let power_exp = if self.power_stochastic {
            fastmath::exp(st.q)
        } else {
            1.0
        };
        self.finish_observation(
            st,
            ov,
            fastmath::exp(logs.ln_index),
            fastmath::exp(logs.basis),
            fastmath::logistic(logs.util_logit),
            power_exp,
        )
    }

    /// The log- and logit-scale quantities of observing `st` under `ov` (no transcendental
    /// function unless a utilization-mean shock acts).
    #[inline(always)]
    fn observed_logs(&self, st: &FactorState, ov: &Overlay) -> ObservedLogs {
        let t = st.day;
        let physical_log = st.z + st.mean_shift + ov.price_level_log;
        let ln_index = self.curve.ln_theta[t as usize] + physical_log + ov.index_log;
        let basis = self.basis_mean + st.v + ov.basis_log - ov.index_log;
        let target_logit = self.util_target_logit(t, st.commissioning_day);
        let target_logit = if st.util_shift != 0.0 {
            shifted_target_logit(target_logit, st.util_shift)
        } else {
            target_logit
        };
        ObservedLogs {
            ln_index,
            basis,
            util_logit: target_logit + st.w,
        }
    }

    /// The day's factors from the exponentials of [`ObservedLogs`]: `index_price` = e^ln_index,
    /// `exp_basis` = e^basis, `util` = logistic(util_logit), `power_exp` = e^q (1 when power is
    /// fixed).
    #[inline(always)]
    fn finish_observation(
        &self,
        st: &FactorState,
        ov: &Overlay,
        index_price: f64,
        exp_basis: f64,
        util: f64,
        power_exp: f64,
    ) -> DayFactors {
        let t = st.day;
        let mut u = util;
        if let Some((w, level)) = ov.util_level {
            u = (1.0 - w) * u + w * level;
        }
        let power = if self.power_stochastic {
            self.power_median_usd_per_kwh * power_exp
        } else {
            self.power_median_usd_per_kwh
        };
        DayFactors {
            day: t,
            index_price,
            operator_price: index_price * exp_basis,
            utilization: u,
            power_usd_per_kwh: power * ov.power_mult,
            // exp(physical_log) without a second exp when no methodology shock moves the index.
            price_to_curve_ratio: match self.inv_theta.get(t as usize) {
                Some(inv) if ov.index_log == 0.0 => index_price * inv,
                _ => (st.z + st.mean_shift + ov.price_level_log).exp(),
            },
            capacity_factor: if t >= st.commissioning_day {
                ov.capacity_factor
            } else {
                0.0
            },
            opex_multiplier: ov.opex_mult,
            collateral_multiplier: ov.collateral_mult,
        }
    }

    /// Simulate the consecutive `days` of one path into `out` (replacing its contents): for each
    /// day `d`, the state is advanced into `d` (when `d > 0`) with `normals(d)`, the day's
    /// correlated Gaussian vector (from [`MarketModel::correlated_normals`], after any change of
    /// sign or shift the caller applies), under the overlay `overlay(d)` (`None`: no shock acts
    /// on any day; the function must be pure, it is called twice per day), then observed. `st`
    /// holds the state of the day before `days.start` (or the initial state when
    /// `days.start == 0`) and is left on the last day.
    ///
    /// Identical, bit for bit, to calling [`MarketModel::advance`] and
    /// [`MarketModel::observe`] day by day with the same draws in the same order; faster, because
    /// the exponentials and logistics of the whole block are evaluated in vectorized loops.
    /// `normals` is called once per day with `d > 0`, in order; jumps are drawn from `jump_rng`.
    pub fn simulate_days<J: Rng + ?Sized, O: FnMut(u32) -> Overlay>(
        &self,
        st: &mut FactorState,
        days: std::ops::Range<u32>,
        overlay: Option<O>,
        normals: impl FnMut(u32) -> [f64; N_FACTORS],
        jump_rng: &mut J,
        out: &mut MarketDays,
    ) {
        match overlay {
            None => self.simulate_block(st, days, |_| Overlay::NEUTRAL, normals, jump_rng, out),
            Some(o) => self.simulate_block(st, days, o, normals, jump_rng, out),
        }
    }

    #[inline(always)]
    fn simulate_block<J: Rng + ?Sized>(
        &self,
        st: &mut FactorState,
        days: std::ops::Range<u32>,
        mut overlay: impl FnMut(u32) -> Overlay,
        mut normals: impl FnMut(u32) -> [f64; N_FACTORS],
        jump_rng: &mut J,
        out: &mut MarketDays,
    ) {
        let first = days.start;
        let n = days.len();
        out.prepare(first, n);
        let states = &mut out.states[..n];
        let ln_index = &mut out.ln_index[..n];
        let basis = &mut out.basis[..n];
        let util = &mut out.util[..n];
        // Sequential part: the recurrences and the log/logit-scale observations (on a local copy
        // of the state, so it stays in registers).
        let mut local = *st;
        for i in 0..n {
            let day = first + i as u32;
            let ov = overlay(day);
            if day > 0 {
                let z = normals(day);
                self.advance(&mut local, &z, &ov, jump_rng);
            }
            let logs = self.observed_logs(&local, &ov);
            states[i] = local;
            ln_index[i] = logs.ln_index;
            basis[i] = logs.basis;
            util[i] = logs.util_logit;
        }
        *st = local;
        // Vectorized part: the transcendental functions of the whole block.
        let index_price = &mut out.index_price[..n];
        let exp_basis = &mut out.exp_basis[..n];
        fastmath::exp_into(ln_index, index_price);
        fastmath::exp_into(basis, exp_basis);
        fastmath::logistic_in_place(util);
        let power_exp = &mut out.power_exp[..n];
        if self.power_stochastic {
            for (q, s) in out.power[..n].iter_mut().zip(states.iter()) {
                *q = s.q;
            }
            fastmath::exp_into(&out.power[..n], power_exp);
        } else {
            power_exp.fill(1.0);
        }
        let factors = &mut out.factors[..n];
        for i in 0..n {
            let s = &states[i];
            factors[i] = self.finish_observation(
                s,
                &overlay(s.day),
                index_price[i],
                exp_basis[i],
                util[i],
                power_exp[i],
            );
        }
    }

    /// The deterministic base case (median price, target utilization, basis mean path, median
    /// power, scheduled commissioning, no shocks) for days 0..horizon — used to sculpt the loan.
    pub fn base_case(&self) -> Vec<DayFactors> {
        let mut st = FactorState {
            v: self.basis_initial - self.basis_mean,
            next_jump_day: f64::INFINITY,
            commissioning_day: self.commissioning_day,
            ..FactorState::default()
        };
        let zero = [0.0; N_FACTORS];
        let mut out = Vec::with_capacity(self.horizon_days as usize);
        // Jumps are off in the base case (next_jump_day = ∞), so this stream is never drawn.
        let mut rng = crate::engine::streams::stream(0, 0, 0);
        for d in 0..self.horizon_days {
            if d > 0 {
                self.advance(&mut st, &zero, &Overlay::NEUTRAL, &mut rng);
            }
            out.push(self.observe(&st, &Overlay::NEUTRAL));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::streams::stream;

    /// A day-dependent overlay exercising every field (shocks switch on and off).
    fn overlay(day: u32) -> Overlay {
        if day % 50 < 20 {
            return Overlay::NEUTRAL;
        }
        let x = f64::from(day % 7);
        Overlay {
            price_level_log: -0.05 * x,
            price_mean_log: -0.1,
            util_mean_points: 0.01 * x - 0.03,
            util_level: (day % 3 == 0).then_some((0.4, 0.2)),
            capacity_factor: 0.8,
            basis_log: 0.02,
            index_log: if day % 2 == 0 { 0.0 } else { 0.03 },
            power_mult: 1.5,
            opex_mult: 1.1,
            collateral_mult: 0.9,
        }
    }

    #[test]
    fn blocks_equal_day_by_day_stepping_bit_for_bit() {
        let s = crate::scenario::load_embedded_base(&[])
            .map(|l| l.scenario)
            .unwrap_or_else(|e| panic!("base scenario: {e:?}"));
        let mut m = MarketModel::new(&s, 400);
        // Stochastic power, frequent jumps and a ramp, so every branch runs.
        m.power = ExactOu::new(3.0, 0.4, 1.0 / DAYS_PER_YEAR);
        m.power_stochastic = true;
        if let Some(j) = m.jumps.as_mut() {
            j.rate_per_day = 0.05;
        }
        m.commissioning_day = 30;
        for shocked in [false, true] {
            let (mut rng, mut jrng) = (stream(7, 3, 1), stream(7, 3, 2));
            let mut st = m.initial_state(&mut jrng, 5);
            let mut by_day = Vec::new();
            for day in 0..400 {
                let ov = if shocked {
                    overlay(day)
                } else {
                    Overlay::NEUTRAL
                };
                if day > 0 {
                    let z = m.correlated_normals(&mut rng);
                    m.advance(&mut st, &z, &ov, &mut jrng);
                }
                by_day.push((st, m.observe(&st, &ov)));
            }
            let (mut rng, mut jrng) = (stream(7, 3, 1), stream(7, 3, 2));
            let mut bst = m.initial_state(&mut jrng, 5);
            let mut out = MarketDays::with_capacity(3);
            let mut day = 0;
            // Uneven blocks, longer than the initial capacity.
            for len in [1, 6, 64, 13, 200, 116] {
                let days = day..day + len;
                let ov = shocked.then_some(overlay);
                m.simulate_days(
                    &mut bst,
                    days,
                    ov,
                    |_| m.correlated_normals(&mut rng),
                    &mut jrng,
                    &mut out,
                );
                assert_eq!(out.first_day(), day);
                for (i, (s, f)) in out.states().iter().zip(out.factors()).enumerate() {
                    let (es, ef) = &by_day[day as usize + i];
                    assert_eq!(format!("{s:?}"), format!("{es:?}"), "state, day {}", s.day);
                    assert_eq!(
                        format!("{f:?}"),
                        format!("{ef:?}"),
                        "factors, day {}",
                        f.day
                    );
                    assert_eq!(f.index_price.to_bits(), ef.index_price.to_bits());
                    assert_eq!(f.utilization.to_bits(), ef.utilization.to_bits());
                }
                assert_eq!(out.day(day + len - 1).map(|d| d.1.day), Some(day + len - 1));
                assert!(out.day(day + len).is_none());
                day += len;
            }
            assert_eq!(day, 400);
            assert!(bst.jumps > 0 && bst.jumps == st.jumps);
        }
    }

    #[test]
    fn the_ramp_table_arithmetic_matches_the_linear_ramp() {
        let (a, b) = (logit(0.45), logit(0.78));
        for ramp in [0u32, 1, 7, 120] {
            for since in 0..=ramp {
                let expected = if ramp == 0 {
                    b
                } else {
                    a + (since as f64 / ramp as f64) * (b - a)
                };
                assert!(
                    (ramp_logit(since, ramp, a, b) - expected).abs() <= 1e-15,
                    "{ramp} {since}"
                );
            }
        }
    }
}
