//! The path loop: one owner for how paths are simulated, split across threads and shards.
//!
//! Paths are independent. Path `i` draws from streams `(seed, i, purpose)` only, and every
//! accumulator merges exactly, so the result depends on (scenario, seed, paths) and never on the
//! thread count, the chunking or the shard split. Work is split into chunks of [`CHUNK_PATHS`]
//! paths handed to rayon; each worker folds into its own accumulator.
//!
//! One day of one path: the shock overlay in force → the market factors advance (exact OU,
//! jumps) → [`DayMarket`] → the contracts step (cluster, swap, hedged and unhedged loan,
//! waterfall) → the row statistics. At the end of the path its outcome goes into the
//! accumulator. Must not: do I/O or print (progress goes through [`Observer`]).

use super::importance::{FactorTilt, ImportancePlan, SegmentSums, MAX_SEGMENTS};
use super::margin::{MarginDay, MarginSetup, PathMargin};
use super::observer::Observer;
use super::streams::{purpose, stream};
use crate::contract::{
    ContractError, ContractTerms, DayMarket, DayRecord, LoanOutcome, PathContracts, PathOutcome,
};
use crate::market::{DayFactors, MarketDays, MarketModel, BLOCK_DAYS};
use crate::metrics::accum::{convergence_bucket, Accumulator, Layout, LoanAcc, Series, N_SERIES};
use crate::metrics::{Moments, QuantileSketch};
use crate::scenario::InitialMargin;
use crate::scenario::{FixedPrice, Scenario, N_FACTORS};
use crate::shocks::PathShocks;
use rand::Rng;
use rayon::prelude::*;
use std::ops::Range;

/// Paths per unit of parallel work.
pub const CHUNK_PATHS: u64 = 64;

/// Paths of the pilot pass that solves the par fixed price (the first `min(paths, this)` paths of
/// the run's seed, so every shard of a run solves the same par price).
pub const PAR_PILOT_PATHS: u64 = 20_000;

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
    #[error("contract terms: {0}")]
    Contract(#[from] ContractError),
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
    pub terms: ContractTerms,
    pub layout: Layout,
    pub seed: u64,
    /// The swap's fixed price used on every path, $/GPU-hour (par already resolved).
    pub fixed_price_usd_per_gpu_hour: f64,
    /// `shocks_enabled[i] == false` switches scenario shock `i` off (layer attribution); its
    /// stream is left untouched, so the other shocks keep their draws.
    pub shocks_enabled: Vec<bool>,
    /// The margin agreement (None when the swap has no modelled MTM: `two_leg`, `none`).
    pub margin: Option<MarginSetup>,
    /// The importance-sampling pass [`simulate`] adds (None until [`RunContext::resolve_importance`]
    /// is called on a scenario that asks for it).
    pub importance: Option<ImportancePlan>,
}

/// Paths of the pilot that sizes a `var` initial margin (the run seed's first paths).
pub const VAR_PILOT_PATHS: u64 = 2_000;

impl<'a> RunContext<'a> {
    /// Precompute the market model, the contract terms, the margin agreement (sizing the initial
    /// margin, with a pilot for the `var` method) and the table layout.
    pub fn new(
        s: &'a Scenario,
        seed: u64,
        fixed_price_usd_per_gpu_hour: f64,
        shocks_enabled: Vec<bool>,
    ) -> Result<Self, EngineError> {
        Self::with_initial_margin(s, seed, fixed_price_usd_per_gpu_hour, shocks_enabled, None)
    }

    /// As [`RunContext::new`], with the initial margin fixed at `im_override_usd` when given.
    pub fn with_initial_margin(
        s: &'a Scenario,
        seed: u64,
        fixed_price_usd_per_gpu_hour: f64,
        shocks_enabled: Vec<bool>,
        im_override_usd: Option<f64>,
    ) -> Result<Self, EngineError> {
        let horizon = horizon_days(s);
        let market = MarketModel::new(s, horizon);
        let base: Vec<DayMarket> = market.base_case().iter().map(day_market).collect();
        let terms = ContractTerms::new(s, &base, fixed_price_usd_per_gpu_hour)?;
        let layout = Layout::new(
            horizon,
            s.simulation.report_interval_days,
            series_ranges(s, &market),
        );
        let margin = MarginSetup::new(
            s,
            &market,
            &terms,
            fixed_price_usd_per_gpu_hour,
            None,
            im_override_usd,
        )
        .map_err(|e| EngineError::Model(e.to_string()))?;
        let mut ctx = Self {
            scenario: s,
            market,
            terms,
            layout,
            seed,
            fixed_price_usd_per_gpu_hour,
            shocks_enabled,
            margin,
            importance: None,
        };
        if im_override_usd.is_none()
            && matches!(s.csa.initial_margin, InitialMargin::Var { .. })
            && ctx.margin.is_some()
        {
            let mut losses = mpor_loss_pilot(&ctx)?;
            losses.sort_by(f64::total_cmp);
            ctx.margin = MarginSetup::new(
                s,
                &ctx.market,
                &ctx.terms,
                fixed_price_usd_per_gpu_hour,
                Some(&losses),
                None,
            )
            .map_err(|e| EngineError::Model(e.to_string()))?;
        }
        Ok(ctx)
    }

