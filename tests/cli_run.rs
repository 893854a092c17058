//! The `tenancy` binary end to end: reproducibility across threads and shards, bad input, sweeps.

use assert_cmd::Command;
use std::fs;
use std::path::Path;

fn tenancy() -> Command {
    Command::cargo_bin("tenancy").expect("binary built")
}

fn run(out: &Path, extra: &[&str]) {
    let mut c = tenancy();
    c.args(["run", "--quiet", "--no-charts", "--seed", "7", "--out"])
        .arg(out)
        .args(extra);
    c.assert().success();
}

/// `tenancy merge DIRS --out OUT` succeeds; returns the merged `summary.json` bytes.
fn merged_summary(dirs: &[std::path::PathBuf], out: &Path) -> Vec<u8> {
    tenancy()
        .arg("merge")
        .args(dirs)
        .arg("--out")
        .arg(out)
        .arg("--no-charts")
        .assert()
        .success();
    fs::read(out.join("summary.json")).unwrap()
}

#[test]
fn summary_is_byte_identical_for_one_and_two_threads() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    run(&a, &["--paths", "300", "--threads", "1"]);
    run(&b, &["--paths", "300", "--threads", "2"]);
    let sa = fs::read(a.join("summary.json")).unwrap();
    assert_eq!(sa, fs::read(b.join("summary.json")).unwrap());
    let s: serde_json::Value = serde_json::from_slice(&sa).unwrap();
    for key in ["scenario", "seed", "paths", "horizon_days", "version"] {
        assert!(s["run"].get(key).is_some(), "run.{key} missing");
    }
    assert_eq!(s["run"]["paths"], 300);
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(b.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["threads"], 2);
}

#[test]
fn merged_shards_equal_a_single_run_byte_for_byte() {
    let t = tempfile::tempdir().unwrap();
    let single = t.path().join("single");
    // 250 paths: shards of uneven size and not multiples of the 64-path chunk.
    run(
        &single,
        &[
            "--paths",
            "250",
            "--set",
            "swap.fixed_price_usd_per_gpu_hour=\"par\"",
        ],
    );
    let expected = fs::read(single.join("summary.json")).unwrap();
    for n in [1u32, 2, 3, 7] {
        let mut dirs = Vec::new();
        for i in 1..=n {
            let d = t.path().join(format!("s{n}-{i}"));
            run(
                &d,
                &[
                    "--paths",
                    "250",
                    "--set",
                    "swap.fixed_price_usd_per_gpu_hour=\"par\"",
                    "--shard",
                    &format!("{i}/{n}"),
                ],
            );
            dirs.push(d);
        }
        let merged = t.path().join(format!("merged{n}"));
        assert_eq!(merged_summary(&dirs, &merged), expected, "N = {n}");
    }
}

#[test]
fn antithetic_shards_keep_pairs_together_and_merge_to_the_single_run() {
    let t = tempfile::tempdir().unwrap();
    let single = t.path().join("single");
    run(&single, &["--paths", "250", "--antithetic"]);
    let expected = fs::read(single.join("summary.json")).unwrap();
    let s: serde_json::Value = serde_json::from_slice(&expected).unwrap();
    assert_eq!(s["run"]["antithetic"], true);
    let mut dirs = Vec::new();
    for i in 1..=3 {
        let d = t.path().join(format!("s{i}"));
        run(
            &d,
            &[
                "--paths",
                "250",
                "--antithetic",
                "--shard",
                &format!("{i}/3"),
            ],
        );
        dirs.push(d);
    }
    let merged = t.path().join("merged");
    assert_eq!(merged_summary(&dirs, &merged), expected);
    tenancy()
        .args(["run", "--paths", "251", "--antithetic"])
        .assert()
        .code(2);
}

