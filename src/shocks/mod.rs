//! Layer shocks (placeholder interface until the shock engine lands): the per-day overlay the
//! market applies.

/// The combined effect of all arrived shocks on one day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overlay {
    pub price_level_log: f64,
    pub price_mean_log: f64,
    pub util_mean_points: f64,
    pub util_level: Option<(f64, f64)>,
    pub capacity_factor: f64,
    pub basis_log: f64,
    pub index_log: f64,
    pub power_mult: f64,
    pub opex_mult: f64,
    pub collateral_mult: f64,
}

impl Overlay {
    /// No shock.
    pub const NEUTRAL: Overlay = Overlay {
        price_level_log: 0.0,
        price_mean_log: 0.0,
        util_mean_points: 0.0,
        util_level: None,
        capacity_factor: 1.0,
        basis_log: 0.0,
        index_log: 0.0,
        power_mult: 1.0,
        opex_mult: 1.0,
        collateral_mult: 1.0,
    };
}
