//! Behaviour of `shocks::PathShocks` through its public API: each target moves its overlay field
//! in the documented direction by the documented amount, shapes and arrivals follow their
//! definitions, Poisson counts have the right mean and variance, and switching one shock off
//! leaves the others' draws alone.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use tenancy::scenario::{Arrival, Layer, Magnitude, Shape, Shock, ShockTarget};
use tenancy::shocks::{Overlay, PathShocks, MIN_RELATIVE_CHANGE};

/// A stream per (seed, path, shock), as the engine does (any deterministic mixing will do here).
fn stream(seed: u64, path: u64, shock: usize) -> Xoshiro256PlusPlus {
    let key = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(path.wrapping_mul(0xBF58_476D_1CE4_E5B9))
        .wrapping_add((1000 + shock as u64).wrapping_mul(0x94D0_49BB_1331_11EB));
    Xoshiro256PlusPlus::seed_from_u64(key)
}

fn shock(target: ShockTarget, arrival: Arrival, magnitude: Magnitude, shape: Shape) -> Shock {
    Shock {
        name: format!("{target:?}"),
        layer: Layer(0),
        arrival,
        magnitude,
        shape,
        target,
        demand_elasticity: 0.0,
    }
}

fn step_at(target: ShockTarget, day: u32, m: f64) -> Shock {
    shock(
        target,
        Arrival::FixedDay(day),
        Magnitude::Fixed(m),
        Shape::Step,
    )
}

