//! Initial-margin coverage curve: share of paths whose loss over the margin period of risk stays
//! within a given IM, from `im_coverage`.
//!
//! Marks the IM the scenario holds (`margin.initial_margin`). Must not: compute coverage.

use super::figure::{AxisFormat, Figure, Layer, LegendAt};
use super::{columns, Chart};
use crate::report::style::palette;
use crate::report::summary::{self, Unit};
use crate::report::RunOutput;

/// IM coverage curve.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImCoverage;

impl Chart for ImCoverage {
    fn name(&self) -> &str {
        "im_coverage"
    }

    fn caption(&self) -> &str {
        "Share of paths whose loss over the margin period of risk is covered by an initial margin of the given size."
    }

    fn figure(&self, run: &RunOutput) -> Option<Figure> {
        let table = run.table("im_coverage")?;
        let [im, coverage] = columns(table, ["im_usd", "coverage"])?;
        let mut fig = Figure::new(
            "Initial margin coverage",
            "Initial margin held (USD)",
            "Coverage (share of paths)",
            AxisFormat::Usd,
            AxisFormat::Percent,
        );
        fig.legend = LegendAt::LowerRight;
        fig.layers.push(Layer::Line {
            x: im.to_vec(),
            y: coverage.to_vec(),
            color: palette::BLUE,
            width: 3,
            dashed: false,
            label: Some("Coverage".into()),
        });
        if let Some(x) = summary::number(&run.summary, "margin.initial_margin") {
            let coverage = summary::format_key(&run.summary, "margin.im_coverage", Unit::Percent);
            let label = format!(
                "Scenario IM {} (coverage {coverage})",
                summary::format(x, Unit::UsdCompact)
            );
            fig.layers.push(Layer::VMarker {
                x,
                color: palette::VERMILLION,
                dashed: true,
                label,
            });
        }
        Some(fig)
    }
}
