//! Engine throughput per path-day, side by side in one process (figures in `benches/README.md`):
//!
//! - `generator`: the raw random numbers the market consumes per path-day (4 standard normals
//!   from Xoshiro256++) — the baseline everything else is measured against;
//! - `market`: the market kernel (correlated normals, exact OU steps, jumps, observation);
//! - `market_contracts`: the market kernel plus both SPVs' contracts stepped every day (cluster,
//!   swap accruals and settlements, loan payments, waterfall) — no margin, no accumulation;
//! - `full_1_thread` / `full_all_threads`: the whole model (shocks, market, contracts, both
//!   loans, accumulation) through the public engine API.
//!
//! Throughput is in path-days, so the ratios `market / generator` and `full / generator` read
//! directly off criterion's `elem/s`.
//!
//! Last, `interleaved_ratios` times every kernel in turn, round after round, and prints the
//! fastest round of each with its ratio to the generator: the figures the goals are judged on,
//! robust to a shared machine's changing load. Two decomposition kernels run with them: the
//! market kernel with its normals replayed from a table (its work besides drawing normals) and
//! the block's `exp`/logistic loops alone. Two floor kernels (`floor/mod.rs`) time only the
//! arithmetic the market model cannot do without, 8 paths in lockstep, with the normals replayed
//! and drawn; they are checked bit for bit against the engine's kernel (jumps off) first.
//!
//! `generator`, `market` and `market_contracts` are timed in the benchmark thread's CPU time (the
//! scheduler's `/proc/thread-self/schedstat`, falling back to wall time where it cannot be read),
//! so other processes on a shared machine inflate them less than wall time; `full_1_thread` and
//! `full_2_threads` are timed in wall time (their work runs on the pool's threads).

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use rand::Rng;
use rand_distr::StandardNormal;
use std::time::Instant;

mod common;
mod floor;
use tenancy::contract::PathContracts;
use tenancy::engine::run::{day_market, horizon_days};
use tenancy::engine::streams::{purpose, stream};
use tenancy::engine::{simulate, NoopObserver, RunContext, RunSettings};
use tenancy::market::{fastmath, DayFactors, MarketDays, MarketModel, BLOCK_DAYS};
use tenancy::shocks::Overlay;

/// CPU time of the calling thread in ns (`/proc/thread-self/schedstat`, first field), if readable.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// Thread CPU time in ns (wall time when the scheduler's statistics are unavailable).
struct ThreadCpuTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = (Option<u64>, Instant);
    type Value = f64;
    fn start(&self) -> Self::Intermediate {
        (thread_cpu_ns(), Instant::now())
    }
    fn end(&self, (cpu0, wall0): Self::Intermediate) -> f64 {
        match (cpu0, thread_cpu_ns()) {
            (Some(a), Some(b)) => b.saturating_sub(a) as f64,
            _ => wall0.elapsed().as_nanos() as f64,
        }
    }
    fn add(&self, a: &f64, b: &f64) -> f64 {
        a + b
    }
    fn zero(&self) -> f64 {
        0.0
    }
    fn to_f64(&self, v: &f64) -> f64 {
        *v
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WallTime.formatter()
    }
}

/// Path `p`'s market over the horizon in blocks of [`BLOCK_DAYS`], as the engine runs it (no
/// shocks), handing each day's factors to `on_day`.
#[inline(always)]
fn market_path(
    market: &MarketModel,
    horizon: u32,
    p: u64,
    md: &mut MarketDays,
    on_day: impl FnMut(&DayFactors),
) {
    let mut rng = stream(1, p, purpose::MARKET);
    market_path_with(
        market,
        horizon,
        p,
        md,
        |_| market.correlated_normals(&mut rng),
        on_day,
    );
}

/// [`market_path`] with the day's correlated normals from `normals(day)`.
#[inline(always)]
fn market_path_with(
    market: &MarketModel,
    horizon: u32,
    p: u64,
    md: &mut MarketDays,
    mut normals: impl FnMut(u32) -> [f64; 4],
    mut on_day: impl FnMut(&DayFactors),
) {
    let mut jrng = stream(1, p, purpose::JUMPS);
    let mut st = market.initial_state(&mut jrng, 0);
    for start in (0..horizon).step_by(BLOCK_DAYS as usize) {
        market.simulate_days(
            &mut st,
            start..(start + BLOCK_DAYS).min(horizon),
            None::<fn(u32) -> Overlay>,
            &mut normals,
            &mut jrng,
            md,
        );
        md.factors().iter().for_each(&mut on_day);
    }
}

/// The market kernel with its normals replayed from `table` (a block of real correlated draws,
/// read from L1 by day; the index is a mask, no division): the kernel's work other than drawing
/// normals.
fn market_replayed(
    market: &MarketModel,
    horizon: u32,
    paths: u64,
    table: &[[f64; 4]; BLOCK_DAYS as usize],
    md: &mut MarketDays,
) -> f64 {
    const _: () = assert!(BLOCK_DAYS.is_power_of_two());
    let mut acc = 0.0;
    for p in 0..paths {
        let normals = |d: u32| table[(d % BLOCK_DAYS) as usize];
        market_path_with(market, horizon, p, md, normals, |f| {
            acc += f.index_price + f.utilization
        });
    }
    acc
}

