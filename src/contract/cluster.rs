//! Cluster economics and collateral value of the SPV's GPUs (SPEC §6), one day at a time.
//!
//! Owns: capacity hours, hours sold, realized revenue, power cost and fixed opex of one day, and
//! the collateral (book and liquidation) value of the fleet. Must not: hold path state, move cash
//! (that is `waterfall`) or draw random numbers (the engine's `DayMarket` carries the market).

use super::DayMarket;
use crate::scenario::{Cluster, Collateral, Depreciation, DAYS_PER_YEAR};

/// What the cluster did on one day, in GPU-hours and dollars.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DayOps {
    /// Rentable GPU-hours of the day: gpus × hours_per_day × availability × capacity_factor.
    pub capacity_hours: f64,
    /// GPU-hours sold: capacity_hours × utilization.
    pub hours_sold: f64,
    /// Realized revenue, $: operator_price ($/GPU-hour) × hours_sold.
    pub revenue_usd: f64,
    /// Power cost, $: kWh × $/kWh, kWh = full-load kWh × (idle + (1 − idle)·u).
    pub power_usd: f64,
    /// Fixed opex, $: gpus × fixed_opex_per_gpu_month × 12/365 × opex_multiplier (paid from day 0,
    /// before commissioning too: the site costs money while it waits).
    pub fixed_opex_usd: f64,
}

impl DayOps {
    /// Operating cash flow of the day before debt and swap, $: revenue − power − fixed opex.
    pub fn operating_margin_usd(&self) -> f64 {
        self.revenue_usd - self.power_usd - self.fixed_opex_usd
    }
}

/// Precomputed per-day constants of the reference cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterEconomics {
    /// GPU-hours per day at capacity_factor 1: gpus × hours_per_day × availability.
    pub full_capacity_hours_per_day: f64,
    /// kWh per day at capacity_factor 1 and full load: full capacity hours × kW × PUE.
    pub full_load_kwh_per_day: f64,
    /// Idle power fraction (0..=1).
    pub idle_power_fraction: f64,
    /// Fixed opex per day at multiplier 1, $: gpus × $/GPU-month × 12 / 365.
    pub fixed_opex_usd_per_day: f64,
}

impl ClusterEconomics {
    /// Constants from the validated cluster description.
    pub fn new(c: &Cluster) -> Self {
        let full_capacity_hours_per_day = f64::from(c.gpus) * c.hours_per_day * c.availability;
        Self {
            full_capacity_hours_per_day,
            full_load_kwh_per_day: full_capacity_hours_per_day * c.it_power_kw_per_gpu * c.pue,
            idle_power_fraction: c.idle_power_fraction,
            fixed_opex_usd_per_day: f64::from(c.gpus) * c.fixed_opex_per_gpu_month_usd * 12.0
                / DAYS_PER_YEAR,
        }
    }

    /// The cluster's day under market `m` (no transcendental functions).
    #[inline]
    pub fn day(&self, m: &DayMarket) -> DayOps {
        let capacity_hours = self.full_capacity_hours_per_day * m.capacity_factor;
        let hours_sold = capacity_hours * m.utilization;
        let load = self.idle_power_fraction + (1.0 - self.idle_power_fraction) * m.utilization;
        let kwh = self.full_load_kwh_per_day * m.capacity_factor * load;
        DayOps {
            capacity_hours,
            hours_sold,
            revenue_usd: m.operator_price * hours_sold,
            power_usd: kwh * m.power_usd_per_kwh,
            fixed_opex_usd: self.fixed_opex_usd_per_day * m.opex_multiplier,
        }
    }
}

