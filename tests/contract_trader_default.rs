//! The original trader's default on the hedged SPV: suspension, close-out cash, replacement or
//! termination, checked against hand computations on a constant market.
//!
//! Market: index = operator price $10/GPU-hour, utilization 0.5, power $0.10/kWh, on the small
//! scenario (240 GPU-hours a day) with P_fix = $12. A full weekly period has C = 1 680, H = 840
//! and K = 1 008·n_p, so the net to the SPV at fixed price p is p·K − 10·min(840, K). The loan
//! earns far more than its debt service, so it never defaults.

use tenancy::contract::testing::{constant_path, small_scenario};
use tenancy::contract::waterfall::{Party, ACCOUNTS};
use tenancy::contract::{ContractTerms, DayRecord, PathContracts, PathOutcome, SwapState};

const PRICE: f64 = 10.0;
const P_FIX: f64 = 12.0;
const TOL: f64 = 1e-6;

fn terms() -> ContractTerms {
    let s = small_scenario();
    let base = constant_path(400, PRICE, 0.5, 0.1);
    ContractTerms::new(&s, &base, P_FIX).expect("valid terms")
}

/// What happens to the trader, each after `step` of the given day.
#[derive(Clone, Copy)]
struct TraderEvents {
    suspend_after: Option<u32>,
    close_out_after: Option<(u32, f64, Option<f64>)>,
}

const NO_DEFAULT: TraderEvents = TraderEvents {
    suspend_after: None,
    close_out_after: None,
};

fn run(terms: &ContractTerms, ev: TraderEvents) -> (Vec<DayRecord>, PathOutcome) {
    let market = constant_path(terms.horizon_days(), PRICE, 0.5, 0.1);
    let mut pc = PathContracts::new(terms);
    let mut recs = Vec::with_capacity(market.len());
    for m in &market {
        let pending = pc.pending_settlement_to_spv_usd(terms, m);
        let rec = pc.step(terms, m);
        assert_eq!(pending, rec.swap_net_to_spv_usd, "day {}", m.day);
        recs.push(rec);
        if ev.suspend_after == Some(m.day) {
            pc.suspend_swap();
        }
        if let Some((day, cash, replacement)) = ev.close_out_after {
            if day == m.day {
                pc.close_out_swap(terms, day, cash, replacement);
            }
        }
    }
    let last = *market.last().expect("non-empty");
    (recs, pc.finish(terms, &last))
}

/// Net to the SPV at fixed price `p` of the period ending at time `end` (its start is the
/// previous multiple of 7; the last period ends at maturity, day 360).
fn hand_net(terms: &ContractTerms, end: u32, p: f64) -> f64 {
    let start = (end - 1) / 7 * 7;
    let days = f64::from(end - start);
    let c = 240.0 * days;
    let h = 120.0 * days;
    let k = c * 0.6 * terms.notional_factor(start);
    p * k - PRICE * h.min(k)
}

fn settlement_ends(terms: &ContractTerms) -> Vec<u32> {
    let maturity = terms.horizon_days();
    let mut ends: Vec<u32> = (1..).map(|i| 7 * i).take_while(|&t| t < maturity).collect();
    ends.push(maturity);
    ends
}

/// The ledger explains every account balance and money is conserved across external parties.
fn assert_ledger_explains(o: &tenancy::contract::LoanOutcome) {
    for a in ACCOUNTS {
        let bal = o.final_accounts.balance_usd(a);
        assert!((o.ledger.net_usd(a) - bal).abs() < TOL, "{a:?}");
    }
    let external = [
        Party::Customers,
        Party::Suppliers,
        Party::Lender,
        Party::Trader,
        Party::Equity,
        Party::CollateralBuyers,
        Party::ReplacementTrader,
    ];
    let ext: f64 = external.iter().map(|&p| o.ledger.net_usd(p)).sum();
    assert!((ext + o.final_accounts.total_usd()).abs() < TOL);
}

