//! Semi-analytic conditional mark-to-market of the tenancy swap from the trader's side.
//!
//! Owns: the trader's value, at the end of a simulated day, of every swap period not yet settled,
//! conditional on the market state (price deviation Z, utilization deviation W) and the
//! period-to-date accruals, consistent with the dynamics of [`MarketModel`]. Must not: draw random
//! numbers, know the loan or the waterfall, or see shocks (the MTM conditions on the market
//! factors only; shock overlays are deliberately ignored).
//!
//! Method (see `docs/margin.md`). Per period p the trader receives V_p = P_ref,p·min(H_p, K_p)
//! and pays F_p = P_fix·K_p at the end of the period's last day. Each period is represented by
//! one *mid-period day* s (the middle of its not-yet-observed days). Given the state on day t,
//! with τ = s − t days:
//! * log index price at s = ln θ(s) + Z_t·a^τ + lag(t→s) + G + J, with G Gaussian
//!   (variance `ExactOu::variance(τ)`) and J the reverting compound-Poisson jumps,
//!   E[e^J] = exp(λ∫₀^τ (mgf(e^(−κu)) − 1) du);
//! * logit utilization at s = target(s) + W_t·a_u^τ + Y, Y Gaussian and correlated with G;
//! * E[P·min(u, k)] = E[P]·E[min(logistic(Y + cov(G, Y)), k)] (change of measure), the last
//!   expectation by Gauss–Hermite quadrature.
//!
//! The covariance is the exact one of the daily grid, ρ·sd_P·sd_u·Σ(a·a_u)^i, which equals the
//! continuous ρσσ_u(1 − e^(−(κ+κ_u)τ))/(κ+κ_u) to first order in the step.
//!
//! Speed: everything state-independent for a full future period is tabulated per (day, period)
//! when the `SwapMtm` is built, including a third-order Taylor expansion of the quadrature in
//! the utilization state; far periods (|W·a_u^τ| small next to the utilization spread) cost a
//! few flops and one `exp`, near periods one Gauss–Hermite sum that also needs a single `exp`
//! (the node factors exp(−sd_u(τ)·xᵢ) are tabulated per lag).
//!
//! Approximations (measured against nested Monte Carlo in `tests/csa_mtm_nested.rs`): the
//! mid-period day; the utilization target uses the scheduled commissioning day (a path's
//! commissioning delay is not seen; capacity comes from the caller).

use crate::market::{logistic, MarketModel};
use crate::scenario::DAYS_PER_YEAR;
use rayon::prelude::*;
use thiserror::Error;

/// Gauss–Hermite nodes used for E[min(logistic(Y), k)].
pub const GH_NODES: usize = 32;

/// Taylor expansion in the utilization state is used when |W·a_u^τ| ≤ this × the utilization sd.
const TAYLOR_RATIO: f64 = 0.35;

/// Invalid swap terms for the MTM.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum MtmError {
    #[error("period_days must be at least 1")]
    ZeroPeriod,
    #[error("end_day must be in 1..={horizon_days} (the market horizon), got {end_day}")]
    EndDay { end_day: u32, horizon_days: u32 },
    #[error("{name} has {len} entries, needs at least end_day = {end_day}")]
    ShortSeries {
        name: &'static str,
        len: usize,
        end_day: u32,
    },
    #[error("{name} must be finite and non-negative (day {day}: {value})")]
    BadValue {
        name: &'static str,
        day: u32,
        value: f64,
    },
    #[error("strike_utilization must be in (0, 1], got {0}")]
    Strike(f64),
    #[error("discount_rate must be finite, got {0}")]
    DiscountRate(f64),
    #[error("the jump moment generating function is not finite for this jump size")]
    JumpMgf,
}

/// The swap terms the MTM needs, as plain inputs (the contract module owns the swap itself).
#[derive(Debug, Clone, PartialEq)]
pub struct SwapTermsForMtm {
    /// P_fix, $/GPU-hour.
    pub fixed_price_usd_per_gpu_hour: f64,
    /// u_k, in (0, 1].
    pub strike_utilization: f64,
    /// Calculation period in days; period p covers days [p·period_days, (p+1)·period_days).
    pub period_days: u32,
    /// Notional factor n on each day (≥ 0); K_p = u_k·Σ_d C_d·n_d over the period's days.
    pub notional_factor_by_day: Vec<f64>,
    /// Capacity GPU-hours C_d on each day (0 before commissioning).
    pub capacity_hours_by_day: Vec<f64>,
    /// Annual continuously compounded discount rate.
    pub discount_rate: f64,
    /// First day after the swap; the last period is cut at `end_day − 1`.
    pub end_day: u32,
}

/// Period-to-date accruals of the current calculation period, trader side.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PeriodAccrual {
    /// The period these sums belong to.
    pub period: u32,
    /// Σ C_d over observed days, GPU-hours.
    pub capacity_hours: f64,
    /// Σ C_d·P_ref,d over observed days, dollars.
    pub price_capacity_usd: f64,
    /// Σ C_d·u_d over observed days (GPU-hours sold).
    pub hours_sold: f64,
}

/// The two legs of the remaining swap in present value at the valuation day.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MtmLegs {
    /// Expected discounted variable leg the trader receives, dollars.
    pub variable_usd: f64,
    /// Discounted strike GPU-hours Σ DF_p·K_p; the fixed leg is P_fix times this.
    pub fixed_gpu_hours: f64,
}

impl MtmLegs {
    /// Trader's value in dollars at fixed price `fixed_price_usd_per_gpu_hour`.
    #[inline]
    pub fn value(&self, fixed_price_usd_per_gpu_hour: f64) -> f64 {
        self.variable_usd - fixed_price_usd_per_gpu_hour * self.fixed_gpu_hours
    }

