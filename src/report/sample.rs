//! A realistic, deterministic fake [`RunOutput`] for tests, docs and report previews.
//!
//! Every table the lead produces is present with plausible magnitudes for the base scenario
//! (512 H100s, 5-year loan, weekly swap). Values come from simple closed forms, not from a
//! simulation: do not quote them. Must not: be used by a real run.

use serde_json::json;

use super::RunOutput;
use crate::metrics::Table;

/// Standard-normal quantiles of the reported percentiles P1, P5, P25, P50, P75, P95, P99.
const PERCENTILES: [(&str, f64); 7] = [
    ("p01", -2.326_347_874),
    ("p05", -1.644_853_627),
    ("p25", -0.674_489_750),
    ("p50", 0.0),
    ("p75", 0.674_489_750),
    ("p95", 1.644_853_627),
    ("p99", 2.326_347_874),
];

/// Paths of the fake run.
pub const SAMPLE_PATHS: f64 = 20_000.0;

/// GPU-hours sold per week at full utilization (512 GPUs × 168 h × 97 % availability).
const WEEKLY_CAPACITY_GPU_HOURS: f64 = 512.0 * 168.0 * 0.97;

/// The fake run: summary, manifest, all tables and a short scenario.
pub fn sample_output() -> RunOutput {
    RunOutput {
        summary: sample_summary(),
        manifest: json!({
            "command": "tenancy run scenarios/base.toml --paths 20000 --seed 20260430 --out output/base",
            "created_utc": "2026-11-23T10:00:00Z",
            "threads": 2,
            "version": "0.1.0",
            "wall_time_s": 41.7
        }),
        tables: vec![
            periods(),
            loss_hist(),
            dscr_hist(),
            trader_pnl_hist(),
            margin_call_hist(),
            im_coverage(),
            settlement_by_year(),
            sweep(),
            attribution(),
            convergence(),
        ],
        scenario_toml: SAMPLE_SCENARIO.to_string(),
    }
}

const SAMPLE_SCENARIO: &str = r#"name = "base"
description = "512 H100 GPUs, 5-year loan, weekly tenancy swap at a 65 % strike <sample>"

[simulation]
paths = 20000
seed = 20260430

[market.price]
curve = { kind = "drift", initial_usd_per_gpu_hour = 2.20, annual_drift = -0.15 }
convention = "median"
kappa_per_year = 2.0
sigma_per_sqrt_year = 0.35

[swap]
strike_utilization = 0.65
fixed_price_usd_per_gpu_hour = 1.75
"#;

/// The summary object (serde_json sorts keys).
pub fn sample_summary() -> serde_json::Value {
    json!({
        "run": {"scenario": "base", "seed": 20260430, "paths": 20000, "horizon_days": 1825, "version": "0.1.0"},
        "loan": {
            "principal_usd": 12_544_000.0,
            "hedged": {
                "pd": 0.0915, "pd_se": 0.002_04, "pd_by_year": [0.004, 0.021, 0.048, 0.074, 0.0915],
                "expected_loss": 412_350.0, "expected_loss_se": 15_820.0, "lgd_mean": 0.38,
                "credit_var_99": 6_820_000.0, "credit_var_999": 10_950_000.0, "credit_es_99": 9_310_000.0,
                "dscr_min_p5": 0.82, "dscr_min_p50": 1.31
            },
            "unhedged": {
                "pd": 0.2137, "pd_se": 0.002_90, "pd_by_year": [0.012, 0.061, 0.118, 0.171, 0.2137],
                "expected_loss": 1_187_900.0, "expected_loss_se": 27_400.0, "lgd_mean": 0.44,
                "credit_var_99": 9_640_000.0, "credit_var_999": 13_210_000.0, "credit_es_99": 12_050_000.0,
                "dscr_min_p5": 0.55, "dscr_min_p50": 1.12
            }
        },
        "swap": {
            "par_fixed_price": 1.7481, "par_fixed_price_se": 0.0042, "fixed_price": 1.75,
            "settlement_by_year": [-1_850_000.0, -620_000.0, 410_000.0, 1_290_000.0, 1_980_000.0]
        },
        "trader": {
            "pnl_mean": 512_000.0, "pnl_se": 28_300.0, "pnl_p01": -9_870_000.0,
            "es_975": 8_410_000.0, "es_975_se": 96_000.0, "pd": 0.0123, "liquidity_need_p99": 5_600_000.0
        },
        "margin": {
            "p_any_call": 0.874, "calls_per_path_mean": 23.6, "call_size_p50": 185_000.0,
            "call_size_p99": 1_420_000.0, "peak_vm_p99": 6_900_000.0, "initial_margin": 4_250_000.0,
            "im_coverage": 0.9812
        },
        "operator": {"equity_irr_p10": -0.412, "equity_irr_p50": 0.087, "equity_irr_p90": 0.236},
        "market": {"price_start_usd_per_gpu_hour": 2.2, "price_end_median_usd_per_gpu_hour": 1.039}
    })
}

