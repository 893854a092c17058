//! The streaming accumulator of a run: everything the summary and the tables are made of.
//!
//! Memory is O(rows × series × bins + outcome sketches), independent of the number of paths.
//! Every field merges exactly ([`ExactSum`], integer counts), so any split of the paths (threads,
//! shards) merged in any order gives bit-identical results. Serializable, so a shard writes its
//! accumulator and `tenancy merge` combines them. Must not: do I/O, know the engine's loop.

use super::exact::Moments;
use super::sketch::{BinnedHistogram, QuantileSketch};
use serde::{Deserialize, Serialize};

/// The per-period series of the `periods` table, in column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum Series {
    Price = 0,
    OperatorPrice,
    Utilization,
    Revenue,
    Dscr,
    Cash,
    Dsra,
    Collateral,
    MarginBalance,
    Exposure,
}

/// Number of per-period series.
pub const N_SERIES: usize = 10;
/// Column stems of the series (units in `output/README.md`).
pub const SERIES_NAMES: [&str; N_SERIES] = [
    "price",
    "operator_price",
    "utilization",
    "revenue_usd",
    "dscr",
    "cash_usd",
    "dsra_usd",
    "collateral_usd",
    "margin_balance_usd",
    "exposure_usd",
];
/// Bins of each per-period histogram.
pub const ROW_BINS: usize = 400;

/// Where rows and year ends fall, and the histogram range of each series (set from the scenario).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    pub horizon_days: u32,
    /// Day of each row of the `periods` table.
    pub row_days: Vec<u32>,
    /// Last day of each loan year (capped at the horizon's last day).
    pub year_days: Vec<u32>,
    /// (low, high) of each series' histogram.
    pub ranges: Vec<(f64, f64)>,
}

impl Layout {
    pub fn new(horizon_days: u32, interval_days: u32, ranges: Vec<(f64, f64)>) -> Self {
        let last = horizon_days.saturating_sub(1);
        let mut row_days: Vec<u32> = (0..horizon_days)
            .step_by(interval_days.max(1) as usize)
            .collect();
        if row_days.last() != Some(&last) {
            row_days.push(last);
        }
        let years = horizon_days.div_ceil(365).max(1);
        let year_days = (1..=years).map(|y| (y * 365).min(last)).collect();
        Self {
            horizon_days,
            row_days,
            year_days,
            ranges,
        }
    }
}

/// Per-row statistics of one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesRows {
    pub moments: Vec<Moments>,
    pub hist: Vec<BinnedHistogram>,
}

impl SeriesRows {
    fn new(rows: usize, (lo, hi): (f64, f64)) -> Self {
        Self {
            moments: vec![Moments::default(); rows],
            hist: vec![BinnedHistogram::new(lo, hi, ROW_BINS); rows],
        }
    }
    #[inline]
    pub fn add(&mut self, row: usize, x: f64) {
        self.moments[row].add(x);
        self.hist[row].add(x);
    }
    /// Add every value of `xs` to row `row` (the same result as [`SeriesRows::add`] one by one).
    #[inline]
    pub fn add_all(&mut self, row: usize, xs: &[f64]) {
        self.moments[row].add_all(xs);
        self.hist[row].add_all(xs);
    }
    fn merge(&mut self, o: &Self) {
        self.moments
            .iter_mut()
            .zip(&o.moments)
            .for_each(|(a, b)| a.merge(b));
        self.hist
            .iter_mut()
            .zip(&o.hist)
            .for_each(|(a, b)| a.merge(b));
    }
}

/// Outcomes of one loan (hedged or unhedged) across paths.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoanAcc {
    /// 1 if the path defaulted, else 0.
    pub default: Moments,
    /// Defaults by the row index in which they happened (for the cumulative default curve).
    pub defaults_by_row: Vec<u64>,
    /// Defaults by loan year (index 0 = year 1).
    pub defaults_by_year: Vec<u64>,
    /// Defaults by cause: payment, DSCR covenant, utilization covenant (slot 3 unused).
    pub defaults_by_cause: [u64; 4],
    /// Loss per path in dollars (0 without default).
    pub loss: Moments,
    pub loss_sketch: QuantileSketch,
    /// LGD of defaulted paths.
    pub lgd: Moments,
    /// Minimum DSCR per path (paths with at least one tested DSCR).
    pub dscr_min: QuantileSketch,
    /// Equity IRR per path (annual decimal; −1 = total loss).
    pub equity_irr: QuantileSketch,
    /// Days in cash trap per path.
    pub cash_trap_days: Moments,
}

