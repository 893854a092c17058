//! Validation: [`RawScenario`] → `model::Scenario`, collecting *every* problem.
//!
//! Owns the ranges and cross-field rules (each check's message is `must be ..., got ...`).
//! Problems are returned as (dotted key path, message); `mod.rs` locates them in files. Must
//! not: read files, know line numbers, or stop at the first problem.

use nalgebra::DMatrix;

use super::model::*;
use super::presets::apply_preset;
use super::raw::*;
use crate::market::correlation::{self, CorrelationError, HighamSettings, PSD_TOLERANCE};

/// One problem: dotted key path and message.
pub type Problem = (String, String);

/// Collects problems; every check returns whether the value passed.
#[derive(Default)]
struct Checker {
    problems: Vec<Problem>,
}

/// An interval end: value and whether it is included.
type End = Option<(f64, bool)>;

const INCL: bool = true;
const EXCL: bool = false;

impl Checker {
    fn push(&mut self, key: &str, message: impl Into<String>) {
        self.problems.push((key.to_owned(), message.into()));
    }

    /// `v` finite and inside (lo, hi) with the given inclusivity.
    fn interval(&mut self, key: &str, v: f64, lo: End, hi: End) -> bool {
        if !v.is_finite() {
            self.push(key, format!("must be a finite number, got {v}"));
            return false;
        }
        let lo_ok = lo.is_none_or(|(l, inc)| if inc { v >= l } else { v > l });
        let hi_ok = hi.is_none_or(|(h, inc)| if inc { v <= h } else { v < h });
        if lo_ok && hi_ok {
            return true;
        }
        let message = match (lo, hi) {
            (Some((l, li)), Some((h, hi))) => format!(
                "must be in {}{l}, {h}{}, got {v}",
                if li { "[" } else { "(" },
                if hi { "]" } else { ")" }
            ),
            (Some((l, true)), None) => format!("must be >= {l}, got {v}"),
            (Some((l, false)), None) => format!("must be > {l}, got {v}"),
            (None, Some((h, true))) => format!("must be <= {h}, got {v}"),
            (None, Some((h, false))) => format!("must be < {h}, got {v}"),
            (None, None) => return true,
        };
        self.push(key, message);
        false
    }

    fn finite(&mut self, key: &str, v: f64) -> bool {
        self.interval(key, v, None, None)
    }
    fn ge(&mut self, key: &str, v: f64, min: f64) -> bool {
        self.interval(key, v, Some((min, INCL)), None)
    }
    fn gt(&mut self, key: &str, v: f64, min: f64) -> bool {
        self.interval(key, v, Some((min, EXCL)), None)
    }
    /// A probability or fraction in [0, 1].
    fn unit_closed(&mut self, key: &str, v: f64) -> bool {
        self.interval(key, v, Some((0.0, INCL)), Some((1.0, INCL)))
    }
    /// A fraction in (0, 1).
    fn unit_open(&mut self, key: &str, v: f64) -> bool {
        self.interval(key, v, Some((0.0, EXCL)), Some((1.0, EXCL)))
    }
    /// A fraction in (0, 1].
    fn unit_left_open(&mut self, key: &str, v: f64) -> bool {
        self.interval(key, v, Some((0.0, EXCL)), Some((1.0, INCL)))
    }
    fn count(&mut self, key: &str, n: u64) -> bool {
        if n == 0 {
            self.push(key, "must be > 0, got 0");
            return false;
        }
        true
    }
}

/// Validates `raw`; returns the model or every problem found.
pub fn validate(raw: &RawScenario) -> Result<Scenario, Vec<Problem>> {
    let mut c = Checker::default();
    if raw.name.trim().is_empty() {
        c.push("name", "must not be empty");
    }
    let simulation = simulation(&mut c, &raw.simulation);
    let cluster = cluster(&mut c, &raw.cluster);
    let collateral = collateral(&mut c, &raw.collateral);
    let market = market(&mut c, &raw.market);
    let loan = loan(&mut c, &raw.loan);
    let maturity_days = u64::from(loan.tenor_months) * u64::from(loan.payment_interval_days);
    if u64::from(cluster.commissioning_day) >= maturity_days && maturity_days > 0 {
        c.push(
            "cluster.commissioning_day",
            format!(
                "must fall before loan maturity (day {maturity_days} = loan.tenor_months × \
                 loan.payment_interval_days), got {}",
                cluster.commissioning_day
            ),
        );
    }
    let horizon_days = maturity_days.saturating_add(u64::from(simulation.tail_days));
    let horizon_days = u32::try_from(horizon_days).unwrap_or(u32::MAX);
    let swap = swap(&mut c, &raw.swap);
    let waterfall = waterfall(&mut c, &raw.waterfall);
    let csa = csa(&mut c, &raw.csa);
    let trader = trader(&mut c, &raw.trader);
    let shocks = shocks(&mut c, &raw.shocks, horizon_days);
    let qacu = qacu(&mut c, &raw.qacu);
    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    Ok(Scenario {
        name: raw.name.clone(),
        description: raw.description.clone(),
        simulation,
        cluster,
        collateral,
        market,
        loan,
        swap,
        waterfall,
        csa,
        trader,
        shocks,
        qacu,
    })
}

