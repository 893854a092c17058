//! The layer coverage statement (seed 000 "How to use the model", steps 1–6): the exposure's
//! layers, the hedge's layers, what is left out, how to stress it, how much risk lives there
//! (from layer attribution, when given) and the residual basis risk in plain language.
//!
//! Owns: the comparison of exposure and hedge layers, the attribution split into covered and
//! excluded layers, and the Markdown / JSON renderings.
//! Must not: run simulations or read files; all numbers come from the record or the caller.

use serde_json::{json, Value};

use super::layers::ExposureLayer;
use super::layers::{excluded_layer_risk, exposure_layers, layer_label, stressing_presets};
use super::record::{Exposure, Severity};

/// One row of the lead's layer-attribution run: the change in each risk measure when the shocks
/// of `layer` are switched on (full run minus run without that layer).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerRisk {
    pub layer: u8,
    /// Change in hedged loan probability of default (decimal: 0.02 = two percentage points).
    pub hedged_pd_delta: f64,
    /// Change in lender expected loss, USD.
    pub el_delta_usd: f64,
    /// Change in the swap trader's expected shortfall, USD.
    pub trader_es_delta_usd: f64,
}

impl From<(u8, f64, f64, f64)> for LayerRisk {
    fn from(
        (layer, hedged_pd_delta, el_delta_usd, trader_es_delta_usd): (u8, f64, f64, f64),
    ) -> Self {
        LayerRisk {
            layer,
            hedged_pd_delta,
            el_delta_usd,
            trader_es_delta_usd,
        }
    }
}

/// Where a residual-risk sentence comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskOrigin {
    /// Written by the record's author (`residual_basis_risks`).
    Record,
    /// Generated for an exposure layer the hedge leaves out.
    ExcludedLayer,
}

/// A residual basis risk in plain language (step 6).
#[derive(Debug, Clone, PartialEq)]
pub struct ResidualRisk {
    pub origin: RiskOrigin,
    /// The excluded layers a generated sentence speaks for (layers sharing one risk, such as
    /// L8 and L9, are merged); empty for record entries.
    pub layers: Vec<u8>,
    /// `risk_type` of a record entry, `layer_LN` (`layer_L8_L9` when merged) for a generated one.
    pub risk_type: String,
    /// The record's severity; `None` for generated sentences (the model does not grade them).
    pub severity: Option<Severity>,
    pub text: String,
}

/// Attribution split between the layers the hedge covers and those it leaves out.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributionSummary {
    /// Rows of excluded layers (not in the hedge's `coverage_layers`), by layer.
    pub excluded: Vec<LayerRisk>,
    /// Rows of covered layers, by layer.
    pub covered: Vec<LayerRisk>,
    /// Sums over `excluded` and over all rows (non-finite rows are dropped, see `dropped_layers`).
    pub excluded_total: LayerRisk,
    pub all_total: LayerRisk,
    /// Share of the total EL change that sits in excluded layers, when the total is positive.
    pub excluded_el_share: Option<f64>,
    /// Layers whose row had a non-finite number and was left out of the sums.
    pub dropped_layers: Vec<u8>,
}

/// The layer coverage statement of one exposure record.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageStatement {
    pub reference_name: String,
    pub settlement_type: String,
    pub methodology_url: String,
    /// One-line description of the exposure (step 1).
    pub exposure_summary: String,
    /// Step 2: the exposure's layers with the record fields that put them there.
    pub exposure_layers: Vec<ExposureLayer>,
    /// Step 3: the hedge's `coverage_layers`, sorted, without duplicates.
    pub hedge_layers: Vec<u8>,
    /// Step 4: exposure layers the hedge covers / leaves out; hedge layers with no exposure.
    pub covered_layers: Vec<u8>,
    pub excluded_layers: Vec<u8>,
    pub hedge_only_layers: Vec<u8>,
    /// Step 5: simulator presets that stress each excluded layer (layers with no preset omitted).
    pub stress_presets: Vec<(u8, Vec<&'static str>)>,
    /// Step 5, quantified: the attribution split, when attribution was given.
    pub attribution: Option<AttributionSummary>,
    /// Step 6: the record's own residual risks, then one sentence per excluded layer.
    pub residual_risks: Vec<ResidualRisk>,
    /// Unknown properties found when the record was read.
    pub warnings: Vec<String>,
}

