//! Importance sampling of the price path for rare loan defaults (issue 7).
//!
//! The hedged loan defaults on a few paths in a thousand, almost all of them paths on which the
//! price stays low. The importance-sampling pass draws the *price factor's independent daily
//! normal* e (the first column of the Cholesky factor, so the correlated factors follow) from
//! N(δ, 1) instead of N(0, 1), every day of every path. Each path then carries the likelihood
//! ratio of its n = horizon − 1 shifted normals,
//!
//! ```text
//! w = dP/dQ = Π φ(e_t) / φ(e_t − δ) = exp(−δ·Σ e_t + n·δ²/2),
//! ```
//!
//! and E_P[f] = E_Q[w·f] for every outcome f. Jumps, shocks and the trader's default keep their
//! own streams and are not reweighted. Everything else about the path (margin, contracts) is the
//! ordinary model.
//!
//! The shift δ is either given (`simulation.importance_shift_sd`, the shift of Σ e_t in its
//! standard deviations √n) or chosen by the cross-entropy method on the hedged default
//! (Rubinstein & Kroese): level by level, a pilot under the current δ picks the elite paths —
//! the hedged defaults once there are enough of them, else the ρ fraction with the lowest
//! hedged minimum DSCR — and moves δ to their likelihood-weighted mean daily normal, the
//! maximum-likelihood shift for those paths. The pilot paths use path indices from
//! [`PILOT_PATH_BASE`] on, so they are independent of the run's paths and identical in every
//! shard. Must not: do I/O.

use super::margin::PathMargin;
use super::observer::Observer;
use super::run::{bucket_of, for_paths, run_path, EngineError, RunContext, RunSettings};
use crate::metrics::importance::{ImportanceAcc, TiltInfo};
use crate::scenario::{ImportanceShift, F_PRICE, N_FACTORS};
use crate::shocks::PathShocks;

/// First path index of the cross-entropy pilot (far above any run's paths).
pub const PILOT_PATH_BASE: u64 = 1 << 62;
/// Elite fraction ρ of a cross-entropy level.
pub const ELITE_FRACTION: f64 = 0.05;
/// Most cross-entropy levels before the last shift is used as it is.
pub const MAX_LEVELS: u32 = 6;
/// Largest shift of the horizon sum of the price normals, in its standard deviations: beyond
/// it the weights degenerate (their variance grows like e^(shift²)).
pub const MAX_SHIFT_SD: f64 = 5.0;

/// Most segments of a tilt (segments grow beyond [`SEGMENT_DAYS`] for long horizons).
pub const MAX_SEGMENTS: usize = 32;
/// Days per tilt segment (a quarter; the price reverts with a half-life of months).
pub const SEGMENT_DAYS: u32 = 91;

/// Sums of the factors' independent daily normals per tilt segment, as sampled on one path.
pub type SegmentSums = [[f64; N_FACTORS]; MAX_SEGMENTS];

/// A shift of the factors' independent daily standard normals e (z = L·e), constant within
/// each segment of [`FactorTilt::segment_days`] days: e ~ N(δ_s, I) on the days
/// `1 + s·L ..= (s+1)·L` of segment s. Only the factors in `tilted` are ever shifted.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorTilt {
    /// L, days per segment.
    pub segment_days: u32,
    /// Days with a shifted normal (horizon − 1).
    pub shifted_days: u32,
    /// Which factors' normals may be shifted (those with volatility).
    pub tilted: [bool; N_FACTORS],
    /// δ_s per segment: the mean of the independent daily normals under the sampling measure.
    pub shifts: Vec<[f64; N_FACTORS]>,
    /// L·δ_s: what the shift adds to the correlated normals in segment s.
    z_shift: Vec<[f64; N_FACTORS]>,
    /// The Cholesky factor L and its inverse (lower triangular), to read e back from z.
    chol: [[f64; N_FACTORS]; N_FACTORS],
    chol_inv: [[f64; N_FACTORS]; N_FACTORS],
}

