//! Validation of the semi-analytic conditional MTM against brute-force nested Monte Carlo.
//!
//! From each (day, state, accruals) the test simulates 20 000 inner paths forward with the market
//! model's own `advance`/`observe`, settles every remaining period exactly as the term sheet says
//! (capacity-weighted average index price × min(hours sold, strike hours) against P_fix × strike
//! hours, at the end of the period's last day) and discounts to the valuation day. Both curve
//! conventions, correlated price/utilization shocks and jumps (normal and double exponential) are
//! switched on. Tolerance: max(3 standard errors, 1 % of the undiscounted remaining fixed leg) —
//! the 1 % covers the documented mid-period-day approximation.

use rand::Rng;
use rand_distr::{Distribution, Exp1};
use tenancy::csa::mtm::{PeriodAccrual, SwapMtm, SwapTermsForMtm};
use tenancy::engine::streams::stream;
use tenancy::market::curve::CurveGrid;
use tenancy::market::jumps::JumpProcess;
use tenancy::market::ou::ExactOu;
use tenancy::market::{logistic, logit, FactorState, MarketModel};
use tenancy::scenario::{CurveConvention, JumpSize, Jumps, MeanCurve, DAYS_PER_YEAR};
use tenancy::shocks::Overlay;

const HORIZON: u32 = 200;

