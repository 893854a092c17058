//! From a merged [`Accumulator`] to `summary.json` and the result tables.
//!
//! Every estimate comes with its Monte Carlo standard error (`_se`): means from the sample
//! variance, probabilities from p(1−p)/n, quantiles from the sparsity estimate, expected
//! shortfall from the tail variance, the par fixed price from the delta method of a ratio.
//! Objects are `serde_json::Map` (sorted keys), so the file is byte-stable.
//! Must not: do I/O, or emit a NaN (every number passes [`num`]).

use super::accum::{Accumulator, LoanAcc, N_SERIES, SERIES_NAMES};
use super::exact::Moments;
use super::sketch::{QuantileSketch, SKETCH_ALPHA};
use super::table::Table;
use serde_json::{json, Map, Value};

/// Quantile levels of the `periods` table and the market summary.
pub const QUANTILES: [(f64, &str); 7] = [
    (0.01, "p01"),
    (0.05, "p05"),
    (0.25, "p25"),
    (0.50, "p50"),
    (0.75, "p75"),
    (0.95, "p95"),
    (0.99, "p99"),
];

/// A finite JSON number (non-finite values become 0 and are reported by the engine before this).
pub fn num(x: f64) -> Value {
    if x.is_finite() {
        // Round-trip-stable: serde_json prints the shortest repr that parses back exactly.
        json!(x)
    } else {
        json!(0.0)
    }
}

/// Identity of the run, echoed into `summary.run`.
#[derive(Debug, Clone)]
pub struct RunIdentity {
    pub scenario: String,
    pub seed: u64,
    pub paths: u64,
    pub horizon_days: u32,
    pub convention: &'static str,
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k.to_string(), v);
    }
    Value::Object(m)
}

fn dist_stats(m: &Moments, s: &QuantileSketch) -> Vec<(&'static str, Value)> {
    let mut v = vec![("mean", num(m.mean())), ("mean_se", num(m.se()))];
    for (q, name) in QUANTILES {
        v.push((name, num(s.quantile(q))));
    }
    v
}

fn prob(m: &Moments) -> (f64, f64) {
    let n = m.n.max(1) as f64;
    let p = m.mean();
    (p, (p * (1.0 - p) / n).sqrt())
}

fn loan_summary(l: &LoanAcc, paths: u64, principal: f64) -> Value {
    let (pd, pd_se) = prob(&l.default);
    let mut cum = 0u64;
    let pd_by_year: Vec<Value> = l
        .defaults_by_year
        .iter()
        .map(|d| {
            cum += d;
            num(cum as f64 / paths.max(1) as f64)
        })
        .collect();
    let causes = obj(vec![
        ("payment", json!(l.defaults_by_cause[0])),
        ("dscr_covenant", json!(l.defaults_by_cause[1])),
        ("utilization_covenant", json!(l.defaults_by_cause[2])),
    ]);
    obj(vec![
        ("pd", num(pd)),
        ("pd_se", num(pd_se)),
        ("pd_by_year", Value::Array(pd_by_year)),
        ("defaults_by_cause", causes),
        ("expected_loss", num(l.loss.mean())),
        ("expected_loss_se", num(l.loss.se())),
        (
            "expected_loss_pct_principal",
            num(if principal > 0.0 {
                l.loss.mean() / principal
            } else {
                0.0
            }),
        ),
        ("lgd_mean", num(l.lgd.mean())),
        ("lgd_mean_se", num(l.lgd.se())),
        ("credit_var_99", num(l.loss_sketch.quantile(0.99))),
        ("credit_var_99_se", num(l.loss_sketch.quantile_se(0.99))),
        ("credit_var_999", num(l.loss_sketch.quantile(0.999))),
        ("credit_var_999_se", num(l.loss_sketch.quantile_se(0.999))),
        ("credit_es_99", num(l.loss_sketch.tail_mean_above(0.99))),
        ("dscr_min_p5", num(l.dscr_min.quantile(0.05))),
        ("dscr_min_p5_se", num(l.dscr_min.quantile_se(0.05))),
        ("dscr_min_p50", num(l.dscr_min.quantile(0.5))),
        ("dscr_min_p50_se", num(l.dscr_min.quantile_se(0.5))),
        ("cash_trap_days_mean", num(l.cash_trap_days.mean())),
    ])
}

/// Par fixed price E[V]/E[F₁] with its delta-method standard error.
pub fn par_price(acc: &Accumulator) -> (f64, f64) {
    let f = &acc.pv_fixed_per_usd;
    let v = &acc.pv_variable;
    let n = f.n as f64;
    if n < 2.0 || f.mean() <= 0.0 {
        return (0.0, 0.0);
    }
    let r = v.mean() / f.mean();
    let cov = (acc.pv_cross.value() - n * f.mean() * v.mean()) / (n - 1.0);
    let var = (v.variance() - 2.0 * r * cov + r * r * f.variance()).max(0.0);
    (r, (var / n).sqrt() / f.mean())
}

