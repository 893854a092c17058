//! The `LayeredComputeExposure` JSON-Schema of seed 000 as a static tree, and a walker that
//! checks a `serde_json::Value` against it, reporting every violation with its JSON path.
//!
//! Owns: which fields are required, their types (integer vs number), the enum lists (taken from
//! `record.rs`), and the wording of violations. Unknown properties are warnings: the seed's
//! schema does not set `additionalProperties: false`.
//! Must not: read files or build typed records.

use serde_json::{Map, Value};

use super::record::{
    CoverageLayer, Duration, ExposureType, MemoryConstraint, Policy, PowerConstraint, Precision,
    Runtime, SettlementType, Severity, Tenancy,
};
use super::ExposureError;

/// A node of the schema tree.
#[derive(Debug)]
pub(crate) enum Node {
    Object {
        required: &'static [&'static str],
        properties: &'static [(&'static str, Node)],
    },
    String,
    Enum(&'static [&'static str]),
    /// JSON-Schema `integer`: a number with no fractional part (2.0 counts, as in JSON Schema).
    Integer,
    Number,
    Array(&'static Node),
}

const SEQUENCE_PROFILE: Node = Node::Object {
    required: &[],
    properties: &[
        ("input_tokens", Node::Integer),
        ("output_tokens", Node::Integer),
        ("context_window", Node::Integer),
    ],
};

const LATENCY_REQUIREMENT: Node = Node::Object {
    required: &[],
    properties: &[
        ("p50_ms", Node::Integer),
        ("p95_ms", Node::Integer),
        ("p99_ms", Node::Integer),
    ],
};

const WORKLOAD: Node = Node::Object {
    required: &[
        "exposure_type",
        "model_family",
        "sequence_profile",
        "latency_requirement",
    ],
    properties: &[
        ("exposure_type", Node::Enum(ExposureType::ALL)),
        ("model_family", Node::String),
        ("sequence_profile", SEQUENCE_PROFILE),
        ("latency_requirement", LATENCY_REQUIREMENT),
    ],
};

const CAPACITY: Node = Node::Object {
    required: &[
        "accelerator_sku",
        "memory_gb",
        "interconnect",
        "region",
        "tenancy",
        "duration",
    ],
    properties: &[
        ("accelerator_sku", Node::String),
        ("memory_gb", Node::Number),
        ("interconnect", Node::String),
        ("region", Node::String),
        ("tenancy", Node::Enum(Tenancy::ALL)),
        ("duration", Node::Enum(Duration::ALL)),
    ],
};

const LAYER_CONSTRAINTS: Node = Node::Object {
    required: &[],
    properties: &[
        ("l0_power", Node::Enum(PowerConstraint::ALL)),
        ("l1_memory", Node::Enum(MemoryConstraint::ALL)),
        ("l2_runtime", Node::Enum(Runtime::ALL)),
        ("l3_engine", Node::String),
        ("l4_precision", Node::Enum(Precision::ALL)),
        ("l15_policy", Node::Enum(Policy::ALL)),
    ],
};

const HEDGE_OR_INDEX: Node = Node::Object {
    required: &[
        "reference_name",
        "settlement_type",
        "methodology_url",
        "coverage_layers",
    ],
    properties: &[
        ("reference_name", Node::String),
        ("settlement_type", Node::Enum(SettlementType::ALL)),
        ("methodology_url", Node::String),
        (
            "coverage_layers",
            Node::Array(&Node::Enum(CoverageLayer::ALL)),
        ),
    ],
};

const RESIDUAL_BASIS_RISK: Node = Node::Object {
    required: &["risk_type", "severity", "note"],
    properties: &[
        ("risk_type", Node::String),
        ("severity", Node::Enum(Severity::ALL)),
        ("note", Node::String),
    ],
};

/// The whole `LayeredComputeExposure` schema (seed 000).
pub(crate) const LAYERED_COMPUTE_EXPOSURE: Node = Node::Object {
    required: &[
        "workload",
        "capacity",
        "layer_constraints",
        "hedge_or_index",
        "residual_basis_risks",
    ],
    properties: &[
        ("workload", WORKLOAD),
        ("capacity", CAPACITY),
        ("layer_constraints", LAYER_CONSTRAINTS),
        ("hedge_or_index", HEDGE_OR_INDEX),
        ("residual_basis_risks", Node::Array(&RESIDUAL_BASIS_RISK)),
    ],
};

