//! The floor of the market kernel: only the arithmetic the model cannot do without, laid out as
//! well as this machine allows, to show how far the market goal (≤ 1.5× the generator) is from
//! reach by any implementation, not just the engine's.
//!
//! Per path-day it keeps: the Cholesky product of the day's four normals, the four exact OU
//! steps, the log/logit observations, and the three transcendental functions (index price, the
//! operator basis's `exp`, the utilization's logistic). It drops everything else the engine's
//! kernel does: jumps, shock overlays and the filtered mean shifts, the ramp's branches (the
//! utilization target is read from a per-day table), stochastic power's `exp` (its OU step stays), and the per-day
//! state and factor records the contracts and the margin agreement read. `L` paths run in
//! lockstep, structure of arrays over the paths, so the recurrences vectorize across paths and
//! no chain of days limits them; the `exp`/logistic loops run over a whole block of days × paths.
//!
//! With jumps off and no shock, the floor computes the engine's numbers bit for bit (the same
//! expressions in the same order); `check_against_the_engine` asserts it before timing.

use rand::Rng;
use rand_distr::StandardNormal;
use tenancy::engine::streams::{purpose, stream, PathRng};
use tenancy::market::{fastmath, MarketDays, MarketModel, BLOCK_DAYS};
use tenancy::scenario::{F_BASIS, F_POWER, F_PRICE, F_UTIL};
use tenancy::shocks::Overlay;

/// Paths in lockstep.
pub const L: usize = 8;
const B: usize = BLOCK_DAYS as usize;

/// One block of `L` paths × `B` days: `[day][lane]`.
pub type Lanes = [[f64; L]; B];

/// The market model's coefficients as the floor reads them, plus the utilization target by day.
pub struct Floor<'a> {
    m: &'a MarketModel,
    target_logit: Vec<f64>,
}

impl<'a> Floor<'a> {
    pub fn new(m: &'a MarketModel, horizon: u32) -> Self {
        let target_logit = (0..horizon)
            .map(|d| m.util_target_logit(d, m.commissioning_day))
            .collect();
        Self { m, target_logit }
    }

    /// Runs paths `first..first + L` over `horizon` days; the day's normals come from each
    /// path's market stream (`DRAW`) or, lane `k` on block day `i`, from `table[(i + k) % B]`.
    /// After each block, `on_block(first_day, days, index_price, exp_basis, utilization)`.
    #[inline(always)]
    pub fn run<const DRAW: bool>(
        &self,
        first: u64,
        horizon: u32,
        table: &[[f64; 4]; B],
        mut on_block: impl FnMut(u32, usize, &Lanes, &Lanes, &Lanes),
    ) {
        let m = self.m;
        let l = &m.chol;
        let mut rngs: [PathRng; L] =
            std::array::from_fn(|k| stream(1, first + k as u64, purpose::MARKET));
        let (mut z, mut w, mut v, mut q) = ([0.0; L], [0.0; L], [0.0; L], [0.0; L]);
        v.fill(m.basis_initial - m.basis_mean);
        let (mut ln_index, mut basis, mut util) = ([[0.0; L]; B], [[0.0; L]; B], [[0.0; L]; B]);
        let (mut index_price, mut exp_basis) = ([[0.0; L]; B], [[0.0; L]; B]);
        let mut e = [[0.0; L]; 4];
        for start in (0..horizon).step_by(B) {
            let n = ((horizon - start) as usize).min(B);
            for i in 0..n {
                let t = start as usize + i;
                if t > 0 {
                    if DRAW {
                        for (k, rng) in rngs.iter_mut().enumerate() {
                            for ef in e.iter_mut() {
                                ef[k] = rng.sample(StandardNormal);
                            }
                        }
                    } else {
                        for k in 0..L {
                            for (f, ef) in e.iter_mut().enumerate() {
                                ef[k] = table[(i + k) % B][f];
                            }
                        }
                    }
                    let lag = m.curve.lag_step[t - 1];
                    for k in 0..L {
                        let c = [
                            l[0][0] * e[0][k],
                            l[1][0] * e[0][k] + l[1][1] * e[1][k],
                            l[2][0] * e[0][k] + l[2][1] * e[1][k] + l[2][2] * e[2][k],
                            l[3][0] * e[0][k]
                                + l[3][1] * e[1][k]
                                + l[3][2] * e[2][k]
                                + l[3][3] * e[3][k],
                        ];
                        z[k] = m.price.step(z[k], c[F_PRICE]) + lag;
                        w[k] = m.util.step(w[k], c[F_UTIL]);
                        v[k] = m.basis.step(v[k], c[F_BASIS]);
                        if m.power_stochastic {
                            q[k] = m.power.step(q[k], c[F_POWER]);
                        }
                    }
                }
                let (ln_theta, target) = (m.curve.ln_theta[t], self.target_logit[t]);
                for k in 0..L {
                    ln_index[i][k] = ln_theta + z[k];
                    basis[i][k] = m.basis_mean + v[k];
                    util[i][k] = target + w[k];
                }
            }
            fastmath::exp_into(
                ln_index[..n].as_flattened(),
                index_price[..n].as_flattened_mut(),
            );
            fastmath::exp_into(basis[..n].as_flattened(), exp_basis[..n].as_flattened_mut());
            fastmath::logistic_in_place(util[..n].as_flattened_mut());
            on_block(start, n, &index_price, &exp_basis, &util);
        }
        std::hint::black_box(q);
    }

