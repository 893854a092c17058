//! Orchestration of the commands: load the scenario, resolve the run settings, drive the engine,
//! build the summary and tables, hand them to the report writer.
//!
//! One owner for "what a run is": [`simulate_run`] (par price → engine) and [`build_output`]
//! (accumulator → `summary.json`, tables, manifest) are shared by `run`, `merge`, `sweep` and
//! `margin`, so a merged sharded run and a single run build the same bytes.
//! Must not: contain model or finance logic (that is `market`, `shocks`, `contract`, `csa`), or
//! statistics (that is `metrics`).

use crate::cli::args::{OutputArgs, RunArgs, SimArgs, SweepArgs};
use crate::cli::progress::Progress;
use crate::cli::CliError;
use crate::engine::run::{horizon_days, resolve_fixed_price, shard_range};
use crate::engine::{simulate, EngineError, Observer, RunContext, RunSettings};
use crate::metrics::summary::{self, RunIdentity};
use crate::metrics::{Accumulator, Table};
use crate::report::{self, RunOutput, WriteOptions};
use crate::scenario::{self, CurveConvention, FixedPrice, Loaded, Scenario};
use anyhow::{anyhow, Context};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The result of simulating one scenario.
#[derive(Debug)]
pub struct Simulated {
    pub acc: Accumulator,
    /// The fixed price used, $/GPU-hour.
    pub fixed_price_usd_per_gpu_hour: f64,
    /// Par price from the pilot pass (price, standard error) when the scenario asked for par.
    pub par_pilot: Option<(f64, f64)>,
    /// Loan principal, dollars.
    pub principal_usd: f64,
    /// The margin agreement's sizing (None when the swap has no modelled MTM).
    pub margin: Option<MarginInfo>,
}

/// How the initial margin of a run was sized.
#[derive(Debug, Clone)]
pub struct MarginInfo {
    pub im_usd: f64,
    pub method: &'static str,
    pub stress: Option<crate::csa::im::StressIm>,
}

impl Simulated {
    /// The result of running `ctx` into `acc` at the resolved `(fixed price, par SE)`.
    pub fn from_ctx(ctx: &RunContext, acc: Accumulator, (fixed, par_se): (f64, f64)) -> Self {
        Simulated {
            acc,
            fixed_price_usd_per_gpu_hour: fixed,
            par_pilot: matches!(ctx.scenario.swap.fixed_price, FixedPrice::Par)
                .then_some((fixed, par_se)),
            principal_usd: ctx.terms.schedule().principal_usd,
            margin: MarginInfo::of(ctx),
        }
    }
}

impl MarginInfo {
    fn of(ctx: &RunContext) -> Option<Self> {
        ctx.margin.as_ref().map(|m| MarginInfo {
            im_usd: m.im_usd,
            method: match ctx.scenario.csa.initial_margin {
                crate::scenario::InitialMargin::Fixed { .. } => "fixed",
                crate::scenario::InitialMargin::Stress(_) => "stress",
                crate::scenario::InitialMargin::Var { .. } => "var",
            },
            stress: m.stress,
        })
    }
}

/// Parse `KEY=VALUE` overrides.
pub fn parse_sets(sets: &[String]) -> Result<Vec<(String, String)>, CliError> {
    sets.iter()
        .map(|kv| {
            let (k, v) = kv.split_once('=').ok_or_else(|| {
                CliError::input(anyhow!(
                    "--set {kv}: expected KEY=VALUE, e.g. swap.strike_utilization=0.6"
                ))
            })?;
            let k = k.trim();
            if k.is_empty() {
                return Err(CliError::input(anyhow!("--set {kv}: empty key")));
            }
            Ok((k.to_string(), v.trim().to_string()))
        })
        .collect()
}

/// The scenario overrides of the simulation flags: every `--set`, then `--antithetic`.
pub fn sim_overrides(sim: &SimArgs) -> Result<Vec<(String, String)>, CliError> {
    let mut o = parse_sets(&sim.set)?;
    if sim.antithetic {
        o.push(("simulation.antithetic".into(), "true".into()));
    }
    if sim.importance_sampling {
        o.push(("simulation.importance_sampling".into(), "true".into()));
    }
    Ok(o)
}

/// Load a scenario file (or the embedded base scenario) with overrides; every problem is an
/// input error listing all of them.
pub fn load_scenario(
    file: Option<&Path>,
    overrides: &[(String, String)],
) -> Result<Loaded, CliError> {
    let r = match file {
        Some(p) => scenario::load_file(p, overrides),
        None => scenario::load_embedded_base(overrides),
    };
    r.map_err(|e| CliError::input(anyhow!("{e}")))
}

/// Run settings from the flags and the scenario's defaults.
pub fn settings_from(sim: &SimArgs, s: &Scenario) -> Result<RunSettings, CliError> {
    let paths = sim.paths.unwrap_or(s.simulation.paths);
    if paths == 0 {
        return Err(CliError::input(anyhow!("--paths must be at least 1")));
    }
    if sim.threads == Some(0) {
        return Err(CliError::input(anyhow!("--threads must be at least 1")));
    }
    if s.simulation.antithetic && paths % 2 == 1 {
        return Err(CliError::input(anyhow!(
            "antithetic sampling needs an even path count, got {paths}"
        )));
    }
    Ok(RunSettings {
        paths,
        seed: sim.seed.unwrap_or(s.simulation.seed),
        threads: sim.threads,
        path_range: None,
    })
}

