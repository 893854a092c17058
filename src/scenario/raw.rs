//! The scenario file as written: serde + JSON Schema types mirroring the TOML format.
//!
//! Owns the *format* (key names, tagged tables, defaults). Every field says its unit. Values here
//! are unchecked; `validate` turns a [`RawScenario`] into a `model::Scenario`. Must not: check
//! ranges, read files, or be used by the engine.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::presets::Preset;

/// A scenario file (`scenarios/*.toml`). Required: `name`, `cluster`, `market.price`, `loan`,
/// `swap`; every other section has documented defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// Path of a parent scenario file, relative to this file. Its tables are deep-merged under
    /// this file's (this file wins; arrays replace). Resolved before validation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    /// Short name; the default output folder is `output/<name>/`.
    pub name: String,
    /// One-paragraph story of the scenario, echoed in the report. Default: empty.
    #[serde(default)]
    pub description: String,
    /// Monte Carlo settings.
    #[serde(default)]
    pub simulation: RawSimulation,
    /// The reference cluster and its operating economics.
    pub cluster: RawCluster,
    /// Collateral residual value of the GPUs.
    #[serde(default)]
    pub collateral: RawCollateral,
    /// Market factors and their correlation.
    pub market: RawMarket,
    /// The GPU-backed loan of the SPV.
    pub loan: RawLoan,
    /// The tenancy swap.
    pub swap: RawSwap,
    /// Order of the cash waterfall's outflows.
    #[serde(default)]
    pub waterfall: RawWaterfall,
    /// Credit Support Annex (margining) terms.
    #[serde(default)]
    pub csa: RawCsa,
    /// The trader (swap offtaker).
    #[serde(default)]
    pub trader: RawTrader,
    /// Layer shocks (`[[shocks]]`); default: none.
    #[serde(default)]
    pub shocks: Vec<RawShock>,
    /// Quality-adjusted compute unit factors.
    #[serde(default)]
    pub qacu: RawQacu,
}

/// `[simulation]`: Monte Carlo settings (every key optional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RawSimulation {
    /// Default number of paths (count > 0; the CLI's `--paths` overrides). Default 10000.
    pub paths: u64,
    /// Default seed (the CLI's `--seed` overrides). Default 1.
    pub seed: u64,
    /// Extra days simulated after loan maturity (collateral liquidation tail), days. Default 0.
    pub tail_days: u32,
    /// Continuously-compounded discount rate, annual decimal, for par pricing and swap MTM.
    /// Default 0.045.
    pub discount_rate: f64,
    /// Days between rows of the per-period output table (> 0). Default 7 (weekly rows).
    pub report_interval_days: u32,
    /// Antithetic variates: paths 2k and 2k+1 share their random streams and the odd path uses
    /// the negated market normals; standard errors of means and probabilities come from the pair
    /// averages. Needs an even path count. Default false.
    pub antithetic: bool,
    /// Importance sampling of the price path for rare loan defaults: a second pass over the
    /// run's paths with the price factor's daily normal shifted by a constant drift, every path
    /// weighted by its likelihood ratio; reported under `importance_sampling` in the summary
    /// beside the plain estimates. Cannot be combined with `antithetic`. Default false.
    pub importance_sampling: bool,
    /// The shift of the importance-sampling pass: `"auto"` (cross-entropy pilot on the hedged
    /// default) or the shift of the sum of the price factor's daily normals over the horizon, in
    /// its standard deviations (negative = prices lower), in [-8, 8]. Default "auto".
    pub importance_shift_sd: RawImportanceShift,
    /// Paths of each cross-entropy pilot level (`"auto"` only), count > 0. Default 2000.
    pub importance_pilot_paths: u64,
}

/// The keyword `"auto"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawAutoKeyword {
    /// Choose the value by a pilot.
    Auto,
}

/// An importance-sampling shift in standard deviations, or `"auto"`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RawImportanceShift {
    /// Shift of the horizon sum of the price normals, in its standard deviations.
    Sd(f64),
    /// `"auto"`: cross-entropy pilot.
    Keyword(RawAutoKeyword),
}

