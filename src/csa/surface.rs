//! Interpolated fast path for the swap's conditional MTM ([`SwapMtm::legs`]).
//!
//! Owns: per valuation day, a table of the variable leg of every *future* period (the periods
//! that start after the day) on a (Z, W) grid, and the exact discounted strike hours of those
//! periods. Must not: approximate the period under way (its `period_direct` term, which depends
//! on the accruals, is always evaluated exactly by [`SwapMtm`]), draw random numbers, or see
//! shocks.
//!
//! Method (see `docs/margin.md` §2, "Fast path"). For day d the future variable leg is a smooth
//! function of (z, w). It is tabulated on a uniform grid
//! * z ∈ base_z(d) ± (6·sd_Z + |μ_J| + 3·√E[ξ²]), sd_Z the stationary standard deviation of the
//!   price deviation including the jumps' share λE[ξ²]/(2κ), μ_J = λE[ξ]/κ the jumps' stationary
//!   mean, and three root-mean-square jumps of margin;
//! * w ∈ ±6·sd_W, sd_W the stationary standard deviation of the utilization OU;
//!
//! with one ghost node beyond each edge, and read back with tensor-product Catmull–Rom
//! interpolation (4 × 4 nodes; C¹, and more accurate here than cubic Lagrange by measurement in
//! `tests/csa_surface.rs`, because the residual error comes from the near periods' smoothed
//! strike kink in w). Outside the grid (or for non-finite z, w) [`MtmSurface::legs`]
//! returns `SwapMtm::legs` itself, bit for bit.
//!
//! The grid values are computed with the same per-period terms as `SwapMtm::legs`, exploiting
//! that each period's term is separable in z and w; days are built independently in parallel
//! (rayon), so the table does not depend on the thread count.

use crate::csa::mtm::{MtmLegs, PeriodAccrual, SwapMtm};
use crate::market::MarketModel;
use rayon::prelude::*;

/// Grid nodes along z inside the covered range (the default of [`MtmSurface::new`]).
pub const Z_NODES: usize = 25;
/// Grid nodes along w inside the covered range (the default of [`MtmSurface::new`]).
pub const W_NODES: usize = 25;
/// Half-widths of the grid in stationary standard deviations.
pub const GRID_SDS: f64 = 6.0;

/// Interpolated future legs of one swap, built once per run from its [`SwapMtm`].
#[derive(Debug, Clone)]
pub struct MtmSurface {
    end_day: u32,
    nz: usize,
    nw: usize,
    /// Lowest covered z per day; the covered range is [z_lo, z_lo + (nz − 1)·hz].
    z_lo: Vec<f64>,
    hz: f64,
    w_lo: f64,
    hw: f64,
    /// 1/hz and 1/hw: the cell lookup multiplies instead of dividing.
    inv_hz: f64,
    inv_hw: f64,
    /// Σ DF·K of the future periods per day, GPU-hours (exact).
    fixed_gpu_hours: Vec<f64>,
    /// Whether a day has future periods (a table).
    live: Vec<bool>,
    /// Node values in dollars, ghost nodes included, laid out [z row][day][w column]: a z row
    /// holds, day after day, the (nw + 2) values along w. A path walking the days reads its
    /// stencil's four z rows as four streams advancing by one row of w values a day (constant
    /// stride, within a page for many days), which the hardware prefetchers follow; the w
    /// cell, which moves most from day to day, only shifts the loads within the row.
    values: Vec<f64>,
}

impl MtmSurface {
    /// Tabulate with the default [`Z_NODES`] × [`W_NODES`] grid.
    pub fn new(mtm: &SwapMtm, m: &MarketModel) -> Self {
        Self::with_nodes(mtm, m, Z_NODES, W_NODES)
    }

