//! The market model against closed forms: exact OU moments of log price, logit-OU utilization
//! bounds, the correlation of the daily shocks, Poisson jump counts. Fixed seeds; tolerances are
//! multiples of the Monte Carlo standard error computed in the test.

use tenancy::engine::streams::{purpose, stream};
use tenancy::market::MarketModel;
use tenancy::scenario::{load_embedded_base, CurveConvention, Scenario};
use tenancy::shocks::Overlay;

fn base() -> Scenario {
    load_embedded_base(&[]).expect("base loads").scenario
}

/// Log price at `days` for `n` paths (no jumps, median convention).
fn log_prices(s: &Scenario, days: &[u32], n: u64) -> Vec<Vec<f64>> {
    let horizon = days.iter().max().copied().unwrap_or(0) + 1;
    let m = MarketModel::new(s, horizon);
    let mut out = vec![Vec::with_capacity(n as usize); days.len()];
    for p in 0..n {
        let mut rng = stream(11, p, purpose::MARKET);
        let mut jrng = stream(11, p, purpose::JUMPS);
        let mut st = m.initial_state(&mut jrng, 0);
        for d in 1..horizon {
            let z = m.correlated_normals(&mut rng);
            m.advance(&mut st, &z, &Overlay::NEUTRAL, &mut jrng);
            if let Some(i) = days.iter().position(|&x| x == d) {
                out[i].push(m.observe(&st, &Overlay::NEUTRAL).index_price.ln());
            }
        }
    }
    out
}

fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|a| (a - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, v)
}

#[test]
fn log_price_moments_match_the_exact_ou_transition() {
    let mut s = base();
    s.market.price.jumps = None;
    s.market.price.convention = CurveConvention::Median;
    let (kappa, sigma) = (
        s.market.price.kappa_per_year,
        s.market.price.sigma_per_sqrt_year,
    );
    let days = [1u32, 30, 182, 365, 730];
    let n = 20_000;
    let samples = log_prices(&s, &days, n);
    let m = MarketModel::new(&s, 731);
    for (i, &d) in days.iter().enumerate() {
        let t = d as f64 / 365.0;
        let mean = m.curve.ln_theta[d as usize];
        let var = sigma * sigma * (1.0 - (-2.0 * kappa * t).exp()) / (2.0 * kappa);
        let (sm, sv) = mean_var(&samples[i]);
        let se_mean = (var / n as f64).sqrt();
        let se_var = var * (2.0 / (n as f64 - 1.0)).sqrt();
        assert!(
            (sm - mean).abs() < 4.0 * se_mean,
            "day {d}: mean {sm} vs {mean} (se {se_mean})"
        );
        assert!(
            (sv - var).abs() < 4.0 * se_var,
            "day {d}: variance {sv} vs {var} (se {se_var})"
        );
    }
}

#[test]
fn utilization_stays_strictly_inside_the_unit_interval_under_extreme_parameters() {
    let mut s = base();
    s.market.utilization.kappa_per_year = 200.0;
    s.market.utilization.sigma_per_sqrt_year = 40.0;
    s.market.utilization.initial = 1e-6;
    s.market.utilization.long_run_mean = 1.0 - 1e-6;
    let horizon = 400;
    let m = MarketModel::new(&s, horizon);
    for p in 0..200 {
        let mut rng = stream(5, p, purpose::MARKET);
        let mut jrng = stream(5, p, purpose::JUMPS);
        let mut st = m.initial_state(&mut jrng, 0);
        for d in 0..horizon {
            if d > 0 {
                let z = m.correlated_normals(&mut rng);
                m.advance(&mut st, &z, &Overlay::NEUTRAL, &mut jrng);
            }
            let u = m.observe(&st, &Overlay::NEUTRAL).utilization;
            assert!(
                u > 0.0 && u < 1.0 && u.is_finite(),
                "path {p} day {d}: u = {u}"
            );
        }
    }
}

#[test]
fn daily_shocks_have_the_scenario_correlation() {
    let s = base();
    let m = MarketModel::new(&s, 10);
    let rho = s.market.correlation.matrix;
    let n = 200_000usize;
    let mut rng = stream(3, 0, purpose::MARKET);
    let mut sum = [[0.0f64; 4]; 4];
    for _ in 0..n {
        let z = m.correlated_normals(&mut rng);
        for i in 0..4 {
            for j in 0..4 {
                sum[i][j] += z[i] * z[j];
            }
        }
    }
    for i in 0..4 {
        for j in 0..4 {
            let c = sum[i][j] / (sum[i][i] * sum[j][j]).sqrt();
            let r: f64 = rho[i][j];
            // Standard error of a sample correlation: (1 − ρ²)/√n (and of a variance ratio, 0 on
            // the diagonal, where c = 1 exactly).
            let se = ((1.0 - r * r) / (n as f64).sqrt()).max(1e-12);
            assert!(
                (c - r).abs() <= 4.0 * se + 1e-12,
                "corr[{i}][{j}] = {c} vs {r} (se {se})"
            );
        }
    }
}

#[test]
fn jump_counts_per_path_are_poisson() {
    let s = base();
    let j = s
        .market
        .price
        .jumps
        .clone()
        .expect("the base scenario has jumps");
    let horizon = 730u32;
    let m = MarketModel::new(&s, horizon);
    let n = 20_000u64;
    let mut counts = Vec::with_capacity(n as usize);
    for p in 0..n {
        let mut rng = stream(9, p, purpose::MARKET);
        let mut jrng = stream(9, p, purpose::JUMPS);
        let mut st = m.initial_state(&mut jrng, 0);
        for _ in 1..horizon {
            let z = m.correlated_normals(&mut rng);
            m.advance(&mut st, &z, &Overlay::NEUTRAL, &mut jrng);
        }
        counts.push(st.jumps as f64);
    }
    // Jumps are counted on (0, horizon − 1] days.
    let lt = j.intensity_per_year * (horizon - 1) as f64 / 365.0;
    let (mean, var) = mean_var(&counts);
    let se_mean = (lt / n as f64).sqrt();
    let se_var = ((lt + 2.0 * lt * lt) / n as f64).sqrt();
    assert!(
        (mean - lt).abs() < 4.0 * se_mean,
        "mean {mean} vs {lt} (se {se_mean})"
    );
    assert!(
        (var - lt).abs() < 4.0 * se_var,
        "variance {var} vs {lt} (se {se_var})"
    );
}