fn simulation(c: &mut Checker, r: &RawSimulation) -> Simulation {
    c.count("simulation.paths", r.paths);
    c.count(
        "simulation.report_interval_days",
        u64::from(r.report_interval_days),
    );
    c.interval(
        "simulation.discount_rate",
        r.discount_rate,
        Some((-1.0, EXCL)),
        Some((1.0, EXCL)),
    );
    let shift = match r.importance_shift_sd {
        RawImportanceShift::Sd(sd) => {
            c.interval(
                "simulation.importance_shift_sd",
                sd,
                Some((-8.0, INCL)),
                Some((8.0, INCL)),
            );
            ImportanceShift::Sd(sd)
        }
        RawImportanceShift::Keyword(RawAutoKeyword::Auto) => ImportanceShift::Auto,
    };
    c.count(
        "simulation.importance_pilot_paths",
        r.importance_pilot_paths,
    );
    if r.importance_sampling && r.antithetic {
        c.push(
            "simulation.importance_sampling",
            "cannot be combined with simulation.antithetic (choose one variance reduction)",
        );
    }
    Simulation {
        paths: r.paths,
        seed: r.seed,
        tail_days: r.tail_days,
        discount_rate: r.discount_rate,
        report_interval_days: r.report_interval_days,
        antithetic: r.antithetic,
        importance: r.importance_sampling.then_some(ImportanceSampling {
            shift,
            pilot_paths: r.importance_pilot_paths,
        }),
    }
}

fn cluster(c: &mut Checker, r: &RawCluster) -> Cluster {
    c.count("cluster.gpus", u64::from(r.gpus));
    c.gt("cluster.capex_per_gpu_usd", r.capex_per_gpu_usd, 0.0);
    c.interval(
        "cluster.hours_per_day",
        r.hours_per_day,
        Some((0.0, EXCL)),
        Some((24.0, INCL)),
    );
    c.unit_left_open("cluster.availability", r.availability);
    c.gt("cluster.it_power_kw_per_gpu", r.it_power_kw_per_gpu, 0.0);
    c.unit_closed("cluster.idle_power_fraction", r.idle_power_fraction);
    c.ge("cluster.pue", r.pue, 1.0);
    c.ge(
        "cluster.fixed_opex_per_gpu_month_usd",
        r.fixed_opex_per_gpu_month_usd,
        0.0,
    );
    Cluster {
        gpus: r.gpus,
        sku: r.sku.clone(),
        region: r.region.clone(),
        capex_per_gpu_usd: r.capex_per_gpu_usd,
        hours_per_day: r.hours_per_day,
        availability: r.availability,
        it_power_kw_per_gpu: r.it_power_kw_per_gpu,
        idle_power_fraction: r.idle_power_fraction,
        pue: r.pue,
        fixed_opex_per_gpu_month_usd: r.fixed_opex_per_gpu_month_usd,
        commissioning_day: r.commissioning_day,
    }
}

