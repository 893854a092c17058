//! The swap trader's P&L per path over the life of the swap, from `trader_pnl_hist`.
//!
//! Marks `trader.pnl_mean`, `trader.pnl_p01` and `-trader.es_975` (ES is reported as a positive
//! loss, so it sits at minus its value on the P&L axis). Must not: compute them.

use super::figure::{AxisFormat, Figure, Layer, LegendAt};
use super::{bin_rects, columns, Chart};
use crate::report::style::palette;
use crate::report::summary::{self, Unit};
use crate::report::RunOutput;

/// Trader P&L distribution chart.
#[derive(Debug, Clone, Copy, Default)]
pub struct TraderPnl;

impl Chart for TraderPnl {
    fn name(&self) -> &str {
        "trader_pnl_distribution"
    }

    fn caption(&self) -> &str {
        "Swap counterparty's P&L per path (fixed leg paid, variable leg received, collateral yield); markers from summary.json."
    }

    fn figure(&self, run: &RunOutput) -> Option<Figure> {
        let hist = run.table("trader_pnl_hist")?;
        let [lower, upper, count] = columns(hist, ["lower_usd", "upper_usd", "count"])?;
        let mut fig = Figure::new(
            "Trader P&L distribution",
            "P&L per path (USD, + = gain to the trader)",
            "Paths",
            AxisFormat::Usd,
            AxisFormat::Number,
        );
        fig.y_include_zero = true;
        fig.legend = LegendAt::UpperLeft;
        fig.layers.push(Layer::Bars {
            rects: bin_rects(lower, upper, count),
            color: palette::GREEN,
            opacity: 0.55,
            label: Some("Paths per P&L bin".into()),
        });
        let s = &run.summary;
        if let Some(x) = summary::number(s, "trader.pnl_mean") {
            let label = format!("Mean: {}", summary::format(x, Unit::UsdCompact));
            fig.layers.push(Layer::VMarker {
                x,
                color: palette::INK,
                dashed: false,
                label,
            });
        }
        if let Some(x) = summary::number(s, "trader.pnl_p01") {
            let label = format!("P1: {}", summary::format(x, Unit::UsdCompact));
            fig.layers.push(Layer::VMarker {
                x,
                color: palette::ORANGE,
                dashed: true,
                label,
            });
        }
        if let Some(es) = summary::number(s, "trader.es_975") {
            let label = format!("ES 97.5%: loss {}", summary::format(es, Unit::UsdCompact));
            fig.layers.push(Layer::VMarker {
                x: -es,
                color: palette::VERMILLION,
                dashed: false,
                label,
            });
        }
        Some(fig)
    }
}
