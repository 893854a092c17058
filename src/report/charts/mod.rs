//! Charts: one file per chart behind the [`Chart`] trait, drawn to PNG and SVG.
//!
//! A chart maps columns of a `metrics` table (and a few summary values for markers) onto a
//! [`Figure`]; [`render_all`] draws every chart whose table and columns exist. Must not:
//! compute statistics (no quantiles, means or PDs here — only unit conversions and layout).

pub mod attribution;
pub mod convergence;
pub mod default_curve;
pub mod dscr_distribution;
pub mod fan;
pub mod figure;
pub mod im_coverage;
pub mod loss_distribution;
pub mod margin_calls;
pub mod render;
pub mod settlement;
pub mod strike_sweep;
pub mod trader_pnl;

use std::fs;
use std::path::Path;

pub use figure::{AxisFormat, Figure, Layer, LegendAt};

use super::{ReportError, RunOutput};
use crate::metrics::Table;

/// One chart of the report.
pub trait Chart {
    /// File stem under `charts/` (`price_fan` → `charts/price_fan.png`).
    fn name(&self) -> &str;
    /// One-line caption shown under the chart in report.html.
    fn caption(&self) -> &str;
    /// The figure to draw, or `None` when the run lacks the table or columns it needs.
    fn figure(&self, run: &RunOutput) -> Option<Figure>;
}

/// A chart written to disk, with its PNG bytes for inlining.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedChart {
    /// File stem.
    pub name: String,
    /// Chart title.
    pub title: String,
    /// One-line caption.
    pub caption: String,
    /// The PNG file's bytes.
    pub png: Vec<u8>,
}

/// Every chart of the report, in page order.
pub fn all_charts() -> Vec<Box<dyn Chart>> {
    let mut charts: Vec<Box<dyn Chart>> = Vec::new();
    charts.extend(
        fan::FanChart::all()
            .into_iter()
            .map(|c| Box::new(c) as Box<dyn Chart>),
    );
    charts.push(Box::new(default_curve::DefaultCurve));
    charts.push(Box::new(loss_distribution::LossDistribution));
    charts.push(Box::new(dscr_distribution::MinDscrDistribution));
    charts.push(Box::new(settlement::SettlementByYear));
    charts.push(Box::new(trader_pnl::TraderPnl));
    charts.push(Box::new(margin_calls::MarginCalls));
    charts.push(Box::new(im_coverage::ImCoverage));
    charts.push(Box::new(strike_sweep::StrikeSweep));
    charts.push(Box::new(attribution::LayerAttribution));
    charts.push(Box::new(convergence::Convergence));
    charts
}

/// Draws every applicable chart into `dir` as `<name>.png` and `<name>.svg`.
pub fn render_all(run: &RunOutput, dir: &Path) -> Result<Vec<RenderedChart>, ReportError> {
    let mut rendered = Vec::new();
    for chart in all_charts() {
        let Some(figure) = chart.figure(run) else {
            continue;
        };
        let chart_error = |message: String| ReportError::Chart {
            chart: chart.name().to_string(),
            message,
        };
        render::write_png_and_svg(&figure, dir, chart.name()).map_err(chart_error)?;
        let png_path = dir.join(format!("{}.png", chart.name()));
        let png = fs::read(&png_path).map_err(|e| ReportError::io(&png_path, e))?;
        rendered.push(RenderedChart {
            name: chart.name().to_string(),
            title: figure.title.clone(),
            caption: chart.caption().to_string(),
            png,
        });
    }
    Ok(rendered)
}

/// The named columns of a table, all or nothing.
pub(crate) fn columns<'a, const N: usize>(
    table: &'a Table,
    names: [&str; N],
) -> Option<[&'a [f64]; N]> {
    let mut out = [&[][..]; N];
    for (slot, name) in out.iter_mut().zip(names) {
        *slot = table.column(name)?;
    }
    Some(out)
}

/// Histogram bins as bar rectangles `(lower, upper, 0, count)`.
pub(crate) fn bin_rects(lower: &[f64], upper: &[f64], count: &[f64]) -> Vec<(f64, f64, f64, f64)> {
    lower
        .iter()
        .zip(upper)
        .zip(count)
        .map(|((&a, &b), &c)| (a, b, 0.0, c))
        .collect()
}

/// The overlaid hedged vs unhedged histogram bars every loan-distribution chart draws (unhedged
/// first, so the hedged bars sit on top), in the shared palette.
pub(crate) fn push_hedged_unhedged_bars(
    fig: &mut figure::Figure,
    lower: &[f64],
    upper: &[f64],
    hedged: &[f64],
    unhedged: &[f64],
) {
    for (counts, color, label) in [
        (
            unhedged,
            crate::report::style::palette::VERMILLION,
            "Unhedged loan",
        ),
        (hedged, crate::report::style::palette::BLUE, "Hedged loan"),
    ] {
        fig.layers.push(figure::Layer::Bars {
            rects: bin_rects(lower, upper, counts),
            color,
            opacity: 0.45,
            label: Some(label.into()),
        });
    }
}

/// Days since close → years (365-day years), for time axes.
pub(crate) fn days_to_years(days: &[f64]) -> Vec<f64> {
    days.iter().map(|d| d / 365.0).collect()
}
