//! The interpolated MTM fast path (`MtmSurface`) against the semi-analytic `SwapMtm` it tabulates,
//! on the base scenario's swap (4 years, weekly periods, 65 % strike).
//!
//! Accuracy: at random (day, Z, W) states — Z and W drawn from their stationary laws, plus far
//! tails up to the grid edges and days within the last periods — the surface's legs must match
//! `SwapMtm::legs` within 0.05 % of the remaining undiscounted fixed leg P_fix·ΣK (computed here
//! from the terms). Outside the grid the surface must return the exact value bit for bit.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use tenancy::csa::mtm::{PeriodAccrual, SwapMtm, SwapTermsForMtm};
use tenancy::csa::surface::MtmSurface;
use tenancy::engine::run::horizon_days;
use tenancy::engine::streams::stream;
use tenancy::market::MarketModel;
use tenancy::scenario::{load_embedded_base, FixedPrice, Scenario};

/// Worst error allowed in the far tails (up to the grid edges, 6+ standard deviations), as a
/// fraction of the remaining fixed leg.
const TAIL_TOLERANCE: f64 = 1e-3;

struct Setup {
    m: MarketModel,
    terms: SwapTermsForMtm,
    mtm: SwapMtm,
}

fn base() -> Setup {
    let s: Scenario = load_embedded_base(&[]).expect("base scenario").scenario;
    let m = MarketModel::new(&s, horizon_days(&s));
    let end = s.loan.tenor_months * s.loan.payment_interval_days;
    let fixed = match s.swap.fixed_price {
        FixedPrice::Usd(p) => p,
        FixedPrice::Par => 2.0,
    };
    let cap = s.cluster.gpus as f64 * s.cluster.hours_per_day * s.cluster.availability;
    let terms = SwapTermsForMtm {
        fixed_price_usd_per_gpu_hour: fixed,
        strike_utilization: s.swap.strike_utilization,
        period_days: s.swap.period_days,
        notional_factor_by_day: vec![1.0; end as usize],
        capacity_hours_by_day: (0..end)
            .map(|d| if d < m.commissioning_day { 0.0 } else { cap })
            .collect(),
        discount_rate: s.simulation.discount_rate,
        end_day: end,
    };
    let mtm = SwapMtm::new(&m, &terms).expect("valid terms");
    Setup { m, terms, mtm }
}

/// P_fix·ΣK over the periods not settled at the end of `day`, undiscounted, from the terms.
fn remaining_fixed_leg_usd(t: &SwapTermsForMtm, day: u32) -> f64 {
    let pd = t.period_days;
    let p = day / pd;
    let first = if day == ((p + 1) * pd).min(t.end_day) - 1 {
        (p + 1) * pd
    } else {
        p * pd
    };
    let hours: f64 = (first..t.end_day)
        .map(|d| t.capacity_hours_by_day[d as usize] * t.notional_factor_by_day[d as usize])
        .sum();
    t.fixed_price_usd_per_gpu_hour * t.strike_utilization * hours
}

/// Accruals of the days of `day`'s period up to `day` at a flat price and utilization.
fn accrual(mtm: &SwapMtm, day: u32, price: f64, util: f64) -> PeriodAccrual {
    let mut acc = PeriodAccrual::default();
    let first = day - day % 7;
    for d in first..=day {
        mtm.accrue(&mut acc, d, price, util);
    }
    acc
}

fn stationary_sd(step_sd: f64, a: f64) -> f64 {
    step_sd / (1.0 - a * a).sqrt()
}

/// Worst error over the random states as a fraction of the remaining undiscounted fixed leg, with
/// the state where it occurs, and the number of states inside the grid.
fn worst_error(
    m: &MarketModel,
    terms: &SwapTermsForMtm,
    mtm: &SwapMtm,
    surface: &MtmSurface,
    n: usize,
) -> [(f64, (u32, f64, f64)); 2] {
    let end = terms.end_day;
    let sd_z = stationary_sd(m.price.sd, m.price.a);
    let sd_w = stationary_sd(m.util.sd, m.util.a);
    let (w_lo, w_hi) = surface.w_range();
    let mut rng = stream(11, 0, 0);
    // [stationary draws, far tails]: worst error and where.
    let mut worst = [(0.0f64, (0, 0.0, 0.0)); 2];
    for i in 0..n {
        let day = if i % 5 == 4 {
            // Near the swap's end: the last four periods (on the last day nothing remains).
            end - 2 - rng.random_range(0..27)
        } else {
            rng.random_range(0..end - 1)
        };
        let (z_lo, z_hi) = surface.z_range(day).expect("day in range");
        let tail = i % 4 == 3;
        let (z, w) = if tail {
            // Far tails: anywhere in the grid, edges included.
            (
                z_lo + (z_hi - z_lo) * rng.random::<f64>(),
                w_lo + (w_hi - w_lo) * rng.random::<f64>(),
            )
        } else {
            let gz: f64 = StandardNormal.sample(&mut rng);
            let gw: f64 = StandardNormal.sample(&mut rng);
            (
                mtm.base_z(day).expect("day in range") + sd_z * gz,
                sd_w * gw,
            )
        };
        let price = mtm.base_log_price(day).expect("day in range").exp() * z.exp();
        let util = 0.3 + 0.6 * rng.random::<f64>();
        let acc = accrual(mtm, day, price, util);
        assert!(
            surface.covers(day, z, w),
            "({day}, {z}, {w}) outside the grid"
        );
        let exact = mtm.legs(day, z, w, &acc);
        let fast = surface.legs(mtm, day, z, w, &acc);
        assert!(fast.variable_usd.is_finite() && fast.fixed_gpu_hours.is_finite());
        let scale = remaining_fixed_leg_usd(terms, day);
        assert!(scale > 0.0);
        let err = (fast.variable_usd - exact.variable_usd).abs()
            + terms.fixed_price_usd_per_gpu_hour
                * (fast.fixed_gpu_hours - exact.fixed_gpu_hours).abs();
        let slot = &mut worst[usize::from(tail)];
        if err / scale > slot.0 {
            *slot = (err / scale, (day, z, w));
        }
    }
    worst
}

