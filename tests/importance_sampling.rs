//! Importance sampling against independent references: a Gaussian tail probability of the exact
//! OU price deviation (closed form), the unit mean of the likelihood ratios, and plain Monte
//! Carlo on the base and the price −50 % scenarios. Fixed seeds; tolerances are multiples of
//! the standard errors computed in the test.

mod common;

use statrs::distribution::{ContinuousCDF, Normal};
use tenancy::app::simulate_run;
use tenancy::engine::importance::{FactorTilt, MAX_SEGMENTS};
use tenancy::engine::streams::{purpose, stream};
use tenancy::engine::{NoopObserver, RunSettings};
use tenancy::market::MarketModel;
use tenancy::metrics::Moments;
use tenancy::scenario::{load_embedded_base, Scenario, N_FACTORS};
use tenancy::shocks::Overlay;

fn base() -> Scenario {
    load_embedded_base(&[]).expect("base loads").scenario
}

#[test]
fn tilted_ou_paths_reweighted_give_the_closed_form_tail_probability() {
    let mut s = base();
    s.market.price.jumps = None;
    let days = 365u32;
    let m = MarketModel::new(&s, days + 1);
    let (a, sd_step) = (m.price.a, m.price.sd);
    // Z_T = Σ a^(T−t)·sd·e_t, so a daily shift δ of e moves E[Z_T] by δ·sd·(1 − a^T)/(1 − a).
    let sd_t = m.price.variance(days as f64 / 365.0).sqrt();
    let gain = sd_step * (1.0 - a.powi(days as i32)) / (1.0 - a);
    let k = 3.0;
    let delta = -k * sd_t / gain;
    let mut only_price = [false; N_FACTORS];
    only_price[0] = true;
    let tilt = FactorTilt::zero(days, &m.chol, only_price).with_shifts(&vec![
        {
            let mut d = [0.0; N_FACTORS];
            d[0] = delta;
            d
        };
        MAX_SEGMENTS
    ]);
    let n = 4000u64;
    let (mut est, mut weights) = (Moments::default(), Moments::default());
    for p in 0..n {
        let mut rng = stream(17, p, purpose::MARKET);
        let mut jrng = stream(17, p, purpose::JUMPS);
        let mut st = m.initial_state(&mut jrng, 0);
        let mut sums = [[0.0; N_FACTORS]; MAX_SEGMENTS];
        for d in 1..=days {
            let mut z = m.correlated_normals(&mut rng);
            tilt.apply(d, &mut z, &mut sums);
            m.advance(&mut st, &z, &Overlay::NEUTRAL, &mut jrng);
        }
        let w = tilt.log_weight(&sums).exp();
        weights.add(w);
        est.add(if st.z < -k * sd_t { w } else { 0.0 });
    }
    let p_exact = Normal::new(0.0, 1.0).unwrap().cdf(-k);
    assert!(
        (est.mean() - p_exact).abs() < 4.0 * est.se(),
        "IS tail probability {} ± {} vs Φ(−3) = {p_exact}",
        est.mean(),
        est.se()
    );
    assert!(
        (weights.mean() - 1.0).abs() < 4.0 * weights.se(),
        "E_Q[w] = {} ± {}",
        weights.mean(),
        weights.se()
    );
    // Plain Monte Carlo's standard error on the same number of paths is √(p(1−p)/n). With
    // Y = Σe/√n and ρ = corr(Y, Z_T), a total shift c = δ√n has second moment
    // E_P[w·1{D}] = e^(c²)·Φ(−k − |c|ρ); here |c|ρ = k, so the variance is e^(k²/ρ²)·Φ(−2k) − p².
    let n_days = days as f64;
    let rho = gain / sd_step / (n_days * (1.0 - a.powi(2 * days as i32)) / (1.0 - a * a)).sqrt();
    let c = k / rho;
    let std = Normal::new(0.0, 1.0).unwrap();
    let is_var = (c * c).exp() * std.cdf(-2.0 * k) - p_exact * p_exact;
    let plain_var = p_exact * (1.0 - p_exact);
    assert!(
        plain_var / is_var > 8.0,
        "theory: ratio {}",
        plain_var / is_var
    );
    let plain_se = (plain_var / n as f64).sqrt();
    // Theory puts the SE reduction at √ratio ≈ 3.2; require at least 2 (the sample SE of
    // heavy-tailed weights is itself noisy). Wrong weights would show no reduction at all.
    assert!(
        est.se() < plain_se / 2.0,
        "IS se {} vs plain {plain_se}",
        est.se()
    );
}

#[test]
fn importance_sampled_pds_agree_with_plain_monte_carlo_on_the_base_and_the_stress() {
    let stress = common::library_scenario("stress_price50_util20.toml");
    for mut s in [base(), stress] {
        s.simulation.importance = Some(tenancy::scenario::ImportanceSampling {
            shift: tenancy::scenario::ImportanceShift::Auto,
            pilot_paths: 2000,
        });
        let settings = RunSettings {
            paths: 3000,
            seed: 2026,
            threads: None,
            path_range: None,
        };
        let acc = simulate_run(&s, &settings, vec![true; s.shocks.len()], &NoopObserver)
            .expect("run")
            .acc;
        let imp = acc.importance.as_ref().expect("importance pass");
        assert_eq!(imp.weight.n, 3000);
        // The pass runs the same paths as the plain one; its estimate and the plain one may be
        // correlated, so the tolerance uses sd(x − y) ≤ se_x + se_y.
        let close = |x: &Moments, plain: &Moments, what: &str| {
            let p = plain.mean();
            let plain_se = (p * (1.0 - p) / plain.n as f64).sqrt();
            let tol = 4.0 * (x.se() + plain_se);
            assert!(
                (x.mean() - p).abs() <= tol,
                "{}: {what}: IS {} ± {} vs plain {p} ± {plain_se}",
                s.name,
                x.mean(),
                x.se()
            );
        };
        close(&imp.hedged.default, &acc.hedged.default, "hedged PD");
        close(&imp.unhedged.default, &acc.unhedged.default, "unhedged PD");
        assert!(
            (imp.weight.mean() - 1.0).abs() < 4.0 * imp.weight.se(),
            "{}: E_Q[w] = {} ± {}",
            s.name,
            imp.weight.mean(),
            imp.weight.se()
        );
        assert!(imp.hedged.defaults_observed > 0);
    }
}

#[test]
fn a_zero_shift_reproduces_plain_monte_carlo_exactly() {
    let mut s = base();
    s.simulation.importance = Some(tenancy::scenario::ImportanceSampling {
        shift: tenancy::scenario::ImportanceShift::Sd(0.0),
        pilot_paths: 1,
    });
    let settings = RunSettings {
        paths: 256,
        seed: 7,
        threads: None,
        path_range: None,
    };
    let acc = simulate_run(&s, &settings, vec![], &NoopObserver)
        .expect("run")
        .acc;
    let imp = acc.importance.as_ref().unwrap();
    // Every weight is exactly 1, so the weighted sums are the plain sums.
    assert_eq!(imp.weight.sum_sq, imp.weight.sum);
    assert_eq!(imp.hedged.default, acc.hedged.default);
    assert_eq!(imp.unhedged.default, acc.unhedged.default);
    assert_eq!(imp.unhedged.loss.sum, acc.unhedged.loss.sum);
}