impl Default for RawSimulation {
    fn default() -> Self {
        Self {
            paths: 10_000,
            seed: 1,
            tail_days: 0,
            discount_rate: 0.045,
            report_interval_days: 7,
            antithetic: false,
            importance_sampling: false,
            importance_shift_sd: RawImportanceShift::Keyword(RawAutoKeyword::Auto),
            importance_pilot_paths: 2_000,
        }
    }
}

/// `[cluster]`: the reference cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCluster {
    /// Number of GPUs in the SPV (count > 0).
    pub gpus: u32,
    /// GPU SKU label (informational). Default: empty.
    #[serde(default)]
    pub sku: String,
    /// Market region label (informational). Default: empty.
    #[serde(default)]
    pub region: String,
    /// All-in capex per GPU, $ (> 0).
    pub capex_per_gpu_usd: f64,
    /// Rentable hours per day, hours in (0, 24]. Default 24.
    #[serde(default = "default_hours_per_day")]
    pub hours_per_day: f64,
    /// Fraction of hours the GPU is up and rentable, in (0, 1].
    pub availability: f64,
    /// IT power per GPU at full load incl. its host/network share, kW (> 0).
    pub it_power_kw_per_gpu: f64,
    /// Idle draw as a fraction of full-load power, in [0, 1]. Default 0.35 (HGX-class node).
    #[serde(default = "default_idle_power_fraction")]
    pub idle_power_fraction: f64,
    /// Power usage effectiveness (>= 1). Default 1.3 (modern colocation).
    #[serde(default = "default_pue")]
    pub pue: f64,
    /// Fixed opex per GPU per month, $ (>= 0): colocation, staff, insurance, maintenance.
    pub fixed_opex_per_gpu_month_usd: f64,
    /// Scheduled commissioning day (first day of capacity), days after loan close; must fall
    /// before loan maturity. Default 0.
    #[serde(default)]
    pub commissioning_day: u32,
}

fn default_hours_per_day() -> f64 {
    24.0
}
fn default_idle_power_fraction() -> f64 {
    0.35
}
fn default_pue() -> f64 {
    1.3
}

/// Depreciation curve of the collateral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawDepreciation {
    /// Linear from capex to salvage over the useful life.
    StraightLine,
    /// Book value × (1 − declining_rate)^years, floored at salvage.
    DecliningBalance,
}

/// `[collateral]`: residual value of the GPUs (every key optional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RawCollateral {
    /// `"straight_line"` or `"declining_balance"`. Default `"straight_line"`.
    pub depreciation: RawDepreciation,
    /// Annual decline rate for `declining_balance`, annual decimal in (0, 1); required there,
    /// not allowed with `straight_line`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declining_rate: Option<f64>,
    /// Useful life, years (> 0). Default 5.
    pub useful_life_years: f64,
    /// Residual fraction of capex at the end of the useful life, in [0, 1]. Default 0.05.
    pub salvage_fraction: f64,
    /// Elasticity of collateral value to (simulated price / starting mean curve), >= 0.
    /// Default 1 (proportional: wrong-way risk).
    pub price_elasticity: f64,
    /// Fraction of value lost in a forced sale, in [0, 1). Default 0.25.
    pub liquidation_haircut: f64,
    /// Fixed liquidation costs, $ (>= 0). Default 0.
    pub liquidation_cost_usd: f64,
}

impl Default for RawCollateral {
    fn default() -> Self {
        Self {
            depreciation: RawDepreciation::StraightLine,
            declining_rate: None,
            useful_life_years: 5.0,
            salvage_fraction: 0.05,
            price_elasticity: 1.0,
            liquidation_haircut: 0.25,
            liquidation_cost_usd: 0.0,
        }
    }
}

