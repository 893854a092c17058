//! Credit mechanics on hand-computable markets: DSRA draw and refill, each covenant's configured
//! action, a forced default's EAD / recovery / LGD arithmetic, and IRR of known flows.

use tenancy::contract::irr::irr;
use tenancy::contract::testing::{constant_market, small_scenario};
use tenancy::contract::{
    ContractTerms, DayMarket, DayRecord, DefaultCause, PathContracts, PathOutcome,
};
use tenancy::scenario::{Covenant, CovenantAction, Scenario, SwapVariant};

const P: f64 = 100_000.0;

fn r() -> f64 {
    0.12 * 30.0 / 365.0
}

/// Level annuity payment of the small scenario's loan.
fn annuity() -> f64 {
    P * r() / (1.0 - (1.0 + r()).powi(-12))
}

fn close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() < 1e-6,
        "{what}: got {got}, expected {want}"
    );
}

/// Monthly margin (revenue − power − fixed opex) at price `p`, utilization 0.5, over 30 days.
fn month_margin(p: f64) -> f64 {
    30.0 * (p * 120.0 - 18.0 - 120.0)
}

fn run(s: &Scenario, p_fix: f64, market: &[DayMarket]) -> (Vec<DayRecord>, PathOutcome) {
    let terms = ContractTerms::new(s, market, p_fix).expect("terms");
    let mut path = PathContracts::new(&terms);
    let recs = market.iter().map(|m| path.step(&terms, m)).collect();
    (recs, path.finish(&terms, &market[market.len() - 1]))
}

fn priced(monthly_price: impl Fn(u32) -> f64) -> Vec<DayMarket> {
    (0..360)
        .map(|d| constant_market(d, monthly_price(d / 30), 0.5, 0.1))
        .collect()
}

fn payment(recs: &[DayRecord], k: u32) -> &DayRecord {
    &recs[(k * 30 - 1) as usize]
}

fn unhedged_scenario() -> Scenario {
    let mut s = small_scenario();
    s.swap.variant = SwapVariant::None;
    s
}

#[test]
fn dsra_is_drawn_then_refilled() {
    let a = annuity();
    // Month 2 at $3.00: CFADS 6 660 < debt service; months 1, 3, 4 at $4.00.
    let market = priced(|month| if month == 1 { 3.0 } else { 4.0 });
    let (recs, out) = run(&unhedged_scenario(), 0.0, &market);
    let short = a - month_margin(3.0);
    assert!(short > 0.0);
    close(payment(&recs, 1).unhedged.dsra_usd, a, "DSRA at target");
    close(payment(&recs, 2).unhedged.dsra_usd, a - short, "DSRA drawn");
    close(
        payment(&recs, 2).unhedged.equity_distribution_usd,
        0.0,
        "no dividend",
    );
    let surplus = month_margin(4.0) - a;
    let after3 = a - short + surplus;
    assert!(after3 < a, "one month of surplus does not refill fully");
    close(
        payment(&recs, 3).unhedged.dsra_usd,
        after3,
        "partial refill",
    );
    close(
        payment(&recs, 3).unhedged.equity_distribution_usd,
        0.0,
        "refill first",
    );
    close(payment(&recs, 4).unhedged.dsra_usd, a, "refilled");
    close(
        payment(&recs, 4).unhedged.equity_distribution_usd,
        surplus - (a - after3),
        "rest to equity",
    );
    assert!(!out.unhedged.defaulted);
    close(out.unhedged.dsra_draws_usd, short, "draws");
}

fn with_dscr_covenant(threshold: f64, window: u32, action: CovenantAction) -> Scenario {
    let mut s = unhedged_scenario();
    s.loan.dscr_covenant = Some(Covenant {
        threshold,
        window,
        action,
    });
    s
}

