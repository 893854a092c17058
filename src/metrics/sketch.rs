//! Mergeable quantile structures with documented accuracy.
//!
//! * [`QuantileSketch`]: log-spaced buckets (the DDSketch idea): any quantile is returned within
//!   a relative error of [`SKETCH_ALPHA`] (0.5 %) of a true sample value, for positive and
//!   negative values; values with |x| < 1e-9 count as zero. Counts are integers, so merging is
//!   exact and order-independent. Used for per-path outcomes (loss, P&L, DSCR, IRR).
//! * [`BinnedHistogram`]: fixed linear bins on a range set from the scenario; quantiles
//!   interpolate inside a bin, so the error is at most one bin width (range / bins); values
//!   outside the range are clamped into the edge bins and counted in `clamped`. Used for the
//!   per-period fan-chart rows, where speed matters.
//!
//! Must not: keep individual samples (memory must not grow with the number of paths).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Relative accuracy of [`QuantileSketch`].
pub const SKETCH_ALPHA: f64 = 0.005;
const ZERO_CUTOFF: f64 = 1e-9;

fn gamma() -> f64 {
    (1.0 + SKETCH_ALPHA) / (1.0 - SKETCH_ALPHA)
}

/// Log-bucket quantile sketch (relative accuracy 0.5 %), exactly mergeable.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QuantileSketch {
    pos: BTreeMap<i32, u64>,
    neg: BTreeMap<i32, u64>,
    zero: u64,
    n: u64,
    #[serde(with = "f64_bits")]
    min: Option<f64>,
    #[serde(with = "f64_bits")]
    max: Option<f64>,
}

/// Serializes an `Option<f64>` as its IEEE-754 bits, so a shard's partial result read back by
/// `tenancy merge` is bit-identical whatever the JSON float parser does.
mod f64_bits {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    pub fn serialize<S: Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        x.map(f64::to_bits).serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(f64::from_bits))
    }
}

impl QuantileSketch {
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    fn key(x: f64) -> i32 {
        let y = x.ln() / gamma().ln();
        // ceil without the libm call (no SSE4.1 in the baseline target): exact for |y| < 2³¹,
        // where truncation toward zero is one instruction; `ceil` elsewhere (same result).
        if y.abs() < 2.0e9 {
            let t = y as i64;
            (if (t as f64) < y { t + 1 } else { t }) as i32
        } else {
            y.ceil() as i32
        }
    }

    #[inline]
    fn value_of(key: i32) -> f64 {
        // Midpoint (in the relative sense) of bucket (γ^(k−1), γ^k].
        let g = gamma();
        2.0 * g.powi(key) / (1.0 + g)
    }

    /// Add one finite value.
    pub fn add(&mut self, x: f64) {
        self.n += 1;
        self.min = Some(self.min.map_or(x, |m| m.min(x)));
        self.max = Some(self.max.map_or(x, |m| m.max(x)));
        if x.abs() < ZERO_CUTOFF {
            self.zero += 1;
        } else if x > 0.0 {
            *self.pos.entry(Self::key(x)).or_default() += 1;
        } else {
            *self.neg.entry(Self::key(-x)).or_default() += 1;
        }
    }

    /// Merge another sketch (exact).
    pub fn merge(&mut self, o: &Self) {
        for (k, c) in &o.pos {
            *self.pos.entry(*k).or_default() += c;
        }
        for (k, c) in &o.neg {
            *self.neg.entry(*k).or_default() += c;
        }
        self.zero += o.zero;
        self.n += o.n;
        self.min = match (self.min, o.min) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.max = match (self.max, o.max) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }

    /// Number of values added.
    pub fn count(&self) -> u64 {
        self.n
    }
    /// Smallest value added (0 when empty).
    pub fn min(&self) -> f64 {
        self.min.unwrap_or(0.0)
    }
    /// Largest value added (0 when empty).
    pub fn max(&self) -> f64 {
        self.max.unwrap_or(0.0)
    }