#[test]
fn importance_sampled_shards_merge_to_the_single_run_and_threads_do_not_matter() {
    let t = tempfile::tempdir().unwrap();
    let is = [
        "--paths",
        "200",
        "--importance-sampling",
        "--set",
        "simulation.importance_pilot_paths=300",
    ];
    let single = t.path().join("single");
    run(&single, &[&is[..], &["--threads", "1"]].concat());
    let expected = fs::read(single.join("summary.json")).unwrap();
    let s: serde_json::Value = serde_json::from_slice(&expected).unwrap();
    let imp = &s["importance_sampling"];
    assert_eq!(imp["paths"], 200);
    assert_eq!(imp["method"], "cross_entropy");
    assert!(imp["hedged"]["pd_se"].as_f64().unwrap() >= 0.0);
    let two = t.path().join("two");
    run(&two, &[&is[..], &["--threads", "2"]].concat());
    assert_eq!(fs::read(two.join("summary.json")).unwrap(), expected);
    let mut dirs = Vec::new();
    for i in 1..=2 {
        let d = t.path().join(format!("s{i}"));
        run(&d, &[&is[..], &["--shard", &format!("{i}/2")]].concat());
        dirs.push(d);
    }
    let merged = t.path().join("merged");
    assert_eq!(merged_summary(&dirs, &merged), expected);
}

#[test]
fn merge_rejects_missing_or_foreign_shards() {
    let t = tempfile::tempdir().unwrap();
    let a = t.path().join("a");
    let b = t.path().join("b");
    run(&a, &["--paths", "100", "--shard", "1/2"]);
    let mut c = tenancy();
    c.args([
        "run",
        "--quiet",
        "--no-charts",
        "--seed",
        "8",
        "--paths",
        "100",
    ])
    .args(["--shard", "2/2", "--out"])
    .arg(&b)
    .assert()
    .success();
    let out = t.path().join("m");
    let r = tenancy()
        .args(["merge"])
        .arg(&a)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&r.get_output().stderr).contains("missing"));
    tenancy()
        .args(["merge"])
        .arg(&a)
        .arg(&b)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    assert!(!out.exists());
}