impl FactorTilt {
    /// Segment length for `shifted_days` days: [`SEGMENT_DAYS`], longer when the horizon would
    /// need more than [`MAX_SEGMENTS`] segments.
    pub fn segment_days_for(shifted_days: u32) -> u32 {
        SEGMENT_DAYS.max(shifted_days.div_ceil(MAX_SEGMENTS as u32))
    }

    /// Number of segments of `shifted_days` days.
    pub fn segments_for(shifted_days: u32) -> usize {
        (shifted_days.div_ceil(Self::segment_days_for(shifted_days)) as usize).max(1)
    }

    /// The zero tilt for a horizon of `shifted_days` days with the Cholesky factor `chol` of
    /// the factor correlation (positive diagonal, as the validated scenario guarantees).
    #[allow(clippy::needless_range_loop)] // triangular index arithmetic reads best with indices
    pub fn zero(
        shifted_days: u32,
        chol: &[[f64; N_FACTORS]; N_FACTORS],
        tilted: [bool; N_FACTORS],
    ) -> Self {
        let mut inv = [[0.0; N_FACTORS]; N_FACTORS];
        // Forward substitution, column by column of the identity.
        for j in 0..N_FACTORS {
            for i in j..N_FACTORS {
                let mut x = if i == j { 1.0 } else { 0.0 };
                for k in j..i {
                    x -= chol[i][k] * inv[k][j];
                }
                inv[i][j] = if chol[i][i] > 0.0 {
                    x / chol[i][i]
                } else {
                    0.0
                };
            }
        }
        let segments = Self::segments_for(shifted_days);
        Self {
            segment_days: Self::segment_days_for(shifted_days),
            shifted_days,
            tilted,
            shifts: vec![[0.0; N_FACTORS]; segments],
            z_shift: vec![[0.0; N_FACTORS]; segments],
            chol: *chol,
            chol_inv: inv,
        }
    }

    /// The same tilt with shifts `shifts` per segment (missing segments are 0; factors not in
    /// `tilted` are forced to 0).
    pub fn with_shifts(&self, shifts: &[[f64; N_FACTORS]]) -> Self {
        let segments = self.z_shift.len();
        let mut out = self.clone();
        for s in 0..segments {
            let mut d = shifts.get(s).copied().unwrap_or([0.0; N_FACTORS]);
            for (x, on) in d.iter_mut().zip(self.tilted) {
                if !on {
                    *x = 0.0;
                }
            }
            let mut z = [0.0; N_FACTORS];
            for (i, zi) in z.iter_mut().enumerate() {
                *zi = (0..=i).map(|k| self.chol[i][k] * d[k]).sum();
            }
            out.shifts[s] = d;
            out.z_shift[s] = z;
        }
        out
    }

    /// Segment of `day` (≥ 1).
    #[inline]
    pub fn segment(&self, day: u32) -> usize {
        (((day.max(1) - 1) / self.segment_days) as usize).min(self.shifts.len() - 1)
    }

    /// Days with a shifted normal in segment `s`.
    pub fn segment_len(&self, s: usize) -> u32 {
        let lo = s as u32 * self.segment_days;
        let hi = if s + 1 == self.shifts.len() {
            self.shifted_days
        } else {
            lo + self.segment_days
        };
        hi.saturating_sub(lo)
    }

    /// Shift day `day`'s correlated normals `z` = L·e to L·(e + δ_s) and add the independent
    /// normals as sampled, e + δ_s, to the segment's sums.
    #[inline]
    pub fn apply(&self, day: u32, z: &mut [f64; N_FACTORS], sums: &mut SegmentSums) {
        let s = self.segment(day);
        for (x, d) in z.iter_mut().zip(&self.z_shift[s]) {
            *x += d;
        }
        let l = &self.chol_inv;
        for (i, acc) in sums[s].iter_mut().enumerate() {
            if self.tilted[i] {
                *acc += (0..=i).map(|k| l[i][k] * z[k]).sum::<f64>();
            }
        }
    }

    /// ln(dP/dQ) of a path with segment sums `sums`: Σ_s Σ_k −δ_sk·sum_sk + n_s·δ_sk²/2.
    pub fn log_weight(&self, sums: &SegmentSums) -> f64 {
        let mut lw = 0.0;
        for (s, d) in self.shifts.iter().enumerate() {
            let n = f64::from(self.segment_len(s));
            for k in 0..N_FACTORS {
                lw += -d[k] * sums[s][k] + 0.5 * n * d[k] * d[k];
            }
        }
        lw
    }

