//! The market's hot-loop `exp` and logistic, written by hand so a block of days evaluates them in
//! loops the compiler vectorizes (two lanes with the baseline x86-64 SSE2, no FMA).
//!
//! `exp(x) = 2^k · p(r)` with `k = round(x / ln 2)` (rounded by adding and subtracting 1.5·2⁵²),
//! `r = x − k·ln 2` by a two-constant Cody–Waite reduction (|r| ≤ ln 2 / 2, `k·LN2_HI` exact) and
//! `p` the degree-13 Taylor polynomial of `e^r` evaluated by Estrin's scheme (truncation below 5·10⁻¹⁸
//! relative). 2^k is built from the bits of the rounded sum, so no float-to-integer conversion
//! stops the vectorization. Accuracy: within 2 ulp of the correctly rounded result over
//! [−700, 700] (measured against the platform `exp`, see the tests); outside that range and for
//! NaN the result is `f64::exp`'s own.
//!
//! Only plain IEEE-754 additions and multiplications in a fixed order: the scalar and the block
//! versions agree bit for bit, on every machine. Must not: use `mul_add` (an FMA would make the
//! results depend on the CPU) or any state.

/// 1 / ln 2.
const LOG2_E: f64 = std::f64::consts::LOG2_E;
/// ln 2 rounded to 40 fraction bits (its 12 low mantissa bits are zero), so `k·LN2_HI` is exact
/// for |k| < 2¹².
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fefa_3000);
/// ln 2 − LN2_HI.
const LN2_LO: f64 = f64::from_bits(0x3d53_de6a_f278_ece6);
/// 1.5·2⁵²: adding it rounds to an integer held in the low mantissa bits.
const SHIFTER: f64 = 6_755_399_441_055_744.0;
/// |x| up to which the polynomial path is used (2^k stays a normal number).
pub const FAST_EXP_LIMIT: f64 = 700.0;
/// The logistic's argument is clamped to ±this, keeping u strictly inside (0, 1) in f64.
pub const LOGISTIC_CLAMP: f64 = 36.0;

/// 1/n! for n = 2..=13.
const C13: f64 = 1.0 / 6_227_020_800.0;
const C12: f64 = 1.0 / 479_001_600.0;
const C11: f64 = 1.0 / 39_916_800.0;
const C10: f64 = 1.0 / 3_628_800.0;
const C9: f64 = 1.0 / 362_880.0;
const C8: f64 = 1.0 / 40_320.0;
const C7: f64 = 1.0 / 5_040.0;
const C6: f64 = 1.0 / 720.0;
const C5: f64 = 1.0 / 120.0;
const C4: f64 = 1.0 / 24.0;
const C3: f64 = 1.0 / 6.0;
const C2: f64 = 0.5;

/// e^x for |x| ≤ [`FAST_EXP_LIMIT`] (meaningless outside; callers route those to `f64::exp`).
#[inline(always)]
fn exp_core(x: f64) -> f64 {
    let t = x * LOG2_E + SHIFTER;
    let k = t - SHIFTER;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // e^r = 1 + (r + r²·P(r)), P = Σ r^(n−2)/n! for n = 2..=13 by Estrin's scheme (independent
    // pairs, then r², r⁴, r⁸: a short dependency chain, so a block of lanes is not bound by the
    // latency of a 13-step Horner chain); the 1 is added last, so only that addition rounds at
    // the scale of the result.
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let q1 = C2 + C3 * r;
    let q2 = C4 + C5 * r;
    let q3 = C6 + C7 * r;
    let q4 = C8 + C9 * r;
    let q5 = C10 + C11 * r;
    let q6 = C12 + C13 * r;
    let big_p = (q1 + q2 * r2) + (q3 + q4 * r2) * r4 + (q5 + q6 * r2) * r8;
    let p = 1.0 + (r + r2 * big_p);
    // The low mantissa bits of t hold 2⁵¹ + k; adding the bias and shifting keeps k + 1023 in
    // the exponent field (1 ≤ k + 1023 ≤ 2046 for |x| ≤ 700).
    let two_k = f64::from_bits(t.to_bits().wrapping_add(1023) << 52);
    p * two_k
}

/// |x| ≤ [`FAST_EXP_LIMIT`] (false for NaN).
#[inline(always)]
fn in_fast_range(x: f64) -> bool {
    x.abs() <= FAST_EXP_LIMIT
}

/// e^x: the polynomial for |x| ≤ [`FAST_EXP_LIMIT`], `f64::exp` otherwise (and for NaN).
#[inline]
pub fn exp(x: f64) -> f64 {
    if in_fast_range(x) {
        exp_core(x)
    } else {
        x.exp()
    }
}