/// Collateral value of the GPUs: a depreciation curve scaled by the rental price relative to
/// its starting mean curve (wrong-way risk) and by collateral shocks.
///
/// `book(t) = capex · gpus · dep(t) · ratio^price_elasticity · collateral_multiplier`, with
/// `dep(t)` straight-line from 1 to `salvage_fraction` over the useful life (flat after), or
/// `(1 − rate)^(t/365)` floored at `salvage_fraction`. Liquidation value =
/// `max(book · (1 − haircut) − liquidation_cost, 0)`.
#[derive(Debug, Clone, PartialEq)]
pub struct CollateralModel {
    /// Depreciation fraction dep(t) for t = 0..=horizon days (precomputed once per run).
    depreciation: Vec<f64>,
    /// capex · gpus, $.
    capex_usd: f64,
    price_elasticity: PriceElasticity,
    liquidation_haircut: f64,
    liquidation_cost_usd: f64,
}

impl CollateralModel {
    /// Precompute the depreciation curve for days 0..=horizon_days.
    pub fn new(cluster: &Cluster, c: &Collateral, horizon_days: u32) -> Self {
        let life_days = c.useful_life_years * DAYS_PER_YEAR;
        let depreciation = (0..=horizon_days)
            .map(|d| depreciation_fraction(c, life_days, f64::from(d)))
            .collect();
        Self {
            depreciation,
            capex_usd: cluster.capex_per_gpu_usd * f64::from(cluster.gpus),
            price_elasticity: PriceElasticity::new(c.price_elasticity),
            liquidation_haircut: c.liquidation_haircut,
            liquidation_cost_usd: c.liquidation_cost_usd,
        }
    }

    /// Total capex of the fleet, $.
    pub fn capex_usd(&self) -> f64 {
        self.capex_usd
    }

    /// Going-concern book value at `day` under market `m`, $ (no haircut).
    #[inline]
    pub fn book_value_usd(&self, day: u32, m: &DayMarket) -> f64 {
        let idx = (day as usize).min(self.depreciation.len().saturating_sub(1));
        let dep = self.depreciation.get(idx).copied().unwrap_or(1.0);
        let ratio = m.price_to_curve_ratio.max(0.0);
        // The common elasticities 0 and 1 need no powf per day.
        let price_factor = match self.price_elasticity {
            PriceElasticity::One => ratio,
            PriceElasticity::Zero => 1.0,
            PriceElasticity::Power(e) => ratio.powf(e),
        };
        let v = self.capex_usd * dep * price_factor * m.collateral_multiplier.max(0.0);
        if v.is_finite() {
            v
        } else {
            0.0
        }
    }

    /// Forced-sale (liquidation) value at `day`, $: max(book·(1 − haircut) − cost, 0).
    pub fn liquidation_value_usd(&self, day: u32, m: &DayMarket) -> f64 {
        self.liquidation_from_book(self.book_value_usd(day, m))
    }

    /// Liquidation value from a book value, $.
    #[inline]
    pub fn liquidation_from_book(&self, book_usd: f64) -> f64 {
        (book_usd * (1.0 - self.liquidation_haircut) - self.liquidation_cost_usd).max(0.0)
    }
}

/// The collateral's price elasticity, with its common values decided once: tested as floats
/// at each call, the compiler merged `e == 1 ? x : powf(x, e)` into the `powf` call (its result
/// is the same) and paid a `powf` per path-day.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PriceElasticity {
    Zero,
    One,
    Power(f64),
}

impl PriceElasticity {
    fn new(e: f64) -> Self {
        if e == 1.0 {
            Self::One
        } else if e == 0.0 {
            Self::Zero
        } else {
            Self::Power(e)
        }
    }
}

/// dep(t) as a fraction of capex at `t_days` after close.
fn depreciation_fraction(c: &Collateral, life_days: f64, t_days: f64) -> f64 {
    match c.depreciation {
        Depreciation::StraightLine => {
            let age = if life_days > 0.0 {
                (t_days / life_days).min(1.0)
            } else {
                1.0
            };
            1.0 - (1.0 - c.salvage_fraction) * age
        }
        Depreciation::DecliningBalance { annual_rate } => (1.0 - annual_rate)
            .max(0.0)
            .powf(t_days / DAYS_PER_YEAR)
            .max(c.salvage_fraction),
    }
}
