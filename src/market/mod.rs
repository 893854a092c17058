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
            util_initial_logit: logit(m.utilization.initial),
            util_long_run_logit: logit(m.utilization.long_run_mean),
            util_ramp_days: m.utilization.ramp_days,
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
        if day <= commissioning_day || self.util_ramp_days == 0 {
            return if day < commissioning_day || self.util_ramp_days > 0 {
                self.util_initial_logit
            } else {
                self.util_long_run_logit
            };
        }
        let f = ((day - commissioning_day) as f64 / self.util_ramp_days as f64).min(1.0);
        self.util_initial_logit + f * (self.util_long_run_logit - self.util_initial_logit)
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
    #[inline]
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
        if let Some(j) = &self.jumps {
            while st.next_jump_day <= next {
                let xi = j.size(jump_rng);
                st.z += xi
                    * (-self.price.kappa_per_year * (next - st.next_jump_day) / DAYS_PER_YEAR)
                        .exp();
                st.jumps += 1;
                st.next_jump_day += j.next_gap_days(jump_rng);
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

    /// Observe the factors on the state's day under the overlay.
    #[inline]
    pub fn observe(&self, st: &FactorState, ov: &Overlay) -> DayFactors {
        let t = st.day;
        let physical_log = st.z + st.mean_shift + ov.price_level_log;
        let ln_index = self.curve.ln_theta[t as usize] + physical_log + ov.index_log;
        let index_price = ln_index.exp();
        let b = self.basis_mean + st.v + ov.basis_log - ov.index_log;
        let target_logit = self.util_target_logit(t, st.commissioning_day);
        let target_logit = if st.util_shift != 0.0 {
            let target = (logistic(target_logit) + st.util_shift).clamp(1e-4, 1.0 - 1e-4);
            logit(target)
        } else {
            target_logit
        };
        let mut u = logistic(target_logit + st.w);
        if let Some((w, level)) = ov.util_level {
            u = (1.0 - w) * u + w * level;
        }
        let power = if self.power_stochastic {
            self.power_median_usd_per_kwh * st.q.exp()
        } else {
            self.power_median_usd_per_kwh
        };
        DayFactors {
            day: t,
            index_price,
            operator_price: index_price * b.exp(),
            utilization: u,
            power_usd_per_kwh: power * ov.power_mult,
            // exp(physical_log) without a second exp when no methodology shock moves the index.
            price_to_curve_ratio: match self.inv_theta.get(t as usize) {
                Some(inv) if ov.index_log == 0.0 => index_price * inv,
                _ => physical_log.exp(),
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
