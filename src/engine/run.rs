//! The path loop: one owner for how paths are simulated, split across threads and shards.
//!
//! Paths are independent. Path `i` draws from streams `(seed, i, purpose)` only, and every
//! accumulator merges exactly, so the result depends on (scenario, seed, paths) and never on the
//! thread count, the chunking or the shard split. Work is split into chunks of [`CHUNK_PATHS`]
//! paths handed to rayon; each worker folds into its own accumulator.
//! Must not: do I/O or print (progress goes through [`Observer`]).

use super::observer::Observer;
use super::streams::{purpose, stream};
use crate::market::{DayFactors, MarketModel};
use crate::metrics::accum::{Accumulator, Layout, Series};
use crate::scenario::Scenario;
use crate::shocks::Overlay;
use rayon::prelude::*;
use std::ops::Range;

/// Paths per unit of parallel work.
pub const CHUNK_PATHS: u64 = 64;

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSettings {
    /// Total paths of the run (a shard runs a slice of them).
    pub paths: u64,
    pub seed: u64,
    /// Worker threads (None = rayon's default).
    pub threads: Option<usize>,
    /// The slice of path indices to run (None = all): shard I of N runs
    /// `[I·paths/N, (I+1)·paths/N)`.
    pub path_range: Option<Range<u64>>,
}

/// Errors of a run.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("non-finite value ({what}) on path {path}, day {day}; replay with --seed {seed} (path index {path})")]
    NonFinite {
        what: &'static str,
        path: u64,
        day: u32,
        seed: u64,
    },
    #[error("could not start the thread pool: {0}")]
    ThreadPool(String),
    #[error("{0}")]
    Model(String),
}

/// The slice of paths shard `index` (0-based) of `count` runs.
pub fn shard_range(paths: u64, index: u64, count: u64) -> Range<u64> {
    let lo = (paths as u128 * index as u128 / count as u128) as u64;
    let hi = (paths as u128 * (index as u128 + 1) / count as u128) as u64;
    lo..hi
}

/// Everything fixed for a run (built once, shared read-only by all workers).
#[derive(Debug)]
pub struct RunContext<'a> {
    pub scenario: &'a Scenario,
    pub market: MarketModel,
    pub layout: Layout,
    pub seed: u64,
}

impl<'a> RunContext<'a> {
    pub fn new(s: &'a Scenario, seed: u64) -> Self {
        let horizon = horizon_days(s);
        let market = MarketModel::new(s, horizon);
        let layout = Layout::new(
            horizon,
            s.simulation.report_interval_days,
            series_ranges(s, &market),
        );
        Self {
            scenario: s,
            market,
            layout,
            seed,
        }
    }
}

/// Horizon in days: loan tenor × payment interval + tail.
pub fn horizon_days(s: &Scenario) -> u32 {
    s.loan.tenor_months * s.loan.payment_interval_days + s.simulation.tail_days
}

/// Histogram ranges of the per-period series, set from the scenario so a fan chart resolves its
/// body (bin width = range / 400).
pub fn series_ranges(s: &Scenario, m: &MarketModel) -> Vec<(f64, f64)> {
    let max_theta = m
        .curve
        .ln_theta
        .iter()
        .cloned()
        .fold(f64::MIN, f64::max)
        .exp();
    let c = &s.cluster;
    let capex = c.capex_per_gpu_usd * c.gpus as f64;
    let day_revenue_max = c.gpus as f64 * c.hours_per_day * max_theta * 3.0;
    let principal = capex * s.loan.advance_rate;
    vec![
        (0.0, max_theta * 3.0),              // price
        (0.0, max_theta * 3.0),              // operator price
        (0.0, 1.0),                          // utilization
        (0.0, day_revenue_max),              // revenue per day
        (-2.0, 6.0),                         // DSCR
        (0.0, principal * 0.5),              // cash
        (0.0, principal * 0.25),             // DSRA
        (0.0, capex * 1.5),                  // collateral
        (-principal * 0.5, principal * 0.5), // margin balance
        (-principal * 0.5, principal * 0.5), // exposure
    ]
}

