//! The run folder: files written, tables round-trip bit-exactly, report.html is self-contained
//! and shows summary.json's headline numbers, failed writes leave nothing behind.

use std::fs;
use std::path::Path;

use tenancy::metrics::Table;
use tenancy::report::charts::all_charts;
use tenancy::report::sample::sample_output;
use tenancy::report::{read_run, rerender, write_run, RunOutput, WriteOptions};

const ALL: WriteOptions = WriteOptions {
    csv: true,
    charts: true,
    html: true,
};

fn bits(table: &Table) -> Vec<(String, Vec<u64>)> {
    table
        .columns
        .iter()
        .map(|(n, c)| (n.clone(), c.iter().map(|v| v.to_bits()).collect()))
        .collect()
}

fn sorted_tables(run: &RunOutput) -> Vec<&Table> {
    let mut t: Vec<&Table> = run.tables.iter().collect();
    t.sort_by(|a, b| a.name.cmp(&b.name));
    t
}

/// Hand-formatted USD: round to whole dollars, group thousands with commas.
fn usd(v: f64) -> String {
    let digits = format!("{:.0}", v.abs().round());
    let mut groups: Vec<&str> = Vec::new();
    let mut end = digits.len();
    while end > 3 {
        groups.push(&digits[end - 3..end]);
        end -= 3;
    }
    groups.push(&digits[..end]);
    groups.reverse();
    format!("{}${}", if v < 0.0 { "-" } else { "" }, groups.join(","))
}

fn number(summary: &serde_json::Value, path: &[&str]) -> f64 {
    path.iter().fold(summary, |v, k| &v[*k]).as_f64().unwrap()
}

#[test]
fn write_then_read_round_trips_everything_bit_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out").join("base");
    let mut run = sample_output();
    // Awkward values: signed zero, subnormal, extremes, non-terminating binary fractions.
    run.tables.push(
        Table::new("edge")
            .with("a", vec![-0.0, 5e-324, f64::MAX, f64::MIN, 0.1 + 0.2])
            .with(
                "b",
                vec![
                    1.0 / 3.0,
                    -1e-300,
                    123_456_789.123_456_79,
                    2.0_f64.sqrt(),
                    0.0,
                ],
            ),
    );
    write_run(&dir, &run, &ALL).unwrap();
    let back = read_run(&dir).unwrap();
    assert_eq!(back.summary, run.summary);
    assert_eq!(back.manifest, run.manifest);
    assert_eq!(back.scenario_toml, run.scenario_toml);
    let (a, b) = (sorted_tables(&run), sorted_tables(&back));
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.name, y.name);
        assert_eq!(bits(x), bits(y), "table {}", x.name);
    }
    for t in &run.tables {
        assert!(dir.join(format!("{}.parquet", t.name)).is_file());
        let csv = fs::read_to_string(dir.join(format!("{}.csv", t.name))).unwrap();
        let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        let names: Vec<&str> = t.columns.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(header, names, "csv header of {}", t.name);
        assert_eq!(csv.lines().count(), t.rows() + 1);
    }
    // No staging folders left next to the run.
    let leftovers: Vec<_> = fs::read_dir(dir.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "base")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn summary_json_is_pretty_and_keeps_key_order() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("r");
    let run = sample_output();
    write_run(
        &dir,
        &run,
        &WriteOptions {
            csv: false,
            charts: false,
            html: false,
        },
    )
    .unwrap();
    let text = fs::read_to_string(dir.join("summary.json")).unwrap();
    assert!(
        text.contains("\n  \"loan\": {"),
        "pretty-printed with two-space indent"
    );
    let order: Vec<usize> = [
        "\"loan\"",
        "\"margin\"",
        "\"market\"",
        "\"operator\"",
        "\"run\"",
        "\"swap\"",
        "\"trader\"",
    ]
    .iter()
    .map(|k| text.find(k).unwrap())
    .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "keys in the order given"
    );
    assert!(!dir.join("charts").exists() && !dir.join("report.html").exists());
    assert!(!dir.join("periods.csv").exists());
}