    /// Tabulate with `nz` × `nw` nodes in the covered range (each at least 2).
    pub fn with_nodes(mtm: &SwapMtm, m: &MarketModel, nz: usize, nw: usize) -> Self {
        let (nz, nw) = (nz.max(2), nw.max(2));
        let half_z = price_half_width(m);
        let half_w = GRID_SDS * stationary_sd(m.util.sd, m.util.a);
        let hz = 2.0 * half_z / (nz - 1) as f64;
        let hw = 2.0 * half_w / (nw - 1) as f64;
        let w_lo = -half_w;
        let ws: Vec<f64> = (0..nw + 2).map(|j| w_lo + (j as f64 - 1.0) * hw).collect();
        let end = mtm.end_day();
        let z_lo: Vec<f64> = (0..end)
            .map(|d| mtm.base_z(d).unwrap_or(0.0) - half_z)
            .collect();
        let fixed_gpu_hours: Vec<f64> = (0..end).map(|d| mtm.future_fixed_gpu_hours(d)).collect();
        let live: Vec<bool> = (0..end).map(|d| mtm.has_future_periods(d)).collect();
        let stride = (nz + 2) * (nw + 2);
        let mut values = vec![0.0; stride * end as usize];
        values
            .par_chunks_mut(stride)
            .enumerate()
            .for_each(|(d, table)| {
                if live[d] {
                    let zs: Vec<f64> = (0..nz + 2)
                        .map(|i| z_lo[d] + (i as f64 - 1.0) * hz)
                        .collect();
                    mtm.add_future_variable_grid(d as u32, &zs, &ws, table);
                }
            });
        // Day-major (as built, one table per day in parallel) to [z row][day][w column].
        let days = end as usize;
        let row_len = nw + 2;
        let mut by_row = vec![0.0; values.len()];
        for (d, table) in values.chunks_exact(stride).enumerate() {
            for (zi, row) in table.chunks_exact(row_len).enumerate() {
                let at = (zi * days + d) * row_len;
                by_row[at..at + row_len].copy_from_slice(row);
            }
        }
        let values = by_row;
        Self {
            end_day: end,
            nz,
            nw,
            z_lo,
            hz,
            w_lo,
            hw,
            inv_hz: 1.0 / hz,
            inv_hw: 1.0 / hw,
            fixed_gpu_hours,
            live,
            values,
        }
    }

    /// Same meaning as [`SwapMtm::legs`] (`mtm` must be the one the surface was built from):
    /// the running period exactly, the future periods interpolated; exactly `mtm.legs(..)` when
    /// (z, w) is outside the day's grid.
    #[inline]
    pub fn legs(&self, mtm: &SwapMtm, day: u32, z: f64, w: f64, acc: &PeriodAccrual) -> MtmLegs {
        if day >= self.end_day {
            return MtmLegs::default();
        }
        let d = day as usize;
        let future = if self.live[d] {
            match self.interpolate(d, z, w) {
                Some(v) => v,
                None => return mtm.legs(day, z, w, acc),
            }
        } else {
            0.0
        };
        let mut legs = mtm.running_legs(day, z, w, acc);
        legs.variable_usd += future;
        legs.fixed_gpu_hours += self.fixed_gpu_hours[d];
        legs
    }

    /// Trader's value in dollars (see [`SwapMtm::value`]).
    #[inline]
    pub fn value(&self, mtm: &SwapMtm, day: u32, z: f64, w: f64, acc: &PeriodAccrual) -> f64 {
        self.legs(mtm, day, z, w, acc)
            .value(mtm.fixed_price_usd_per_gpu_hour())
    }

    /// Whether (z, w) on `day` lies inside the tabulated range (no fallback).
    pub fn covers(&self, day: u32, z: f64, w: f64) -> bool {
        let d = day as usize;
        d < self.z_lo.len() && self.cell(d, z, w).is_some()
    }

    /// Covered z range on `day`.
    pub fn z_range(&self, day: u32) -> Option<(f64, f64)> {
        let lo = *self.z_lo.get(day as usize)?;
        Some((lo, lo + (self.nz - 1) as f64 * self.hz))
    }

    /// Covered w range (the same every day).
    pub fn w_range(&self) -> (f64, f64) {
        (self.w_lo, self.w_lo + (self.nw - 1) as f64 * self.hw)
    }

    /// Table bytes (for logs).
    pub fn memory_bytes(&self) -> usize {
        self.values.len() * std::mem::size_of::<f64>()
    }

