//! Order-independent accumulators: the reason results do not depend on thread count or sharding.
//!
//! Floating-point addition is not associative, so a sum merged in a different order differs in
//! the last bits. [`ExactSum`] adds values as 128-bit fixed-point integers (resolution 2⁻³²,
//! range ±2⁹⁵ ≈ ±4·10²⁸), which is associative and commutative: any split of the paths, merged in
//! any order, gives the same bits. [`Moments`] builds mean, variance and standard error on it.
//! Must not: use `f64` running sums anywhere a result is reported.

use serde::{Deserialize, Serialize};

const SCALE: f64 = 4_294_967_296.0; // 2^32

/// An exact (fixed-point, 2⁻³² resolution) sum of f64 values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExactSum(pub i128);

impl ExactSum {
    /// Add one value (rounded to the nearest multiple of 2⁻³²; saturates far beyond any money sum).
    #[inline]
    pub fn add(&mut self, x: f64) {
        let s = x * SCALE;
        // Fast path: values that fit an i64 are rounded half away from zero without the libm
        // `round` call (no SSE4.1 in the baseline target): the truncation is one instruction and
        // the fraction s − trunc(s) is exact, so the result equals `s.round() as i64`.
        match Self::scaled_i64(s) {
            Some(v) => self.0 = self.0.saturating_add(v as i128),
            None => self.add_slow(s),
        }
    }

    /// `x·2³²` rounded half away from zero, when it fits an i64 (`None` otherwise, NaN included).
    #[inline]
    fn scaled_i64(s: f64) -> Option<i64> {
        if s.abs() < 9.0e18 {
            let t = s as i64;
            let frac = s - t as f64;
            // Branch-free: the fraction's side of ±0.5 is a coin flip for money amounts.
            Some(t + i64::from(frac >= 0.5) - i64::from(frac <= -0.5))
        } else {
            None
        }
    }

    /// Add every value of `xs`: the same result as adding them one by one (the i64 parts are
    /// summed in an i128 that cannot overflow for fewer than 2⁶⁴ values, then saturated once;
    /// both agree unless the running sum saturates, beyond ±4·10²⁸).
    #[inline]
    pub fn add_all(&mut self, xs: impl IntoIterator<Item = f64>) {
        let mut local: i128 = 0;
        for x in xs {
            let s = x * SCALE;
            match Self::scaled_i64(s) {
                Some(v) => local += v as i128,
                None => self.add_slow(s),
            }
        }
        self.0 = self.0.saturating_add(local);
    }

    /// The general path of [`ExactSum::add`] for `s = x·2³²` outside the i64 range (or NaN).
    #[cold]
    fn add_slow(&mut self, s: f64) {
        let y = s.round();
        // f64 → i128 is a library call: values that fit an i64 after the split convert with two
        // instructions; identical result either way.
        let v = if y.abs() < 3.9e28 {
            // Split exactly at 2^32 (scaling by a power of two is exact): two i64 conversions
            // instead of the slow f64 → i128 library call.
            let hi = (y / SCALE).floor();
            let lo = y - hi * SCALE;
            ((hi as i64 as i128) << 32) + lo as i64 as i128
        } else {
            y as i128
        };
        self.0 = self.0.saturating_add(v);
    }
    /// Merge another sum (exact).
    #[inline]
    pub fn merge(&mut self, other: &Self) {
        self.0 = self.0.saturating_add(other.0);
    }
    /// The sum as f64.
    #[inline]
    pub fn value(&self) -> f64 {
        self.0 as f64 / SCALE
    }
}

/// Count, sum and sum of squares of a sample, exactly mergeable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moments {
    pub n: u64,
    pub sum: ExactSum,
    pub sum_sq: ExactSum,
}