fn periods() -> Table {
    let days: Vec<f64> = (0..=260).map(|w| f64::from(w) * 7.0).collect();
    let years: Vec<f64> = days.iter().map(|d| d / 365.0).collect();
    let mut t = Table::new("periods").with("day", days.clone());
    // Log-price: median curve 2.20·e^(-0.15 t), OU deviation sd 0.35·√((1 − e^(−4t))/4).
    let price_median: Vec<f64> = years.iter().map(|y| 2.20 * (-0.15 * y).exp()).collect();
    let price_sd: Vec<f64> = years
        .iter()
        .map(|y| 0.35 * ((1.0 - (-4.0 * y).exp()) / 4.0).sqrt())
        .collect();
    let price = |i: usize, z: f64| price_median[i] * (z * price_sd[i]).exp();
    let price_mean = |i: usize| price(i, 0.0) * (0.5 * price_sd[i] * price_sd[i]).exp();
    push_series(&mut t, "price", &years, price, price_mean);
    let op = |i: usize, z: f64| 0.95 * price(i, z);
    push_series(&mut t, "operator_price", &years, op, |i| op(i, 0.0) * 1.015);
    // Utilization: logistic of an OU around a ramp from 30 % to 80 %.
    let logit_mean = |y: f64| {
        let u: f64 = 0.3 + 0.5 * (1.0 - (-y / 0.25).exp());
        (u / (1.0 - u)).ln()
    };
    let util = |i: usize, z: f64| logistic(logit_mean(years[i]) + z * 0.45);
    push_series(&mut t, "utilization", &years, util, |i| util(i, 0.0) - 0.01);
    let revenue = |i: usize, z: f64| WEEKLY_CAPACITY_GPU_HOURS * op(i, z) * util(i, z);
    push_series(&mut t, "revenue_usd", &years, revenue, |i| revenue(i, 0.05));
    let dscr = |i: usize, z: f64| (1.55 - 0.06 * years[i] + z * 0.32).max(0.0);
    push_series(&mut t, "dscr", &years, dscr, |i| dscr(i, -0.03));
    let cash = |i: usize, z: f64| {
        (400_000.0 + 150_000.0 * years[i] + z * 350_000.0 * years[i].sqrt()).max(0.0)
    };
    push_series(&mut t, "cash_usd", &years, cash, |i| cash(i, 0.02));
    let dsra = |i: usize, z: f64| (1_900_000.0 + z.min(0.0) * 250_000.0 * years[i].sqrt()).max(0.0);
    push_series(&mut t, "dsra_usd", &years, dsra, |i| dsra(i, -0.2));
    let collateral =
        |i: usize, z: f64| 17_920_000.0 * 0.65_f64.powf(years[i]) * (z * price_sd[i]).exp();
    push_series(&mut t, "collateral_usd", &years, collateral, |i| {
        collateral(i, 0.1)
    });
    let margin = |i: usize, z: f64| z * 1_600_000.0 * years[i].min(2.0).sqrt();
    push_series(&mut t, "margin_balance_usd", &years, margin, |i| {
        margin(i, 0.0)
    });
    let exposure = |i: usize, z: f64| (z * 1_800_000.0 * years[i].min(2.0).sqrt()).max(0.0);
    push_series(&mut t, "exposure_usd", &years, exposure, |i| {
        exposure(i, 0.4)
    });
    let pd_curve = |final_pd: f64| {
        years
            .iter()
            .map(|y| final_pd * (y / 5.0).powf(1.6))
            .collect::<Vec<f64>>()
    };
    t.push("cum_default_hedged", pd_curve(0.0915));
    t.push("cum_default_unhedged", pd_curve(0.2137));
    let swap_net: Vec<f64> = years
        .iter()
        .map(|y| WEEKLY_CAPACITY_GPU_HOURS * 0.65 * (1.75 - 2.20 * (-0.15 * y).exp() * 1.015))
        .collect();
    t.push("swap_net_mean_usd", swap_net);
    t
}

