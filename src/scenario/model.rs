//! The validated scenario: the only input the engine and the contracts accept.
//!
//! Owns the *meaning* of every parameter (units in each doc comment). Everything here has been
//! checked by `scenario::validate`, so engine code never re-validates and never fails on input.
//! Must not: derive `Deserialize`, read files, or know TOML (that is `scenario::raw`).
//!
//! Units: money in US dollars, rates as annual decimals (0.13 = 13 %/yr), time in days unless a
//! name says `_months` or `_years`, prices in $/GPU-hour, power in kW and $/kWh.

/// Number of correlated Gaussian factors, in this fixed order: price, utilization, basis, power.
pub const N_FACTORS: usize = 4;
/// Index of each factor in the correlation matrix.
pub const F_PRICE: usize = 0;
pub const F_UTIL: usize = 1;
pub const F_BASIS: usize = 2;
pub const F_POWER: usize = 3;
/// Days per year used to convert annual rates and intensities to the daily grid.
pub const DAYS_PER_YEAR: f64 = 365.0;

/// A fully validated scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Short name; the default output folder is `output/<name>/`.
    pub name: String,
    /// One-paragraph story of the scenario, echoed in the report.
    pub description: String,
    pub simulation: Simulation,
    pub cluster: Cluster,
    pub collateral: Collateral,
    pub market: Market,
    pub loan: Loan,
    pub swap: Swap,
    pub waterfall: Waterfall,
    pub csa: Csa,
    pub trader: Trader,
    pub shocks: Vec<Shock>,
    pub qacu: Qacu,
}

/// Monte Carlo settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    /// Default number of paths (the CLI's `--paths` overrides).
    pub paths: u64,
    /// Default seed (the CLI's `--seed` overrides).
    pub seed: u64,
    /// Extra days simulated after loan maturity (collateral liquidation tail).
    pub tail_days: u32,
    /// Annual continuously-compounded discount rate used for par pricing and swap MTM.
    pub discount_rate: f64,
    /// Days between rows of the per-period output table (7 = weekly rows).
    pub report_interval_days: u32,
    /// Antithetic variates in pairs of paths (2k, 2k+1); see `engine::run`.
    pub antithetic: bool,
    /// Importance sampling of the price path for rare defaults (None = off); see
    /// `engine::importance`.
    pub importance: Option<ImportanceSampling>,
}

/// The importance-sampling pass of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImportanceSampling {
    pub shift: ImportanceShift,
    /// Paths per cross-entropy pilot level (for [`ImportanceShift::Auto`]).
    pub pilot_paths: u64,
}

/// How the importance-sampling shift is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ImportanceShift {
    /// Cross-entropy pilot on the hedged default.
    Auto,
    /// Shift of the horizon sum of the price factor's daily normals, in its standard deviations
    /// (negative = prices lower).
    Sd(f64),
}

/// The reference cluster and its operating economics (SPEC §6).
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// Number of GPUs in the SPV.
    pub gpus: u32,
    /// GPU SKU label (informational, e.g. "H100 SXM5 80GB").
    pub sku: String,
    /// Location / market region label (informational).
    pub region: String,
    /// All-in capex per GPU in dollars (server share, networking, installation).
    pub capex_per_gpu_usd: f64,
    /// Hours per day a GPU can be rented (24).
    pub hours_per_day: f64,
    /// Fraction of hours the GPU is up and rentable (0..=1).
    pub availability: f64,
    /// IT power per GPU in kW at full load, including its share of host and network.
    pub it_power_kw_per_gpu: f64,
    /// Fraction of full-load power drawn by an idle GPU (0..=1).
    pub idle_power_fraction: f64,
    /// Power usage effectiveness (>= 1).
    pub pue: f64,
    /// Fixed opex per GPU per month in dollars (colocation, staff, insurance, maintenance).
    pub fixed_opex_per_gpu_month_usd: f64,
    /// Scheduled commissioning day (first day of capacity), days after loan close.
    pub commissioning_day: u32,
}

/// Depreciation curve of the collateral.
#[derive(Debug, Clone, PartialEq)]
pub enum Depreciation {
    /// Linear from capex to `salvage_fraction · capex` over the useful life.
    StraightLine,
    /// Book value × (1 − annual_rate)^years, floored at salvage.
    DecliningBalance { annual_rate: f64 },
}

