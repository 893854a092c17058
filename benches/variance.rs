//! Variance reduction for the hedged PD, as variance × time against plain Monte Carlo (issue 7).
//!
//! In one process, on the embedded base scenario: the plain pass and the importance-sampling
//! pass over the same 1,000 paths are timed by criterion; the per-path variance of each hedged
//! PD estimator is measured once, before the timing, on 8,000 paths of each, and printed with
//! the cross-entropy pilot's own time. The gain is
//! (plain variance × plain time) / (IS variance × (IS time + pilot time amortized over a run)).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use std::time::Instant;
use tenancy::engine::importance::{plan, simulate_importance};
use tenancy::engine::{simulate, NoopObserver, RunContext, RunSettings};
use tenancy::scenario::{ImportanceSampling, ImportanceShift};

fn settings(paths: u64) -> RunSettings {
    RunSettings {
        paths,
        seed: 20260430,
        threads: None,
        path_range: None,
    }
}

fn bench_variance(c: &mut Criterion) {
    let mut s = tenancy::scenario::load_embedded_base(&[])
        .expect("embedded base scenario loads")
        .scenario;
    s.simulation.importance = Some(ImportanceSampling {
        shift: ImportanceShift::Auto,
        pilot_paths: 2000,
    });
    let (fixed, _) =
        tenancy::engine::run::resolve_fixed_price(&s, &settings(20_000), &NoopObserver)
            .expect("par price");
    let ctx = RunContext::new(&s, 20260430, fixed, vec![]).expect("context");
    let t0 = Instant::now();
    let p = plan(&ctx, &NoopObserver)
        .expect("pilot")
        .expect("importance sampling on");
    let pilot_s = t0.elapsed().as_secs_f64();

    let n = 8000;
    let plain = simulate(&ctx, &settings(n), &NoopObserver).expect("plain");
    let is = simulate_importance(&ctx, &p, &settings(n), &NoopObserver).expect("is");
    let pd = plain.hedged.default.mean();
    let var_plain = pd * (1.0 - pd);
    let var_is = is.hedged.default.variance();
    eprintln!(
        "hedged PD on {n} paths: plain {:.5} ± {:.5} (per-path variance {var_plain:.3e}); \
         importance sampled {:.5} ± {:.5} (per-path variance {var_is:.3e}); \
         variance ratio {:.2}; ESS {:.0}; cross-entropy pilot {pilot_s:.2} s ({} levels × {} paths)",
        pd,
        (var_plain / n as f64).sqrt(),
        is.hedged.default.mean(),
        is.hedged.default.se(),
        var_plain / var_is.max(f64::MIN_POSITIVE),
        is.effective_sample_size(),
        p.info.levels,
        p.info.pilot_paths,
    );

    let paths = 1000;
    let mut g = c.benchmark_group("variance_reduction");
    g.sample_size(10);
    g.throughput(Throughput::Elements(paths));
    g.bench_function("plain_pass", |b| {
        b.iter(|| black_box(simulate(&ctx, &settings(paths), &NoopObserver).expect("run")))
    });
    g.bench_function("importance_pass", |b| {
        b.iter(|| {
            black_box(simulate_importance(&ctx, &p, &settings(paths), &NoopObserver).expect("run"))
        })
    });
    g.finish();
}

criterion_group!(benches, bench_variance);
criterion_main!(benches);