fn push_series(
    t: &mut Table,
    series: &str,
    years: &[f64],
    quantile: impl Fn(usize, f64) -> f64,
    mean: impl Fn(usize) -> f64,
) {
    t.push(
        format!("{series}_mean"),
        (0..years.len()).map(&mean).collect(),
    );
    for (suffix, z) in PERCENTILES {
        t.push(
            format!("{series}_{suffix}"),
            (0..years.len()).map(|i| quantile(i, z)).collect(),
        );
    }
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn gaussian_counts(centres: &[f64], mean: f64, sd: f64, total: f64) -> Vec<f64> {
    let w: Vec<f64> = centres
        .iter()
        .map(|c| (-0.5 * ((c - mean) / sd).powi(2)).exp())
        .collect();
    let sum: f64 = w.iter().sum();
    w.iter().map(|v| (v / sum * total).round()).collect()
}

fn edges(start: f64, width: f64, n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let lower: Vec<f64> = (0..n).map(|i| start + width * i as f64).collect();
    let upper: Vec<f64> = lower.iter().map(|l| l + width).collect();
    let centre: Vec<f64> = lower.iter().map(|l| l + width / 2.0).collect();
    (lower, upper, centre)
}

fn loss_hist() -> Table {
    let (lower, upper, centre) = edges(0.0, 750_000.0, 20);
    let tail = |defaults: f64, scale: f64| {
        let mut counts: Vec<f64> = centre.iter().skip(1).map(|c| (-c / scale).exp()).collect();
        let sum: f64 = counts.iter().sum();
        counts
            .iter_mut()
            .for_each(|c| *c = (*c / sum * defaults).round());
        let mut all = vec![SAMPLE_PATHS - counts.iter().sum::<f64>()];
        all.extend(counts);
        all
    };
    Table::new("loss_hist")
        .with("lower_usd", lower)
        .with("upper_usd", upper)
        .with("hedged_count", tail(1830.0, 3_000_000.0))
        .with("unhedged_count", tail(4274.0, 4_000_000.0))
}

fn dscr_hist() -> Table {
    let (lower, upper, centre) = edges(0.0, 0.1, 30);
    let hedged = gaussian_counts(&centre, 1.31, 0.3, SAMPLE_PATHS);
    let unhedged = gaussian_counts(&centre, 1.12, 0.42, SAMPLE_PATHS);
    Table::new("dscr_hist")
        .with("lower", lower)
        .with("upper", upper)
        .with("hedged_count", hedged)
        .with("unhedged_count", unhedged)
}

fn trader_pnl_hist() -> Table {
    let (lower, upper, centre) = edges(-14_000_000.0, 1_000_000.0, 24);
    let count = gaussian_counts(&centre, 500_000.0, 3_600_000.0, SAMPLE_PATHS);
    Table::new("trader_pnl_hist")
        .with("lower_usd", lower)
        .with("upper_usd", upper)
        .with("count", count)
}

fn margin_call_hist() -> Table {
    let (lower, upper, centre) = edges(0.0, 100_000.0, 20);
    let count = centre
        .iter()
        .map(|c| (120_000.0 * (-c / 260_000.0).exp()).round())
        .collect();
    Table::new("margin_call_hist")
        .with("lower_usd", lower)
        .with("upper_usd", upper)
        .with("count", count)
}

fn im_coverage() -> Table {
    let im: Vec<f64> = (0..=24).map(|i| f64::from(i) * 400_000.0).collect();
    let coverage = im.iter().map(|m| 1.0 - (-m / 1_070_000.0).exp()).collect();
    Table::new("im_coverage")
        .with("im_usd", im)
        .with("coverage", coverage)
}

fn settlement_by_year() -> Table {
    let mean = vec![
        -1_850_000.0,
        -620_000.0,
        410_000.0,
        1_290_000.0,
        1_980_000.0,
    ];
    let p05 = mean
        .iter()
        .zip(1..)
        .map(|(m, y)| m - 1_100_000.0 - 300_000.0 * f64::from(y))
        .collect();
    let p95 = mean
        .iter()
        .zip(1..)
        .map(|(m, y)| m + 900_000.0 + 250_000.0 * f64::from(y))
        .collect();
    Table::new("settlement_by_year")
        .with("year", vec![1.0, 2.0, 3.0, 4.0, 5.0])
        .with("mean_usd", mean)
        .with("p05_usd", p05)
        .with("p95_usd", p95)
}

fn sweep() -> Table {
    let strikes: Vec<f64> = (0..=10).map(|i| 0.4 + 0.05 * f64::from(i)).collect();
    let hedged: Vec<f64> = strikes
        .iter()
        .map(|k| 0.2137 - 0.2 * (k - 0.4).max(0.0).powf(0.8))
        .collect();
    let se = |pds: &[f64]| {
        pds.iter()
            .map(|p| (p * (1.0 - p) / SAMPLE_PATHS).sqrt())
            .collect::<Vec<f64>>()
    };
    let unhedged = vec![0.2137; strikes.len()];
    Table::new("sweep")
        .with("point", (0..strikes.len()).map(|i| i as f64).collect())
        .with("swap.strike_utilization", strikes.clone())
        .with("loan.hedged.pd", hedged.clone())
        .with("loan.hedged.pd_se", se(&hedged))
        .with("loan.unhedged.pd", unhedged.clone())
        .with("loan.unhedged.pd_se", se(&unhedged))
        .with(
            "swap.par_fixed_price",
            strikes.iter().map(|k| 1.80 - 0.08 * k).collect(),
        )
}

fn attribution() -> Table {
    let layers = vec![0.0, 1.0, 3.0, 8.0, 11.0, 15.0];
    let hedged = vec![0.012, 0.031, 0.018, 0.004, 0.009, 0.015];
    let unhedged = vec![0.019, 0.064, 0.041, 0.007, 0.002, 0.021];
    let se = |v: &[f64]| v.iter().map(|p| 0.0015 + 0.02 * p).collect::<Vec<f64>>();
    Table::new("attribution")
        .with("layer", layers)
        .with("hedged_pd_delta", hedged.clone())
        .with("hedged_pd_delta_se", se(&hedged))
        .with("unhedged_pd_delta", unhedged.clone())
        .with("unhedged_pd_delta_se", se(&unhedged))
        .with(
            "hedged_el_delta_usd",
            hedged.iter().map(|p| p * 4_500_000.0).collect(),
        )
        .with(
            "unhedged_el_delta_usd",
            unhedged.iter().map(|p| p * 5_500_000.0).collect(),
        )
        .with(
            "trader_es_delta_usd",
            vec![
                300_000.0,
                1_900_000.0,
                1_200_000.0,
                150_000.0,
                650_000.0,
                400_000.0,
            ],
        )
        .with(
            "im_delta_usd",
            vec![
                120_000.0, 800_000.0, 540_000.0, 60_000.0, 310_000.0, 90_000.0,
            ],
        )
}

/// Checkpoints 64, 128, …, 16,384 and the total: running estimates wander around the final
/// (summary) values by a fixed share of their standard error, which shrinks like 1/√n.
fn convergence() -> Table {
    let mut paths: Vec<f64> = (6..=14).map(|k| f64::from(k).exp2()).collect();
    paths.push(SAMPLE_PATHS);
    // Deviation from the final value in standard errors; the last checkpoint is the final value.
    let wiggle = [1.1, -0.9, 0.7, -1.2, 0.5, -0.6, 0.4, -0.3, 0.2, 0.0];
    let pd = |p_final: f64, sign: f64| -> (Vec<f64>, Vec<f64>) {
        paths
            .iter()
            .zip(wiggle)
            .map(|(&n, w)| {
                let p = (p_final + sign * w * (p_final * (1.0 - p_final) / n).sqrt())
                    .clamp(1.0 / n, 1.0);
                (p, (p * (1.0 - p) / n).sqrt())
            })
            .unzip()
    };
    let (hedged, hedged_se) = pd(0.0915, 1.0);
    let (unhedged, unhedged_se) = pd(0.2137, -1.0);
    // Per-path trader P&L standard deviation implied by the summary's SE on 20,000 paths.
    let pnl_sd = 28_300.0 * SAMPLE_PATHS.sqrt();
    let pnl_se: Vec<f64> = paths.iter().map(|n| pnl_sd / n.sqrt()).collect();
    let pnl_mean = pnl_se
        .iter()
        .zip(wiggle)
        .map(|(se, w)| 512_000.0 - w * se)
        .collect();
    Table::new("convergence")
        .with("paths", paths)
        .with("hedged_pd", hedged)
        .with("hedged_pd_se", hedged_se)
        .with("unhedged_pd", unhedged)
        .with("unhedged_pd_se", unhedged_se)
        .with("trader_pnl_mean_usd", pnl_mean)
        .with("trader_pnl_se_usd", pnl_se)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_tables_satisfy_the_contract() {
        let out = sample_output();
        crate::report::tables::validate_all(&out.tables).unwrap();
        let periods = out.table("periods").unwrap();
        // day + 10 series × 8 columns + 3 extra columns.
        assert_eq!(periods.columns.len(), 1 + 10 * 8 + 3);
        // Quantiles are ordered within every series and row.
        for s in [
            "price",
            "utilization",
            "dscr",
            "cash_usd",
            "margin_balance_usd",
        ] {
            let cols: Vec<&[f64]> = ["p01", "p05", "p25", "p50", "p75", "p95", "p99"]
                .iter()
                .map(|q| periods.column(&format!("{s}_{q}")).unwrap())
                .collect();
            for row in 0..periods.rows() {
                assert!(
                    cols.windows(2).all(|w| w[0][row] <= w[1][row]),
                    "{s} row {row}"
                );
            }
        }
        let loss = out.table("loss_hist").unwrap();
        let total: f64 = loss.column("hedged_count").unwrap().iter().sum();
        assert_eq!(total, SAMPLE_PATHS);
    }
}