    /// √(Σ n_s·|δ_s|²): the standard deviation of ln w under the sampling measure.
    pub fn shift_sd(&self) -> f64 {
        self.shifts
            .iter()
            .enumerate()
            .map(|(s, d)| f64::from(self.segment_len(s)) * d.iter().map(|x| x * x).sum::<f64>())
            .sum::<f64>()
            .sqrt()
    }
}

/// The resolved importance-sampling pass of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportancePlan {
    pub tilt: FactorTilt,
    pub info: TiltInfo,
}

/// Days of a run with a shifted normal (every day after day 0).
fn shifted_days(ctx: &RunContext) -> u32 {
    ctx.layout.horizon_days.saturating_sub(1)
}

/// The factors whose normals the cross-entropy tilt shifts: the price factor (when it has
/// volatility). Fitting utilization and basis shifts as well was measured on the base scenario:
/// at pilot sizes their fitted shifts are noise that only widens the weights.
fn tilted_factors(ctx: &RunContext) -> [bool; N_FACTORS] {
    let mut t = [false; N_FACTORS];
    t[F_PRICE] = ctx.market.price.sigma_per_sqrt_year > 0.0;
    t
}

/// The pass the scenario asks for (None when importance sampling is off); runs the
/// cross-entropy pilot for `"auto"`.
pub fn plan(ctx: &RunContext, obs: &dyn Observer) -> Result<Option<ImportancePlan>, EngineError> {
    let Some(is) = ctx.scenario.simulation.importance else {
        return Ok(None);
    };
    let n = shifted_days(ctx);
    let (tilt, levels, pilot_paths, converged) = match is.shift {
        ImportanceShift::Sd(sd) => {
            // The price factor only, the same shift every day.
            let mut only_price = [false; N_FACTORS];
            only_price[F_PRICE] = true;
            let mut d = [0.0; N_FACTORS];
            d[F_PRICE] = sd / f64::from(n.max(1)).sqrt();
            let zero = FactorTilt::zero(n, &ctx.market.chol, only_price);
            let segments = FactorTilt::segments_for(n);
            (zero.with_shifts(&vec![d; segments]), 0, 0, true)
        }
        ImportanceShift::Auto => {
            let (t, levels, converged) = cross_entropy_tilt(ctx, is.pilot_paths, obs)?;
            (t, levels, is.pilot_paths, converged)
        }
    };
    let info = TiltInfo {
        shifts_bits: tilt.shifts.iter().map(|d| d.map(f64::to_bits)).collect(),
        segment_days: tilt.segment_days,
        shift_sd_bits: tilt.shift_sd().to_bits(),
        levels,
        pilot_paths,
        converged,
    };
    Ok(Some(ImportancePlan { tilt, info }))
}

/// One pilot path: its hedged outcome and what the cross-entropy update needs.
#[derive(Debug, Clone, Copy)]
struct PilotPath {
    path: u64,
    defaulted: bool,
    /// Hedged minimum DSCR (the level score; lower is closer to default).
    min_dscr: f64,
    log_weight: f64,
    /// Sums of the price factor's daily normal per segment, as sampled.
    sums: SegmentSums,
}

/// Per-worker path state.
fn path_state(ctx: &RunContext) -> (PathShocks, Option<PathMargin>) {
    (
        PathShocks::new(&ctx.scenario.shocks),
        ctx.margin.as_ref().map(PathMargin::new),
    )
}