    /// The fixed price at which the remaining swap is worth zero ($/GPU-hour); `None` when no
    /// strike hours remain.
    pub fn par_fixed_price(&self) -> Option<f64> {
        (self.fixed_gpu_hours > 0.0).then_some(self.variable_usd / self.fixed_gpu_hours)
    }

    fn add(&mut self, o: MtmLegs) {
        self.variable_usd += o.variable_usd;
        self.fixed_gpu_hours += o.fixed_gpu_hours;
    }
}

/// Probabilists' Gauss–Hermite rule: E[f(X)], X ~ N(0, 1), ≈ Σ wᵢ f(xᵢ).
#[derive(Debug, Clone, PartialEq)]
pub struct GaussHermite {
    pub nodes: Vec<f64>,
    pub weights: Vec<f64>,
}

impl GaussHermite {
    /// An n-point rule by Golub–Welsch: the nodes are the eigenvalues of the Jacobi matrix of the
    /// Hermite polynomials (off-diagonal √i), the weights the squared first eigenvector entries.
    pub fn new(n: usize) -> Self {
        let n = n.max(1);
        let mut j = nalgebra::DMatrix::<f64>::zeros(n, n);
        for i in 1..n {
            let b = (i as f64).sqrt();
            j[(i - 1, i)] = b;
            j[(i, i - 1)] = b;
        }
        let eig = nalgebra::SymmetricEigen::new(j);
        let mut pairs: Vec<(f64, f64)> = (0..n)
            .map(|i| (eig.eigenvalues[i], eig.eigenvectors[(0, i)].powi(2)))
            .collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let total: f64 = pairs.iter().map(|p| p.1).sum();
        Self {
            nodes: pairs.iter().map(|p| p.0).collect(),
            weights: pairs.iter().map(|p| p.1 / total).collect(),
        }
    }

    /// E[min(logistic(m + sd·X), k)] for X ~ N(0, 1).
    #[inline]
    pub fn expect_min_logistic(&self, m: f64, sd: f64, k: f64) -> f64 {
        if k <= 0.0 {
            return k;
        }
        if sd <= 0.0 {
            return logistic(m).min(k);
        }
        let mut acc = 0.0;
        for (x, w) in self.nodes.iter().zip(&self.weights) {
            acc += w * logistic(m + sd * x).min(k);
        }
        acc
    }

    /// Taylor coefficients [f, f′, f″/2, f‴/6] at m of f(m) = E[g(m + sd·X)], g = min(logistic, k),
    /// by Stein's identity f⁽ʲ⁾ = E[g·Heⱼ(X)]/sdʲ with the Hermite polynomials He₁ = x,
    /// He₂ = x² − 1, He₃ = x³ − 3x (exact for a kinked g; sd > 0). The MTM itself uses the
    /// tabulated equivalent `SwapMtm::taylor_min_at_lag`; this is its reference.
    #[cfg(test)]
    fn taylor_min_logistic(&self, m: f64, sd: f64, k: f64) -> [f64; 4] {
        hermite_taylor(
            self.nodes
                .iter()
                .zip(&self.weights)
                .map(|(x, w)| (*x, w * logistic(m + sd * x).min(k))),
            sd,
        )
    }
}

/// The first four Taylor coefficients in the mean of E[g(m + sd·X)], X standard normal, from the
/// weighted node values `(x_i, w_i·g(m + sd·x_i))`: Hermite projections He_j(x)/(j!·sdʲ),
/// j = 0..3, summed in node order.
#[inline]
fn hermite_taylor(weighted: impl Iterator<Item = (f64, f64)>, sd: f64) -> [f64; 4] {
    let mut f = [0.0; 4];
    for (x, g) in weighted {
        f[0] += g;
        f[1] += g * x;
        f[2] += g * (x * x - 1.0);
        f[3] += g * (x * x * x - 3.0 * x);
    }
    [
        f[0],
        f[1] / sd,
        f[2] / (2.0 * sd * sd),
        f[3] / (6.0 * sd * sd * sd),
    ]
}

/// One calculation period on the day grid.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Period {
    first: u32,
    last: u32,
    capacity_hours: f64,
    strike_hours: f64,
}

/// State-independent pieces of one full future period seen from one valuation day.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Entry {
    /// DF·K_p, GPU-hours.
    fixed_gpu_hours: f64,
    /// DF·C_p·E[P_s]/exp(Z·a^τ), dollars per unit utilization.
    price_base_usd: f64,
    /// a^τ of the price deviation.
    a_price: f64,
    /// a_u^τ of the utilization deviation.
    a_util: f64,
    /// Mean of the price-tilted logit utilization without the W term.
    mean_util: f64,
    sd_util: f64,
    /// k = K_p / C_p.
    strike: f64,
    /// τ in days (row of the node table).
    tau: u32,
    /// Third-order Taylor coefficients of the tilted E[min(u, k)] in W·a_u^τ around 0 (valid when
    /// sd_util > 0).
    taylor: [f64; 4],
}

