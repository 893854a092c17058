//! `tenancy margin`: initial-margin sizing for the swap (SPEC §10, seed 002 "Credit and
//! Collateral"). For each IM method — the named stress, VaR of the margin-period-of-risk loss at
//! 99 % and 99.5 %, the scenario's own method, and no IM as the reference — the IM in dollars and,
//! from a full run at that IM on common random numbers, its coverage of the simulated MPOR
//! losses, the trader's PD and the hedged loan's PD.
//! Must not: contain margin mechanics (that is `csa/`) or simulate outside the engine.

use crate::app::{load_scenario, manifest, settings_from, sim_overrides, simulate_with, Simulated};
use crate::cli::args::MarginArgs;
use crate::cli::progress::Progress;
use crate::cli::CliError;
use crate::csa::im::{stress_im, var_im_usd};
use crate::engine::run::{mpor_loss_pilot, resolve_fixed_price, VAR_PILOT_PATHS};
use crate::engine::RunContext;
use crate::metrics::summary::num;
use crate::metrics::Table;
use crate::report::{self, RunOutput, WriteOptions};
use crate::scenario::StressSpec;
use anyhow::anyhow;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Instant;

/// Parse `price=-0.5,utilization=0.2,days=30` (every key required once).
pub fn parse_stress(spec: &str) -> Result<StressSpec, CliError> {
    let bad = |why: &str| {
        CliError::input(anyhow!(
            "--stress {spec}: {why} (expected price=-0.5,utilization=0.2,days=30)"
        ))
    };
    let (mut price, mut util, mut days) = (None, None, None);
    for part in spec.split(',') {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| bad(&format!("`{part}` is not KEY=VALUE")))?;
        let x: f64 = v
            .trim()
            .parse()
            .map_err(|_| bad(&format!("{} is not a number", v.trim())))?;
        match k.trim() {
            "price" => price = Some(x),
            "utilization" => util = Some(x),
            "days" => days = Some(x),
            other => return Err(bad(&format!("unknown key `{other}`"))),
        }
    }
    let price = price.ok_or_else(|| bad("missing price"))?;
    let util = util.ok_or_else(|| bad("missing utilization"))?;
    let days = days.ok_or_else(|| bad("missing days"))?;
    if !(price > -1.0 && price.is_finite()) {
        return Err(bad("price must be a relative change above -1"));
    }
    if !(0.0..=1.0).contains(&util) {
        return Err(bad("utilization must be in [0, 1]"));
    }
    if !(days >= 1.0 && days.fract() == 0.0 && days <= 3650.0) {
        return Err(bad("days must be a whole number from 1 to 3650"));
    }
    Ok(StressSpec {
        price_change: price,
        utilization: util,
        days: days as u32,
    })
}

fn pct(x: f64) -> String {
    format!("{:.2} %", 100.0 * x)
}

