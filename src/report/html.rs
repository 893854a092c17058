//! report.html: one self-contained page (inline CSS, charts inlined as base64 PNG).
//!
//! Owns the page layout: headline table (each estimate ± its Monte Carlo standard error), the
//! scenario echoed, the charts with captions, the convergence checkpoints, method notes and a reproducibility line. All text
//! from the run is HTML-escaped. Must not: compute estimates, reference external files, CSS or
//! scripts.

use std::fmt::Write as _;

use base64::Engine as _;
use serde_json::Value;

use super::charts::RenderedChart;
use super::summary::{self, format_key, format_with_se, Unit};
use super::{ReportError, RunOutput};

/// Escapes `&`, `<`, `>`, `"` and `'` for HTML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Rows of the headline table: (label, summary key of the hedged/only value, unhedged key, unit).
const HEADLINE: [(&str, &str, Option<&str>, Unit); 8] = [
    (
        "Loan PD over the tenor",
        "loan.hedged.pd",
        Some("loan.unhedged.pd"),
        Unit::Percent,
    ),
    (
        "Loan expected loss (USD)",
        "loan.hedged.expected_loss",
        Some("loan.unhedged.expected_loss"),
        Unit::Usd,
    ),
    (
        "Mean LGD given default",
        "loan.hedged.lgd_mean",
        Some("loan.unhedged.lgd_mean"),
        Unit::Percent,
    ),
    (
        "Credit VaR 99 % (USD)",
        "loan.hedged.credit_var_99",
        Some("loan.unhedged.credit_var_99"),
        Unit::Usd,
    ),
    (
        "Credit VaR 99.9 % (USD)",
        "loan.hedged.credit_var_999",
        Some("loan.unhedged.credit_var_999"),
        Unit::Usd,
    ),
    (
        "Minimum DSCR, P5 of paths",
        "loan.hedged.dscr_min_p5",
        Some("loan.unhedged.dscr_min_p5"),
        Unit::Ratio,
    ),
    (
        "Minimum DSCR, median",
        "loan.hedged.dscr_min_p50",
        Some("loan.unhedged.dscr_min_p50"),
        Unit::Ratio,
    ),
    (
        "Loan principal (USD)",
        "loan.principal_usd",
        None,
        Unit::Usd,
    ),
];

/// Counterparty rows: (label, key, unit).
const COUNTERPARTY: [(&str, &str, Unit); 12] = [
    (
        "Par fixed price ($/GPU-hour)",
        "swap.par_fixed_price",
        Unit::UsdPerGpuHour,
    ),
    (
        "Contract fixed price ($/GPU-hour)",
        "swap.fixed_price",
        Unit::UsdPerGpuHour,
    ),
    ("Trader mean P&L (USD)", "trader.pnl", Unit::Usd),
    ("Trader P&L, P1 (USD)", "trader.pnl_p01", Unit::Usd),
    ("Trader ES 97.5 % (USD)", "trader.es_975", Unit::Usd),
    ("Trader PD", "trader.pd", Unit::Percent),
    (
        "Trader liquidity need, P99 (USD)",
        "trader.liquidity_need_p99",
        Unit::Usd,
    ),
    ("Initial margin (USD)", "margin.initial_margin", Unit::Usd),
    (
        "IM coverage of the MPoR loss",
        "margin.im_coverage",
        Unit::Percent,
    ),
    ("P(any margin call)", "margin.p_any_call", Unit::Percent),
    (
        "Margin call size, P99 (USD)",
        "margin.call_size_p99",
        Unit::Usd,
    ),
    (
        "Peak variation margin, P99 (USD)",
        "margin.peak_vm_p99",
        Unit::Usd,
    ),
];

const OPERATOR: [(&str, &str); 3] = [
    ("Operator equity IRR, P10", "operator.equity_irr_p10"),
    ("Operator equity IRR, median", "operator.equity_irr_p50"),
    ("Operator equity IRR, P90", "operator.equity_irr_p90"),
];