fn pilot_level(
    ctx: &RunContext,
    tilt: &FactorTilt,
    paths: u64,
    level: u32,
    obs: &dyn Observer,
) -> Result<Vec<PilotPath>, EngineError> {
    let settings = RunSettings {
        paths: PILOT_PATH_BASE + paths,
        seed: ctx.seed,
        threads: None,
        path_range: Some(PILOT_PATH_BASE..PILOT_PATH_BASE + paths),
    };
    let label = format!("importance pilot {}", level + 1);
    let (_, mut out) = for_paths(
        &settings,
        obs,
        &label,
        || (path_state(ctx), Vec::new()),
        |((shocks, margin), out), path| {
            let end = run_path(ctx, path, Some(tilt), shocks, margin, |_| Ok(()))?;
            out.push(PilotPath {
                path,
                defaulted: end.outcome.hedged.defaulted,
                min_dscr: end.outcome.hedged.min_dscr.unwrap_or(f64::MAX),
                log_weight: end.log_weight,
                sums: end.normal_sums,
            });
            Ok(())
        },
        |a, b| a.1.extend(b.1),
    )?;
    // Path order, so the update's floating-point sums do not depend on the thread split.
    out.sort_by_key(|p| p.path);
    Ok(out)
}

/// The cross-entropy tilt: (tilt, levels run, whether the last level used the default event).
fn cross_entropy_tilt(
    ctx: &RunContext,
    pilot_paths: u64,
    obs: &dyn Observer,
) -> Result<(FactorTilt, u32, bool), EngineError> {
    let n = shifted_days(ctx);
    let need = ((ELITE_FRACTION * pilot_paths as f64).ceil() as usize).max(1);
    let mut tilt = FactorTilt::zero(n, &ctx.market.chol, tilted_factors(ctx));
    for level in 0..MAX_LEVELS {
        let pilot = pilot_level(ctx, &tilt, pilot_paths, level, obs)?;
        let defaults = pilot.iter().filter(|p| p.defaulted).count();
        let last = defaults >= need;
        let elite: Vec<&PilotPath> = if last {
            pilot.iter().filter(|p| p.defaulted).collect()
        } else {
            // The `need` lowest scores (defaults first), ties broken by path index.
            let mut ranked: Vec<&PilotPath> = pilot.iter().collect();
            ranked.sort_by(|a, b| {
                (!a.defaulted, a.min_dscr)
                    .partial_cmp(&(!b.defaulted, b.min_dscr))
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(a.path.cmp(&b.path))
            });
            ranked.truncate(need);
            ranked
        };
        if let Some(next) = cross_entropy_update(&tilt, &elite) {
            tilt = if last { damped(&next, &pilot) } else { next };
        }
        if last {
            return Ok((tilt, level + 1, true));
        }
    }
    Ok((tilt, MAX_LEVELS, false))
}

/// Scale factors λ tried on the cross-entropy shift (see [`damped`]).
pub const DAMPING_GRID: [f64; 8] = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

/// The cross-entropy shift scaled by the λ in [`DAMPING_GRID`] that minimizes the estimated
/// second moment of the weighted hedged-default indicator, E_P[w_λ·1{D}], estimated on the last
/// pilot level's paths (drawn under the previous tilt, with their own weights w):
/// mean(w·w_λ·1{D}). The full cross-entropy shift fits the default paths' mean and overshoots
/// when the event is not a half-space in the shifted direction, which fattens the weights' tail.
fn damped(ce: &FactorTilt, pilot: &[PilotPath]) -> FactorTilt {
    let mut best: Option<(f64, FactorTilt)> = None;
    for lambda in DAMPING_GRID {
        let shifts: Vec<[f64; N_FACTORS]> =
            ce.shifts.iter().map(|d| d.map(|x| x * lambda)).collect();
        let t = ce.with_shifts(&shifts);
        // log of Σ_D w·w_λ (the common 1/n does not change the argmin).
        let logs: Vec<f64> = pilot
            .iter()
            .filter(|p| p.defaulted)
            .map(|p| p.log_weight + t.log_weight(&p.sums))
            .collect();
        let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !top.is_finite() {
            continue;
        }
        let m = top + logs.iter().map(|l| (l - top).exp()).sum::<f64>().ln();
        if best.as_ref().is_none_or(|(b, _)| m < *b) {
            best = Some((m, t));
        }
    }
    best.map_or_else(|| ce.clone(), |(_, t)| t)
}