#[test]
fn dscr_cash_trap_locks_up_then_releases_on_cure() {
    let a = annuity();
    // DSCR at $4.00 is 10 260 / 8 873.6 ≈ 1.156 < 1.2; at $5.00 it is ≈ 1.56.
    let market = priced(|month| if month < 2 { 4.0 } else { 5.0 });
    let s = with_dscr_covenant(1.2, 1, CovenantAction::CashTrap);
    let (recs, out) = run(&s, 0.0, &market);
    let excess = month_margin(4.0) - a;
    close(payment(&recs, 1).unhedged.lock_up_usd, excess, "trapped 1");
    close(
        payment(&recs, 2).unhedged.lock_up_usd,
        2.0 * excess,
        "trapped 2",
    );
    close(
        payment(&recs, 1).unhedged.equity_distribution_usd,
        0.0,
        "blocked",
    );
    assert!(payment(&recs, 2).unhedged.cash_trap);
    let p3 = payment(&recs, 3).unhedged;
    assert!(!p3.cash_trap);
    close(p3.lock_up_usd, 0.0, "released");
    close(
        p3.equity_distribution_usd,
        month_margin(5.0) - a + 2.0 * excess,
        "release to equity",
    );
    assert!(!out.unhedged.defaulted);
    assert_eq!(out.unhedged.cash_trap_events, 1);
    assert_eq!(out.unhedged.cash_trap_days, 60);
    close(
        out.unhedged.min_trailing_dscr.expect("tested"),
        month_margin(4.0) / a,
        "min trailing DSCR",
    );
}

#[test]
fn dscr_event_of_default_once_window_is_full() {
    let market = priced(|_| 4.0);
    let s = with_dscr_covenant(1.2, 2, CovenantAction::EventOfDefault);
    let (recs, out) = run(&s, 0.0, &market);
    assert!(
        !payment(&recs, 1).unhedged.trailing_dscr_tested,
        "window not full"
    );
    assert!(!payment(&recs, 1).unhedged.defaulted);
    assert!(payment(&recs, 2).unhedged.trailing_dscr_tested);
    assert_eq!(out.unhedged.default_day, Some(60));
    assert_eq!(out.unhedged.cause, Some(DefaultCause::DscrCovenant));
    // A threshold below the realized DSCR never triggers.
    let s = with_dscr_covenant(1.1, 2, CovenantAction::EventOfDefault);
    let (_, out) = run(&s, 0.0, &market);
    assert!(!out.unhedged.defaulted);
}

#[test]
fn utilization_covenant_counts_commissioned_days_only() {
    let mut s = unhedged_scenario();
    s.loan.utilization_covenant = Some(Covenant {
        threshold: 0.55,
        window: 30,
        action: CovenantAction::EventOfDefault,
    });
    // Commissioned after 20 days: 30 commissioned days first exist at the second payment.
    let market: Vec<DayMarket> = (0..360)
        .map(|d| DayMarket {
            capacity_factor: if d < 20 { 0.0 } else { 1.0 },
            ..constant_market(d, 6.0, 0.5, 0.1)
        })
        .collect();
    let (recs, out) = run(&s, 0.0, &market);
    assert!(!payment(&recs, 1).trailing_utilization_tested);
    assert!(payment(&recs, 2).trailing_utilization_tested);
    close(
        payment(&recs, 2).trailing_utilization,
        0.5,
        "trailing utilization",
    );
    assert_eq!(out.unhedged.cause, Some(DefaultCause::UtilizationCovenant));
    assert_eq!(out.unhedged.default_day, Some(60));
    // As a cash trap it blocks distributions instead.
    s.loan.utilization_covenant = Some(Covenant {
        threshold: 0.55,
        window: 30,
        action: CovenantAction::CashTrap,
    });
    let (recs, out) = run(&s, 0.0, &market);
    assert!(!out.unhedged.defaulted);
    assert!(payment(&recs, 2).unhedged.lock_up_usd > 0.0);
    assert!(out.unhedged.cash_trap_days > 0);
}