/// Collateral residual value of the GPUs (SPEC §6).
#[derive(Debug, Clone, PartialEq)]
pub struct Collateral {
    pub depreciation: Depreciation,
    /// Useful life in years.
    pub useful_life_years: f64,
    /// Residual fraction of capex at the end of the useful life.
    pub salvage_fraction: f64,
    /// Elasticity of collateral value to (simulated price / starting mean curve): value scales
    /// with that ratio to this power (1 = proportional; 0 = no wrong-way effect).
    pub price_elasticity: f64,
    /// Fraction lost in a forced sale (0..1).
    pub liquidation_haircut: f64,
    /// Fixed liquidation costs in dollars (legal, de-racking, transport).
    pub liquidation_cost_usd: f64,
}

/// All market factors and their correlation (SPEC §4).
#[derive(Debug, Clone, PartialEq)]
pub struct Market {
    pub price: PriceModel,
    pub utilization: UtilizationModel,
    pub basis: BasisModel,
    pub power: PowerModel,
    pub correlation: Correlation,
}

/// The mean curve θ(t) of the reference price, in $/GPU-hour.
#[derive(Debug, Clone, PartialEq)]
pub enum MeanCurve {
    /// θ(t) = initial · (1 + annual_drift)^(t / 365); annual_drift −0.15 = −15 %/yr.
    Drift {
        initial_usd_per_gpu_hour: f64,
        annual_drift: f64,
    },
    /// Piecewise-linear in log price through (day, $/GPU-hour) points, flat outside; days strictly increasing.
    Points(Vec<(f64, f64)>),
}

/// How the mean curve enters the log-price dynamics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurveConvention {
    /// X = ln θ(t) + Z, Z an OU deviation from 0: θ is the path median without jumps (default).
    Median,
    /// dX = κ(ln θ(t) − X)dt + σ dW: X lags θ by |drift|/κ when θ falls.
    ReversionLevel,
}

/// Reference (index) price: log-OU around θ(t) with compound-Poisson jumps.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceModel {
    pub curve: MeanCurve,
    pub convention: CurveConvention,
    /// Mean-reversion speed κ, per year.
    pub kappa_per_year: f64,
    /// Volatility σ of log price, per sqrt(year).
    pub sigma_per_sqrt_year: f64,
    /// Jumps in log price (they enter the OU deviation and revert with it); `None` = no jumps.
    pub jumps: Option<Jumps>,
}

/// Compound-Poisson jumps.
#[derive(Debug, Clone, PartialEq)]
pub struct Jumps {
    /// Expected jumps per year (λ).
    pub intensity_per_year: f64,
    pub size: JumpSize,
}

/// Distribution of one jump in log price.
#[derive(Debug, Clone, PartialEq)]
pub enum JumpSize {
    /// Normal(mean, std) in log price.
    Normal { mean: f64, std: f64 },
    /// Kou double exponential: up with probability `p_up` and mean size `mean_up` (> 0),
    /// otherwise down with mean absolute size `mean_down` (> 0).
    DoubleExponential {
        p_up: f64,
        mean_up: f64,
        mean_down: f64,
    },
}

/// Utilization u = logistic(Y), Y an OU around logit of a ramp-up target curve.
#[derive(Debug, Clone, PartialEq)]
pub struct UtilizationModel {
    /// Target utilization on the commissioning day (0..1 exclusive).
    pub initial: f64,
    /// Long-run target utilization after the ramp (0..1 exclusive).
    pub long_run_mean: f64,
    /// Days after commissioning over which the target moves linearly (in logit) to the long run.
    pub ramp_days: u32,
    /// Mean-reversion speed of Y, per year.
    pub kappa_per_year: f64,
    /// Volatility of Y (logit units), per sqrt(year).
    pub sigma_per_sqrt_year: f64,
}

/// Operator basis b: operator-realized price = index × exp(b); b = mean + OU deviation.
#[derive(Debug, Clone, PartialEq)]
pub struct BasisModel {
    /// Long-run mean of b (log units; −0.05 ≈ operator earns 5 % below the index).
    pub mean: f64,
    /// b on day 0.
    pub initial: f64,
    pub kappa_per_year: f64,
    pub sigma_per_sqrt_year: f64,
}

/// Power price in $/kWh.
#[derive(Debug, Clone, PartialEq)]
pub enum PowerModel {
    /// A fixed-price PPA.
    Fixed { usd_per_kwh: f64 },
    /// Log-OU around a constant median `usd_per_kwh`.
    MeanReverting {
        usd_per_kwh: f64,
        kappa_per_year: f64,
        sigma_per_sqrt_year: f64,
    },
}