fn model(convention: CurveConvention, rho: f64, size: JumpSize) -> MarketModel {
    let dt = 1.0 / DAYS_PER_YEAR;
    let curve = MeanCurve::Drift {
        initial_usd_per_gpu_hour: 2.2,
        annual_drift: -0.30,
    };
    let s = (1.0 - rho * rho).sqrt();
    MarketModel {
        horizon_days: HORIZON,
        curve: CurveGrid::new(&curve, convention, 2.0, HORIZON),
        price: ExactOu::new(2.0, 0.45, dt),
        jumps: Some(JumpProcess::new(&Jumps {
            intensity_per_year: 4.0,
            size,
        })),
        util: ExactOu::new(6.0, 1.2, dt),
        util_initial_logit: logit(0.45),
        util_long_run_logit: logit(0.75),
        util_ramp_days: 60,
        basis: ExactOu::new(4.0, 0.1, dt),
        basis_mean: -0.05,
        basis_initial: -0.05,
        power: ExactOu::new(0.0, 0.0, dt),
        power_median_usd_per_kwh: 0.08,
        power_stochastic: false,
        chol: [
            [1.0, 0.0, 0.0, 0.0],
            [rho, s, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ],
        commissioning_day: 0,
        inv_theta: Vec::new(),
    }
}

fn terms() -> SwapTermsForMtm {
    let end = 140;
    SwapTermsForMtm {
        fixed_price_usd_per_gpu_hour: 1.9,
        strike_utilization: 0.65,
        period_days: 7,
        // Notional steps down after ten weeks; capacity 512 GPUs × 24 h × 97 %, with two dark days.
        notional_factor_by_day: (0..end).map(|d| if d < 70 { 1.0 } else { 0.8 }).collect(),
        capacity_hours_by_day: (0..end)
            .map(|d| {
                if d == 20 || d == 21 {
                    0.0
                } else {
                    512.0 * 24.0 * 0.97
                }
            })
            .collect(),
        discount_rate: 0.045,
        end_day: end,
    }
}

/// Period sums of one inner path, from first principles.
#[derive(Clone, Copy, Default)]
struct Sums {
    cap: f64,
    price_cap: f64,
    sold: f64,
    strike: f64,
}

/// Nested MC of the trader's value at the end of `day` (or before day 0 is observed when
/// `inception`), returning (mean, standard error).
fn nested(
    m: &MarketModel,
    t: &SwapTermsForMtm,
    day: u32,
    z: f64,
    w: f64,
    start: Sums,
    inception: bool,
    paths: u64,
) -> (f64, f64) {
    let rate_day = t.discount_rate / DAYS_PER_YEAR;
    let pd = t.period_days;
    // Independent inner paths for every valuation point.
    let seed = 1000 + day as u64 + 7919 * (m.curve.lag_step.iter().any(|&x| x != 0.0) as u64);
    let (mut s1, mut s2) = (0.0, 0.0);
    for i in 0..paths {
        let mut rng = stream(seed, i, 0);
        let mut jrng = stream(seed, i, 1);
        let next_jump = m.jumps.as_ref().map_or(f64::INFINITY, |j| {
            let e: f64 = Exp1.sample(&mut jrng);
            day as f64 + e / j.rate_per_day
        });
        let mut st = FactorState {
            day,
            z,
            w,
            next_jump_day: next_jump,
            commissioning_day: 0,
            ..FactorState::default()
        };
        let mut sums = start;
        let mut pv = 0.0;
        let first_day = if inception { day } else { day + 1 };
        for d in first_day..t.end_day {
            if d > st.day {
                let e = m.correlated_normals(&mut rng);
                m.advance(&mut st, &e, &Overlay::NEUTRAL, &mut jrng);
            }
            let f = m.observe(&st, &Overlay::NEUTRAL);
            let c = t.capacity_hours_by_day[d as usize];
            sums.cap += c;
            sums.price_cap += c * f.index_price;
            sums.sold += c * f.utilization;
            sums.strike += t.strike_utilization * c * t.notional_factor_by_day[d as usize];
            let last = (d + 1) % pd == 0 || d + 1 == t.end_day;
            if last {
                let p_ref = if sums.cap > 0.0 {
                    sums.price_cap / sums.cap
                } else {
                    0.0
                };
                let v = p_ref * sums.sold.min(sums.strike);
                let fixed = t.fixed_price_usd_per_gpu_hour * sums.strike;
                pv += (-rate_day * (d - day) as f64).exp() * (v - fixed);
                sums = Sums::default();
            }
        }
        s1 += pv;
        s2 += pv * pv;
    }
    let n = paths as f64;
    let mean = s1 / n;
    let var = (s2 / n - mean * mean).max(0.0) * n / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// Undiscounted fixed leg of the periods not settled at the end of `day`.
fn remaining_fixed(t: &SwapTermsForMtm, day: u32, inception: bool) -> f64 {
    let from = if inception {
        0
    } else {
        (day / t.period_days) * t.period_days
    };
    let until_settled = if inception {
        0
    } else if (day + 1) % t.period_days == 0 {
        day + 1
    } else {
        from
    };
    (until_settled..t.end_day)
        .map(|d| {
            t.fixed_price_usd_per_gpu_hour
                * t.strike_utilization
                * t.capacity_hours_by_day[d as usize]
                * t.notional_factor_by_day[d as usize]
        })
        .sum()
}

fn check(convention: CurveConvention, rho: f64, size: JumpSize) {
    let m = model(convention, rho, size);
    let t = terms();
    let mtm = SwapMtm::new(&m, &t).expect("valid terms");
    // (day, z, w, days of the current period already observed at a hand-set price ratio and
    // utilization, inception?)
    let points: [(u32, f64, f64, bool); 6] = [
        (0, 0.0, 0.0, true),
        (10, 0.3, -0.5, false),
        (33, -0.4, 0.8, false),
        (69, 0.0, 0.0, false),
        (100, -0.25, -0.3, false),
        (131, 0.15, 0.4, false),
    ];
    for (day, z, w, inception) in points {
        let mut acc = PeriodAccrual::default();
        let mut sums = Sums::default();
        if !inception {
            let first = (day / t.period_days) * t.period_days;
            for d in first..=day {
                let price = m.curve.ln_theta[d as usize].exp() * (1.0 + 0.1 * (d % 3) as f64);
                let u = logistic(0.4 + 0.1 * d as f64 % 0.5);
                mtm.accrue(&mut acc, d, price, u);
                let c = t.capacity_hours_by_day[d as usize];
                sums.cap += c;
                sums.price_cap += c * price;
                sums.sold += c * u;
                sums.strike += t.strike_utilization * c * t.notional_factor_by_day[d as usize];
            }
            if (day + 1) % t.period_days == 0 {
                sums = Sums::default();
            }
        }
        let semi = if inception {
            mtm.legs_at_inception(z, w)
                .value(t.fixed_price_usd_per_gpu_hour)
        } else {
            mtm.value(day, z, w, &acc)
        };
        let (mc, se) = nested(&m, &t, day, z, w, sums, inception, 20_000);
        let fixed = remaining_fixed(&t, day, inception);
        let tol = (3.0 * se).max(0.01 * fixed);
        println!(
            "{convention:?} rho {rho} day {day}: semi {semi:.0} nested {mc:.0} ± {se:.0} (diff {:.0}, tol {tol:.0}, fixed leg {fixed:.0})",
            semi - mc
        );
        assert!(
            (semi - mc).abs() <= tol,
            "{convention:?} day {day}: semi {semi} vs nested {mc} ± {se}, tol {tol}"
        );
    }
}

#[test]
fn mtm_matches_nested_monte_carlo_median_convention() {
    check(
        CurveConvention::Median,
        0.5,
        JumpSize::Normal {
            mean: -0.10,
            std: 0.08,
        },
    );
}

#[test]
fn mtm_matches_nested_monte_carlo_reversion_level_convention() {
    check(
        CurveConvention::ReversionLevel,
        -0.4,
        JumpSize::DoubleExponential {
            p_up: 0.3,
            mean_up: 0.08,
            mean_down: 0.12,
        },
    );
}

#[test]
fn legs_are_linear_in_the_fixed_price_and_par_zeroes_the_value() {
    let m = model(
        CurveConvention::Median,
        0.5,
        JumpSize::Normal {
            mean: -0.10,
            std: 0.08,
        },
    );
    let mtm = SwapMtm::new(&m, &terms()).expect("valid terms");
    let legs = mtm.legs(40, 0.1, -0.2, &PeriodAccrual::default());
    let par = legs.par_fixed_price().expect("strike hours remain");
    assert!(legs.value(par).abs() < 1e-6 * legs.variable_usd);
    assert!(legs.value(par + 0.1) < legs.value(par));
    // Higher price and utilization states are worth more to the trader (long price and volume).
    let base = mtm.value(40, 0.0, 0.0, &PeriodAccrual::default());
    assert!(mtm.value(40, 0.2, 0.0, &PeriodAccrual::default()) > base);
    assert!(mtm.value(40, 0.0, 0.3, &PeriodAccrual::default()) > base);
    assert_eq!(mtm.value(140, 0.0, 0.0, &PeriodAccrual::default()), 0.0);
}

/// Timing of one MTM call on a 4-year weekly swap (run with `--ignored --nocapture`).
#[test]
#[ignore]
fn four_year_swap_call_time() {
    let dt = 1.0 / DAYS_PER_YEAR;
    let horizon = 1461;
    let mut m = model(
        CurveConvention::Median,
        0.5,
        JumpSize::Normal {
            mean: -0.10,
            std: 0.08,
        },
    );
    m.horizon_days = horizon;
    m.curve = CurveGrid::new(
        &MeanCurve::Drift {
            initial_usd_per_gpu_hour: 2.2,
            annual_drift: -0.15,
        },
        CurveConvention::Median,
        2.0,
        horizon,
    );
    m.price = ExactOu::new(2.0, 0.35, dt);
    let end = 1460;
    let t = SwapTermsForMtm {
        notional_factor_by_day: vec![1.0; end as usize],
        capacity_hours_by_day: vec![11_919.0; end as usize],
        end_day: end,
        ..terms()
    };
    let built = std::time::Instant::now();
    let mtm = SwapMtm::new(&m, &t).expect("valid terms");
    println!("build {:?}", built.elapsed());
    let mut rng = stream(1, 0, 0);
    let n = 200_000;
    let states: Vec<(u32, f64, f64)> = (0..n)
        .map(|_| {
            (
                rng.random_range(0..end / 4),
                rng.random::<f64>() - 0.5,
                0.7 * (rng.random::<f64>() - 0.5),
            )
        })
        .collect();
    let acc = PeriodAccrual::default();
    let start = std::time::Instant::now();
    let mut s = 0.0;
    for &(d, z, w) in &states {
        s += mtm.value(std::hint::black_box(d), z, w, &acc);
    }
    println!(
        "{:.2} µs per call ({s:.3e})",
        start.elapsed().as_secs_f64() * 1e6 / n as f64
    );
}