/// The maximum-likelihood shifts for the elite paths: per segment s and factor k,
/// δ_sk = Σ w·sum_sk / (n_s·Σ w) (weights normalized by the largest, so no overflow), scaled
/// down to [`MAX_SHIFT_SD`].
fn cross_entropy_update(tilt: &FactorTilt, elite: &[&PilotPath]) -> Option<FactorTilt> {
    let top = elite
        .iter()
        .map(|p| p.log_weight)
        .fold(f64::NEG_INFINITY, f64::max);
    if !top.is_finite() {
        return None;
    }
    let segments = tilt.shifts.len();
    let mut sw = 0.0;
    let mut sws = vec![[0.0; N_FACTORS]; segments];
    for p in elite {
        let w = (p.log_weight - top).exp();
        sw += w;
        for (acc, x) in sws.iter_mut().zip(&p.sums) {
            for k in 0..N_FACTORS {
                acc[k] += w * x[k];
            }
        }
    }
    if sw <= 0.0 {
        return None;
    }
    let deltas: Vec<[f64; N_FACTORS]> = sws
        .iter()
        .enumerate()
        .map(|(s, x)| x.map(|v| v / (sw * f64::from(tilt.segment_len(s).max(1)))))
        .collect();
    let next = tilt.with_shifts(&deltas);
    let sd = next.shift_sd();
    if sd > MAX_SHIFT_SD {
        let k = MAX_SHIFT_SD / sd;
        let scaled: Vec<[f64; N_FACTORS]> = deltas.iter().map(|d| d.map(|x| x * k)).collect();
        return Some(tilt.with_shifts(&scaled));
    }
    Some(next)
}