/// A bad scenario exits 2 with the file and key in the message, and writes nothing.
fn assert_bad(toml: &str, needles: &[&str]) {
    let t = tempfile::tempdir().unwrap();
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/base.toml");
    fs::copy(base, t.path().join("base.toml")).unwrap();
    let f = t.path().join("bad.toml");
    fs::write(&f, toml).unwrap();
    let out = t.path().join("out");
    let r = tenancy()
        .arg("run")
        .arg(&f)
        .args(["--paths", "10", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&r.get_output().stderr).to_string();
    assert!(err.contains("bad.toml"), "no file name in: {err}");
    for n in needles {
        assert!(err.contains(n), "`{n}` not in: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    assert!(!out.exists(), "output folder written for a bad scenario");
}

#[test]
fn bad_scenarios_exit_2_with_file_and_key_and_write_nothing() {
    assert_bad(
        "extends = \"base.toml\"\nname = \"x\n",
        &["bad.toml:2", "syntax"],
    );
    assert_bad(
        "extends = \"base.toml\"\n[swap]\nstrike_utilisation = 0.6\n",
        &["strike_utilisation"],
    );
    assert_bad(
        "extends = \"base.toml\"\n[cluster]\ngpus = \"many\"\n",
        &["cluster.gpus"],
    );
    assert_bad(
        "extends = \"base.toml\"\n[market.price]\nsigma_per_sqrt_year = -0.2\n",
        &["market.price.sigma_per_sqrt_year", "-0.2"],
    );
    assert_bad(
        "extends = \"base.toml\"\n[market.correlation]\nmatrix = [[1,0.9,0.9,0],[0.9,1,-0.9,0],[0.9,-0.9,1,0],[0,0,0,1]]\n",
        &["market.correlation.matrix", "smallest eigenvalue"],
    );
    assert_bad(
        "extends = \"base.toml\"\n[[shocks]]\npreset = \"grid_delay\"\narrival = { kind = \"probability\", probability = 1.5, first_day = 0, last_day = 0 }\n",
        &["probability"],
    );
    assert_bad("extends = \"nowhere.toml\"\n", &["nowhere.toml"]);
}

#[test]
fn cyclic_extends_is_reported_with_the_chain() {
    let t = tempfile::tempdir().unwrap();
    fs::write(t.path().join("a.toml"), "extends = \"b.toml\"\n").unwrap();
    fs::write(t.path().join("b.toml"), "extends = \"a.toml\"\n").unwrap();
    let r = tenancy()
        .arg("validate")
        .arg(t.path().join("a.toml"))
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&r.get_output().stderr).to_string();
    assert!(err.contains("a.toml") && err.contains("b.toml"), "{err}");
}

#[test]
fn bad_flags_exit_2() {
    tenancy().args(["run", "--paths", "0"]).assert().code(2);
    tenancy()
        .args(["run", "--paths", "10", "--shard", "3/2"])
        .assert()
        .code(2);
    tenancy()
        .args(["run", "--paths", "10", "--set", "swap.nonsense=1"])
        .assert()
        .code(2);
    tenancy().args(["frobnicate"]).assert().code(2);
}

#[test]
fn schema_and_validate_work() {
    let r = tenancy().arg("schema").assert().success();
    let v: serde_json::Value = serde_json::from_slice(&r.get_output().stdout).unwrap();
    assert!(v.to_string().contains("strike_utilization"));
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/base.toml");
    tenancy().arg("validate").arg(base).assert().success();
}

#[test]
fn a_sweep_with_a_single_value_gives_the_numbers_of_a_plain_run() {
    let t = tempfile::tempdir().unwrap();
    let plain = t.path().join("plain");
    run(
        &plain,
        &["--paths", "200", "--set", "swap.strike_utilization=0.55"],
    );
    let sweep = t.path().join("sweep");
    tenancy()
        .args([
            "sweep",
            "--quiet",
            "--no-charts",
            "--seed",
            "7",
            "--paths",
            "200",
            "--set",
            "swap.strike_utilization=0.55:0.55:0.05",
            "--out",
        ])
        .arg(&sweep)
        .assert()
        .success();
    let p: serde_json::Value =
        serde_json::from_slice(&fs::read(plain.join("summary.json")).unwrap()).unwrap();
    let s: serde_json::Value =
        serde_json::from_slice(&fs::read(sweep.join("summary.json")).unwrap()).unwrap();
    let pt = &s["sweep"]["points"][0];
    assert_eq!(pt["loan.hedged.pd"], p["loan"]["hedged"]["pd"]);
    assert_eq!(pt["loan.unhedged.pd"], p["loan"]["unhedged"]["pd"]);
    assert_eq!(
        pt["loan.hedged.expected_loss"],
        p["loan"]["hedged"]["expected_loss"]
    );
    assert_eq!(pt["trader.es_975"], p["trader"]["es_975"]);
    assert!(sweep.join("sweep.parquet").is_file());
}

#[test]
fn every_library_scenario_validates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/library");
    let mut n = 0;
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            tenancy().arg("validate").arg(&p).assert().success();
            n += 1;
        }
    }
    assert!(n >= 7, "only {n} library scenarios");
}

#[test]
fn margin_sizing_table_has_every_method() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("m");
    let r = tenancy()
        .args(["margin", "--quiet", "--paths", "200", "--seed", "3"])
        .args(["--stress", "price=-0.4,utilization=0.3,days=20", "--out"])
        .arg(&out)
        .assert()
        .success();
    let text = String::from_utf8_lossy(&r.get_output().stdout).to_string();
    assert!(text.contains("stress: price -40 %"), "{text}");
    let s: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
    let methods = s["margin_sizing"]["methods"].as_array().unwrap();
    assert_eq!(methods.len(), 5);
    for m in methods {
        for k in [
            "initial_margin_usd",
            "im_coverage",
            "trader_pd",
            "hedged_pd",
        ] {
            assert!(m[k].is_number(), "{k} in {m}");
        }
    }
    assert!(out.join("margin_sizing.parquet").is_file());
    tenancy()
        .args([
            "margin",
            "--paths",
            "10",
            "--stress",
            "price=-2,utilization=0.2,days=30",
        ])
        .assert()
        .code(2);
}

