//! Monotonicity on the same market sequences: when the reference price stays below the fixed
//! price, a higher strike utilization and a higher fixed price both raise every settlement to the
//! SPV, so they cannot add hedged defaults (path by path, nor bring one forward), and a higher
//! fixed price lowers the trader's PnL.

use tenancy::contract::testing::small_scenario;
use tenancy::contract::{ContractTerms, DayMarket, PathContracts, PathOutcome};
use tenancy::scenario::{Covenant, CovenantAction, Scenario};

/// Downside stress paths: price starts at $3.80 and slumps to `slump` on `day`, utilization
/// dips to `u_low` for 90 days after the slump, a 20-day curtailment somewhere.
fn stress_paths() -> Vec<Vec<DayMarket>> {
    let mut paths = Vec::new();
    for &slump in &[3.5, 2.5, 1.5, 0.8] {
        for &day in &[20u32, 100, 200] {
            for &u_low in &[0.2, 0.45, 0.7] {
                let path = (0..360)
                    .map(|d| {
                        let stressed = d >= day;
                        let u = if stressed && d < day + 90 {
                            u_low
                        } else {
                            0.75
                        };
                        DayMarket {
                            day: d,
                            index_price: if stressed { slump } else { 3.8 },
                            operator_price: if stressed { slump * 1.05 } else { 3.9 },
                            utilization: u,
                            capacity_factor: if (day + 30..day + 50).contains(&d) {
                                0.3
                            } else {
                                1.0
                            },
                            power_usd_per_kwh: 0.1,
                            opex_multiplier: 1.0,
                            collateral_multiplier: 1.0,
                            price_to_curve_ratio: 1.0,
                        }
                    })
                    .collect();
                paths.push(path);
            }
        }
    }
    paths
}

fn scenario(strike: f64) -> Scenario {
    let mut s = small_scenario();
    s.swap.strike_utilization = strike;
    s.loan.dscr_covenant = Some(Covenant {
        threshold: 1.05,
        window: 2,
        action: CovenantAction::EventOfDefault,
    });
    s
}

fn run(s: &Scenario, p_fix: f64, market: &[DayMarket]) -> PathOutcome {
    let terms = ContractTerms::new(s, market, p_fix).expect("terms");
    let mut path = PathContracts::new(&terms);
    for m in market {
        path.step(&terms, m);
    }
    path.finish(&terms, &market[market.len() - 1])
}

/// Default day, with "never" as after the horizon.
fn default_time(o: &PathOutcome) -> u32 {
    o.hedged.default_day.unwrap_or(u32::MAX)
}

#[test]
fn higher_strike_does_not_raise_hedged_defaults() {
    let paths = stress_paths();
    let strikes = [0.2, 0.4, 0.6, 0.8, 1.0];
    let mut counts = Vec::new();
    for market in &paths {
        let outs: Vec<PathOutcome> = strikes
            .iter()
            .map(|&k| run(&scenario(k), 4.0, market))
            .collect();
        for w in outs.windows(2) {
            assert!(
                default_time(&w[1]) >= default_time(&w[0]),
                "higher strike brought a default forward"
            );
        }
        counts.push(
            outs.iter()
                .map(|o| u32::from(o.hedged.defaulted))
                .collect::<Vec<_>>(),
        );
    }
    let per_strike: Vec<u32> = (0..strikes.len())
        .map(|i| counts.iter().map(|c| c[i]).sum())
        .collect();
    assert!(
        per_strike.windows(2).all(|w| w[1] <= w[0]),
        "{per_strike:?}"
    );
    assert!(
        per_strike[0] > per_strike[strikes.len() - 1],
        "test must bite: {per_strike:?}"
    );
}

#[test]
fn higher_fixed_price_does_not_raise_defaults_and_lowers_trader_pnl() {
    let paths = stress_paths();
    let prices = [3.8, 4.2, 4.6, 5.0, 6.0];
    let mut per_price = vec![0u32; prices.len()];
    for market in &paths {
        let outs: Vec<PathOutcome> = prices
            .iter()
            .map(|&p| run(&scenario(0.6), p, market))
            .collect();
        for w in outs.windows(2) {
            assert!(default_time(&w[1]) >= default_time(&w[0]));
            assert!(
                w[1].trader_pnl_pv_usd < w[0].trader_pnl_pv_usd,
                "{} !< {}",
                w[1].trader_pnl_pv_usd,
                w[0].trader_pnl_pv_usd
            );
        }
        for (i, o) in outs.iter().enumerate() {
            per_price[i] += u32::from(o.hedged.defaulted);
            // The unhedged loan does not see the swap at all.
            assert_eq!(o.unhedged, outs[0].unhedged);
        }
    }
    assert!(per_price.windows(2).all(|w| w[1] <= w[0]), "{per_price:?}");
    assert!(
        per_price[0] > per_price[prices.len() - 1],
        "test must bite: {per_price:?}"
    );
}