impl LoanAcc {
    fn new(rows: usize, years: usize) -> Self {
        Self {
            defaults_by_row: vec![0; rows],
            defaults_by_year: vec![0; years],
            ..Default::default()
        }
    }
    fn merge(&mut self, o: &Self) {
        self.default.merge(&o.default);
        self.defaults_by_row
            .iter_mut()
            .zip(&o.defaults_by_row)
            .for_each(|(a, b)| *a += b);
        self.defaults_by_year
            .iter_mut()
            .zip(&o.defaults_by_year)
            .for_each(|(a, b)| *a += b);
        self.defaults_by_cause
            .iter_mut()
            .zip(&o.defaults_by_cause)
            .for_each(|(a, b)| *a += b);
        self.loss.merge(&o.loss);
        self.loss_sketch.merge(&o.loss_sketch);
        self.lgd.merge(&o.lgd);
        self.dscr_min.merge(&o.dscr_min);
        self.equity_irr.merge(&o.equity_irr);
        self.cash_trap_days.merge(&o.cash_trap_days);
    }
}

/// Everything a run accumulates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accumulator {
    pub layout: Layout,
    pub paths: u64,
    pub series: Vec<SeriesRows>,
    /// Index price at each year end.
    pub price_year: Vec<QuantileSketch>,
    pub price_year_m: Vec<Moments>,
    /// Utilization at each year end.
    pub util_year: Vec<QuantileSketch>,
    pub util_year_m: Vec<Moments>,
    /// Jumps per path.
    pub jumps: Moments,
    pub hedged: LoanAcc,
    pub unhedged: LoanAcc,
    /// Swap net settlement to the SPV per loan year (contractual, undiscounted), dollars.
    pub settlement_year: Vec<QuantileSketch>,
    pub settlement_year_m: Vec<Moments>,
    /// Σ DF·K per path (PV of the fixed leg per $1/GPU-hour) and Σ DF·V (PV of the variable leg).
    pub pv_fixed_per_usd: Moments,
    pub pv_variable: Moments,
    /// Cross moment Σ (fixed·variable) for the ratio estimator's standard error.
    pub pv_cross: super::exact::ExactSum,
    /// Trader P&L (PV, dollars) per path.
    pub trader_pnl: Moments,
    pub trader_pnl_sketch: QuantileSketch,
    /// Mean swap net settlement to the SPV per row (cash settled that day), dollars.
    pub swap_net_row: Vec<Moments>,
    /// Raw GPU-hours sold and capacity hours per path (QACU).
    pub hours_sold: Moments,
    pub capacity_hours: Moments,
    /// Extension slot for margin metrics, merged by [`MarginAcc::merge`].
    pub margin: MarginAcc,
    /// Antithetic pair averages (empty without antithetic sampling).
    #[serde(default)]
    pub pairs: PairAcc,
    /// Outcomes by doubling blocks of path indices (see [`convergence_bucket`]), for the
    /// convergence table: running estimates over the first 2, 4, 8, … paths.
    #[serde(default)]
    pub convergence: Vec<ConvergenceBucket>,
    /// The importance-sampling pass over the same paths (None when the scenario does not ask).
    #[serde(default)]
    pub importance: Option<super::importance::ImportanceAcc>,
}

/// Number of doubling blocks (covers 2^64 paths).
pub const CONVERGENCE_BUCKETS: usize = 64;

/// Block of path `p`: 0 for paths {0, 1}, then k for paths [2^k, 2^(k+1)); blocks 0..=k hold
/// exactly the first 2^(k+1) paths.
#[inline]
pub fn convergence_bucket(path: u64) -> usize {
    if path < 2 {
        0
    } else {
        (63 - path.leading_zeros()) as usize
    }
}

/// Outcomes of the paths of one doubling block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConvergenceBucket {
    pub hedged_default: Moments,
    pub unhedged_default: Moments,
    pub trader_pnl: Moments,
}

/// Moments of the antithetic pair averages (x_2k + x_2k+1)/2: with antithetic sampling the
/// pairs, not the paths, are the independent draws, so standard errors come from these.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PairAcc {
    pub hedged_default: Moments,
    pub unhedged_default: Moments,
    pub hedged_loss: Moments,
    pub unhedged_loss: Moments,
    pub trader_pnl: Moments,
}

impl PairAcc {
    /// Add one pair (the engine's per-path outcomes of paths 2k and 2k+1).
    pub fn add(&mut self, a: &crate::engine::run::PathStats, b: &crate::engine::run::PathStats) {
        let ind = |x: bool| if x { 1.0 } else { 0.0 };
        self.hedged_default
            .add(0.5 * (ind(a.hedged_default) + ind(b.hedged_default)));
        self.unhedged_default
            .add(0.5 * (ind(a.unhedged_default) + ind(b.unhedged_default)));
        self.hedged_loss
            .add(0.5 * (a.hedged_loss_usd + b.hedged_loss_usd));
        self.unhedged_loss
            .add(0.5 * (a.unhedged_loss_usd + b.unhedged_loss_usd));
        self.trader_pnl
            .add(0.5 * (a.trader_pnl_pv_usd + b.trader_pnl_pv_usd));
    }
    fn merge(&mut self, o: &Self) {
        self.hedged_default.merge(&o.hedged_default);
        self.unhedged_default.merge(&o.unhedged_default);
        self.hedged_loss.merge(&o.hedged_loss);
        self.unhedged_loss.merge(&o.unhedged_loss);
        self.trader_pnl.merge(&o.trader_pnl);
    }
}