/// `tenancy margin`.
pub fn margin_command(a: &MarginArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let spec = parse_stress(&a.stress)?;
    let overrides = sim_overrides(&a.sim)?;
    let loaded = load_scenario(a.scenario.as_deref(), &overrides)?;
    let s = &loaded.scenario;
    let settings = settings_from(&a.sim, s)?;
    if let Some(o) = &a.out {
        crate::app::check_out_dir(o)?;
    }
    let progress = Progress::new(a.sim.quiet);
    let fixed = resolve_fixed_price(s, &settings, &progress).map_err(CliError::run)?;
    let ctx = RunContext::new(s, settings.seed, fixed.0, vec![true; s.shocks.len()])
        .map_err(CliError::run)?;
    let Some(setup) = &ctx.margin else {
        return Err(CliError::input(anyhow!(
            "margin sizing needs a tenancy swap (swap.variant = \"tenancy_swap\")"
        )));
    };
    let stress = stress_im(&setup.mtm, &spec).map_err(CliError::run)?;
    let mut pilot = mpor_loss_pilot(&ctx).map_err(CliError::run)?;
    pilot.sort_by(f64::total_cmp);
    let var = |q: f64| var_im_usd(&pilot, q).map_err(CliError::run);
    let mut methods: Vec<(String, f64)> = vec![
        (
            format!(
                "stress: price {:+.0} %, utilization {:.0} % for {} days",
                100.0 * spec.price_change,
                100.0 * spec.utilization,
                spec.days
            ),
            stress.im_usd,
        ),
        ("var 99 % of MPOR loss".into(), var(0.99)?),
        ("var 99.5 % of MPOR loss".into(), var(0.995)?),
        (format!("scenario ({})", scenario_method(s)), setup.im_usd),
        ("no initial margin".into(), 0.0),
    ];
    methods.dedup_by(|x, y| x.0 == y.0);
    let mut rows = Vec::new();
    let mut cols: [Vec<f64>; 7] = Default::default();
    for (i, (name, im)) in methods.iter().enumerate() {
        let sim: Simulated = simulate_with(
            s,
            &settings,
            vec![true; s.shocks.len()],
            Some(*im),
            fixed,
            &progress,
        )
        .map_err(CliError::run)?;
        let m = &sim.acc.margin;
        let cov = m.mpor_covered.mean();
        let tpd = m.trader_default.mean();
        let hpd = sim.acc.hedged.default.mean();
        let n = sim.acc.paths.max(1) as f64;
        let se = |p: f64| (p * (1.0 - p) / n).sqrt();
        rows.push(json!({
            "method": name,
            "initial_margin_usd": num(*im),
            "im_coverage": num(cov),
            "im_coverage_se": num((cov * (1.0 - cov) / m.mpor_covered.n.max(1) as f64).sqrt()),
            "trader_pd": num(tpd),
            "trader_pd_se": num(se(tpd)),
            "hedged_pd": num(hpd),
            "hedged_pd_se": num(se(hpd)),
            "liquidity_need_p99_usd": num(m.liquidity_need.quantile(0.99)),
        }));
        for (c, v) in cols
            .iter_mut()
            .zip([i as f64, *im, cov, tpd, se(tpd), hpd, se(hpd)])
        {
            c.push(v);
        }
        println!(
            "{name:<52} IM ${:>12.0}  coverage {:>8}  trader PD {:>8}  hedged PD {:>8}",
            im,
            pct(cov),
            pct(tpd),
            pct(hpd)
        );
    }
    let names = [
        "method_index",
        "initial_margin_usd",
        "im_coverage",
        "trader_pd",
        "trader_pd_se",
        "hedged_pd",
        "hedged_pd_se",
    ];
    let mut t = Table::new("margin_sizing");
    for (n, c) in names.iter().zip(cols) {
        t.push(*n, c);
    }
    let summary = json!({
        "run": {
            "scenario": s.name,
            "seed": settings.seed,
            "paths": settings.paths,
            "horizon_days": crate::engine::run::horizon_days(s),
            "version": env!("CARGO_PKG_VERSION"),
            "kind": "margin_sizing",
        },
        "margin_sizing": {
            "stress": {
                "price_change": num(spec.price_change),
                "utilization": num(spec.utilization),
                "days": spec.days,
                "mtm_before_usd": num(stress.mtm_before_usd),
                "settlements_usd": num(stress.settlements_usd),
                "mtm_after_usd": num(stress.mtm_after_usd),
                "loss_usd": num(stress.loss_usd),
            },
            "var_pilot_paths": VAR_PILOT_PATHS,
            "var_pilot_windows": pilot.len(),
            "fixed_price": num(fixed.0),
            "methods": Value::Array(rows),
        }
    });
    let out = RunOutput {
        summary,
        manifest: manifest(settings.threads, started, vec![]),
        tables: vec![t],
        scenario_toml: loaded.source_toml.clone(),
    };
    let dir = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(format!("{}-margin", s.name)));
    report::write_run(
        &dir,
        &out,
        &WriteOptions {
            csv: true,
            charts: false,
            html: false,
        },
    )
    .map_err(CliError::run)?;
    println!("margin sizing written to {}", dir.display());
    Ok(())
}

fn scenario_method(s: &crate::scenario::Scenario) -> String {
    match &s.csa.initial_margin {
        crate::scenario::InitialMargin::Fixed { usd } => format!("fixed ${usd:.0}"),
        crate::scenario::InitialMargin::Stress(st) => format!(
            "stress {:+.0} % / {:.0} % / {} d",
            100.0 * st.price_change,
            100.0 * st.utilization,
            st.days
        ),
        crate::scenario::InitialMargin::Var { quantile } => {
            format!("var {:.1} %", 100.0 * quantile)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stress_specs_parse_and_bad_ones_are_rejected() {
        let s = parse_stress("price=-0.5,utilization=0.2,days=30").unwrap();
        assert_eq!((s.price_change, s.utilization, s.days), (-0.5, 0.2, 30));
        for bad in [
            "price=-0.5,utilization=0.2",
            "price=-1.5,utilization=0.2,days=30",
            "price=-0.5,utilization=1.2,days=30",
            "price=-0.5,utilization=0.2,days=2.5",
            "price=x,utilization=0.2,days=30",
            "price=-0.5,util=0.2,days=30",
        ] {
            assert!(parse_stress(bad).is_err(), "{bad}");
        }
    }
}