/// `[market]`: the correlated factors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMarket {
    /// Reference (index) price model (required).
    pub price: RawPrice,
    /// Utilization model.
    #[serde(default)]
    pub utilization: RawUtilization,
    /// Operator basis model. Default: no basis (mean 0, volatility 0).
    #[serde(default)]
    pub basis: RawBasis,
    /// Power price model. Default: fixed at 0.08 $/kWh.
    #[serde(default)]
    pub power: RawPower,
    /// Correlation of the daily Gaussian shocks. Default: identity.
    #[serde(default)]
    pub correlation: RawCorrelation,
}

/// Mean curve θ(t) of the reference price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RawCurve {
    /// θ(t) = initial · (1 + annual_drift)^(t / 365).
    Drift {
        /// θ(0), $/GPU-hour (> 0).
        initial_usd_per_gpu_hour: f64,
        /// Annual relative drift, annual decimal (> −1; −0.15 = −15 %/yr).
        annual_drift: f64,
    },
    /// Piecewise-linear in log price through `[day, $/GPU-hour]` points, flat outside.
    Points {
        /// `[[day, usd_per_gpu_hour], ...]`: days >= 0 strictly increasing, prices > 0.
        points: Vec<[f64; 2]>,
    },
}

/// How the mean curve enters the log-price dynamics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawConvention {
    /// The curve is the path median without jumps: X = ln θ(t) + Z (default).
    Median,
    /// The curve is the OU reversion level: dX = κ(ln θ(t) − X)dt + σ dW.
    ReversionLevel,
}

/// `[market.price]`: log-OU around θ(t) with compound-Poisson jumps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPrice {
    /// The mean curve θ(t).
    pub curve: RawCurve,
    /// `"median"` (default) or `"reversion_level"`.
    #[serde(default = "default_convention")]
    pub convention: RawConvention,
    /// Mean-reversion speed κ, per year (> 0).
    pub kappa_per_year: f64,
    /// Volatility σ of log price, per sqrt(year) (>= 0).
    pub sigma_per_sqrt_year: f64,
    /// Compound-Poisson jumps in log price; absent = no jumps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jumps: Option<RawJumps>,
}

fn default_convention() -> RawConvention {
    RawConvention::Median
}

/// Compound-Poisson jumps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawJumps {
    /// Expected jumps per year λ (>= 0).
    pub intensity_per_year: f64,
    /// Distribution of one jump in log price.
    pub size: RawJumpSize,
}

/// Distribution of one jump in log price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RawJumpSize {
    /// Normal(mean, std) in log price.
    Normal {
        /// Mean jump, log units (−0.10 ≈ −10 %).
        mean: f64,
        /// Standard deviation, log units (>= 0).
        std: f64,
    },
    /// Kou double exponential.
    DoubleExponential {
        /// Probability of an up jump, in [0, 1].
        p_up: f64,
        /// Mean size of an up jump, log units (> 0).
        mean_up: f64,
        /// Mean absolute size of a down jump, log units (> 0).
        mean_down: f64,
    },
}

/// `[market.utilization]`: u = logistic(Y), Y an OU around logit of a ramp-up target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RawUtilization {
    /// Target utilization on the commissioning day, fraction in (0, 1). Default 0.75.
    pub initial: f64,
    /// Long-run target utilization after the ramp, fraction in (0, 1). Default 0.75.
    pub long_run_mean: f64,
    /// Days after commissioning over which the target moves (in logit) to the long run. Default 0.
    pub ramp_days: u32,
    /// Mean-reversion speed of Y, per year (> 0). Default 6.
    pub kappa_per_year: f64,
    /// Volatility of Y, logit units per sqrt(year) (>= 0). Default 1.0.
    pub sigma_per_sqrt_year: f64,
}

impl Default for RawUtilization {
    fn default() -> Self {
        Self {
            initial: 0.75,
            long_run_mean: 0.75,
            ramp_days: 0,
            kappa_per_year: 6.0,
            sigma_per_sqrt_year: 1.0,
        }
    }
}