#[test]
fn replacement_settles_at_its_price_after_withheld_periods() {
    let terms = terms();
    let (base_recs, base) = run(&terms, NO_DEFAULT);
    // Default after day 9 (time 10); close-out at the end of day 16 (time 17), $5 000 of the
    // trader's collateral to the SPV, replacement at $6.
    let (cash, p_rep) = (5_000.0, 6.0);
    let ev = TraderEvents {
        suspend_after: Some(9),
        close_out_after: Some((16, cash, Some(p_rep))),
    };
    let (recs, o) = run(&terms, ev);

    let mut original = 0.0;
    let mut replacement = 0.0;
    for end in settlement_ends(&terms) {
        let r = &recs[(end - 1) as usize];
        assert!(r.is_settlement_day);
        let contractual = hand_net(&terms, end, P_FIX);
        assert!(
            (r.swap_net_contractual_usd - contractual).abs() < TOL,
            "{end}"
        );
        let expected = match end {
            7 => contractual, // before the default: the original price
            14 | 21 => 0.0,   // withheld: suspended, then the period running at close-out
            _ => hand_net(&terms, end, p_rep),
        };
        assert!(
            (r.swap_net_to_spv_usd - expected).abs() < TOL,
            "settlement ending {end}: {} vs {expected}",
            r.swap_net_to_spv_usd
        );
        if end == 7 {
            original += expected;
        } else {
            replacement += expected;
        }
    }
    assert!(original > 0.0 && replacement < 0.0);
    for r in &recs {
        let state = match r.day {
            0..=9 => SwapState::Original,
            10..=16 => SwapState::Suspended,
            _ => SwapState::Replaced,
        };
        assert_eq!(r.swap_state, state, "day {}", r.day);
    }

    // The close-out cash lands in operating cash at the end of day 16 (seen in day 17's record;
    // neither day has a settlement or a payment).
    let hedged_move = recs[17].hedged.cash_usd - recs[16].hedged.cash_usd;
    let unhedged_move = recs[17].unhedged.cash_usd - recs[16].unhedged.cash_usd;
    assert!((hedged_move - unhedged_move - cash).abs() < TOL);
    assert_eq!(o.trader_closeout_cash_to_spv_usd, cash);

    // Ledger: the original trader paid the first settlement and the close-out cash; the SPV paid
    // the replacement its (negative) settlements in full by maturity.
    let led = &o.hedged.ledger;
    assert!((led.between_usd(Party::Trader, Party::Operating) - (original + cash)).abs() < TOL);
    assert!(led.inflow_usd(Party::Trader).abs() < TOL);
    assert!((led.net_usd(Party::ReplacementTrader) + replacement).abs() < TOL);
    assert!(led.outflow_usd(Party::ReplacementTrader).abs() < TOL);
    assert_ledger_explains(&o.hedged);
    assert_ledger_explains(&o.unhedged);
    assert!((o.hedged.swap_net_cash_usd - (original + cash + replacement)).abs() < TOL);
    assert!(!o.hedged.defaulted);

    // The contractual legs ignore the default; the unhedged SPV is untouched.
    assert_eq!(o.swap_pv_fixed_leg_per_usd, base.swap_pv_fixed_leg_per_usd);
    assert_eq!(o.swap_pv_variable_leg_usd, base.swap_pv_variable_leg_usd);
    assert_eq!(o.settlement_by_year_usd, base.settlement_by_year_usd);
    assert_eq!(o.unhedged, base.unhedged);
    for (a, b) in recs.iter().zip(&base_recs) {
        assert_eq!(a.swap_net_contractual_usd, b.swap_net_contractual_usd);
        assert_eq!(a.unhedged, b.unhedged);
    }
}