/// The conditional MTM of one swap, built once per run.
#[derive(Debug, Clone)]
pub struct SwapMtm {
    fixed_price_usd_per_gpu_hour: f64,
    period_days: u32,
    end_day: u32,
    discount_per_day: f64,
    periods: Vec<Period>,
    /// Prefix sums of capacity: cap_prefix[d] = Σ_{i<d} C_i.
    cap_prefix: Vec<f64>,
    // Per lag τ in days (0..end_day).
    a_price: Vec<f64>,
    var_price: Vec<f64>,
    jump_log_mgf: Vec<f64>,
    a_util: Vec<f64>,
    var_util: Vec<f64>,
    cov: Vec<f64>,
    /// e^(−cov) per lag: the tilted quadrature's e^(−m) from the plain one's without an `exp`.
    exp_neg_cov: Vec<f64>,
    /// Discount factor per lag in days (0..=end_day).
    discount_by_lag: Vec<f64>,
    // Per day (0..end_day).
    ln_theta: Vec<f64>,
    lag_acc: Vec<f64>,
    target_logit: Vec<f64>,
    /// exp(−sd_u(τ)·xᵢ) for every lag τ and Gauss–Hermite node xᵢ (row-major by τ), so a
    /// quadrature costs one `exp`: logistic(m + sd·xᵢ) = 1 / (1 + e^(−m)·exp(−sd·xᵢ)).
    node_exp: Vec<f64>,
    /// Gauss–Hermite nodes skipped at each end by the fused running-period quadrature: an even
    /// count whose total weight is below 1e-10 (the payoff is bounded by 1, so the error is below
    /// 2e-10 of the period's capacity value).
    tail_nodes: usize,
    /// Total Gauss–Hermite weight of the nodes the fused quadrature keeps.
    kept_weight: f64,
    /// The calculation period of each day (0..end_day), so the daily step needs no division.
    period_by_day: Vec<u32>,
    /// Row t holds the entries of the periods that start after day t.
    row_offset: Vec<usize>,
    entries: Vec<Entry>,
    gh: GaussHermite,
}

impl SwapMtm {
    /// Validate the terms and tabulate everything state-independent.
    pub fn new(m: &MarketModel, terms: &SwapTermsForMtm) -> Result<Self, MtmError> {
        let end = terms.end_day;
        if terms.period_days == 0 {
            return Err(MtmError::ZeroPeriod);
        }
        if end == 0 || end > m.horizon_days {
            return Err(MtmError::EndDay {
                end_day: end,
                horizon_days: m.horizon_days,
            });
        }
        for (name, v) in [
            ("notional_factor_by_day", &terms.notional_factor_by_day),
            ("capacity_hours_by_day", &terms.capacity_hours_by_day),
        ] {
            if v.len() < end as usize {
                return Err(MtmError::ShortSeries {
                    name,
                    len: v.len(),
                    end_day: end,
                });
            }
            if let Some((d, &x)) = v[..end as usize]
                .iter()
                .enumerate()
                .find(|(_, x)| !(x.is_finite() && **x >= 0.0))
            {
                return Err(MtmError::BadValue {
                    name,
                    day: d as u32,
                    value: x,
                });
            }
        }
        let fp = terms.fixed_price_usd_per_gpu_hour;
        if !(fp.is_finite() && fp >= 0.0) {
            return Err(MtmError::BadValue {
                name: "fixed_price_usd_per_gpu_hour",
                day: 0,
                value: fp,
            });
        }
        let uk = terms.strike_utilization;
        if !(uk > 0.0 && uk <= 1.0) {
            return Err(MtmError::Strike(uk));
        }
        if !terms.discount_rate.is_finite() {
            return Err(MtmError::DiscountRate(terms.discount_rate));
        }

        let n = end as usize;
        let cap = &terms.capacity_hours_by_day[..n];
        let mut cap_prefix = vec![0.0; n + 1];
        for d in 0..n {
            cap_prefix[d + 1] = cap_prefix[d] + cap[d];
        }
        let mut periods = Vec::new();
        let mut first = 0u32;
        while first < end {
            let last = first.saturating_add(terms.period_days).min(end) - 1;
            let days = first as usize..=last as usize;
            let capacity_hours: f64 = cap[days.clone()].iter().sum();
            let strike_hours: f64 = uk
                * days
                    .map(|d| cap[d] * terms.notional_factor_by_day[d])
                    .sum::<f64>();
            periods.push(Period {
                first,
                last,
                capacity_hours,
                strike_hours,
            });
            first = last + 1;
        }

        // Per-lag tables.
        let (ap, au) = (m.price.a, m.util.a);
        let rho: f64 = (0..m.chol.len()).map(|k| m.chol[0][k] * m.chol[1][k]).sum();
        let (mut a_price, mut a_util, mut var_price, mut var_util, mut cov) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let (mut pa, mut pu, mut geo) = (1.0, 1.0, 0.0);
        for tau in 0..n {
            let years = tau as f64 / DAYS_PER_YEAR;
            a_price.push(pa);
            a_util.push(pu);
            var_price.push(m.price.variance(years));
            var_util.push(m.util.variance(years));
            cov.push(rho * m.price.sd * m.util.sd * geo);
            geo += pa * pu;
            pa *= ap;
            pu *= au;
        }
        let jump_log_mgf = jump_table(m, n)?;

        // Per-day tables.
        let ln_theta: Vec<f64> = m.curve.ln_theta[..n].to_vec();
        let mut lag_acc = vec![0.0; n];
        for d in 1..n {
            lag_acc[d] = ap * lag_acc[d - 1] + m.curve.lag_step[d - 1];
        }
        let target_logit: Vec<f64> = (0..end)
            .map(|d| m.util_target_logit(d, m.commissioning_day))
            .collect();

        let gh = GaussHermite::new(GH_NODES);
        let node_exp: Vec<f64> = var_util
            .iter()
            .flat_map(|v| {
                let sd = v.sqrt();
                gh.nodes.iter().map(move |x| (-sd * x).exp())
            })
            .collect();
        let exp_neg_cov: Vec<f64> = cov.iter().map(|c| (-c).exp()).collect();
        let discount_per_day = terms.discount_rate / DAYS_PER_YEAR;
        let discount_by_lag: Vec<f64> = (0..=end)
            .map(|d| (-discount_per_day * d as f64).exp())
            .collect();
        let mut tail_nodes = 0;
        while tail_nodes + 2 < GH_NODES / 2
            && gh.weights[..tail_nodes + 2].iter().sum::<f64>() < 1e-10
        {
            tail_nodes += 2;
        }
        let kept_weight: f64 = gh.weights[tail_nodes..GH_NODES - tail_nodes].iter().sum();
        let period_by_day: Vec<u32> = (0..end).map(|d| d / terms.period_days).collect();
        let mut mtm = Self {
            fixed_price_usd_per_gpu_hour: fp,
            period_days: terms.period_days,
            end_day: end,
            discount_per_day,
            periods,
            cap_prefix,
            a_price,
            var_price,
            jump_log_mgf,
            a_util,
            var_util,
            cov,
            exp_neg_cov,
            discount_by_lag,
            ln_theta,
            lag_acc,
            target_logit,
            row_offset: Vec::with_capacity(n + 1),
            entries: Vec::new(),
            node_exp,
            tail_nodes,
            kept_weight,
            period_by_day,
            gh,
        };
        mtm.build_rows();
        Ok(mtm)
    }