/// CSA / margin statistics across paths.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MarginAcc {
    /// 1 if the path saw at least one margin call on the trader.
    pub any_call: Moments,
    /// Number of calls per path.
    pub calls: Moments,
    /// Size of each call, dollars.
    pub call_size: QuantileSketch,
    /// Peak VM posted by the trader per path, dollars.
    pub peak_vm: QuantileSketch,
    /// 1 if the trader defaulted on the path.
    pub trader_default: Moments,
    /// Peak liquidity used by the trader per path (VM + IM + settlements), dollars.
    pub liquidity_need: QuantileSketch,
    /// Loss over each margin period of risk window (trader side), dollars.
    pub mpor_loss: QuantileSketch,
    /// MPOR windows whose loss stayed within the IM held.
    pub mpor_covered: Moments,
}

impl MarginAcc {
    fn merge(&mut self, o: &Self) {
        self.any_call.merge(&o.any_call);
        self.calls.merge(&o.calls);
        self.call_size.merge(&o.call_size);
        self.peak_vm.merge(&o.peak_vm);
        self.trader_default.merge(&o.trader_default);
        self.liquidity_need.merge(&o.liquidity_need);
        self.mpor_loss.merge(&o.mpor_loss);
        self.mpor_covered.merge(&o.mpor_covered);
    }
}

impl Accumulator {
    pub fn new(layout: Layout) -> Self {
        let rows = layout.row_days.len();
        let years = layout.year_days.len();
        Self {
            series: layout
                .ranges
                .iter()
                .map(|&r| SeriesRows::new(rows, r))
                .collect(),
            price_year: vec![QuantileSketch::new(); years],
            price_year_m: vec![Moments::default(); years],
            util_year: vec![QuantileSketch::new(); years],
            util_year_m: vec![Moments::default(); years],
            jumps: Moments::default(),
            hedged: LoanAcc::new(rows, years),
            unhedged: LoanAcc::new(rows, years),
            settlement_year: vec![QuantileSketch::new(); years],
            settlement_year_m: vec![Moments::default(); years],
            pv_fixed_per_usd: Moments::default(),
            pv_variable: Moments::default(),
            pv_cross: Default::default(),
            trader_pnl: Moments::default(),
            trader_pnl_sketch: QuantileSketch::new(),
            swap_net_row: vec![Moments::default(); rows],
            hours_sold: Moments::default(),
            capacity_hours: Moments::default(),
            margin: MarginAcc::default(),
            pairs: PairAcc::default(),
            convergence: vec![ConvergenceBucket::default(); CONVERGENCE_BUCKETS],
            importance: None,
            paths: 0,
            layout,
        }
    }

    /// Merge another accumulator of the same layout (exact, order-independent).
    pub fn merge(&mut self, o: &Self) {
        self.paths += o.paths;
        self.series
            .iter_mut()
            .zip(&o.series)
            .for_each(|(a, b)| a.merge(b));
        for (a, b) in self.price_year.iter_mut().zip(&o.price_year) {
            a.merge(b);
        }
        self.price_year_m
            .iter_mut()
            .zip(&o.price_year_m)
            .for_each(|(a, b)| a.merge(b));
        for (a, b) in self.util_year.iter_mut().zip(&o.util_year) {
            a.merge(b);
        }
        self.util_year_m
            .iter_mut()
            .zip(&o.util_year_m)
            .for_each(|(a, b)| a.merge(b));
        self.jumps.merge(&o.jumps);
        self.hedged.merge(&o.hedged);
        self.unhedged.merge(&o.unhedged);
        for (a, b) in self.settlement_year.iter_mut().zip(&o.settlement_year) {
            a.merge(b);
        }
        self.settlement_year_m
            .iter_mut()
            .zip(&o.settlement_year_m)
            .for_each(|(a, b)| a.merge(b));
        self.pv_fixed_per_usd.merge(&o.pv_fixed_per_usd);
        self.pv_variable.merge(&o.pv_variable);
        self.pv_cross.merge(&o.pv_cross);
        self.trader_pnl.merge(&o.trader_pnl);
        self.trader_pnl_sketch.merge(&o.trader_pnl_sketch);
        self.swap_net_row
            .iter_mut()
            .zip(&o.swap_net_row)
            .for_each(|(a, b)| a.merge(b));
        self.hours_sold.merge(&o.hours_sold);
        self.capacity_hours.merge(&o.capacity_hours);
        self.margin.merge(&o.margin);
        self.pairs.merge(&o.pairs);
        if self.convergence.len() < o.convergence.len() {
            self.convergence
                .resize(o.convergence.len(), ConvergenceBucket::default());
        }
        for (a, b) in self.convergence.iter_mut().zip(&o.convergence) {
            a.hedged_default.merge(&b.hedged_default);
            a.unhedged_default.merge(&b.unhedged_default);
            a.trader_pnl.merge(&b.trader_pnl);
        }
        match (&mut self.importance, &o.importance) {
            (Some(a), Some(b)) => a.merge(b),
            (None, Some(b)) => self.importance = Some(b.clone()),
            _ => {}
        }
    }
}
