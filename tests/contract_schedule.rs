//! Loan schedules against closed forms: annuity and straight-line (with grace), and sculpted
//! debt hitting its target DSCR on the base case in every amortizing period.

use tenancy::contract::testing::{constant_market, small_scenario};
use tenancy::contract::{ContractError, ContractTerms, DayMarket, PathContracts};
use tenancy::scenario::{Amortization, SwapVariant};

const TOL: f64 = 1e-6;

fn close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= TOL * want.abs().max(1.0),
        "{what}: got {got}, expected {want}"
    );
}

/// Base case with a utilization ramp (0.3 → 0.8 over the loan), so CFADS varies per period.
fn ramp_market(days: u32) -> Vec<DayMarket> {
    (0..days)
        .map(|d| constant_market(d, 4.0, 0.3 + 0.5 * f64::from(d) / f64::from(days), 0.1))
        .collect()
}

#[test]
fn annuity_with_grace_matches_closed_form() {
    let mut s = small_scenario();
    s.loan.grace_months = 2;
    let terms = ContractTerms::new(&s, &[], 2.0).expect("terms");
    let p = 100_000.0;
    let r: f64 = 0.12 * 30.0 / 365.0;
    let n = 10;
    let a = p * r / (1.0 - (1.0 + r).powi(-n));
    let sched = terms.schedule();
    for pay in &sched.payments[..2] {
        close(pay.interest_usd, p * r, "grace interest");
        assert_eq!(pay.principal_usd, 0.0);
        close(pay.balance_after_usd, p, "grace balance");
    }
    for pay in &sched.payments[2..] {
        close(pay.debt_service_usd(), a, "level annuity");
    }
    // Closed-form balance after j amortizing payments: P(1+r)^j − A((1+r)^j − 1)/r.
    for (j, pay) in sched.payments[2..].iter().enumerate() {
        let g = (1.0 + r).powi(j as i32 + 1);
        let want = (p * g - a * (g - 1.0) / r).max(0.0);
        assert!((pay.balance_after_usd - want).abs() < 1e-6, "balance {j}");
    }
    assert_eq!(sched.payments[11].balance_after_usd, 0.0);
    // Notional factor steps at payment days.
    assert_eq!(terms.notional_factor(0), 1.0);
    assert_eq!(terms.notional_factor(89), 1.0);
    close(
        terms.notional_factor(90),
        sched.payments[2].balance_after_usd / p,
        "n(90)",
    );
    assert_eq!(terms.notional_factor(360), 0.0);
}

#[test]
fn straight_line_with_grace_matches_closed_form() {
    let mut s = small_scenario();
    s.loan.amortization = Amortization::StraightLine;
    s.loan.grace_months = 2;
    let terms = ContractTerms::new(&s, &[], 2.0).expect("terms");
    let p = 100_000.0;
    let r = 0.12 * 30.0 / 365.0;
    for (k, pay) in terms.schedule().payments.iter().enumerate() {
        let paid_before = k.saturating_sub(2) as f64;
        let bal_before = p - p / 10.0 * paid_before;
        close(pay.balance_before_usd, bal_before, "balance before");
        close(pay.interest_usd, bal_before * r, "interest");
        let princ = if k < 2 { 0.0 } else { p / 10.0 };
        close(pay.principal_usd, princ, "principal");
    }
    assert!(terms.schedule().payments[11].balance_after_usd.abs() < 1e-9);
}

fn sculpted_terms(advance_rate: f64, target: f64) -> (ContractTerms, Vec<DayMarket>) {
    let mut s = small_scenario();
    s.loan.amortization = Amortization::Sculpted {
        target_dscr: target,
    };
    s.loan.grace_months = 1;
    s.loan.advance_rate = advance_rate;
    s.swap.variant = SwapVariant::None;
    let base = ramp_market(360);
    (ContractTerms::new(&s, &base, 2.0).expect("terms"), base)
}

/// Base-case CFADS of payment period k (1-based), recomputed from the cluster definition.
fn base_cfads(base: &[DayMarket], k: usize) -> f64 {
    base[(k - 1) * 30..k * 30]
        .iter()
        .map(|m| {
            let cap = 240.0;
            let sold = cap * m.utilization;
            let kwh = cap * (0.5 + 0.5 * m.utilization);
            m.operator_price * sold - kwh * m.power_usd_per_kwh - 120.0
        })
        .sum()
}