/// Suspending before `step` withholds that day's settlement (the CSA's default-day order).
#[test]
fn suspension_before_step_withholds_the_same_day_settlement() {
    let terms = terms();
    let market = constant_path(14, PRICE, 0.5, 0.1);
    let mut pc = PathContracts::new(&terms);
    for m in &market[..6] {
        pc.step(&terms, m);
    }
    let due = pc.pending_settlement_to_spv_usd(&terms, &market[6]);
    assert!((due - hand_net(&terms, 7, P_FIX)).abs() < TOL);
    pc.suspend_swap();
    assert_eq!(pc.pending_settlement_to_spv_usd(&terms, &market[6]), 0.0);
    let r = pc.step(&terms, &market[6]);
    assert!(r.is_settlement_day);
    assert_eq!(r.swap_net_to_spv_usd, 0.0);
    assert!((r.swap_net_contractual_usd - due).abs() < TOL);
    assert_eq!(r.swap_state, SwapState::Suspended);
    assert_eq!(r.hedged.cash_usd, r.unhedged.cash_usd);
}

#[test]
fn original_trader_pnl_excludes_replacement_flows() {
    let terms = terms();
    let ev = TraderEvents {
        suspend_after: Some(9),
        close_out_after: Some((16, 5_000.0, Some(6.0))),
    };
    let (_, o) = run(&terms, ev);
    // The original trader paid the first settlement and $5 000 at close-out, nothing else
    // (discount rate 0: PV = undiscounted).
    let expected = -(hand_net(&terms, 7, P_FIX) + 5_000.0);
    assert!(
        (o.trader_pnl_usd - expected).abs() < TOL,
        "{}",
        o.trader_pnl_usd
    );
    assert!((o.trader_pnl_pv_usd - expected).abs() < TOL);
    assert!((o.hedged.ledger.net_usd(Party::Trader) - expected).abs() < TOL);
    assert_eq!(o.trader_unpaid_claims_usd, 0.0);
    // Without the default the trader would have paid every (positive) settlement.
    let (_, base) = run(&terms, NO_DEFAULT);
    let all: f64 = settlement_ends(&terms)
        .iter()
        .map(|&e| hand_net(&terms, e, P_FIX))
        .sum();
    assert!((base.trader_pnl_usd + all).abs() < TOL);
    assert_eq!(base.trader_closeout_cash_to_spv_usd, 0.0);
}

#[test]
fn terminated_swap_leaves_the_spv_unhedged() {
    let terms = terms();
    let ev = TraderEvents {
        suspend_after: Some(8),
        close_out_after: Some((12, 0.0, None)),
    };
    let (recs, o) = run(&terms, ev);
    let net0 = hand_net(&terms, 7, P_FIX);
    assert!((recs[6].swap_net_to_spv_usd - net0).abs() < TOL);
    for r in &recs[7..] {
        assert_eq!(r.swap_net_to_spv_usd, 0.0, "day {}", r.day);
        if r.day > 12 {
            assert_eq!(r.swap_state, SwapState::Terminated);
        }
    }
    // The first settlement is swept to equity at the first payment (end of day 29); from then
    // on the hedged SPV's accounts and distributions equal the unhedged one's.
    let eq29 = recs[29].hedged.equity_distribution_usd - recs[29].unhedged.equity_distribution_usd;
    assert!((eq29 - net0).abs() < TOL, "{eq29} vs {net0}");
    for r in &recs[29..] {
        let (h, u) = (&r.hedged, &r.unhedged);
        assert!((h.cash_usd - u.cash_usd).abs() < TOL, "day {}", r.day);
        assert!((h.dsra_usd - u.dsra_usd).abs() < TOL);
        assert_eq!(h.swap_payable_usd, 0.0);
        if r.day > 29 {
            assert!((h.equity_distribution_usd - u.equity_distribution_usd).abs() < TOL);
        }
    }
    assert!((o.hedged.equity_received_usd - o.unhedged.equity_received_usd - net0).abs() < TOL);
    assert!((o.trader_pnl_usd + net0).abs() < TOL);
    assert_ledger_explains(&o.hedged);
}

