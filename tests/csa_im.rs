//! Initial margin: the stress IM on a deterministic market (all σ = 0, no jumps) against a hand
//! computation of the two settlement paths, and monotonicity: a harsher stress never lowers the
//! stress IM, a higher quantile never lowers the var IM, more IM never lowers coverage.

use proptest::prelude::*;
use tenancy::csa::im::{coverage, initial_margin_usd, mpor_losses, stress_im, var_im_usd};
use tenancy::csa::mtm::{SwapMtm, SwapTermsForMtm};
use tenancy::market::curve::CurveGrid;
use tenancy::market::jumps::JumpProcess;
use tenancy::market::ou::ExactOu;
use tenancy::market::{logistic, logit, MarketModel};
use tenancy::scenario::{
    CurveConvention, InitialMargin, JumpSize, Jumps, MeanCurve, StressSpec, DAYS_PER_YEAR,
};

const END: u32 = 364;
const CAP: f64 = 512.0 * 24.0 * 0.97;

fn model(sigma: f64, sigma_u: f64, jumps: bool) -> MarketModel {
    let dt = 1.0 / DAYS_PER_YEAR;
    let curve = MeanCurve::Drift {
        initial_usd_per_gpu_hour: 2.2,
        annual_drift: -0.15,
    };
    MarketModel {
        horizon_days: 400,
        curve: CurveGrid::new(&curve, CurveConvention::Median, 2.0, 400),
        price: ExactOu::new(2.0, sigma, dt),
        jumps: jumps.then(|| {
            JumpProcess::new(&Jumps {
                intensity_per_year: 0.5,
                size: JumpSize::Normal {
                    mean: -0.1,
                    std: 0.08,
                },
            })
        }),
        util: ExactOu::new(6.0, sigma_u, dt),
        util_initial_logit: logit(0.75),
        util_long_run_logit: logit(0.75),
        util_ramp_days: 0,
        basis: ExactOu::new(4.0, 0.0, dt),
        basis_mean: 0.0,
        basis_initial: 0.0,
        power: ExactOu::new(0.0, 0.0, dt),
        power_median_usd_per_kwh: 0.08,
        power_stochastic: false,
        chol: [
            [1.0, 0.0, 0.0, 0.0],
            [0.5, 0.75f64.sqrt(), 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ],
        commissioning_day: 0,
        inv_theta: Vec::new(),
    }
}

fn terms() -> SwapTermsForMtm {
    SwapTermsForMtm {
        fixed_price_usd_per_gpu_hour: 1.9,
        strike_utilization: 0.65,
        period_days: 7,
        notional_factor_by_day: vec![1.0; END as usize],
        capacity_hours_by_day: vec![CAP; END as usize],
        discount_rate: 0.045,
        end_day: END,
    }
}

/// Present value at inception of the trader's variable leg on a deterministic daily path.
fn variable_leg_pv(price: impl Fn(u32) -> f64, util: impl Fn(u32) -> f64) -> f64 {
    let k = 0.65 * CAP * 7.0;
    (0..END / 7)
        .map(|p| {
            let days = p * 7..p * 7 + 7;
            let p_ref = days.clone().map(&price).sum::<f64>() / 7.0;
            let sold: f64 = days.map(|d| CAP * util(d)).sum();
            let settle_day = p * 7 + 6;
            (-0.045 * settle_day as f64 / 365.0).exp() * p_ref * sold.min(k)
        })
        .sum()
}

#[test]
fn deterministic_stress_im_matches_a_hand_computation() {
    let m = model(0.0, 0.0, false);
    let mtm = SwapMtm::new(&m, &terms()).unwrap();
    let spec = StressSpec {
        price_change: -0.5,
        utilization: 0.2,
        days: 30,
    };
    let im = stress_im(&mtm, &spec).unwrap();

    // By hand: with no noise both paths are deterministic and the fixed legs cancel, so the loss
    // is the PV of the base variable leg minus the PV of the stressed one.
    let theta = |d: u32| 2.2 * 0.85f64.powf(d as f64 / 365.0);
    let a = (-2.0f64 / 365.0).exp();
    let a_u = (-6.0f64 / 365.0).exp();
    let base = variable_leg_pv(theta, |_| 0.75);
    let w0 = logit(0.2) - logit(0.75);
    let stressed = variable_leg_pv(
        |d| {
            if d < 30 {
                0.5 * theta(d)
            } else {
                theta(d) * (0.5f64.ln() * a.powi(d as i32 - 29)).exp()
            }
        },
        |d| {
            if d < 30 {
                0.2
            } else {
                logistic(logit(0.75) + w0 * a_u.powi(d as i32 - 29))
            }
        },
    );
    let expected = base - stressed;
    println!("stress IM {:.0} vs hand {expected:.0} ({im:?})", im.im_usd);
    assert!(expected > 0.0);
    // The MTM represents each period by its mid day: 0.1 % of the loss covers that.
    assert!(
        (im.im_usd - expected).abs() <= 0.001 * expected,
        "stress IM {} vs hand {expected}",
        im.im_usd
    );
    // Parts add up, and four periods (days 0..27) settle inside the 30-day window.
    assert!((im.mtm_before_usd - im.settlements_usd - im.mtm_after_usd - im.loss_usd).abs() < 1e-6);
    assert!(
        im.settlements_usd < 0.0,
        "the trader pays the fixed leg on a crushed variable leg"
    );
    let via_method = initial_margin_usd(&InitialMargin::Stress(spec), &mtm, None).unwrap();
    assert_eq!(via_method, im.im_usd);
}

#[test]
fn harsher_stress_never_lowers_the_stress_im() {
    let m = model(0.35, 1.2, true);
    let mtm = SwapMtm::new(&m, &terms()).unwrap();
    let im = |price_change, utilization, days| {
        stress_im(
            &mtm,
            &StressSpec {
                price_change,
                utilization,
                days,
            },
        )
        .unwrap()
        .im_usd
    };
    let mild = im(-0.2, 0.5, 10);
    assert!(im(-0.5, 0.5, 10) >= mild);
    assert!(im(-0.2, 0.2, 10) >= mild);
    assert!(im(-0.2, 0.5, 30) >= mild);
    let mut last = 0.0;
    for pc in [0.0, -0.1, -0.3, -0.5, -0.7] {
        let x = im(pc, 0.2, 30);
        assert!(x >= last, "price change {pc}: {x} < {last}");
        last = x;
    }
    assert!(last > 0.0);
}

#[test]
fn var_im_needs_a_pilot_and_rises_with_the_quantile() {
    let m = model(0.35, 1.2, true);
    let mtm = SwapMtm::new(&m, &terms()).unwrap();
    assert!(initial_margin_usd(&InitialMargin::Var { quantile: 0.99 }, &mtm, None).is_err());
    let mut losses: Vec<f64> = (0..1000)
        .map(|i| ((i * 7919) % 1000) as f64 - 300.0)
        .collect();
    losses.sort_by(f64::total_cmp);
    let mut last = f64::NEG_INFINITY;
    for q in [0.5, 0.9, 0.95, 0.99, 0.999] {
        let x =
            initial_margin_usd(&InitialMargin::Var { quantile: q }, &mtm, Some(&losses)).unwrap();
        assert!(x >= last);
        // Coverage of the var IM on its own sample is at least the quantile.
        assert!(coverage(&losses, x) >= q);
        last = x;
    }
    assert_eq!(var_im_usd(&losses, 0.99).unwrap(), 689.0);
}

proptest! {
    #[test]
    fn more_im_never_lowers_coverage(
        values in prop::collection::vec(-1e6f64..1e6, 2..60),
        settles in prop::collection::vec(-1e5f64..1e5, 60),
        mpor in 1u32..10,
        im_a in 0f64..2e6,
        extra in 0f64..1e6,
    ) {
        let losses = mpor_losses(&values, &settles, mpor);
        let lo = coverage(&losses, im_a);
        let hi = coverage(&losses, im_a + extra);
        prop_assert!(hi >= lo);
        prop_assert!((0.0..=1.0).contains(&lo));
    }
}