/// The block's transcendental loops alone, as the market kernel runs them per path-day: two
/// `exp` and one logistic over `BLOCK_DAYS`-long arrays of realistic log/logit values.
fn transcendentals(horizon: u32, paths: u64, logs: &[[f64; BLOCK_DAYS as usize]; 3]) -> f64 {
    let mut out = [[0.0; BLOCK_DAYS as usize]; 3];
    let mut acc = 0.0;
    for _ in 0..paths {
        for start in (0..horizon).step_by(BLOCK_DAYS as usize) {
            let n = ((horizon - start) as usize).min(BLOCK_DAYS as usize);
            let logs = black_box(logs);
            let [a, b, c] = &mut out;
            fastmath::exp_into(&logs[0][..n], &mut a[..n]);
            fastmath::exp_into(&logs[1][..n], &mut b[..n]);
            c[..n].copy_from_slice(&logs[2][..n]);
            fastmath::logistic_in_place(&mut c[..n]);
            acc += a[n - 1] + b[n - 1] + c[n - 1];
        }
    }
    acc
}

/// The generator alone: 4 standard normals per path-day from each path's market stream.
fn generator(paths: u64, horizon: u32) -> f64 {
    let mut acc = 0.0;
    for p in 0..paths {
        let mut rng = stream(1, p, purpose::MARKET);
        for _ in 0..horizon {
            for _ in 0..4 {
                let x: f64 = rng.sample(StandardNormal);
                acc += x;
            }
        }
    }
    acc
}

/// The market kernel over `paths` paths.
fn market_kernel(market: &MarketModel, horizon: u32, paths: u64, md: &mut MarketDays) -> f64 {
    let mut acc = 0.0;
    for p in 0..paths {
        market_path(market, horizon, p, md, |f| {
            acc += f.index_price + f.utilization
        });
    }
    acc
}

/// The market kernel plus both SPVs' contracts (no margin agreement, no accumulation).
fn market_contracts(
    market: &MarketModel,
    ctx: &RunContext,
    horizon: u32,
    paths: u64,
    md: &mut MarketDays,
) -> f64 {
    let mut acc = 0.0;
    for p in 0..paths {
        let mut pc = PathContracts::new(&ctx.terms);
        market_path(market, horizon, p, md, |f| {
            acc += pc.step(&ctx.terms, &day_market(f)).hedged.cash_usd
        });
    }
    acc
}

/// The full model's context (par fixed price solved on a 2,000-path pilot, as the CLI does).
fn full_context(s: &tenancy::scenario::Scenario) -> RunContext<'_> {
    let (fixed, _) = tenancy::engine::run::resolve_fixed_price(
        s,
        &RunSettings {
            paths: 2000,
            seed: 1,
            threads: Some(1),
            path_range: None,
        },
        &NoopObserver,
    )
    .expect("par price");
    RunContext::new(s, 1, fixed, vec![true; s.shocks.len()]).expect("context")
}

/// The full model on `paths` paths with `threads` threads.
fn full_settings(paths: u64, threads: usize) -> RunSettings {
    RunSettings {
        paths,
        seed: 1,
        threads: Some(threads),
        path_range: None,
    }
}

fn bench_engine(c: &mut Criterion<ThreadCpuTime>) {
    let loaded = tenancy::scenario::load_embedded_base(&[]).expect("embedded base scenario loads");
    let s = &loaded.scenario;
    let horizon = horizon_days(s);
    let paths: u64 = 64;
    let mut g = c.benchmark_group("per_path_day");
    g.throughput(Throughput::Elements(paths * horizon as u64));
    g.sample_size(10);

    g.bench_function("generator", |b| {
        b.iter(|| black_box(generator(paths, horizon)))
    });

    let market = MarketModel::new(s, horizon);
    let mut md = MarketDays::with_capacity(BLOCK_DAYS as usize);
    g.bench_function("market", |b| {
        b.iter(|| black_box(market_kernel(&market, horizon, paths, &mut md)))
    });

    // Market + both SPVs' contracts (no margin agreement, no accumulation).
    let ctx0 = RunContext::new(s, 1, 1.9, vec![true; s.shocks.len()]).expect("context");
    g.bench_function("market_contracts", |b| {
        b.iter(|| black_box(market_contracts(&market, &ctx0, horizon, paths, &mut md)))
    });

    g.finish();
}

