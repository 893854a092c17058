//! Engine throughput per path-day, side by side in one process (figures in `benches/README.md`):
//!
//! - `generator`: the raw random numbers the market consumes per path-day (4 standard normals
//!   from Xoshiro256++) — the floor everything else is measured against;
//! - `market`: the market kernel (correlated normals, exact OU steps, jumps, observation);
//! - `market_contracts`: the market kernel plus both SPVs' contracts stepped every day (cluster,
//!   swap accruals and settlements, loan payments, waterfall) — no margin, no accumulation;
//! - `full_1_thread` / `full_all_threads`: the whole model (shocks, market, contracts, both
//!   loans, accumulation) through the public engine API.
//!
//! Throughput is in path-days, so the ratios `market / generator` and `full / generator` read
//! directly off criterion's `elem/s`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use rand::Rng;
use rand_distr::StandardNormal;
use tenancy::contract::PathContracts;
use tenancy::engine::run::{day_market, horizon_days};
use tenancy::engine::streams::{purpose, stream};
use tenancy::engine::{simulate, NoopObserver, RunContext, RunSettings};
use tenancy::market::MarketModel;
use tenancy::shocks::Overlay;

fn bench_engine(c: &mut Criterion) {
    let loaded = tenancy::scenario::load_embedded_base(&[]).expect("embedded base scenario loads");
    let s = &loaded.scenario;
    let horizon = horizon_days(s);
    let paths: u64 = 64;
    let mut g = c.benchmark_group("per_path_day");
    g.throughput(Throughput::Elements(paths * horizon as u64));
    g.sample_size(10);

    g.bench_function("generator", |b| {
        b.iter(|| {
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
            black_box(acc)
        })
    });

    let market = MarketModel::new(s, horizon);
    g.bench_function("market", |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for p in 0..paths {
                let mut rng = stream(1, p, purpose::MARKET);
                let mut jrng = stream(1, p, purpose::JUMPS);
                let mut st = market.initial_state(&mut jrng, 0);
                for day in 0..horizon {
                    if day > 0 {
                        let z = market.correlated_normals(&mut rng);
                        market.advance(&mut st, &z, &Overlay::NEUTRAL, &mut jrng);
                    }
                    let f = market.observe(&st, &Overlay::NEUTRAL);
                    acc += f.index_price + f.utilization;
                }
            }
            black_box(acc)
        })
    });

    // Market + both SPVs' contracts (no margin agreement, no accumulation).
    let ctx0 = RunContext::new(s, 1, 1.9, vec![true; s.shocks.len()]).expect("context");
    g.bench_function("market_contracts", |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for p in 0..paths {
                let mut rng = stream(1, p, purpose::MARKET);
                let mut jrng = stream(1, p, purpose::JUMPS);
                let mut st = market.initial_state(&mut jrng, 0);
                let mut pc = PathContracts::new(&ctx0.terms);
                for day in 0..horizon {
                    if day > 0 {
                        let z = market.correlated_normals(&mut rng);
                        market.advance(&mut st, &z, &Overlay::NEUTRAL, &mut jrng);
                    }
                    let f = market.observe(&st, &Overlay::NEUTRAL);
                    let rec = pc.step(&ctx0.terms, &day_market(&f));
                    acc += rec.hedged.cash_usd;
                }
            }
            black_box(acc)
        })
    });

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
    let ctx = RunContext::new(s, 1, fixed, vec![true; s.shocks.len()]).expect("context");
    // Eight chunks of 64 paths, so two threads have work to share.
    let paths: u64 = 512;
    g.throughput(Throughput::Elements(paths * horizon as u64));
    for (name, threads) in [("full_1_thread", Some(1)), ("full_2_threads", Some(2))] {
        let settings = RunSettings {
            paths,
            seed: 1,
            threads,
            path_range: None,
        };
        g.bench_function(name, |b| {
            b.iter(|| black_box(simulate(&ctx, &settings, &NoopObserver).expect("run").paths))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_engine);
criterion_main!(benches);