fn collateral(c: &mut Checker, r: &RawCollateral) -> Collateral {
    let depreciation = match (r.depreciation, r.declining_rate) {
        (RawDepreciation::StraightLine, None) => Depreciation::StraightLine,
        (RawDepreciation::StraightLine, Some(_)) => {
            c.push(
                "collateral.declining_rate",
                "only allowed with depreciation = \"declining_balance\"",
            );
            Depreciation::StraightLine
        }
        (RawDepreciation::DecliningBalance, Some(rate)) => {
            c.unit_open("collateral.declining_rate", rate);
            Depreciation::DecliningBalance { annual_rate: rate }
        }
        (RawDepreciation::DecliningBalance, None) => {
            c.push(
                "collateral.declining_rate",
                "required with depreciation = \"declining_balance\"",
            );
            Depreciation::StraightLine
        }
    };
    c.gt("collateral.useful_life_years", r.useful_life_years, 0.0);
    c.unit_closed("collateral.salvage_fraction", r.salvage_fraction);
    c.ge("collateral.price_elasticity", r.price_elasticity, 0.0);
    c.interval(
        "collateral.liquidation_haircut",
        r.liquidation_haircut,
        Some((0.0, INCL)),
        Some((1.0, EXCL)),
    );
    c.ge(
        "collateral.liquidation_cost_usd",
        r.liquidation_cost_usd,
        0.0,
    );
    Collateral {
        depreciation,
        useful_life_years: r.useful_life_years,
        salvage_fraction: r.salvage_fraction,
        price_elasticity: r.price_elasticity,
        liquidation_haircut: r.liquidation_haircut,
        liquidation_cost_usd: r.liquidation_cost_usd,
    }
}

fn market(c: &mut Checker, r: &RawMarket) -> Market {
    Market {
        price: price(c, &r.price),
        utilization: utilization(c, &r.utilization),
        basis: basis(c, &r.basis),
        power: power(c, &r.power),
        correlation: correlation_matrix(c, &r.correlation),
    }
}

fn price(c: &mut Checker, r: &RawPrice) -> PriceModel {
    let curve = match &r.curve {
        RawCurve::Drift {
            initial_usd_per_gpu_hour,
            annual_drift,
        } => {
            c.gt(
                "market.price.curve.initial_usd_per_gpu_hour",
                *initial_usd_per_gpu_hour,
                0.0,
            );
            c.gt("market.price.curve.annual_drift", *annual_drift, -1.0);
            MeanCurve::Drift {
                initial_usd_per_gpu_hour: *initial_usd_per_gpu_hour,
                annual_drift: *annual_drift,
            }
        }
        RawCurve::Points { points } => {
            if points.is_empty() {
                c.push("market.price.curve.points", "must have at least one point");
            }
            for (i, [day, usd]) in points.iter().enumerate() {
                let key = format!("market.price.curve.points[{i}]");
                c.ge(&format!("{key}[0]"), *day, 0.0);
                c.gt(&format!("{key}[1]"), *usd, 0.0);
                if i > 0 && points[i - 1][0].is_finite() && *day <= points[i - 1][0] {
                    c.push(
                        &format!("{key}[0]"),
                        format!(
                            "days must be strictly increasing, got {day} after {}",
                            points[i - 1][0]
                        ),
                    );
                }
            }
            MeanCurve::Points(points.iter().map(|[d, p]| (*d, *p)).collect())
        }
    };
    c.gt("market.price.kappa_per_year", r.kappa_per_year, 0.0);
    c.ge(
        "market.price.sigma_per_sqrt_year",
        r.sigma_per_sqrt_year,
        0.0,
    );
    let jumps = r.jumps.as_ref().map(|j| {
        c.ge(
            "market.price.jumps.intensity_per_year",
            j.intensity_per_year,
            0.0,
        );
        let size = match j.size {
            RawJumpSize::Normal { mean, std } => {
                c.finite("market.price.jumps.size.mean", mean);
                c.ge("market.price.jumps.size.std", std, 0.0);
                JumpSize::Normal { mean, std }
            }
            RawJumpSize::DoubleExponential {
                p_up,
                mean_up,
                mean_down,
            } => {
                c.unit_closed("market.price.jumps.size.p_up", p_up);
                c.gt("market.price.jumps.size.mean_up", mean_up, 0.0);
                c.gt("market.price.jumps.size.mean_down", mean_down, 0.0);
                JumpSize::DoubleExponential {
                    p_up,
                    mean_up,
                    mean_down,
                }
            }
        };
        Jumps {
            intensity_per_year: j.intensity_per_year,
            size,
        }
    });
    PriceModel {
        curve,
        convention: match r.convention {
            RawConvention::Median => CurveConvention::Median,
            RawConvention::ReversionLevel => CurveConvention::ReversionLevel,
        },
        kappa_per_year: r.kappa_per_year,
        sigma_per_sqrt_year: r.sigma_per_sqrt_year,
        jumps,
    }
}