    /// Buckets in increasing value order: (representative value, count).
    pub fn buckets(&self) -> Vec<(f64, u64)> {
        let mut out = Vec::with_capacity(self.pos.len() + self.neg.len() + 1);
        for (k, c) in self.neg.iter().rev() {
            out.push((-Self::value_of(*k), *c));
        }
        if self.zero > 0 {
            out.push((0.0, self.zero));
        }
        for (k, c) in &self.pos {
            out.push((Self::value_of(*k), *c));
        }
        out
    }

    /// The q-quantile (lower quantile, rank ⌈q·n⌉), clamped to [min, max]; 0 when empty.
    pub fn quantile(&self, q: f64) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.n as f64 - 1e-9).ceil() as u64).max(1);
        let mut seen = 0;
        for (v, c) in self.buckets() {
            seen += c;
            if seen >= rank {
                return v.clamp(self.min(), self.max());
            }
        }
        self.max()
    }

    /// Mean of the values at or above the q-quantile (expected shortfall of a loss
    /// distribution at level q), from bucket representatives; 0 when empty.
    pub fn tail_mean_above(&self, q: f64) -> f64 {
        self.tail_moments_above(q).0
    }

    /// (mean, variance) of the upper tail beyond the q-quantile: the worst ⌈(1−q)·n⌉ values.
    pub fn tail_moments_above(&self, q: f64) -> (f64, f64) {
        if self.n == 0 {
            return (0.0, 0.0);
        }
        let k = (((1.0 - q.clamp(0.0, 1.0)) * self.n as f64 - 1e-9).ceil() as u64).max(1);
        let mut left = k;
        let (mut s, mut s2) = (0.0, 0.0);
        for (v, c) in self.buckets().into_iter().rev() {
            let v = v.clamp(self.min(), self.max());
            let take = c.min(left);
            s += v * take as f64;
            s2 += v * v * take as f64;
            left -= take;
            if left == 0 {
                break;
            }
        }
        let m = s / k as f64;
        (m, (s2 / k as f64 - m * m).max(0.0))
    }

    /// Mean of the values at or below the q-quantile (lower tail; for P&L shortfall).
    pub fn tail_moments_below(&self, q: f64) -> (f64, f64) {
        let (m, v) = self.negated().tail_moments_above(1.0 - q);
        (-m, v)
    }

    /// The sketch of −x (e.g. a loss distribution from a P&L sketch).
    pub fn negated(&self) -> Self {
        QuantileSketch {
            pos: self.neg.clone(),
            neg: self.pos.clone(),
            zero: self.zero,
            n: self.n,
            min: self.max.map(|x| -x),
            max: self.min.map(|x| -x),
        }
    }

    /// Asymptotic standard error of the q-quantile: sqrt(q(1−q)/n) / f(x_q), the density f
    /// estimated by a symmetric difference of quantiles (Siddiqui–Bloch–Gastwirth sparsity
    /// estimate with bandwidth h = n^(−1/3) clamped to [0.001, 0.05]).
    pub fn quantile_se(&self, q: f64) -> f64 {
        if self.n < 10 {
            return 0.0;
        }
        let n = self.n as f64;
        let h = n.powf(-1.0 / 3.0).clamp(0.001, 0.05);
        let lo = (q - h).max(0.0);
        let hi = (q + h).min(1.0);
        let spread = self.quantile(hi) - self.quantile(lo);
        if spread <= 0.0 || hi <= lo {
            return 0.0;
        }
        let sparsity = spread / (hi - lo);
        sparsity * (q * (1.0 - q) / n).sqrt()
    }

    /// Standard error of the expected shortfall beyond level q (upper tail):
    /// sqrt((Var_tail + q·(ES − VaR)²) / (n·(1−q))) (Yamai–Yoshiba / Manistre–Hancock form).
    pub fn es_se_above(&self, q: f64) -> f64 {
        if self.n < 10 || q >= 1.0 {
            return 0.0;
        }
        let (es, var_tail) = self.tail_moments_above(q);
        let var_q = self.quantile(q);
        ((var_tail + q * (es - var_q).powi(2)) / (self.n as f64 * (1.0 - q))).sqrt()
    }

    /// Histogram of the sample on `bins` equal-width bins over [min, max]:
    /// (lower, upper, count) — for distribution charts.
    pub fn histogram(&self, bins: usize) -> Vec<(f64, f64, u64)> {
        if self.n == 0 || bins == 0 {
            return Vec::new();
        }
        let (lo, hi) = (self.min(), self.max());
        let width = if hi > lo {
            (hi - lo) / bins as f64
        } else {
            1.0
        };
        let mut out: Vec<(f64, f64, u64)> = (0..bins)
            .map(|i| (lo + i as f64 * width, lo + (i + 1) as f64 * width, 0))
            .collect();
        for (v, c) in self.buckets() {
            let v = v.clamp(lo, hi);
            let i = (((v - lo) / width) as usize).min(bins - 1);
            out[i].2 += c;
        }
        out
    }
}

