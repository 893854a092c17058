//! Minimum DSCR per path, hedged vs unhedged, from `dscr_hist`.
//!
//! Marks DSCR = 1.0 and, when present, `loan.hedged.dscr_min_p5` / `dscr_min_p50`. Must not:
//! compute percentiles.

use super::figure::{AxisFormat, Figure, Layer, LegendAt};
use super::{columns, push_hedged_unhedged_bars, Chart};
use crate::report::style::palette;
use crate::report::summary::{self, Unit};
use crate::report::RunOutput;

/// Minimum-DSCR distribution chart.
#[derive(Debug, Clone, Copy, Default)]
pub struct MinDscrDistribution;

impl Chart for MinDscrDistribution {
    fn name(&self) -> &str {
        "min_dscr_distribution"
    }

    fn caption(&self) -> &str {
        "Lowest debt service coverage ratio each path reaches over the tenor; left of 1.0 the SPV cannot pay from operations."
    }

    fn figure(&self, run: &RunOutput) -> Option<Figure> {
        let hist = run.table("dscr_hist")?;
        let [lower, upper, hedged, unhedged] =
            columns(hist, ["lower", "upper", "hedged_count", "unhedged_count"])?;
        let mut fig = Figure::new(
            "Minimum DSCR per path: hedged vs unhedged",
            "Minimum DSCR over the tenor (ratio)",
            "Paths",
            AxisFormat::Number,
            AxisFormat::Number,
        );
        fig.y_include_zero = true;
        fig.legend = LegendAt::UpperRight;
        push_hedged_unhedged_bars(&mut fig, lower, upper, hedged, unhedged);
        fig.layers.push(Layer::VMarker {
            x: 1.0,
            color: palette::INK,
            dashed: false,
            label: "DSCR = 1.0".into(),
        });
        for (key, what, dashed) in [("dscr_min_p5", "P5", true), ("dscr_min_p50", "P50", false)] {
            if let Some(x) = summary::number(&run.summary, &format!("loan.hedged.{key}")) {
                let label = format!("Hedged {what}: {}", summary::format(x, Unit::Ratio));
                fig.layers.push(Layer::VMarker {
                    x,
                    color: palette::GREEN,
                    dashed,
                    label,
                });
            }
        }
        Some(fig)
    }
}