    /// The entries of every valuation day; days are independent, so they are built in
    /// parallel (rayon) and concatenated in day order: the table does not depend on the threads.
    fn build_rows(&mut self) {
        let this = &*self;
        let rows: Vec<Vec<Entry>> = (0..self.end_day)
            .into_par_iter()
            .map(|t| {
                let first_p = this.period_by_day[t as usize] as usize + 1;
                this.periods[first_p..]
                    .iter()
                    .map(|p| this.entry(t, p))
                    .collect()
            })
            .collect();
        let mut offsets = Vec::with_capacity(self.end_day as usize + 1);
        let mut entries = Vec::with_capacity(rows.iter().map(Vec::len).sum());
        for row in rows {
            offsets.push(entries.len());
            entries.extend(row);
        }
        offsets.push(entries.len());
        self.row_offset = offsets;
        self.entries = entries;
    }

    /// Mid-period day of days f..=l, the lag τ from t, and the discount factor to l.
    #[inline]
    fn timing(&self, t: u32, f: u32, l: u32) -> (usize, usize, f64) {
        let s = (f + l) / 2;
        (
            s as usize,
            (s - t) as usize,
            self.discount_by_lag[(l - t) as usize],
        )
    }

    /// ln E[P_s] − Z·a^τ given the state on day t.
    #[inline]
    fn log_price_base(&self, t: usize, s: usize, tau: usize) -> f64 {
        let a = self.a_price[tau];
        self.ln_theta[s] + self.lag_acc[s] - a * self.lag_acc[t]
            + 0.5 * self.var_price[tau]
            + self.jump_log_mgf[tau]
    }

    fn entry(&self, t: u32, p: &Period) -> Entry {
        let (s, tau, df) = self.timing(t, p.first, p.last);
        let strike = if p.capacity_hours > 0.0 {
            p.strike_hours / p.capacity_hours
        } else {
            0.0
        };
        let sd_util = self.var_util[tau].sqrt();
        let mean_util = self.target_logit[s] + self.cov[tau];
        let taylor = if sd_util > 0.0 && strike > 0.0 {
            self.taylor_min_at_lag(mean_util, tau, sd_util, strike)
        } else {
            [0.0; 4]
        };
        Entry {
            fixed_gpu_hours: df * p.strike_hours,
            price_base_usd: df * p.capacity_hours * self.log_price_base(t as usize, s, tau).exp(),
            a_price: self.a_price[tau],
            a_util: self.a_util[tau],
            mean_util,
            sd_util,
            strike,
            tau: tau as u32,
            taylor,
        }
    }

    /// The calculation period containing `day`.
    #[inline]
    pub fn period_of(&self, day: u32) -> u32 {
        day / self.period_days
    }

    /// Number of calculation periods.
    pub fn period_count(&self) -> usize {
        self.periods.len()
    }

    /// The day on whose end period `p` settles (its last day), if it exists.
    pub fn settlement_day(&self, period: u32) -> Option<u32> {
        self.periods.get(period as usize).map(|p| p.last)
    }

    /// First day after the swap.
    pub fn end_day(&self) -> u32 {
        self.end_day
    }

    /// The contractual fixed price, $/GPU-hour.
    pub fn fixed_price_usd_per_gpu_hour(&self) -> f64 {
        self.fixed_price_usd_per_gpu_hour
    }

    /// Log index price on `day` of the path with Z = 0 at inception and no shocks or noise
    /// (ln θ(day) plus the reversion-level lag; the median path under the median convention).
    pub fn base_log_price(&self, day: u32) -> Option<f64> {
        let d = day as usize;
        Some(self.ln_theta.get(d)? + self.lag_acc.get(d)?)
    }

    /// Z on `day` of that base path (the accumulated reversion-level lag; 0 under the median
    /// convention).
    pub fn base_z(&self, day: u32) -> Option<f64> {
        self.lag_acc.get(day as usize).copied()
    }

    /// Logit of the utilization target on `day` (scheduled commissioning).
    pub fn target_logit(&self, day: u32) -> Option<f64> {
        self.target_logit.get(day as usize).copied()
    }

    /// Continuous discount factor over `days`.
    pub fn discount_factor(&self, days: u32) -> f64 {
        (-self.discount_per_day * days as f64).exp()
    }