/// Fixed linear-bin histogram on [lo, hi] with integer counts (exactly mergeable).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinnedHistogram {
    pub lo: f64,
    pub hi: f64,
    pub counts: Vec<u32>,
    /// Values outside [lo, hi], clamped into the edge bins.
    pub clamped: u64,
}

impl BinnedHistogram {
    pub fn new(lo: f64, hi: f64, bins: usize) -> Self {
        let hi = if hi > lo { hi } else { lo + 1.0 };
        Self {
            lo,
            hi,
            counts: vec![0; bins.max(1)],
            clamped: 0,
        }
    }

    #[inline]
    pub fn add(&mut self, x: f64) {
        let pos = (x - self.lo) / (self.hi - self.lo) * self.counts.len() as f64;
        self.count_at(pos, x);
    }

    /// Count `x`, whose bin position (in bins from `lo`) is `pos`: below the range into the
    /// first bin, at or above it into the last, each out-of-range value noted as clamped (`hi`
    /// itself belongs to the last bin and is not clamped).
    #[inline(always)]
    fn count_at(&mut self, pos: f64, x: f64) {
        let n = self.counts.len();
        let i = if pos < 0.0 {
            self.clamped += 1;
            0
        } else if pos >= n as f64 {
            if x > self.hi {
                self.clamped += 1;
            }
            n - 1
        } else {
            pos as usize
        };
        self.counts[i] += 1;
    }

    /// Add every value of `xs` (the same counts as [`BinnedHistogram::add`] one by one): the bin
    /// positions are computed first, in a loop the compiler vectorizes.
    #[inline]
    pub fn add_all(&mut self, xs: &[f64]) {
        const BATCH: usize = 32;
        let (lo, width, nf) = (self.lo, self.hi - self.lo, self.counts.len() as f64);
        let mut pos = [0.0; BATCH];
        for chunk in xs.chunks(BATCH) {
            for (p, &x) in pos.iter_mut().zip(chunk) {
                *p = (x - lo) / width * nf;
            }
            for (&p, &x) in pos.iter().zip(chunk) {
                self.count_at(p, x);
            }
        }
    }

    pub fn merge(&mut self, o: &Self) {
        for (a, b) in self.counts.iter_mut().zip(&o.counts) {
            *a += b;
        }
        self.clamped += o.clamped;
    }

    pub fn count(&self) -> u64 {
        self.counts.iter().map(|&c| c as u64).sum()
    }

