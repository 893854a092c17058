//! Layer attribution: each seed-000 layer's contribution to loan PD (hedged and unhedged), with
//! ±2 SE whiskers, from `attribution`.
//!
//! Must not: rerun scenarios or difference results — the deltas come from `metrics`.

use super::figure::{AxisFormat, Figure, Layer, LegendAt};
use super::{columns, Chart};
use crate::report::style::palette;
use crate::report::RunOutput;

/// Layer attribution bars.
#[derive(Debug, Clone, Copy, Default)]
pub struct LayerAttribution;

/// Bar width in layer units; hedged and unhedged bars sit side by side.
const BAR: f64 = 0.36;

impl Chart for LayerAttribution {
    fn name(&self) -> &str {
        "layer_attribution"
    }

    fn caption(&self) -> &str {
        "Change in loan PD when each layer's shocks are switched on (same random numbers); whiskers ±2 standard errors."
    }

    fn figure(&self, run: &RunOutput) -> Option<Figure> {
        let table = run.table("attribution")?;
        let [layer, hedged, unhedged] =
            columns(table, ["layer", "hedged_pd_delta", "unhedged_pd_delta"])?;
        let mut fig = Figure::new(
            "Layer attribution of loan PD",
            "Layer of the layered basis-risk model",
            "Change in PD (share of paths)",
            AxisFormat::Layer,
            AxisFormat::Percent,
        );
        fig.y_include_zero = true;
        fig.legend = LegendAt::UpperRight;
        for (values, column, offset, color, label) in [
            (
                unhedged,
                "unhedged_pd_delta",
                -BAR / 2.0,
                palette::VERMILLION,
                "Unhedged loan",
            ),
            (
                hedged,
                "hedged_pd_delta",
                BAR / 2.0,
                palette::BLUE,
                "Hedged loan",
            ),
        ] {
            let centres: Vec<f64> = layer.iter().map(|l| l + offset).collect();
            let rects = centres
                .iter()
                .zip(values)
                .map(|(&c, &v)| (c - BAR / 2.0, c + BAR / 2.0, 0.0, v))
                .collect();
            fig.layers.push(Layer::Bars {
                rects,
                color,
                opacity: 0.8,
                label: Some(label.into()),
            });
            if let Some(se) = table.column(&format!("{column}_se")) {
                let bars = centres
                    .iter()
                    .zip(values)
                    .zip(se)
                    .map(|((&c, &v), &s)| (c, v - 2.0 * s, v, v + 2.0 * s))
                    .collect();
                fig.layers.push(Layer::ErrorBars {
                    bars,
                    color: palette::INK,
                    label: None,
                });
            }
        }
        fig.layers.push(Layer::HMarker {
            y: 0.0,
            color: palette::INK,
            label: None,
        });
        Some(fig)
    }
}
