//! Exposure records (SPEC §5, seed 000 "Layered Exposure Record Schema" and "How to use the
//! model"): read and validate a `LayeredComputeExposure` record, then write its layer coverage
//! statement.
//!
//! Owns: file reading and format detection (YAML or JSON), the error types, and the public entry
//! points [`load_exposure`], [`parse_exposure`] and [`coverage_statement`].
//! Must not: run simulations (layer attribution comes in as [`LayerRisk`] rows from the caller) or
//! touch scenario files.
//!
//! Validation walks a `serde_json::Value` (YAML is read into the same type) against the seed's
//! schema and reports **every** violation with its JSON path; unknown properties are warnings.

mod coverage;
mod layers;
mod record;
mod schema;

use std::path::{Path, PathBuf};

use serde_json::Value;

pub use coverage::{
    coverage_statement, AttributionSummary, CoverageStatement, LayerRisk, ResidualRisk, RiskOrigin,
};
pub use layers::{
    excluded_layer_risk, exposure_layers, layer_label, stressing_presets, ExposureLayer,
};
pub use record::{
    Capacity, CoverageLayer, Duration, Exposure, ExposureType, HedgeOrIndex, LatencyRequirement,
    LayerConstraints, MemoryConstraint, Policy, PowerConstraint, Precision, ResidualBasisRisk,
    Runtime, SequenceProfile, SettlementType, Severity, Tenancy, Workload,
};
pub use schema::json_schema;

/// One schema violation: where (JSON path, `(root)` for the document itself) and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ExposureError {
    /// Dotted JSON path with `[i]` array indices, e.g. `residual_basis_risks[1].severity`.
    pub path: String,
    pub message: String,
}

impl ExposureError {
    pub(crate) fn at(path: &str, message: String) -> Self {
        let path = if path.is_empty() {
            "(root)".to_string()
        } else {
            path.to_string()
        };
        ExposureError { path, message }
    }
}

/// Why a record could not be loaded. `Invalid` carries every violation found, not just the first.
#[derive(Debug, thiserror::Error)]
pub enum ExposureErrors {
    #[error("cannot read exposure record {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{source_name}: not valid {format}: {message}")]
    Parse {
        source_name: String,
        format: Format,
        message: String,
    },
    #[error("{source_name}: {} schema violation(s):\n{}", errors.len(), list(errors))]
    Invalid {
        source_name: String,
        errors: Vec<ExposureError>,
        warnings: Vec<String>,
    },
}

impl ExposureErrors {
    /// The schema violations (empty for read and parse errors).
    pub fn violations(&self) -> &[ExposureError] {
        match self {
            ExposureErrors::Invalid { errors, .. } => errors,
            _ => &[],
        }
    }
}

fn list(errors: &[ExposureError]) -> String {
    errors
        .iter()
        .map(|e| format!("  {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Text format of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::Json => "JSON",
            Format::Yaml => "YAML",
        })
    }
}

impl Format {
    /// By extension (`.json`, `.yaml`, `.yml`, any case); otherwise sniffed: text whose first
    /// non-blank character is `{` is JSON, anything else YAML.
    pub fn detect(path: &Path, text: &str) -> Format {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("json") => Format::Json,
            Some("yaml" | "yml") => Format::Yaml,
            _ if text.trim_start().starts_with('{') => Format::Json,
            _ => Format::Yaml,
        }
    }
}

/// Reads, validates and types a record from a YAML or JSON file.
pub fn load_exposure(path: &Path) -> Result<Exposure, ExposureErrors> {
    let text = std::fs::read_to_string(path).map_err(|source| ExposureErrors::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_exposure(
        &text,
        Format::detect(path, &text),
        &path.display().to_string(),
    )
}

/// Validates and types a record given as text; `source_name` labels errors.
pub fn parse_exposure(
    text: &str,
    format: Format,
    source_name: &str,
) -> Result<Exposure, ExposureErrors> {
    let parsed = match format {
        Format::Json => serde_json::from_str::<Value>(text).map_err(|e| e.to_string()),
        Format::Yaml => serde_norway::from_str::<Value>(text).map_err(|e| e.to_string()),
    };
    let value = parsed.map_err(|message| ExposureErrors::Parse {
        source_name: source_name.to_string(),
        format,
        message,
    })?;
    exposure_from_value(value, source_name)
}

/// Validates and types a record already read into a JSON value.
pub fn exposure_from_value(
    mut value: Value,
    source_name: &str,
) -> Result<Exposure, ExposureErrors> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    schema::validate(
        &schema::LAYERED_COMPUTE_EXPOSURE,
        &mut value,
        "",
        &mut errors,
        &mut warnings,
    );
    if !errors.is_empty() {
        return Err(ExposureErrors::Invalid {
            source_name: source_name.to_string(),
            errors,
            warnings,
        });
    }
    // The walker checked every field the typed record reads, so this only fails if the two
    // disagree; report it as a violation rather than panicking.
    let mut exposure: Exposure =
        serde_json::from_value(value).map_err(|e| ExposureErrors::Invalid {
            source_name: source_name.to_string(),
            errors: vec![ExposureError::at(
                "",
                format!("cannot build the record: {e}"),
            )],
            warnings: warnings.clone(),
        })?;
    exposure.warnings = warnings;
    Ok(exposure)
}