    /// q-quantile with linear interpolation inside the bin (error ≤ one bin width); 0 if empty.
    pub fn quantile(&self, q: f64) -> f64 {
        let n = self.count();
        if n == 0 {
            return 0.0;
        }
        let target = q.clamp(0.0, 1.0) * n as f64;
        let width = (self.hi - self.lo) / self.counts.len() as f64;
        let mut cum = 0.0;
        for (i, &c) in self.counts.iter().enumerate() {
            let c = c as f64;
            if c > 0.0 && cum + c >= target {
                let frac = ((target - cum) / c).clamp(0.0, 1.0);
                return self.lo + (i as f64 + frac) * width;
            }
            cum += c;
        }
        self.hi
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_key_is_the_ceiling_of_the_log_ratio() {
        let lg = gamma().ln();
        let mut x: f64 = 1.234e-9;
        while x < 1e300 {
            for v in [x, x.next_up(), x.next_down()] {
                assert_eq!(QuantileSketch::key(v), (v.ln() / lg).ceil() as i32, "{v}");
            }
            x *= 1.37;
        }
        // Exact powers of γ sit on a bucket edge.
        for k in -50..50 {
            let v = (k as f64 * lg).exp();
            assert_eq!(QuantileSketch::key(v), (v.ln() / lg).ceil() as i32, "{v}");
        }
    }

    #[test]
    fn histogram_batch_counts_equal_one_by_one() {
        let xs: Vec<f64> = (0..301)
            .map(|i| ((i as f64) * 0.91).sin() * 7.0 + 2.0)
            .chain([-0.0, 10.0, 10.5, 1e300, -1e300])
            .collect();
        let (mut a, mut b) = (
            BinnedHistogram::new(-3.0, 10.0, 400),
            BinnedHistogram::new(-3.0, 10.0, 400),
        );
        xs.iter().for_each(|&x| a.add(x));
        b.add_all(&xs[..7]);
        b.add_all(&xs[7..]);
        assert_eq!(a, b);
        assert!(a.clamped > 0);
    }

    #[test]
    fn sketch_quantiles_within_relative_accuracy_of_exact() {
        let xs: Vec<f64> = (1..=10_000)
            .map(|i| (i as f64 * 0.37).sin() * 500.0 + (i as f64) * 0.01)
            .collect();
        let mut s = QuantileSketch::new();
        xs.iter().for_each(|&x| s.add(x));
        let mut sorted = xs.clone();
        sorted.sort_by(f64::total_cmp);
        for q in [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99] {
            let exact = sorted[((q * 10_000.0_f64).ceil() as usize).max(1) - 1];
            let got = s.quantile(q);
            assert!(
                (got - exact).abs() <= SKETCH_ALPHA * exact.abs() + 1e-9,
                "q={q}: {got} vs {exact}"
            );
        }
    }

    #[test]
    fn sketch_merge_is_exact_and_order_free() {
        let mut a = QuantileSketch::new();
        let mut b = QuantileSketch::new();
        let mut all = QuantileSketch::new();
        for i in 0..500 {
            let x = (i as f64 - 250.0) * 1.7;
            if i % 3 == 0 {
                a.add(x)
            } else {
                b.add(x)
            }
            all.add(x);
        }
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b;
        ba.merge(&a);
        assert_eq!(ab, all);
        assert_eq!(ba, all);
    }

    #[test]
    fn expected_shortfall_of_uniform_tail() {
        // Values 1..=1000: the worst 2.5 % are 976..=1000 with mean 988.
        let mut s = QuantileSketch::new();
        (1..=1000).for_each(|i| s.add(i as f64));
        assert!((s.tail_mean_above(0.975) - 988.0).abs() < 988.0 * SKETCH_ALPHA);
        let (lo, _) = s.tail_moments_below(0.025);
        assert!((lo - 13.0).abs() < 13.0 * SKETCH_ALPHA + 1e-9);
    }

    #[test]
    fn binned_histogram_quantile_within_one_bin() {
        let mut h = BinnedHistogram::new(0.0, 10.0, 100);
        (0..10_000).for_each(|i| h.add(i as f64 / 1000.0));
        assert!((h.quantile(0.5) - 5.0).abs() <= 0.1);
        assert!((h.quantile(0.99) - 9.9).abs() <= 0.1);
        h.add(20.0);
        assert_eq!(h.clamped, 1);
    }
}
