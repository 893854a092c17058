//! The CSA state machine on hand-built paths: VM after threshold, minimum transfer and rounding
//! (unilateral and bilateral, with collateral interest), the close-out after the margin period
//! of risk, the downgrade IM top-up, the unlimited-liquidity invariant, and the direction of the
//! wrong-way default intensity on common random numbers. Every expected number is computed by
//! hand in the comments.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use tenancy::csa::agreement::{
    CsaAgreement, CsaDayInput, CsaDayOutcome, CsaPath, DefaultCause, TraderStatus,
};
use tenancy::csa::mtm::MtmLegs;
use tenancy::engine::streams::stream;
use tenancy::scenario::{Csa, InitialMargin, Trader, TraderDefaultAction};

fn csa(threshold: f64, mta: f64, rounding: f64, bilateral: bool) -> Csa {
    Csa {
        margin_interval_days: 1,
        threshold_usd: threshold,
        minimum_transfer_usd: mta,
        rounding_usd: rounding,
        independent_amount_usd: 0.0,
        mpor_days: 10,
        bilateral,
        collateral_yield: 0.0,
        initial_margin: InitialMargin::Fixed { usd: 0.0 },
        downgrade_multiplier: 1.5,
    }
}

fn trader(cash: f64) -> Trader {
    Trader {
        cash_usd: cash,
        credit_line_usd: 0.0,
        default_intensity_per_year: 0.0,
        wrong_way_sensitivity: 0.0,
        downgrade_intensity_per_year: 1.0,
        on_default: TraderDefaultAction::Replace,
    }
}

/// Input whose MTM to the SPV is `mtm_to_spv` (fixed leg only, P_fix = 1).
fn day(d: u32, mtm_to_spv: f64, settlement_to_trader: f64) -> CsaDayInput {
    CsaDayInput {
        day: d,
        legs: MtmLegs {
            variable_usd: 0.0,
            fixed_gpu_hours: mtm_to_spv,
        },
        fixed_price_usd_per_gpu_hour: 1.0,
        settlement_to_trader_usd: settlement_to_trader,
        index_price_usd_per_gpu_hour: 2.0,
    }
}

fn run(a: &CsaAgreement, p: &mut CsaPath, mtm: &[f64]) -> Vec<CsaDayOutcome> {
    mtm.iter()
        .enumerate()
        .map(|(d, &m)| a.step(p, &day(d as u32, m, 0.0)))
        .collect()
}

#[test]
fn unilateral_vm_follows_threshold_minimum_transfer_and_rounding() {
    // Threshold 100k, MTA 50k, rounding 10k, only the trader posts.
    let a = CsaAgreement::new(&csa(100e3, 50e3, 10e3, false), &trader(1e6), 0.0, 2.0).unwrap();
    let mut p = a.start(0.5);
    let mtm = [0.0, 130e3, 180e3, 205e3, 263e3, 140e3, -50e3, -300e3, 96e3];
    let out = run(&a, &mut p, &mtm);
    // (VM after, transfer) by hand:
    // d1 required 30k, delta 30k < MTA: none. d2 required 80k: deliver 80k (already a multiple).
    // d3 required 105k, delta 25k: none. d4 required 163k, delta 83k → rounded up to 90k → 170k.
    // d5 required 40k, delta −130k → return 130k → 40k. d6, d7 required 0 (unilateral), delta
    // −40k < MTA: none. d8 required 0: none.
    let expect = [
        (0.0, 0.0),
        (0.0, 0.0),
        (80e3, 80e3),
        (80e3, 0.0),
        (170e3, 90e3),
        (40e3, -130e3),
        (40e3, 0.0),
        (40e3, 0.0),
        (40e3, 0.0),
    ];
    for (d, (o, (vm, call))) in out.iter().zip(expect).enumerate() {
        assert_eq!((o.vm_balance_usd, o.call_usd), (vm, call), "day {d}");
        assert!(o.settlement_paid);
    }
    // Exposure = MTM to the SPV − VM held: day 8 96k − 40k, day 4 263k − 170k.
    assert_eq!(out[8].exposure_usd, 56e3);
    assert_eq!(out[4].exposure_usd, 93e3);
    // Liquidity: 1m − 80k − 90k + 130k.
    assert_eq!(out[8].trader_liquidity_usd, 960e3);
    assert_eq!(p.summary.calls, 3);
    assert_eq!(p.summary.peak_vm_posted_by_trader_usd, 170e3);
    assert_eq!(p.summary.liquidity_need_peak_usd, 170e3);
    assert!(!p.summary.defaulted);
    // The SPV's own cash never moves in a unilateral agreement.
    assert!(out.iter().all(|o| o.spv_cash_usd == 0.0));
}