/// Builds the coverage statement; `attribution` rows are the lead's layer-attribution results.
pub fn coverage_statement(e: &Exposure, attribution: Option<&[LayerRisk]>) -> CoverageStatement {
    let layers = exposure_layers(e);
    let mut hedge_layers: Vec<u8> = e
        .hedge_or_index
        .coverage_layers
        .iter()
        .map(|l| l.layer())
        .collect();
    hedge_layers.sort_unstable();
    hedge_layers.dedup();

    let (covered_layers, excluded_layers): (Vec<u8>, Vec<u8>) = layers
        .iter()
        .map(|l| l.layer)
        .partition(|l| hedge_layers.contains(l));
    let hedge_only_layers: Vec<u8> = hedge_layers
        .iter()
        .copied()
        .filter(|h| !layers.iter().any(|l| l.layer == *h))
        .collect();

    let stress_presets = excluded_layers
        .iter()
        .map(|&l| (l, stressing_presets(l).to_vec()))
        .filter(|(_, p)| !p.is_empty())
        .collect();

    let mut residual_risks: Vec<ResidualRisk> = e
        .residual_basis_risks
        .iter()
        .map(|r| ResidualRisk {
            origin: RiskOrigin::Record,
            layers: Vec::new(),
            risk_type: r.risk_type.clone(),
            severity: Some(r.severity),
            text: r.note.clone(),
        })
        .collect();
    residual_risks.extend(excluded_layer_risks(&excluded_layers, e));

    let c = &e.capacity;
    let w = &e.workload;
    CoverageStatement {
        reference_name: e.hedge_or_index.reference_name.clone(),
        settlement_type: e.hedge_or_index.settlement_type.to_string(),
        methodology_url: e.hedge_or_index.methodology_url.clone(),
        exposure_summary: format!(
            "{} of {} on {} ({} GB, {}) in {}, {} tenancy, {} duration",
            w.exposure_type,
            w.model_family,
            c.accelerator_sku,
            c.memory_gb,
            c.interconnect,
            c.region,
            c.tenancy,
            c.duration
        ),
        exposure_layers: layers,
        attribution: attribution.map(|rows| summarize(rows, &hedge_layers)),
        hedge_layers,
        covered_layers,
        excluded_layers,
        hedge_only_layers,
        stress_presets,
        residual_risks,
        warnings: e.warnings.clone(),
    }
}

/// One sentence per excluded layer, merging layers whose risk reads the same.
fn excluded_layer_risks(excluded: &[u8], e: &Exposure) -> Vec<ResidualRisk> {
    let mut groups: Vec<(Vec<u8>, String)> = Vec::new();
    for &layer in excluded {
        let body = excluded_layer_risk(layer, e);
        match groups.iter_mut().find(|(_, b)| *b == body) {
            Some((layers, _)) => layers.push(layer),
            None => groups.push((vec![layer], body)),
        }
    }
    groups
        .into_iter()
        .map(|(layers, body)| {
            let names: Vec<String> = layers.iter().map(|l| format!("L{l}")).collect();
            let labels: Vec<&str> = layers.iter().map(|&l| layer_label(l)).collect();
            ResidualRisk {
                origin: RiskOrigin::ExcludedLayer,
                risk_type: format!("layer_{}", names.join("_")),
                severity: None,
                text: format!("{} ({}): {body}", names.join("/"), labels.join("; ")),
                layers,
            }
        })
        .collect()
}