fn utilization(c: &mut Checker, r: &RawUtilization) -> UtilizationModel {
    c.unit_open("market.utilization.initial", r.initial);
    c.unit_open("market.utilization.long_run_mean", r.long_run_mean);
    c.gt("market.utilization.kappa_per_year", r.kappa_per_year, 0.0);
    c.ge(
        "market.utilization.sigma_per_sqrt_year",
        r.sigma_per_sqrt_year,
        0.0,
    );
    UtilizationModel {
        initial: r.initial,
        long_run_mean: r.long_run_mean,
        ramp_days: r.ramp_days,
        kappa_per_year: r.kappa_per_year,
        sigma_per_sqrt_year: r.sigma_per_sqrt_year,
    }
}

fn basis(c: &mut Checker, r: &RawBasis) -> BasisModel {
    c.finite("market.basis.mean", r.mean);
    c.finite("market.basis.initial", r.initial);
    c.gt("market.basis.kappa_per_year", r.kappa_per_year, 0.0);
    c.ge(
        "market.basis.sigma_per_sqrt_year",
        r.sigma_per_sqrt_year,
        0.0,
    );
    BasisModel {
        mean: r.mean,
        initial: r.initial,
        kappa_per_year: r.kappa_per_year,
        sigma_per_sqrt_year: r.sigma_per_sqrt_year,
    }
}

fn power(c: &mut Checker, r: &RawPower) -> PowerModel {
    match *r {
        RawPower::Fixed { usd_per_kwh } => {
            c.gt("market.power.usd_per_kwh", usd_per_kwh, 0.0);
            PowerModel::Fixed { usd_per_kwh }
        }
        RawPower::MeanReverting {
            usd_per_kwh,
            kappa_per_year,
            sigma_per_sqrt_year,
        } => {
            c.gt("market.power.usd_per_kwh", usd_per_kwh, 0.0);
            c.gt("market.power.kappa_per_year", kappa_per_year, 0.0);
            c.ge("market.power.sigma_per_sqrt_year", sigma_per_sqrt_year, 0.0);
            PowerModel::MeanReverting {
                usd_per_kwh,
                kappa_per_year,
                sigma_per_sqrt_year,
            }
        }
    }
}

fn identity() -> [[f64; N_FACTORS]; N_FACTORS] {
    let mut m = [[0.0; N_FACTORS]; N_FACTORS];
    for (i, row) in m.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    m
}

fn to_array(m: &DMatrix<f64>) -> [[f64; N_FACTORS]; N_FACTORS] {
    let mut out = [[0.0; N_FACTORS]; N_FACTORS];
    for (i, row) in out.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = m[(i, j)];
        }
    }
    out
}

fn correlation_matrix(c: &mut Checker, r: &RawCorrelation) -> Correlation {
    const KEY: &str = "market.correlation.matrix";
    let fallback = Correlation {
        matrix: identity(),
        cholesky: identity(),
        repair: None,
    };
    if r.matrix.len() != N_FACTORS || r.matrix.iter().any(|row| row.len() != N_FACTORS) {
        c.push(
            KEY,
            format!(
                "must be {N_FACTORS}×{N_FACTORS} (factor order price, utilization, basis, \
                 power), got {} rows of lengths {:?}",
                r.matrix.len(),
                r.matrix.iter().map(Vec::len).collect::<Vec<_>>()
            ),
        );
        return fallback;
    }
    let m = DMatrix::from_fn(N_FACTORS, N_FACTORS, |i, j| r.matrix[i][j]);
    let structural = correlation::structural_problems(&m);
    if !structural.is_empty() {
        for p in structural {
            c.push(KEY, p.to_string());
        }
        return fallback;
    }
    let min_eigenvalue = correlation::smallest_eigenvalue(&m);
    let (matrix, repair) = if min_eigenvalue >= -PSD_TOLERANCE {
        (m, None)
    } else {
        match r.repair {
            RawRepair::None => {
                c.push(
                    KEY,
                    format!(
                        "{} (set market.correlation.repair = \"higham\" to use the nearest \
                         correlation matrix)",
                        CorrelationError::NotPsd { min_eigenvalue }
                    ),
                );
                return fallback;
            }
            RawRepair::Higham => {
                match correlation::nearest_correlation(&m, HighamSettings::default()) {
                    Ok(fixed) => {
                        let repair = CorrelationRepair {
                            min_eigenvalue_before: min_eigenvalue,
                            frobenius_change: correlation::frobenius_distance(&fixed, &m),
                        };
                        (fixed, Some(repair))
                    }
                    Err(e) => {
                        c.push(KEY, e.to_string());
                        return fallback;
                    }
                }
            }
        }
    };
    let l = correlation::psd_cholesky(&matrix);
    Correlation {
        matrix: to_array(&matrix),
        cholesky: to_array(&l),
        repair,
    }
}

