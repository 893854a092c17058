//! End to end: 1,000,000 paths of the base scenario over its full tenor, daily steps (issue 7).
//!
//! The par fixed price is solved once (the 20,000-path pilot every run does); then each
//! criterion sample simulates the next tenth of the 1,000,000 paths — path indices
//! `[i·100,000, (i+1)·100,000)`, exactly the slice `tenancy run --paths 1000000 --shard i+1/10`
//! runs — with the full model (shocks, market, contracts, margin, accumulation) on all cores.
//! Ten samples cover the million paths once; the 1M-path time is ten times the mean sample.
//! Takes about as long as the run itself (minutes): `cargo bench --bench end_to_end`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use std::cell::Cell;
use std::time::{Duration, Instant};
use tenancy::engine::run::{horizon_days, resolve_fixed_price};
use tenancy::engine::{simulate, NoopObserver, RunContext, RunSettings};

const PATHS: u64 = 1_000_000;
const SLICES: u64 = 10;

fn bench_end_to_end(c: &mut Criterion) {
    let s = tenancy::scenario::load_embedded_base(&[])
        .expect("embedded base scenario loads")
        .scenario;
    let all = RunSettings {
        paths: PATHS,
        seed: s.simulation.seed,
        threads: None,
        path_range: None,
    };
    let (fixed, _) = resolve_fixed_price(&s, &all, &NoopObserver).expect("par price");
    let ctx = RunContext::new(&s, all.seed, fixed, vec![true; s.shocks.len()]).expect("context");
    let slice = PATHS / SLICES;
    let next = Cell::new(0u64);
    let mut g = c.benchmark_group("end_to_end");
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(1));
    g.measurement_time(Duration::from_secs(1));
    g.throughput(Throughput::Elements(slice * u64::from(horizon_days(&s))));
    g.bench_function("base_1m_paths_tenth", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                let i = next.get() % SLICES;
                next.set(next.get() + 1);
                let part = RunSettings {
                    path_range: Some(i * slice..(i + 1) * slice),
                    ..all.clone()
                };
                black_box(simulate(&ctx, &part, &NoopObserver).expect("run").paths);
            }
            start.elapsed()
        })
    });
    g.finish();
}

criterion_group!(benches, bench_end_to_end);
criterion_main!(benches);
