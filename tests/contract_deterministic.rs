//! Deterministic contract case, hand-computed from first principles to the cent.
//!
//! Scenario: `testing::small_scenario()` (10 GPUs, 240 GPU-hours/day, $100 000 annuity loan at
//! 12 % over 12 payments of 30 days, weekly tenancy swap with strike 0.6) on a constant market:
//! price $4.00/GPU-hour, utilization 0.5, power $0.10/kWh, and a fixed price of $4.50. Every number
//! below is recomputed here from the contract definitions, not from library code.

use tenancy::contract::testing::{constant_path, small_scenario};
use tenancy::contract::waterfall::Party;
use tenancy::contract::{ContractTerms, PathContracts};

const PRICE: f64 = 4.0;
const UTIL: f64 = 0.5;
const POWER: f64 = 0.1;
const P_FIX: f64 = 4.5;
const INTERVAL: u32 = 30;
const TENOR: u32 = 12;

fn cents(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() < 0.005,
        "{what}: got {got:.6}, expected {want:.6}"
    );
}

/// Hand-computed annuity schedule: (interest, principal, balance after) per payment.
fn annuity() -> (f64, Vec<(f64, f64, f64)>) {
    let principal = 0.5 * 10.0 * 20_000.0;
    let r: f64 = 0.12 * 30.0 / 365.0;
    let a = principal * r / (1.0 - (1.0 + r).powi(-(TENOR as i32)));
    let mut bal = principal;
    let mut rows = Vec::new();
    for k in 1..=TENOR {
        let interest = bal * r;
        let princ = if k == TENOR { bal } else { a - interest };
        bal -= princ;
        rows.push((interest, princ, bal));
    }
    (a, rows)
}

