//! The combined effect of all arrived shocks on one day: the contract between `shocks/` and the
//! engine.
//!
//! Owns the meaning of each overlay field. Must not: compute anything (that is `path.rs`).

/// The combined effect of all arrived shocks of one path on one day.
///
/// Neutral values: 0 for the additive fields, 1 for the multipliers, `None` for `util_level`.
/// Every field is finite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overlay {
    /// Added to the log index price immediately (price_level shocks).
    pub price_level_log: f64,
    /// Added to the log *mean curve* ln θ(t); the engine filters it through the OU speed
    /// (price_mean_curve shocks).
    pub price_mean_log: f64,
    /// Added to the utilization target, in utilization points as a fraction of capacity
    /// (0.05 = five percentage points), filtered by the engine (utilization_mean shocks and the
    /// demand elasticity of price shocks).
    pub util_mean_points: f64,
    /// `(w, level)` with w in (0, 1] and level in [0, 1]: the engine sets
    /// `u = (1 − w)·u + w·level` (utilization_level shocks); `None` when no such shock acts.
    pub util_level: Option<(f64, f64)>,
    /// Multiplier on available capacity, in [0, 1] (capacity shocks; 1 = none).
    pub capacity_factor: f64,
    /// Added to the operator basis b, log units (operator_basis shocks).
    pub basis_log: f64,
    /// Index methodology: added to the log index AND subtracted from b, so the operator-realized
    /// price is unchanged (index_methodology shocks).
    pub index_log: f64,
    /// Multiplier on the power price in $/kWh (power_price shocks; > 0).
    pub power_mult: f64,
    /// Multiplier on fixed opex (opex shocks; > 0).
    pub opex_mult: f64,
    /// Multiplier on the collateral residual value (collateral_value shocks; > 0).
    pub collateral_mult: f64,
}

impl Overlay {
    /// No shock acting.
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

    /// True when this overlay changes nothing.
    pub fn is_neutral(&self) -> bool {
        *self == Self::NEUTRAL
    }
}

impl Default for Overlay {
    fn default() -> Self {
        Self::NEUTRAL
    }
}