    /// Net settlement to the trader, dollars, of the period `acc` has fully accrued:
    /// P_ref·min(H, K) − P_fix·K with P_ref the capacity-weighted average index price.
    pub fn period_settlement_to_trader_usd(
        &self,
        acc: &PeriodAccrual,
        fixed_price_usd_per_gpu_hour: f64,
    ) -> f64 {
        let Some(p) = self.periods.get(acc.period as usize) else {
            return 0.0;
        };
        let p_ref = if acc.capacity_hours > 0.0 {
            acc.price_capacity_usd / acc.capacity_hours
        } else {
            0.0
        };
        p_ref * acc.hours_sold.min(p.strike_hours) - fixed_price_usd_per_gpu_hour * p.strike_hours
    }

    /// Add day `day`'s observation to the accruals, starting afresh when a new period begins.
    /// `index_price` in $/GPU-hour, `utilization` in (0, 1). Days at or after `end_day` are ignored.
    pub fn accrue(&self, acc: &mut PeriodAccrual, day: u32, index_price: f64, utilization: f64) {
        if day >= self.end_day {
            return;
        }
        let p = self.period_by_day[day as usize];
        if acc.period != p {
            *acc = PeriodAccrual {
                period: p,
                ..PeriodAccrual::default()
            };
        }
        let c = self.cap_prefix[day as usize + 1] - self.cap_prefix[day as usize];
        acc.capacity_hours += c;
        acc.price_capacity_usd += c * index_price;
        acc.hours_sold += c * utilization;
    }

    /// Trader's value in dollars, at the end of `day`, of all periods not yet settled (a period
    /// settles at the end of its last day), at the contractual fixed price. `z` and `w` are the
    /// state's price and utilization deviations; `acc` the accruals of the period containing
    /// `day` (accruals of another period count as empty).
    #[inline]
    pub fn value(&self, day: u32, z: f64, w: f64, acc: &PeriodAccrual) -> f64 {
        self.legs(day, z, w, acc)
            .value(self.fixed_price_usd_per_gpu_hour)
    }

    /// Both legs at the end of `day` (see [`SwapMtm::value`]); zero on and after `end_day`.
    pub fn legs(&self, day: u32, z: f64, w: f64, acc: &PeriodAccrual) -> MtmLegs {
        if day >= self.end_day {
            return MtmLegs::default();
        }
        let mut legs = self.running_legs(day, z, w, acc);
        for e in self.future_row(day) {
            legs.add(self.entry_value(e, z, w));
        }
        legs
    }

    /// The part of [`SwapMtm::legs`] from the period under way on `day` (zero when it settles at
    /// the end of `day`); `day < end_day`.
    pub(crate) fn running_legs(&self, day: u32, z: f64, w: f64, acc: &PeriodAccrual) -> MtmLegs {
        let p = self.period_by_day[day as usize];
        let cur = self.periods[p as usize];
        if cur.last > day {
            let a = if acc.period == p {
                *acc
            } else {
                PeriodAccrual {
                    period: p,
                    ..PeriodAccrual::default()
                }
            };
            self.period_direct(day, day + 1, &cur, &a, z, w)
        } else {
            MtmLegs::default()
        }
    }

    /// The tabulated entries of the periods that start after `day` (`day < end_day`).
    #[inline]
    fn future_row(&self, day: u32) -> &[Entry] {
        &self.entries[self.row_offset[day as usize]..self.row_offset[day as usize + 1]]
    }

    /// Σ DF·K over the periods that start after `day` (state-independent), GPU-hours.
    pub(crate) fn future_fixed_gpu_hours(&self, day: u32) -> f64 {
        self.future_row(day).iter().map(|e| e.fixed_gpu_hours).sum()
    }

    /// Whether any period starts after `day`.
    pub(crate) fn has_future_periods(&self, day: u32) -> bool {
        !self.future_row(day).is_empty()
    }

    /// The variable leg of the periods that start after `day`, on the grid `zs` × `ws`, added to
    /// `out` (row-major, `out[i·ws.len() + j]` at (zs[i], ws[j])). Each period's term is
    /// separable, base·e^(z·a^τ)·E[min(u, k) | w], so the grid costs one `exp` per (period, z)
    /// (the vectorized [`crate::market::fastmath::exp_into`]) and one utilization expectation
    /// per (period, w); each node then sums its periods' products in period order, four
    /// w-nodes at a time in registers.
    pub(crate) fn add_future_variable_grid(
        &self,
        day: u32,
        zs: &[f64],
        ws: &[f64],
        out: &mut [f64],
    ) {
        const LANES: usize = 4;
        let (nz, nw) = (zs.len(), ws.len());
        let row = self.future_row(day);
        let n = row.len();
        if n == 0 || nz == 0 || nw == 0 {
            return;
        }
        // Price factors z-major (ez[i·n + e]), utilization factors entry-major with the w
        // columns padded to whole lanes (eu[e·nwp + j], zero padding).
        let nwp = nw.div_ceil(LANES) * LANES;
        let mut ez = vec![0.0; nz * n];
        let mut eu = vec![0.0; n * nwp];
        let mut arg = vec![0.0; nz];
        let mut ex = vec![0.0; nz];
        for (k, e) in row.iter().enumerate() {
            for (a, &z) in arg.iter_mut().zip(zs) {
                *a = z * e.a_price;
            }
            crate::market::fastmath::exp_into(&arg, &mut ex);
            for (i, &x) in ex.iter().enumerate() {
                ez[i * n + k] = e.price_base_usd * x;
            }
            for (u, &w) in eu[k * nwp..k * nwp + nw].iter_mut().zip(ws) {
                *u = self.entry_util_factor(e, w);
            }
        }
        // Two z rows at a time share the loads of the utilization factors.
        for (pair, out_rows) in out[..nz * nw].chunks_mut(2 * nw).enumerate() {
            let i = 2 * pair;
            if out_rows.len() < 2 * nw {
                add_products(&ez[i * n..(i + 1) * n], &eu, nwp, out_rows);
                continue;
            }
            let (out0, out1) = out_rows.split_at_mut(nw);
            let (x0, x1) = (&ez[i * n..(i + 1) * n], &ez[(i + 1) * n..(i + 2) * n]);
            for j0 in (0..nw).step_by(LANES) {
                let width = LANES.min(nw - j0);
                let (mut a0, mut a1) = ([0.0; LANES], [0.0; LANES]);
                a0[..width].copy_from_slice(&out0[j0..j0 + width]);
                a1[..width].copy_from_slice(&out1[j0..j0 + width]);
                for ((&p0, &p1), u) in x0.iter().zip(x1).zip(eu[j0..].chunks(nwp)) {
                    for l in 0..LANES {
                        a0[l] += p0 * u[l];
                        a1[l] += p1 * u[l];
                    }
                }
                out0[j0..j0 + width].copy_from_slice(&a0[..width]);
                out1[j0..j0 + width].copy_from_slice(&a1[..width]);
            }
        }
    }

