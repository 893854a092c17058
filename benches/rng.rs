//! How the engine's generator and normal sampler were chosen: throughput of standard normals
//! for candidate generators × samplers, side by side in one process (figures in
//! `benches/README.md`).
//!
//! Generators (all portable, with a value-stable stream across crate versions, as the engine's
//! reproducibility needs): Xoshiro256++ (the engine's), Xoshiro256+, PCG64-MCG, ChaCha8.
//! Samplers: rand_distr's Ziggurat `StandardNormal` (the engine's), Box–Muller (two normals per
//! two uniforms: one `ln`, one `sqrt`, one `sin_cos`), Marsaglia's polar method (rejection, one
//! `ln` and one `sqrt` per pair), and the inverse normal CDF (`statrs`, one uniform per normal).
//! Each candidate fills the same number of normals; criterion times each, and an interleaved
//! run prints the fastest of 15 rounds per candidate with its ratio to the engine's choice.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use rand_pcg::Pcg64Mcg;
use rand_xoshiro::{Xoshiro256Plus, Xoshiro256PlusPlus};
use statrs::distribution::{ContinuousCDF, Normal};

mod common;

/// Normals per timed run.
const NORMALS: u64 = 1 << 18;

/// A uniform in (0, 1) from the top 52 bits (never 0, so `ln` is finite).
#[inline(always)]
fn open_uniform<R: RngCore>(rng: &mut R) -> f64 {
    ((rng.next_u64() >> 12) as f64 + 0.5) * (1.0 / (1u64 << 52) as f64)
}

/// Sum of `NORMALS` Ziggurat normals.
fn ziggurat<R: RngCore>(rng: &mut R) -> f64 {
    (0..NORMALS)
        .map(|_| rng.sample::<f64, _>(StandardNormal))
        .sum()
}

/// Sum of `NORMALS` Box–Muller normals (both of each pair used).
fn box_muller<R: RngCore>(rng: &mut R) -> f64 {
    let mut acc = 0.0;
    for _ in 0..NORMALS / 2 {
        let r = (-2.0 * open_uniform(rng).ln()).sqrt();
        let (s, c) = (std::f64::consts::TAU * open_uniform(rng)).sin_cos();
        acc += r * c + r * s;
    }
    acc
}

/// Sum of `NORMALS` normals by Marsaglia's polar method (both of each pair used).
fn polar<R: RngCore>(rng: &mut R) -> f64 {
    let mut acc = 0.0;
    let mut n = 0;
    while n < NORMALS {
        let x = 2.0 * open_uniform(rng) - 1.0;
        let y = 2.0 * open_uniform(rng) - 1.0;
        let s = x * x + y * y;
        if s < 1.0 && s > 0.0 {
            let f = (-2.0 * s.ln() / s).sqrt();
            acc += x * f + y * f;
            n += 2;
        }
    }
    acc
}

/// Sum of `NORMALS` normals by the inverse CDF.
fn inverse_cdf<R: RngCore>(rng: &mut R, normal: &Normal) -> f64 {
    (0..NORMALS)
        .map(|_| normal.inverse_cdf(open_uniform(rng)))
        .sum()
}

/// A timed candidate: `fill` run on its own generator seeded from `seed`.
fn candidate<'a, R: RngCore + SeedableRng + 'a>(
    name: &'a str,
    seed: u64,
    mut fill: impl FnMut(&mut R) -> f64 + 'a,
) -> common::Kernel<'a> {
    let mut rng = R::seed_from_u64(seed);
    (
        name,
        Box::new(move || {
            black_box(fill(&mut rng));
            NORMALS
        }),
    )
}

fn bench(c: &mut Criterion) {
    let normal = Normal::new(0.0, 1.0).expect("standard normal");
    let seed = 20_261_123;
    let mut kernels: Vec<common::Kernel> = vec![
        candidate::<Xoshiro256PlusPlus>("xoshiro256++ ziggurat (engine)", seed, ziggurat),
        candidate::<Xoshiro256Plus>("xoshiro256+ ziggurat", seed, ziggurat),
        candidate::<Pcg64Mcg>("pcg64mcg ziggurat", seed, ziggurat),
        candidate::<ChaCha8Rng>("chacha8 ziggurat", seed, ziggurat),
        candidate::<Xoshiro256PlusPlus>("xoshiro256++ box-muller", seed, box_muller),
        candidate::<Xoshiro256PlusPlus>("xoshiro256++ polar", seed, polar),
        candidate::<Xoshiro256PlusPlus>("xoshiro256++ inverse cdf", seed, |r| {
            inverse_cdf(r, &normal)
        }),
    ];
    let mut g = c.benchmark_group("normals");
    g.throughput(Throughput::Elements(NORMALS));
    g.sample_size(10);
    for (name, run) in kernels.iter_mut() {
        g.bench_function(name.replace(' ', "_"), |b| b.iter(&mut *run));
    }
    g.finish();
    let best = common::fastest_of(15, &mut kernels);
    common::print_ratios(
        "interleaved, fastest of 15 rounds (wall, ratio to the engine's choice):",
        "normal",
        &kernels,
        &best,
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