    /// Cell indices and fractions along z and w, `None` outside the grid.
    #[inline]
    fn cell(&self, d: usize, z: f64, w: f64) -> Option<(usize, f64, usize, f64)> {
        let u = (z - self.z_lo[d]) * self.inv_hz;
        let v = (w - self.w_lo) * self.inv_hw;
        let (uz, uw) = ((self.nz - 1) as f64, (self.nw - 1) as f64);
        // Written so that NaN fails the test.
        if !(u >= 0.0 && u <= uz && v >= 0.0 && v <= uw) {
            return None;
        }
        let i = (u as usize).min(self.nz - 2);
        let j = (v as usize).min(self.nw - 2);
        Some((i, u - i as f64, j, v - j as f64))
    }

    #[inline]
    fn interpolate(&self, d: usize, z: f64, w: f64) -> Option<f64> {
        let (i, tz, j, tw) = self.cell(d, z, w)?;
        let (cz, cw) = (cubic_weights(tz), cubic_weights(tw));
        let row_len = self.nw + 2;
        let days = self.end_day as usize;
        // Stencil nodes i − 1 ..= i + 2 of the covered grid are storage rows i ..= i + 3.
        let mut acc = 0.0;
        for (k, wz) in cz.iter().enumerate() {
            let at = ((i + k) * days + d) * row_len + j;
            let v = &self.values[at..at + 4];
            acc += wz * (v[0] * cw[0] + v[1] * cw[1] + v[2] * cw[2] + v[3] * cw[3]);
        }
        Some(acc)
    }
}

/// Catmull–Rom weights of nodes −1, 0, 1, 2 at t ∈ [0, 1]: the cubic Hermite interpolant with
/// central-difference slopes (C¹ across cells, exact for quadratics).
#[inline]
fn cubic_weights(t: f64) -> [f64; 4] {
    let (t2, t3) = (t * t, t * t * t);
    [
        0.5 * (-t3 + 2.0 * t2 - t),
        0.5 * (3.0 * t3 - 5.0 * t2 + 2.0),
        0.5 * (-3.0 * t3 + 4.0 * t2 + t),
        0.5 * (t3 - t2),
    ]
}

/// Stationary standard deviation sd/√(1 − a²) of a daily OU step (a large multiple of the
/// step's sd when the factor barely reverts).
fn stationary_sd(step_sd: f64, a: f64) -> f64 {
    let one_minus = (1.0 - a * a).max(1e-6);
    step_sd / one_minus.sqrt()
}

/// Half-width of the z grid: 6 stationary standard deviations of the diffusion and jumps, the
/// jumps' stationary mean and three root-mean-square jumps.
fn price_half_width(m: &MarketModel) -> f64 {
    let sd_diffusion = stationary_sd(m.price.sd, m.price.a);
    let (mut var_jump, mut mean_jump, mut rms_jump) = (0.0, 0.0, 0.0);
    if let Some(j) = &m.jumps {
        let (m1, m2) = j.size_moments();
        let kappa_per_day = (-m.price.a.ln()).max(1e-9);
        var_jump = j.rate_per_day * m2 / (2.0 * kappa_per_day);
        mean_jump = j.rate_per_day * m1 / kappa_per_day;
        rms_jump = m2.sqrt();
    }
    GRID_SDS * (sd_diffusion * sd_diffusion + var_jump).sqrt() + mean_jump.abs() + 3.0 * rms_jump
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catmull_rom_weights_reproduce_quadratics_and_hit_the_nodes() {
        assert_eq!(cubic_weights(0.0), [0.0, 1.0, 0.0, 0.0]);
        assert_eq!(cubic_weights(1.0), [0.0, 0.0, 1.0, 0.0]);
        for &t in &[0.0, 0.25, 0.5, 0.9, 1.0] {
            let c = cubic_weights(t);
            let f = |x: f64| 2.0 - x + 0.5 * x * x;
            let interp: f64 = [-1.0, 0.0, 1.0, 2.0]
                .iter()
                .zip(&c)
                .map(|(x, w)| w * f(*x))
                .sum();
            assert!((interp - f(t)).abs() < 1e-12, "t {t}");
        }
    }
}