/// `[market.basis]`: operator price = index × exp(b), b = mean + OU deviation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RawBasis {
    /// Long-run mean of b, log units (−0.05 ≈ 5 % below the index). Default 0.
    pub mean: f64,
    /// b on day 0, log units. Default 0.
    pub initial: f64,
    /// Mean-reversion speed, per year (> 0). Default 4.
    pub kappa_per_year: f64,
    /// Volatility of b, log units per sqrt(year) (>= 0). Default 0.
    pub sigma_per_sqrt_year: f64,
}

impl Default for RawBasis {
    fn default() -> Self {
        Self {
            mean: 0.0,
            initial: 0.0,
            kappa_per_year: 4.0,
            sigma_per_sqrt_year: 0.0,
        }
    }
}

/// `[market.power]`: power price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RawPower {
    /// A fixed-price PPA.
    Fixed {
        /// Power price, $/kWh (> 0).
        usd_per_kwh: f64,
    },
    /// Log-OU around a constant median.
    MeanReverting {
        /// Median power price, $/kWh (> 0).
        usd_per_kwh: f64,
        /// Mean-reversion speed, per year (> 0).
        kappa_per_year: f64,
        /// Volatility of log power price, per sqrt(year) (>= 0).
        sigma_per_sqrt_year: f64,
    },
}

impl Default for RawPower {
    fn default() -> Self {
        Self::Fixed { usd_per_kwh: 0.08 }
    }
}

/// What to do with a correlation matrix that is not positive semi-definite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawRepair {
    /// Reject it (default).
    None,
    /// Replace it by the nearest correlation matrix (Higham 2002) and report the change.
    Higham,
}

/// `[market.correlation]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RawCorrelation {
    /// 4×4 correlation of the daily shocks, factor order price, utilization, basis, power:
    /// symmetric, unit diagonal, entries in [−1, 1], positive semi-definite. Default identity.
    pub matrix: Vec<Vec<f64>>,
    /// `"none"` (default: reject a non-PSD matrix) or `"higham"` (repair it).
    pub repair: RawRepair,
}

impl Default for RawCorrelation {
    fn default() -> Self {
        let n = super::model::N_FACTORS;
        Self {
            matrix: (0..n)
                .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
                .collect(),
            repair: RawRepair::None,
        }
    }
}

/// Amortization of the loan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RawAmortization {
    /// Level payment after the grace period.
    Annuity,
    /// Equal principal after the grace period, plus interest.
    StraightLine,
    /// Debt service = base-case CFADS / target_dscr ("lesser of" sizing).
    Sculpted {
        /// Target DSCR, ratio (>= 1).
        target_dscr: f64,
    },
}

/// What a covenant breach triggers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawCovenantAction {
    /// Block equity distributions until cured.
    CashTrap,
    /// The loan defaults.
    EventOfDefault,
}

/// A minimum-level covenant tested on each payment date over a trailing window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCovenant {
    /// Minimum value: DSCR ratio (> 0), or utilization fraction in (0, 1).
    pub threshold: f64,
    /// Trailing window (> 0): payment periods for DSCR, days for utilization.
    pub window: u32,
    /// `"cash_trap"` (default) or `"event_of_default"`.
    #[serde(default = "default_covenant_action")]
    pub action: RawCovenantAction,
}

fn default_covenant_action() -> RawCovenantAction {
    RawCovenantAction::CashTrap
}

/// `[loan]`: the GPU-backed loan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLoan {
    /// Principal / capex, fraction in (0, 1].
    pub advance_rate: f64,
    /// Fixed interest rate, annual decimal in [0, 1).
    pub annual_rate: f64,
    /// Number of payment periods incl. grace (count > 0).
    pub tenor_months: u32,
    /// Days between payment dates (> 0). Default 30.
    #[serde(default = "default_payment_interval_days")]
    pub payment_interval_days: u32,
    /// Amortization. Default `{ kind = "annuity" }`.
    #[serde(default = "default_amortization")]
    pub amortization: RawAmortization,
    /// Interest-only payment periods at the start (< tenor_months). Default 0.
    #[serde(default)]
    pub grace_months: u32,
    /// DSRA target, months of the next scheduled debt service (>= 0). Default 6 (a typical
    /// project-finance reserve).
    #[serde(default = "default_dsra_months")]
    pub dsra_months: f64,
    /// Minimum trailing DSCR covenant; absent = none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dscr_covenant: Option<RawCovenant>,
    /// Minimum trailing realized utilization covenant; absent = none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utilization_covenant: Option<RawCovenant>,
}

