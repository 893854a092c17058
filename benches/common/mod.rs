//! Shared by the benches: interleaved timing on a shared machine.

use std::time::Instant;

/// A kernel under interleaved timing: its name and a run that returns how many units (path-days,
/// normals) it produced.
pub type Kernel<'a> = (&'a str, Box<dyn FnMut() -> u64 + 'a>);

/// Runs every kernel once per round, in turn, for `rounds` rounds, and returns each kernel's
/// fastest round in wall ns per unit. Kernels timed one after the other (criterion's groups) see
/// other processes' load at different moments; interleaved, they see the same load, and the
/// minimum is the least disturbed run.
pub fn fastest_of(rounds: usize, kernels: &mut [Kernel<'_>]) -> Vec<f64> {
    let mut best = vec![f64::INFINITY; kernels.len()];
    for _ in 0..rounds {
        for (b, (_, run)) in best.iter_mut().zip(kernels.iter_mut()) {
            let t = Instant::now();
            let units = run();
            *b = b.min(t.elapsed().as_nanos() as f64 / units.max(1) as f64);
        }
    }
    best
}

/// Prints `fastest_of`'s figures, each with its ratio to the first kernel's.
pub fn print_ratios(title: &str, unit: &str, kernels: &[Kernel<'_>], best: &[f64]) {
    println!("{title}");
    for ((name, _), b) in kernels.iter().zip(best) {
        println!("  {name:<31} {b:8.2} ns/{unit}  {:5.2}x", b / best[0]);
    }
}