#[test]
fn bilateral_vm_moves_spv_cash_and_pays_interest_to_the_poster() {
    let mut terms = csa(100e3, 50e3, 10e3, true);
    terms.collateral_yield = 0.0365; // 0.01 % a day
    let a = CsaAgreement::new(&terms, &trader(1e6), 0.0, 2.0).unwrap();
    let mut p = a.start(0.5);
    let out = run(&a, &mut p, &[-263e3, -140e3, 60e3, 200e3]);
    // d0: SPV must post 163k → rounded up 170k; SPV cash −170k, trader liquidity +170k.
    assert_eq!((out[0].vm_balance_usd, out[0].call_usd), (-170e3, -170e3));
    assert_eq!(out[0].spv_cash_usd, -170e3);
    // d1: interest 170k × 0.01 % = 17 to the SPV; required −40k → trader returns 130k.
    assert_eq!((out[1].vm_balance_usd, out[1].call_usd), (-40e3, 130e3));
    assert!((out[1].spv_cash_usd - (17.0 + 130e3)).abs() < 1e-9);
    // d2: 60k is inside the threshold: required 0, delta 40k < MTA; exposure 60k + 40k posted.
    assert_eq!((out[2].vm_balance_usd, out[2].call_usd), (-40e3, 0.0));
    assert!((out[2].spv_cash_usd - 4.0).abs() < 1e-9);
    assert_eq!(out[2].exposure_usd, 100e3);
    // d3: required 100k: the trader returns the SPV's 40k and posts 100k (140k, a multiple).
    assert_eq!((out[3].vm_balance_usd, out[3].call_usd), (100e3, 140e3));
    assert!((out[3].spv_cash_usd - (4.0 + 40e3)).abs() < 1e-9);
    // Trader liquidity: 1m + 170k − 130k − 140k; the interest on the SPV's collateral is the
    // collateral's own yield, paid to the SPV, not out of the trader's liquidity.
    assert!((out[3].trader_liquidity_usd - 900e3).abs() < 1e-9);
}

#[test]
fn close_out_after_the_margin_period_of_risk() {
    // Trader: 100k cash; IM 50k + independent amount 20k posted at inception (30k left).
    let mut terms = csa(0.0, 0.0, 0.0, false);
    terms.mpor_days = 3;
    terms.independent_amount_usd = 20e3;
    let a = CsaAgreement::new(&terms, &trader(100e3), 50e3, 2.0).unwrap();
    let mut p = a.start(0.5);
    assert_eq!((p.im_usd, p.trader_liquidity_usd), (70e3, 30e3));
    let legs_at = |mtm_to_spv: f64| MtmLegs {
        variable_usd: 0.0,
        fixed_gpu_hours: mtm_to_spv,
    };
    let input = |d: u32, legs: MtmLegs, fixed: f64, settle: f64| CsaDayInput {
        day: d,
        legs,
        fixed_price_usd_per_gpu_hour: fixed,
        settlement_to_trader_usd: settle,
        index_price_usd_per_gpu_hour: 2.0,
    };
    let o0 = a.step(&mut p, &input(0, legs_at(0.0), 1.0, 0.0));
    assert_eq!(o0.call_usd, 0.0);
    // d1: MTM 25k → call 25k; liquidity 5k.
    let o1 = a.step(&mut p, &input(1, legs_at(25e3), 1.0, 0.0));
    assert_eq!((o1.call_usd, o1.trader_liquidity_usd), (25e3, 5e3));
    // d2: pays a 3k settlement (liquidity 2k), then cannot meet the 35k call: default.
    let o2 = a.step(&mut p, &input(2, legs_at(60e3), 1.0, -3e3));
    assert!(o2.settlement_paid);
    assert_eq!(
        p.status,
        TraderStatus::Defaulted {
            day: 2,
            cause: DefaultCause::MarginCall
        }
    );
    assert_eq!((o2.vm_balance_usd, o2.call_usd), (25e3, 0.0));
    // d3, d4: settlements withheld (4k owed to the SPV, then 1k owed to the trader), no VM.
    let o3 = a.step(&mut p, &input(3, legs_at(80e3), 1.0, -4e3));
    let o4 = a.step(&mut p, &input(4, legs_at(90e3), 1.0, 1e3));
    assert!(!o3.settlement_paid && !o4.settlement_paid);
    assert_eq!(o4.vm_balance_usd, 25e3);
    // d5 = default + MPOR: MTM to the SPV 120k (variable 300k vs 150k strike hours at 2.8).
    let legs = MtmLegs {
        variable_usd: 300e3,
        fixed_gpu_hours: 150e3,
    };
    let o5 = a.step(&mut p, &input(5, legs, 2.8, -2e3));
    let c = o5.close_out.expect("close-out on default day + MPOR");
    // Claim 120k + withheld (4k − 1k + 2k) = 125k against 25k VM + 70k IM/IA held.
    assert_eq!(c.day, 5);
    assert_eq!(c.default_day, 2);
    assert!((c.amount_usd - 30e3).abs() < 1e-6);
    assert!((c.shortfall_usd - 30e3).abs() < 1e-6);
    assert!((c.spv_cash_usd - 95e3).abs() < 1e-6);
    assert!((c.replacement_fixed_price.unwrap() - 2.0).abs() < 1e-12);
    assert!((p.summary.close_out_shortfall_usd - 30e3).abs() < 1e-6);
    assert_eq!(p.summary.default_cause, Some(DefaultCause::MarginCall));
    // Afterwards the replacement swap settles normally and no collateral moves.
    let o6 = a.step(&mut p, &input(6, legs_at(50e3), 1.0, -1e3));
    assert!(o6.settlement_paid && o6.close_out.is_none());
    assert_eq!(
        (o6.vm_balance_usd, o6.im_held_usd, o6.call_usd),
        (0.0, 0.0, 0.0)
    );
}

