//! Size distribution of variation-margin calls, from `margin_call_hist`.
//!
//! Marks `margin.call_size_p50` and `margin.call_size_p99` when present. Must not: count calls.

use super::figure::{AxisFormat, Figure, Layer, LegendAt};
use super::{bin_rects, columns, Chart};
use crate::report::style::palette;
use crate::report::summary::{self, Unit};
use crate::report::RunOutput;

/// Margin-call size histogram.
#[derive(Debug, Clone, Copy, Default)]
pub struct MarginCalls;

impl Chart for MarginCalls {
    fn name(&self) -> &str {
        "margin_call_sizes"
    }

    fn caption(&self) -> &str {
        "Size of each variation-margin call over all paths (above threshold plus minimum transfer amount)."
    }

    fn figure(&self, run: &RunOutput) -> Option<Figure> {
        let hist = run.table("margin_call_hist")?;
        let [lower, upper, count] = columns(hist, ["lower_usd", "upper_usd", "count"])?;
        let mut fig = Figure::new(
            "Variation margin calls by size",
            "Call size (USD)",
            "Calls (all paths)",
            AxisFormat::Usd,
            AxisFormat::Number,
        );
        fig.y_include_zero = true;
        fig.legend = LegendAt::UpperRight;
        fig.layers.push(Layer::Bars {
            rects: bin_rects(lower, upper, count),
            color: palette::SKY_BLUE,
            opacity: 0.7,
            label: Some("Calls per size bin".into()),
        });
        for (key, what, color, dashed) in [
            ("call_size_p50", "Median call", palette::BLUE, false),
            ("call_size_p99", "P99 call", palette::VERMILLION, true),
        ] {
            if let Some(x) = summary::number(&run.summary, &format!("margin.{key}")) {
                let label = format!("{what}: {}", summary::format(x, Unit::UsdCompact));
                fig.layers.push(Layer::VMarker {
                    x,
                    color,
                    dashed,
                    label,
                });
            }
        }
        Some(fig)
    }
}