    /// Both legs at inception, before day 0 is observed, given the day-0 state (z, w): every
    /// period is in the future and period 0 is represented by its mid day as seen from day 0.
    pub fn legs_at_inception(&self, z: f64, w: f64) -> MtmLegs {
        let mut legs = self.period_direct(0, 0, &self.periods[0], &PeriodAccrual::default(), z, w);
        let row = &self.entries[self.row_offset[0]..self.row_offset[1]];
        for e in row {
            legs.add(self.entry_value(e, z, w));
        }
        legs
    }

    #[inline]
    fn entry_value(&self, e: &Entry, z: f64, w: f64) -> MtmLegs {
        MtmLegs {
            variable_usd: e.price_base_usd * (z * e.a_price).exp() * self.entry_util_factor(e, w),
            fixed_gpu_hours: e.fixed_gpu_hours,
        }
    }

    /// The tilted E[min(u, k)] of a future period given W = `w`.
    #[inline]
    fn entry_util_factor(&self, e: &Entry, w: f64) -> f64 {
        let delta = w * e.a_util;
        if e.sd_util > 0.0 && delta.abs() <= TAYLOR_RATIO * e.sd_util {
            e.taylor[0] + delta * (e.taylor[1] + delta * (e.taylor[2] + delta * e.taylor[3]))
        } else {
            self.expect_min_at_lag(e.mean_util + delta, e.tau as usize, e.strike)
        }
    }

    /// E[min(logistic(m + sd_u(τ)·X), k)] by Gauss–Hermite with the tabulated node factors, over
    /// the nodes of non-negligible weight (see `tail_nodes`), with one `exp` and four independent
    /// partial sums (the loop vectorizes); the kept weight times the cap when every node is capped.
    #[inline]
    fn expect_min_at_lag(&self, m: f64, tau: usize, k: f64) -> f64 {
        if k <= 0.0 {
            return k;
        }
        // See `expect_min_pair_at_lag` for the clamp, the cap as q and the short-cut.
        let em = crate::market::fastmath::exp(-m.max(-300.0));
        let c = self.tail_nodes;
        let row = &self.node_exp[tau * GH_NODES + c..(tau + 1) * GH_NODES - c];
        let weights = &self.gh.weights[c..GH_NODES - c];
        let q = 1.0 / k - 1.0;
        if em * row[0] <= q {
            return self.kept_weight / (1.0 + q);
        }
        let mut acc = [0.0; 4];
        for (e4, w4) in row.chunks_exact(4).zip(weights.chunks_exact(4)) {
            for l in 0..4 {
                acc[l] += w4[l] / (1.0 + (em * e4[l]).max(q));
            }
        }
        (acc[0] + acc[1]) + (acc[2] + acc[3])
    }

    /// [`GaussHermite::taylor_min_logistic`] at sd = sd_u(τ) with the tabulated node factors (one
    /// `exp` instead of one per node).
    fn taylor_min_at_lag(&self, m: f64, tau: usize, sd: f64, k: f64) -> [f64; 4] {
        let em = (-m).exp();
        let row = &self.node_exp[tau * GH_NODES..(tau + 1) * GH_NODES];
        hermite_taylor(
            row.iter()
                .zip(&self.gh.nodes)
                .zip(&self.gh.weights)
                .map(|((e, x), w)| (*x, w * (1.0 / (1.0 + em * e)).min(k))),
            sd,
        )
    }

    /// E[min(logistic(m + sd_u(τ)·X), k)] and the same at m + cov(τ) (the price-tilted measure):
    /// [`SwapMtm::expected_hours_pair`] per unit of capacity.
    #[cfg(test)]
    fn expect_min_pair_at_lag(&self, m: f64, tau: usize, k: f64) -> (f64, f64) {
        self.expected_hours_pair(m, tau, k, 1.0)
    }