/// Resolve the fixed price (par pilot if asked) and run the engine over `settings`.
pub fn simulate_run(
    s: &Scenario,
    settings: &RunSettings,
    shocks_enabled: Vec<bool>,
    obs: &dyn Observer,
) -> Result<Simulated, EngineError> {
    let (fixed, par_se) = resolve_fixed_price(s, settings, obs)?;
    simulate_with(s, settings, shocks_enabled, None, (fixed, par_se), obs)
}

/// Run the engine at a resolved fixed price `(price, par standard error)`, optionally with the
/// initial margin fixed at `im_override_usd`.
pub fn simulate_with(
    s: &Scenario,
    settings: &RunSettings,
    shocks_enabled: Vec<bool>,
    im_override_usd: Option<f64>,
    (fixed, par_se): (f64, f64),
    obs: &dyn Observer,
) -> Result<Simulated, EngineError> {
    let mut ctx =
        RunContext::with_initial_margin(s, settings.seed, fixed, shocks_enabled, im_override_usd)?;
    ctx.resolve_importance(obs)?;
    let acc = simulate(&ctx, settings, obs)?;
    Ok(Simulated::from_ctx(&ctx, acc, (fixed, par_se)))
}

/// The `summary.json` of a simulated scenario (machine-independent), plus `extra` top-level
/// objects (attribution, margin sizing, sweep).
pub fn build_summary(
    s: &Scenario,
    settings: &RunSettings,
    sim: &Simulated,
    extra: Vec<(&str, Value)>,
) -> Value {
    let id = RunIdentity {
        scenario: s.name.clone(),
        seed: settings.seed,
        paths: settings.paths,
        horizon_days: horizon_days(s),
        convention: match s.market.price.convention {
            CurveConvention::Median => "median",
            CurveConvention::ReversionLevel => "reversion_level",
        },
    };
    let mut extra = extra;
    let mut swap = serde_json::Map::new();
    swap.insert(
        "fixed_price_source".into(),
        json!(if sim.par_pilot.is_some() {
            "par"
        } else {
            "contract"
        }),
    );
    if let Some((p, se)) = sim.par_pilot {
        swap.insert("par_pilot_price".into(), summary::num(p));
        swap.insert("par_pilot_price_se".into(), summary::num(se));
        swap.insert(
            "par_pilot_paths".into(),
            json!(settings.paths.min(crate::engine::run::PAR_PILOT_PATHS)),
        );
    }
    extra.push(("swap", Value::Object(swap)));
    extra.push(("qacu", qacu_summary(s, &sim.acc)));
    if let Some(m) = &sim.margin {
        extra.push(("margin", margin_summary(m, &sim.acc)));
    }
    if let Some(imp) = &sim.acc.importance {
        let plain = (
            sim.acc.hedged.default.mean(),
            sim.acc.unhedged.default.mean(),
        );
        extra.push((
            "importance_sampling",
            crate::metrics::importance::importance_summary(imp, plain),
        ));
    }
    summary::summary(
        &sim.acc,
        &id,
        sim.principal_usd,
        sim.fixed_price_usd_per_gpu_hour,
        extra,
    )
}

/// The `margin` object of `summary.json`: calls, VM, the initial margin and its coverage.
pub fn margin_summary(m: &MarginInfo, acc: &Accumulator) -> Value {
    let ma = &acc.margin;
    let (p, p_se) = {
        let n = ma.any_call.n.max(1) as f64;
        let p = ma.any_call.mean();
        (p, (p * (1.0 - p) / n).sqrt())
    };
    let cov = ma.mpor_covered.mean();
    let cov_se = (cov * (1.0 - cov) / ma.mpor_covered.n.max(1) as f64).sqrt();
    let mut v = json!({
        "initial_margin": summary::num(m.im_usd),
        "im_method": m.method,
        "p_any_call": summary::num(p),
        "p_any_call_se": summary::num(p_se),
        "calls_per_path_mean": summary::num(ma.calls.mean()),
        "calls_per_path_se": summary::num(ma.calls.se()),
        "call_size_p50": summary::num(ma.call_size.quantile(0.5)),
        "call_size_p99": summary::num(ma.call_size.quantile(0.99)),
        "call_size_p99_se": summary::num(ma.call_size.quantile_se(0.99)),
        "peak_vm_p99": summary::num(ma.peak_vm.quantile(0.99)),
        "peak_vm_p99_se": summary::num(ma.peak_vm.quantile_se(0.99)),
        "im_coverage": summary::num(cov),
        "im_coverage_se": summary::num(cov_se),
        "mpor_loss_p99": summary::num(ma.mpor_loss.quantile(0.99)),
        "mpor_windows": ma.mpor_covered.n,
    });
    if let (Some(st), Some(o)) = (&m.stress, v.as_object_mut()) {
        o.insert(
            "stress".into(),
            json!({
                "mtm_before_usd": summary::num(st.mtm_before_usd),
                "settlements_usd": summary::num(st.settlements_usd),
                "mtm_after_usd": summary::num(st.mtm_after_usd),
                "loss_usd": summary::num(st.loss_usd),
            }),
        );
    }
    v
}