fn drawn(shocks: &[Shock], horizon: u32, path: u64) -> PathShocks {
    let mut p = PathShocks::new(shocks);
    p.redraw(shocks, horizon, &vec![true; shocks.len()], |i| {
        stream(7, path, i)
    });
    p
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn each_target_moves_its_field_in_the_documented_direction() {
    use ShockTarget::*;
    // (target, magnitude, check on the overlay of the arrival day)
    type Check = fn(&Overlay) -> bool;
    let cases: Vec<(ShockTarget, f64, Check)> = vec![
        (PriceLevel, -0.2, |o| close(o.price_level_log, 0.8f64.ln())),
        (PriceMeanCurve, -0.3, |o| {
            close(o.price_mean_log, 0.7f64.ln())
        }),
        (UtilizationMean, 0.05, |o| close(o.util_mean_points, 0.05)),
        (UtilizationLevel, 0.2, |o| o.util_level == Some((1.0, 0.2))),
        (Capacity, 0.25, |o| close(o.capacity_factor, 0.75)),
        (OperatorBasis, -0.1, |o| close(o.basis_log, -0.1)),
        (PowerPrice, 0.5, |o| close(o.power_mult, 1.5)),
        (Opex, 0.1, |o| close(o.opex_mult, 1.1)),
        (CollateralValue, -0.3, |o| close(o.collateral_mult, 0.7)),
        (IndexMethodology, 0.1, |o| close(o.index_log, 1.1f64.ln())),
    ];
    for (target, m, check) in cases {
        let shocks = [step_at(target, 10, m)];
        let p = drawn(&shocks, 100, 0);
        assert!(
            p.overlay(9).is_neutral(),
            "{target:?} acts before it arrives"
        );
        let o = p.overlay(10);
        assert!(check(&o), "{target:?} with magnitude {m}: {o:?}");
        // Exactly one field differs from neutral.
        let n = Overlay::NEUTRAL;
        let differs = [
            o.price_level_log != n.price_level_log,
            o.price_mean_log != n.price_mean_log,
            o.util_mean_points != n.util_mean_points,
            o.util_level != n.util_level,
            o.capacity_factor != n.capacity_factor,
            o.basis_log != n.basis_log,
            o.index_log != n.index_log,
            o.power_mult != n.power_mult,
            o.opex_mult != n.opex_mult,
            o.collateral_mult != n.collateral_mult,
        ];
        assert_eq!(
            differs.iter().filter(|&&d| d).count(),
            1,
            "{target:?}: {o:?}"
        );
        assert_eq!(p.commissioning_delay_days(), 0);
    }
}

#[test]
fn commissioning_date_delays_and_leaves_the_overlay_neutral() {
    let shocks = [
        step_at(ShockTarget::CommissioningDate, 0, 120.0),
        step_at(ShockTarget::CommissioningDate, 30, 44.6),
        step_at(ShockTarget::CommissioningDate, 40, -10.0),
    ];
    let p = drawn(&shocks, 400, 0);
    assert_eq!(p.commissioning_delay_days(), 120 + 45);
    assert!((0..400).all(|d| p.overlay(d).is_neutral()));
    assert_eq!(p.first_effect_day(), None);
}

#[test]
fn probability_zero_is_neutral_every_day_on_every_path() {
    let shocks = [
        shock(
            ShockTarget::PriceLevel,
            Arrival::Probability {
                probability: 0.0,
                first_day: 0,
                last_day: 364,
            },
            Magnitude::Normal {
                mean: -0.3,
                std: 0.1,
            },
            Shape::Step,
        ),
        shock(
            ShockTarget::CommissioningDate,
            Arrival::Probability {
                probability: 0.0,
                first_day: 0,
                last_day: 0,
            },
            Magnitude::Fixed(90.0),
            Shape::Step,
        ),
    ];
    let mut p = PathShocks::new(&shocks);
    for path in 0..200 {
        p.redraw(&shocks, 365, &[true, true], |i| stream(1, path, i));
        assert!(p.occurrences().is_empty());
        assert_eq!(p.commissioning_delay_days(), 0);
        assert!((0..365).all(|d| p.overlay(d) == Overlay::NEUTRAL));
    }
}

#[test]
fn probability_one_arrives_uniformly_inside_its_window() {
    let shocks = [shock(
        ShockTarget::Capacity,
        Arrival::Probability {
            probability: 1.0,
            first_day: 100,
            last_day: 199,
        },
        Magnitude::Fixed(0.5),
        Shape::Step,
    )];
    let mut p = PathShocks::new(&shocks);
    let n = 4000;
    let mut sum = 0.0;
    for path in 0..n {
        p.redraw(&shocks, 365, &[true], |i| stream(2, path, i));
        let occ = p.occurrences();
        assert_eq!(occ.len(), 1);
        assert!((100..=199).contains(&occ[0].day));
        sum += f64::from(occ[0].day);
        assert_eq!(p.first_effect_day(), Some(occ[0].day));
    }
    // Discrete uniform on 100..=199: mean 149.5, variance (100² − 1)/12.
    let se = ((100.0f64 * 100.0 - 1.0) / 12.0 / n as f64).sqrt();
    assert!((sum / n as f64 - 149.5).abs() < 4.0 * se);
}

#[test]
fn probability_p_arrives_on_a_fraction_p_of_paths() {
    let p_true = 0.3;
    let shocks = [shock(
        ShockTarget::OperatorBasis,
        Arrival::Probability {
            probability: p_true,
            first_day: 0,
            last_day: 999,
        },
        Magnitude::Fixed(-0.1),
        Shape::Step,
    )];
    let mut p = PathShocks::new(&shocks);
    let n = 5000;
    let hits = (0..n)
        .filter(|&path| {
            p.redraw(&shocks, 1000, &[true], |i| stream(3, path, i));
            !p.occurrences().is_empty()
        })
        .count();
    let se = (p_true * (1.0 - p_true) / n as f64).sqrt();
    assert!(
        (hits as f64 / n as f64 - p_true).abs() < 4.0 * se,
        "{hits} of {n}"
    );
}

#[test]
fn fixed_day_step_arrives_exactly_that_day_and_stays() {
    let shocks = [step_at(ShockTarget::PriceLevel, 365, -0.5)];
    let p = drawn(&shocks, 730, 0);
    assert!(p.overlay(364).is_neutral());
    for day in [365, 366, 500, 729] {
        assert!(
            close(p.overlay(day).price_level_log, 0.5f64.ln()),
            "day {day}"
        );
    }
    // A fixed day at or past the horizon never arrives.
    let late = [step_at(ShockTarget::PriceLevel, 730, -0.5)];
    assert!(drawn(&late, 730, 0).occurrences().is_empty());
}

#[test]
fn pulse_ends_after_its_days() {
    let shocks = [shock(
        ShockTarget::UtilizationLevel,
        Arrival::FixedDay(50),
        Magnitude::Fixed(0.2),
        Shape::Pulse { days: 30 },
    )];
    let p = drawn(&shocks, 200, 0);
    assert_eq!(p.overlay(49).util_level, None);
    assert_eq!(p.overlay(50).util_level, Some((1.0, 0.2)));
    assert_eq!(p.overlay(79).util_level, Some((1.0, 0.2)));
    assert!(p.overlay(80).is_neutral());
    assert!(p.overlay(199).is_neutral());
}

#[test]
fn decay_halves_after_the_half_life() {
    let shocks = [shock(
        ShockTarget::PriceLevel,
        Arrival::FixedDay(20),
        Magnitude::Fixed(0.4),
        Shape::Decay {
            half_life_days: 15.0,
        },
    )];
    let p = drawn(&shocks, 200, 0);
    let at = |d| p.overlay(d).price_level_log;
    assert!(close(at(20), 1.4f64.ln()));
    assert!(close(at(35), 0.5 * at(20)));
    assert!(close(at(50), 0.25 * at(20)));
    assert!(at(199) > 0.0 && at(199) < at(50));
}

#[test]
fn ramp_reaches_full_weight_after_its_days() {
    let shocks = [shock(
        ShockTarget::PriceMeanCurve,
        Arrival::FixedDay(0),
        Magnitude::Fixed(-0.3),
        Shape::Ramp { days: 100 },
    )];
    let p = drawn(&shocks, 300, 0);
    let full = 0.7f64.ln();
    assert_eq!(p.overlay(0).price_mean_log, 0.0);
    assert!(close(p.overlay(25).price_mean_log, 0.25 * full));
    assert!(close(p.overlay(100).price_mean_log, full));
    assert!(close(p.overlay(299).price_mean_log, full));
}

#[test]
fn shocks_on_the_same_day_combine() {
    let shocks = [
        step_at(ShockTarget::PriceLevel, 10, -0.2),
        step_at(ShockTarget::PriceLevel, 20, 0.1),
        step_at(ShockTarget::Capacity, 10, 0.5),
        step_at(ShockTarget::Capacity, 20, 0.5),
        shock(
            ShockTarget::UtilizationLevel,
            Arrival::FixedDay(10),
            Magnitude::Fixed(0.2),
            Shape::Ramp { days: 2 },
        ),
        shock(
            ShockTarget::UtilizationLevel,
            Arrival::FixedDay(11),
            Magnitude::Fixed(0.6),
            Shape::Ramp { days: 2 },
        ),
    ];
    let p = drawn(&shocks, 100, 0);
    let o = p.overlay(20);
    // Log shifts add: price × 0.8 × 1.1.
    assert!(close(o.price_level_log.exp(), 0.8 * 1.1));
    // Capacity factors multiply.
    assert!(close(o.capacity_factor, 0.25));
    // Utilization level on day 12: first shock at weight 1 (level 0.2), then the second at
    // weight 1/2 (level 0.6), applied in arrival order to any u.
    let (w, level) = p.overlay(12).util_level.expect("both level shocks act");
    for u in [0.0, 0.5, 0.9] {
        let sequential = 0.5 * ((1.0 - 1.0) * u + 0.2) + 0.5 * 0.6;
        assert!(close((1.0 - w) * u + w * level, sequential));
    }
    // Day 11: first at weight 1/2, second at weight 0.
    let (w, level) = p.overlay(11).util_level.expect("first level shock acts");
    assert!(close(w, 0.5) && close(level, 0.2));
}

#[test]
fn demand_elasticity_adds_utilization_points_when_price_falls() {
    let mut s = shock(
        ShockTarget::PriceLevel,
        Arrival::FixedDay(0),
        Magnitude::Fixed(-0.25),
        Shape::Ramp { days: 10 },
    );
    s.demand_elasticity = 0.2;
    let p = drawn(&[s], 50, 0);
    // e × (−m) × w = 0.2 × 0.25 × w.
    assert!(close(p.overlay(5).util_mean_points, 0.05 * 0.5));
    assert!(close(p.overlay(30).util_mean_points, 0.05));
    assert!(p.overlay(30).price_level_log < 0.0);
}

#[test]
fn extreme_magnitudes_stay_finite_and_monotone() {
    let shocks = [
        step_at(ShockTarget::PriceLevel, 0, -1.5),
        step_at(ShockTarget::PowerPrice, 0, -3.0),
        step_at(ShockTarget::Capacity, 0, 2.0),
        step_at(ShockTarget::UtilizationLevel, 0, 1.7),
    ];
    let o = drawn(&shocks, 10, 0).overlay(3);
    assert!(close(o.price_level_log, (1.0 + MIN_RELATIVE_CHANGE).ln()));
    assert!(o.power_mult > 0.0 && o.power_mult.is_finite());
    assert_eq!(o.capacity_factor, 0.0);
    assert_eq!(o.util_level, Some((1.0, 1.0)));
    // Monotone in the magnitude: a larger fall never gives a higher price.
    let mut last = f64::INFINITY;
    for m in [-0.995, -0.99, -0.9, -0.5, 0.0, 0.5, 3.0] {
        let v = drawn(&[step_at(ShockTarget::PriceLevel, 0, m)], 5, 0)
            .overlay(0)
            .price_level_log;
        assert!(v.is_finite() && v <= last.max(v) && (last == f64::INFINITY || v >= last));
        last = v;
    }
}

#[test]
fn poisson_counts_match_rate_times_horizon_in_mean_and_variance() {
    let rate_per_year = 4.0;
    let horizon = 730;
    let shocks = [shock(
        ShockTarget::Capacity,
        Arrival::Poisson { rate_per_year },
        Magnitude::Uniform {
            low: 0.1,
            high: 0.3,
        },
        Shape::Pulse { days: 3 },
    )];
    let lambda = rate_per_year * f64::from(horizon) / 365.0;
    let mut p = PathShocks::new(&shocks);
    let n = 4000usize;
    let counts: Vec<f64> = (0..n as u64)
        .map(|path| {
            p.redraw(&shocks, horizon, &[true], |i| stream(4, path, i));
            for o in p.occurrences() {
                assert!(o.day < horizon && (0.1..0.3).contains(&o.magnitude));
            }
            p.occurrences().len() as f64
        })
        .collect();
    let mean = counts.iter().sum::<f64>() / n as f64;
    let var = counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0);
    // Poisson(λ): SE of the mean √(λ/n); SE of the sample variance √((μ₄ − σ⁴)/n) with
    // μ₄ = λ(1 + 3λ), σ⁴ = λ².
    let se_mean = (lambda / n as f64).sqrt();
    let se_var = ((lambda * (1.0 + 3.0 * lambda) - lambda * lambda) / n as f64).sqrt();
    assert!(
        (mean - lambda).abs() < 4.0 * se_mean,
        "mean {mean} vs {lambda}"
    );
    assert!(
        (var - lambda).abs() < 4.0 * se_var,
        "variance {var} vs {lambda}"
    );
}