/// logistic(y) = 1 / (1 + e^(−y)) with y clamped to ±[`LOGISTIC_CLAMP`] (NaN stays NaN).
#[inline]
pub fn logistic(y: f64) -> f64 {
    1.0 / (1.0 + exp_core(-y.clamp(-LOGISTIC_CLAMP, LOGISTIC_CLAMP)))
}

/// `out[i] = exp(xs[i])`, bit-identical to [`exp`]; `out` and `xs` have the same length.
pub fn exp_into(xs: &[f64], out: &mut [f64]) {
    let mut outside = false;
    for (o, &x) in out.iter_mut().zip(xs) {
        outside |= !in_fast_range(x);
        *o = exp_core(x);
    }
    if outside {
        for (o, &x) in out.iter_mut().zip(xs) {
            if !in_fast_range(x) {
                *o = x.exp();
            }
        }
    }
}

/// `ys[i] = logistic(ys[i])` for every element, bit-identical to [`logistic`].
pub fn logistic_in_place(ys: &mut [f64]) {
    for y in ys.iter_mut() {
        *y = logistic(*y);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place between two positive finite doubles.
    fn ulps(a: f64, b: f64) -> u64 {
        a.to_bits().abs_diff(b.to_bits())
    }

    #[test]
    fn exp_is_within_two_ulp_of_the_platform_exp() {
        // A dense sweep of the hot range and a coarse one of the whole polynomial range.
        let mut worst = 0;
        let mut xs: Vec<f64> = (0..200_001).map(|i| -10.0 + i as f64 * 1e-4).collect();
        xs.extend((0..140_001).map(|i| -700.0 + i as f64 * 0.01 + 1e-7));
        for &x in &xs {
            let (ours, reference) = (exp(x), x.exp());
            worst = worst.max(ulps(ours, reference));
        }
        println!("worst ulp distance to f64::exp: {worst}");
        assert!(worst <= 2, "worst {worst} ulp");
    }

    #[test]
    fn exp_matches_correctly_rounded_reference_values() {
        // e^x to 300 bits (mpmath), rounded to the nearest double.
        let reference = [
            (-700.0, 9.85967654375977e-305),
            (-20.5, 1.2501528663867426e-09),
            (-3.25, 0.03877420783172201),
            (-0.75, 0.4723665527410147),
            (-0.001, 0.999000499833375),
            (1e-10, 1.0000000001),
            (0.3, 1.3498588075760032),
            (0.34657359, 1.4142135619771539),
            (1.0, std::f64::consts::E),
            (2.5, 12.182493960703473),
            (10.125, 24959.255641914595),
            (100.0, 2.6881171418161356e+43),
            (690.0, 4.60460640478299e+299),
        ];
        for (x, e) in reference {
            assert!(ulps(exp(x), e) <= 1, "{x}: {} vs {e}", exp(x));
        }
        assert_eq!(exp(0.0), 1.0);
    }

    #[test]
    fn outside_the_polynomial_range_exp_is_the_platform_exp() {
        for x in [-1000.0, -745.2, -700.5, 700.5, 709.0, 710.0, f64::INFINITY] {
            assert_eq!(exp(x).to_bits(), x.exp().to_bits(), "{x}");
        }
        assert!(exp(f64::NAN).is_nan());
        let xs = [-800.0, 0.5, 720.0, f64::NAN, -3.0];
        let mut out = [0.0; 5];
        exp_into(&xs, &mut out);
        for (o, x) in out.iter().zip(xs) {
            assert!(o.to_bits() == exp(x).to_bits() || (o.is_nan() && x.is_nan()));
        }
    }

    #[test]
    fn block_versions_equal_the_scalar_ones_bit_for_bit() {
        let xs: Vec<f64> = (0..1001).map(|i| (i as f64 - 500.0) * 0.037).collect();
        let mut e = vec![0.0; xs.len()];
        exp_into(&xs, &mut e);
        let mut l = xs.clone();
        logistic_in_place(&mut l);
        for (i, &x) in xs.iter().enumerate() {
            assert_eq!(e[i].to_bits(), exp(x).to_bits());
            assert_eq!(l[i].to_bits(), logistic(x).to_bits());
        }
    }

    #[test]
    fn logistic_matches_its_definition_and_stays_inside_the_unit_interval() {
        for i in -400..=400 {
            let y = i as f64 * 0.1;
            let reference = 1.0 / (1.0 + (-y.clamp(-36.0, 36.0)).exp());
            assert!((logistic(y) - reference).abs() <= 4.0 * f64::EPSILON * reference);
            assert!(logistic(y) > 0.0 && logistic(y) < 1.0, "{y}");
        }
        assert!((logistic(0.0) - 0.5).abs() == 0.0);
    }
}
