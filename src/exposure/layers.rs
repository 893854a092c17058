//! Step 2 of seed 000's "How to use the model": map an exposure record to AILIS layers.
//!
//! Owns: the short label of each layer as the seed uses it, the field → layer mapping (table in
//! `docs/shocks.md`), the simulator presets that stress each layer, and the generated residual
//! basis-risk sentence of an excluded layer.
//! Must not: decide coverage (that is `coverage.rs`) or read files.
//!
//! The seed names layers only through its anchors (QACU table, shock matrix, arbitrage table);
//! the labels below paraphrase those anchors and are not an official AILIS definition.

use super::record::{Exposure, ExposureType, Policy, SettlementType, Tenancy};

/// Short label of an AILIS layer, from the seed's anchors.
pub fn layer_label(layer: u8) -> &'static str {
    match layer {
        0 => "power and grid",
        1 => "accelerator, memory and topology",
        2 => "runtime and software readiness",
        3 => "serving engine",
        4 => "numeric precision and quantization",
        5..=7 => "model layers (no anchor in seed 000)",
        8 => "context length and memory pressure",
        9 => "KV cache, data gravity and locality",
        10 => "scheduling and batch shape",
        11 => "measurement, benchmark and index methodology",
        12 => "orchestration",
        13 => "availability, delivery and interruptibility",
        14 => "latency and data movement",
        15 => "policy, tenancy and sovereignty",
        16 => "workload economics",
        _ => "unknown layer",
    }
}

/// One layer of the exposure and the record fields that put it there.
#[derive(Debug, Clone, PartialEq)]
pub struct ExposureLayer {
    pub layer: u8,
    /// `field = value` for each record field mapped to this layer, in record order.
    pub sources: Vec<String>,
}

/// The exposure's layers (step 2), sorted by layer, each with its sources.
///
/// Mapping (seed anchors in brackets):
/// - `capacity.accelerator_sku`, `memory_gb`, `interconnect` → L1 [raw GPU-hours L1; "L1
///   memory/topology"];
/// - `capacity.region` → L0, L13, L14 [locality L0, L13–L15: deliverable powered racks, latency];
/// - `capacity.tenancy` → L13 and, unless `shared`, L15 [availability L13; policy L15 "tenancy"];
/// - `capacity.duration` → L13 [delivery confidence, interruptibility];
/// - `workload.exposure_type` → L16 [workload economics]; `inference`, `evaluation`, `batch`
///   and `edge` also L3 [serving gains]; `sovereign` also L15;
/// - `workload.sequence_profile.context_window` → L8, L9 [larger context windows L8–L9];
///   `input_tokens` / `output_tokens` → L10 [prefill/decode split];
/// - `workload.latency_requirement` → L13, L14 [latency in locality];
/// - `layer_constraints.l0_power` → L0, `l1_memory` → L1 (`kv_cache` also L8–L9),
///   `l2_runtime` → L2, `l3_engine` → L3, `l4_precision` → L4, `l15_policy` → L15;
/// - `hedge_or_index.settlement_type` other than `physical` → L11 [settlement on a published
///   reference: benchmark methodology L11/L15].
pub fn exposure_layers(e: &Exposure) -> Vec<ExposureLayer> {
    let mut out: Vec<ExposureLayer> = Vec::new();
    let mut add = |layers: &[u8], source: String| {
        for &layer in layers {
            match out.iter_mut().find(|l| l.layer == layer) {
                Some(l) => l.sources.push(source.clone()),
                None => out.push(ExposureLayer {
                    layer,
                    sources: vec![source.clone()],
                }),
            }
        }
    };

    let w = &e.workload;
    let mut type_layers = vec![16];
    match w.exposure_type {
        ExposureType::Inference
        | ExposureType::Evaluation
        | ExposureType::Batch
        | ExposureType::Edge => type_layers.push(3),
        ExposureType::Sovereign => type_layers.push(15),
        ExposureType::Training => {}
    }
    add(
        &type_layers,
        format!("workload.exposure_type = {}", w.exposure_type),
    );
    let sp = &w.sequence_profile;
    if let Some(v) = sp.context_window {
        add(
            &[8, 9],
            format!("workload.sequence_profile.context_window = {v}"),
        );
    }
    if let Some(v) = sp.input_tokens {
        add(
            &[10],
            format!("workload.sequence_profile.input_tokens = {v}"),
        );
    }
    if let Some(v) = sp.output_tokens {
        add(
            &[10],
            format!("workload.sequence_profile.output_tokens = {v}"),
        );
    }
    let lat = &w.latency_requirement;
    for (name, v) in [
        ("p50_ms", lat.p50_ms),
        ("p95_ms", lat.p95_ms),
        ("p99_ms", lat.p99_ms),
    ] {
        if let Some(v) = v {
            add(
                &[13, 14],
                format!("workload.latency_requirement.{name} = {v}"),
            );
        }
    }

    let c = &e.capacity;
    add(
        &[1],
        format!("capacity.accelerator_sku = {}", c.accelerator_sku),
    );
    add(&[1], format!("capacity.memory_gb = {}", c.memory_gb));
    add(&[1], format!("capacity.interconnect = {}", c.interconnect));
    add(&[0, 13, 14], format!("capacity.region = {}", c.region));
    let tenancy_layers: &[u8] = if c.tenancy == Tenancy::Shared {
        &[13]
    } else {
        &[13, 15]
    };
    add(tenancy_layers, format!("capacity.tenancy = {}", c.tenancy));
    add(&[13], format!("capacity.duration = {}", c.duration));

    let lc = &e.layer_constraints;
    if let Some(v) = lc.l0_power {
        add(&[0], format!("layer_constraints.l0_power = {v}"));
    }
    if let Some(v) = lc.l1_memory {
        let layers: &[u8] = if v.as_str() == "kv_cache" {
            &[1, 8, 9]
        } else {
            &[1]
        };
        add(layers, format!("layer_constraints.l1_memory = {v}"));
    }
    if let Some(v) = lc.l2_runtime {
        add(&[2], format!("layer_constraints.l2_runtime = {v}"));
    }
    if let Some(v) = &lc.l3_engine {
        add(&[3], format!("layer_constraints.l3_engine = {v}"));
    }
    if let Some(v) = lc.l4_precision {
        add(&[4], format!("layer_constraints.l4_precision = {v}"));
    }
    if let Some(v) = lc.l15_policy {
        add(&[15], format!("layer_constraints.l15_policy = {v}"));
    }

    let h = &e.hedge_or_index;
    if h.settlement_type != SettlementType::Physical {
        add(
            &[11],
            format!("hedge_or_index.settlement_type = {}", h.settlement_type),
        );
    }

    out.sort_by_key(|l| l.layer);
    out
}