#[test]
fn target_se_runs_batches_until_the_standard_error_is_reached() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("t");
    tenancy()
        .args([
            "run",
            "--quiet",
            "--no-charts",
            "--seed",
            "7",
            "--paths",
            "200",
        ])
        .args(["--target-se", "loan.unhedged.pd=0.012", "--out"])
        .arg(&out)
        .assert()
        .success();
    let s: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
    let paths = s["run"]["paths"].as_u64().unwrap();
    let se = s["loan"]["unhedged"]["pd_se"].as_f64().unwrap();
    assert!(se <= 0.012, "se {se}");
    assert_eq!(paths % 200, 0);
    assert_eq!(s["run"]["batches"].as_u64().unwrap(), paths / 200);
    // Batches in path order are exactly a single run over the same paths.
    let single = t.path().join("s");
    run(&single, &["--paths", &paths.to_string()]);
    let p: serde_json::Value =
        serde_json::from_slice(&fs::read(single.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["loan"], p["loan"]);
    assert_eq!(s["trader"], p["trader"]);
    tenancy()
        .args(["run", "--paths", "10", "--target-se", "loan.nothing=0.1"])
        .assert()
        .code(2);
}

#[test]
fn a_scenario_with_shocks_gets_layer_attribution_by_default() {
    let t = tempfile::tempdir().unwrap();
    let lib =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/library/memory_constrained.toml");
    let out = t.path().join("a");
    tenancy()
        .arg("run")
        .arg(&lib)
        .args(["--quiet", "--no-charts", "--paths", "200", "--out"])
        .arg(&out)
        .assert()
        .success();
    let s: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
    let layers = s["attribution"]["layers"].as_object().unwrap();
    assert!(
        layers.contains_key("all_layers") && layers.len() >= 2,
        "{layers:?}"
    );
    for v in layers.values() {
        assert!(v["hedged_pd_delta_se"].is_number());
    }
    assert!(out.join("attribution.parquet").is_file());
    let plain = t.path().join("b");
    tenancy()
        .arg("run")
        .arg(&lib)
        .args([
            "--quiet",
            "--no-charts",
            "--paths",
            "200",
            "--no-attribution",
            "--out",
        ])
        .arg(&plain)
        .assert()
        .success();
    assert!(!plain.join("attribution.parquet").exists());
}

#[test]
fn exposure_statement_lists_excluded_layers_and_rejects_bad_records() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/exposures");
    let r = tenancy()
        .arg("exposure")
        .arg(dir.join("inference_h100_index.yaml"))
        .assert()
        .success();
    let md = String::from_utf8_lossy(&r.get_output().stdout).to_string();
    assert!(
        md.to_lowercase().contains("excluded") || md.contains("left out"),
        "{md}"
    );
    let r = tenancy()
        .arg("exposure")
        .arg(dir.join("invalid_example.yaml"))
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&r.get_output().stderr).to_string();
    assert!(err.contains("invalid_example.yaml"), "{err}");
    // With a scenario: the statement quantifies the excluded layers from an attribution run.
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("statement.json");
    tenancy()
        .arg("exposure")
        .arg(dir.join("inference_h100_index.yaml"))
        .arg("--scenario")
        .arg(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/library/memory_constrained.toml"),
        )
        .args(["--paths", "200", "--out"])
        .arg(&out)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&fs::read(&out).unwrap()).unwrap();
    assert!(v.to_string().contains("L1"), "{v}");
}

#[test]
fn an_output_folder_that_is_not_a_run_is_refused_before_simulating() {
    let t = tempfile::tempdir().unwrap();
    let keep = t.path().join("notes.txt");
    fs::write(&keep, "mine").unwrap();
    let r = tenancy()
        .args(["run", "--paths", "10", "--quiet", "--out"])
        .arg(t.path())
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&r.get_output().stderr).contains("not a tenancy run folder"));
    assert_eq!(fs::read_to_string(&keep).unwrap(), "mine");
    tenancy()
        .args(["run", "--paths", "10", "--quiet", "--out"])
        .arg(&keep)
        .assert()
        .code(2);
}
