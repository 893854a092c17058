//! The tenancy swap: settlements against an independent per-period computation on a varying
//! market, zero-sum between trader and SPV, pinned signs, and the two-leg variant.

use tenancy::contract::testing::{constant_path, small_scenario};
use tenancy::contract::waterfall::Party;
use tenancy::contract::{ContractTerms, DayMarket, PathContracts};
use tenancy::scenario::{ReferencePrice, SwapVariant};

/// A varying but deterministic market: commissioning after 10 days, a partial curtailment,
/// index and operator prices that differ.
fn varying_market(days: u32) -> Vec<DayMarket> {
    (0..days)
        .map(|d| {
            let x = f64::from(d);
            let index = 3.0 + 1.5 * (x / 11.0).sin();
            DayMarket {
                day: d,
                index_price: index,
                operator_price: index * 0.95,
                utilization: 0.55 + 0.35 * (x / 7.0).sin(),
                capacity_factor: if d < 10 {
                    0.0
                } else if (100..110).contains(&d) {
                    0.5
                } else {
                    1.0
                },
                power_usd_per_kwh: 0.1,
                opex_multiplier: 1.0,
                collateral_multiplier: 1.0,
                price_to_curve_ratio: 1.0,
            }
        })
        .collect()
}

/// Net to the SPV of the tenancy swap over `days`, from the definition (C, H, K, P_ref).
fn tenancy_net(days: &[DayMarket], n_p: f64, p_fix: f64, strike: f64, operator: bool) -> f64 {
    let cap: Vec<f64> = days.iter().map(|m| 240.0 * m.capacity_factor).collect();
    let c: f64 = cap.iter().sum();
    let h: f64 = days.iter().zip(&cap).map(|(m, c)| c * m.utilization).sum();
    let price = |m: &DayMarket| {
        if operator {
            m.operator_price
        } else {
            m.index_price
        }
    };
    let p_ref = if c > 0.0 {
        days.iter()
            .zip(&cap)
            .map(|(m, c)| price(m) * c)
            .sum::<f64>()
            / c
    } else {
        days.iter().map(price).sum::<f64>() / days.len() as f64
    };
    let k = c * strike * n_p;
    p_fix * k - p_ref * h.min(k)
}

fn run(
    terms: &ContractTerms,
    market: &[DayMarket],
) -> (
    Vec<tenancy::contract::DayRecord>,
    tenancy::contract::PathOutcome,
) {
    let mut path = PathContracts::new(terms);
    let recs = market.iter().map(|m| path.step(terms, m)).collect();
    let out = path.finish(terms, &market[market.len() - 1]);
    (recs, out)
}