fn covenant(c: &mut Checker, key: &str, r: &RawCovenant, utilization: bool) -> Covenant {
    if utilization {
        c.unit_open(&format!("{key}.threshold"), r.threshold);
    } else {
        c.gt(&format!("{key}.threshold"), r.threshold, 0.0);
    }
    c.count(&format!("{key}.window"), u64::from(r.window));
    Covenant {
        threshold: r.threshold,
        window: r.window,
        action: match r.action {
            RawCovenantAction::CashTrap => CovenantAction::CashTrap,
            RawCovenantAction::EventOfDefault => CovenantAction::EventOfDefault,
        },
    }
}

fn loan(c: &mut Checker, r: &RawLoan) -> Loan {
    c.unit_left_open("loan.advance_rate", r.advance_rate);
    c.interval(
        "loan.annual_rate",
        r.annual_rate,
        Some((0.0, INCL)),
        Some((1.0, EXCL)),
    );
    c.count("loan.tenor_months", u64::from(r.tenor_months));
    c.count(
        "loan.payment_interval_days",
        u64::from(r.payment_interval_days),
    );
    if r.tenor_months > 0 && r.grace_months >= r.tenor_months {
        c.push(
            "loan.grace_months",
            format!(
                "must be < loan.tenor_months ({}), got {}",
                r.tenor_months, r.grace_months
            ),
        );
    }
    c.ge("loan.dsra_months", r.dsra_months, 0.0);
    let amortization = match r.amortization {
        RawAmortization::Annuity => Amortization::Annuity,
        RawAmortization::StraightLine => Amortization::StraightLine,
        RawAmortization::Sculpted { target_dscr } => {
            c.ge("loan.amortization.target_dscr", target_dscr, 1.0);
            Amortization::Sculpted { target_dscr }
        }
    };
    Loan {
        advance_rate: r.advance_rate,
        annual_rate: r.annual_rate,
        tenor_months: r.tenor_months,
        payment_interval_days: r.payment_interval_days,
        amortization,
        grace_months: r.grace_months,
        dsra_months: r.dsra_months,
        dscr_covenant: r
            .dscr_covenant
            .as_ref()
            .map(|cv| covenant(c, "loan.dscr_covenant", cv, false)),
        utilization_covenant: r
            .utilization_covenant
            .as_ref()
            .map(|cv| covenant(c, "loan.utilization_covenant", cv, true)),
    }
}

fn swap(c: &mut Checker, r: &RawSwap) -> Swap {
    let fixed_price = match r.fixed_price_usd_per_gpu_hour {
        RawFixedPrice::Usd(p) => {
            c.gt("swap.fixed_price_usd_per_gpu_hour", p, 0.0);
            FixedPrice::Usd(p)
        }
        RawFixedPrice::Keyword(RawParKeyword::Par) => FixedPrice::Par,
    };
    let variant = match (r.variant, r.reserved_fee_usd_per_gpu_hour) {
        (RawSwapVariant::TwoLeg, Some(fee)) => {
            c.gt("swap.reserved_fee_usd_per_gpu_hour", fee, 0.0);
            SwapVariant::TwoLeg {
                reserved_fee_usd_per_gpu_hour: fee,
            }
        }
        (RawSwapVariant::TwoLeg, None) => {
            c.push(
                "swap.reserved_fee_usd_per_gpu_hour",
                "required with variant = \"two_leg\"",
            );
            SwapVariant::None
        }
        (_, Some(_)) => {
            c.push(
                "swap.reserved_fee_usd_per_gpu_hour",
                "only allowed with variant = \"two_leg\"",
            );
            SwapVariant::None
        }
        (RawSwapVariant::TenancySwap, None) => SwapVariant::TenancySwap,
        (RawSwapVariant::None, None) => SwapVariant::None,
    };
    c.unit_left_open("swap.strike_utilization", r.strike_utilization);
    c.count("swap.period_days", u64::from(r.period_days));
    Swap {
        variant,
        fixed_price,
        strike_utilization: r.strike_utilization,
        period_days: r.period_days,
        reference: match r.reference {
            RawReference::Index => ReferencePrice::Index,
            RawReference::Operator => ReferencePrice::Operator,
        },
    }
}

