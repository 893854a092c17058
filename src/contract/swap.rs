//! The tenancy swap (SPEC §8, seed 002): calculation-period accruals and the two legs.
//!
//! Owns: the per-period sums the legs need and the leg formulas of each variant. Must not: move
//! cash or decide what happens to a payable (that is `path` and `waterfall`).
//!
//! Per calculation period p (`period_days` days from day 0; the period that contains maturity
//! ends at maturity), with `C_p` = Σ capacity hours, `H_p` = Σ hours sold, `n_p` the notional
//! factor at the period start and `K_p = C_p · u_k · n_p`:
//! - tenancy swap: fixed leg `F_p = P_fix · K_p` (trader → SPV), variable leg
//!   `V_p = P_ref,p · min(H_p, K_p)` (SPV → trader), net to the SPV `F_p − V_p`;
//!   `P_ref,p` is the capacity-weighted average of the reference price over the period (the simple
//!   average when `C_p = 0`);
//! - two-leg: fixed leg `n_p · fee · C_p`, variable leg `n_p · (revenue_p − power_p − opex_p)`,
//!   net to the SPV = fixed − variable;
//! - none: no settlement (legs are still reported with the tenancy formulas, for information).

use super::cluster::DayOps;
use super::DayMarket;
use crate::scenario::{ReferencePrice, Swap, SwapVariant};

/// Sums over the current calculation period.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PeriodAccrual {
    /// Σ capacity GPU-hours, C_p.
    pub capacity_hours: f64,
    /// Σ GPU-hours sold, H_p.
    pub hours_sold: f64,
    /// Σ reference price × capacity hours, $.
    pub price_x_capacity_usd: f64,
    /// Σ reference price, $/GPU-hour (for the simple average when C_p = 0).
    pub price_sum: f64,
    /// Days accrued.
    pub days: u32,
    /// Σ realized revenue, $.
    pub revenue_usd: f64,
    /// Σ power cost, $.
    pub power_usd: f64,
    /// Σ fixed opex, $.
    pub fixed_opex_usd: f64,
}

impl PeriodAccrual {
    /// Add one day.
    #[inline]
    pub fn add(&mut self, ops: &DayOps, m: &DayMarket, reference: ReferencePrice) {
        let p = match reference {
            ReferencePrice::Index => m.index_price,
            ReferencePrice::Operator => m.operator_price,
        };
        self.capacity_hours += ops.capacity_hours;
        self.hours_sold += ops.hours_sold;
        self.price_x_capacity_usd += p * ops.capacity_hours;
        self.price_sum += p;
        self.days += 1;
        self.revenue_usd += ops.revenue_usd;
        self.power_usd += ops.power_usd;
        self.fixed_opex_usd += ops.fixed_opex_usd;
    }

    /// P_ref,p: capacity-weighted average reference price ($/GPU-hour); the simple average when
    /// no capacity was available; 0 for an empty period.
    pub fn reference_price(&self) -> f64 {
        if self.capacity_hours > 0.0 {
            self.price_x_capacity_usd / self.capacity_hours
        } else if self.days > 0 {
            self.price_sum / f64::from(self.days)
        } else {
            0.0
        }
    }
}

/// The two legs of one period, $ (and the fixed leg per $1/GPU-hour of fixed price).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Legs {
    /// Fixed leg, trader → SPV, $.
    pub fixed_usd: f64,
    /// Fixed leg per $1/GPU-hour of P_fix (tenancy: K_p; two-leg: n_p·C_p), GPU-hours.
    pub fixed_per_usd: f64,
    /// Variable leg, SPV → trader, $.
    pub variable_usd: f64,
    /// Strike slice K_p = C_p · u_k · n_p, GPU-hours.
    pub strike_hours: f64,
}

impl Legs {
    /// Net settlement to the SPV, $ (F − V; negative: the SPV owes the trader).
    pub fn net_to_spv_usd(&self) -> f64 {
        self.fixed_usd - self.variable_usd
    }
}

/// The swap's terms, resolved for a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SwapTerms {
    pub variant: SwapVariant,
    /// P_fix, $/GPU-hour (the engine resolves "par" first).
    pub fixed_price_usd_per_gpu_hour: f64,
    /// Strike utilization u_k.
    pub strike_utilization: f64,
    /// Calculation period, days.
    pub period_days: u32,
    pub reference: ReferencePrice,
}

impl SwapTerms {
    /// Resolve the scenario's swap with the given fixed price.
    pub fn new(s: &Swap, fixed_price_usd_per_gpu_hour: f64) -> Self {
        Self {
            variant: s.variant,
            fixed_price_usd_per_gpu_hour,
            strike_utilization: s.strike_utilization,
            period_days: s.period_days,
            reference: s.reference,
        }
    }

    /// Does the variant exchange cash at all?
    pub fn settles(&self) -> bool {
        !matches!(self.variant, SwapVariant::None)
    }

    /// The legs of a period with accruals `a` and notional factor `n_p` at its start.
    pub fn legs(&self, a: &PeriodAccrual, notional_factor: f64) -> Legs {
        let strike_hours = a.capacity_hours * self.strike_utilization * notional_factor;
        match self.variant {
            SwapVariant::TwoLeg {
                reserved_fee_usd_per_gpu_hour,
            } => {
                let per_usd = notional_factor * a.capacity_hours;
                Legs {
                    fixed_usd: reserved_fee_usd_per_gpu_hour * per_usd,
                    fixed_per_usd: per_usd,
                    variable_usd: notional_factor
                        * (a.revenue_usd - a.power_usd - a.fixed_opex_usd),
                    strike_hours,
                }
            }
            SwapVariant::TenancySwap | SwapVariant::None => Legs {
                fixed_usd: self.fixed_price_usd_per_gpu_hour * strike_hours,
                fixed_per_usd: strike_hours,
                variable_usd: a.reference_price() * a.hours_sold.min(strike_hours),
                strike_hours,
            },
        }
    }
}