#[test]
fn surface_matches_the_semi_analytic_mtm_within_five_basis_points_of_the_fixed_leg() {
    let Setup { m, terms, mtm } = base();
    let surface = MtmSurface::new(&mtm, &m);
    let n = 2_400;
    let [(stat, stat_at), (tail, tail_at)] = worst_error(&m, &terms, &mtm, &surface, n);
    println!("worst error: stationary {stat:.2e} at {stat_at:?}, tails {tail:.2e} at {tail_at:?}");
    assert!(
        stat <= 5e-4,
        "stationary draws: worst error {stat:.2e} of the remaining fixed leg at {stat_at:?}"
    );
    assert!(
        tail <= TAIL_TOLERANCE,
        "far tails: worst error {tail:.2e} of the remaining fixed leg at {tail_at:?}"
    );
}

#[test]
fn outside_the_grid_the_surface_returns_the_exact_value() {
    let Setup { m, mtm, .. } = base();
    let surface = MtmSurface::with_nodes(&mtm, &m, 9, 9);
    let (w_lo, w_hi) = surface.w_range();
    for day in [0, 3, 6, 500, 1000, mtm.end_day() - 9] {
        let (z_lo, z_hi) = surface.z_range(day).expect("day in range");
        let acc = accrual(&mtm, day, 2.0, 0.7);
        let zm = 0.5 * (z_lo + z_hi);
        for (z, w) in [
            (z_hi + 1e-9, 0.0),
            (z_lo - 0.3, 0.0),
            (zm, w_hi + 1e-9),
            (zm, w_lo - 1.0),
            (z_hi + 2.0, w_hi + 2.0),
        ] {
            assert!(!surface.covers(day, z, w));
            assert_eq!(
                surface.legs(&mtm, day, z, w, &acc),
                mtm.legs(day, z, w, &acc),
                "day {day}, z {z}, w {w}"
            );
        }
        // Just inside the grid the interpolated value is used (and close).
        assert!(surface.covers(day, z_hi, w_hi));
    }
    // After the swap both are zero.
    let end = mtm.end_day();
    assert_eq!(
        surface.legs(&mtm, end, 0.0, 0.0, &PeriodAccrual::default()),
        mtm.legs(end, 0.0, 0.0, &PeriodAccrual::default())
    );
}

/// Build and per-call timing (run with `--ignored --nocapture`; not an assertion).
#[test]
#[ignore]
fn surface_timing() {
    let Setup { m, terms, mtm } = base();
    for (nz, nw) in [(17, 17), (25, 25), (25, 49), (33, 33), (49, 49)] {
        let t0 = std::time::Instant::now();
        let surface = MtmSurface::with_nodes(&mtm, &m, nz, nw);
        println!(
            "{nz}x{nw}: build {:?}, {:.1} MB",
            t0.elapsed(),
            surface.memory_bytes() as f64 / 1e6
        );
        let [(stat, stat_at), (tail, tail_at)] = worst_error(&m, &terms, &mtm, &surface, 2_400);
        println!(
            "  worst error: stationary {stat:.2e} at {stat_at:?}, tails {tail:.2e} at {tail_at:?}"
        );
        let end = terms.end_day;
        let mut rng = stream(12, 0, 0);
        let sd_z = stationary_sd(m.price.sd, m.price.a);
        let sd_w = stationary_sd(m.util.sd, m.util.a);
        // Path order, as the engine calls it: every day of a path, then the next path.
        let paths = 200;
        let states: Vec<(u32, f64, f64, PeriodAccrual)> = (0..paths * end)
            .map(|i| {
                let day = i % end;
                let gz: f64 = StandardNormal.sample(&mut rng);
                let gw: f64 = StandardNormal.sample(&mut rng);
                (day, sd_z * gz, sd_w * gw, accrual(&mtm, day, 2.0, 0.7))
            })
            .collect();
        let n = states.len();
        let time = |f: &dyn Fn(u32, f64, f64, &PeriodAccrual) -> f64, take: usize| {
            // Best of three passes (the machine is shared).
            (0..3)
                .map(|_| {
                    let t = std::time::Instant::now();
                    let mut s = 0.0;
                    for (d, z, w, acc) in states.iter().take(take) {
                        s += f(std::hint::black_box(*d), *z, *w, acc);
                    }
                    std::hint::black_box(s);
                    t.elapsed().as_secs_f64() * 1e9 / take as f64
                })
                .fold(f64::INFINITY, f64::min)
        };
        let fast = time(&|d, z, w, a| surface.legs(&mtm, d, z, w, a).variable_usd, n);
        // The last day of each period: no running-period term, the table alone.
        let table = time(
            &|d, z, w, a| {
                let d = (d - d % 7 + 6).min(end - 1);
                surface.legs(&mtm, d, z, w, a).variable_usd
            },
            n,
        );
        let exact = time(&|d, z, w, a| mtm.legs(d, z, w, a).variable_usd, n / 50);
        println!(
            "  surface {fast:.0} ns per call ({table:.0} ns without a running period), \
             exact {exact:.0} ns"
        );
    }
}