    /// Resolve the scenario's importance-sampling pass (running the cross-entropy pilot for
    /// `"auto"`), so [`simulate`] adds it; a no-op when the scenario does not ask for one.
    pub fn resolve_importance(&mut self, obs: &dyn Observer) -> Result<(), EngineError> {
        self.importance = super::importance::plan(self, obs)?;
        Ok(())
    }
}

/// MPOR losses of the VaR pilot: non-overlapping windows on the first [`VAR_PILOT_PATHS`] paths
/// (unsorted; sort before taking quantiles).
pub fn mpor_loss_pilot(ctx: &RunContext) -> Result<Vec<f64>, EngineError> {
    let settings = RunSettings {
        paths: VAR_PILOT_PATHS,
        seed: ctx.seed,
        threads: None,
        path_range: None,
    };
    let mpor = ctx.margin.as_ref().map_or(1, |m| m.mpor_days.max(1)) as usize;
    for_paths(
        &settings,
        &crate::engine::NoopObserver,
        "var pilot",
        || (Scratch::new(ctx), Vec::new()),
        |(sc, out), path| {
            run_path(ctx, path, None, &mut sc.shocks, &mut sc.margin, |_| Ok(()))?;
            if let Some(pm) = &sc.margin {
                for_mpor_windows(&pm.values, &pm.settlements, mpor, |l| out.push(l));
            }
            Ok(())
        },
        |a, b| a.1.extend(b.1),
    )
    .map(|(_, v)| v)
}

/// Call `f` with the trader's loss over each non-overlapping margin-period-of-risk window
/// `[t, t+m]`, t = 0, m, 2m, …: value(t) − value(t+m) − settlements to the trader on t+1..=t+m.
fn for_mpor_windows(values: &[f64], settlements: &[f64], m: usize, mut f: impl FnMut(f64)) {
    let n = values.len().min(settlements.len());
    let mut t = 0;
    while t + m < n {
        let paid: f64 = settlements[t + 1..=t + m].iter().sum();
        f(values[t] - values[t + m] - paid);
        t += m;
    }
}

/// Horizon in days: loan tenor × payment interval + tail.
pub fn horizon_days(s: &Scenario) -> u32 {
    s.loan.tenor_months * s.loan.payment_interval_days + s.simulation.tail_days
}

/// The contracts' view of one day of the market.
#[inline]
pub fn day_market(f: &DayFactors) -> DayMarket {
    DayMarket {
        day: f.day,
        index_price: f.index_price,
        operator_price: f.operator_price,
        utilization: f.utilization,
        capacity_factor: f.capacity_factor,
        power_usd_per_kwh: f.power_usd_per_kwh,
        opex_multiplier: f.opex_multiplier,
        collateral_multiplier: f.collateral_multiplier,
        price_to_curve_ratio: f.price_to_curve_ratio,
    }
}

/// The swap fixed price of a run, $/GPU-hour: the scenario's number, or the par price solved on
/// a pilot of the run's own first paths (common random numbers). Both legs are computed on the
/// contractual schedule ignoring default, so the swap value is linear in P_fix and
/// par = E[PV variable leg] / E[PV fixed leg per $1]; one pass solves it exactly on the sample.
/// Returns (price, standard error of the par estimate; 0 for a contractual price).
pub fn resolve_fixed_price(
    s: &Scenario,
    settings: &RunSettings,
    obs: &dyn Observer,
) -> Result<(f64, f64), EngineError> {
    match s.swap.fixed_price {
        FixedPrice::Usd(p) => Ok((p, 0.0)),
        FixedPrice::Par => {
            let pilot = RunSettings {
                paths: settings.paths.min(PAR_PILOT_PATHS),
                path_range: None,
                ..settings.clone()
            };
            let ctx = RunContext::new(s, settings.seed, 0.0, vec![true; s.shocks.len()])?;
            let acc = simulate_labelled(&ctx, &pilot, obs, "par price")?;
            Ok(crate::metrics::summary::par_price(&acc))
        }
    }
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
        (0.0, 4.0),                          // DSCR
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
    shocks: PathShocks,
    margin: Option<PathMargin>,
    /// The even path of an antithetic pair, waiting for its partner.
    pending: Option<PathStats>,
    /// Per-row series values of the last `buffered` paths, laid out [series][row][slot]
    /// (NaN = no value), added to the histograms in one cache-friendly pass by `flush`.
    rows_buf: Vec<f64>,
    buffered: usize,
}