#[test]
fn deterministic_case_to_the_cent() {
    let s = small_scenario();
    let horizon = TENOR * INTERVAL;
    let market = constant_path(horizon, PRICE, UTIL, POWER);
    let terms = ContractTerms::new(&s, &market, P_FIX).expect("valid terms");
    assert_eq!(terms.horizon_days(), horizon);

    // --- Loan schedule: closed-form annuity.
    let principal = 100_000.0;
    let (a, rows) = annuity();
    let sched = terms.schedule();
    cents(sched.principal_usd, principal, "principal");
    assert_eq!(sched.payments.len(), TENOR as usize);
    for (k, (p, &(i, pr, after))) in sched.payments.iter().zip(&rows).enumerate() {
        assert_eq!(p.day, (k as u32 + 1) * INTERVAL);
        cents(p.interest_usd, i, "interest");
        cents(p.principal_usd, pr, "principal");
        cents(p.balance_after_usd, after, "balance");
        cents(p.debt_service_usd(), a, "level debt service");
    }
    assert_eq!(
        sched.payments.last().map(|p| p.balance_after_usd),
        Some(0.0)
    );
    let balance_at = |time: u32| -> f64 {
        match (time / INTERVAL).min(TENOR) {
            0 => principal,
            k => rows[k as usize - 1].2,
        }
    };

    // --- Cluster day: 240 GPU-hours, 120 sold, $480 revenue, 180 kWh → $18, $120 fixed opex.
    let capacity = 10.0 * 24.0;
    let sold = capacity * UTIL;
    let revenue = PRICE * sold;
    let power = capacity * 1.0 * 1.0 * (0.5 + 0.5 * UTIL) * POWER;
    let fixed = 10.0 * 365.0 * 12.0 / 365.0;
    let costs = power + fixed;
    cents(costs, 138.0, "daily costs");

    // --- Swap: weekly periods from day 0; the last one ends at maturity (day 360).
    let settlement = |start: u32, end: u32| -> f64 {
        let days = f64::from(end - start);
        let n = balance_at(start) / principal;
        let k_hours = capacity * days * 0.6 * n;
        P_FIX * k_hours - PRICE * (sold * days).min(k_hours)
    };

    let mut path = PathContracts::new(&terms);
    let mut period_start = 0;
    let mut settled_in_month = 0.0;
    let mut total_settled = 0.0;
    let dsra = a; // dsra_months = 1 × level debt service
    let mut unhedged_distributions = 0.0;
    let mut hedged_distributions = 0.0;
    for m in &market {
        let rec = path.step(&terms, m);
        let time = m.day + 1;
        cents(rec.capacity_hours, capacity, "capacity hours");
        cents(rec.hours_sold, sold, "hours sold");
        cents(rec.revenue_usd, revenue, "revenue");
        let book = 200_000.0 * (1.0 - 0.9 * f64::from(m.day) / (5.0 * 365.0));
        cents(
            rec.collateral_value_usd,
            book * 0.8 - 1_000.0,
            "collateral value",
        );
        cents(
            rec.notional_factor,
            balance_at(m.day) / principal,
            "notional factor",
        );
        if time % 7 == 0 || time == horizon {
            assert!(rec.is_settlement_day);
            let net = settlement(period_start, time);
            assert!(
                net > 0.0,
                "below strike at a price under P_fix the SPV receives"
            );
            cents(rec.swap_net_to_spv_usd, net, "swap settlement");
            settled_in_month += net;
            total_settled += net;
            period_start = time;
        } else {
            assert_eq!(rec.swap_net_to_spv_usd, 0.0);
        }
        assert_eq!(rec.is_payment_day, time % INTERVAL == 0);
        if time % INTERVAL == 0 {
            let k = time / INTERVAL;
            let opex = f64::from(INTERVAL) * costs;
            let month_revenue = f64::from(INTERVAL) * revenue;
            // Unhedged waterfall: revenue − opex − debt service to equity; DSRA stays at target
            // (level debt service) until maturity, when it is released.
            let released = if k == TENOR { dsra } else { 0.0 };
            let u_eq = month_revenue - opex - a + released;
            let h_eq = u_eq + settled_in_month;
            let book_end = 200_000.0 * (1.0 - 0.9 * f64::from(time) / (5.0 * 365.0));
            let terminal = if k == TENOR { book_end } else { 0.0 };
            cents(rec.unhedged.debt_service_due_usd, a, "debt service due");
            cents(
                rec.unhedged.equity_distribution_usd,
                u_eq + terminal,
                "unhedged equity",
            );
            cents(
                rec.hedged.equity_distribution_usd,
                h_eq + terminal,
                "hedged equity",
            );
            cents(
                rec.unhedged.dscr,
                (month_revenue - opex) / a,
                "unhedged DSCR",
            );
            cents(
                rec.hedged.dscr,
                (month_revenue - opex + settled_in_month) / a,
                "hedged DSCR",
            );
            let dsra_after = if k == TENOR { 0.0 } else { dsra };
            cents(rec.hedged.dsra_usd, dsra_after, "hedged DSRA");
            cents(rec.unhedged.dsra_usd, dsra_after, "unhedged DSRA");
            cents(rec.hedged.cash_usd, 0.0, "hedged cash after sweep");
            assert!(!rec.hedged.defaulted && !rec.unhedged.defaulted);
            unhedged_distributions += u_eq + terminal;
            hedged_distributions += h_eq + terminal;
            settled_in_month = 0.0;
        } else {
            // Between payment dates revenue accumulates; opex is accrued, paid at the waterfall.
            let days_since = f64::from(time % INTERVAL);
            cents(
                rec.unhedged.cash_usd,
                days_since * revenue,
                "unhedged operating cash between payments",
            );
            cents(
                rec.hedged.cash_usd,
                days_since * revenue + settled_in_month,
                "hedged operating cash between payments",
            );
        }
    }
    let last = *market.last().expect("non-empty");
    let out = path.finish(&terms, &last);

    // Outcomes: no default, everything paid, equity got its hand-computed flows.
    for o in [&out.hedged, &out.unhedged] {
        assert!(!o.defaulted);
        assert_eq!(o.default_day, None);
        cents(o.principal_paid_usd, principal, "principal repaid");
        let interest: f64 = rows.iter().map(|r| r.0).sum();
        cents(o.interest_paid_usd, interest, "interest paid");
        cents(
            o.ledger.between_usd(Party::Operating, Party::Suppliers),
            f64::from(horizon) * costs,
            "opex paid",
        );
        cents(
            o.ledger.between_usd(Party::Customers, Party::Operating),
            f64::from(horizon) * revenue,
            "revenue in",
        );
        cents(
            o.equity_invested_usd,
            200_000.0 - principal + dsra,
            "equity invested",
        );
        cents(o.final_accounts.total_usd(), 0.0, "accounts emptied");
    }
    cents(
        out.unhedged.equity_received_usd,
        unhedged_distributions,
        "unhedged equity received",
    );
    cents(
        out.hedged.equity_received_usd,
        hedged_distributions,
        "hedged equity received",
    );
    // The trader paid every settlement; the discount rate is 0 so PV = sum.
    cents(out.trader_pnl_usd, -total_settled, "trader PnL");
    cents(out.trader_pnl_pv_usd, -total_settled, "trader PnL PV");
    cents(
        out.settlement_by_year_usd.iter().sum(),
        total_settled,
        "by year",
    );
    cents(out.hours_sold, sold * f64::from(horizon), "hours sold");

    // Equity IRR: NPV at the reported rate is zero (independent NPV in annual compounding).
    let irr = out.unhedged.equity_irr.expect("irr exists");
    let mut flows = vec![(0u32, -(200_000.0 - principal + dsra))];
    for k in 1..=TENOR {
        let released = if k == TENOR { dsra } else { 0.0 };
        let terminal = if k == TENOR {
            200_000.0 * (1.0 - 0.9 * f64::from(k * INTERVAL) / (5.0 * 365.0))
        } else {
            0.0
        };
        let cf = f64::from(INTERVAL) * (revenue - costs) - a + released + terminal;
        flows.push((k * INTERVAL, cf));
    }
    let npv: f64 = flows
        .iter()
        .map(|&(d, cf)| cf / (1.0 + irr).powf(f64::from(d) / 365.0))
        .sum();
    assert!(npv.abs() < 1e-3, "NPV at the IRR {irr}: {npv}");
}