const CSS: &str = r#"
:root { --ink:#222; --muted:#5b6470; --rule:#d8dde3; --band:#f4f6f8; --blue:#0072b2; --verm:#d55e00; }
* { box-sizing: border-box; }
body { margin:0; font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color:var(--ink);
       background:#fff; line-height:1.45; font-size:15px; }
header { background:#0b2f4a; color:#fff; padding:28px 48px 22px; }
header h1 { margin:0 0 6px; font-size:26px; font-weight:600; letter-spacing:.2px; }
header p { margin:0; color:#cfdbe6; font-size:14px; }
main { max-width:1260px; margin:0 auto; padding:8px 48px 48px; }
h2 { font-size:20px; border-bottom:2px solid var(--blue); padding-bottom:4px; margin:34px 0 14px; }
table { border-collapse:collapse; font-variant-numeric: tabular-nums; margin:6px 0 10px; }
th, td { padding:6px 14px; border-bottom:1px solid var(--rule); text-align:right; vertical-align:top; }
th:first-child, td:first-child { text-align:left; }
thead th { background:var(--band); font-weight:600; border-bottom:2px solid var(--rule); }
td.hedged { color:var(--blue); } td.unhedged { color:var(--verm); }
.grid { display:flex; flex-wrap:wrap; gap:28px; align-items:flex-start; }
figure { margin:0 0 28px; page-break-inside:avoid; }
figure img { width:100%; max-width:1200px; height:auto; border:1px solid var(--rule); }
figcaption { color:var(--muted); font-size:14px; margin-top:6px; }
pre { background:var(--band); border:1px solid var(--rule); padding:12px 16px; overflow-x:auto;
      font-size:13px; line-height:1.4; }
.notes li { margin-bottom:6px; }
.muted { color:var(--muted); font-size:13px; }
footer { border-top:1px solid var(--rule); margin-top:40px; padding-top:12px; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size:13px; }
@media print { header { background:#fff; color:#000; border-bottom:2px solid #000; }
               header p { color:#333; } main { padding:0 12px; } }
"#;

/// The complete page for a run and its rendered charts.
pub fn render(run: &RunOutput, charts: &[RenderedChart]) -> Result<String, ReportError> {
    let s = &run.summary;
    let scenario = text_at(s, "run.scenario");
    let mut page = String::with_capacity(
        64 * 1024
            + charts
                .iter()
                .map(|c| c.png.len() * 4 / 3 + 512)
                .sum::<usize>(),
    );
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(page, "<title>tenancy report: {}</title>", escape(&scenario));
    let _ = writeln!(page, "<style>{CSS}</style>\n</head>\n<body>");
    let _ = writeln!(
        page,
        "<header><h1>Tenancy swap stress report: {}</h1><p>{} Monte Carlo paths · horizon {} days · seed {} · tenancy {}</p></header>",
        escape(&scenario),
        escape(&text_at(s, "run.paths")),
        escape(&text_at(s, "run.horizon_days")),
        escape(&text_at(s, "run.seed")),
        escape(&text_at(s, "run.version")),
    );
    page.push_str("<main>\n");
    headline(&mut page, s);
    chart_section(&mut page, charts);
    convergence_section(&mut page, run);
    scenario_section(&mut page, run);
    notes_section(&mut page);
    footer(&mut page, run);
    page.push_str("</main>\n</body>\n</html>\n");
    Ok(page)
}

fn headline(page: &mut String, s: &Value) {
    page.push_str("<h2>Headline results</h2>\n<div class=\"grid\">\n<table>\n<thead><tr><th>Lender</th><th>Hedged loan</th><th>Unhedged loan</th></tr></thead>\n<tbody>\n");
    for (label, hedged, unhedged, unit) in HEADLINE {
        let h = format_with_se(s, hedged, unit);
        let u = unhedged.map_or_else(String::new, |k| format_with_se(s, k, unit));
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td class=\"hedged\">{}</td><td class=\"unhedged\">{}</td></tr>",
            escape(label),
            escape(&h),
            escape(&u)
        );
    }
    if summary::lookup(s, "importance_sampling").is_some() {
        let _ = writeln!(
            page,
            "<tr><td>Loan PD, importance sampled (ESS {})</td><td class=\"hedged\">{}</td><td class=\"unhedged\">{}</td></tr>",
            escape(&format_key(s, "importance_sampling.effective_sample_size", Unit::Integer)),
            escape(&format_with_se(s, "importance_sampling.hedged.pd", Unit::Percent)),
            escape(&format_with_se(s, "importance_sampling.unhedged.pd", Unit::Percent))
        );
    }
    page.push_str("</tbody>\n</table>\n<table>\n<thead><tr><th>Swap, trader and margin</th><th>Estimate</th></tr></thead>\n<tbody>\n");
    for (label, key, unit) in COUNTERPARTY {
        // `trader.pnl` has its SE under `trader.pnl_se` but its value under `trader.pnl_mean`.
        let value = if key == "trader.pnl" {
            pnl_mean_with_se(s)
        } else {
            format_with_se(s, key, unit)
        };
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(label),
            escape(&value)
        );
    }
    for (label, key) in OPERATOR {
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(label),
            escape(&format_key(s, key, Unit::Percent))
        );
    }
    page.push_str("</tbody>\n</table>\n</div>\n");
    page.push_str("<p class=\"muted\">Each estimate is shown ± one Monte Carlo standard error where the run reports one; “n/a” means the run did not produce that figure.</p>\n");
}

fn pnl_mean_with_se(s: &Value) -> String {
    let Some(mean) = summary::number(s, "trader.pnl_mean") else {
        return summary::NOT_AVAILABLE.to_string();
    };
    match summary::number(s, "trader.pnl_se") {
        Some(se) => format!(
            "{} ± {}",
            summary::format(mean, Unit::Usd),
            summary::format(se, Unit::Usd)
        ),
        None => summary::format(mean, Unit::Usd),
    }
}

fn chart_section(page: &mut String, charts: &[RenderedChart]) {
    if charts.is_empty() {
        return;
    }
    page.push_str("<h2>Charts</h2>\n");
    let engine = base64::engine::general_purpose::STANDARD;
    for chart in charts {
        let _ = writeln!(
            page,
            "<figure id=\"{}\"><img alt=\"{}\" src=\"data:image/png;base64,{}\"><figcaption><strong>{}.</strong> {}</figcaption></figure>",
            escape(&chart.name),
            escape(&chart.title),
            engine.encode(&chart.png),
            escape(&chart.title),
            escape(&chart.caption),
        );
    }
}

/// Columns of the `convergence` table: path count, then (estimate, SE, unit) per shown column.
const CONVERGENCE: [(&str, &str, Unit, &str); 3] = [
    ("hedged_pd", "hedged_pd_se", Unit::Percent, "hedged"),
    ("unhedged_pd", "unhedged_pd_se", Unit::Percent, "unhedged"),
    ("trader_pnl_mean_usd", "trader_pnl_se_usd", Unit::Usd, ""),
];

/// The checkpoints of the `convergence` table; nothing when the run has no such table.
fn convergence_section(page: &mut String, run: &RunOutput) {
    let Some(table) = run.table("convergence") else {
        return;
    };
    let Some(paths) = table.column("paths") else {
        return;
    };
    let mut cols = Vec::with_capacity(CONVERGENCE.len());
    for (value, se, unit, class) in CONVERGENCE {
        let (Some(value), Some(se)) = (table.column(value), table.column(se)) else {
            return;
        };
        cols.push((value, se, unit, class));
    }
    page.push_str("<h2 id=\"convergence\">Convergence</h2>\n");
    page.push_str("<p class=\"muted\">Each row re-estimates on the first N paths of this run (in path order), ± one Monte Carlo standard error. If the estimates have settled, later rows stay within a couple of standard errors of the last one while the standard error halves every time N quadruples (1/√N); a row that still drifts by more means more paths are needed.</p>\n");
    page.push_str("<table>\n<thead><tr><th>Paths</th><th>Hedged loan PD</th><th>Unhedged loan PD</th><th>Trader mean P&amp;L (USD)</th></tr></thead>\n<tbody>\n");
    for (row, &n) in paths.iter().enumerate() {
        let _ = write!(
            page,
            "<tr><td>{}</td>",
            escape(&summary::format(n, Unit::Integer))
        );
        for &(value, se, unit, class) in &cols {
            let text = format!(
                "{} ± {}",
                summary::format(value[row], unit),
                summary::format(se[row], unit)
            );
            if class.is_empty() {
                let _ = write!(page, "<td>{}</td>", escape(&text));
            } else {
                let _ = write!(page, "<td class=\"{class}\">{}</td>", escape(&text));
            }
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</tbody>\n</table>\n");
}

fn scenario_section(page: &mut String, run: &RunOutput) {
    page.push_str("<h2>Scenario</h2>\n<p class=\"muted\">The merged scenario this run used (scenario.toml in the output folder).</p>\n");
    let _ = writeln!(page, "<pre>{}</pre>", escape(run.scenario_toml.trim_end()));
}

fn notes_section(page: &mut String) {
    page.push_str(
        "<h2>Method notes</h2>\n<ul class=\"notes\">\n\
<li><strong>Conventions.</strong> Prices are in $/GPU-hour, money in USD, rates annual decimals, time in days since financial close (365-day years on chart axes). PD is the share of paths on which the loan defaults within the tenor; expected loss is the mean lender loss per path; VaR and ES are taken over the per-path loss distribution.</li>\n\
<li><strong>Monte Carlo error.</strong> Every headline estimate carries its standard error (± shown). PDs use the binomial SE √(p(1−p)/N); means use the sample SE. Hedged and unhedged loans run on the same paths (common random numbers), so their difference is estimated more precisely than either SE suggests.</li>\n\
<li><strong>Quantiles.</strong> Fan-chart percentiles per period come from a streaming quantile sketch; their rank error is small compared with the Monte Carlo error of tail percentiles (P1, P99), which should be read as indicative. Histograms show counts per bin exactly.</li>\n\
<li><strong>Charts.</strong> Charts draw the tables in the output folder without further computation; the Parquet files are the source of truth.</li>\n\
</ul>\n",
    );
}

fn footer(page: &mut String, run: &RunOutput) {
    let s = &run.summary;
    let m = &run.manifest;
    let _ = writeln!(
        page,
        "<footer><p><strong>Reproduce:</strong> <code>{}</code></p><p class=\"muted\">tenancy {} · seed {} · {} paths · {} threads · wall time {} s · created {}</p></footer>",
        escape(&text_at(m, "command")),
        escape(&first_text(m, s, "version", "run.version")),
        escape(&text_at(s, "run.seed")),
        escape(&text_at(s, "run.paths")),
        escape(&text_at(m, "threads")),
        escape(&text_at(m, "wall_time_s")),
        escape(&text_at(m, "created_utc")),
    );
}

/// A scalar at a dotted key as plain text, or "n/a".
fn text_at(value: &Value, dotted_key: &str) -> String {
    match summary::lookup(value, dotted_key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => summary::NOT_AVAILABLE.to_string(),
    }
}

fn first_text(a: &Value, b: &Value, key_a: &str, key_b: &str) -> String {
    let t = text_at(a, key_a);
    if t == summary::NOT_AVAILABLE {
        text_at(b, key_b)
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn page_escapes_scenario_and_shows_headline() {
        let mut run = crate::report::sample::sample_output();
        run.scenario_toml = "name = \"<script>alert(1)</script>\"".into();
        let page = render(&run, &[]).unwrap();
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;"));
        assert!(page.contains("9.15 % ± 0.20 %"));
        assert!(!page.contains("http://") && !page.contains("https://"));
        assert!(!page.contains("importance sampled"));
        run.summary["importance_sampling"] = serde_json::json!({
            "effective_sample_size": 412.0,
            "hedged": {"pd": 0.0062, "pd_se": 0.0002},
            "unhedged": {"pd": 0.078, "pd_se": 0.005},
        });
        let page = render(&run, &[]).unwrap();
        assert!(
            page.contains("Loan PD, importance sampled (ESS 412)"),
            "{page}"
        );
        assert!(page.contains("0.62 % ± 0.02 %"));
    }

    #[test]
    fn convergence_section_lists_every_checkpoint_and_is_omitted_without_the_table() {
        let mut run = crate::report::sample::sample_output();
        let page = render(&run, &[]).unwrap();
        let start = page.find("<h2 id=\"convergence\">").unwrap();
        let section = &page[start..start + page[start..].find("</table>").unwrap()];
        let rows = run.table("convergence").unwrap().rows();
        assert_eq!(section.matches("<tr><td>").count(), rows);
        assert!(section.contains("<tr><td>64</td>"));
        assert!(section.contains("<tr><td>16,384</td>"));
        run.tables.retain(|t| t.name != "convergence");
        let page = render(&run, &[]).unwrap();
        assert!(!page.contains("Convergence</h2>"));
    }
}