/// The importance-sampling pass over the paths of `settings` (the same slice as the plain pass).
pub fn simulate_importance(
    ctx: &RunContext,
    plan: &ImportancePlan,
    settings: &RunSettings,
    obs: &dyn Observer,
) -> Result<ImportanceAcc, EngineError> {
    let years = &ctx.layout.year_days;
    let (_, acc) = for_paths(
        settings,
        obs,
        "importance sampling",
        || {
            (
                path_state(ctx),
                ImportanceAcc::new(plan.info.clone(), years.len()),
            )
        },
        |((shocks, margin), acc), path| {
            let end = run_path(ctx, path, Some(&plan.tilt), shocks, margin, |_| Ok(()))?;
            let w = end.log_weight.exp();
            if !w.is_finite() {
                return Err(EngineError::NonFinite {
                    what: "importance weight",
                    path,
                    day: ctx.layout.horizon_days,
                    seed: ctx.seed,
                });
            }
            let year = |o: &crate::contract::LoanOutcome| {
                o.defaulted
                    .then(|| bucket_of(years, o.default_day.unwrap_or(0)))
            };
            let o = &end.outcome;
            acc.weight.add(w);
            acc.hedged.add(w, year(&o.hedged), o.hedged.loss_usd);
            acc.unhedged.add(w, year(&o.unhedged), o.unhedged.loss_usd);
            Ok(())
        },
        |a, b| a.1.merge(&b.1),
    )?;
    Ok(acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chol() -> [[f64; N_FACTORS]; N_FACTORS] {
        let mut l = [[0.0; N_FACTORS]; N_FACTORS];
        l[0][0] = 1.0;
        l[1][0] = 0.6;
        l[1][1] = 0.8;
        l[2][2] = 1.0;
        l[3][3] = 1.0;
        l
    }

    const PRICE_ONLY: [bool; N_FACTORS] = [true, false, false, false];

    fn price(d: &[f64]) -> Vec<[f64; N_FACTORS]> {
        d.iter().map(|x| [*x, 0.0, 0.0, 0.0]).collect()
    }

    #[test]
    fn tilt_shifts_along_the_first_cholesky_column() {
        let t = FactorTilt::zero(100, &chol(), PRICE_ONLY).with_shifts(&price(&[-0.1, 0.2]));
        assert_eq!((t.segment_days, t.shifts.len()), (91, 2));
        assert_eq!((t.segment_len(0), t.segment_len(1)), (91, 9));
        assert_eq!((t.segment(1), t.segment(91), t.segment(92)), (0, 0, 1));
        let mut sums = [[0.0; N_FACTORS]; MAX_SEGMENTS];
        let mut z = [0.5, 0.2, 0.3, 0.4];
        t.apply(10, &mut z, &mut sums);
        assert!((z[1] - (0.2 - 0.06)).abs() < 1e-15);
        assert_eq!([z[0], z[2], z[3]], [0.4, 0.3, 0.4]);
        assert_eq!(sums[0][0], 0.4);
        let mut z = [0.5, 0.2, 0.3, 0.4];
        t.apply(95, &mut z, &mut sums);
        assert_eq!(z[0], 0.7);
        assert_eq!(sums[1][0], 0.7);
        // Untilted factors are not summed.
        assert_eq!(sums[0][1], 0.0);
        // ln Π φ(e_t)/φ(e_t − δ_t) from the densities, with the other days' e = 0.
        let phi = |x: f64| (-0.5 * x * x).exp();
        let one = |e: f64, d: f64| (phi(e) / phi(e - d)).ln();
        let expect = one(0.4, -0.1) + 90.0 * one(0.0, -0.1) + one(0.7, 0.2) + 8.0 * one(0.0, 0.2);
        assert!((t.log_weight(&sums) - expect).abs() < 1e-9);
        let sd = (91.0 * 0.01 + 9.0 * 0.04f64).sqrt();
        assert!((t.shift_sd() - sd).abs() < 1e-12);
    }

    #[test]
    fn the_inverse_cholesky_recovers_the_independent_normals() {
        let mut all = [true; N_FACTORS];
        all[3] = false;
        let t = FactorTilt::zero(10, &chol(), all).with_shifts(&[[0.1, -0.2, 0.3, 0.4]]);
        // The power factor is not tilted: its shift is forced to 0.
        assert_eq!(t.shifts[0], [0.1, -0.2, 0.3, 0.0]);
        let e = [0.5, -1.0, 2.0, 0.7];
        let l = chol();
        let mut z = [0.0; N_FACTORS];
        for i in 0..N_FACTORS {
            z[i] = (0..=i).map(|k| l[i][k] * e[k]).sum();
        }
        let mut sums = [[0.0; N_FACTORS]; MAX_SEGMENTS];
        t.apply(1, &mut z, &mut sums);
        for k in 0..3 {
            assert!((sums[0][k] - (e[k] + t.shifts[0][k])).abs() < 1e-12, "{k}");
        }
    }

    #[test]
    fn long_horizons_use_longer_segments() {
        let n = 365 * 40;
        let t = FactorTilt::zero(n, &chol(), PRICE_ONLY);
        assert!(t.shifts.len() <= MAX_SEGMENTS);
        assert_eq!(t.segment(n), t.shifts.len() - 1);
        let total: u32 = (0..t.shifts.len()).map(|s| t.segment_len(s)).sum();
        assert_eq!(total, n);
    }

    #[test]
    fn cross_entropy_update_is_the_weighted_mean_per_segment() {
        let t = FactorTilt::zero(182, &chol(), PRICE_ONLY);
        let p = |s0: f64, s1: f64, lw: f64| {
            let mut sums = [[0.0; N_FACTORS]; MAX_SEGMENTS];
            sums[0][0] = s0;
            sums[1][0] = s1;
            PilotPath {
                path: 0,
                defaulted: true,
                min_dscr: 0.0,
                log_weight: lw,
                sums,
            }
        };
        // Weights e^0 and e^(ln 3) after normalization: δ_0 = (−0.91 + 3·(−2.73)) / (4·91).
        let (a, b) = (p(-0.91, 0.0, -5.0), p(-2.73, 1.82, -5.0 + 3f64.ln()));
        let next = cross_entropy_update(&t, &[&a, &b]).unwrap();
        assert!((next.shifts[0][0] - (-0.91 - 3.0 * 2.73) / (4.0 * 91.0)).abs() < 1e-12);
        assert!((next.shifts[1][0] - 3.0 * 1.82 / (4.0 * 91.0)).abs() < 1e-12);
        // A huge pull is scaled back to the cap.
        let c = p(-1.0e5, 0.0, 0.0);
        let capped = cross_entropy_update(&t, &[&c]).unwrap();
        assert!((capped.shift_sd() - MAX_SHIFT_SD).abs() < 1e-9);
        assert!(capped.shifts[0][0] < 0.0);
    }
}