    /// c·E[min(logistic(m + sd_u(τ)·X), r/c)] and the same at m + cov(τ) (the price-tilted
    /// measure): the expected GPU-hours sold, capped at `room_hours` r, of `capacity_hours` c > 0
    /// still to come. One pass over the nodes of non-negligible weight with one `exp` and one
    /// division per node (four independent partial sums, so the loop vectorizes); no division at
    /// all when every node is capped.
    #[inline]
    fn expected_hours_pair(
        &self,
        m: f64,
        tau: usize,
        room_hours: f64,
        capacity_hours: f64,
    ) -> (f64, f64) {
        let (r, c_hours) = (room_hours, capacity_hours);
        if r <= 0.0 {
            return (r, r);
        }
        // m ≥ −300 keeps (1 + a)(1 + b) below finite bounds (e^300·e^(sd·x) squared); below it
        // the payoff is 0 to within e^(−300) anyway.
        let em = crate::market::fastmath::exp(-m.max(-300.0));
        let em_tilt = em * self.exp_neg_cov[tau];
        let c = self.tail_nodes;
        let row = &self.node_exp[tau * GH_NODES + c..(tau + 1) * GH_NODES - c];
        let weights = &self.gh.weights[c..GH_NODES - c];
        // With k = r/c: min(1/(1 + x), k) = 1/(1 + max(x, q)), k = 1/(1 + q) (q ≤ 0 when k ≥ 1).
        // The node factors decrease along the row (ascending nodes, sd ≥ 0), so when the first
        // node is capped under both measures, x ≤ q ⇔ (1 + x)·r ≤ c, every node is: both
        // expectations are then the kept weight times the cap (the common case: the day's
        // utilization spread is a few hundredths in logit, the cap usually several spreads away).
        if (1.0 + em.max(em_tilt) * row[0]) * r <= c_hours {
            let v = self.kept_weight * r;
            return (v, v);
        }
        let q = c_hours / r - 1.0;
        let (mut plain, mut tilt) = ([0.0; 4], [0.0; 4]);
        // 32 − 2c is a multiple of 4 (c is even), so no node is dropped by the chunking.
        for (e4, w4) in row.chunks_exact(4).zip(weights.chunks_exact(4)) {
            for l in 0..4 {
                // One division for both: w/(1 + a) = w·(1 + b)/((1 + a)(1 + b)), and likewise.
                let a = 1.0 + (em * e4[l]).max(q);
                let b = 1.0 + (em_tilt * e4[l]).max(q);
                let r = w4[l] / (a * b);
                plain[l] += r * b;
                tilt[l] += r * a;
            }
        }
        (
            c_hours * ((plain[0] + plain[1]) + (plain[2] + plain[3])),
            c_hours * ((tilt[0] + tilt[1]) + (tilt[2] + tilt[3])),
        )
    }

    /// One period valued directly from the state on day t: days f..=p.last are still unobserved,
    /// `acc` holds the observed ones.
    fn period_direct(
        &self,
        t: u32,
        f: u32,
        p: &Period,
        acc: &PeriodAccrual,
        z: f64,
        w: f64,
    ) -> MtmLegs {
        let df = self.discount_by_lag[(p.last - t) as usize];
        let fixed_gpu_hours = df * p.strike_hours;
        if p.capacity_hours <= 0.0 {
            return MtmLegs {
                variable_usd: 0.0,
                fixed_gpu_hours,
            };
        }
        let cf = self.cap_prefix[p.last as usize + 1] - self.cap_prefix[f as usize];
        let (ap, ah) = (acc.price_capacity_usd, acc.hours_sold);
        let k = p.strike_hours;
        let variable = if cf <= 0.0 {
            ap / p.capacity_hours * ah.min(k)
        } else {
            let s = ((f + p.last) / 2) as usize;
            let tau = s - t as usize;
            let e_price = crate::market::fastmath::exp(
                self.log_price_base(t as usize, s, tau) + z * self.a_price[tau],
            );
            let m = self.target_logit[s] + w * self.a_util[tau];
            // Expected hours sold over the rest of the period, capped at the strike's room.
            let (sold_plain, sold_tilt) = self.expected_hours_pair(m, tau, k - ah, cf);
            (ap * (ah + sold_plain) + cf * e_price * (ah + sold_tilt)) / p.capacity_hours
        };
        MtmLegs {
            variable_usd: df * variable,
            fixed_gpu_hours,
        }
    }
}

/// `out[j] += Σ_k x[k]·u[k·stride + j]` for every j < out.len(), each sum in k order, four
/// columns at a time in registers (`stride` ≥ out.len() rounded up to 4).
fn add_products(x: &[f64], u: &[f64], stride: usize, out: &mut [f64]) {
    const LANES: usize = 4;
    for j0 in (0..out.len()).step_by(LANES) {
        let width = LANES.min(out.len() - j0);
        let mut acc = [0.0; LANES];
        acc[..width].copy_from_slice(&out[j0..j0 + width]);
        for (&p, row) in x.iter().zip(u[j0..].chunks(stride)) {
            for l in 0..LANES {
                acc[l] += p * row[l];
            }
        }
        out[j0..j0 + width].copy_from_slice(&acc[..width]);
    }
}