#[test]
fn negative_closeout_cash_is_a_payable_junior_to_debt_service() {
    let terms = terms();
    // Settlements ending at 7..=35 are paid; the default after day 36 withholds the period
    // ending at 42; at the end of day 40 the SPV owes the estate $1m (more than it can pay).
    let owed = 1.0e6;
    let ev = TraderEvents {
        suspend_after: Some(36),
        close_out_after: Some((40, -owed, None)),
    };
    let (recs, o) = run(&terms, ev);
    assert_eq!(recs[40].hedged.swap_payable_usd, 0.0);
    assert_eq!(recs[41].hedged.swap_payable_usd, owed);
    assert_eq!(o.trader_closeout_cash_to_spv_usd, -owed);

    // Payment 2 (end of day 59): debt service in full, then the payable takes every dollar
    // equity would have had (the settlement ending at 35 is in this period's cash).
    let r = &recs[59];
    assert!(r.is_payment_day && !r.hedged.defaulted);
    let net35 = hand_net(&terms, 35, P_FIX);
    let paid59 = r.unhedged.equity_distribution_usd + net35;
    assert_eq!(r.hedged.equity_distribution_usd, 0.0);
    assert!((r.hedged.swap_payable_usd - (owed - paid59)).abs() < TOL);
    assert!((r.hedged.dsra_usd - r.unhedged.dsra_usd).abs() < TOL);

    // Over the loan: same debt service as unhedged, no default; what the SPV received from
    // the swap minus what it paid the estate is exactly its equity difference.
    assert!(!o.hedged.defaulted);
    assert!((o.hedged.interest_paid_usd - o.unhedged.interest_paid_usd).abs() < TOL);
    assert!((o.hedged.principal_paid_usd - o.unhedged.principal_paid_usd).abs() < TOL);
    let settled: f64 = [7, 14, 21, 28, 35]
        .iter()
        .map(|&e| hand_net(&terms, e, P_FIX))
        .sum();
    let paid = o.hedged.ledger.inflow_usd(Party::Trader);
    assert!(o.trader_unpaid_claims_usd > 0.0);
    assert!((paid + o.trader_unpaid_claims_usd - owed).abs() < TOL);
    assert!(
        (o.hedged.equity_received_usd - o.unhedged.equity_received_usd - (settled - paid)).abs()
            < 1e-4
    );
    assert!((o.trader_pnl_usd - (paid - settled)).abs() < TOL);
    assert_ledger_explains(&o.hedged);
}

/// Short operating cash pays the two swap payables pro rata, after opex and debt service.
#[test]
fn swap_payables_share_short_cash_pro_rata() {
    use tenancy::contract::waterfall::{run_waterfall, Accounts, Ledger, PaymentDues};
    let order = small_scenario().waterfall.order;
    let mut acc = Accounts {
        operating_usd: 1_000.0,
        lock_up_usd: 0.0,
        dsra_usd: 50.0,
    };
    let mut ledger = Ledger::default();
    let dues = PaymentDues {
        opex_usd: 300.0,
        interest_usd: 200.0,
        principal_usd: 200.0,
        swap_payable_usd: 200.0,
        replacement_swap_payable_usd: 400.0,
        dsra_target_usd: 50.0,
        cash_trap: false,
    };
    let paid = run_waterfall(&order, &mut acc, &dues, &mut ledger);
    // 1 000 − 300 opex − 400 debt service leaves 300 for 600 of payables: half each.
    assert!((paid.swap_usd - 100.0).abs() < TOL);
    assert!((paid.replacement_swap_usd - 200.0).abs() < TOL);
    assert!((ledger.between_usd(Party::Operating, Party::ReplacementTrader) - 200.0).abs() < TOL);
    assert_eq!(paid.to_equity_usd, 0.0);
    assert_eq!(acc.dsra_usd, 50.0);
}