/// Build `summary.json` from the accumulator. `extra` objects (e.g. `swap` details known to the
/// engine, `attribution`) are merged in at the top level.
pub fn summary(
    acc: &Accumulator,
    id: &RunIdentity,
    principal_usd: f64,
    fixed_price: f64,
    extra: Vec<(&str, Value)>,
) -> Value {
    let years = acc.layout.year_days.len();
    let by_year = |m: &[Moments], s: &[QuantileSketch]| -> Value {
        Value::Array(
            (0..years)
                .map(|y| {
                    let mut v = vec![
                        ("year", json!(y + 1)),
                        ("day", json!(acc.layout.year_days[y])),
                    ];
                    v.extend(dist_stats(&m[y], &s[y]));
                    obj(v)
                })
                .collect(),
        )
    };
    let last = years - 1;
    let price = obj(vec![
        (
            "horizon",
            obj(dist_stats(&acc.price_year_m[last], &acc.price_year[last])),
        ),
        ("by_year", by_year(&acc.price_year_m, &acc.price_year)),
    ]);
    let util = obj(vec![
        (
            "horizon",
            obj(dist_stats(&acc.util_year_m[last], &acc.util_year[last])),
        ),
        ("by_year", by_year(&acc.util_year_m, &acc.util_year)),
    ]);
    let jumps = obj(vec![
        ("mean_per_path", num(acc.jumps.mean())),
        ("mean_per_path_se", num(acc.jumps.se())),
        ("variance_per_path", num(acc.jumps.variance())),
    ]);
    let (par, par_se) = par_price(acc);
    let settlement: Vec<Value> = (0..years)
        .map(|y| {
            obj(vec![
                ("year", json!(y + 1)),
                ("mean_usd", num(acc.settlement_year_m[y].mean())),
                ("mean_se_usd", num(acc.settlement_year_m[y].se())),
                ("p05_usd", num(acc.settlement_year[y].quantile(0.05))),
                ("p95_usd", num(acc.settlement_year[y].quantile(0.95))),
            ])
        })
        .collect();
    let loss = acc.trader_pnl_sketch.negated();
    let (tpd, tpd_se) = prob(&acc.margin.trader_default);
    let trader = obj(vec![
        ("pnl_mean", num(acc.trader_pnl.mean())),
        ("pnl_se", num(acc.trader_pnl.se())),
        ("pnl_p01", num(acc.trader_pnl_sketch.quantile(0.01))),
        ("pnl_p01_se", num(acc.trader_pnl_sketch.quantile_se(0.01))),
        ("es_975", num(loss.tail_mean_above(0.975))),
        ("es_975_se", num(loss.es_se_above(0.975))),
        ("pd", num(tpd)),
        ("pd_se", num(tpd_se)),
        (
            "liquidity_need_p99",
            num(acc.margin.liquidity_need.quantile(0.99)),
        ),
    ]);
    let irr = &acc.hedged.equity_irr;
    let operator = obj(vec![
        ("equity_irr_p10", num(irr.quantile(0.10))),
        ("equity_irr_p50", num(irr.quantile(0.50))),
        ("equity_irr_p90", num(irr.quantile(0.90))),
        ("equity_irr_p50_se", num(irr.quantile_se(0.50))),
        (
            "unhedged_equity_irr_p10",
            num(acc.unhedged.equity_irr.quantile(0.10)),
        ),
        (
            "unhedged_equity_irr_p50",
            num(acc.unhedged.equity_irr.quantile(0.50)),
        ),
        (
            "unhedged_equity_irr_p90",
            num(acc.unhedged.equity_irr.quantile(0.90)),
        ),
    ]);
    let mut top = vec![
        (
            "run",
            obj(vec![
                ("scenario", json!(id.scenario)),
                ("seed", json!(id.seed)),
                ("paths", json!(id.paths)),
                ("horizon_days", json!(id.horizon_days)),
                ("version", json!(env!("CARGO_PKG_VERSION"))),
                ("price_curve_convention", json!(id.convention)),
                ("quantile_relative_accuracy", num(SKETCH_ALPHA)),
            ]),
        ),
        (
            "market",
            obj(vec![
                ("price", price),
                ("utilization", util),
                ("jumps", jumps),
            ]),
        ),
        (
            "loan",
            obj(vec![
                ("principal_usd", num(principal_usd)),
                (
                    "hedged",
                    loan_summary(&acc.hedged, acc.paths, principal_usd),
                ),
                (
                    "unhedged",
                    loan_summary(&acc.unhedged, acc.paths, principal_usd),
                ),
            ]),
        ),
        (
            "swap",
            obj(vec![
                ("par_fixed_price", num(par)),
                ("par_fixed_price_se", num(par_se)),
                ("fixed_price", num(fixed_price)),
                ("settlement_by_year", Value::Array(settlement)),
            ]),
        ),
        ("trader", trader),
        ("operator", operator),
    ];
    if acc.pairs.hedged_default.n > 0 {
        // Antithetic sampling: the pairs are the independent draws.
        let p = &acc.pairs;
        let set =
            |top: &mut Vec<(&str, Value)>, section: &str, sub: Option<&str>, key: &str, v: f64| {
                for (k, obj) in top.iter_mut() {
                    if *k != section {
                        continue;
                    }
                    let target = match sub {
                        Some(sub) => obj.get_mut(sub),
                        None => Some(obj),
                    };
                    if let Some(Value::Object(m)) = target {
                        m.insert(key.to_string(), num(v));
                    }
                }
            };
        set(
            &mut top,
            "loan",
            Some("hedged"),
            "pd_se",
            p.hedged_default.se(),
        );
        set(
            &mut top,
            "loan",
            Some("unhedged"),
            "pd_se",
            p.unhedged_default.se(),
        );
        set(
            &mut top,
            "loan",
            Some("hedged"),
            "expected_loss_se",
            p.hedged_loss.se(),
        );
        set(
            &mut top,
            "loan",
            Some("unhedged"),
            "expected_loss_se",
            p.unhedged_loss.se(),
        );
        set(&mut top, "trader", None, "pnl_se", p.trader_pnl.se());
        if let Some((_, Value::Object(run))) = top.iter_mut().find(|(k, _)| *k == "run") {
            run.insert("antithetic".into(), json!(true));
            run.insert("antithetic_pairs".into(), json!(p.hedged_default.n));
        }
    }
    top.extend(extra);
    // Merge duplicate top-level keys (extra objects extend the built-in ones).
    let mut m = Map::new();
    for (k, v) in top {
        match (m.get_mut(k), v) {
            (Some(Value::Object(a)), Value::Object(b)) => a.extend(b),
            (_, v) => {
                m.insert(k.to_string(), v);
            }
        }
    }
    Value::Object(m)
}