/// Quality-adjusted compute units (seed 000): QACU = raw GPU-hours × utilization × performance
/// × availability × locality × policy × settlement factors, per path over the horizon.
///
/// Raw GPU-hours are the reference capacity before any adjustment (GPUs × hours per day × days).
/// A factor the scenario leaves out is derived from the simulation: availability = rentable
/// hours / raw hours (uptime, commissioning, curtailment), utilization = hours sold / rentable
/// hours. With both derived, raw × utilization × availability = GPU-hours sold.
pub fn qacu_summary(s: &Scenario, acc: &Accumulator) -> Value {
    let q = &s.qacu;
    let raw = s.cluster.gpus as f64 * s.cluster.hours_per_day * horizon_days(s) as f64;
    let cap = acc.capacity_hours.mean();
    let sold = acc.hours_sold.mean();
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    let availability = q.availability_factor.unwrap_or(ratio(cap, raw));
    let utilization = q.utilization_factor.unwrap_or(ratio(sold, cap));
    let product = utilization
        * q.performance_factor
        * availability
        * q.locality_factor
        * q.policy_factor
        * q.settlement_factor;
    // Derived factors are ratios of path means; the standard error is carried by hours sold.
    let se = if q.utilization_factor.is_none() && q.availability_factor.is_none() && sold > 0.0 {
        acc.hours_sold.se() * product * raw / sold
    } else {
        acc.capacity_hours.se() * product * raw / cap.max(1.0)
    };
    json!({
        "raw_gpu_hours": summary::num(raw),
        "capacity_gpu_hours_mean": summary::num(cap),
        "gpu_hours_sold_mean": summary::num(sold),
        "gpu_hours_sold_se": summary::num(acc.hours_sold.se()),
        "utilization_factor": summary::num(utilization),
        "utilization_factor_source": if q.utilization_factor.is_some() { "scenario" } else { "simulated" },
        "availability_factor": summary::num(availability),
        "availability_factor_source": if q.availability_factor.is_some() { "scenario" } else { "simulated" },
        "performance_factor": summary::num(q.performance_factor),
        "locality_factor": summary::num(q.locality_factor),
        "policy_factor": summary::num(q.policy_factor),
        "settlement_factor": summary::num(q.settlement_factor),
        "qacu_mean": summary::num(raw * product),
        "qacu_se": summary::num(se),
    })
}

/// The machine-dependent facts of a run.
pub fn manifest(threads: Option<usize>, started: Instant, extra: Vec<(&str, Value)>) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("version".into(), json!(env!("CARGO_PKG_VERSION")));
    m.insert(
        "threads".into(),
        json!(threads.unwrap_or_else(rayon::current_num_threads)),
    );
    m.insert(
        "wall_time_s".into(),
        summary::num(started.elapsed().as_secs_f64()),
    );
    let args: Vec<String> = std::env::args().collect();
    m.insert("command".into(), json!(args.join(" ")));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    m.insert("created_unix_s".into(), json!(now));
    for (k, v) in extra {
        m.insert(k.into(), v);
    }
    Value::Object(m)
}

fn write_options(o: &OutputArgs) -> WriteOptions {
    WriteOptions {
        csv: o.csv,
        charts: !o.no_charts,
        html: !o.no_charts,
    }
}

/// Refuse, before any simulation, an output folder the report writer would refuse to replace:
/// an existing file, or a non-empty folder that is not a tenancy run (no `summary.json`).
pub fn check_out_dir(dir: &Path) -> Result<(), CliError> {
    if dir.is_file() {
        return Err(CliError::input(anyhow!(
            "--out {}: is a file, not a folder",
            dir.display()
        )));
    }
    let non_empty = std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some());
    if non_empty && !dir.join("summary.json").is_file() && !dir.join(PARTIAL_FILE).is_file() {
        return Err(CliError::input(anyhow!(
            "--out {}: exists and is not a tenancy run folder (no summary.json); refusing to replace it",
            dir.display()
        )));
    }
    Ok(())
}

fn default_out(s: &Scenario, suffix: &str) -> PathBuf {
    PathBuf::from("output").join(format!("{}{suffix}", s.name))
}

/// A shard's partial result: everything `tenancy merge` needs to rebuild the single-run bytes.
#[derive(Debug, Serialize, Deserialize)]
struct Partial {
    format: u32,
    version: String,
    scenario_name: String,
    scenario_toml: String,
    seed: u64,
    paths: u64,
    shard_index: u64,
    shard_count: u64,
    path_start: u64,
    path_end: u64,
    fixed_price_bits: u64,
    par_pilot_bits: Option<(u64, u64)>,
    acc: Accumulator,
}

const PARTIAL_FILE: &str = "partial.json";
const PARTIAL_FORMAT: u32 = 1;

fn parse_shard(spec: &str) -> Result<(u64, u64), CliError> {
    let bad = || {
        CliError::input(anyhow!(
            "--shard {spec}: expected I/N with 1 <= I <= N, e.g. 2/4"
        ))
    };
    let (i, n) = spec.split_once('/').ok_or_else(bad)?;
    let i: u64 = i.trim().parse().map_err(|_| bad())?;
    let n: u64 = n.trim().parse().map_err(|_| bad())?;
    if n == 0 || i == 0 || i > n {
        return Err(bad());
    }
    Ok((i - 1, n))
}

