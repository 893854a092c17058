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

/// Annual IRR r solving Σ CF_i · (1 + r)^(−day_i/365) = 0, by bisection on [−0.9999, 100].
///
/// Returns `Some(-1.0)` (total loss) when money went in and nothing ever came back, and `None`
/// when the flows have no sign change or the NPV does not change sign on the bracket (no IRR
/// in range). Bisection runs to a bracket width of 1e-12 (≤ 60 iterations).
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
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        let f_mid = npv_annual(flows, mid);
        if f_mid == 0.0 {
            return Some(mid);
        }
        if f_mid.signum() == f_lo.signum() {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-12 {
            break;
        }
    }
    Some(0.5 * (lo + hi))
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