/// ln E[e^J(τ)] = λ∫₀^τ (mgf(e^(−κu)) − 1) du per lag τ in days (Simpson, 4 panels a day).
fn jump_table(m: &MarketModel, n: usize) -> Result<Vec<f64>, MtmError> {
    let mut out = vec![0.0; n];
    let Some(j) = &m.jumps else {
        return Ok(out);
    };
    let k_day = m.price.kappa_per_year / DAYS_PER_YEAR;
    let f = |u: f64| j.mgf((-k_day * u).exp()) - 1.0;
    const PANELS: usize = 4;
    let h = 1.0 / PANELS as f64;
    let mut acc = 0.0;
    for (tau, slot) in out.iter_mut().enumerate().skip(1) {
        let u0 = (tau - 1) as f64;
        for i in 0..PANELS {
            let a = u0 + i as f64 * h;
            acc += h / 6.0 * (f(a) + 4.0 * f(a + 0.5 * h) + f(a + h));
        }
        *slot = j.rate_per_day * acc;
    }
    if out.iter().all(|x| x.is_finite()) {
        Ok(out)
    } else {
        Err(MtmError::JumpMgf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The MTM of the base scenario's market for a 300-day swap at $1.90 and a 65 % strike.
    fn base_mtm_300_days() -> SwapMtm {
        let s = crate::scenario::load_embedded_base(&[])
            .map(|l| l.scenario)
            .unwrap_or_else(|e| panic!("base scenario: {e:?}"));
        let m = MarketModel::new(&s, 400);
        let end = 300;
        let terms = SwapTermsForMtm {
            fixed_price_usd_per_gpu_hour: 1.9,
            strike_utilization: 0.65,
            period_days: 7,
            notional_factor_by_day: vec![1.0; end],
            capacity_hours_by_day: vec![12_000.0; end],
            discount_rate: 0.045,
            end_day: end as u32,
        };
        SwapMtm::new(&m, &terms).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn gauss_hermite_integrates_polynomials_exactly() {
        let gh = GaussHermite::new(GH_NODES);
        let moment = |p: i32| {
            gh.nodes
                .iter()
                .zip(&gh.weights)
                .map(|(x, w)| w * x.powi(p))
                .sum::<f64>()
        };
        assert!((moment(0) - 1.0).abs() < 1e-12);
        assert!(moment(1).abs() < 1e-12);
        assert!((moment(2) - 1.0).abs() < 1e-10);
        assert!((moment(4) - 3.0).abs() < 1e-9);
        assert!((moment(6) - 15.0).abs() < 1e-7);
    }

    /// Reference: E[min(logistic(m + sd·X), k)] by a fine midpoint rule on [−10, 10].
    fn fine(m: f64, sd: f64, k: f64) -> f64 {
        let n = 200_000;
        let h = 20.0 / n as f64;
        (0..n)
            .map(|i| {
                let x = -10.0 + (i as f64 + 0.5) * h;
                let phi = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
                logistic(m + sd * x).min(k) * phi * h
            })
            .sum()
    }

    #[test]
    fn quadrature_of_the_kinked_payoff_is_accurate() {
        let gh = GaussHermite::new(GH_NODES);
        for &(m, sd, k) in &[
            (1.1, 0.35, 0.65),
            (0.0, 0.1, 0.5),
            (-0.2, 1.0, 0.65),
            (2.0, 0.6, 0.9),
            (0.5, 0.05, 0.62),
        ] {
            let err = (gh.expect_min_logistic(m, sd, k) - fine(m, sd, k)).abs();
            assert!(err < 1.5e-3, "m {m} sd {sd} k {k}: err {err}");
        }
    }

    #[test]
    fn taylor_expansion_matches_direct_quadrature_inside_its_range() {
        let gh = GaussHermite::new(GH_NODES);
        for &(m, sd, k) in &[(1.1, 0.35, 0.65), (0.6, 0.3, 0.65), (-0.2, 1.0, 0.65)] {
            let [f0, f1, f2, f3] = gh.taylor_min_logistic(m, sd, k);
            let d = TAYLOR_RATIO * sd;
            for delta in [-d, -0.5 * d, 0.5 * d, d] {
                let taylor = f0 + delta * (f1 + delta * (f2 + delta * f3));
                let err = (taylor - fine(m + delta, sd, k)).abs();
                assert!(err < 2e-3, "m {m} sd {sd} δ {delta}: err {err}");
            }
        }
    }

    #[test]
    fn tabulated_taylor_coefficients_match_the_per_node_ones() {
        let mtm = base_mtm_300_days();
        for &(mean, tau, k) in &[
            (1.1, 1, 0.65),
            (0.6, 10, 0.65),
            (1.3, 200, 0.65),
            (-0.2, 50, 0.9),
        ] {
            let sd = mtm.var_util[tau].sqrt();
            let table = mtm.taylor_min_at_lag(mean, tau, sd, k);
            let direct = mtm.gh.taylor_min_logistic(mean, sd, k);
            for (j, (a, b)) in table.iter().zip(&direct).enumerate() {
                // Coefficient j carries 1/sdʲ: compare on the scale of the payoff (≤ 1).
                let tol = 1e-13 / sd.powi(j as i32);
                assert!(
                    (a - b).abs() <= tol,
                    "{mean} {tau} {k} coefficient {j}: {a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn fused_pair_matches_two_full_quadratures() {
        let mtm = base_mtm_300_days();
        let skipped: f64 = mtm.gh.weights[..mtm.tail_nodes].iter().sum();
        println!("tail nodes skipped per side: {}", mtm.tail_nodes);
        assert!(mtm.tail_nodes % 2 == 0 && skipped < 1e-10);
        for &(mean, tau, k) in &[
            (1.1, 1, 0.65),
            (0.2, 3, 0.4),
            (2.5, 30, 0.9),
            (-1.0, 0, 0.65),
            // Every kept node capped under both measures (the shortcut).
            (3.0, 1, 0.65),
            (1.27, 2, 0.65),
        ] {
            let (plain, tilt) = mtm.expect_min_pair_at_lag(mean, tau, k);
            let sd = mtm.var_util[tau].sqrt();
            // Reference: the full 32-node rule with the plain logistic at every node.
            let p = mtm.gh.expect_min_logistic(mean, sd, k);
            let t = mtm.gh.expect_min_logistic(mean + mtm.cov[tau], sd, k);
            assert!(
                (plain - p).abs() < 1e-9 && (tilt - t).abs() < 1e-9,
                "{mean} {tau} {k}"
            );
            assert!((mtm.expect_min_at_lag(mean, tau, k) - p).abs() < 1e-9);
            assert!((mtm.expect_min_at_lag(mean + mtm.cov[tau], tau, k) - t).abs() < 1e-9);
        }
    }
}
