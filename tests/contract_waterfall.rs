//! Waterfall conservation: for random balances, dues and step orders, every dollar that moves is
//! in the ledger (Σ in = Σ out + Δ balances, per account and in total), no account goes
//! negative, nothing is paid beyond what is due; and over whole paths the ledger explains every
//! account balance.

use proptest::prelude::*;
use tenancy::contract::testing::small_scenario;
use tenancy::contract::waterfall::{run_waterfall, Accounts, Ledger, Party, PaymentDues, ACCOUNTS};
use tenancy::contract::{ContractTerms, DayMarket, PathContracts};
use tenancy::scenario::WaterfallStep;

const EXTERNAL: [Party; 7] = [
    Party::Customers,
    Party::Suppliers,
    Party::Lender,
    Party::Trader,
    Party::Equity,
    Party::CollateralBuyers,
    Party::ReplacementTrader,
];

fn step() -> impl Strategy<Value = WaterfallStep> {
    prop::sample::select(vec![
        WaterfallStep::Opex,
        WaterfallStep::DebtService,
        WaterfallStep::SwapPayment,
        WaterfallStep::DsraTopUp,
        WaterfallStep::Equity,
    ])
}

proptest! {
    #[test]
    fn waterfall_conserves_cash(
        operating in 0.0..1e6f64,
        lock_up in 0.0..1e5f64,
        dsra in 0.0..1e5f64,
        opex in 0.0..5e5f64,
        interest in 0.0..1e5f64,
        principal in 0.0..3e5f64,
        swap in 0.0..1e5f64,
        target in 0.0..2e5f64,
        cash_trap in any::<bool>(),
        order in prop::collection::vec(step(), 0..8),
    ) {
        let before = Accounts { operating_usd: operating, lock_up_usd: lock_up, dsra_usd: dsra };
        let mut acc = before;
        let mut ledger = Ledger::default();
        let dues = PaymentDues {
            opex_usd: opex,
            interest_usd: interest,
            principal_usd: principal,
            swap_payable_usd: swap,
            replacement_swap_payable_usd: 0.0,
            dsra_target_usd: target,
            cash_trap,
        };
        let paid = run_waterfall(&order, &mut acc, &dues, &mut ledger);
        let tol = 1e-6;
        for a in ACCOUNTS {
            let delta = acc.balance_usd(a) - before.balance_usd(a);
            prop_assert!((ledger.net_usd(a) - delta).abs() < tol, "{a:?}");
            prop_assert!(acc.balance_usd(a) >= 0.0);
        }
        let ext_in: f64 = EXTERNAL.iter().map(|&p| ledger.outflow_usd(p)).sum();
        let ext_out: f64 = EXTERNAL.iter().map(|&p| ledger.inflow_usd(p)).sum();
        prop_assert!((ext_in - ext_out - (acc.total_usd() - before.total_usd())).abs() < tol);
        // Payments never exceed what is due, and match the ledger.
        prop_assert!(paid.opex_usd <= opex * (1.0 + 1e-12) * count(&order, WaterfallStep::Opex));
        prop_assert!(paid.swap_usd <= swap + tol);
        prop_assert!((ledger.inflow_usd(Party::Suppliers) - paid.opex_usd).abs() < tol);
        prop_assert!(
            (ledger.inflow_usd(Party::Lender) - paid.debt_service_usd()).abs() < tol
        );
        prop_assert!((ledger.inflow_usd(Party::Trader) - paid.swap_usd).abs() < tol);
        prop_assert!((ledger.inflow_usd(Party::Equity) - paid.to_equity_usd).abs() < tol);
        // In the standard order, debt service is paid in full whenever the pool covers it.
        let standard = [
            WaterfallStep::Opex,
            WaterfallStep::DebtService,
            WaterfallStep::SwapPayment,
            WaterfallStep::DsraTopUp,
            WaterfallStep::Equity,
        ];
        if order == standard {
            if before.total_usd() >= opex + interest + principal {
                prop_assert!((paid.debt_service_usd() - interest - principal).abs() < tol);
            }
            if !cash_trap {
                prop_assert!(acc.operating_usd.abs() < tol && acc.lock_up_usd.abs() < tol);
            } else {
                prop_assert!(acc.operating_usd.abs() < tol);
            }
        }
    }
}

fn count(order: &[WaterfallStep], s: WaterfallStep) -> f64 {
    order.iter().filter(|&&x| x == s).count() as f64
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn path_ledger_explains_every_balance(
        price in 1.0..5.0f64,
        util in 0.2..0.95f64,
        slump_day in 0u32..360,
        slump in 0.0..1.0f64,
        p_fix in 1.0..5.0f64,
    ) {
        let s = small_scenario();
        let market: Vec<DayMarket> = (0..360)
            .map(|d| {
                let p = if d >= slump_day { price * slump } else { price };
                tenancy::contract::testing::constant_market(d, p, util, 0.1)
            })
            .collect();
        let terms = ContractTerms::new(&s, &market, p_fix).expect("terms");
        let mut path = PathContracts::new(&terms);
        let mut revenue = 0.0;
        for m in &market {
            let r = path.step(&terms, m);
            revenue += r.revenue_usd;
            for d in [r.hedged, r.unhedged] {
                prop_assert!(d.cash_usd >= 0.0 && d.dsra_usd >= 0.0 && d.lock_up_usd >= 0.0);
                prop_assert!(d.cash_usd.is_finite() && d.dscr.is_finite());
            }
        }
        let out = path.finish(&terms, &market[359]);
        for o in [&out.hedged, &out.unhedged] {
            for a in ACCOUNTS {
                prop_assert!((o.ledger.net_usd(a) - o.final_accounts.balance_usd(a)).abs() < 1e-6);
            }
            let ext: f64 = EXTERNAL.iter().map(|&p| o.ledger.net_usd(p)).sum();
            prop_assert!(ext.abs() < 1e-6, "external parties net to minus Σ accounts = 0");
            prop_assert!(
                (o.ledger.between_usd(Party::Equity, Party::Dsra) - terms.initial_dsra_usd).abs()
                    < 1e-6
            );
            let cust = o.ledger.outflow_usd(Party::Customers);
            if o.defaulted {
                prop_assert!(cust <= revenue + 1e-6);
            } else {
                prop_assert!((cust - revenue).abs() < 1e-6 * revenue.max(1.0));
            }
            prop_assert!(o.lgd >= 0.0 && o.lgd <= 1.0);
            prop_assert!(o.equity_pv_usd.is_finite());
        }
        prop_assert!(out.trader_pnl_pv_usd.is_finite());
    }
}