/// Write `files` (name, bytes) into `dir` atomically: a temporary sibling folder renamed at the end.
fn write_folder_atomic(dir: &Path, files: &[(&str, Vec<u8>)]) -> anyhow::Result<()> {
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "run".into());
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let result = (|| -> anyhow::Result<()> {
        std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        for (f, bytes) in files {
            let p = tmp.join(f);
            std::fs::write(&p, bytes).with_context(|| format!("writing {}", p.display()))?;
        }
        if dir.exists() {
            std::fs::remove_dir_all(dir).with_context(|| format!("replacing {}", dir.display()))?;
        }
        std::fs::rename(&tmp, dir).with_context(|| format!("moving into {}", dir.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

/// `tenancy run`.
pub fn run_command(a: &RunArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let overrides = sim_overrides(&a.sim)?;
    let loaded = load_scenario(a.scenario.as_deref(), &overrides)?;
    let s = &loaded.scenario;
    let mut settings = settings_from(&a.sim, s)?;
    let progress = Progress::new(a.sim.quiet);
    let all_on = vec![true; s.shocks.len()];
    if let Some(o) = &a.out {
        check_out_dir(o)?;
    }
    if let Some(spec) = &a.shard {
        let (i, n) = parse_shard(spec)?;
        // Antithetic pairs are never split across shards.
        let range = if s.simulation.antithetic {
            let r = shard_range(settings.paths / 2, i, n);
            r.start * 2..r.end * 2
        } else {
            shard_range(settings.paths, i, n)
        };
        settings.path_range = Some(range.clone());
        let sim = simulate_run(s, &settings, all_on, &progress).map_err(CliError::run)?;
        let partial = Partial {
            format: PARTIAL_FORMAT,
            version: env!("CARGO_PKG_VERSION").into(),
            scenario_name: s.name.clone(),
            scenario_toml: loaded.source_toml.clone(),
            seed: settings.seed,
            paths: settings.paths,
            shard_index: i,
            shard_count: n,
            path_start: range.start,
            path_end: range.end,
            fixed_price_bits: sim.fixed_price_usd_per_gpu_hour.to_bits(),
            par_pilot_bits: sim.par_pilot.map(|(p, se)| (p.to_bits(), se.to_bits())),
            acc: sim.acc,
        };
        let out = a
            .out
            .clone()
            .unwrap_or_else(|| default_out(s, &format!("-shard-{}-of-{n}", i + 1)));
        let bytes = serde_json::to_vec(&partial).map_err(CliError::run)?;
        let man = manifest(settings.threads, started, vec![("shard", json!(spec))]);
        let man = serde_json::to_vec_pretty(&man).map_err(CliError::run)?;
        write_folder_atomic(&out, &[(PARTIAL_FILE, bytes), ("manifest.json", man)])
            .map_err(CliError::run)?;
        eprintln!(
            "shard {spec}: paths {}..{} written to {}",
            range.start,
            range.end,
            out.display()
        );
        return Ok(());
    }
    if let Some(t) = &a.target_se {
        if a.paths_table {
            return Err(CliError::input(anyhow!(
                "--target-se and --paths-table cannot be combined"
            )));
        }
        let (sim, batches) = run_to_target_se(s, &mut settings, t, a.max_paths, &progress)?;
        let summary = build_summary(
            s,
            &settings,
            &sim,
            vec![(
                "run",
                json!({"target_se": t, "batches": batches, "batch_paths": settings.paths / batches.max(1)}),
            )],
        );
        let out = RunOutput {
            tables: summary::tables(&sim.acc),
            summary,
            manifest: manifest(settings.threads, started, vec![]),
            scenario_toml: loaded.source_toml.clone(),
        };
        let dir = a.out.clone().unwrap_or_else(|| default_out(s, ""));
        report::write_run(&dir, &out, &write_options(&a.output)).map_err(CliError::run)?;
        print_headline(&out.summary, &dir);
        return Ok(());
    }
    let (sim, path_rows) = if a.paths_table {
        let fixed = resolve_fixed_price(s, &settings, &progress).map_err(CliError::run)?;
        let mut ctx = RunContext::new(s, settings.seed, fixed.0, all_on).map_err(CliError::run)?;
        ctx.resolve_importance(&progress).map_err(CliError::run)?;
        let (acc, rows) = crate::engine::run::simulate_with_paths(&ctx, &settings, &progress)
            .map_err(CliError::run)?;
        (Simulated::from_ctx(&ctx, acc, fixed), Some(rows))
    } else {
        (
            simulate_run(s, &settings, all_on, &progress).map_err(CliError::run)?,
            None,
        )
    };
    let mut extra = Vec::new();
    if (a.attribute_layers || !a.no_attribution) && !s.shocks.is_empty() {
        let att =
            crate::attribution::attribute_layers(s, &settings, &progress).map_err(CliError::run)?;
        extra.push(("attribution", att));
    }
    let summary = build_summary(s, &settings, &sim, extra);
    let mut tables = summary::tables(&sim.acc);
    if let Some(t) = crate::attribution::attribution_table(&summary) {
        tables.push(t);
    }
    if let Some(rows) = path_rows {
        use crate::engine::run::PATHS_COLUMNS;
        let mut t = Table::new("paths");
        for (i, name) in PATHS_COLUMNS.iter().enumerate() {
            t.push(*name, rows.iter().map(|r| r.values()[i]).collect());
        }
        tables.push(t);
    }
    let out = RunOutput {
        summary,
        manifest: manifest(settings.threads, started, vec![]),
        tables,
        scenario_toml: loaded.source_toml.clone(),
    };
    let dir = a.out.clone().unwrap_or_else(|| default_out(s, ""));
    report::write_run(&dir, &out, &write_options(&a.output)).map_err(CliError::run)?;
    print_headline(&out.summary, &dir);
    Ok(())
}

/// `--target-se KEY=SE`: batches of `settings.paths` paths, in path order, until the summary's
/// `KEY_se` is at most SE (or `max_paths` is reached). The accumulator after k batches is exactly
/// that of a single run over the first k·B paths, so the result is the same as `--paths k·B`
/// whenever the par-price pilot is the same (B ≥ 20,000 or a contractual price). On return
/// `settings.paths` is the total. Returns the merged result and the number of batches.
pub fn run_to_target_se(
    s: &Scenario,
    settings: &mut RunSettings,
    target: &str,
    max_paths: u64,
    obs: &dyn Observer,
) -> Result<(Simulated, u64), CliError> {
    let bad = |why: String| CliError::input(anyhow!("--target-se {target}: {why}"));
    let (key, value) = target
        .split_once('=')
        .ok_or_else(|| bad("expected KEY=SE, e.g. loan.hedged.pd=0.001".into()))?;
    let goal: f64 = value
        .trim()
        .parse()
        .map_err(|_| bad(format!("{value} is not a number")))?;
    if !(goal > 0.0 && goal.is_finite()) {
        return Err(bad("the target must be positive".into()));
    }
    let se_key = format!("{}_se", key.trim());
    let batch = settings.paths;
    let (fixed, par_se) = resolve_fixed_price(s, settings, obs).map_err(CliError::run)?;
    let mut ctx = RunContext::new(s, settings.seed, fixed, vec![true; s.shocks.len()])
        .map_err(CliError::run)?;
    ctx.resolve_importance(obs).map_err(CliError::run)?;
    let mut acc = Accumulator::new(ctx.layout.clone());
    let mut batches = 0u64;
    loop {
        let lo = batches * batch;
        let part = RunSettings {
            paths: lo + batch,
            path_range: Some(lo..lo + batch),
            ..settings.clone()
        };
        acc.merge(&simulate(&ctx, &part, obs).map_err(CliError::run)?);
        batches += 1;
        let sim = Simulated::from_ctx(&ctx, acc, (fixed, par_se));
        settings.paths = lo + batch;
        let summ = build_summary(s, settings, &sim, vec![]);
        let Some(se) = summ
            .pointer(&format!("/{}", se_key.replace('.', "/")))
            .and_then(Value::as_f64)
        else {
            return Err(bad(format!("the summary has no `{se_key}`")));
        };
        let done = se <= goal || settings.paths + batch > max_paths;
        eprintln!(
            "batch {batches}: {} paths, {se_key} = {se:.6} (target {goal})",
            settings.paths
        );
        if done {
            return Ok((sim, batches));
        }
        acc = sim.acc;
    }
}

fn get(v: &Value, path: &str) -> f64 {
    v.pointer(path).and_then(Value::as_f64).unwrap_or(0.0)
}

/// Below this effective sample size the importance-sampling standard error is flagged: with
/// few effective paths the sample variance of heavy-tailed weights underestimates the true one.
pub const MIN_RELIABLE_ESS: f64 = 100.0;

/// The headline numbers on stdout.
pub fn print_headline(s: &Value, dir: &Path) {
    println!(
        "scenario {}  paths {}  seed {}",
        s.pointer("/run/scenario")
            .and_then(Value::as_str)
            .unwrap_or("?"),
        get(s, "/run/paths"),
        get(s, "/run/seed")
    );
    for (label, loan) in [("hedged  ", "hedged"), ("unhedged", "unhedged")] {
        let at = |k: &str| get(s, &format!("/loan/{loan}/{k}"));
        println!(
            "  PD {label} {:>7.3} % ± {:.3}   EL ${:>12.0} ± {:.0}",
            100.0 * at("pd"),
            100.0 * at("pd_se"),
            at("expected_loss"),
            at("expected_loss_se")
        );
    }
    if s.get("importance_sampling").is_some() {
        let at = |k: &str| get(s, &format!("/importance_sampling/hedged/{k}"));
        println!(
            "  PD hedged, importance sampled {:.3} % ± {:.3}  (variance ratio {:.1}×, ESS {:.0})",
            100.0 * at("pd"),
            100.0 * at("pd_se"),
            at("variance_ratio"),
            get(s, "/importance_sampling/effective_sample_size")
        );
        if get(s, "/importance_sampling/effective_sample_size") < MIN_RELIABLE_ESS {
            println!(
                "  warning: effective sample size below {MIN_RELIABLE_ESS}: the weighted standard error is itself unreliable; run more paths"
            );
        }
    }
    println!(
        "  swap fixed {:.4} $/GPU-h  (par {:.4} ± {:.4})   trader P&L mean ${:.0} ± {:.0}, ES97.5 ${:.0}",
        get(s, "/swap/fixed_price"),
        get(s, "/swap/par_fixed_price"),
        get(s, "/swap/par_fixed_price_se"),
        get(s, "/trader/pnl_mean"),
        get(s, "/trader/pnl_se"),
        get(s, "/trader/es_975")
    );
    println!("  written to {}", dir.display());
}

/// `tenancy merge`.
pub fn merge_command(dirs: &[PathBuf], out: &Path, common: &OutputArgs) -> Result<(), CliError> {
    let started = Instant::now();
    if dirs.is_empty() {
        return Err(CliError::input(anyhow!("merge: no shard folders given")));
    }
    check_out_dir(out)?;
    let mut parts: Vec<Partial> = Vec::new();
    for d in dirs {
        let p = d.join(PARTIAL_FILE);
        let bytes = std::fs::read(&p)
            .with_context(|| {
                format!(
                    "{}: cannot read (is it a `run --shard` folder?)",
                    p.display()
                )
            })
            .map_err(CliError::input)?;
        let part: Partial = serde_json::from_slice(&bytes)
            .with_context(|| format!("{}: not a tenancy partial result", p.display()))
            .map_err(CliError::input)?;
        if part.format != PARTIAL_FORMAT {
            return Err(CliError::input(anyhow!(
                "{}: partial format {} is not supported (expected {PARTIAL_FORMAT})",
                p.display(),
                part.format
            )));
        }
        parts.push(part);
    }
    parts.sort_by_key(|p| p.path_start);
    let first = &parts[0];
    for (d, p) in dirs.iter().zip(&parts) {
        if p.scenario_toml != first.scenario_toml
            || p.seed != first.seed
            || p.paths != first.paths
            || p.shard_count != first.shard_count
            || p.fixed_price_bits != first.fixed_price_bits
        {
            return Err(CliError::input(anyhow!(
                "{}: shard of a different run (scenario, seed, paths, shard count or fixed price differ)",
                d.display()
            )));
        }
    }
    let mut expect = 0;
    for p in &parts {
        if p.path_start != expect {
            return Err(CliError::input(anyhow!(
                "shards do not cover paths {expect}..{} exactly once (missing or duplicate shard)",
                p.path_start.max(expect)
            )));
        }
        expect = p.path_end;
    }
    if expect != first.paths {
        return Err(CliError::input(anyhow!(
            "shards cover paths 0..{expect} of {}: a shard is missing",
            first.paths
        )));
    }
    let loaded = scenario::load_str(&first.scenario_toml, "partial scenario", None, &[])
        .map_err(|e| CliError::input(anyhow!("{e}")))?;
    let s = &loaded.scenario;
    let settings = RunSettings {
        paths: first.paths,
        seed: first.seed,
        threads: None,
        path_range: None,
    };
    let fixed = f64::from_bits(first.fixed_price_bits);
    let ctx = RunContext::new(s, settings.seed, fixed, vec![true; s.shocks.len()])
        .map_err(CliError::run)?;
    let mut acc = Accumulator::new(ctx.layout.clone());
    for p in &parts {
        acc.merge(&p.acc);
    }
    let par_se = first
        .par_pilot_bits
        .map_or(0.0, |(_, se)| f64::from_bits(se));
    let sim = Simulated::from_ctx(&ctx, acc, (fixed, par_se));
    let summary = build_summary(s, &settings, &sim, vec![]);
    let out_run = RunOutput {
        summary,
        manifest: manifest(None, started, vec![("merged_shards", json!(parts.len()))]),
        tables: summary::tables(&sim.acc),
        scenario_toml: first.scenario_toml.clone(),
    };
    report::write_run(out, &out_run, &write_options(common)).map_err(CliError::run)?;
    print_headline(&out_run.summary, out);
    Ok(())
}

/// `tenancy validate FILE`.
pub fn validate_command(file: &Path) -> Result<(), CliError> {
    let loaded = load_scenario(Some(file), &[])?;
    let s = &loaded.scenario;
    println!(
        "{}: ok — scenario `{}`, {} shocks, horizon {} days",
        file.display(),
        s.name,
        s.shocks.len(),
        horizon_days(s)
    );
    if let Some(r) = &s.market.correlation.repair {
        println!("note: correlation matrix repaired (Higham nearest correlation): {r:?}");
    }
    Ok(())
}

/// `tenancy report DIR`.
pub fn report_command(dir: &Path) -> Result<(), CliError> {
    if !dir.join("summary.json").is_file() {
        return Err(CliError::input(anyhow!(
            "{}: not a run folder (no summary.json)",
            dir.display()
        )));
    }
    report::rerender(dir).map_err(CliError::run)?;
    println!("re-rendered {}", dir.display());
    Ok(())
}

/// One axis of a sweep: a dotted key and its values (as TOML literals).
#[derive(Debug, Clone, PartialEq)]
pub struct SweepAxis {
    pub key: String,
    pub values: Vec<String>,
}

/// Split `--set` into sweep axes (`START:STOP:STEP` or `a,b,c`) and fixed overrides.
/// `--set` overrides as (dotted key, value).
pub type Overrides = Vec<(String, String)>;

pub fn sweep_axes(sets: &[(String, String)]) -> Result<(Vec<SweepAxis>, Overrides), CliError> {
    let mut axes = Vec::new();
    let mut fixed = Vec::new();
    for (k, v) in sets {
        if v.contains(':') && !v.starts_with('"') {
            let parts: Vec<&str> = v.split(':').collect();
            let nums: Option<Vec<f64>> = parts.iter().map(|p| p.trim().parse().ok()).collect();
            let bad = || {
                CliError::input(anyhow!(
                    "--set {k}={v}: a range is START:STOP:STEP with STEP > 0 and START <= STOP"
                ))
            };
            let nums = nums.ok_or_else(bad)?;
            if nums.len() != 3 || nums[2] <= 0.0 || nums[0] > nums[1] {
                return Err(bad());
            }
            let (a, b, st) = (nums[0], nums[1], nums[2]);
            let n = ((b - a) / st + 1e-9).floor() as usize + 1;
            if n > 1000 {
                return Err(CliError::input(anyhow!(
                    "--set {k}={v}: {n} points is too many (at most 1000)"
                )));
            }
            // Round to the step's decimals so 0.4 + 3·0.1 prints as 0.7.
            let values = (0..n)
                .map(|i| {
                    let x = a + i as f64 * st;
                    let x = (x * 1e9).round() / 1e9;
                    format!("{x}")
                })
                .collect();
            axes.push(SweepAxis {
                key: k.clone(),
                values,
            });
        } else if v.contains(',') && !v.starts_with('[') && !v.starts_with('"') {
            axes.push(SweepAxis {
                key: k.clone(),
                values: v.split(',').map(|x| x.trim().to_string()).collect(),
            });
        } else {
            fixed.push((k.clone(), v.clone()));
        }
    }
    if axes.len() > 2 {
        return Err(CliError::input(anyhow!(
            "a sweep has at most two axes (a grid); got {}",
            axes.len()
        )));
    }
    Ok((axes, fixed))
}

/// Headline metrics of one sweep point: summary keys (dotted; the `sweep` table's column names).
pub const SWEEP_METRICS: [&str; 17] = [
    "loan.hedged.pd",
    "loan.hedged.pd_se",
    "loan.unhedged.pd",
    "loan.unhedged.pd_se",
    "loan.hedged.expected_loss",
    "loan.hedged.expected_loss_se",
    "loan.unhedged.expected_loss",
    "loan.unhedged.expected_loss_se",
    "trader.pnl_mean",
    "trader.pnl_se",
    "trader.es_975",
    "trader.es_975_se",
    "trader.pd",
    "swap.par_fixed_price",
    "swap.par_fixed_price_se",
    "swap.fixed_price",
    "margin.initial_margin",
];

/// The number at a dotted summary key (0 when absent).
fn at(v: &Value, dotted: &str) -> f64 {
    get(v, &format!("/{}", dotted.replace('.', "/")))
}

/// `tenancy sweep`.
pub fn sweep_command(a: &SweepArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let sets = sim_overrides(&a.sim)?;
    let (axes, fixed) = sweep_axes(&sets)?;
    if axes.is_empty() {
        return Err(CliError::input(anyhow!(
            "sweep: give at least one axis, e.g. --set swap.strike_utilization=0.40:0.90:0.05"
        )));
    }
    // Every point is validated before any simulation starts.
    let mut points: Vec<Vec<(String, String)>> = vec![vec![]];
    for ax in &axes {
        points = points
            .into_iter()
            .flat_map(|p| {
                ax.values.iter().map(move |v| {
                    let mut q = p.clone();
                    q.push((ax.key.clone(), v.clone()));
                    q
                })
            })
            .collect();
    }
    let mut loaded_points = Vec::new();
    for p in &points {
        let mut ov = fixed.clone();
        ov.extend(p.iter().cloned());
        let l = load_scenario(a.scenario.as_deref(), &ov).map_err(|e| CliError {
            error: e.error.context(format!(
                "sweep point {}",
                p.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            code: e.code,
        })?;
        loaded_points.push(l);
    }
    let base = load_scenario(a.scenario.as_deref(), &fixed)?;
    if let Some(o) = &a.out {
        check_out_dir(o)?;
    }
    let progress = Progress::new(a.sim.quiet);
    let mut cols: Vec<Vec<f64>> = vec![Vec::new(); axes.len() + SWEEP_METRICS.len()];
    let mut point_col = Vec::new();
    let mut point_summaries = Vec::new();
    let mut settings = None;
    for (p, l) in points.iter().zip(&loaded_points) {
        let s = &l.scenario;
        let st = settings_from(&a.sim, s)?;
        let sim =
            simulate_run(s, &st, vec![true; s.shocks.len()], &progress).map_err(CliError::run)?;
        let summ = build_summary(s, &st, &sim, vec![]);
        point_col.push(point_col.len() as f64);
        for (i, (_, v)) in p.iter().enumerate() {
            // A non-numeric value (e.g. a variant name) is recorded by its index on the axis.
            let x = v
                .parse::<f64>()
                .ok()
                .or_else(|| axes[i].values.iter().position(|a| a == v).map(|k| k as f64));
            cols[i].push(x.unwrap_or(0.0));
        }
        for (j, key) in SWEEP_METRICS.iter().enumerate() {
            cols[axes.len() + j].push(at(&summ, key));
        }
        let mut o = serde_json::Map::new();
        for (k, v) in p {
            o.insert(k.clone(), json!(v));
        }
        for key in SWEEP_METRICS {
            o.insert(key.into(), summary::num(at(&summ, key)));
        }
        point_summaries.push(Value::Object(o));
        settings = Some(st);
    }
    let settings = settings.ok_or_else(|| CliError::input(anyhow!("sweep: no points")))?;
    let mut t = Table::new("sweep").with("point", point_col);
    for (i, ax) in axes.iter().enumerate() {
        t.push(ax.key.clone(), std::mem::take(&mut cols[i]));
    }
    for (j, key) in SWEEP_METRICS.iter().enumerate() {
        t.push(*key, std::mem::take(&mut cols[axes.len() + j]));
    }
    let s = &base.scenario;
    let summary_v = json!({
        "run": {
            "scenario": s.name,
            "seed": settings.seed,
            "paths": settings.paths,
            "horizon_days": horizon_days(s),
            "version": env!("CARGO_PKG_VERSION"),
            "kind": "sweep",
        },
        "sweep": {
            "axes": axes.iter().map(|a| json!({"key": a.key, "values": a.values})).collect::<Vec<_>>(),
            "points": point_summaries,
            "common_random_numbers": true,
        }
    });
    let out = RunOutput {
        summary: summary_v,
        manifest: manifest(settings.threads, started, vec![]),
        tables: vec![t],
        scenario_toml: base.source_toml.clone(),
    };
    let dir = a.out.clone().unwrap_or_else(|| default_out(s, "-sweep"));
    report::write_run(&dir, &out, &write_options(&a.output)).map_err(CliError::run)?;
    println!(
        "sweep of {} points written to {}",
        points.len(),
        dir.display()
    );
    Ok(())
}

/// `tenancy exposure FILE [--scenario S]`: validate a `LayeredComputeExposure` record and write
/// its layer coverage statement (Markdown; JSON when `--out` ends in `.json`). With a scenario,
/// the layers' attributed risk comes from a paired layer-attribution run of `paths` paths.
pub fn exposure_command(
    file: &Path,
    scenario_file: Option<&Path>,
    paths: u64,
    out: Option<&Path>,
) -> Result<(), CliError> {
    use crate::exposure::{coverage_statement, load_exposure, LayerRisk};
    let record = load_exposure(file).map_err(|e| CliError::input(anyhow!("{e}")))?;
    let risks: Option<Vec<LayerRisk>> = match scenario_file {
        None => None,
        Some(sf) => {
            let loaded = load_scenario(Some(sf), &[])?;
            let s = &loaded.scenario;
            if paths == 0 {
                return Err(CliError::input(anyhow!("--paths must be at least 1")));
            }
            let settings = RunSettings {
                paths,
                seed: s.simulation.seed,
                threads: None,
                path_range: None,
            };
            let att = crate::attribution::attribute_layers(s, &settings, &Progress::new(false))
                .map_err(CliError::run)?;
            let layers = att
                .pointer("/layers")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            Some(
                layers
                    .iter()
                    .filter_map(|(k, v)| {
                        let l: u8 = k.strip_prefix('L')?.parse().ok()?;
                        Some(LayerRisk {
                            layer: l,
                            hedged_pd_delta: get(v, "/hedged_pd_delta"),
                            el_delta_usd: get(v, "/hedged_el_delta_usd"),
                            trader_es_delta_usd: get(v, "/trader_es_delta_usd"),
                        })
                    })
                    .collect(),
            )
        }
    };
    let statement = coverage_statement(&record, risks.as_deref());
    match out {
        None => print!("{}", statement.to_markdown()),
        Some(p) => {
            let text = if p.extension().is_some_and(|e| e == "json") {
                serde_json::to_string_pretty(&statement.to_json()).map_err(CliError::run)?
            } else {
                statement.to_markdown()
            };
            let tmp = p.with_extension("tmp-write");
            std::fs::write(&tmp, text)
                .and_then(|_| std::fs::rename(&tmp, p))
                .with_context(|| format!("writing {}", p.display()))
                .map_err(CliError::run)?;
            println!("coverage statement written to {}", p.display());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_lists_become_axes() {
        let sets = vec![
            (
                "swap.strike_utilization".to_string(),
                "0.4:0.9:0.1".to_string(),
            ),
            ("loan.annual_rate".to_string(), "0.12,0.14".to_string()),
            ("simulation.paths".to_string(), "100".to_string()),
        ];
        let (axes, fixed) = sweep_axes(&sets).unwrap();
        assert_eq!(axes[0].values, ["0.4", "0.5", "0.6", "0.7", "0.8", "0.9"]);
        assert_eq!(axes[1].values, ["0.12", "0.14"]);
        assert_eq!(fixed, vec![("simulation.paths".into(), "100".into())]);
        assert!(sweep_axes(&[("a".into(), "1:0:0.1".into())]).is_err());
        assert!(sweep_axes(&[("a".into(), "0:1:0".into())]).is_err());
    }

    #[test]
    fn shard_specs_are_checked() {
        assert_eq!(parse_shard("2/4").unwrap(), (1, 4));
        for bad in ["0/4", "5/4", "x/2", "3", "1/0"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }
}
