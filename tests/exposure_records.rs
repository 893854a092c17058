//! Exposure records: schema validation (one test per kind of violation, all violations reported
//! at once with their JSON paths), format detection, and the layer coverage statement of the
//! example records in `scenarios/exposures/`. Expected layer sets are derived by hand from the
//! field → layer mapping documented in `src/exposure/layers.rs` and `docs/shocks.md`.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use tenancy::exposure::{
    coverage_statement, exposure_from_value, load_exposure, CoverageLayer, ExposureErrors,
    LayerRisk, RiskOrigin, Severity, Tenancy,
};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/exposures")
        .join(name)
}

fn valid_value() -> Value {
    let text = std::fs::read_to_string(example("sovereign_onprem_training.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Validates `v` and returns its violations as `path: message` strings.
fn violations(v: Value) -> Vec<String> {
    match exposure_from_value(v, "test") {
        Ok(_) => Vec::new(),
        Err(e) => e.violations().iter().map(|v| v.to_string()).collect(),
    }
}

#[test]
fn valid_yaml_record_loads_with_its_values() {
    let e = load_exposure(&example("inference_h100_index.yaml")).unwrap();
    assert_eq!(e.capacity.tenancy, Tenancy::Shared);
    assert_eq!(e.capacity.memory_gb, 80.0);
    assert_eq!(e.workload.sequence_profile.context_window, Some(128_000));
    assert_eq!(e.workload.latency_requirement.p99_ms, None);
    assert_eq!(
        e.hedge_or_index.coverage_layers,
        vec![CoverageLayer::L1, CoverageLayer::L2]
    );
    assert_eq!(e.residual_basis_risks[0].severity, Severity::High);
    assert!(e.warnings.is_empty());
}

#[test]
fn valid_json_record_loads() {
    let e = load_exposure(&example("sovereign_onprem_training.json")).unwrap();
    assert_eq!(e.capacity.tenancy, Tenancy::Sovereign);
    assert_eq!(e.layer_constraints.l3_engine, None);
    assert_eq!(e.residual_basis_risks.len(), 2);
}

#[test]
fn missing_required_field_is_reported_with_its_path() {
    let mut v = valid_value();
    v["capacity"].as_object_mut().unwrap().remove("region");
    assert_eq!(
        violations(v),
        vec!["capacity.region: required field is missing"]
    );
}

#[test]
fn bad_enum_value_lists_the_allowed_values() {
    let mut v = valid_value();
    v["capacity"]["tenancy"] = json!("cloud");
    assert_eq!(
        violations(v),
        vec![
            r#"capacity.tenancy: must be one of shared, dedicated, on_prem, sovereign; got "cloud""#
        ]
    );
}

#[test]
fn wrong_type_is_reported() {
    let mut v = valid_value();
    v["capacity"]["memory_gb"] = json!("141");
    assert_eq!(
        violations(v),
        vec![r#"capacity.memory_gb: must be a number; got "141""#]
    );
    let mut v = valid_value();
    v["residual_basis_risks"] = json!({ "risk_type": "x" });
    assert_eq!(
        violations(v),
        vec!["residual_basis_risks: must be an array; got an object"]
    );
}

#[test]
fn unknown_coverage_layer_is_reported_with_its_index() {
    let mut v = valid_value();
    v["hedge_or_index"]["coverage_layers"] = json!(["L0", "L1", "L7"]);
    assert_eq!(
        violations(v),
        vec![
            r#"hedge_or_index.coverage_layers[2]: must be one of L0, L1, L2, L3, L4, L15; got "L7""#
        ]
    );
}

#[test]
fn fractional_value_in_integer_field_is_rejected() {
    let mut v = valid_value();
    v["workload"]["sequence_profile"]["context_window"] = json!(1.5);
    assert_eq!(
        violations(v),
        vec!["workload.sequence_profile.context_window: must be an integer; got 1.5"]
    );
}

#[test]
fn integral_float_counts_as_integer_as_in_json_schema() {
    let mut v = valid_value();
    v["workload"]["sequence_profile"]["context_window"] = json!(32768.0);
    let e = exposure_from_value(v, "test").unwrap();
    assert_eq!(e.workload.sequence_profile.context_window, Some(32_768));
}

#[test]
fn unknown_property_is_a_warning_not_an_error() {
    let mut v = valid_value();
    v["capacity"]["price_usd_per_hour"] = json!(2.2);
    let e = exposure_from_value(v, "test").unwrap();
    assert_eq!(
        e.warnings,
        vec!["capacity.price_usd_per_hour: unknown property, not in the LayeredComputeExposure schema; ignored"]
    );
}

#[test]
fn non_object_document_is_a_root_violation() {
    assert_eq!(
        violations(json!([1, 2])),
        vec!["(root): must be an object; got an array"]
    );
}

#[test]
fn invalid_example_reports_every_violation_at_once() {
    let err = load_exposure(&example("invalid_example.yaml")).unwrap_err();
    let mut paths: Vec<&str> = err.violations().iter().map(|v| v.path.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        vec![
            "capacity.memory_gb",
            "capacity.tenancy",
            "hedge_or_index.coverage_layers[1]",
            "workload.model_family",
            "workload.sequence_profile.context_window",
        ]
    );
    match err {
        ExposureErrors::Invalid { warnings, .. } => {
            assert_eq!(warnings.len(), 1);
            assert!(warnings[0].starts_with("capacity.price_usd_per_hour:"));
        }
        other => panic!("expected Invalid, got {other}"),
    }
}

#[test]
fn format_is_sniffed_without_extension_and_parse_errors_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("record");
    std::fs::write(&json_path, valid_value().to_string()).unwrap();
    assert!(load_exposure(&json_path).is_ok());

    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{ \"workload\": ").unwrap();
    assert!(matches!(
        load_exposure(&broken),
        Err(ExposureErrors::Parse { .. })
    ));
    assert!(matches!(
        load_exposure(&dir.path().join("missing.yaml")),
        Err(ExposureErrors::Io { .. })
    ));
}

#[test]
fn inference_example_excludes_every_layer_but_l1_and_l2() {
    let e = load_exposure(&example("inference_h100_index.yaml")).unwrap();
    let s = coverage_statement(&e, None);
    // Hand mapping: exposure_type inference → L3, L16; context_window → L8, L9; tokens → L10;
    // latency → L13, L14; capacity → L1; region → L0, L13, L14; shared tenancy → L13;
    // l0..l15 constraints → L0, L1 (kv_cache also L8, L9), L2, L3, L4, L15;
    // financial settlement → L11.
    assert_eq!(s.covered_layers, vec![1, 2]);
    assert_eq!(
        s.excluded_layers,
        vec![0, 3, 4, 8, 9, 10, 11, 13, 14, 15, 16]
    );
    assert!(s.hedge_only_layers.is_empty());
    // Record risks first, then one generated sentence per excluded layer, with the layers that
    // share a risk (L8/L9, L13/L14) merged: 11 excluded layers -> 9 sentences.
    assert_eq!(s.residual_risks.len(), 2 + 9);
    assert_eq!(s.residual_risks[0].origin, RiskOrigin::Record);
    let generated: Vec<u8> = s.residual_risks[2..]
        .iter()
        .flat_map(|r| r.layers.iter().copied())
        .collect();
    assert_eq!(generated, s.excluded_layers);
    assert!(s.residual_risks[2].text.starts_with("L0 (power and grid):"));
    let merged: Vec<&str> = s.residual_risks[2..]
        .iter()
        .map(|r| r.risk_type.as_str())
        .collect();
    assert!(merged.contains(&"layer_L8_L9") && merged.contains(&"layer_L13_L14"));
    // Shared public-cloud capacity: the L15 risk is a future requirement, not current
    // non-substitutability.
    let l15 = s.residual_risks.iter().find(|r| r.layers == [15]).unwrap();
    assert!(l15.text.contains("shared public-cloud capacity today"));
    assert!(s
        .to_markdown()
        .contains("- Excluded exposure layers: L0, L3, L4, L8, L9, L10, L11, L13, L14, L15, L16."));
    assert_eq!(
        s.to_json()["excluded_layers"],
        json!([0, 3, 4, 8, 9, 10, 11, 13, 14, 15, 16])
    );
}

#[test]
fn sovereign_example_excludes_runtime_memory_pressure_locality_and_economics() {
    let e = load_exposure(&example("sovereign_onprem_training.json")).unwrap();
    let s = coverage_statement(&e, None);
    // training → L16; context_window → L8, L9; capacity, hbm → L1; region → L0, L13, L14;
    // sovereign tenancy → L13, L15; duration → L13; l0_power → L0; cuda → L2;
    // disconnected → L15; physical settlement adds no L11.
    assert_eq!(s.covered_layers, vec![0, 1, 15]);
    assert_eq!(s.excluded_layers, vec![2, 8, 9, 13, 14, 16]);
    let presets: Vec<u8> = s.stress_presets.iter().map(|(l, _)| *l).collect();
    assert_eq!(presets, vec![8, 9]); // only context_growth enters at an excluded layer
}

#[test]
fn attribution_is_split_into_excluded_and_covered_layers() {
    let e = load_exposure(&example("inference_h100_index.yaml")).unwrap();
    let rows: Vec<LayerRisk> = vec![
        (0, 0.02, 100_000.0, 40_000.0).into(),
        (1, 0.03, 300_000.0, 10_000.0).into(),
        (3, -0.01, 100_000.0, 5_000.0).into(),
        (8, f64::NAN, 1.0, 1.0).into(),
    ];
    let s = coverage_statement(&e, Some(&rows));
    let a = s.attribution.as_ref().unwrap();
    let excluded: Vec<u8> = a.excluded.iter().map(|r| r.layer).collect();
    assert_eq!(excluded, vec![0, 3]);
    assert_eq!(a.covered.len(), 1);
    assert_eq!(a.dropped_layers, vec![8]);
    assert!((a.excluded_total.el_delta_usd - 200_000.0).abs() < 1e-9);
    assert!((a.excluded_total.hedged_pd_delta - 0.01).abs() < 1e-12);
    assert!((a.all_total.el_delta_usd - 500_000.0).abs() < 1e-9);
    assert!((a.excluded_el_share.unwrap() - 0.4).abs() < 1e-12);
    let md = s.to_markdown();
    assert!(md.contains("40 % of the expected-loss change"));
    assert!(!md.contains("NaN"));
    let j = s.to_json();
    assert_eq!(j["attribution"]["excluded_el_share"], json!(0.4));
    assert_eq!(j["attribution"]["dropped_layers"], json!([8]));
}