#[test]
fn disabling_a_shock_leaves_the_others_draws_unchanged() {
    let shocks = [
        shock(
            ShockTarget::PriceLevel,
            Arrival::Probability {
                probability: 0.7,
                first_day: 0,
                last_day: 300,
            },
            Magnitude::Normal {
                mean: -0.2,
                std: 0.1,
            },
            Shape::Decay {
                half_life_days: 40.0,
            },
        ),
        shock(
            ShockTarget::OperatorBasis,
            Arrival::Poisson { rate_per_year: 3.0 },
            Magnitude::Normal {
                mean: -0.05,
                std: 0.02,
            },
            Shape::Pulse { days: 20 },
        ),
        shock(
            ShockTarget::Capacity,
            Arrival::Poisson { rate_per_year: 5.0 },
            Magnitude::Uniform {
                low: 0.1,
                high: 0.4,
            },
            Shape::Pulse { days: 3 },
        ),
    ];
    let horizon = 365;
    let mut all = PathShocks::new(&shocks);
    let mut without = PathShocks::new(&shocks);
    let mut basis_seen = false;
    for path in 0..100 {
        all.redraw(&shocks, horizon, &[true, true, true], |i| {
            stream(5, path, i)
        });
        let mut asked = Vec::new();
        without.redraw(&shocks, horizon, &[true, false, true], |i| {
            asked.push(i);
            stream(5, path, i)
        });
        assert_eq!(
            asked,
            vec![0, 2],
            "a disabled shock's stream is not touched"
        );
        let kept: Vec<_> = all
            .occurrences()
            .iter()
            .filter(|o| o.shock != 1)
            .copied()
            .collect();
        assert_eq!(without.occurrences(), kept.as_slice());
        for day in 0..horizon {
            let (a, b) = (all.overlay(day), without.overlay(day));
            basis_seen |= a.basis_log != 0.0;
            assert_eq!(
                a.price_level_log, b.price_level_log,
                "path {path} day {day}"
            );
            assert_eq!(
                a.capacity_factor, b.capacity_factor,
                "path {path} day {day}"
            );
            assert_eq!(b.basis_log, 0.0);
        }
    }
    assert!(basis_seen, "the test must exercise the disabled shock");
}