/// The `periods` table: one row per report day with mean and quantiles of every series, the
/// cumulative default probability hedged and unhedged, and the mean swap settlement.
pub fn periods_table(acc: &Accumulator) -> Table {
    let rows = acc.layout.row_days.len();
    let mut t = Table::new("periods").with(
        "day",
        acc.layout.row_days.iter().map(|&d| d as f64).collect(),
    );
    for (i, name) in SERIES_NAMES.iter().enumerate().take(N_SERIES) {
        let s = &acc.series[i];
        t.push(
            format!("{name}_mean"),
            s.moments.iter().map(|m| m.mean()).collect(),
        );
        for (q, qn) in QUANTILES {
            t.push(
                format!("{name}_{qn}"),
                s.hist.iter().map(|h| h.quantile(q)).collect(),
            );
        }
        // Paths with a value on the row (a DSCR exists only from the first payment, the margin
        // balance only while the CSA runs): rows with 0 carry no information.
        t.push(
            format!("{name}_paths"),
            s.moments.iter().map(|m| m.n as f64).collect(),
        );
    }
    let n = acc.paths.max(1) as f64;
    for (name, l) in [
        ("cum_default_hedged", &acc.hedged),
        ("cum_default_unhedged", &acc.unhedged),
    ] {
        let mut cum = 0u64;
        t.push(
            name,
            (0..rows)
                .map(|r| {
                    cum += l.defaults_by_row[r];
                    cum as f64 / n
                })
                .collect(),
        );
    }
    t.push(
        "swap_net_mean_usd",
        acc.swap_net_row.iter().map(|m| m.mean()).collect(),
    );
    t
}

fn hist_table(
    name: &str,
    lo_name: &str,
    hi_name: &str,
    parts: &[(&str, &QuantileSketch)],
    bins: usize,
) -> Table {
    // Common bin edges across the parts.
    let lo = parts
        .iter()
        .map(|(_, s)| s.min())
        .fold(f64::INFINITY, f64::min);
    let hi = parts
        .iter()
        .map(|(_, s)| s.max())
        .fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let width = if hi > lo {
        (hi - lo) / bins as f64
    } else {
        1.0
    };
    let mut t = Table::new(name)
        .with(lo_name, (0..bins).map(|i| lo + i as f64 * width).collect())
        .with(
            hi_name,
            (0..bins).map(|i| lo + (i + 1) as f64 * width).collect(),
        );
    for (col, s) in parts {
        let mut counts = vec![0.0; bins];
        for (v, c) in s.buckets() {
            let i = (((v.clamp(lo, hi) - lo) / width) as usize).min(bins - 1);
            counts[i] += c as f64;
        }
        t.push(*col, counts);
    }
    t
}