fn default_payment_interval_days() -> u32 {
    30
}
fn default_amortization() -> RawAmortization {
    RawAmortization::Annuity
}
fn default_dsra_months() -> f64 {
    6.0
}

/// Which swap the SPV enters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawSwapVariant {
    /// Fixed leg P_fix·K_p vs variable leg P_ref·min(H_p, K_p) (default).
    TenancySwap,
    /// Reserved-access fee vs realized revenue minus opex; needs `reserved_fee_usd_per_gpu_hour`.
    TwoLeg,
    /// No swap.
    None,
}

/// The keyword `"par"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawParKeyword {
    /// Solve for the par fixed price.
    Par,
}

/// A contractual fixed price ($/GPU-hour) or `"par"`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RawFixedPrice {
    /// Contractual fixed price, $/GPU-hour (> 0).
    Usd(f64),
    /// `"par"`: solve for the price at which the swap is worth zero at inception.
    Keyword(RawParKeyword),
}

/// Which price the variable leg settles on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawReference {
    /// The published index (default).
    Index,
    /// The operator-realized price.
    Operator,
}

/// `[swap]`: the tenancy swap terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSwap {
    /// `"tenancy_swap"` (default), `"two_leg"` or `"none"`.
    #[serde(default = "default_variant")]
    pub variant: RawSwapVariant,
    /// Fixed price, $/GPU-hour (> 0), or the string `"par"`.
    pub fixed_price_usd_per_gpu_hour: RawFixedPrice,
    /// Strike utilization u_k, fraction in (0, 1].
    pub strike_utilization: f64,
    /// Calculation period, days (> 0). Default 7.
    #[serde(default = "default_period_days")]
    pub period_days: u32,
    /// `"index"` (default) or `"operator"`.
    #[serde(default = "default_reference")]
    pub reference: RawReference,
    /// Reserved-access fee of the `two_leg` variant, $/GPU-hour (> 0); only for `two_leg`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved_fee_usd_per_gpu_hour: Option<f64>,
}

fn default_variant() -> RawSwapVariant {
    RawSwapVariant::TenancySwap
}
fn default_period_days() -> u32 {
    7
}
fn default_reference() -> RawReference {
    RawReference::Index
}

/// One outflow step of the cash waterfall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawWaterfallStep {
    /// Power and fixed opex.
    Opex,
    /// Interest, then principal.
    DebtService,
    /// Swap settlement owed by the SPV.
    SwapPayment,
    /// DSRA refill.
    DsraTopUp,
    /// Distributions to operator equity (must be last).
    Equity,
}

/// `[waterfall]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RawWaterfall {
    /// A permutation of `opex`, `debt_service`, `swap_payment`, `dsra_top_up`, `equity` with
    /// `equity` last. Default: that order (seed 002).
    pub order: Vec<RawWaterfallStep>,
}

impl Default for RawWaterfall {
    fn default() -> Self {
        Self {
            order: vec![
                RawWaterfallStep::Opex,
                RawWaterfallStep::DebtService,
                RawWaterfallStep::SwapPayment,
                RawWaterfallStep::DsraTopUp,
                RawWaterfallStep::Equity,
            ],
        }
    }
}

/// Initial margin method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum RawInitialMargin {
    /// A fixed amount.
    Fixed {
        /// Initial margin, $ (>= 0).
        usd: f64,
    },
    /// Trader's loss over the margin period of risk under a named stress.
    Stress {
        /// Relative price change, decimal (> −1; −0.5 = −50 %).
        price_change: f64,
        /// Utilization during the stress, fraction in [0, 1].
        utilization: f64,
        /// Stress duration, days (> 0).
        days: u32,
    },
    /// Quantile of the simulated loss over the margin period of risk.
    Var {
        /// Quantile, in (0, 1) (0.99 = 99 %).
        quantile: f64,
    },
}

