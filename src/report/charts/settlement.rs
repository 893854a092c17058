//! Expected net swap settlement to the SPV by year, with P5/P95 whiskers, from
//! `settlement_by_year`.
//!
//! Shows how much of the hedge is timing (SPV pays early, receives late) and how much is
//! protection. Must not: aggregate settlements.

use super::figure::{AxisFormat, Figure, Layer, LegendAt};
use super::{columns, Chart};
use crate::report::style::palette;
use crate::report::RunOutput;

/// Settlement-by-year bars.
#[derive(Debug, Clone, Copy, Default)]
pub struct SettlementByYear;

/// Half the bar width in years.
const HALF_WIDTH: f64 = 0.3;

impl Chart for SettlementByYear {
    fn name(&self) -> &str {
        "settlement_by_year"
    }

    fn caption(&self) -> &str {
        "Net swap settlement to the SPV per loan year (fixed leg minus variable leg): bars are means, whiskers P5–P95 across paths."
    }

    fn figure(&self, run: &RunOutput) -> Option<Figure> {
        let table = run.table("settlement_by_year")?;
        let [year, mean, p05, p95] = columns(table, ["year", "mean_usd", "p05_usd", "p95_usd"])?;
        let mut fig = Figure::new(
            "Net swap settlement to the SPV by year",
            "Loan year",
            "Net settlement (USD, + = trader pays the SPV)",
            AxisFormat::Integer,
            AxisFormat::Usd,
        );
        fig.y_include_zero = true;
        fig.legend = LegendAt::UpperLeft;
        let rects = year
            .iter()
            .zip(mean)
            .map(|(&y, &m)| (y - HALF_WIDTH, y + HALF_WIDTH, 0.0, m))
            .collect();
        fig.layers.push(Layer::Bars {
            rects,
            color: palette::BLUE,
            opacity: 0.75,
            label: Some("Mean".into()),
        });
        fig.layers.push(Layer::HMarker {
            y: 0.0,
            color: palette::INK,
            label: None,
        });
        let bars = year
            .iter()
            .zip(p05)
            .zip(mean)
            .zip(p95)
            .map(|(((&y, &lo), &m), &hi)| (y, lo, m, hi))
            .collect();
        fig.layers.push(Layer::ErrorBars {
            bars,
            color: palette::VERMILLION,
            label: Some("P5–P95".into()),
        });
        Some(fig)
    }
}
