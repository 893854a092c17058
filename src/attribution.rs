//! Layer attribution (SPEC §5, seed 000): how much of the risk each AILIS layer's shocks carry.
//!
//! For every layer with at least one shock, the scenario is rerun on common random numbers (same
//! seed, same paths, every other shock's draws untouched: each shock owns its stream) with that
//! layer's shocks switched off. The contribution of the layer is the paired per-path difference
//! `with − without`; its standard error is the standard error of the paired mean, which is what
//! makes small contributions measurable. Expected-shortfall differences are not paired means;
//! their standard error is the conservative `sqrt(se_with² + se_without²)`.
//! Must not: change the engine or the contracts; it only chooses which shocks are enabled.

use crate::engine::run::{resolve_fixed_price, simulate_paired};
use crate::engine::{EngineError, Observer, RunContext, RunSettings};
use crate::metrics::summary::num;
use crate::metrics::Table;
use crate::scenario::Scenario;
use serde_json::{json, Map, Value};

/// The layers (L-numbers) that carry at least one shock, ascending.
pub fn shocked_layers(s: &Scenario) -> Vec<u8> {
    let mut l: Vec<u8> = s.shocks.iter().map(|x| x.layer.0).collect();
    l.sort_unstable();
    l.dedup();
    l
}

/// The `attribution` object of `summary.json`: one entry per shocked layer plus `all_layers`
/// (every shock off), each with the paired contribution to hedged and unhedged PD and EL and to
/// the trader's P&L and ES 97.5, with standard errors. The fixed price is held at the full
/// scenario's price, so a contribution is the layer's effect on the same contract.
pub fn attribute_layers(
    s: &Scenario,
    settings: &RunSettings,
    obs: &dyn Observer,
) -> Result<Value, EngineError> {
    let (fixed, _) = resolve_fixed_price(s, settings, obs)?;
    let n = s.shocks.len();
    let full = RunContext::new(s, settings.seed, fixed, vec![true; n])?;
    let mut layers = Map::new();
    let mut cases: Vec<(String, Vec<bool>, Vec<String>)> = shocked_layers(s)
        .into_iter()
        .map(|l| {
            let mask = s.shocks.iter().map(|x| x.layer.0 != l).collect();
            let names = s
                .shocks
                .iter()
                .filter(|x| x.layer.0 == l)
                .map(|x| x.name.clone())
                .collect();
            (format!("L{l}"), mask, names)
        })
        .collect();
    cases.push((
        "all_layers".into(),
        vec![false; n],
        s.shocks.iter().map(|x| x.name.clone()).collect(),
    ));
    for (key, mask, names) in cases {
        let off = RunContext::new(s, settings.seed, fixed, mask)?;
        let d = simulate_paired(&full, &off, settings, obs, &format!("attr {key}"))?;
        let loss_a = d.trader_pnl_a.negated();
        let loss_b = d.trader_pnl_b.negated();
        let es_a = loss_a.tail_mean_above(0.975);
        let es_b = loss_b.tail_mean_above(0.975);
        let es_se = (loss_a.es_se_above(0.975).powi(2) + loss_b.es_se_above(0.975).powi(2)).sqrt();
        // The IM is sized once per run (stress: a deterministic function of the swap; var: a
        // pilot quantile), so its difference has no path-level standard error.
        let im = |c: &RunContext| c.margin.as_ref().map_or(0.0, |m| m.im_usd);
        let im_delta = im(&full) - im(&off);
        layers.insert(
            key,
            json!({
                "shocks": names,
                "hedged_pd_delta": num(d.hedged_default.mean()),
                "hedged_pd_delta_se": num(d.hedged_default.se()),
                "unhedged_pd_delta": num(d.unhedged_default.mean()),
                "unhedged_pd_delta_se": num(d.unhedged_default.se()),
                "hedged_el_delta_usd": num(d.hedged_loss_usd.mean()),
                "hedged_el_delta_usd_se": num(d.hedged_loss_usd.se()),
                "unhedged_el_delta_usd": num(d.unhedged_loss_usd.mean()),
                "unhedged_el_delta_usd_se": num(d.unhedged_loss_usd.se()),
                "trader_pnl_delta_usd": num(d.trader_pnl_pv_usd.mean()),
                "trader_pnl_delta_usd_se": num(d.trader_pnl_pv_usd.se()),
                "trader_es_delta_usd": num(es_a - es_b),
                "trader_es_delta_usd_se": num(es_se),
                "im_delta_usd": num(im_delta),
            }),
        );
    }
    Ok(json!({
        "method": "paired rerun on common random numbers with the layer's shocks switched off; delta = with - without",
        "fixed_price": num(fixed),
        "layers": Value::Object(layers),
    }))
}

/// Columns of the `attribution` table, in order, with their summary keys.
const COLUMNS: [&str; 13] = [
    "hedged_pd_delta",
    "hedged_pd_delta_se",
    "unhedged_pd_delta",
    "unhedged_pd_delta_se",
    "hedged_el_delta_usd",
    "hedged_el_delta_usd_se",
    "unhedged_el_delta_usd",
    "unhedged_el_delta_usd_se",
    "trader_pnl_delta_usd",
    "trader_pnl_delta_usd_se",
    "trader_es_delta_usd",
    "trader_es_delta_usd_se",
    "im_delta_usd",
];

/// The `attribution` table (one row per shocked layer; `layer` = L-number, −1 = all layers)
/// from a summary that has an `attribution` object.
pub fn attribution_table(summary: &Value) -> Option<Table> {
    let layers = summary.pointer("/attribution/layers")?.as_object()?;
    let mut rows: Vec<(f64, &Value)> = layers
        .iter()
        .map(|(k, v)| {
            let l = k
                .strip_prefix('L')
                .and_then(|n| n.parse::<f64>().ok())
                .unwrap_or(-1.0);
            (l, v)
        })
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut t = Table::new("attribution").with("layer", rows.iter().map(|r| r.0).collect());
    for c in COLUMNS {
        t.push(
            c,
            rows.iter()
                .map(|r| r.1.get(c).and_then(Value::as_f64).unwrap_or(0.0))
                .collect(),
        );
    }
    Some(t)
}