/// Paths whose row values are buffered before the histograms are updated: each histogram row
/// (400 bins) is then hit this many times while it is in cache, instead of once per path.
const ROW_BUFFER_PATHS: usize = 64;

impl Scratch {
    fn new(ctx: &RunContext) -> Self {
        Self {
            acc: Accumulator::new(ctx.layout.clone()),
            shocks: PathShocks::new(&ctx.scenario.shocks),
            margin: ctx.margin.as_ref().map(PathMargin::new),
            pending: None,
            rows_buf: vec![f64::NAN; N_SERIES * ctx.layout.row_days.len() * ROW_BUFFER_PATHS],
            buffered: 0,
        }
    }

    /// Add the buffered row values to the per-row statistics (exact, so the order is free).
    fn flush(&mut self) {
        if self.buffered == 0 {
            return;
        }
        let n = self.buffered;
        let mut vals = [0.0; ROW_BUFFER_PATHS];
        for (si, series) in self.acc.series.iter_mut().enumerate() {
            let rows = series.moments.len();
            for r in 0..rows {
                let base = (si * rows + r) * ROW_BUFFER_PATHS;
                let mut m = 0;
                for v in &mut self.rows_buf[base..base + n] {
                    if !v.is_nan() {
                        vals[m] = *v;
                        m += 1;
                    }
                    *v = f64::NAN;
                }
                series.add_all(r, &vals[..m]);
            }
        }
        self.buffered = 0;
    }

    /// Flush and hand over the accumulator.
    fn into_acc(mut self) -> Accumulator {
        self.flush();
        self.acc
    }

    /// Merge another worker's scratch (both flushed first).
    fn merge(&mut self, mut o: Scratch) {
        self.flush();
        o.flush();
        self.acc.merge(&o.acc);
    }
}

/// Simulate `settings` and return the merged accumulator; with a resolved importance-sampling
/// plan, also run the importance-sampling pass over the same paths into `acc.importance`.
pub fn simulate(
    ctx: &RunContext,
    settings: &RunSettings,
    obs: &dyn Observer,
) -> Result<Accumulator, EngineError> {
    let mut acc = simulate_labelled(ctx, settings, obs, "paths")?;
    if let Some(plan) = &ctx.importance {
        acc.importance = Some(super::importance::simulate_importance(
            ctx, plan, settings, obs,
        )?);
    }
    Ok(acc)
}