/// The whole model in wall time (its work runs on the pool's threads, even with one thread).
fn bench_threads(c: &mut Criterion) {
    let loaded = tenancy::scenario::load_embedded_base(&[]).expect("embedded base scenario loads");
    let s = &loaded.scenario;
    let horizon = horizon_days(s);
    let ctx = full_context(s);
    let paths: u64 = 512;
    let mut g = c.benchmark_group("per_path_day");
    g.throughput(Throughput::Elements(paths * horizon as u64));
    g.sample_size(10);
    for (name, threads) in [("full_1_thread", 1), ("full_2_threads", 2)] {
        let settings = full_settings(paths, threads);
        g.bench_function(name, |b| {
            b.iter(|| black_box(simulate(&ctx, &settings, &NoopObserver).expect("run").paths))
        });
    }
    g.finish();
}

/// Rounds of [`interleaved_ratios`].
const ROUNDS: usize = 15;

/// The goals' ratios from interleaved timing ([`common::fastest_of`]): wall ns per path-day of
/// each kernel's fastest round and its ratio to the generator, then the thread scaling. Printed
/// to stdout.
fn interleaved_ratios(_: &mut Criterion) {
    let loaded = tenancy::scenario::load_embedded_base(&[]).expect("embedded base scenario loads");
    let s = &loaded.scenario;
    let horizon = horizon_days(s);
    let market = MarketModel::new(s, horizon);
    let md = std::cell::RefCell::new(MarketDays::with_capacity(BLOCK_DAYS as usize));
    let ctx0 = RunContext::new(s, 1, 1.9, vec![true; s.shocks.len()]).expect("context");
    let ctx = full_context(s);
    let (paths, full_paths) = (64u64, 512u64);
    assert_eq!(
        paths % floor::L as u64,
        0,
        "the floor runs whole lockstep groups"
    );
    let days = |n: u64| n * u64::from(horizon);
    let full = |threads: usize| {
        let settings = full_settings(full_paths, threads);
        let ctx = &ctx;
        move || {
            days(black_box(
                simulate(ctx, &settings, &NoopObserver).expect("run").paths,
            ))
        }
    };
    // A block of real correlated draws, and the block's log/logit values on one path, for the
    // decomposition kernels.
    let mut rng = stream(1, 0, purpose::MARKET);
    let table: [[f64; 4]; BLOCK_DAYS as usize] =
        std::array::from_fn(|_| market.correlated_normals(&mut rng));
    let mut logs = [[0.0; BLOCK_DAYS as usize]; 3];
    {
        let md = &mut md.borrow_mut();
        market_path(&market, BLOCK_DAYS, 0, md, |_| {});
        for (i, f) in md.factors().iter().enumerate() {
            logs[0][i] = f.index_price.ln();
            logs[1][i] = (f.operator_price / f.index_price).ln();
            logs[2][i] = (f.utilization / (1.0 - f.utilization)).ln();
        }
    }
    let floor = floor::Floor::new(&market, horizon);
    floor.check_against_the_engine(2 * BLOCK_DAYS + 5);
    let mut kernels: Vec<common::Kernel> = vec![
        (
            "generator",
            Box::new(|| {
                black_box(generator(paths, horizon));
                days(paths)
            }),
        ),
        (
            "market",
            Box::new(|| {
                black_box(market_kernel(&market, horizon, paths, &mut md.borrow_mut()));
                days(paths)
            }),
        ),
        (
            "market_contracts",
            Box::new(|| {
                let md = &mut md.borrow_mut();
                black_box(market_contracts(&market, &ctx0, horizon, paths, md));
                days(paths)
            }),
        ),
        ("full_1_thread", Box::new(full(1))),
        ("full_2_threads", Box::new(full(2))),
        (
            "market, normals replayed",
            Box::new(|| {
                let md = &mut md.borrow_mut();
                black_box(market_replayed(&market, horizon, paths, &table, md));
                days(paths)
            }),
        ),
        (
            "exp, exp, logistic loops",
            Box::new(|| {
                black_box(transcendentals(horizon, paths, &logs));
                days(paths)
            }),
        ),
        (
            "floor, normals replayed",
            Box::new(|| {
                black_box(floor.time::<false>(paths, horizon, &table));
                days(paths)
            }),
        ),
        (
            "floor, normals drawn",
            Box::new(|| {
                black_box(floor.time::<true>(paths, horizon, &table));
                days(paths)
            }),
        ),
    ];
    let best = common::fastest_of(ROUNDS, &mut kernels);
    common::print_ratios(
        &format!("interleaved, fastest of {ROUNDS} rounds (wall, ratio to generator):"),
        "path-day",
        &kernels,
        &best,
    );
    println!(
        "  thread scaling                  {:8.2}x (full_1_thread / full_2_threads)",
        best[3] / best[4]
    );
    println!(
        "  market - generator              {:8.2} ns/path-day  {:5.2}x (the market goal needs <= 0.50x)",
        best[1] - best[0],
        (best[1] - best[0]) / best[0]
    );
}

criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = bench_engine
}
criterion_group!(wall, bench_threads);
criterion_group!(ratios, interleaved_ratios);
criterion_main!(cpu, wall, ratios);