#[test]
fn close_out_when_the_spv_had_posted_and_the_swap_terminates() {
    // Bilateral, threshold 0; λ = 0.1/yr, i.e. 0.1/365 per day. E = −ln(1 − u) = 4e-4 lies
    // between one and two days of intensity, so the trader defaults exogenously on day 1.
    let mut terms = csa(0.0, 0.0, 0.0, true);
    terms.mpor_days = 2;
    let mut t = trader(1e6);
    t.default_intensity_per_year = 0.1;
    t.on_default = TraderDefaultAction::Terminate;
    let a = CsaAgreement::new(&terms, &t, 0.0, 2.0).unwrap();
    let mut p = a.start(-(-4e-4f64).exp_m1());
    // Day 0: the swap is worth 80k to the trader; the SPV posts 80k of its own cash.
    let o0 = a.step(&mut p, &day(0, -80e3, 0.0));
    assert_eq!((o0.vm_balance_usd, o0.spv_cash_usd), (-80e3, -80e3));
    // Day 1: default; the 5k the SPV owes today is withheld.
    let o1 = a.step(&mut p, &day(1, -70e3, 5e3));
    assert_eq!(p.summary.default_cause, Some(DefaultCause::Exogenous));
    assert_eq!(p.summary.default_day, Some(1));
    assert!(!o1.settlement_paid);
    let o2 = a.step(&mut p, &day(2, -65e3, 0.0));
    assert!(o2.close_out.is_none());
    let o3 = a.step(&mut p, &day(3, -60e3, 0.0));
    let c = o3.close_out.expect("close-out on day 1 + 2");
    // The SPV owes 60k + 5k but is owed its 80k back: an unsecured 15k claim, nothing held.
    assert!((c.amount_usd - 15e3).abs() < 1e-9);
    assert!((c.shortfall_usd - 15e3).abs() < 1e-9);
    assert_eq!(c.spv_cash_usd, 0.0);
    assert_eq!(c.replacement_fixed_price, None);
    let o4 = a.step(&mut p, &day(4, 0.0, 1e3));
    assert!(!o4.settlement_paid, "a terminated swap does not settle");
}

#[test]
fn downgrade_raises_initial_margin_by_the_multiplier() {
    let terms = csa(0.0, 0.0, 0.0, false);
    let mut t = trader(1e6);
    t.default_intensity_per_year = 0.01;
    t.wrong_way_sensitivity = 2.0;
    t.downgrade_intensity_per_year = 0.03;
    let a = CsaAgreement::new(&terms, &t, 100e3, 2.0).unwrap();
    let mut p = a.start(0.999_999);
    let mut input = day(0, 0.0, 0.0);
    let o0 = a.step(&mut p, &input);
    assert_eq!((o0.im_held_usd, o0.call_usd), (100e3, 0.0));
    // Price halves: λ = 0.01 × 0.5^−2 = 0.04 > 0.03 → IM 150k, a 50k call.
    input.day = 1;
    input.index_price_usd_per_gpu_hour = 1.0;
    assert!((a.intensity_per_year(1.0) - 0.04).abs() < 1e-15);
    let o1 = a.step(&mut p, &input);
    assert_eq!((o1.im_held_usd, o1.call_usd), (150e3, 50e3));
    assert_eq!(p.summary.downgrade_day, Some(1));
    assert!(!p.summary.defaulted);
}

