//! The margin pieces wired the way the engine uses them, on simulated paths: market model →
//! accruals and settlements → semi-analytic MTM → CSA step. Checks the trader's cash
//! conservation (liquidity + collateral it has out − collateral it holds = start + settlements +
//! interest), finite outputs, and that the SPV's exposure after a daily call stays within
//! threshold + minimum transfer while the trader performs.

use rand::Rng;
use tenancy::csa::agreement::{CsaAgreement, CsaDayInput, TraderStatus};
use tenancy::csa::im::stress_im;
use tenancy::csa::mtm::{PeriodAccrual, SwapMtm, SwapTermsForMtm};
use tenancy::engine::streams::{purpose, stream};
use tenancy::market::curve::CurveGrid;
use tenancy::market::jumps::JumpProcess;
use tenancy::market::ou::ExactOu;
use tenancy::market::{logit, MarketModel};
use tenancy::scenario::{
    Csa, CurveConvention, InitialMargin, JumpSize, Jumps, MeanCurve, StressSpec, Trader,
    TraderDefaultAction, DAYS_PER_YEAR,
};
use tenancy::shocks::Overlay;

#[test]
fn simulated_paths_conserve_trader_cash_and_bound_exposure() {
    let dt = 1.0 / DAYS_PER_YEAR;
    let end = 364;
    let m = MarketModel {
        horizon_days: 400,
        curve: CurveGrid::new(
            &MeanCurve::Drift {
                initial_usd_per_gpu_hour: 2.2,
                annual_drift: -0.15,
            },
            CurveConvention::Median,
            2.0,
            400,
        ),
        price: ExactOu::new(2.0, 0.35, dt),
        jumps: Some(JumpProcess::new(&Jumps {
            intensity_per_year: 0.5,
            size: JumpSize::Normal {
                mean: -0.1,
                std: 0.08,
            },
        })),
        util: ExactOu::new(6.0, 1.2, dt),
        util_initial_logit: logit(0.45),
        util_long_run_logit: logit(0.75),
        util_ramp_days: 120,
        basis: ExactOu::new(4.0, 0.1, dt),
        basis_mean: -0.05,
        basis_initial: -0.05,
        power: ExactOu::new(0.0, 0.0, dt),
        power_median_usd_per_kwh: 0.08,
        power_stochastic: false,
        chol: [
            [1.0, 0.0, 0.0, 0.0],
            [0.5, 0.75f64.sqrt(), 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ],
        commissioning_day: 0,
        inv_theta: Vec::new(),
    };
    let fixed = 1.75;
    let terms = SwapTermsForMtm {
        fixed_price_usd_per_gpu_hour: fixed,
        strike_utilization: 0.65,
        period_days: 7,
        notional_factor_by_day: vec![1.0; end as usize],
        capacity_hours_by_day: vec![512.0 * 24.0 * 0.97; end as usize],
        discount_rate: 0.045,
        end_day: end,
    };
    let mtm = SwapMtm::new(&m, &terms).unwrap();
    let spec = StressSpec {
        price_change: -0.5,
        utilization: 0.2,
        days: 30,
    };
    let im = stress_im(&mtm, &spec).unwrap().im_usd;
    let (threshold, mta) = (0.0, 50e3);
    let csa = Csa {
        margin_interval_days: 1,
        threshold_usd: threshold,
        minimum_transfer_usd: mta,
        rounding_usd: 10e3,
        independent_amount_usd: 0.0,
        mpor_days: 10,
        bilateral: true,
        collateral_yield: 0.04,
        initial_margin: InitialMargin::Stress(spec),
        downgrade_multiplier: 1.5,
    };
    let trader = Trader {
        cash_usd: 3e6,
        credit_line_usd: 2e6,
        default_intensity_per_year: 0.01,
        wrong_way_sensitivity: 2.0,
        downgrade_intensity_per_year: 0.03,
        on_default: TraderDefaultAction::Replace,
    };
    let agreement = CsaAgreement::new(&csa, &trader, im, m.curve.ln_theta[0].exp()).unwrap();
    let y = 0.04 / DAYS_PER_YEAR;
    let mut calls = 0;
    for path in 0..200u64 {
        let mut rng = stream(3, path, purpose::MARKET);
        let mut jrng = stream(3, path, purpose::JUMPS);
        let mut trng = stream(3, path, purpose::TRADER);
        let mut st = m.initial_state(&mut jrng, 0);
        let mut acc = PeriodAccrual::default();
        let mut cp = agreement.start(trng.random());
        let (mut settled, mut interest) = (0.0, 0.0);
        let (mut vm_prev, mut im_prev) = (cp.vm_usd, cp.im_usd);
        for d in 0..end {
            if d > 0 {
                let e = m.correlated_normals(&mut rng);
                m.advance(&mut st, &e, &Overlay::NEUTRAL, &mut jrng);
            }
            let f = m.observe(&st, &Overlay::NEUTRAL);
            mtm.accrue(&mut acc, d, f.index_price, f.utilization);
            let settlement = if mtm.settlement_day(acc.period) == Some(d) {
                mtm.period_settlement_to_trader_usd(&acc, fixed)
            } else {
                0.0
            };
            let legs = mtm.legs(d, st.z, st.w, &acc);
            let performing = cp.status == TraderStatus::Performing;
            let out = agreement.step(
                &mut cp,
                &CsaDayInput {
                    day: d,
                    legs,
                    fixed_price_usd_per_gpu_hour: fixed,
                    settlement_to_trader_usd: settlement,
                    index_price_usd_per_gpu_hour: f.index_price,
                },
            );
            for x in [
                out.vm_balance_usd,
                out.exposure_usd,
                out.trader_liquidity_usd,
                out.spv_cash_usd,
            ] {
                assert!(x.is_finite());
            }
            if cp.status != TraderStatus::Performing {
                break;
            }
            if performing {
                interest += y * (vm_prev.max(0.0) + im_prev);
                settled += settlement;
                if out.call_usd != 0.0 {
                    calls += 1;
                }
                // Trader's cash is conserved: what it has plus what it has posted, minus the
                // SPV's collateral it holds, is what it started with plus its net receipts.
                let lhs = out.trader_liquidity_usd + out.vm_balance_usd + out.im_held_usd;
                let rhs = 5e6 + settled + interest;
                assert!(
                    (lhs - rhs).abs() < 1e-6 * 5e6,
                    "path {path} day {d}: {lhs} vs {rhs}"
                );
                assert!(
                    out.exposure_usd <= threshold + mta + 1e-6,
                    "path {path} day {d}"
                );
            }
            vm_prev = out.vm_balance_usd;
            im_prev = out.im_held_usd;
        }
    }
    assert!(
        calls > 200,
        "daily margining moves collateral ({calls} calls)"
    );
}