/// `[csa]`: Credit Support Annex terms (every key optional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RawCsa {
    /// Days between margin calls (> 0). Default 1 (daily).
    pub margin_interval_days: u32,
    /// Unsecured exposure allowed before a call, $ (>= 0). Default 0.
    pub threshold_usd: f64,
    /// Minimum transfer amount, $ (>= 0). Default 0.
    pub minimum_transfer_usd: f64,
    /// Calls rounded up to a multiple of this, $ (>= 0; 0 = none). Default 0.
    pub rounding_usd: f64,
    /// Independent amount posted by the trader on top of IM, $ (>= 0). Default 0.
    pub independent_amount_usd: f64,
    /// Margin period of risk, days (> 0). Default 10.
    pub mpor_days: u32,
    /// Both parties post VM (true) or only the trader (false). Default true.
    pub bilateral: bool,
    /// Money-market yield on posted collateral, annual decimal (> −1). Default 0.
    pub collateral_yield: f64,
    /// Initial margin method. Default: seed 002's stress (price −50 %, utilization 20 %, 30 days).
    pub initial_margin: RawInitialMargin,
    /// IM multiplier after a trader downgrade (>= 1). Default 1.
    pub downgrade_multiplier: f64,
}

impl Default for RawCsa {
    fn default() -> Self {
        Self {
            margin_interval_days: 1,
            threshold_usd: 0.0,
            minimum_transfer_usd: 0.0,
            rounding_usd: 0.0,
            independent_amount_usd: 0.0,
            mpor_days: 10,
            bilateral: true,
            collateral_yield: 0.0,
            initial_margin: RawInitialMargin::Stress {
                price_change: -0.5,
                utilization: 0.2,
                days: 30,
            },
            downgrade_multiplier: 1.0,
        }
    }
}

/// What happens to the swap when the trader defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawTraderDefaultAction {
    /// A replacement trader steps in at the then-par fixed price (default).
    Replace,
    /// The swap terminates; the SPV runs unhedged.
    Terminate,
}

/// `[trader]`: the swap offtaker (every key optional; defaults describe a mid-sized, BB-rated
/// trading house).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RawTrader {
    /// Unencumbered cash, $ (>= 0). Default 3,000,000.
    pub cash_usd: f64,
    /// Committed credit line, $ (>= 0). Default 2,000,000.
    pub credit_line_usd: f64,
    /// Default intensity per year at the starting price (>= 0). Default 0.01.
    pub default_intensity_per_year: f64,
    /// Wrong-way sensitivity: intensity × (P_t / θ(0))^(−sensitivity), >= 0. Default 0.
    pub wrong_way_sensitivity: f64,
    /// Intensity per year above which the trader counts as downgraded (> 0). Default 0.03.
    pub downgrade_intensity_per_year: f64,
    /// `"replace"` (default) or `"terminate"`.
    pub on_default: RawTraderDefaultAction,
}

impl Default for RawTrader {
    fn default() -> Self {
        Self {
            cash_usd: 3_000_000.0,
            credit_line_usd: 2_000_000.0,
            default_intensity_per_year: 0.01,
            wrong_way_sensitivity: 0.0,
            downgrade_intensity_per_year: 0.03,
            on_default: RawTraderDefaultAction::Replace,
        }
    }
}

/// When a shock arrives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RawArrival {
    /// On this day on every path.
    FixedDay {
        /// Arrival day (<= horizon), days after loan close.
        day: u32,
    },
    /// With this probability, at a day uniform in [first_day, last_day].
    Probability {
        /// Probability of occurrence within the horizon, in [0, 1].
        probability: f64,
        /// First possible day. Default 0.
        #[serde(default)]
        first_day: u32,
        /// Last possible day (>= first_day, <= horizon). Default: the horizon's last day.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_day: Option<u32>,
    },
    /// Poisson arrivals.
    Poisson {
        /// Expected arrivals per year (>= 0).
        rate_per_year: f64,
    },
}