/// Run `body` for every path of `settings` on rayon, chunk by chunk, folding into per-worker
/// state created by `init` and merged with `merge` (which must be exact and order-independent).
pub(crate) fn for_paths<T: Send>(
    settings: &RunSettings,
    obs: &dyn Observer,
    label: &str,
    init: impl Fn() -> T + Sync + Send,
    body: impl Fn(&mut T, u64) -> Result<(), EngineError> + Sync + Send,
    merge: impl Fn(&mut T, T) + Sync + Send,
) -> Result<T, EngineError> {
    let range = settings.path_range.clone().unwrap_or(0..settings.paths);
    let n_chunks = (range.end - range.start).div_ceil(CHUNK_PATHS);
    obs.on_start(label, range.end - range.start);
    let work = || -> Result<T, EngineError> {
        (0..n_chunks)
            .into_par_iter()
            .try_fold(&init, |mut state, c| {
                let lo = range.start + c * CHUNK_PATHS;
                let hi = (lo + CHUNK_PATHS).min(range.end);
                for path in lo..hi {
                    body(&mut state, path)?;
                }
                obs.on_progress(hi - lo);
                Ok(state)
            })
            .try_reduce(&init, |mut a, b| {
                merge(&mut a, b);
                Ok(a)
            })
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

fn simulate_labelled(
    ctx: &RunContext,
    settings: &RunSettings,
    obs: &dyn Observer,
    label: &str,
) -> Result<Accumulator, EngineError> {
    let scratch = for_paths(
        settings,
        obs,
        label,
        || Scratch::new(ctx),
        |sc, path| simulate_path(ctx, path, sc).map(|_| ()),
        |a, b| a.merge(b),
    )?;
    Ok(scratch.into_acc())
}

/// Paired differences `a − b` per path of two runs on common random numbers (same seed, same
/// paths): the standard errors of these means are the standard errors of the differences.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PairedDiff {
    pub hedged_default: Moments,
    pub unhedged_default: Moments,
    pub hedged_loss_usd: Moments,
    pub unhedged_loss_usd: Moments,
    pub trader_pnl_pv_usd: Moments,
    /// Trader P&L per path of run `a` and of run `b` (for expected-shortfall differences).
    pub trader_pnl_a: QuantileSketch,
    pub trader_pnl_b: QuantileSketch,
}

impl PairedDiff {
    fn merge(&mut self, o: &Self) {
        self.hedged_default.merge(&o.hedged_default);
        self.unhedged_default.merge(&o.unhedged_default);
        self.hedged_loss_usd.merge(&o.hedged_loss_usd);
        self.unhedged_loss_usd.merge(&o.unhedged_loss_usd);
        self.trader_pnl_pv_usd.merge(&o.trader_pnl_pv_usd);
        self.trader_pnl_a.merge(&o.trader_pnl_a);
        self.trader_pnl_b.merge(&o.trader_pnl_b);
    }
}

/// Simulate every path of `settings` under both contexts and accumulate per-path differences.
pub fn simulate_paired(
    a: &RunContext,
    b: &RunContext,
    settings: &RunSettings,
    obs: &dyn Observer,
    label: &str,
) -> Result<PairedDiff, EngineError> {
    let ind = |x: bool| if x { 1.0 } else { 0.0 };
    let out = for_paths(
        settings,
        obs,
        label,
        || (Scratch::new(a), Scratch::new(b), PairedDiff::default()),
        |(sa, sb, d), path| {
            let x = simulate_path(a, path, sa)?;
            let y = simulate_path(b, path, sb)?;
            d.hedged_default
                .add(ind(x.hedged_default) - ind(y.hedged_default));
            d.unhedged_default
                .add(ind(x.unhedged_default) - ind(y.unhedged_default));
            d.hedged_loss_usd.add(x.hedged_loss_usd - y.hedged_loss_usd);
            d.unhedged_loss_usd
                .add(x.unhedged_loss_usd - y.unhedged_loss_usd);
            d.trader_pnl_pv_usd
                .add(x.trader_pnl_pv_usd - y.trader_pnl_pv_usd);
            d.trader_pnl_a.add(x.trader_pnl_pv_usd);
            d.trader_pnl_b.add(y.trader_pnl_pv_usd);
            Ok(())
        },
        |(_, _, d), (_, _, e)| d.merge(&e),
    )?;
    Ok(out.2)
}

/// The outcomes of one path: paired comparisons and the `paths` table (one row per path).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathStats {
    pub path: u64,
    pub hedged_default: bool,
    pub unhedged_default: bool,
    /// Default day, or −1 without default.
    pub hedged_default_day: f64,
    pub unhedged_default_day: f64,
    pub hedged_loss_usd: f64,
    pub unhedged_loss_usd: f64,
    /// Lowest period DSCR (0 when no payment was tested).
    pub hedged_min_dscr: f64,
    pub unhedged_min_dscr: f64,
    /// Equity IRR, annual decimal (−1 = total loss or undefined).
    pub hedged_equity_irr: f64,
    pub unhedged_equity_irr: f64,
    pub trader_pnl_pv_usd: f64,
    pub trader_default: bool,
    pub margin_calls: f64,
    pub peak_vm_usd: f64,
    pub jumps: f64,
    pub commissioning_delay_days: f64,
    pub hours_sold: f64,
    pub revenue_usd: f64,
    pub swap_pv_fixed_leg_per_usd: f64,
    pub swap_pv_variable_leg_usd: f64,
}

/// Column names of the `paths` table, in [`PathStats::values`] order (units in `output/README.md`).
pub const PATHS_COLUMNS: [&str; 21] = [
    "path",
    "hedged_default",
    "unhedged_default",
    "hedged_default_day",
    "unhedged_default_day",
    "hedged_loss_usd",
    "unhedged_loss_usd",
    "hedged_min_dscr",
    "unhedged_min_dscr",
    "hedged_equity_irr",
    "unhedged_equity_irr",
    "trader_pnl_pv_usd",
    "trader_default",
    "margin_calls",
    "peak_vm_usd",
    "jumps",
    "commissioning_delay_days",
    "hours_sold",
    "revenue_usd",
    "swap_pv_fixed_leg_per_usd",
    "swap_pv_variable_leg_usd",
];