/// Checks `value` against `node`. Violations go to `errors`, unknown properties to `warnings`
/// (both as `path: message`). Integral floats in integer fields (`2.0`) are rewritten as integers
/// so the typed record can be built from the same value.
pub(crate) fn validate(
    node: &Node,
    value: &mut Value,
    path: &str,
    errors: &mut Vec<ExposureError>,
    warnings: &mut Vec<String>,
) {
    let mut fail = |message: String| errors.push(ExposureError::at(path, message));
    match node {
        Node::Object {
            required,
            properties,
        } => match value {
            Value::Object(map) => {
                validate_object(required, properties, map, path, errors, warnings)
            }
            other => fail(format!("must be an object; got {}", describe(other))),
        },
        Node::String => {
            if !value.is_string() {
                fail(format!("must be a string; got {}", describe(value)));
            }
        }
        Node::Enum(allowed) => match value.as_str() {
            Some(s) if allowed.contains(&s) => {}
            _ => fail(format!(
                "must be one of {}; got {}",
                allowed.join(", "),
                describe(value)
            )),
        },
        Node::Number => {
            if !value.is_number() {
                fail(format!("must be a number; got {}", describe(value)));
            }
        }
        Node::Integer => match value {
            Value::Number(n) if n.is_i64() => {}
            Value::Number(n) if n.is_u64() => {
                fail(format!(
                    "integer out of range (above {}); got {n}",
                    i64::MAX
                ));
            }
            Value::Number(n) => match n.as_f64() {
                // Exactly representable integral values only; i64::MAX as f64 rounds up.
                Some(x) if x.fract() == 0.0 && x.abs() < 9.2e18 => *value = Value::from(x as i64),
                _ => fail(format!("must be an integer; got {n}")),
            },
            other => fail(format!("must be an integer; got {}", describe(other))),
        },
        Node::Array(items) => match value {
            Value::Array(elements) => {
                for (i, element) in elements.iter_mut().enumerate() {
                    validate(items, element, &format!("{path}[{i}]"), errors, warnings);
                }
            }
            other => fail(format!("must be an array; got {}", describe(other))),
        },
    }
}

fn validate_object(
    required: &[&str],
    properties: &[(&str, Node)],
    map: &mut Map<String, Value>,
    path: &str,
    errors: &mut Vec<ExposureError>,
    warnings: &mut Vec<String>,
) {
    for key in required {
        if !map.contains_key(*key) {
            errors.push(ExposureError::at(
                &join(path, key),
                "required field is missing".into(),
            ));
        }
    }
    for (key, node) in properties {
        if let Some(v) = map.get_mut(*key) {
            validate(node, v, &join(path, key), errors, warnings);
        }
    }
    for key in map.keys() {
        if !properties.iter().any(|(k, _)| k == key) {
            warnings.push(format!(
                "{}: unknown property, not in the LayeredComputeExposure schema; ignored",
                join(path, key)
            ));
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// How a value reads in a message: `"cloud"`, `number 1.5`, `null`, `an object`.
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("{s:?}"),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// The schema as a JSON-Schema document (for `tenancy exposure --schema` and the docs).
pub fn json_schema() -> Value {
    let mut root = node_schema(&LAYERED_COMPUTE_EXPOSURE);
    if let Value::Object(map) = &mut root {
        map.insert("title".into(), Value::from("LayeredComputeExposure"));
    }
    root
}

fn node_schema(node: &Node) -> Value {
    match node {
        Node::Object {
            required,
            properties,
        } => {
            let props: Map<String, Value> = properties
                .iter()
                .map(|(k, n)| ((*k).to_string(), node_schema(n)))
                .collect();
            let mut m = Map::new();
            m.insert("type".into(), "object".into());
            if !required.is_empty() {
                m.insert("required".into(), Value::from(required.to_vec()));
            }
            m.insert("properties".into(), Value::Object(props));
            Value::Object(m)
        }
        Node::String => serde_json::json!({ "type": "string" }),
        Node::Enum(allowed) => serde_json::json!({ "type": "string", "enum": allowed }),
        Node::Integer => serde_json::json!({ "type": "integer" }),
        Node::Number => serde_json::json!({ "type": "number" }),
        Node::Array(items) => serde_json::json!({ "type": "array", "items": node_schema(items) }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(node: &Node, mut v: Value) -> Vec<String> {
        let (mut errors, mut warnings) = (Vec::new(), Vec::new());
        validate(node, &mut v, "x", &mut errors, &mut warnings);
        errors.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn schema_document_has_the_seed_required_lists_and_layer_enum() {
        let s = json_schema();
        assert_eq!(s["title"], "LayeredComputeExposure");
        assert_eq!(
            s["required"],
            json!([
                "workload",
                "capacity",
                "layer_constraints",
                "hedge_or_index",
                "residual_basis_risks"
            ])
        );
        assert_eq!(
            s["properties"]["hedge_or_index"]["properties"]["coverage_layers"]["items"]["enum"],
            json!(["L0", "L1", "L2", "L3", "L4", "L15"])
        );
        assert_eq!(
            s["properties"]["workload"]["properties"]["sequence_profile"]["properties"]
                ["context_window"]["type"],
            "integer"
        );
        // layer_constraints has no required fields in the seed.
        assert!(s["properties"]["layer_constraints"]
            .get("required")
            .is_none());
    }

    #[test]
    fn integer_edge_cases() {
        assert!(check(&Node::Integer, json!(-3)).is_empty());
        assert!(check(&Node::Integer, json!(4.0)).is_empty());
        assert_eq!(
            check(&Node::Integer, json!(u64::MAX)),
            vec![format!(
                "x: integer out of range (above {}); got {}",
                i64::MAX,
                u64::MAX
            )]
        );
        assert_eq!(
            check(&Node::Integer, json!(true)),
            vec!["x: must be an integer; got boolean true"]
        );
    }

    #[test]
    fn every_array_item_is_checked_with_its_index() {
        let v = json!([
            { "risk_type": "a", "severity": "high", "note": "n" },
            { "risk_type": 1, "severity": "extreme" }
        ]);
        assert_eq!(
            check(&Node::Array(&RESIDUAL_BASIS_RISK), v),
            vec![
                "x[1].note: required field is missing",
                "x[1].risk_type: must be a string; got number 1",
                "x[1].severity: must be one of low, medium, high; got \"extreme\"",
            ]
        );
    }
}