/// Simulator presets (SPEC §5) that stress a layer, for step 5 ("stress the excluded
/// attributes"); empty when no preset enters at that layer.
pub fn stressing_presets(layer: u8) -> &'static [&'static str] {
    match layer {
        0 => &["grid_delay", "curtailment"],
        1 => &["hbm_shortage", "new_generation"],
        3 | 4 => &["efficiency_gain"],
        8 | 9 => &["context_growth"],
        11 => &["methodology_change"],
        15 => &["sovereign", "methodology_change"],
        _ => &[],
    }
}

/// Plain-language residual basis risk of a layer the exposure has and the hedge leaves out
/// (step 6), using the record's own values; without the layer prefix. Layers that share one
/// risk (L8/L9, L10/L12, L13/L14) return the same text, so callers can merge them.
pub fn excluded_layer_risk(layer: u8, e: &Exposure) -> String {
    let c = &e.capacity;
    let reference = &e.hedge_or_index.reference_name;
    let lc = &e.layer_constraints;
    let body = match layer {
        0 => format!(
            "the cluster in {} depends on {} power; {reference} does not price grid \
             interconnection delays, curtailment or the power bill, so those move the exposure's \
             cost and delivered capacity without moving the settlement",
            c.region,
            lc.l0_power.map_or("its site's", |p| p.as_str()),
        ),
        1 => format!(
            "the exposure is {} with {} GB of memory on {}; an HBM allocation change or a new \
             generation reprices this hardware apart from the generic GPU-hour curve in {reference}",
            c.accelerator_sku, c.memory_gb, c.interconnect
        ),
        2 => format!(
            "the workload needs the {} runtime; capacity that is shipped but not yet usable on it \
             is not in {reference}",
            lc.l2_runtime.map_or("its", |r| r.as_str())
        ),
        3 => format!(
            "serving-engine gains ({}) raise effective supply on installed hardware; {reference} \
             counts GPU-hours, not served tokens, so an efficiency shock can lower the rental \
             price the exposure earns or pays while the hedge reads a different market",
            lc.l3_engine.as_deref().unwrap_or("vLLM/TensorRT-style")
        ),
        4 => format!(
            "a quantization shift ({}) moves some workloads to cheaper devices and can expand \
             demand for others; the hedge does not see the split",
            lc.l4_precision.map_or("precision change", |p| p.as_str())
        ),
        8 | 9 => format!(
            "a context window of {} tokens makes KV-cache and memory pressure, not raw FLOPs, \
             the binding constraint; memory-rich capacity can reprice above {reference}",
            e.workload
                .sequence_profile
                .context_window
                .map_or_else(|| "this size".to_string(), |v| v.to_string())
        ),
        10 | 12 => "batch shape, prefill/decode split and orchestration decide how many sold \
                    GPU-hours become useful work; the hedge settles on raw hours"
            .to_string(),
        11 => format!(
            "{reference} settles on a published reference ({}); a methodology change moves \
             settlement value with no physical change",
            e.hedge_or_index.methodology_url
        ),
        13 | 14 => format!(
            "delivery, interruptibility and latency in {} ({} tenancy, {} duration) are part of \
             what the exposure buys; an index of interchangeable GPU-hours leaves that locality \
             premium or discount unhedged",
            c.region, c.tenancy, c.duration
        ),
        15 if c.tenancy == Tenancy::Shared
            && matches!(lc.l15_policy, None | Some(Policy::PublicCloud)) =>
        {
            format!(
                "the exposure runs on shared public-cloud capacity today; if its workloads come \
                 under a regulated, disconnected or sovereign requirement, this capacity stops \
                 substituting for what they need and {reference} does not follow"
            )
        }
        15 => format!(
            "{} tenancy{} makes the demand non-substitutable; a global cloud price applied to \
             a local obligation leaves the operator basis open",
            c.tenancy,
            lc.l15_policy.map_or(String::new(), |p| format!(" under a {p} policy"))
        ),
        16 => format!(
            "the economics of {} {} workloads (what a unit of output is worth) are not in the \
             hedge",
            e.workload.model_family, e.workload.exposure_type
        ),
        _ => "this layer has no hedge reference".to_string(),
    };
    format!("{body}.")
}