fn waterfall(c: &mut Checker, r: &RawWaterfall) -> Waterfall {
    let order: Vec<WaterfallStep> = r
        .order
        .iter()
        .map(|s| match s {
            RawWaterfallStep::Opex => WaterfallStep::Opex,
            RawWaterfallStep::DebtService => WaterfallStep::DebtService,
            RawWaterfallStep::SwapPayment => WaterfallStep::SwapPayment,
            RawWaterfallStep::DsraTopUp => WaterfallStep::DsraTopUp,
            RawWaterfallStep::Equity => WaterfallStep::Equity,
        })
        .collect();
    let all = [
        WaterfallStep::Opex,
        WaterfallStep::DebtService,
        WaterfallStep::SwapPayment,
        WaterfallStep::DsraTopUp,
        WaterfallStep::Equity,
    ];
    let permutation = order.len() == all.len()
        && all
            .iter()
            .all(|s| order.iter().filter(|o| *o == s).count() == 1);
    if !permutation {
        c.push(
            "waterfall.order",
            format!(
                "must list each of opex, debt_service, swap_payment, dsra_top_up, equity exactly \
                 once, got {} steps",
                order.len()
            ),
        );
    } else if order.last() != Some(&WaterfallStep::Equity) {
        c.push("waterfall.order", "equity must be the last step");
    }
    Waterfall { order }
}

fn csa(c: &mut Checker, r: &RawCsa) -> Csa {
    c.count(
        "csa.margin_interval_days",
        u64::from(r.margin_interval_days),
    );
    c.ge("csa.threshold_usd", r.threshold_usd, 0.0);
    c.ge("csa.minimum_transfer_usd", r.minimum_transfer_usd, 0.0);
    c.ge("csa.rounding_usd", r.rounding_usd, 0.0);
    c.ge("csa.independent_amount_usd", r.independent_amount_usd, 0.0);
    c.count("csa.mpor_days", u64::from(r.mpor_days));
    c.gt("csa.collateral_yield", r.collateral_yield, -1.0);
    c.ge("csa.downgrade_multiplier", r.downgrade_multiplier, 1.0);
    let initial_margin = match r.initial_margin {
        RawInitialMargin::Fixed { usd } => {
            c.ge("csa.initial_margin.usd", usd, 0.0);
            InitialMargin::Fixed { usd }
        }
        RawInitialMargin::Stress {
            price_change,
            utilization,
            days,
        } => {
            c.gt("csa.initial_margin.price_change", price_change, -1.0);
            c.unit_closed("csa.initial_margin.utilization", utilization);
            c.count("csa.initial_margin.days", u64::from(days));
            InitialMargin::Stress(StressSpec {
                price_change,
                utilization,
                days,
            })
        }
        RawInitialMargin::Var { quantile } => {
            c.unit_open("csa.initial_margin.quantile", quantile);
            InitialMargin::Var { quantile }
        }
    };
    Csa {
        margin_interval_days: r.margin_interval_days,
        threshold_usd: r.threshold_usd,
        minimum_transfer_usd: r.minimum_transfer_usd,
        rounding_usd: r.rounding_usd,
        independent_amount_usd: r.independent_amount_usd,
        mpor_days: r.mpor_days,
        bilateral: r.bilateral,
        collateral_yield: r.collateral_yield,
        initial_margin,
        downgrade_multiplier: r.downgrade_multiplier,
    }
}

