//! The exact Ornstein–Uhlenbeck transition, shared by every mean-reverting factor.
//!
//! For dX = −κX dt + σ dW over a step Δ (years): X' = a·X + sd·ε with a = e^(−κΔ) and
//! sd = σ·sqrt((1 − e^(−2κΔ)) / (2κ)) (→ σ·sqrt(Δ) as κ → 0). Exact for any step size, so the
//! daily grid does not bias the variance. Must not: draw random numbers (ε is passed in).

/// Precomputed exact OU step coefficients.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExactOu {
    /// Per-step decay e^(−κΔ).
    pub a: f64,
    /// Per-step standard deviation of the innovation.
    pub sd: f64,
    /// κ per year.
    pub kappa_per_year: f64,
    /// σ per sqrt(year).
    pub sigma_per_sqrt_year: f64,
}

impl ExactOu {
    /// Coefficients for a step of `dt_years` (κ ≥ 0, σ ≥ 0 are validated by the scenario).
    pub fn new(kappa_per_year: f64, sigma_per_sqrt_year: f64, dt_years: f64) -> Self {
        let a = (-kappa_per_year * dt_years).exp();
        Self {
            a,
            sd: sigma_per_sqrt_year * Self::unit_sd(kappa_per_year, dt_years),
            kappa_per_year,
            sigma_per_sqrt_year,
        }
    }

    /// sqrt((1 − e^(−2κt)) / (2κ)), with its κ → 0 limit sqrt(t).
    pub fn unit_sd(kappa_per_year: f64, t_years: f64) -> f64 {
        let x = 2.0 * kappa_per_year * t_years;
        if x < 1e-8 {
            t_years.sqrt()
        } else {
            (-(-x).exp_m1() / (2.0 * kappa_per_year)).sqrt()
        }
    }

    /// (1 − e^(−κt)) / κ, with its κ → 0 limit t: the integral of the OU decay kernel.
    pub fn kernel_integral(kappa_per_year: f64, t_years: f64) -> f64 {
        let x = kappa_per_year * t_years;
        if x < 1e-10 {
            t_years
        } else {
            -(-x).exp_m1() / kappa_per_year
        }
    }

    /// One exact step: a·x + sd·ε.
    #[inline(always)]
    pub fn step(&self, x: f64, eps: f64) -> f64 {
        self.a * x + self.sd * eps
    }

    /// Closed-form conditional mean factor after `t_years`: E[X_t | X_0 = x] = x·e^(−κt).
    pub fn mean_factor(&self, t_years: f64) -> f64 {
        (-self.kappa_per_year * t_years).exp()
    }

    /// Closed-form conditional variance after `t_years`: σ²(1 − e^(−2κt)) / (2κ).
    pub fn variance(&self, t_years: f64) -> f64 {
        (self.sigma_per_sqrt_year * Self::unit_sd(self.kappa_per_year, t_years)).powi(2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_steps_compose_to_the_closed_form() {
        // Deterministic check: composing 365 daily steps of the variance recursion
        // v' = a²v + sd² equals the one-year closed form.
        let ou = ExactOu::new(2.0, 0.35, 1.0 / 365.0);
        let mut v = 0.0;
        let mut m = 1.0;
        for _ in 0..365 {
            v = ou.a * ou.a * v + ou.sd * ou.sd;
            m *= ou.a;
        }
        assert!((v - ou.variance(1.0)).abs() < 1e-12);
        assert!((m - ou.mean_factor(1.0)).abs() < 1e-12);
    }

    #[test]
    fn zero_kappa_is_brownian() {
        let ou = ExactOu::new(0.0, 0.3, 0.25);
        assert!((ou.sd - 0.3 * 0.5).abs() < 1e-15);
        assert_eq!(ou.a, 1.0);
    }
}