#[test]
fn redraw_reuses_its_state_and_depends_only_on_the_streams() {
    let shocks = [
        shock(
            ShockTarget::PriceLevel,
            Arrival::Probability {
                probability: 0.5,
                first_day: 0,
                last_day: 200,
            },
            Magnitude::Normal {
                mean: -0.2,
                std: 0.1,
            },
            Shape::Step,
        ),
        shock(
            ShockTarget::Capacity,
            Arrival::Poisson { rate_per_year: 6.0 },
            Magnitude::Fixed(0.3),
            Shape::Pulse { days: 5 },
        ),
    ];
    // One object redrawn over many paths gives what a fresh object gives for each path.
    let mut reused = PathShocks::new(&shocks);
    for path in 0..50 {
        reused.redraw(&shocks, 250, &[true, true], |i| stream(6, path, i));
        let fresh = drawn_with_seed(&shocks, 250, path, 6);
        assert_eq!(reused.occurrences(), fresh.occurrences());
        for day in 0..250 {
            assert_eq!(
                reused.overlay(day),
                fresh.overlay(day),
                "path {path} day {day}"
            );
        }
    }
}

fn drawn_with_seed(shocks: &[Shock], horizon: u32, path: u64, seed: u64) -> PathShocks {
    let mut p = PathShocks::new(shocks);
    p.redraw(shocks, horizon, &vec![true; shocks.len()], |i| {
        stream(seed, path, i)
    });
    p
}
