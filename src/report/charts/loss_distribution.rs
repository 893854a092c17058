//! Loan loss per path, hedged vs unhedged, with credit VaR 99 % / 99.9 % and ES markers.
//!
//! Draws `loss_hist` and marks `loan.{hedged,unhedged}.credit_var_99`, `credit_var_999` and
//! (when the summary has them) `credit_es_99`, `credit_es_999` from the summary. Must not:
//! compute VaR or ES.

use super::figure::{AxisFormat, Figure, Layer, LegendAt};
use super::{columns, push_hedged_unhedged_bars, Chart};
use crate::report::style::palette;
use crate::report::summary::{self, Unit};
use crate::report::RunOutput;

/// Loss distribution chart.
#[derive(Debug, Clone, Copy, Default)]
pub struct LossDistribution;

impl Chart for LossDistribution {
    fn name(&self) -> &str {
        "loss_distribution"
    }

    fn caption(&self) -> &str {
        "Lender's loss per path (EAD minus recoveries); vertical lines mark credit VaR and expected shortfall from summary.json."
    }

    fn figure(&self, run: &RunOutput) -> Option<Figure> {
        let hist = run.table("loss_hist")?;
        let [lower, upper, hedged, unhedged] = columns(
            hist,
            ["lower_usd", "upper_usd", "hedged_count", "unhedged_count"],
        )?;
        let mut fig = Figure::new(
            "Loan loss distribution: hedged vs unhedged",
            "Loss per path (USD)",
            "Paths",
            AxisFormat::Usd,
            AxisFormat::Number,
        );
        fig.y_include_zero = true;
        fig.legend = LegendAt::UpperRight;
        let clipped = clip_dominant_first_bin(&mut fig, hedged, unhedged);
        push_hedged_unhedged_bars(&mut fig, lower, upper, hedged, unhedged);
        let markers = [
            ("hedged", "credit_var_99", "VaR 99%", palette::BLUE, true),
            (
                "hedged",
                "credit_var_999",
                "VaR 99.9%",
                palette::BLUE,
                false,
            ),
            ("hedged", "credit_es_99", "ES 99%", palette::SKY_BLUE, false),
            (
                "unhedged",
                "credit_var_99",
                "VaR 99%",
                palette::VERMILLION,
                true,
            ),
            (
                "unhedged",
                "credit_var_999",
                "VaR 99.9%",
                palette::VERMILLION,
                false,
            ),
            ("unhedged", "credit_es_99", "ES 99%", palette::PURPLE, false),
        ];
        for (side, key, what, color, dashed) in markers {
            if let Some(x) = summary::number(&run.summary, &format!("loan.{side}.{key}")) {
                let label = format!("{what} {side}: {}", summary::format(x, Unit::UsdCompact));
                fig.layers.push(Layer::VMarker {
                    x,
                    color,
                    dashed,
                    label,
                });
            }
        }
        if let Some((h, u)) = clipped {
            fig.layers.push(Layer::Note {
                text: format!("First bar clipped: {h:.0} hedged / {u:.0} unhedged paths"),
            });
        }
        Some(fig)
    }
}

/// When the first bin (no loss) dwarfs the rest, caps the y axis so the tail stays visible;
/// returns the clipped counts.
pub(crate) fn clip_dominant_first_bin(
    fig: &mut Figure,
    a: &[f64],
    b: &[f64],
) -> Option<(f64, f64)> {
    let first = a.first()?.max(*b.first()?);
    let rest_max = a[1..].iter().chain(&b[1..]).fold(0.0_f64, |m, &v| m.max(v));
    if rest_max > 0.0 && first > 4.0 * rest_max {
        fig.y_cap = Some(1.3 * rest_max);
        Some((a[0], b[0]))
    } else {
        None
    }
}