    /// Timing entry: `paths` paths (a multiple of `L`) over `horizon` days; returns a checksum.
    pub fn time<const DRAW: bool>(&self, paths: u64, horizon: u32, table: &[[f64; 4]; B]) -> f64 {
        let mut acc = 0.0;
        for g in (0..paths).step_by(L) {
            self.run::<DRAW>(g, horizon, table, |_, n, ip, eb, u| {
                acc += ip[n - 1][0] * eb[n - 1][1] + u[n - 1][2];
            });
        }
        acc
    }

    /// Asserts that, with jumps off, the floor's drawn paths give the engine kernel's index
    /// price, operator price and utilization bit for bit (so it times the model's arithmetic).
    pub fn check_against_the_engine(&self, horizon: u32) {
        let mut no_jumps = self.m.clone();
        no_jumps.jumps = None;
        let floor = Floor {
            m: &no_jumps,
            target_logit: self.target_logit.clone(),
        };
        let table = [[0.0; 4]; B];
        let mut md = MarketDays::with_capacity(B);
        let mut engine = vec![Vec::new(); L];
        for (k, days) in engine.iter_mut().enumerate() {
            let mut rng = stream(1, k as u64, purpose::MARKET);
            let mut jrng = stream(1, k as u64, purpose::JUMPS);
            let mut st = no_jumps.initial_state(&mut jrng, 0);
            for start in (0..horizon).step_by(B) {
                no_jumps.simulate_days(
                    &mut st,
                    start..(start + BLOCK_DAYS).min(horizon),
                    None::<fn(u32) -> Overlay>,
                    |_| no_jumps.correlated_normals(&mut rng),
                    &mut jrng,
                    &mut md,
                );
                days.extend(
                    md.factors().iter().map(|f| {
                        [f.index_price, f.operator_price, f.utilization].map(f64::to_bits)
                    }),
                );
            }
        }
        floor.run::<true>(0, horizon, &table, |start, n, ip, eb, u| {
            for i in 0..n {
                for (k, days) in engine.iter().enumerate() {
                    let got = [ip[i][k], ip[i][k] * eb[i][k], u[i][k]].map(f64::to_bits);
                    assert_eq!(
                        got,
                        days[start as usize + i],
                        "floor differs: lane {k}, day {}",
                        start as usize + i
                    );
                }
            }
        });
    }
}
