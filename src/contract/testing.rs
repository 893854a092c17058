//! A small deterministic scenario and constant markets, for tests and examples.
//!
//! Owns: [`small_scenario`] (a 10-GPU cluster, a 12-payment annuity loan, a weekly tenancy swap;
//! every number chosen so hand computations are easy) and [`constant_market`]. Must not: be used
//! by the engine for real runs.

use super::DayMarket;
use crate::scenario::*;

/// A small scenario with round numbers:
/// 10 GPUs × 24 h × availability 1 (240 GPU-hours/day), capex $20 000/GPU, 1 kW/GPU, idle 0.5,
/// PUE 1, fixed opex $365/GPU-month ($120/day for the fleet), commissioned at close;
/// straight-line collateral over 5 years to 10 %, no price elasticity, haircut 20 %, cost $1 000;
/// loan: advance 50 % ($100 000), 12 % a year, 12 payments every 30 days, annuity, no grace,
/// DSRA 1 month, no covenants; swap: tenancy swap, P_fix $2.00, strike 0.6, weekly, index;
/// waterfall in the seed's order; discount rate 0 (PVs equal sums); no shocks.
pub fn small_scenario() -> Scenario {
    Scenario {
        name: "small".into(),
        description: "deterministic test scenario".into(),
        simulation: Simulation {
            paths: 1,
            seed: 1,
            tail_days: 0,
            discount_rate: 0.0,
            report_interval_days: 7,
            antithetic: false,
            importance: None,
        },
        cluster: Cluster {
            gpus: 10,
            sku: "test".into(),
            region: "test".into(),
            capex_per_gpu_usd: 20_000.0,
            hours_per_day: 24.0,
            availability: 1.0,
            it_power_kw_per_gpu: 1.0,
            idle_power_fraction: 0.5,
            pue: 1.0,
            fixed_opex_per_gpu_month_usd: 365.0,
            commissioning_day: 0,
        },
        collateral: Collateral {
            depreciation: Depreciation::StraightLine,
            useful_life_years: 5.0,
            salvage_fraction: 0.1,
            price_elasticity: 0.0,
            liquidation_haircut: 0.2,
            liquidation_cost_usd: 1_000.0,
        },
        market: Market {
            price: PriceModel {
                curve: MeanCurve::Drift {
                    initial_usd_per_gpu_hour: 2.0,
                    annual_drift: 0.0,
                },
                convention: CurveConvention::Median,
                kappa_per_year: 1.0,
                sigma_per_sqrt_year: 0.0,
                jumps: None,
            },
            utilization: UtilizationModel {
                initial: 0.5,
                long_run_mean: 0.5,
                ramp_days: 0,
                kappa_per_year: 1.0,
                sigma_per_sqrt_year: 0.0,
            },
            basis: BasisModel {
                mean: 0.0,
                initial: 0.0,
                kappa_per_year: 1.0,
                sigma_per_sqrt_year: 0.0,
            },
            power: PowerModel::Fixed { usd_per_kwh: 0.1 },
            correlation: Correlation {
                matrix: identity(),
                cholesky: identity(),
                repair: None,
            },
        },
        loan: Loan {
            advance_rate: 0.5,
            annual_rate: 0.12,
            tenor_months: 12,
            payment_interval_days: 30,
            amortization: Amortization::Annuity,
            grace_months: 0,
            dsra_months: 1.0,
            dscr_covenant: None,
            utilization_covenant: None,
        },
        swap: Swap {
            variant: SwapVariant::TenancySwap,
            fixed_price: FixedPrice::Usd(2.0),
            strike_utilization: 0.6,
            period_days: 7,
            reference: ReferencePrice::Index,
        },
        waterfall: Waterfall {
            order: vec![
                WaterfallStep::Opex,
                WaterfallStep::DebtService,
                WaterfallStep::SwapPayment,
                WaterfallStep::DsraTopUp,
                WaterfallStep::Equity,
            ],
        },
        csa: Csa {
            margin_interval_days: 1,
            threshold_usd: 0.0,
            minimum_transfer_usd: 0.0,
            rounding_usd: 0.0,
            independent_amount_usd: 0.0,
            mpor_days: 10,
            bilateral: true,
            collateral_yield: 0.0,
            initial_margin: InitialMargin::Fixed { usd: 0.0 },
            downgrade_multiplier: 1.0,
        },
        trader: Trader {
            cash_usd: 1.0e6,
            credit_line_usd: 0.0,
            default_intensity_per_year: 0.0,
            wrong_way_sensitivity: 0.0,
            downgrade_intensity_per_year: 1.0,
            on_default: TraderDefaultAction::Terminate,
        },
        shocks: Vec::new(),
        qacu: Qacu {
            utilization_factor: None,
            performance_factor: 1.0,
            availability_factor: None,
            locality_factor: 1.0,
            policy_factor: 1.0,
            settlement_factor: 1.0,
        },
    }
}

fn identity() -> [[f64; N_FACTORS]; N_FACTORS] {
    let mut m = [[0.0; N_FACTORS]; N_FACTORS];
    for (i, row) in m.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    m
}

/// A market day with constant price (index = operator), utilization and power, full capacity,
/// no shocks (multipliers 1, price-to-curve ratio 1).
pub fn constant_market(
    day: u32,
    price_usd_per_gpu_hour: f64,
    utilization: f64,
    power_usd_per_kwh: f64,
) -> DayMarket {
    DayMarket {
        day,
        index_price: price_usd_per_gpu_hour,
        operator_price: price_usd_per_gpu_hour,
        utilization,
        capacity_factor: 1.0,
        power_usd_per_kwh,
        opex_multiplier: 1.0,
        collateral_multiplier: 1.0,
        price_to_curve_ratio: 1.0,
    }
}

/// `days` constant market days starting at day 0.
pub fn constant_path(
    days: u32,
    price_usd_per_gpu_hour: f64,
    utilization: f64,
    power_usd_per_kwh: f64,
) -> Vec<DayMarket> {
    (0..days)
        .map(|d| constant_market(d, price_usd_per_gpu_hour, utilization, power_usd_per_kwh))
        .collect()
}