#[test]
fn report_html_is_self_contained_and_shows_the_headline_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("r");
    write_run(&dir, &sample_output(), &ALL).unwrap();
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();

    let pct = |v: f64| format!("{:.2} %", v * 100.0);
    for side in ["hedged", "unhedged"] {
        let pd = number(&summary, &["loan", side, "pd"]);
        let pd_se = number(&summary, &["loan", side, "pd_se"]);
        assert!(
            html.contains(&format!("{} ± {}", pct(pd), pct(pd_se))),
            "{side} PD"
        );
        let el = number(&summary, &["loan", side, "expected_loss"]);
        let el_se = number(&summary, &["loan", side, "expected_loss_se"]);
        assert!(
            html.contains(&format!("{} ± {}", usd(el), usd(el_se))),
            "{side} EL {}",
            usd(el)
        );
    }
    let es = number(&summary, &["trader", "es_975"]);
    let es_se = number(&summary, &["trader", "es_975_se"]);
    assert!(
        html.contains(&format!("{} ± {}", usd(es), usd(es_se))),
        "trader ES"
    );
    assert!(
        html.contains(&usd(number(&summary, &["margin", "initial_margin"]))),
        "IM"
    );
    let par = number(&summary, &["swap", "par_fixed_price"]);
    let par_se = number(&summary, &["swap", "par_fixed_price_se"]);
    assert!(
        html.contains(&format!("${par:.3} ± ${par_se:.3}")),
        "par fixed price"
    );

    // Every chart inlined, nothing fetched from outside.
    let n_charts = all_charts().len();
    assert_eq!(html.matches("data:image/png;base64,").count(), n_charts);
    for external in ["http://", "https://", "<link", "<script", "src=\"charts/"] {
        assert!(!html.contains(external), "page references {external}");
    }
    // Reproducibility line.
    assert!(html.contains("tenancy run scenarios/base.toml --paths 20000 --seed 20260430"));
}

#[test]
fn report_html_has_a_convergence_section_ending_with_the_full_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("r");
    let run = sample_output();
    write_run(&dir, &run, &ALL).unwrap();
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    let start = html
        .find("<h2 id=\"convergence\">Convergence</h2>")
        .expect("convergence section");
    let section = &html[start..start + html[start..].find("</table>").unwrap()];
    // The chart of the same name is inlined in the charts section.
    assert!(html.contains("<figure id=\"convergence\">"));

    let table = run.table("convergence").unwrap();
    let last = table.rows() - 1;
    let col = |name: &str| table.column(name).unwrap()[last];
    assert_eq!(col("paths"), 20_000.0);
    let pct = |v: f64| format!("{:.2} %", v * 100.0);
    let final_row = format!(
        "<tr><td>20,000</td><td class=\"hedged\">{} ± {}</td><td class=\"unhedged\">{} ± {}</td><td>{} ± {}</td></tr>",
        pct(col("hedged_pd")),
        pct(col("hedged_pd_se")),
        pct(col("unhedged_pd")),
        pct(col("unhedged_pd_se")),
        usd(col("trader_pnl_mean_usd")),
        usd(col("trader_pnl_se_usd")),
    );
    assert!(
        section.contains(&final_row),
        "{final_row}\nnot in\n{section}"
    );
    // One row per checkpoint, in table order.
    assert_eq!(section.matches("<tr><td>").count(), table.rows());
    let first = section.find("<tr><td>64</td>").expect("first checkpoint");
    assert!(first < section.find("<tr><td>20,000</td>").unwrap());
}

#[test]
fn missing_summary_keys_show_as_not_available() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("r");
    let mut run = sample_output();
    run.summary = serde_json::json!({"run": {"seed": 7}});
    run.tables.clear();
    write_run(&dir, &run, &ALL).unwrap();
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("n/a"));
    assert_eq!(html.matches("data:image/png;base64,").count(), 0);
}

#[test]
fn a_failing_write_leaves_no_folder_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("not_a_dir");
    fs::write(&file, "x").unwrap();
    let target = file.join("run");
    assert!(write_run(&target, &sample_output(), &ALL).is_err());
    assert!(!target.exists());
    let entries: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, vec![std::ffi::OsString::from("not_a_dir")]);
}