/// The validated 4×4 correlation of the factors' daily Gaussian shocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Correlation {
    /// The matrix actually used (after a Higham repair when one was asked for).
    pub matrix: [[f64; N_FACTORS]; N_FACTORS],
    /// Lower-triangular factor L with L·Lᵀ = matrix (pivoted for PSD matrices).
    pub cholesky: [[f64; N_FACTORS]; N_FACTORS],
    /// Present when the input was not PSD and `repair = "higham"` fixed it.
    pub repair: Option<CorrelationRepair>,
}

/// What a Higham nearest-correlation repair changed.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationRepair {
    /// Smallest eigenvalue of the matrix as written.
    pub min_eigenvalue_before: f64,
    /// Frobenius norm of (repaired − input).
    pub frobenius_change: f64,
}

/// Amortization of the loan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Amortization {
    /// Level payment (interest + principal) every payment date after the grace period.
    Annuity,
    /// Equal principal every payment date after the grace period, plus interest.
    StraightLine,
    /// Debt service = base-case CFADS / target_dscr; principal = min(advance-rate principal,
    /// PV of that debt service at the loan rate) ("lesser of" sizing).
    Sculpted { target_dscr: f64 },
}

/// What a covenant breach triggers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CovenantAction {
    /// Equity distributions blocked; cash held in the lender's lock-up account until cured.
    CashTrap,
    /// The lender accelerates: the loan defaults on that date.
    EventOfDefault,
}

/// A minimum-level covenant tested on each payment date over a trailing window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Covenant {
    /// Minimum value (DSCR ratio, or utilization as a fraction).
    pub threshold: f64,
    /// Trailing window: payment periods for DSCR, days for utilization.
    pub window: u32,
    pub action: CovenantAction,
}

/// The GPU-backed loan of the SPV (SPEC §7).
#[derive(Debug, Clone, PartialEq)]
pub struct Loan {
    /// Principal / capex (0..1].
    pub advance_rate: f64,
    /// Fixed annual interest rate (simple, accrued per day as rate · days / 365).
    pub annual_rate: f64,
    /// Number of payment periods over the life of the loan (including grace).
    pub tenor_months: u32,
    /// Days between payment dates (30 by default).
    pub payment_interval_days: u32,
    pub amortization: Amortization,
    /// Interest-only payment periods at the start.
    pub grace_months: u32,
    /// DSRA target, in months of the next scheduled debt service; funded at close by equity.
    pub dsra_months: f64,
    /// Minimum trailing DSCR covenant.
    pub dscr_covenant: Option<Covenant>,
    /// Minimum trailing realized utilization (the seed's performance covenant).
    pub utilization_covenant: Option<Covenant>,
}

/// Which swap the SPV enters (SPEC §8).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SwapVariant {
    /// Fixed leg P_fix·K_p vs variable leg P_ref·min(H_p, K_p).
    TenancySwap,
    /// Trader pays a reserved-access fee (per GPU-hour of reference capacity × notional factor)
    /// and receives the notional share of realized revenue minus opex.
    TwoLeg { reserved_fee_usd_per_gpu_hour: f64 },
    /// No swap (the unhedged loan, always computed too).
    None,
}

/// The fixed price of the swap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FixedPrice {
    /// Contractual $/GPU-hour.
    Usd(f64),
    /// Solve for the par fixed price before the run and use it.
    Par,
}

/// Which price the variable leg settles on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferencePrice {
    /// The published index P_ref (basis risk stays with the SPV).
    Index,
    /// The operator-realized price P_ref·exp(b).
    Operator,
}

/// The tenancy swap terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Swap {
    pub variant: SwapVariant,
    pub fixed_price: FixedPrice,
    /// Strike utilization u_k (0..1].
    pub strike_utilization: f64,
    /// Calculation period in days (7 = weekly).
    pub period_days: u32,
    pub reference: ReferencePrice,
}

/// One outflow step of the cash waterfall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WaterfallStep {
    Opex,
    DebtService,
    SwapPayment,
    DsraTopUp,
    Equity,
}

/// The ordered outflow steps (revenue and swap receipts always come in first; equity last).
#[derive(Debug, Clone, PartialEq)]
pub struct Waterfall {
    pub order: Vec<WaterfallStep>,
}

/// Initial margin method (SPEC §10).
#[derive(Debug, Clone, PartialEq)]
pub enum InitialMargin {
    /// A fixed amount in dollars.
    Fixed { usd: f64 },
    /// Loss over the margin period of risk under a named stress.
    Stress(StressSpec),
    /// Quantile of the simulated loss over the margin period of risk.
    Var { quantile: f64 },
}

/// A named stress: price × (1 + price_change), utilization forced to `utilization` for `days`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StressSpec {
    /// Relative price change (−0.5 = price −50 %).
    pub price_change: f64,
    /// Utilization level during the stress (0..1).
    pub utilization: f64,
    /// Duration of the stress in days.
    pub days: u32,
}

