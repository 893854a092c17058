//! The whole engine on scenarios, through the library API: shocks wired into the market and the
//! contracts, the seed stress against the base case, comparative statics on common random
//! numbers, attribution identities.

mod common;

use std::path::Path;
use tenancy::app::simulate_run;
use tenancy::engine::run::trace_path;
use tenancy::engine::{NoopObserver, RunContext, RunSettings};
use tenancy::metrics::Accumulator;
use tenancy::scenario::{load_embedded_base, load_str, Scenario};

fn settings(paths: u64) -> RunSettings {
    RunSettings {
        paths,
        seed: 2026,
        threads: None,
        path_range: None,
    }
}

fn base_with(sets: &[(&str, &str)]) -> Scenario {
    let o: Vec<(String, String)> = sets
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    load_embedded_base(&o).expect("base loads").scenario
}

fn with_shocks(shocks_toml: &str) -> Scenario {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let src = format!("extends = \"base.toml\"\n{shocks_toml}");
    load_str(&src, "test.toml", Some(&dir), &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario
}

fn acc(s: &Scenario, paths: u64, enabled: Option<Vec<bool>>) -> Accumulator {
    let enabled = enabled.unwrap_or_else(|| vec![true; s.shocks.len()]);
    simulate_run(s, &settings(paths), enabled, &NoopObserver)
        .expect("run")
        .acc
}

#[test]
fn a_grid_delay_of_d_days_moves_the_first_revenue_day_while_interest_accrues() {
    let d = 75u32;
    let s = with_shocks(&format!(
        "[[shocks]]\npreset = \"grid_delay\"\narrival = {{ kind = \"fixed_day\", day = 0 }}\nmagnitude = {d}\n"
    ));
    let plain = base_with(&[]);
    for (sc, delay) in [(&plain, 0u32), (&s, d)] {
        let ctx = RunContext::new(sc, 1, 1.9, vec![true; sc.shocks.len()]).unwrap();
        let (days, end) = trace_path(&ctx, 3).unwrap();
        assert_eq!(end.commissioning_delay_days, delay);
        let first = days
            .iter()
            .position(|x| x.record.revenue_usd > 0.0)
            .unwrap() as u32;
        assert_eq!(first, sc.cluster.commissioning_day + delay);
        // The first payment (end of day 29) falls inside the delay: interest is due regardless.
        let pay = &days[29].record;
        assert!(pay.is_payment_day);
        assert!(pay.hedged.debt_service_due_usd > 0.0);
        if delay > 0 {
            // No revenue came in, so the DSRA paid it.
            assert!(pay.hedged.dsra_usd < days[0].record.hedged.dsra_usd);
        }
    }
}

#[test]
fn the_seed_stress_raises_both_pds_and_the_trader_loss() {
    let stress = common::library_scenario("stress_price50_util20.toml");
    let base = base_with(&[]);
    let (a, b) = (acc(&base, 3000, None), acc(&stress, 3000, None));
    let pd = |x: &Accumulator, h: bool| {
        if h {
            x.hedged.default.mean()
        } else {
            x.unhedged.default.mean()
        }
    };
    assert!(
        pd(&b, false) > pd(&a, false) + 3.0 * b.unhedged.default.se(),
        "unhedged PD {} vs {}",
        pd(&b, false),
        pd(&a, false)
    );
    assert!(
        pd(&b, true) > pd(&a, true),
        "hedged PD {} vs {}",
        pd(&b, true),
        pd(&a, true)
    );
    assert!(
        b.trader_pnl.mean() < a.trader_pnl.mean() - 3.0 * b.trader_pnl.se(),
        "trader P&L {} vs {}",
        b.trader_pnl.mean(),
        a.trader_pnl.mean()
    );
}

#[test]
fn a_shock_with_probability_zero_changes_nothing() {
    let s = with_shocks(
        "[[shocks]]\npreset = \"hbm_shortage\"\narrival = { kind = \"probability\", probability = 0.0, first_day = 0, last_day = 500 }\n",
    );
    assert_eq!(acc(&s, 200, None), acc(&base_with(&[]), 200, None));
}

#[test]
fn switching_every_layer_off_reproduces_the_shock_free_run_exactly() {
    let s = common::library_scenario("power_contango.toml");
    assert!(!s.shocks.is_empty());
    let mut free = s.clone();
    free.shocks.clear();
    let off = acc(&s, 200, Some(vec![false; s.shocks.len()]));
    assert_eq!(off, acc(&free, 200, None));
    assert_ne!(off, acc(&s, 200, None), "the shocks do something");
}

#[test]
fn presets_move_their_targets_in_the_documented_direction() {
    let base = acc(&base_with(&[]), 400, None);
    let price_end = |a: &Accumulator| a.price_year_m.last().unwrap().mean();
    let sure = |preset: &str| {
        with_shocks(&format!(
            "[[shocks]]\npreset = \"{preset}\"\narrival = {{ kind = \"fixed_day\", day = 100 }}\n"
        ))
    };
    // Price shocks (the horizon price moves with a step, ramp or lasting curve shift).
    let new_gen = acc(&sure("new_generation"), 400, None);
    assert!(price_end(&new_gen) < price_end(&base));
    let context = acc(&sure("context_growth"), 400, None);
    assert!(price_end(&context) > price_end(&base));
    // Capacity and commissioning shocks: fewer rentable hours.
    let curtail = acc(&sure("curtailment"), 400, None);
    assert!(curtail.capacity_hours.mean() < base.capacity_hours.mean());
    let delay = acc(&sure("grid_delay"), 400, None);
    assert!(delay.capacity_hours.mean() < base.capacity_hours.mean());
    // A pulse on the price level: the index during the pulse is higher on every path.
    let hbm = sure("hbm_shortage");
    let plain = base_with(&[]);
    let ctx_h = RunContext::new(&hbm, 1, 1.9, vec![true]).unwrap();
    let ctx_p = RunContext::new(&plain, 1, 1.9, vec![]).unwrap();
    for path in 0..20 {
        let (a, _) = trace_path(&ctx_h, path).unwrap();
        let (b, _) = trace_path(&ctx_p, path).unwrap();
        assert!(a[150].factors.index_price > b[150].factors.index_price);
        assert_eq!(a[99].factors.index_price, b[99].factors.index_price);
    }
}

#[test]
fn a_higher_strike_or_fixed_price_does_not_raise_the_hedged_pd() {
    let pd = |sets: &[(&str, &str)]| acc(&base_with(sets), 3000, None);
    let lo = pd(&[("swap.strike_utilization", "0.5")]);
    let hi = pd(&[("swap.strike_utilization", "0.8")]);
    assert!(hi.hedged.default.mean() <= lo.hedged.default.mean());
    let cheap = pd(&[("swap.fixed_price_usd_per_gpu_hour", "1.7")]);
    let dear = pd(&[("swap.fixed_price_usd_per_gpu_hour", "2.1")]);
    assert!(dear.hedged.default.mean() <= cheap.hedged.default.mean());
    assert!(dear.trader_pnl.mean() < cheap.trader_pnl.mean());
    // The unhedged loan does not see the swap at all.
    assert_eq!(lo.unhedged, hi.unhedged);
}

#[test]
fn the_hedged_pd_is_clearly_below_the_unhedged_pd_on_the_base_scenario() {
    let a = acc(&base_with(&[]), 4000, None);
    let (h, u) = (a.hedged.default.mean(), a.unhedged.default.mean());
    let se = (a.hedged.default.se().powi(2) + a.unhedged.default.se().powi(2)).sqrt();
    assert!(u - h > 5.0 * se, "hedged {h} unhedged {u}");
}

#[test]
fn qacu_with_derived_factors_is_hours_sold_times_the_fixed_factors() {
    let s = base_with(&[]);
    let a = acc(&s, 300, None);
    let q = tenancy::app::qacu_summary(&s, &a);
    let f = |k: &str| q[k].as_f64().unwrap();
    let fixed = s.qacu.performance_factor
        * s.qacu.locality_factor
        * s.qacu.policy_factor
        * s.qacu.settlement_factor;
    let expect = a.hours_sold.mean() * fixed;
    assert!((f("qacu_mean") - expect).abs() < 1e-6 * expect);
    assert_eq!(q["utilization_factor_source"], "simulated");
    // Set in the scenario, a factor is used as given.
    let s2 = base_with(&[("qacu.utilization_factor", "0.5")]);
    let q2 = tenancy::app::qacu_summary(&s2, &a);
    assert_eq!(q2["utilization_factor"].as_f64().unwrap(), 0.5);
}

fn margin_run(s: &Scenario, im: Option<f64>) -> tenancy::app::Simulated {
    tenancy::app::simulate_with(
        s,
        &settings(600),
        vec![true; s.shocks.len()],
        im,
        (1.9, 0.0),
        &NoopObserver,
    )
    .expect("run")
}

#[test]
fn more_initial_margin_never_lowers_coverage() {
    let s = base_with(&[]);
    let cov: Vec<f64> = [0.0, 1e5, 3e5, 1e6]
        .iter()
        .map(|&im| margin_run(&s, Some(im)).acc.margin.mpor_covered.mean())
        .collect();
    assert!(cov.windows(2).all(|w| w[1] >= w[0]), "{cov:?}");
    assert!(cov[3] > cov[0]);
}

#[test]
fn stronger_wrong_way_risk_never_lowers_the_trader_pd() {
    let pd = |ww: &str| {
        let s = base_with(&[
            ("trader.wrong_way_sensitivity", ww),
            ("trader.default_intensity_per_year", "0.05"),
        ]);
        margin_run(&s, None).acc.margin.trader_default.mean()
    };
    let (a, b, c) = (pd("0"), pd("2"), pd("6"));
    assert!(a <= b && b <= c, "{a} {b} {c}");
    assert!(c > a);
}

#[test]
fn a_trader_with_unlimited_liquidity_never_defaults_on_a_call() {
    let s = base_with(&[
        ("trader.cash_usd", "1e15"),
        ("trader.default_intensity_per_year", "0"),
    ]);
    let r = margin_run(&s, None);
    assert!(r.acc.margin.calls.mean() > 0.0, "calls happen");
    assert_eq!(r.acc.margin.trader_default.mean(), 0.0);
}

#[test]
fn a_trader_default_with_replacement_hurts_the_spv_no_more_than_termination() {
    // Same paths, the trader defaults often (high intensity): replacing the swap at the then-par
    // price keeps the SPV hedged; terminating leaves it unhedged after the default.
    let common = [
        ("trader.default_intensity_per_year", "0.5"),
        ("trader.wrong_way_sensitivity", "0"),
    ];
    let mk = |action: &str| {
        let mut sets = common.to_vec();
        sets.push(("trader.on_default", action));
        margin_run(&base_with(&sets), None).acc
    };
    let (rep, term) = (mk("replace"), mk("terminate"));
    // Exogenous defaults alone: 1 − exp(−λT) over the swap's T = 1440 days; the CSA stops early
    // only on paths where the hedged SPV defaults first, so the trader PD is at least that
    // minus the hedged PD, within 4 standard errors.
    let years = 1440.0 / 365.0;
    let exogenous = 1.0 - (-0.5f64 * years).exp();
    let tpd = &rep.margin.trader_default;
    assert!(
        tpd.mean() >= exogenous - rep.hedged.default.mean() - 4.0 * tpd.se(),
        "trader PD {} vs exogenous {exogenous}",
        tpd.mean()
    );
    assert_eq!(rep.margin.trader_default, term.margin.trader_default);
    assert!(rep.hedged.default.mean() <= term.hedged.default.mean());
    assert_eq!(rep.unhedged, term.unhedged);
}

#[test]
fn the_paths_table_agrees_with_the_accumulated_results() {
    let s = base_with(&[]);
    let ctx = RunContext::new(&s, 2026, 1.9, vec![]).unwrap();
    let (acc, rows) =
        tenancy::engine::run::simulate_with_paths(&ctx, &settings(300), &NoopObserver).unwrap();
    assert_eq!(rows.len(), 300);
    assert!(rows.iter().enumerate().all(|(i, r)| r.path == i as u64));
    let defaults = rows.iter().filter(|r| r.unhedged_default).count() as u64;
    assert_eq!(defaults, acc.unhedged.default.sum.value().round() as u64);
    let loss: f64 = rows.iter().map(|r| r.hedged_loss_usd).sum();
    assert!((loss / 300.0 - acc.hedged.loss.mean()).abs() < 1e-6 * (1.0 + loss.abs()));
    // The same paths without collecting rows give the same accumulator.
    let plain = tenancy::engine::simulate(&ctx, &settings(300), &NoopObserver).unwrap();
    assert_eq!(plain, acc);
}

#[test]
fn antithetic_estimates_agree_with_plain_monte_carlo_within_their_standard_errors() {
    let stress = common::library_scenario("stress_price50_util20.toml");
    for plain in [base_with(&[]), stress] {
        let mut anti = plain.clone();
        anti.simulation.antithetic = true;
        let (p, a) = (acc(&plain, 3000, None), acc(&anti, 3000, None));
        assert_eq!(a.pairs.hedged_default.n, 1500);
        let close = |x: f64, sx: f64, y: f64, sy: f64, what: &str| {
            let tol = 4.0 * (sx * sx + sy * sy).sqrt();
            assert!((x - y).abs() <= tol, "{what}: {x} vs {y} (tol {tol})");
        };
        close(
            p.unhedged.default.mean(),
            p.unhedged.default.se(),
            a.pairs.unhedged_default.mean(),
            a.pairs.unhedged_default.se(),
            "unhedged PD",
        );
        close(
            p.hedged.default.mean(),
            p.hedged.default.se(),
            a.pairs.hedged_default.mean(),
            a.pairs.hedged_default.se(),
            "hedged PD",
        );
        close(
            p.trader_pnl.mean(),
            p.trader_pnl.se(),
            a.pairs.trader_pnl.mean(),
            a.pairs.trader_pnl.se(),
            "trader P&L",
        );
        // The pair means are the path means.
        assert!(
            (a.pairs.trader_pnl.mean() - a.trader_pnl.mean()).abs()
                < 1e-6 * a.trader_pnl.mean().abs().max(1.0)
        );
        // The trader's P&L is close to linear in the price path: antithetic pairs cut its variance.
        assert!(a.pairs.trader_pnl.se() < p.trader_pnl.se());
    }
}

#[test]
fn convergence_checkpoints_are_the_runs_over_the_first_paths() {
    let s = base_with(&[]);
    let full = acc(&s, 300, None);
    let t = tenancy::metrics::summary::convergence_table(&full);
    assert_eq!(t.column("paths").unwrap(), &[64.0, 128.0, 256.0, 300.0]);
    let last = t.column("unhedged_pd").unwrap()[3];
    assert_eq!(last, full.unhedged.default.mean());
    let first128 = acc(&s, 128, None);
    assert_eq!(
        t.column("unhedged_pd").unwrap()[1],
        first128.unhedged.default.mean()
    );
    assert_eq!(
        t.column("trader_pnl_mean_usd").unwrap()[1],
        first128.trader_pnl.mean()
    );
}