fn trader(c: &mut Checker, r: &RawTrader) -> Trader {
    c.ge("trader.cash_usd", r.cash_usd, 0.0);
    c.ge("trader.credit_line_usd", r.credit_line_usd, 0.0);
    c.ge(
        "trader.default_intensity_per_year",
        r.default_intensity_per_year,
        0.0,
    );
    c.ge("trader.wrong_way_sensitivity", r.wrong_way_sensitivity, 0.0);
    c.gt(
        "trader.downgrade_intensity_per_year",
        r.downgrade_intensity_per_year,
        0.0,
    );
    Trader {
        cash_usd: r.cash_usd,
        credit_line_usd: r.credit_line_usd,
        default_intensity_per_year: r.default_intensity_per_year,
        wrong_way_sensitivity: r.wrong_way_sensitivity,
        downgrade_intensity_per_year: r.downgrade_intensity_per_year,
        on_default: match r.on_default {
            RawTraderDefaultAction::Replace => TraderDefaultAction::Replace,
            RawTraderDefaultAction::Terminate => TraderDefaultAction::Terminate,
        },
    }
}

/// Allowed range of a fixed magnitude for each target (see `model::ShockTarget`).
fn magnitude_range(target: RawShockTarget) -> (End, End) {
    match target {
        RawShockTarget::PriceMeanCurve
        | RawShockTarget::PriceLevel
        | RawShockTarget::PowerPrice
        | RawShockTarget::Opex
        | RawShockTarget::CollateralValue
        | RawShockTarget::IndexMethodology => (Some((-1.0, EXCL)), None),
        RawShockTarget::UtilizationMean => (Some((-1.0, INCL)), Some((1.0, INCL))),
        RawShockTarget::UtilizationLevel | RawShockTarget::Capacity => {
            (Some((0.0, INCL)), Some((1.0, INCL)))
        }
        RawShockTarget::CommissioningDate => (Some((0.0, INCL)), None),
        RawShockTarget::OperatorBasis => (None, None),
    }
}

fn shocks(c: &mut Checker, raw: &[RawShock], horizon_days: u32) -> Vec<Shock> {
    let mut out = Vec::with_capacity(raw.len());
    let mut names: Vec<String> = Vec::new();
    for (i, user) in raw.iter().enumerate() {
        let key = format!("shocks[{i}]");
        let s = apply_preset(user);
        let missing = |c: &mut Checker, field: &str| {
            c.push(
                &format!("{key}.{field}"),
                "missing (required when the shock has no preset)",
            );
        };
        let name = s.name.clone().unwrap_or_else(|| format!("shock{}", i + 1));
        if names.contains(&name) {
            c.push(
                &format!("{key}.name"),
                format!("duplicate shock name \"{name}\""),
            );
        }
        names.push(name.clone());
        let layer = match &s.layer {
            None => {
                missing(c, "layer");
                None
            }
            Some(text) => {
                let n = text
                    .strip_prefix('L')
                    .and_then(|d| d.parse::<u8>().ok())
                    .filter(|n| *n <= 16);
                if n.is_none() {
                    c.push(
                        &format!("{key}.layer"),
                        format!("must be \"L0\" … \"L16\", got \"{text}\""),
                    );
                }
                n.map(Layer)
            }
        };
        let arrival = match &s.arrival {
            None => {
                missing(c, "arrival");
                None
            }
            Some(RawArrival::FixedDay { day }) => {
                if *day > horizon_days {
                    c.push(
                        &format!("{key}.arrival.day"),
                        format!("must be <= the horizon ({horizon_days} days), got {day}"),
                    );
                }
                Some(Arrival::FixedDay(*day))
            }
            Some(RawArrival::Probability {
                probability,
                first_day,
                last_day,
            }) => {
                c.unit_closed(&format!("{key}.arrival.probability"), *probability);
                let last = last_day.unwrap_or(horizon_days);
                if last > horizon_days {
                    c.push(
                        &format!("{key}.arrival.last_day"),
                        format!("must be <= the horizon ({horizon_days} days), got {last}"),
                    );
                }
                if *first_day > last {
                    c.push(
                        &format!("{key}.arrival.first_day"),
                        format!("must be <= last_day ({last}), got {first_day}"),
                    );
                }
                Some(Arrival::Probability {
                    probability: *probability,
                    first_day: *first_day,
                    last_day: last,
                })
            }
            Some(RawArrival::Poisson { rate_per_year }) => {
                c.ge(&format!("{key}.arrival.rate_per_year"), *rate_per_year, 0.0);
                Some(Arrival::Poisson {
                    rate_per_year: *rate_per_year,
                })
            }
        };
        let target = s.target.map_or_else(
            || {
                missing(c, "target");
                None
            },
            Some,
        );
        let (lo, hi) = target.map_or((None, None), magnitude_range);
        let mkey = format!("{key}.magnitude");
        let magnitude = match &s.magnitude {
            None => {
                missing(c, "magnitude");
                None
            }
            Some(RawMagnitude::Number(v))
            | Some(RawMagnitude::Dist(RawMagnitudeDist::Fixed { value: v })) => {
                c.interval(&mkey, *v, lo, hi);
                Some(Magnitude::Fixed(*v))
            }
            Some(RawMagnitude::Dist(RawMagnitudeDist::Normal { mean, std })) => {
                c.interval(&format!("{mkey}.mean"), *mean, lo, hi);
                c.ge(&format!("{mkey}.std"), *std, 0.0);
                Some(Magnitude::Normal {
                    mean: *mean,
                    std: *std,
                })
            }
            Some(RawMagnitude::Dist(RawMagnitudeDist::Uniform { low, high })) => {
                let ok_low = c.interval(&format!("{mkey}.low"), *low, lo, hi);
                let ok_high = c.interval(&format!("{mkey}.high"), *high, lo, hi);
                if ok_low && ok_high && low > high {
                    c.push(
                        &format!("{mkey}.high"),
                        format!("must be >= low ({low}), got {high}"),
                    );
                }
                Some(Magnitude::Uniform {
                    low: *low,
                    high: *high,
                })
            }
        };
        let shape = match &s.shape {
            None => {
                missing(c, "shape");
                None
            }
            Some(RawShape::Step) => Some(Shape::Step),
            Some(RawShape::Ramp { days }) => {
                c.count(&format!("{key}.shape.days"), u64::from(*days));
                Some(Shape::Ramp { days: *days })
            }
            Some(RawShape::Pulse { days }) => {
                c.count(&format!("{key}.shape.days"), u64::from(*days));
                Some(Shape::Pulse { days: *days })
            }
            Some(RawShape::Decay { half_life_days }) => {
                c.gt(&format!("{key}.shape.half_life_days"), *half_life_days, 0.0);
                Some(Shape::Decay {
                    half_life_days: *half_life_days,
                })
            }
        };
        let demand_elasticity = s.demand_elasticity.unwrap_or(0.0);
        c.finite(&format!("{key}.demand_elasticity"), demand_elasticity);
        if let (Some(layer), Some(arrival), Some(magnitude), Some(shape), Some(target)) =
            (layer, arrival, magnitude, shape, target)
        {
            out.push(Shock {
                name,
                layer,
                arrival,
                magnitude,
                shape,
                target: shock_target(target),
                demand_elasticity,
            });
        }
    }
    out
}