/// Credit Support Annex terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Csa {
    /// Days between margin calls (1 = daily).
    pub margin_interval_days: u32,
    /// Unsecured exposure allowed before a call, dollars.
    pub threshold_usd: f64,
    /// Minimum transfer amount, dollars.
    pub minimum_transfer_usd: f64,
    /// Calls are rounded up to a multiple of this, dollars (0 = no rounding).
    pub rounding_usd: f64,
    /// Independent amount posted by the trader on top of IM, dollars.
    pub independent_amount_usd: f64,
    /// Margin period of risk in days.
    pub mpor_days: u32,
    /// Both parties post VM (true), or only the trader (false).
    pub bilateral: bool,
    /// Annual money-market yield earned on posted collateral.
    pub collateral_yield: f64,
    pub initial_margin: InitialMargin,
    /// IM multiplier applied after a trader downgrade (>= 1).
    pub downgrade_multiplier: f64,
}

/// What happens to the swap when the trader defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraderDefaultAction {
    /// A replacement trader steps in at the then-par fixed price.
    Replace,
    /// The swap terminates; the SPV runs unhedged.
    Terminate,
}

/// The trader (swap offtaker).
#[derive(Debug, Clone, PartialEq)]
pub struct Trader {
    /// Unencumbered cash, dollars.
    pub cash_usd: f64,
    /// Committed credit line, dollars.
    pub credit_line_usd: f64,
    /// Exogenous default intensity per year at the starting price.
    pub default_intensity_per_year: f64,
    /// Wrong-way sensitivity: intensity × (P_t / θ(0))^(−sensitivity); 0 = none.
    pub wrong_way_sensitivity: f64,
    /// Annual default intensity above which the trader counts as downgraded.
    pub downgrade_intensity_per_year: f64,
    pub on_default: TraderDefaultAction,
}

/// Tag of the AILIS layer (L0 … L16) a shock enters at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Layer(pub u8);

/// When a shock arrives.
#[derive(Debug, Clone, PartialEq)]
pub enum Arrival {
    /// On this day, on every path.
    FixedDay(u32),
    /// With this probability within the horizon, at a day drawn uniformly in [first_day, last_day].
    Probability {
        probability: f64,
        first_day: u32,
        last_day: u32,
    },
    /// Poisson arrivals at this rate per year (each arrival is an independent occurrence).
    Poisson { rate_per_year: f64 },
}

/// Size of a shock (units depend on the target, see [`ShockTarget`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Magnitude {
    Fixed(f64),
    Normal { mean: f64, std: f64 },
    Uniform { low: f64, high: f64 },
}

/// Time profile of a shock after arrival; weight w(t) in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// w = 1 from arrival on.
    Step,
    /// w rises linearly from 0 to 1 over `days`, then stays 1.
    Ramp { days: u32 },
    /// w = 1 for `days`, then 0.
    Pulse { days: u32 },
    /// w = 2^(−age / half_life_days).
    Decay { half_life_days: f64 },
}

/// What a shock moves. Magnitude units: relative change (−0.2 = −20 %) for price mean curve,
/// price level, power price, opex and collateral value; utilization points for utilization mean;
/// a level (0..1) for utilization level; a removed fraction for capacity; days for commissioning
/// date; log units for operator basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShockTarget {
    PriceMeanCurve,
    PriceLevel,
    UtilizationMean,
    UtilizationLevel,
    Capacity,
    CommissioningDate,
    OperatorBasis,
    PowerPrice,
    Opex,
    CollateralValue,
    /// The index moves, the operator-realized price does not (index methodology change).
    IndexMethodology,
}

/// A generic layer shock (SPEC §5); presets expand into one of these.
#[derive(Debug, Clone, PartialEq)]
pub struct Shock {
    /// Name for reports (the preset name, or the user's).
    pub name: String,
    pub layer: Layer,
    pub arrival: Arrival,
    pub magnitude: Magnitude,
    pub shape: Shape,
    pub target: ShockTarget,
    /// Extra utilization points per unit of relative price change caused by this shock
    /// (efficiency_gain's demand elasticity: cheaper compute raises demand); 0 = none.
    pub demand_elasticity: f64,
}

/// Quality-adjusted compute unit factors (seed 000). `None` = derived from the simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct Qacu {
    pub utilization_factor: Option<f64>,
    pub performance_factor: f64,
    pub availability_factor: Option<f64>,
    pub locality_factor: f64,
    pub policy_factor: f64,
    pub settlement_factor: f64,
}