fn summarize(rows: &[LayerRisk], hedge_layers: &[u8]) -> AttributionSummary {
    let zero = |layer| LayerRisk {
        layer,
        hedged_pd_delta: 0.0,
        el_delta_usd: 0.0,
        trader_es_delta_usd: 0.0,
    };
    let add = |acc: &mut LayerRisk, r: &LayerRisk| {
        acc.hedged_pd_delta += r.hedged_pd_delta;
        acc.el_delta_usd += r.el_delta_usd;
        acc.trader_es_delta_usd += r.trader_es_delta_usd;
    };
    let mut s = AttributionSummary {
        excluded: Vec::new(),
        covered: Vec::new(),
        // `layer` of a total is meaningless; 255 marks it.
        excluded_total: zero(u8::MAX),
        all_total: zero(u8::MAX),
        excluded_el_share: None,
        dropped_layers: Vec::new(),
    };
    for r in rows {
        let finite = [r.hedged_pd_delta, r.el_delta_usd, r.trader_es_delta_usd]
            .iter()
            .all(|x| x.is_finite());
        if !finite {
            s.dropped_layers.push(r.layer);
            continue;
        }
        add(&mut s.all_total, r);
        if hedge_layers.contains(&r.layer) {
            s.covered.push(*r);
        } else {
            add(&mut s.excluded_total, r);
            s.excluded.push(*r);
        }
    }
    s.excluded.sort_by_key(|r| r.layer);
    s.covered.sort_by_key(|r| r.layer);
    let total = s.all_total.el_delta_usd;
    if total > 0.0 && total.is_finite() {
        let share = s.excluded_total.el_delta_usd / total;
        s.excluded_el_share = share.is_finite().then_some(share);
    }
    s
}