#[test]
fn an_invalid_table_fails_before_touching_an_older_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("r");
    write_run(
        &dir,
        &sample_output(),
        &WriteOptions {
            csv: false,
            charts: false,
            html: false,
        },
    )
    .unwrap();
    let before = fs::read(dir.join("summary.json")).unwrap();
    let mut bad = sample_output();
    bad.summary = serde_json::json!({"changed": true});
    bad.tables
        .push(Table::new("nan").with("x", vec![1.0, f64::NAN]));
    assert!(write_run(&dir, &bad, &ALL).is_err());
    assert_eq!(
        fs::read(dir.join("summary.json")).unwrap(),
        before,
        "old run untouched"
    );
    assert_eq!(
        fs::read_dir(tmp.path()).unwrap().count(),
        1,
        "no staging folder left"
    );
}

#[test]
fn a_new_run_replaces_the_old_folder_completely() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("r");
    write_run(&dir, &sample_output(), &ALL).unwrap();
    fs::write(dir.join("stale.txt"), "old").unwrap();
    let mut run = sample_output();
    run.tables.retain(|t| t.name == "periods");
    write_run(
        &dir,
        &run,
        &WriteOptions {
            csv: false,
            charts: false,
            html: false,
        },
    )
    .unwrap();
    assert!(!dir.join("stale.txt").exists());
    assert!(!dir.join("loss_hist.parquet").exists());
    assert!(dir.join("periods.parquet").exists());
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
}

#[test]
fn rerender_rebuilds_charts_and_html_from_a_saved_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("r");
    write_run(
        &dir,
        &sample_output(),
        &WriteOptions {
            csv: false,
            charts: false,
            html: false,
        },
    )
    .unwrap();
    assert!(!dir.join("report.html").exists());
    rerender(&dir).unwrap();
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    assert_eq!(
        html.matches("data:image/png;base64,").count(),
        all_charts().len()
    );
    for chart in all_charts() {
        assert!(dir
            .join("charts")
            .join(format!("{}.png", chart.name()))
            .is_file());
        assert!(dir
            .join("charts")
            .join(format!("{}.svg", chart.name()))
            .is_file());
    }
    // Twice in a row works (replaces the charts folder) and leaves no staging files.
    rerender(&dir).unwrap();
    let hidden: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
    assert!(read_run(Path::new(&dir)).is_ok());
}

#[test]
fn csv_values_parse_back_to_the_same_floats() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("r");
    let values = vec![
        0.1 + 0.2,
        1.0 / 3.0,
        -2.5e-7,
        123_456_789.123_456_79,
        1e300,
        0.0,
    ];
    let run = RunOutput {
        tables: vec![Table::new("t").with("x", values.clone())],
        ..sample_output()
    };
    write_run(&dir, &run, &ALL).unwrap();
    let csv = fs::read_to_string(dir.join("t.csv")).unwrap();
    let parsed: Vec<f64> = csv.lines().skip(1).map(|l| l.parse().unwrap()).collect();
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&parsed), bits(&values), "{csv}");
}

#[test]
fn a_folder_that_is_not_a_run_is_never_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let precious = tmp.path().join("home");
    fs::create_dir(&precious).unwrap();
    fs::write(precious.join("thesis.tex"), "keep me").unwrap();
    let err = write_run(&precious, &sample_output(), &ALL).unwrap_err();
    assert!(
        err.to_string().contains("not a tenancy run folder"),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(precious.join("thesis.tex")).unwrap(),
        "keep me"
    );
    // A plain file at the target is refused too; an empty folder is fine.
    let file = tmp.path().join("file");
    fs::write(&file, "x").unwrap();
    assert!(write_run(&file, &sample_output(), &ALL).is_err());
    assert_eq!(fs::read_to_string(&file).unwrap(), "x");
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    write_run(&empty, &sample_output(), &ALL).unwrap();
    assert!(empty.join("summary.json").is_file());
    assert_eq!(
        fs::read_dir(tmp.path()).unwrap().count(),
        3,
        "no staging folders left"
    );
}
