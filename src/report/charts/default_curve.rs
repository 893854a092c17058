//! Cumulative probability of default over time, hedged vs unhedged loan on the same paths.
//!
//! Draws `periods.cum_default_hedged` / `cum_default_unhedged` against `day`. Must not: count
//! defaults.

use super::figure::{AxisFormat, Figure, Layer, LegendAt};
use super::{columns, days_to_years, Chart};
use crate::report::style::palette;
use crate::report::RunOutput;

/// Cumulative default curves.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultCurve;

impl Chart for DefaultCurve {
    fn name(&self) -> &str {
        "default_curve"
    }

    fn caption(&self) -> &str {
        "Share of paths on which the loan has defaulted by each date, with and without the tenancy swap (same random paths)."
    }

    fn figure(&self, run: &RunOutput) -> Option<Figure> {
        let periods = run.table("periods")?;
        let [day, hedged, unhedged] = columns(
            periods,
            ["day", "cum_default_hedged", "cum_default_unhedged"],
        )?;
        let x = days_to_years(day);
        let mut fig = Figure::new(
            "Cumulative probability of default",
            "Years since financial close",
            "Cumulative PD (share of paths)",
            AxisFormat::Number,
            AxisFormat::Percent,
        );
        fig.legend = LegendAt::UpperLeft;
        fig.y_include_zero = true;
        fig.layers.push(Layer::Line {
            x: x.clone(),
            y: unhedged.to_vec(),
            color: palette::VERMILLION,
            width: 3,
            dashed: true,
            label: Some("Unhedged loan".into()),
        });
        fig.layers.push(Layer::Line {
            x,
            y: hedged.to_vec(),
            color: palette::BLUE,
            width: 3,
            dashed: false,
            label: Some("Hedged loan (with tenancy swap)".into()),
        });
        Some(fig)
    }
}