fn layer_list(layers: &[u8]) -> String {
    if layers.is_empty() {
        "none".to_string()
    } else {
        layers
            .iter()
            .map(|l| format!("L{l}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn risk_json(r: &LayerRisk) -> Value {
    json!({
        "layer": r.layer,
        "hedged_pd_delta": r.hedged_pd_delta,
        "el_delta_usd": r.el_delta_usd,
        "trader_es_delta_usd": r.trader_es_delta_usd,
    })
}

fn totals_json(r: &LayerRisk) -> Value {
    json!({
        "hedged_pd_delta": r.hedged_pd_delta,
        "el_delta_usd": r.el_delta_usd,
        "trader_es_delta_usd": r.trader_es_delta_usd,
    })
}

fn risk_row(r: &LayerRisk, label: &str) -> String {
    format!(
        "| {label} | {:+.2} pp | {:+.0} | {:+.0} |\n",
        r.hedged_pd_delta * 100.0,
        r.el_delta_usd,
        r.trader_es_delta_usd
    )
}

impl CoverageStatement {
    /// The statement as Markdown, one section per step of seed 000's method.
    pub fn to_markdown(&self) -> String {
        let mut md = format!("# Layer coverage statement: {}\n\n", self.reference_name);
        md.push_str(&format!(
            "Hedge reference: **{}** ({} settlement, methodology {}).\n\n",
            self.reference_name, self.settlement_type, self.methodology_url
        ));
        md.push_str(&format!("## 1. Exposure\n\n{}.\n\n", self.exposure_summary));

        md.push_str("## 2. Exposure layers\n\n| layer | meaning | record fields | hedge |\n|---|---|---|---|\n");
        for l in &self.exposure_layers {
            let hedged = if self.covered_layers.contains(&l.layer) {
                "covered"
            } else {
                "**excluded**"
            };
            md.push_str(&format!(
                "| L{} | {} | {} | {hedged} |\n",
                l.layer,
                layer_label(l.layer),
                l.sources.join("; ")
            ));
        }

        md.push_str(&format!(
            "\n## 3. Hedge layers\n\n`coverage_layers`: {}.\n\n",
            layer_list(&self.hedge_layers)
        ));
        md.push_str(&format!(
            "## 4. Included and excluded\n\n- Covered exposure layers: {}.\n- Excluded exposure layers: {}.\n",
            layer_list(&self.covered_layers),
            layer_list(&self.excluded_layers)
        ));
        if !self.hedge_only_layers.is_empty() {
            md.push_str(&format!(
                "- Hedge layers with no matching exposure (the hedge pays on risks the exposure does not have): {}.\n",
                layer_list(&self.hedge_only_layers)
            ));
        }

        md.push_str("\n## 5. Stress the excluded layers\n\n");
        if self.stress_presets.is_empty() {
            md.push_str("No simulator preset enters at the excluded layers.\n");
        }
        for (layer, presets) in &self.stress_presets {
            let names: Vec<String> = presets.iter().map(|p| format!("`{p}`")).collect();
            md.push_str(&format!(
                "- L{layer} ({}): {}\n",
                layer_label(*layer),
                names.join(", ")
            ));
        }
        match &self.attribution {
            None => md.push_str(
                "\nNo layer attribution given: run the scenario with layer attribution to size the risk in the excluded layers.\n",
            ),
            Some(a) => {
                md.push_str("\nLayer attribution (change when the layer's shocks are switched on):\n\n");
                md.push_str("| layer | hedged PD | EL (USD) | trader ES (USD) |\n|---|---|---|---|\n");
                for r in &a.excluded {
                    md.push_str(&risk_row(r, &format!("L{} (excluded)", r.layer)));
                }
                for r in &a.covered {
                    md.push_str(&risk_row(r, &format!("L{} (covered)", r.layer)));
                }
                md.push_str(&risk_row(&a.excluded_total, "**excluded layers**"));
                md.push_str(&risk_row(&a.all_total, "**all layers**"));
                if let Some(share) = a.excluded_el_share {
                    md.push_str(&format!(
                        "\n{:.0} % of the expected-loss change from layer shocks lives in layers the hedge leaves out.\n",
                        share * 100.0
                    ));
                }
                if !a.dropped_layers.is_empty() {
                    md.push_str(&format!(
                        "\nRows with non-finite numbers were left out: {}.\n",
                        layer_list(&a.dropped_layers)
                    ));
                }
            }
        }

        md.push_str("\n## 6. Residual basis risk\n\n");
        for r in &self.residual_risks {
            match (r.origin, r.severity) {
                (RiskOrigin::Record, Some(sev)) => md.push_str(&format!(
                    "- {} ({sev}, from the record): {}\n",
                    r.risk_type, r.text
                )),
                _ => md.push_str(&format!("- {}\n", r.text)),
            }
        }
        if !self.warnings.is_empty() {
            md.push_str("\n## Warnings\n\n");
            for w in &self.warnings {
                md.push_str(&format!("- {w}\n"));
            }
        }
        md
    }

    /// The statement as JSON (same content as the Markdown; numbers are finite by construction).
    pub fn to_json(&self) -> Value {
        json!({
            "reference_name": self.reference_name,
            "settlement_type": self.settlement_type,
            "methodology_url": self.methodology_url,
            "exposure_summary": self.exposure_summary,
            "exposure_layers": self.exposure_layers.iter().map(|l| json!({
                "layer": l.layer,
                "label": layer_label(l.layer),
                "sources": l.sources,
                "covered": self.covered_layers.contains(&l.layer),
            })).collect::<Vec<_>>(),
            "hedge_layers": self.hedge_layers,
            "covered_layers": self.covered_layers,
            "excluded_layers": self.excluded_layers,
            "hedge_only_layers": self.hedge_only_layers,
            "stress_presets": self.stress_presets.iter().map(|(l, p)| json!({
                "layer": l, "presets": p,
            })).collect::<Vec<_>>(),
            "attribution": self.attribution.as_ref().map(|a| json!({
                "excluded": a.excluded.iter().map(risk_json).collect::<Vec<_>>(),
                "covered": a.covered.iter().map(risk_json).collect::<Vec<_>>(),
                "excluded_total": totals_json(&a.excluded_total),
                "all_total": totals_json(&a.all_total),
                "excluded_el_share": a.excluded_el_share,
                "dropped_layers": a.dropped_layers,
            })),
            "residual_risks": self.residual_risks.iter().map(|r| json!({
                "origin": match r.origin { RiskOrigin::Record => "record", RiskOrigin::ExcludedLayer => "excluded_layer" },
                "layers": r.layers,
                "risk_type": r.risk_type,
                "severity": r.severity.map(|s| s.as_str()),
                "text": r.text,
            })).collect::<Vec<_>>(),
            "warnings": self.warnings,
        })
    }
}