#[test]
fn sculpted_debt_hits_target_dscr_on_base_case() {
    let target = 1.3;
    let (terms, base) = sculpted_terms(0.9, target);
    let sched = terms.schedule();
    // The advance limit (0.9 × $200 000) does not bind: principal = PV of CFADS/target.
    assert!(sched.principal_usd < sched.advance_limit_usd);
    let r = 0.12 * 30.0 / 365.0;
    let mut pv = 0.0;
    for k in 2..=12 {
        pv += base_cfads(&base, k) / target / (1.0f64 + r).powi(k as i32 - 1);
    }
    close(
        sched.principal_usd,
        pv,
        "sculpted principal = PV(CFADS/target)",
    );
    for k in 2..=12 {
        close(
            sched.payments[k - 1].debt_service_usd(),
            base_cfads(&base, k) / target,
            "sculpted DS",
        );
    }
    // Running the base case through the contracts: the unhedged DSCR equals the target.
    let mut path = PathContracts::new(&terms);
    let mut tested = 0;
    for m in &base {
        let rec = path.step(&terms, m);
        if rec.is_payment_day && m.day + 1 > 30 {
            close(rec.unhedged.dscr, target, "base-case DSCR");
            tested += 1;
        }
    }
    assert_eq!(tested, 11);
    let out = path.finish(&terms, &base[359]);
    assert!(!out.unhedged.defaulted);
}

#[test]
fn sculpted_debt_scales_down_when_advance_limit_binds() {
    let (terms, base) = sculpted_terms(0.2, 1.3);
    let sched = terms.schedule();
    close(sched.principal_usd, 40_000.0, "advance limit binds");
    // Uniform scaling: DSCR is the same in every amortizing period, and above the target.
    let dscr2 = base_cfads(&base, 2) / sched.payments[1].debt_service_usd();
    assert!(dscr2 > 1.3);
    for k in 3..=12 {
        close(
            base_cfads(&base, k) / sched.payments[k - 1].debt_service_usd(),
            dscr2,
            "uniform DSCR",
        );
    }
}

#[test]
fn invalid_terms_are_errors_not_panics() {
    let mut s = small_scenario();
    s.loan.grace_months = 12;
    assert!(matches!(
        ContractTerms::new(&s, &[], 2.0),
        Err(ContractError::Schedule(_))
    ));
    let s = small_scenario();
    assert!(matches!(
        ContractTerms::new(&s, &[], f64::NAN),
        Err(ContractError::FixedPrice(_))
    ));
    let mut s = small_scenario();
    s.loan.amortization = Amortization::Sculpted { target_dscr: 1.3 };
    assert!(matches!(
        ContractTerms::new(&s, &ramp_market(100), 2.0),
        Err(ContractError::BaseCaseTooShort { .. })
    ));
}

#[test]
fn tail_days_extend_the_horizon_without_contract_events() {
    let mut s = small_scenario();
    s.simulation.tail_days = 45;
    let terms = ContractTerms::new(&s, &[], 2.0).expect("terms");
    assert_eq!(terms.horizon_days(), 360 + 45);
    let market: Vec<DayMarket> = (0..terms.horizon_days())
        .map(|d| constant_market(d, 4.0, 0.5, 0.1))
        .collect();
    let mut path = PathContracts::new(&terms);
    for m in &market {
        let rec = path.step(&terms, m);
        if m.day >= 360 {
            assert!(!rec.is_payment_day && !rec.is_settlement_day);
            assert_eq!(rec.notional_factor, 0.0);
            assert_eq!(rec.hedged.cash_usd, 0.0);
            assert!(rec.collateral_value_usd > 0.0, "collateral still reported");
        }
    }
    let out = path.finish(&terms, &market[market.len() - 1]);
    assert!(!out.hedged.defaulted);
    // Operations in the tail still count as hours (the cluster keeps running).
    close(out.hours_sold, 120.0 * 405.0, "hours over the horizon");
}

#[test]
fn early_finish_values_what_is_left_for_equity() {
    let s = small_scenario();
    let terms = ContractTerms::new(&s, &[], 2.0).expect("terms");
    let mut path = PathContracts::new(&terms);
    let mut last = constant_market(0, 4.0, 0.5, 0.1);
    for d in 0..45 {
        last = constant_market(d, 4.0, 0.5, 0.1);
        path.step(&terms, &last);
    }
    let out = path.finish(&terms, &last);
    assert!(!out.unhedged.defaulted);
    // Day 45: one payment made; 15 days of revenue less accrued opex in cash, DSRA at target,
    // GPUs at book.
    let a = terms.schedule().payments[0].debt_service_usd();
    let book = 200_000.0 * (1.0 - 0.9 * 45.0 / (5.0 * 365.0));
    let first = 30.0 * (480.0 - 138.0) - a;
    close(
        out.unhedged.equity_received_usd,
        first + 15.0 * (480.0 - 138.0) + a + book,
        "distributions + terminal value",
    );
}
