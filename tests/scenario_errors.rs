//! Scenario loading through the public API: the base file loads, and every kind of bad input
//! is reported with its file, line and key path, all problems at once.

use std::path::{Path, PathBuf};

use tenancy::market::correlation::smallest_eigenvalue;
use tenancy::scenario::presets::PRESETS;
use tenancy::scenario::{
    json_schema, load_embedded_base, load_file, Arrival, FixedPrice, Magnitude, ScenarioError,
    ScenarioErrors, ShockTarget, BASE_TOML,
};

/// `BASE_TOML` with exactly one occurrence of `from` replaced by `to`.
fn edit(src: &str, from: &str, to: &str) -> String {
    assert_eq!(src.matches(from).count(), 1, "`{from}` must occur once");
    src.replacen(from, to, 1)
}

/// 1-based line of the first line of `text` containing `needle`.
fn line_containing(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("`{needle}` not in text"))
}

/// Writes `text` as `name` in `dir`; returns its path.
fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write temp file");
    path
}

/// Loads `text` from a temp file `x.toml`; returns the errors and the file path label.
fn errors_of(text: &str) -> (ScenarioErrors, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "x.toml", text);
    match load_file(&path, &[]) {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(e) => (e, path.display().to_string()),
    }
}

/// The single error with key `key`.
fn find<'a>(errors: &'a ScenarioErrors, key: &str) -> &'a ScenarioError {
    errors
        .errors()
        .iter()
        .find(|e| e.key == key)
        .unwrap_or_else(|| panic!("no error for `{key}` in:\n{errors}"))
}

/// A 4×4 correlation matrix TOML with `r` between price, utilization and basis: its 3×3 block
/// has eigenvalues 1 + 2r and 1 − r (twice), so r = −0.8 gives a smallest eigenvalue −0.6.
fn equicorrelated(r: f64) -> String {
    format!(
        "matrix = [\n  [1.0, {r}, {r}, 0.0],\n  [{r}, 1.0, {r}, 0.0],\n  [{r}, {r}, 1.0, 0.0],\n  \
         [0.0, 0.0, 0.0, 1.0],\n]\nrepair"
    )
}

const BASE_MATRIX: &str = "matrix = [
  [1.0, 0.5, 0.0, 0.0],         # price and utilization move together while availability is low (seed 002)
  [0.5, 1.0, 0.0, 0.0],
  [0.0, 0.0, 1.0, 0.0],
  [0.0, 0.0, 0.0, 1.0],
]
repair";