impl PathStats {
    /// The row in [`PATHS_COLUMNS`] order.
    pub fn values(&self) -> [f64; 21] {
        let b = |x: bool| if x { 1.0 } else { 0.0 };
        [
            self.path as f64,
            b(self.hedged_default),
            b(self.unhedged_default),
            self.hedged_default_day,
            self.unhedged_default_day,
            self.hedged_loss_usd,
            self.unhedged_loss_usd,
            self.hedged_min_dscr,
            self.unhedged_min_dscr,
            self.hedged_equity_irr,
            self.unhedged_equity_irr,
            self.trader_pnl_pv_usd,
            b(self.trader_default),
            self.margin_calls,
            self.peak_vm_usd,
            self.jumps,
            self.commissioning_delay_days,
            self.hours_sold,
            self.revenue_usd,
            self.swap_pv_fixed_leg_per_usd,
            self.swap_pv_variable_leg_usd,
        ]
    }
}

/// Simulate and also return one [`PathStats`] per path, in path order (O(paths) memory: only
/// for `--paths-table`).
pub fn simulate_with_paths(
    ctx: &RunContext,
    settings: &RunSettings,
    obs: &dyn Observer,
) -> Result<(Accumulator, Vec<PathStats>), EngineError> {
    let (scratch, mut rows) = for_paths(
        settings,
        obs,
        "paths",
        || (Scratch::new(ctx), Vec::new()),
        |(sc, rows), path| {
            rows.push(simulate_path(ctx, path, sc)?);
            Ok(())
        },
        |a, b| {
            a.0.merge(b.0);
            a.1.extend(b.1);
        },
    )?;
    rows.sort_by_key(|r| r.path);
    let mut acc = scratch.into_acc();
    if let Some(plan) = &ctx.importance {
        acc.importance = Some(super::importance::simulate_importance(
            ctx, plan, settings, obs,
        )?);
    }
    Ok((acc, rows))
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

/// Index of the first entry of `days` at or after `day` (clamped to the last entry).
#[inline]
pub(crate) fn bucket_of(days: &[u32], day: u32) -> usize {
    days.partition_point(|&d| d < day)
        .min(days.len().saturating_sub(1))
}

fn record_loan(acc: &mut LoanAcc, o: &LoanOutcome, layout: &Layout) {
    acc.default.add(if o.defaulted { 1.0 } else { 0.0 });
    acc.loss.add(o.loss_usd);
    acc.loss_sketch.add(o.loss_usd);
    if let (true, Some(d)) = (o.defaulted, o.default_day) {
        acc.defaults_by_row[bucket_of(&layout.row_days, d)] += 1;
        acc.defaults_by_year[bucket_of(&layout.year_days, d)] += 1;
        let cause = match o.cause {
            Some(crate::contract::DefaultCause::Payment) | None => 0,
            Some(crate::contract::DefaultCause::DscrCovenant) => 1,
            Some(crate::contract::DefaultCause::UtilizationCovenant) => 2,
        };
        acc.defaults_by_cause[cause] += 1;
        acc.lgd.add(o.lgd);
    }
    if let Some(m) = o.min_dscr {
        acc.dscr_min.add(m);
    }
    acc.equity_irr.add(o.equity_irr.unwrap_or(-1.0));
    acc.cash_trap_days.add(o.cash_trap_days as f64);
}

/// One simulated day of one path, as seen by the accumulator or a trace.
#[derive(Debug, Clone, Copy)]
pub struct PathDay {
    pub factors: DayFactors,
    pub record: DayRecord,
    /// The margin agreement's day (None when there is none or it has stopped).
    pub margin: Option<MarginDay>,
}

/// What a path produced besides its days.
#[derive(Debug, Clone)]
pub struct PathEnd {
    pub outcome: PathOutcome,
    /// Price jumps on the path.
    pub jumps: u32,
    /// Commissioning delay drawn by the path's shocks, days.
    pub commissioning_delay_days: u32,
    /// Sums of the price factor's independent daily normal as sampled (after the
    /// importance-sampling shift) per tilt segment; zeros when the path ran without a
    /// [`FactorTilt`].
    pub normal_sums: SegmentSums,
    /// ln of the path's likelihood ratio dP/dQ (0 without a [`FactorTilt`]).
    pub log_weight: f64,
}

/// Simulate path `path` day by day, handing every day to `on_day`: the one loop shared by the
/// accumulating engine, the importance-sampling pass and [`trace_path`]. With a `tilt`, the
/// price factor's daily normal is drawn from the shifted measure and the path's likelihood
/// ratio is returned in [`PathEnd::log_weight`].
pub(crate) fn run_path(
    ctx: &RunContext,
    path: u64,
    tilt: Option<&FactorTilt>,
    shocks: &mut PathShocks,
    margin: &mut Option<PathMargin>,
    mut on_day: impl FnMut(&PathDay) -> Result<(), EngineError>,
) -> Result<PathEnd, EngineError> {
    let m = &ctx.market;
    let s = ctx.scenario;
    let seed = ctx.seed;
    let horizon = ctx.layout.horizon_days;
    // Antithetic pairs (2k, 2k+1) share every stream; the odd path negates the market normals.
    let (stream_path, negate) = if s.simulation.antithetic {
        (path & !1, path & 1 == 1)
    } else {
        (path, false)
    };
    let mut rng = stream(seed, stream_path, purpose::MARKET);
    let mut jrng = stream(seed, stream_path, purpose::JUMPS);
    let has_shocks = !s.shocks.is_empty();
    if has_shocks {
        shocks.redraw(&s.shocks, horizon, &ctx.shocks_enabled, |i| {
            stream(seed, stream_path, purpose::SHOCK_BASE + i as u64)
        });
    }
    let shocks = &*shocks;
    // None: no shock acts on this path (the market's fast path).
    let overlay = has_shocks.then_some(|day: u32| shocks.overlay(day));
    let delay = if has_shocks {
        shocks.commissioning_delay_days()
    } else {
        0
    };
    let mut market_state = m.initial_state(&mut jrng, delay);
    let mut market_days = MarketDays::with_capacity(BLOCK_DAYS as usize);
    let mut contracts = PathContracts::new(&ctx.terms);
    if let (Some(setup), Some(pm)) = (&ctx.margin, margin.as_mut()) {
        let mut trng = stream(seed, stream_path, purpose::TRADER);
        pm.reset(setup, trng.random::<f64>());
    }
    let mut last = None;
    let mut suspended = false;
    let mut hedged_alive = true;
    let mut normal_sums: SegmentSums = [[0.0; N_FACTORS]; MAX_SEGMENTS];
    for day in 0..horizon {
        // The market of the next BLOCK_DAYS days in one batch (the same draws in the same order
        // as day by day); `st` and `f` are the day's state and factors.
        if day % BLOCK_DAYS == 0 {
            let days = day..(day + BLOCK_DAYS).min(horizon);
            let sums = &mut normal_sums;
            let normals = |d: u32| {
                let mut z = m.correlated_normals(&mut rng);
                if negate {
                    z.iter_mut().for_each(|x| *x = -*x);
                }
                if let Some(t) = tilt {
                    t.apply(d, &mut z, sums);
                }
                z
            };
            m.simulate_days(
                &mut market_state,
                days,
                overlay,
                normals,
                &mut jrng,
                &mut market_days,
            );
        }
        let i = (day - market_days.first_day()) as usize;
        let (st, f) = (&market_days.states()[i], market_days.factors()[i]);
        let dm = day_market(&f);
        // The margin agreement steps first: the contracts must know whether the trader pays.
        let mut margin_day = None;
        let mut close_out = None;
        let mut suspend_after = false;
        if let (Some(setup), Some(pm)) = (&ctx.margin, margin.as_mut()) {
            let was_defaulted = pm.trader_defaulted();
            let pending = contracts.pending_settlement_to_spv_usd(&ctx.terms, &dm);
            if let Some((out, md)) = pm.step(
                setup,
                day,
                st,
                f.index_price,
                f.utilization,
                pending,
                suspended,
                hedged_alive,
            ) {
                if !was_defaulted && pm.trader_defaulted() && !suspended {
                    if out.settlement_paid {
                        suspend_after = true;
                    } else {
                        contracts.suspend_swap();
                        suspended = true;
                    }
                }
                close_out = out.close_out;
                margin_day = Some(md);
            }
        }
        let rec = contracts.step(&ctx.terms, &dm);
        hedged_alive = !rec.hedged.defaulted;
        if suspend_after {
            contracts.suspend_swap();
            suspended = true;
        }
        if let Some(c) = close_out {
            contracts.close_out_swap(&ctx.terms, day, c.spv_cash_usd, c.replacement_fixed_price);
        }
        on_day(&PathDay {
            factors: f,
            record: rec,
            margin: margin_day,
        })?;
        last = Some(dm);
    }
    if let (Some(setup), Some(pm)) = (&ctx.margin, margin.as_mut()) {
        pm.finalize(setup, horizon.min(setup.end_day));
    }
    let Some(last) = last else {
        return Err(EngineError::Model("the horizon has no days".into()));
    };
    let outcome = contracts.finish(&ctx.terms, &last);
    check(
        outcome.trader_pnl_pv_usd,
        "trader P&L",
        path,
        last.day,
        seed,
    )?;
    check(outcome.hedged.loss_usd, "hedged loss", path, last.day, seed)?;
    check(
        outcome.unhedged.loss_usd,
        "unhedged loss",
        path,
        last.day,
        seed,
    )?;
    Ok(PathEnd {
        outcome,
        jumps: market_state.jumps,
        commissioning_delay_days: delay,
        normal_sums,
        log_weight: tilt.map_or(0.0, |t| t.log_weight(&normal_sums)),
    })
}

/// Replay one path day by day (for tests, debugging and `--seed`/path replays): every day's
/// factors and contract record, and the path's outcome. Allocates O(horizon).
pub fn trace_path(ctx: &RunContext, path: u64) -> Result<(Vec<PathDay>, PathEnd), EngineError> {
    let mut shocks = PathShocks::new(&ctx.scenario.shocks);
    let mut margin = ctx.margin.as_ref().map(PathMargin::new);
    let mut days = Vec::with_capacity(ctx.layout.horizon_days as usize);
    let end = run_path(ctx, path, None, &mut shocks, &mut margin, |d| {
        days.push(*d);
        Ok(())
    })?;
    Ok((days, end))
}

fn simulate_path(
    ctx: &RunContext,
    path: u64,
    scratch: &mut Scratch,
) -> Result<PathStats, EngineError> {
    let seed = ctx.seed;
    let layout = &ctx.layout;
    let acc = &mut scratch.acc;
    let (mut next_row, mut next_year) = (0usize, 0usize);
    let mut swap_since_row = 0.0;
    let mut last_dscr: Option<f64> = None;
    let rows = layout.row_days.len();
    let slot = scratch.buffered;
    let buf = &mut scratch.rows_buf;
    let end = run_path(
        ctx,
        path,
        None,
        &mut scratch.shocks,
        &mut scratch.margin,
        |pd| {
            let (f, rec) = (&pd.factors, &pd.record);
            let day = f.day;
            if let Some(md) = &pd.margin {
                if md.call_usd > 0.0 {
                    acc.margin.call_size.add(md.call_usd);
                }
            }
            swap_since_row += rec.swap_net_to_spv_usd;
            if rec.is_payment_day && !rec.hedged.defaulted {
                last_dscr = Some(rec.hedged.dscr);
            }
            if next_row < layout.row_days.len() && layout.row_days[next_row] == day {
                check_day(f, path, seed)?;
                let mut put =
                    |series: Series, v: f64, what: &'static str| -> Result<(), EngineError> {
                        check(v, what, path, day, seed)?;
                        buf[((series as usize) * rows + next_row) * ROW_BUFFER_PATHS + slot] = v;
                        Ok(())
                    };
                put(Series::Price, f.index_price, "index price")?;
                put(Series::OperatorPrice, f.operator_price, "operator price")?;
                put(Series::Utilization, f.utilization, "utilization")?;
                put(Series::Revenue, rec.revenue_usd, "revenue")?;
                if let Some(d) = last_dscr {
                    put(Series::Dscr, d, "DSCR")?;
                }
                put(Series::Cash, rec.hedged.cash_usd, "hedged cash")?;
                put(Series::Dsra, rec.hedged.dsra_usd, "DSRA")?;
                put(Series::Collateral, rec.collateral_value_usd, "collateral")?;
                if let Some(md) = &pd.margin {
                    put(Series::MarginBalance, md.vm_usd, "margin balance")?;
                    put(Series::Exposure, md.exposure_usd, "exposure")?;
                }
                acc.swap_net_row[next_row].add(swap_since_row);
                swap_since_row = 0.0;
                next_row += 1;
            }
            if next_year < layout.year_days.len() && layout.year_days[next_year] == day {
                acc.price_year[next_year].add(f.index_price);
                acc.price_year_m[next_year].add(f.index_price);
                acc.util_year[next_year].add(f.utilization);
                acc.util_year_m[next_year].add(f.utilization);
                next_year += 1;
            }
            Ok(())
        },
    )?;
    let out = end.outcome;
    record_loan(&mut acc.hedged, &out.hedged, layout);
    record_loan(&mut acc.unhedged, &out.unhedged, layout);
    for (y, v) in out.settlement_by_year_usd.iter().enumerate() {
        if y < acc.settlement_year.len() {
            acc.settlement_year[y].add(*v);
            acc.settlement_year_m[y].add(*v);
        }
    }
    acc.pv_fixed_per_usd.add(out.swap_pv_fixed_leg_per_usd);
    acc.pv_variable.add(out.swap_pv_variable_leg_usd);
    acc.pv_cross
        .add(out.swap_pv_fixed_leg_per_usd * out.swap_pv_variable_leg_usd);
    acc.trader_pnl.add(out.trader_pnl_pv_usd);
    acc.trader_pnl_sketch.add(out.trader_pnl_pv_usd);
    acc.hours_sold.add(out.hours_sold);
    acc.capacity_hours.add(out.capacity_hours);
    acc.jumps.add(end.jumps as f64);
    if let (Some(setup), Some(pm)) = (&ctx.margin, &scratch.margin) {
        let sm = &pm.csa.summary;
        let ma = &mut acc.margin;
        ma.any_call.add(if sm.calls > 0 { 1.0 } else { 0.0 });
        ma.calls.add(sm.calls as f64);
        ma.peak_vm.add(sm.peak_vm_posted_by_trader_usd);
        ma.trader_default.add(if sm.defaulted { 1.0 } else { 0.0 });
        ma.liquidity_need.add(sm.liquidity_need_peak_usd);
        let im = setup.im_usd + ctx.scenario.csa.independent_amount_usd;
        for_mpor_windows(
            &pm.values,
            &pm.settlements,
            setup.mpor_days.max(1) as usize,
            |l| {
                ma.mpor_loss.add(l);
                ma.mpor_covered.add(if l <= im { 1.0 } else { 0.0 });
            },
        );
    }
    acc.paths += 1;
    scratch.buffered += 1;
    if scratch.buffered == ROW_BUFFER_PATHS {
        scratch.flush();
    }
    let (tdef, calls, peak) = scratch.margin.as_ref().map_or((false, 0.0, 0.0), |pm| {
        let sm = &pm.csa.summary;
        (
            sm.defaulted,
            sm.calls as f64,
            sm.peak_vm_posted_by_trader_usd,
        )
    });
    let day = |d: Option<u32>| d.map_or(-1.0, f64::from);
    let stats = PathStats {
        path,
        hedged_default: out.hedged.defaulted,
        unhedged_default: out.unhedged.defaulted,
        hedged_default_day: day(out.hedged.default_day),
        unhedged_default_day: day(out.unhedged.default_day),
        hedged_loss_usd: out.hedged.loss_usd,
        unhedged_loss_usd: out.unhedged.loss_usd,
        hedged_min_dscr: out.hedged.min_dscr.unwrap_or(0.0),
        unhedged_min_dscr: out.unhedged.min_dscr.unwrap_or(0.0),
        hedged_equity_irr: out.hedged.equity_irr.unwrap_or(-1.0),
        unhedged_equity_irr: out.unhedged.equity_irr.unwrap_or(-1.0),
        trader_pnl_pv_usd: out.trader_pnl_pv_usd,
        trader_default: tdef,
        margin_calls: calls,
        peak_vm_usd: peak,
        jumps: end.jumps as f64,
        commissioning_delay_days: end.commissioning_delay_days as f64,
        hours_sold: out.hours_sold,
        revenue_usd: out.revenue_usd,
        swap_pv_fixed_leg_per_usd: out.swap_pv_fixed_leg_per_usd,
        swap_pv_variable_leg_usd: out.swap_pv_variable_leg_usd,
    };
    if let Some(b) = scratch.acc.convergence.get_mut(convergence_bucket(path)) {
        let ind = |x: bool| if x { 1.0 } else { 0.0 };
        b.hedged_default.add(ind(stats.hedged_default));
        b.unhedged_default.add(ind(stats.unhedged_default));
        b.trader_pnl.add(stats.trader_pnl_pv_usd);
    }
    if ctx.scenario.simulation.antithetic {
        if path & 1 == 0 {
            scratch.pending = Some(stats);
        } else if let Some(a) = scratch.pending.take().filter(|a| a.path + 1 == path) {
            scratch.acc.pairs.add(&a, &stats);
        }
    }
    Ok(stats)
}