#[test]
fn trader_with_unlimited_liquidity_never_defaults_on_a_call() {
    let (th, mta) = (250e3, 50e3);
    let a = CsaAgreement::new(&csa(th, mta, 10e3, true), &trader(1e15), 1e6, 2.0).unwrap();
    let mut rng = stream(5, 0, 0);
    for path in 0..50 {
        let mut p = a.start(rng.random());
        let mut mtm = 0.0;
        for d in 0..1000 {
            let e: f64 = StandardNormal.sample(&mut rng);
            mtm += 300e3 * e;
            let settle = 50e3 * rng.random::<f64>() - 25e3;
            let o = a.step(&mut p, &day(d, mtm, settle));
            // Daily margining keeps the SPV's exposure within threshold + MTA.
            assert!(
                o.exposure_usd <= th + mta + 1e-6,
                "path {path} day {d}: {}",
                o.exposure_usd
            );
        }
        assert!(!p.summary.defaulted, "path {path}");
        assert!(p.summary.calls > 0);
    }
}

#[test]
fn stronger_wrong_way_sensitivity_never_lowers_default_probability() {
    // Price paths falling 15 %/yr with 35 % volatility; the same paths and default thresholds
    // for every sensitivity (common random numbers).
    let paths = 3000;
    let days = 730;
    let mut prices = Vec::with_capacity(paths);
    let mut uniforms = Vec::with_capacity(paths);
    for i in 0..paths as u64 {
        let mut rng = stream(11, i, 0);
        uniforms.push(rng.random::<f64>());
        let mut x = 0.0;
        let mut path = Vec::with_capacity(days);
        for d in 0..days {
            let e: f64 = StandardNormal.sample(&mut rng);
            x += 0.35 * e / 365f64.sqrt();
            path.push(2.0 * (x + 0.85f64.ln() * d as f64 / 365.0).exp());
        }
        prices.push(path);
    }
    let mut last = -1.0;
    for s in [0.0, 0.5, 1.0, 2.0, 4.0] {
        let mut t = trader(1e15);
        t.default_intensity_per_year = 0.05;
        t.wrong_way_sensitivity = s;
        let a = CsaAgreement::new(&csa(0.0, 0.0, 0.0, true), &t, 0.0, 2.0).unwrap();
        let mut defaults = 0;
        for (path, u) in prices.iter().zip(&uniforms) {
            let mut p = a.start(*u);
            for (d, &price) in path.iter().enumerate() {
                let mut input = day(d as u32, 0.0, 0.0);
                input.index_price_usd_per_gpu_hour = price;
                a.step(&mut p, &input);
                if p.summary.defaulted {
                    break;
                }
            }
            defaults += p.summary.defaulted as u32;
        }
        let pd = defaults as f64 / paths as f64;
        println!("sensitivity {s}: PD {pd:.4}");
        assert!(pd >= last, "sensitivity {s}: PD {pd} < {last}");
        last = pd;
    }
    // With no wrong-way effect the 2-year PD is 1 − e^(−0.1) ≈ 9.5 %; the binomial SE is 0.5 pp.
    assert!(last > 0.095 + 0.05);
}

#[test]
fn a_default_near_the_swap_end_is_closed_out_by_finalize() {
    // MPOR 10 days but the swap ends 3 days after the default: the claim is the withheld
    // settlements (MTM 0 after the end) against the collateral.
    let a = CsaAgreement::new(&csa(0.0, 0.0, 0.0, false), &trader(10e3), 0.0, 2.0).unwrap();
    let mut p = a.start(0.5);
    a.step(&mut p, &day(0, 8e3, 0.0)); // posts 8k, 2k left
    a.step(&mut p, &day(1, 15e3, 0.0)); // cannot post 7k more: default on day 1
    assert_eq!(p.summary.default_day, Some(1));
    a.step(&mut p, &day(2, 20e3, -12e3)); // 12k withheld
    let c = a
        .finalize(&mut p, 3)
        .expect("pending default is closed out");
    // Claim 12k against 8k held: 4k shortfall; the SPV keeps the 8k.
    assert_eq!((c.day, c.default_day), (3, 1));
    assert!((c.shortfall_usd - 4e3).abs() < 1e-9);
    assert!((c.spv_cash_usd - 8e3).abs() < 1e-9);
    assert!(a.finalize(&mut p, 4).is_none());
}
