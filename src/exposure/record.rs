//! The typed `LayeredComputeExposure` record of seed 000 ("Layered Exposure Record Schema").
//!
//! Owns the Rust shape of a record and the allowed strings of every enum (the schema walker in
//! `schema.rs` takes its enum lists from here, so the two cannot drift apart).
//! Must not: validate (a record reaches these types only after `schema::validate` passed) or read
//! files.

use serde::Deserialize;

/// Declares a string enum of the schema: variants, their exact spellings, `ALL` and `as_str`.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every allowed spelling, in the schema's order.
            pub const ALL: &'static [&'static str] = &[$($text),+];

            /// The spelling used in records.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// `workload.exposure_type`.
    ExposureType {
        Training = "training",
        Inference = "inference",
        Evaluation = "evaluation",
        Batch = "batch",
        Edge = "edge",
        Sovereign = "sovereign",
    }
);
string_enum!(
    /// `capacity.tenancy`.
    Tenancy { Shared = "shared", Dedicated = "dedicated", OnPrem = "on_prem", Sovereign = "sovereign" }
);
string_enum!(
    /// `capacity.duration`.
    Duration { Spot = "spot", Monthly = "monthly", Reserved = "reserved", MultiYear = "multi_year" }
);
string_enum!(
    /// `layer_constraints.l0_power`.
    PowerConstraint { Grid = "grid", Colocated = "colocated", Bridge = "bridge", Flexible = "flexible" }
);
string_enum!(
    /// `layer_constraints.l1_memory`.
    MemoryConstraint { Hbm = "hbm", Dram = "dram", KvCache = "kv_cache", Storage = "storage" }
);
string_enum!(
    /// `layer_constraints.l2_runtime`.
    Runtime { Cuda = "cuda", Rocm = "rocm", Custom = "custom" }
);
string_enum!(
    /// `layer_constraints.l4_precision`.
    Precision { Fp16 = "fp16", Fp8 = "fp8", Fp4 = "fp4", Int4 = "int4", Mixed = "mixed" }
);
string_enum!(
    /// `layer_constraints.l15_policy`.
    Policy {
        PublicCloud = "public_cloud",
        Regulated = "regulated",
        Disconnected = "disconnected",
        Classified = "classified",
    }
);
string_enum!(
    /// `hedge_or_index.settlement_type`.
    SettlementType {
        Financial = "financial",
        Physical = "physical",
        Parametric = "parametric",
        Hybrid = "hybrid",
    }
);
string_enum!(
    /// Items of `hedge_or_index.coverage_layers`: the only layers the seed lets a hedge cover.
    CoverageLayer { L0 = "L0", L1 = "L1", L2 = "L2", L3 = "L3", L4 = "L4", L15 = "L15" }
);
string_enum!(
    /// `residual_basis_risks[].severity`.
    Severity { Low = "low", Medium = "medium", High = "high" }
);

impl CoverageLayer {
    /// The AILIS layer number (L15 → 15).
    pub fn layer(self) -> u8 {
        match self {
            CoverageLayer::L0 => 0,
            CoverageLayer::L1 => 1,
            CoverageLayer::L2 => 2,
            CoverageLayer::L3 => 3,
            CoverageLayer::L4 => 4,
            CoverageLayer::L15 => 15,
        }
    }
}

/// A validated `LayeredComputeExposure` record.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Exposure {
    pub workload: Workload,
    pub capacity: Capacity,
    pub layer_constraints: LayerConstraints,
    pub hedge_or_index: HedgeOrIndex,
    pub residual_basis_risks: Vec<ResidualBasisRisk>,
    /// Properties the schema does not define (allowed, reported, ignored).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// What the compute is used for.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Workload {
    pub exposure_type: ExposureType,
    pub model_family: String,
    pub sequence_profile: SequenceProfile,
    pub latency_requirement: LatencyRequirement,
}

/// Token counts of a typical request (all optional in the schema).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct SequenceProfile {
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    /// Context window in tokens.
    pub context_window: Option<i64>,
}

/// Latency targets in milliseconds (all optional in the schema).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct LatencyRequirement {
    pub p50_ms: Option<i64>,
    pub p95_ms: Option<i64>,
    pub p99_ms: Option<i64>,
}

/// The capacity actually held or needed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Capacity {
    pub accelerator_sku: String,
    /// Accelerator memory in GB.
    pub memory_gb: f64,
    pub interconnect: String,
    pub region: String,
    pub tenancy: Tenancy,
    pub duration: Duration,
}

/// Binding constraints per layer (all optional in the schema).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct LayerConstraints {
    pub l0_power: Option<PowerConstraint>,
    pub l1_memory: Option<MemoryConstraint>,
    pub l2_runtime: Option<Runtime>,
    /// Serving engine (free text in the schema, e.g. "vLLM").
    pub l3_engine: Option<String>,
    pub l4_precision: Option<Precision>,
    pub l15_policy: Option<Policy>,
}

/// The hedge or index the exposure is measured against.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HedgeOrIndex {
    pub reference_name: String,
    pub settlement_type: SettlementType,
    pub methodology_url: String,
    pub coverage_layers: Vec<CoverageLayer>,
}

/// A residual basis risk written by the record's author.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ResidualBasisRisk {
    pub risk_type: String,
    pub severity: Severity,
    pub note: String,
}