fn shock_target(t: RawShockTarget) -> ShockTarget {
    match t {
        RawShockTarget::PriceMeanCurve => ShockTarget::PriceMeanCurve,
        RawShockTarget::PriceLevel => ShockTarget::PriceLevel,
        RawShockTarget::UtilizationMean => ShockTarget::UtilizationMean,
        RawShockTarget::UtilizationLevel => ShockTarget::UtilizationLevel,
        RawShockTarget::Capacity => ShockTarget::Capacity,
        RawShockTarget::CommissioningDate => ShockTarget::CommissioningDate,
        RawShockTarget::OperatorBasis => ShockTarget::OperatorBasis,
        RawShockTarget::PowerPrice => ShockTarget::PowerPrice,
        RawShockTarget::Opex => ShockTarget::Opex,
        RawShockTarget::CollateralValue => ShockTarget::CollateralValue,
        RawShockTarget::IndexMethodology => ShockTarget::IndexMethodology,
    }
}

fn qacu(c: &mut Checker, r: &RawQacu) -> Qacu {
    if let Some(u) = r.utilization_factor {
        c.unit_left_open("qacu.utilization_factor", u);
    }
    if let Some(a) = r.availability_factor {
        c.unit_left_open("qacu.availability_factor", a);
    }
    c.gt("qacu.performance_factor", r.performance_factor, 0.0);
    c.gt("qacu.locality_factor", r.locality_factor, 0.0);
    c.gt("qacu.policy_factor", r.policy_factor, 0.0);
    c.gt("qacu.settlement_factor", r.settlement_factor, 0.0);
    Qacu {
        utilization_factor: r.utilization_factor,
        performance_factor: r.performance_factor,
        availability_factor: r.availability_factor,
        locality_factor: r.locality_factor,
        policy_factor: r.policy_factor,
        settlement_factor: r.settlement_factor,
    }
}