/// Per-worker scratch reused across paths (no allocation per path-day).
#[derive(Debug)]
struct Scratch {
    acc: Accumulator,
}

/// Simulate `settings` and return the merged accumulator.
pub fn simulate(
    ctx: &RunContext,
    settings: &RunSettings,
    obs: &dyn Observer,
) -> Result<Accumulator, EngineError> {
    let range = settings.path_range.clone().unwrap_or(0..settings.paths);
    let n_chunks = (range.end - range.start).div_ceil(CHUNK_PATHS);
    obs.on_start("paths", range.end - range.start);
    let work = || -> Result<Accumulator, EngineError> {
        let result = (0..n_chunks)
            .into_par_iter()
            .try_fold(
                || Scratch {
                    acc: Accumulator::new(ctx.layout.clone()),
                },
                |mut scratch, c| {
                    let lo = range.start + c * CHUNK_PATHS;
                    let hi = (lo + CHUNK_PATHS).min(range.end);
                    for path in lo..hi {
                        simulate_path(ctx, path, &mut scratch)?;
                    }
                    obs.on_progress(hi - lo);
                    Ok(scratch)
                },
            )
            .map(|r| r.map(|s| s.acc))
            .try_reduce(
                || Accumulator::new(ctx.layout.clone()),
                |mut a, b| {
                    a.merge(&b);
                    Ok(a)
                },
            )?;
        Ok(result)
    };
    let out = match settings.threads {
        Some(t) => rayon::ThreadPoolBuilder::new()
            .num_threads(t.max(1))
            .build()
            .map_err(|e| EngineError::ThreadPool(e.to_string()))?
            .install(work),
        None => work(),
    };
    obs.on_finish();
    out
}

fn check(x: f64, what: &'static str, path: u64, day: u32, seed: u64) -> Result<(), EngineError> {
    if x.is_finite() {
        Ok(())
    } else {
        Err(EngineError::NonFinite {
            what,
            path,
            day,
            seed,
        })
    }
}

fn check_day(f: &DayFactors, path: u64, seed: u64) -> Result<(), EngineError> {
    check(f.index_price, "index price", path, f.day, seed)?;
    check(f.operator_price, "operator price", path, f.day, seed)?;
    check(f.utilization, "utilization", path, f.day, seed)?;
    check(f.power_usd_per_kwh, "power price", path, f.day, seed)
}

fn simulate_path(ctx: &RunContext, path: u64, scratch: &mut Scratch) -> Result<(), EngineError> {
    let m = &ctx.market;
    let mut rng = stream(ctx.seed, path, purpose::MARKET);
    let mut jrng = stream(ctx.seed, path, purpose::JUMPS);
    let ov = Overlay::NEUTRAL;
    let mut st = m.initial_state(&mut jrng, 0);
    let acc = &mut scratch.acc;
    let layout = &ctx.layout;
    let (mut next_row, mut next_year) = (0usize, 0usize);
    for day in 0..layout.horizon_days {
        if day > 0 {
            let z = m.correlated_normals(&mut rng);
            m.advance(&mut st, &z, &ov, &mut jrng);
        }
        let f = m.observe(&st, &ov);
        if next_row < layout.row_days.len() && layout.row_days[next_row] == day {
            check_day(&f, path, ctx.seed)?;
            let s = &mut acc.series;
            s[Series::Price as usize].add(next_row, f.index_price);
            s[Series::OperatorPrice as usize].add(next_row, f.operator_price);
            s[Series::Utilization as usize].add(next_row, f.utilization);
            next_row += 1;
        }
        if next_year < layout.year_days.len() && layout.year_days[next_year] == day {
            acc.price_year[next_year].add(f.index_price);
            acc.price_year_m[next_year].add(f.index_price);
            acc.util_year[next_year].add(f.utilization);
            acc.util_year_m[next_year].add(f.utilization);
            next_year += 1;
        }
    }
    acc.jumps.add(st.jumps as f64);
    acc.paths += 1;
    Ok(())
}
