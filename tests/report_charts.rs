//! Charts of a full sample run: every chart is written as PNG and SVG, decodes to the stated
//! size, is not blank, and shows text (the embedded font renders without system fonts).

use std::collections::BTreeSet;

use tenancy::report::charts::all_charts;
use tenancy::report::sample::sample_output;
use tenancy::report::style::CHART_SIZE;
use tenancy::report::{write_run, WriteOptions};

fn write_sample() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let opts = WriteOptions {
        csv: false,
        charts: true,
        html: true,
    };
    write_run(&dir, &sample_output(), &opts).unwrap();
    (tmp, dir)
}

#[test]
fn every_chart_is_written_decodes_and_is_not_blank() {
    let (_tmp, dir) = write_sample();
    let run = sample_output();
    let charts = all_charts();
    // The sample run has every table, so every chart applies.
    assert_eq!(
        charts.len(),
        15,
        "price, utilization, DSCR, cash, margin fans + 10 others"
    );
    for chart in &charts {
        assert!(
            chart.figure(&run).is_some(),
            "{} has no figure for the sample run",
            chart.name()
        );
        let png = dir.join("charts").join(format!("{}.png", chart.name()));
        let svg = dir.join("charts").join(format!("{}.svg", chart.name()));
        let img = image::open(&png)
            .unwrap_or_else(|e| panic!("{}: {e}", png.display()))
            .to_rgb8();
        assert_eq!(img.dimensions(), CHART_SIZE, "{}", chart.name());
        let colours: BTreeSet<[u8; 3]> = img.pixels().map(|p| p.0).collect();
        assert!(
            colours.len() >= 8,
            "{}: only {} distinct colours",
            chart.name(),
            colours.len()
        );
        // Non-white share: axes, bands and text cover well over 2 % of a real chart.
        let inked = img.pixels().filter(|p| p.0 != [255, 255, 255]).count();
        let share = inked as f64 / f64::from(CHART_SIZE.0 * CHART_SIZE.1);
        assert!(
            share > 0.02,
            "{}: {:.4} of pixels inked",
            chart.name(),
            share
        );
        let svg_text = std::fs::read_to_string(&svg).unwrap();
        assert!(
            svg_text.starts_with("<svg") || svg_text.contains("<svg"),
            "{}",
            svg.display()
        );
        assert!(
            svg_text.contains("<text"),
            "{}: SVG has no text",
            chart.name()
        );
    }
}

#[test]
fn chart_titles_render_as_glyphs_in_the_png() {
    // The title band (top 60 px) must hold dark glyph pixels: proof the embedded font drew text.
    let (_tmp, dir) = write_sample();
    let img = image::open(dir.join("charts/price_fan.png"))
        .unwrap()
        .to_rgb8();
    let dark_in_title = (0..60)
        .flat_map(|y| (0..CHART_SIZE.0).map(move |x| (x, y)))
        .filter(|&(x, y)| img.get_pixel(x, y).0.iter().all(|&c| c < 100))
        .count();
    assert!(
        dark_in_title > 500,
        "only {dark_in_title} dark pixels in the title band"
    );
}

#[test]
fn charts_are_skipped_when_their_table_is_missing() {
    let mut run = sample_output();
    run.tables
        .retain(|t| !["sweep", "attribution", "convergence"].contains(&t.name.as_str()));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    write_run(
        &dir,
        &run,
        &WriteOptions {
            csv: false,
            charts: true,
            html: true,
        },
    )
    .unwrap();
    assert!(!dir.join("charts/strike_sweep.png").exists());
    assert!(!dir.join("charts/layer_attribution.png").exists());
    assert!(!dir.join("charts/convergence.png").exists());
    assert!(dir.join("charts/price_fan.png").exists());
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert_eq!(html.matches("data:image/png;base64,").count(), 12);
    assert!(!html.contains("Convergence</h2>"));
}

#[test]
fn fan_chart_draws_the_table_columns_unchanged() {
    use tenancy::report::charts::fan::FanChart;
    use tenancy::report::charts::{Chart, Layer};
    let run = sample_output();
    let periods = run.tables.iter().find(|t| t.name == "periods").unwrap();
    let price = FanChart::all()
        .into_iter()
        .find(|c| c.series == "price")
        .unwrap();
    let fig = price.figure(&run).unwrap();
    let col = |n: &str| periods.column(n).unwrap().to_vec();
    let years: Vec<f64> = col("day").iter().map(|d| d / 365.0).collect();
    let mut bands = Vec::new();
    let mut lines = Vec::new();
    for layer in &fig.layers {
        match layer {
            Layer::Band {
                x, lower, upper, ..
            } => {
                assert_eq!(x, &years);
                bands.push((lower.clone(), upper.clone()));
            }
            Layer::Line { y, .. } => lines.push(y.clone()),
            _ => {}
        }
    }
    assert_eq!(
        bands,
        vec![
            (col("price_p05"), col("price_p95")),
            (col("price_p25"), col("price_p75"))
        ]
    );
    assert_eq!(lines, vec![col("price_p50"), col("price_mean")]);
}

#[test]
fn loss_chart_marks_var_from_the_summary() {
    use tenancy::report::charts::loss_distribution::LossDistribution;
    use tenancy::report::charts::{Chart, Layer};
    let run = sample_output();
    let fig = LossDistribution.figure(&run).unwrap();
    let markers: Vec<f64> = fig
        .layers
        .iter()
        .filter_map(|l| match l {
            Layer::VMarker { x, .. } => Some(*x),
            _ => None,
        })
        .collect();
    for side in ["hedged", "unhedged"] {
        for key in ["credit_var_99", "credit_var_999"] {
            let v = run.summary["loan"][side][key].as_f64().unwrap();
            assert!(markers.contains(&v), "{side}.{key} = {v} not marked");
        }
    }
}

#[test]
fn degenerate_tables_still_render() {
    // One row, constant or zero values, empty histograms: every chart must still draw or be skipped.
    let mut run = sample_output();
    for table in &mut run.tables {
        for (_, values) in &mut table.columns {
            values.truncate(1);
            for v in values.iter_mut() {
                *v = 0.0;
            }
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    write_run(
        &dir,
        &run,
        &WriteOptions {
            csv: false,
            charts: true,
            html: true,
        },
    )
    .unwrap();
    let mut empty = sample_output();
    for table in &mut empty.tables {
        for (_, values) in &mut table.columns {
            values.clear();
        }
    }
    write_run(
        &dir,
        &empty,
        &WriteOptions {
            csv: true,
            charts: true,
            html: true,
        },
    )
    .unwrap();
    assert!(dir.join("report.html").is_file());
}