/// A shock magnitude given as a distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RawMagnitudeDist {
    /// A fixed size.
    Fixed {
        /// Size, in the target's unit.
        value: f64,
    },
    /// Normal(mean, std).
    Normal {
        /// Mean, in the target's unit.
        mean: f64,
        /// Standard deviation (>= 0), in the target's unit.
        std: f64,
    },
    /// Uniform on [low, high].
    Uniform {
        /// Lower bound, in the target's unit.
        low: f64,
        /// Upper bound (>= low), in the target's unit.
        high: f64,
    },
}

/// A shock magnitude: a number (fixed) or a distribution table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RawMagnitude {
    /// A fixed size, in the target's unit.
    Number(f64),
    /// A distribution.
    Dist(RawMagnitudeDist),
}

/// Time profile of a shock after arrival.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RawShape {
    /// Full effect from arrival on.
    Step,
    /// Linear rise to full effect.
    Ramp {
        /// Ramp length, days (> 0).
        days: u32,
    },
    /// Full effect for a while, then none.
    Pulse {
        /// Pulse length, days (> 0).
        days: u32,
    },
    /// Exponential decay of the effect.
    Decay {
        /// Half-life, days (> 0).
        half_life_days: f64,
    },
}

/// What a shock moves (magnitude units in parentheses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawShockTarget {
    /// The price mean curve (relative change, > −1).
    PriceMeanCurve,
    /// The price level (relative change, > −1).
    PriceLevel,
    /// The utilization mean (utilization points, in [−1, 1]).
    UtilizationMean,
    /// The utilization level (a level in [0, 1]).
    UtilizationLevel,
    /// Available capacity (removed fraction in [0, 1]).
    Capacity,
    /// Commissioning date (delay in days, >= 0).
    CommissioningDate,
    /// Operator basis (log units).
    OperatorBasis,
    /// Power price (relative change, > −1).
    PowerPrice,
    /// Opex (relative change, > −1).
    Opex,
    /// Collateral residual value (relative change, > −1).
    CollateralValue,
    /// The index relative to the operator price (relative change, > −1).
    IndexMethodology,
}

/// `[[shocks]]`: one layer shock. With a `preset`, every other key is optional and overrides
/// the preset's default; without one, `layer`, `arrival`, `magnitude`, `shape`, `target` are
/// required.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawShock {
    /// Named preset supplying defaults for every other key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<Preset>,
    /// Name for reports (unique). Default: the preset's name, or `shock<N>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Layer tag `"L0"` … `"L16"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// When the shock arrives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrival: Option<RawArrival>,
    /// Size of the shock, in the target's unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub magnitude: Option<RawMagnitude>,
    /// Time profile after arrival.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<RawShape>,
    /// What the shock moves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<RawShockTarget>,
    /// Extra utilization points per unit of relative price change caused by this shock
    /// (finite). Default 0 (preset `efficiency_gain`: 0.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demand_elasticity: Option<f64>,
}

/// `[qacu]`: quality-adjusted compute unit factors (every key optional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RawQacu {
    /// Utilization factor, in (0, 1]; absent = derived from the simulation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utilization_factor: Option<f64>,
    /// Performance factor relative to the reference SKU (> 0). Default 1.
    pub performance_factor: f64,
    /// Availability factor, in (0, 1]; absent = derived from the simulation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability_factor: Option<f64>,
    /// Locality factor (> 0). Default 1.
    pub locality_factor: f64,
    /// Policy factor (> 0). Default 1.
    pub policy_factor: f64,
    /// Settlement factor (> 0). Default 1.
    pub settlement_factor: f64,
}

impl Default for RawQacu {
    fn default() -> Self {
        Self {
            utilization_factor: None,
            performance_factor: 1.0,
            availability_factor: None,
            locality_factor: 1.0,
            policy_factor: 1.0,
            settlement_factor: 1.0,
        }
    }
}