/// The `convergence` table: running estimates over the first 64, 128, 256, … paths (doubling,
/// in path order) and over all paths, each with its standard error.
pub fn convergence_table(acc: &Accumulator) -> Table {
    let mut cols: [Vec<f64>; 7] = Default::default();
    let mut cum = crate::metrics::accum::ConvergenceBucket::default();
    let total = acc.paths;
    let push = |c: &crate::metrics::accum::ConvergenceBucket, cols: &mut [Vec<f64>; 7]| {
        let n = c.hedged_default.n.max(1) as f64;
        let (h, u) = (c.hedged_default.mean(), c.unhedged_default.mean());
        for (col, v) in cols.iter_mut().zip([
            c.hedged_default.n as f64,
            h,
            (h * (1.0 - h) / n).sqrt(),
            u,
            (u * (1.0 - u) / n).sqrt(),
            c.trader_pnl.mean(),
            c.trader_pnl.se(),
        ]) {
            col.push(v);
        }
    };
    for b in &acc.convergence {
        cum.hedged_default.merge(&b.hedged_default);
        cum.unhedged_default.merge(&b.unhedged_default);
        cum.trader_pnl.merge(&b.trader_pnl);
        let n = cum.hedged_default.n;
        // A checkpoint only when it is a full doubling block (the first n paths) short of the total.
        if n >= 64 && n < total && n.is_power_of_two() {
            push(&cum, &mut cols);
        }
    }
    push(&cum, &mut cols);
    let names = [
        "paths",
        "hedged_pd",
        "hedged_pd_se",
        "unhedged_pd",
        "unhedged_pd_se",
        "trader_pnl_mean_usd",
        "trader_pnl_se_usd",
    ];
    let mut t = Table::new("convergence");
    for (n, c) in names.iter().zip(cols) {
        t.push(*n, c);
    }
    t
}

/// All tables of a run (the distribution tables only when they have data).
pub fn tables(acc: &Accumulator) -> Vec<Table> {
    let mut out = vec![periods_table(acc), convergence_table(acc)];
    let years = acc.layout.year_days.len();
    out.push(
        Table::new("settlement_by_year")
            .with("year", (1..=years).map(|y| y as f64).collect())
            .with(
                "mean_usd",
                acc.settlement_year_m.iter().map(|m| m.mean()).collect(),
            )
            .with(
                "p05_usd",
                acc.settlement_year
                    .iter()
                    .map(|s| s.quantile(0.05))
                    .collect(),
            )
            .with(
                "p95_usd",
                acc.settlement_year
                    .iter()
                    .map(|s| s.quantile(0.95))
                    .collect(),
            ),
    );
    if acc.hedged.loss_sketch.count() > 0 {
        out.push(hist_table(
            "loss_hist",
            "lower_usd",
            "upper_usd",
            &[
                ("hedged_count", &acc.hedged.loss_sketch),
                ("unhedged_count", &acc.unhedged.loss_sketch),
            ],
            60,
        ));
    }
    if acc.hedged.dscr_min.count() > 0 {
        out.push(hist_table(
            "dscr_hist",
            "lower",
            "upper",
            &[
                ("hedged_count", &acc.hedged.dscr_min),
                ("unhedged_count", &acc.unhedged.dscr_min),
            ],
            60,
        ));
    }
    if acc.trader_pnl_sketch.count() > 0 {
        out.push(hist_table(
            "trader_pnl_hist",
            "lower_usd",
            "upper_usd",
            &[("count", &acc.trader_pnl_sketch)],
            60,
        ));
    }
    if acc.margin.mpor_loss.count() > 0 {
        // Coverage curve: an IM equal to the q-quantile of the MPOR loss covers a share q of the
        // windows (within the sketch's 0.5 % relative accuracy on the IM axis).
        let levels: Vec<f64> = (0..=98)
            .map(|i| 0.5 + 0.005 * i as f64)
            .chain([0.995, 0.998, 0.999])
            .collect();
        out.push(
            Table::new("im_coverage")
                .with(
                    "im_usd",
                    levels
                        .iter()
                        .map(|&q| acc.margin.mpor_loss.quantile(q).max(0.0))
                        .collect(),
                )
                .with("coverage", levels),
        );
    }
    if acc.margin.call_size.count() > 0 {
        out.push(hist_table(
            "margin_call_hist",
            "lower_usd",
            "upper_usd",
            &[("count", &acc.margin.call_size)],
            40,
        ));
    }
    out
}
