//! Internal rate of return and present values of dated cash flows.
//!
//! Owns: the IRR root search and continuous-compounding present values. Must not: allocate or
//! know the contracts. Called in `finish` only (it uses `powf`/`exp`).

/// Lower end of the IRR bracket (annual rate).
pub const IRR_LOW: f64 = -0.9999;
/// Upper end of the IRR bracket (annual rate).
pub const IRR_HIGH: f64 = 100.0;

/// Net present value Σ CF_i · (1 + r)^(−day_i / 365) of `(day, cash flow $)` pairs at annual rate `r`.
pub fn npv_annual(flows: &[(u32, f64)], annual_rate: f64) -> f64 {
    let base = 1.0 + annual_rate;
    flows
        .iter()
        .map(|&(d, cf)| cf * base.powf(-f64::from(d) / crate::scenario::DAYS_PER_YEAR))
        .sum()
}

/// NPV and its derivative d NPV / d r at annual rate `r`, with one `ln` and one `exp` per flow
/// (no `powf`): (1 + r)^(−t) = exp(−t · ln(1 + r)).
fn npv_and_slope(flows: &[(u32, f64)], annual_rate: f64) -> (f64, f64) {
    let base = 1.0 + annual_rate;
    let lb = base.ln();
    let (mut f, mut df) = (0.0, 0.0);
    for &(d, cf) in flows {
        let t = f64::from(d) / crate::scenario::DAYS_PER_YEAR;
        let v = cf * (-t * lb).exp();
        f += v;
        df -= t * v / base;
    }
    (f, df)
}

/// Annual IRR r solving Σ CF_i · (1 + r)^(−day_i/365) = 0 on [−0.9999, 100].
///
/// Returns `Some(-1.0)` (total loss) when money went in and nothing ever came back, and `None`
/// when the flows have no sign change or the NPV does not change sign on the bracket (no IRR
/// in range). Safeguarded Newton: a Newton step when it stays inside the current bracket,
/// bisection otherwise; the bracket always holds the root, so it cannot diverge. Stops when a
/// step is below 1e-12 (relative) or the bracket is narrower than 1e-12.
pub fn irr(flows: &[(u32, f64)]) -> Option<f64> {
    let any_in = flows.iter().any(|&(_, cf)| cf > 0.0);
    let any_out = flows.iter().any(|&(_, cf)| cf < 0.0);
    if any_out && !any_in {
        return Some(-1.0);
    }
    if !any_out {
        return None;
    }
    let (mut lo, mut hi) = (IRR_LOW, IRR_HIGH);
    let f_lo = npv_annual(flows, lo);
    let f_hi = npv_annual(flows, hi);
    if !(f_lo.is_finite() && f_hi.is_finite()) || f_lo.signum() == f_hi.signum() {
        return None;
    }
    let mut x: f64 = 0.1;
    for _ in 0..200 {
        let (f, df) = npv_and_slope(flows, x);
        if f == 0.0 {
            return Some(x);
        }
        if f.signum() == f_lo.signum() {
            lo = x;
        } else {
            hi = x;
        }
        let newton = x - f / df;
        let next = if df != 0.0 && newton.is_finite() && newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        if (next - x).abs() <= 1e-12 * (1.0 + x.abs()) || hi - lo < 1e-12 {
            return Some(next);
        }
        x = next;
    }
    Some(x)
}

/// Discount factor exp(−rate · day / 365) for an annual continuously-compounded rate.
pub fn discount_factor(continuous_rate: f64, day: u32) -> f64 {
    (-continuous_rate * f64::from(day) / crate::scenario::DAYS_PER_YEAR).exp()
}

/// Present value Σ CF_i · exp(−rate · day_i / 365), $.
pub fn pv_continuous(flows: &[(u32, f64)], continuous_rate: f64) -> f64 {
    flows
        .iter()
        .map(|&(d, cf)| cf * discount_factor(continuous_rate, d))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newton_root_zeroes_the_npv_on_loan_like_flows() {
        // Equity-like flows: an outlay, monthly distributions of varying size, a terminal value.
        for (outlay, monthly, growth, terminal) in [
            (-6.0e6, 150e3, -0.01, 2.0e6),
            (-6.0e6, 40e3, 0.0, 0.5e6),
            (-1.0e6, 90e3, 0.02, 0.0),
            (-5.0e6, 10e3, 0.0, 0.0),
        ] {
            let mut flows = vec![(0u32, outlay)];
            for k in 1..=48u32 {
                flows.push((30 * k, monthly * (1.0f64 + growth).powi(k as i32)));
            }
            flows.push((1440, terminal));
            let r = irr(&flows).unwrap();
            let scale: f64 = flows.iter().map(|f| f.1.abs()).sum();
            assert!(npv_annual(&flows, r).abs() < 1e-9 * scale, "{r}");
            assert!(r > IRR_LOW && r < IRR_HIGH);
        }
    }

    #[test]
    fn one_year_doubling_is_100_percent() {
        let r = irr(&[(0, -100.0), (365, 200.0)]).unwrap();
        assert!((r - 1.0).abs() < 1e-9, "{r}");
    }

    #[test]
    fn total_loss_is_minus_one_and_no_outflow_is_none() {
        assert_eq!(irr(&[(0, -100.0), (30, 0.0)]), Some(-1.0));
        assert_eq!(irr(&[(0, 0.0), (30, 5.0)]), None);
    }

    #[test]
    fn level_annuity_irr_matches_its_rate() {
        // 10 % annual rate, annual payments for 3 years on 1000: closed-form annuity payment.
        let r: f64 = 0.10;
        let pmt = 1000.0 * r / (1.0 - (1.0 + r).powi(-3));
        let flows = [(0, -1000.0), (365, pmt), (730, pmt), (1095, pmt)];
        let got = irr(&flows).unwrap();
        assert!((got - r).abs() < 1e-9, "{got}");
    }
}