#[test]
fn settlements_match_definition_and_swap_is_zero_sum() {
    for (reference, p_fix) in [
        (ReferencePrice::Index, 3.2),
        (ReferencePrice::Operator, 2.6),
    ] {
        let mut s = small_scenario();
        s.swap.reference = reference;
        let market = varying_market(360);
        let terms = ContractTerms::new(&s, &market, p_fix).expect("terms");
        let (recs, out) = run(&terms, &market);
        let mut start = 0usize;
        let (mut received, mut owed) = (0.0, 0.0);
        let mut signs = (0, 0);
        for r in &recs {
            if !r.is_settlement_day {
                assert_eq!(r.swap_net_to_spv_usd, 0.0);
                continue;
            }
            let end = r.day as usize + 1;
            let n_p = terms.notional_factor(start as u32);
            let want = tenancy_net(
                &market[start..end],
                n_p,
                p_fix,
                0.6,
                reference == ReferencePrice::Operator,
            );
            assert!(
                (r.swap_net_contractual_usd - want).abs() < 1e-6,
                "period ending {end}: {} vs {want}",
                r.swap_net_contractual_usd
            );
            let live = out.hedged.default_day.is_none_or(|d| end as u32 <= d);
            if !live {
                // The swap ended with the SPV's default.
                assert_eq!(r.swap_net_to_spv_usd, 0.0);
            } else {
                assert!((r.swap_net_to_spv_usd - want).abs() < 1e-6);
                if want > 0.0 {
                    received += want;
                    signs.0 += 1;
                } else {
                    owed -= want;
                    signs.1 += 1;
                }
            }
            start = end;
        }
        // At a default inside a calculation period, the accrued settlement is a receivable
        // assigned to the lender (positive) or a claim of the trader (negative).
        let led = &out.hedged.ledger;
        let mut assigned = 0.0;
        if let Some(d) = out.hedged.default_day {
            let from = (d / 7 * 7) as usize;
            if from < d as usize {
                let n_p = terms.notional_factor(from as u32);
                let accrued = tenancy_net(
                    &market[from..d as usize],
                    n_p,
                    p_fix,
                    0.6,
                    reference == ReferencePrice::Operator,
                );
                if accrued > 0.0 {
                    assigned = accrued;
                } else {
                    owed -= accrued;
                }
            }
        }
        assert!(
            (led.between_usd(Party::Trader, Party::Lender) - assigned).abs() < 1e-6,
            "receivable assigned to the lender"
        );
        assert!(
            signs.0 > 0 && signs.1 > 0,
            "both signs exercised: {signs:?}"
        );
        // Zero-sum: the trader's cash is exactly minus the SPV's swap cash.
        assert!((led.net_usd(Party::Trader) - out.trader_pnl_usd).abs() < 1e-6);
        assert!((out.trader_pnl_usd + out.hedged.swap_net_cash_usd).abs() < 1e-6);
        // Receipts came from the trader; payables were paid to the trader or remain unpaid.
        assert!(
            (led.between_usd(Party::Trader, Party::Operating) - received).abs() < 1e-6,
            "{:?} {} {received}",
            out.hedged.default_day,
            led.between_usd(Party::Trader, Party::Operating)
        );
        let paid_to_trader: f64 = [Party::Operating, Party::LockUp, Party::Dsra, Party::Lender]
            .iter()
            .map(|&p| led.between_usd(p, Party::Trader))
            .sum();
        assert!(
            (paid_to_trader + out.trader_unpaid_claims_usd - owed).abs() < 1e-6,
            "paid {paid_to_trader} + unpaid {} vs owed {owed}",
            out.trader_unpaid_claims_usd
        );
        // The unhedged SPV never touches the trader.
        assert_eq!(out.unhedged.swap_net_cash_usd, 0.0);
        assert_eq!(out.unhedged.ledger.net_usd(Party::Trader), 0.0);
        // PV legs: par = variable / fixed-per-usd reprices the contractual flows to zero.
        let par = out.swap_pv_variable_leg_usd / out.swap_pv_fixed_leg_per_usd;
        assert!(par.is_finite() && par > 0.0);
    }
}

#[test]
fn signs_are_pinned() {
    // SPV receives when P_ref·min(H,K) < P_fix·K: price below fixed, utilization below strike.
    let s = small_scenario();
    let market = constant_path(360, 1.5, 0.4, 0.1);
    let terms = ContractTerms::new(&s, &market, 2.0).expect("terms");
    let (recs, _) = run(&terms, &market);
    let first = recs.iter().find(|r| r.is_settlement_day).expect("settles");
    // 7 days × 240 h: K = 1008 (n = 1), H = 672: F = 2016, V = 1.5 × 672 = 1008.
    assert!((first.swap_net_to_spv_usd - (2016.0 - 1008.0)).abs() < 1e-9);

    // SPV pays when above: price over fixed, utilization over strike: net = (P_fix − P)·K.
    let market = constant_path(360, 3.0, 0.9, 0.1);
    let (recs, out) = run(&terms, &market);
    let first = recs.iter().find(|r| r.is_settlement_day).expect("settles");
    assert!((first.swap_net_to_spv_usd - (2.0 - 3.0) * 1008.0).abs() < 1e-9);
    assert!(out.trader_pnl_usd > 0.0);
}

#[test]
fn two_leg_variant_matches_definition() {
    let mut s = small_scenario();
    s.swap.variant = SwapVariant::TwoLeg {
        reserved_fee_usd_per_gpu_hour: 0.8,
    };
    let market = constant_path(360, 3.0, 0.5, 0.1);
    let terms = ContractTerms::new(&s, &market, 0.0).expect("terms");
    let (recs, _) = run(&terms, &market);
    let first = recs.iter().find(|r| r.is_settlement_day).expect("settles");
    // 7 days: C = 1680, revenue = 3 × 840 = 2520, power = 1680 × 0.75 × 0.1 = 126, opex 840.
    let want = 0.8 * 1680.0 - (2520.0 - 126.0 - 840.0);
    assert!((first.swap_net_to_spv_usd - want).abs() < 1e-9);
}