impl Moments {
    #[inline]
    pub fn add(&mut self, x: f64) {
        self.n += 1;
        self.sum.add(x);
        self.sum_sq.add(x * x);
    }
    /// Add every value of `xs` (the same result as [`Moments::add`] one by one).
    #[inline]
    pub fn add_all(&mut self, xs: &[f64]) {
        self.n += xs.len() as u64;
        self.sum.add_all(xs.iter().copied());
        self.sum_sq.add_all(xs.iter().map(|x| x * x));
    }
    pub fn merge(&mut self, o: &Self) {
        self.n += o.n;
        self.sum.merge(&o.sum);
        self.sum_sq.merge(&o.sum_sq);
    }
    /// Sample mean (0 for an empty sample).
    pub fn mean(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.sum.value() / self.n as f64
        }
    }
    /// Unbiased sample variance (0 below two observations).
    pub fn variance(&self) -> f64 {
        if self.n < 2 {
            return 0.0;
        }
        let n = self.n as f64;
        let m = self.mean();
        ((self.sum_sq.value() - n * m * m) / (n - 1.0)).max(0.0)
    }
    /// Monte Carlo standard error of the mean.
    pub fn se(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            (self.variance() / self.n as f64).sqrt()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_values_convert_exactly() {
        for x in [
            3.0e10,
            -3.0e10,
            1.234_567_890_123e15,
            -9.87e18,
            4.4e20,
            -1.0e27,
            2.0f64.powi(60) + 2048.0,
        ] {
            let mut a = ExactSum::default();
            a.add(x);
            assert_eq!(a.0, (x * SCALE).round() as i128, "{x}");
        }
    }

    #[test]
    fn fast_rounding_matches_round_half_away_from_zero() {
        let ulp_below_half = 0.5 - f64::EPSILON / 4.0;
        for s in [
            0.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            -2.5,
            ulp_below_half,
            -ulp_below_half,
            4_503_599_627_370_495.5,
            -4_503_599_627_370_495.5,
            4_503_599_627_370_497.0,
            8.9e18,
            -8.9e18,
            123_456.499_999_999,
            -123_456.500_000_001,
        ] {
            let mut a = ExactSum::default();
            a.add(s / SCALE);
            assert_eq!(a.0, s.round() as i128, "{s}");
        }
        let mut x = 0.123_f64;
        for _ in 0..10_000 {
            x = (x * 3.7).sin() * 1e7;
            let mut a = ExactSum::default();
            a.add(x);
            assert_eq!(a.0, (x * SCALE).round() as i128, "{x}");
        }
    }

    #[test]
    fn adding_a_slice_equals_adding_one_by_one() {
        let xs: Vec<f64> = (0..97)
            .map(|i| {
                ((i as f64) * 1.37).cos() * 10f64.powi(i % 23) + if i == 40 { 1e25 } else { 0.0 }
            })
            .collect();
        let (mut a, mut b) = (Moments::default(), Moments::default());
        xs.iter().for_each(|&x| a.add(x));
        b.add_all(&xs[..50]);
        b.add_all(&xs[50..]);
        assert_eq!(a, b);
    }

    #[test]
    fn merge_order_does_not_change_bits() {
        let xs: Vec<f64> = (0..1000)
            .map(|i| ((i as f64) * 0.737).sin() * 1e6 + 0.1)
            .collect();
        let mut a = Moments::default();
        xs.iter().for_each(|&x| a.add(x));
        let mut parts: Vec<Moments> = xs
            .chunks(37)
            .map(|c| {
                let mut m = Moments::default();
                c.iter().for_each(|&x| m.add(x));
                m
            })
            .collect();
        parts.reverse();
        let mut b = Moments::default();
        parts.iter().for_each(|p| b.merge(p));
        assert_eq!(a, b);
        assert_eq!(a.mean().to_bits(), b.mean().to_bits());
    }

    #[test]
    fn moments_match_textbook_values() {
        let mut m = Moments::default();
        for x in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0] {
            m.add(x);
        }
        assert!((m.mean() - 5.0).abs() < 1e-9);
        assert!((m.variance() - 32.0 / 7.0).abs() < 1e-9);
        assert!((m.se() - (32.0 / 7.0 / 8.0f64).sqrt()).abs() < 1e-9);
    }
}