#[test]
fn base_file_loads() {
    let path = Path::new("scenarios/base.toml");
    let loaded = load_file(path, &[]).unwrap_or_else(|e| panic!("base must load:\n{e}"));
    assert_eq!(loaded.files, vec![path.to_path_buf()]);
    assert_eq!(loaded.scenario.name, "base");
    assert_eq!(loaded.scenario.loan.tenor_months, 48);
    assert!(loaded.source_toml.contains("strike_utilization"));
    // The embedded copy is the same file.
    let embedded = load_embedded_base(&[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(embedded.scenario, loaded.scenario);
}

#[test]
fn toml_syntax_error_has_file_and_line() {
    let text = edit(BASE_TOML, "pue = 1.3", "pue = = 1.3");
    let (errors, file) = errors_of(&text);
    assert_eq!(errors.len(), 1, "{errors}");
    let e = &errors.errors()[0];
    assert_eq!(e.file, file);
    assert_eq!(e.line, Some(line_containing(&text, "pue = = 1.3")));
    assert!(e.message.contains("syntax"), "{e}");
}

#[test]
fn unknown_key_is_named_with_its_line() {
    let text = edit(BASE_TOML, "pue = 1.3", "pue = 1.3\npeu = 1.4");
    let (errors, file) = errors_of(&text);
    let e = find(&errors, "cluster.peu");
    assert_eq!(e.file, file);
    assert_eq!(e.line, Some(line_containing(&text, "peu = 1.4")));
    assert!(e.message.contains("unknown field"), "{e}");
}

#[test]
fn wrong_type_is_named_with_its_line() {
    let text = edit(BASE_TOML, "gpus = 512", "gpus = \"many\"");
    let (errors, file) = errors_of(&text);
    let e = find(&errors, "cluster.gpus");
    assert_eq!(e.file, file);
    assert_eq!(e.line, Some(line_containing(&text, "gpus = \"many\"")));
}

#[test]
fn negative_volatility_message_format() {
    let text = edit(
        BASE_TOML,
        "sigma_per_sqrt_year = 0.35",
        "sigma_per_sqrt_year = -0.2",
    );
    let (errors, file) = errors_of(&text);
    assert_eq!(errors.len(), 1, "{errors}");
    let line = line_containing(&text, "sigma_per_sqrt_year = -0.2");
    assert_eq!(
        errors.to_string(),
        format!("{file}:{line}: market.price.sigma_per_sqrt_year: must be >= 0, got -0.2")
    );
}

#[test]
fn non_psd_correlation_reports_smallest_eigenvalue() {
    let text = edit(BASE_TOML, BASE_MATRIX, &equicorrelated(-0.8));
    let (errors, file) = errors_of(&text);
    let e = find(&errors, "market.correlation.matrix");
    assert_eq!(e.file, file);
    assert_eq!(e.line, Some(line_containing(&text, "matrix = [")));
    // 1 + 2·(−0.8) = −0.6 (closed form for an equicorrelated block).
    assert!(
        e.message
            .contains("not positive semi-definite (smallest eigenvalue -0.600)"),
        "{e}"
    );
}

#[test]
fn higham_repair_is_accepted_when_asked_and_reported() {
    let text = edit(BASE_TOML, BASE_MATRIX, &equicorrelated(-0.8));
    let text = edit(&text, "repair = \"none\"", "repair = \"higham\"");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "x.toml", &text);
    let loaded = load_file(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
    let c = &loaded.scenario.market.correlation;
    let repair = c.repair.as_ref().expect("repair recorded");
    assert!((repair.min_eigenvalue_before + 0.6).abs() < 1e-9);
    assert!(repair.frobenius_change > 0.0);
    let m = nalgebra::DMatrix::from_fn(4, 4, |i, j| c.matrix[i][j]);
    assert!(smallest_eigenvalue(&m) >= -1e-12);
    let l = nalgebra::DMatrix::from_fn(4, 4, |i, j| c.cholesky[i][j]);
    for i in 0..4 {
        assert!((c.matrix[i][i] - 1.0).abs() < 1e-12);
        for j in 0..4 {
            let llt: f64 = (0..4).map(|k| l[(i, k)] * l[(j, k)]).sum();
            assert!((llt - c.matrix[i][j]).abs() < 1e-12);
            if j > i {
                assert_eq!(c.cholesky[i][j], 0.0, "L must be lower triangular");
            }
        }
    }
    // The power factor was already uncorrelated and stays so.
    assert!(c.matrix[3][0].abs() < 1e-9);
}

#[test]
fn probability_above_one_is_located_in_the_shock() {
    let text = format!(
        "{BASE_TOML}\n[[shocks]]\nname = \"delay\"\nlayer = \"L0\"\narrival = {{ kind = \
         \"probability\", probability = 1.5 }}\nmagnitude = 30\nshape = {{ kind = \"step\" }}\n\
         target = \"commissioning_date\"\n"
    );
    let (errors, file) = errors_of(&text);
    assert_eq!(errors.len(), 1, "{errors}");
    let e = find(&errors, "shocks[0].arrival.probability");
    assert_eq!(e.file, file);
    assert_eq!(e.line, Some(line_containing(&text, "probability = 1.5")));
    assert_eq!(e.message, "must be in [0, 1], got 1.5");
}

#[test]
fn three_problems_are_all_reported() {
    let text = edit(BASE_TOML, "pue = 1.3", "pue = 0.9");
    let text = edit(&text, "gpus = 512", "gpus = 0");
    let text = edit(&text, "grace_months = 3", "grace_months = 48");
    let (errors, _) = errors_of(&text);
    assert_eq!(errors.len(), 3, "{errors}");
    assert_eq!(
        find(&errors, "cluster.pue").message,
        "must be >= 1, got 0.9"
    );
    assert_eq!(find(&errors, "cluster.gpus").message, "must be > 0, got 0");
    assert!(find(&errors, "loan.grace_months")
        .message
        .contains("< loan.tenor_months (48)"));
    // Display: one line per problem, in file order.
    let shown = errors.to_string();
    assert_eq!(shown.lines().count(), 3);
    let lines: Vec<usize> = errors.errors().iter().filter_map(|e| e.line).collect();
    assert_eq!(lines.len(), 3);
    assert!(lines.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn serde_and_range_problems_are_reported_together() {
    let text = edit(BASE_TOML, "pue = 1.3", "pue = 1.3\npeu = 1.4");
    let text = edit(&text, "gpus = 512", "gpus = \"many\"");
    let text = edit(&text, "kind = \"drift\"", "kind = \"drifty\"");
    let text = edit(&text, "strike_utilization = 0.65", "");
    let text = edit(
        &text,
        "sigma_per_sqrt_year = 0.35",
        "sigma_per_sqrt_year = -0.2",
    );
    let (errors, file) = errors_of(&text);
    assert_eq!(errors.len(), 5, "{errors}");
    let peu = find(&errors, "cluster.peu");
    assert_eq!(peu.line, Some(line_containing(&text, "peu = 1.4")));
    assert!(find(&errors, "cluster.gpus")
        .message
        .contains("invalid type"));
    let kind = find(&errors, "market.price.curve.kind");
    assert_eq!(kind.line, Some(line_containing(&text, "drifty")));
    let strike = find(&errors, "swap.strike_utilization");
    assert!(strike.message.contains("missing"));
    // A missing key is located at its table.
    assert_eq!(strike.line, Some(line_containing(&text, "[swap]")));
    assert_eq!(strike.file, file);
    find(&errors, "market.price.sigma_per_sqrt_year");
}

#[test]
fn missing_required_sections_are_all_named() {
    let errors =
        tenancy::scenario::load_str("name = \"x\"\n[cluster]\ngpus = 1\n", "s.toml", None, &[])
            .expect_err("incomplete");
    for key in [
        "cluster.capex_per_gpu_usd",
        "cluster.availability",
        "market",
        "loan",
        "swap",
    ] {
        let e = find(&errors, key);
        assert_eq!(e.file, "s.toml");
        assert!(e.message.starts_with("missing required key"), "{e}");
    }
    assert_eq!(find(&errors, "cluster.availability").line, Some(2));
}

#[test]
fn missing_extends_target_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let child = write(
        dir.path(),
        "child.toml",
        "extends = \"nope.toml\"\nname = \"c\"\n",
    );
    let errors = load_file(&child, &[]).expect_err("missing parent");
    assert_eq!(errors.len(), 1);
    let e = &errors.errors()[0];
    assert_eq!(e.file, child.display().to_string());
    assert_eq!(e.key, "extends");
    assert_eq!(e.line, Some(1));
    assert!(e.message.contains("nope.toml"), "{e}");
}

#[test]
fn cyclic_extends_lists_the_chain() {
    let dir = tempfile::tempdir().expect("temp dir");
    let a = write(dir.path(), "a.toml", "extends = \"b.toml\"\nname = \"a\"\n");
    write(dir.path(), "b.toml", "name = \"b\"\nextends = \"a.toml\"\n");
    let errors = load_file(&a, &[]).expect_err("cycle");
    assert_eq!(errors.len(), 1);
    let e = &errors.errors()[0];
    assert_eq!(e.key, "extends");
    assert!(e.file.ends_with("b.toml"), "{e}");
    assert_eq!(e.line, Some(2));
    assert!(e.message.contains("cyclic"), "{e}");
    assert!(
        e.message.contains("a.toml") && e.message.contains("b.toml"),
        "{e}"
    );
}

#[test]
fn extends_overrides_a_nested_key_and_inherits_the_rest() {
    let dir = tempfile::tempdir().expect("temp dir");
    let parent = write(dir.path(), "parent.toml", BASE_TOML);
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    let child = write(
        &dir.path().join("sub"),
        "child.toml",
        "extends = \"../parent.toml\"\nname = \"child\"\n\n[market.price]\nsigma_per_sqrt_year = 0.5\n\n\
         [market.power]\nkind = \"mean_reverting\"\nusd_per_kwh = 0.09\nkappa_per_year = 3.0\n\
         sigma_per_sqrt_year = 0.4\n",
    );
    let loaded = load_file(&child, &[]).unwrap_or_else(|e| panic!("{e}"));
    let base = load_embedded_base(&[])
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario;
    let s = &loaded.scenario;
    assert_eq!(s.name, "child");
    assert_eq!(s.market.price.sigma_per_sqrt_year, 0.5);
    assert_eq!(
        s.market.price.kappa_per_year,
        base.market.price.kappa_per_year
    );
    assert_eq!(s.market.price.curve, base.market.price.curve);
    assert_eq!(s.loan, base.loan);
    // A tagged table (kind = ...) replaces the parent's as a whole.
    assert_eq!(
        s.market.power,
        tenancy::scenario::PowerModel::MeanReverting {
            usd_per_kwh: 0.09,
            kappa_per_year: 3.0,
            sigma_per_sqrt_year: 0.4
        }
    );
    assert_eq!(
        loaded.files,
        vec![child.clone(), dir.path().join("sub").join("../parent.toml")]
    );
    assert!(loaded.files[1].exists() && parent.exists());

    // A problem inherited from the parent is blamed on the parent, one in the child on the child.
    let bad_parent = edit(BASE_TOML, "pue = 1.3", "pue = 0.5");
    std::fs::write(&parent, &bad_parent).expect("write");
    let errors = load_file(&child, &[("loan.dsra_months".into(), "-1".into())])
        .expect_err("bad pue and dsra");
    let pue = find(&errors, "cluster.pue");
    assert_eq!(
        pue.file,
        dir.path()
            .join("sub")
            .join("../parent.toml")
            .display()
            .to_string()
    );
    assert_eq!(pue.line, Some(line_containing(&bad_parent, "pue = 0.5")));
    assert_eq!(find(&errors, "loan.dsra_months").file, "--set");

    // A key the child redefines is blamed on the child, at its line.
    let bad_child = "extends = \"../parent.toml\"\nname = \"child\"\n\n[market.price]\n\
                     sigma_per_sqrt_year = -0.5\n";
    std::fs::write(&child, bad_child).expect("write");
    std::fs::write(&parent, BASE_TOML).expect("write");
    let errors = load_file(&child, &[]).expect_err("negative sigma");
    assert_eq!(errors.len(), 1, "{errors}");
    let e = find(&errors, "market.price.sigma_per_sqrt_year");
    assert_eq!(
        (e.file.clone(), e.line),
        (child.display().to_string(), Some(5))
    );
}

#[test]
fn array_in_child_replaces_the_parent_array() {
    let dir = tempfile::tempdir().expect("temp dir");
    let parent = format!(
        "{BASE_TOML}\n[[shocks]]\npreset = \"sovereign\"\n\n[[shocks]]\npreset = \"curtailment\"\n"
    );
    write(dir.path(), "parent.toml", &parent);
    let child = write(
        dir.path(),
        "child.toml",
        "extends = \"parent.toml\"\n\n[[shocks]]\npreset = \"grid_delay\"\n",
    );
    let loaded = load_file(&child, &[]).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = loaded
        .scenario
        .shocks
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["grid_delay"]);
    assert_eq!(loaded.scenario.name, "base");
}

#[test]
fn documented_shock_examples_load() {
    let docs = std::fs::read_to_string("docs/scenario-format.md").expect("docs");
    let start = docs.find("```toml\n[[shocks]]").expect("shock example") + "```toml\n".len();
    let len = docs[start..].find("```").expect("end of example");
    let text = format!("{BASE_TOML}\n{}", &docs[start..start + len]);
    let loaded =
        tenancy::scenario::load_str(&text, "docs", None, &[]).unwrap_or_else(|e| panic!("{e}"));
    let shocks = &loaded.scenario.shocks;
    assert_eq!(shocks.len(), 2);
    assert_eq!(shocks[0].arrival, Arrival::FixedDay(540));
    assert_eq!(shocks[0].target, ShockTarget::PriceMeanCurve);
    assert_eq!(shocks[1].target, ShockTarget::PowerPrice);
}

#[test]
fn set_overrides_apply_and_bad_ones_error() {
    let o = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    let loaded = load_embedded_base(&[
        o("swap.strike_utilization", "0.5"),
        o("swap.fixed_price_usd_per_gpu_hour", "par"),
        o("market.correlation.matrix[0][1]", "0.25"),
        o("market.correlation.matrix[1][0]", "0.25"),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.scenario.swap.strike_utilization, 0.5);
    assert_eq!(loaded.scenario.swap.fixed_price, FixedPrice::Par);
    assert_eq!(loaded.scenario.market.correlation.matrix[0][1], 0.25);
    assert!(loaded.source_toml.contains("strike_utilization = 0.5"));

    let errors = load_embedded_base(&[o("swapp.strike_utilization", "0.5")]).expect_err("bad path");
    let e = find(&errors, "swapp.strike_utilization");
    assert_eq!((e.file.as_str(), e.line), ("--set", None));

    let errors = load_embedded_base(&[o("swap.strike_utilization", "2")]).expect_err("bad value");
    let e = find(&errors, "swap.strike_utilization");
    assert_eq!(e.file, "--set");
    assert_eq!(e.message, "must be in (0, 1], got 2");
}

#[test]
fn every_preset_expands_and_validates() {
    for row in PRESETS {
        let text = format!("{BASE_TOML}\n[[shocks]]\npreset = \"{}\"\n", row.name);
        let dir = tempfile::tempdir().expect("temp dir");
        let path = write(dir.path(), "x.toml", &text);
        let loaded = load_file(&path, &[]).unwrap_or_else(|e| panic!("{}: {e}", row.name));
        let shocks = &loaded.scenario.shocks;
        assert_eq!(shocks.len(), 1);
        let s = &shocks[0];
        assert_eq!(s.name, row.name);
        assert_eq!(s.layer.0, row.layer);
        assert_eq!(s.magnitude, Magnitude::Fixed(row.magnitude));
        assert_eq!(s.demand_elasticity, row.demand_elasticity);
        match s.arrival {
            Arrival::Poisson { rate_per_year } => {
                assert!(row.poisson);
                assert_eq!(rate_per_year, row.rate);
            }
            Arrival::Probability {
                probability,
                first_day,
                last_day,
            } => {
                assert!(!row.poisson);
                assert_eq!(probability, row.rate);
                assert_eq!(first_day, 0);
                // Horizon = 48 payment periods × 30 days (+ 0 tail days) in base.toml.
                let expected_last = if row.at_day_zero { 0 } else { 48 * 30 };
                assert_eq!(last_day, expected_last);
            }
            Arrival::FixedDay(_) => panic!("presets never use fixed days"),
        }
    }
    // A user key overrides the preset's default.
    let text = format!("{BASE_TOML}\n[[shocks]]\npreset = \"grid_delay\"\nmagnitude = 200\n");
    let loaded =
        tenancy::scenario::load_str(&text, "x.toml", None, &[]).unwrap_or_else(|e| panic!("{e}"));
    let s = &loaded.scenario.shocks[0];
    assert_eq!(s.magnitude, Magnitude::Fixed(200.0));
    assert_eq!(s.target, ShockTarget::CommissioningDate);
}

#[test]
fn shock_without_preset_needs_its_keys() {
    let text = format!("{BASE_TOML}\n[[shocks]]\nname = \"x\"\nlayer = \"L17\"\n");
    let (errors, _) = errors_of(&text);
    for key in ["arrival", "magnitude", "shape", "target"] {
        assert!(find(&errors, &format!("shocks[0].{key}"))
            .message
            .contains("missing"));
    }
    assert!(find(&errors, "shocks[0].layer").message.contains("L16"));
}

#[test]
fn json_schema_names_the_sections() {
    let schema = json_schema();
    let value: serde_json::Value = serde_json::from_str(&schema).expect("schema is JSON");
    let props = value["properties"].as_object().expect("properties");
    for key in ["market", "loan", "swap", "cluster", "shocks"] {
        assert!(props.contains_key(key), "schema lacks {key}");
    }
}

#[test]
fn importance_sampling_settings_are_checked() {
    let o = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    let loaded = load_embedded_base(&[
        o("simulation.importance_sampling", "true"),
        o("simulation.importance_shift_sd", "-1.5"),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let is = loaded.scenario.simulation.importance.expect("on");
    assert_eq!(is.shift, tenancy::scenario::ImportanceShift::Sd(-1.5));
    let auto = load_embedded_base(&[o("simulation.importance_sampling", "true")]).unwrap();
    assert_eq!(
        auto.scenario.simulation.importance.map(|i| i.shift),
        Some(tenancy::scenario::ImportanceShift::Auto)
    );

    let errors = load_embedded_base(&[
        o("simulation.importance_sampling", "true"),
        o("simulation.antithetic", "true"),
        o("simulation.importance_shift_sd", "9"),
        o("simulation.importance_pilot_paths", "0"),
    ])
    .expect_err("three problems");
    assert_eq!(
        find(&errors, "simulation.importance_sampling").message,
        "cannot be combined with simulation.antithetic (choose one variance reduction)"
    );
    assert_eq!(
        find(&errors, "simulation.importance_shift_sd").message,
        "must be in [-8, 8], got 9"
    );
    find(&errors, "simulation.importance_pilot_paths");
    let errors = load_embedded_base(&[o("simulation.importance_shift_sd", "\"often\"")])
        .expect_err("not a number or auto");
    find(&errors, "simulation.importance_shift_sd");
}