#[test]
fn forced_default_recovery_and_lgd() {
    let a = annuity();
    // Price collapses to $0.50 and collateral is shocked to 40 %: payment default at day 30.
    let market: Vec<DayMarket> = (0..360)
        .map(|d| DayMarket {
            collateral_multiplier: 0.4,
            ..constant_market(d, 0.5, 0.5, 0.1)
        })
        .collect();
    let p_fix = 0.7;
    let (recs, out) = run(&small_scenario(), p_fix, &market);
    let ead = P + P * r();
    let book = 200_000.0 * (1.0 - 0.9 * 30.0 / (5.0 * 365.0)) * 0.4;
    let liquidation = book * 0.8 - 1_000.0;
    let operating = 30.0 * 0.5 * 120.0;

    let u = &out.unhedged;
    assert_eq!(u.default_day, Some(30));
    assert_eq!(u.cause, Some(DefaultCause::Payment));
    close(u.ead_usd, ead, "EAD");
    close(u.collateral_at_default_usd, liquidation, "collateral");
    close(u.recovery_usd, liquidation + a + operating, "recovery");
    close(u.loss_usd, ead - (liquidation + a + operating), "loss");
    close(u.lgd, u.loss_usd / ead, "LGD");
    assert_eq!(u.equity_irr, Some(-1.0), "equity received nothing");
    close(u.final_accounts.total_usd(), 0.0, "accounts emptied");

    // Hedged: four weekly receipts (K = 1 008, H = 840) plus the two accrued days (K = 288,
    // H = 240) assigned to the lender still leave the pool short.
    let weekly = p_fix * 1008.0 - 0.5 * 840.0;
    let accrued = p_fix * 288.0 - 0.5 * 240.0;
    let h = &out.hedged;
    assert_eq!(h.default_day, Some(30));
    close(
        h.recovery_usd,
        liquidation + a + operating + 4.0 * weekly + accrued,
        "hedged",
    );
    close(h.loss_usd, ead - h.recovery_usd, "hedged loss");
    // After default the swap stops.
    assert!(recs[40..]
        .iter()
        .all(|r| r.swap_net_to_spv_usd == 0.0 && r.hedged.defaulted));
    assert!(recs[40..].iter().any(|r| r.swap_net_contractual_usd != 0.0));

    // Without the collateral shock the recovery exceeds EAD: no loss, the excess to equity.
    let market: Vec<DayMarket> = (0..360)
        .map(|d| constant_market(d, 0.5, 0.5, 0.1))
        .collect();
    let (_, out) = run(&unhedged_scenario(), 0.0, &market);
    let liquidation = 200_000.0 * (1.0 - 0.9 * 30.0 / (5.0 * 365.0)) * 0.8 - 1_000.0;
    let u = &out.unhedged;
    close(u.loss_usd, 0.0, "no loss");
    close(u.lgd, 0.0, "no LGD");
    close(
        u.equity_received_usd,
        liquidation + a + operating - ead,
        "excess to equity",
    );
}

#[test]
fn irr_of_known_flows() {
    // −100 now, +121 in two years: 10 % a year.
    let got = irr(&[(0, -100.0), (730, 121.0)]).expect("irr");
    assert!((got - 0.1).abs() < 1e-9, "{got}");
    // Monthly annuity at a 1 % monthly rate over 12 months (30-day months): annual rate
    // (1.01)^(365/30) − 1.
    let pmt = 1000.0 * 0.01 / (1.0 - 1.01f64.powi(-12));
    let mut flows = vec![(0, -1000.0)];
    flows.extend((1..=12).map(|k| (k * 30, pmt)));
    let want = 1.01f64.powf(365.0 / 30.0) - 1.0;
    let got = irr(&flows).expect("irr");
    assert!((got - want).abs() < 1e-9, "{got} vs {want}");
    assert_eq!(irr(&[(0, -5.0)]), Some(-1.0));
}
