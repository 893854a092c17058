//! Loan PD hedged vs unhedged against the swept scenario key, with ±2 SE bars, from `sweep`.
//!
//! The swept key is the column right after `point` (the first key of the sweep). Must not:
//! compute PDs or standard errors.

use super::figure::{AxisFormat, Figure, Layer, LegendAt};
use super::Chart;
use crate::report::style::palette;
use crate::report::RunOutput;

/// Strike sweep chart.
#[derive(Debug, Clone, Copy, Default)]
pub struct StrikeSweep;

impl Chart for StrikeSweep {
    fn name(&self) -> &str {
        "strike_sweep"
    }

    fn caption(&self) -> &str {
        "Loan PD at each sweep point on common random numbers; bars show ±2 Monte Carlo standard errors."
    }

    fn figure(&self, run: &RunOutput) -> Option<Figure> {
        let table = run.table("sweep")?;
        let (key, x) = table
            .columns
            .get(1)
            .filter(|(n, _)| table.columns[0].0 == "point" && n.as_str() != "loan.hedged.pd")?;
        let mut fig = Figure::new(
            &format!("Loan PD vs {key}"),
            &format!("{key} (swept scenario key)"),
            "PD over the tenor (share of paths)",
            AxisFormat::Number,
            AxisFormat::Percent,
        );
        fig.legend = LegendAt::UpperLeft;
        fig.y_include_zero = true;
        let mut any = false;
        for (metric, label, color, dashed) in [
            ("loan.unhedged.pd", "Unhedged PD", palette::VERMILLION, true),
            ("loan.hedged.pd", "Hedged PD", palette::BLUE, false),
        ] {
            let Some(pd) = table.column(metric) else {
                continue;
            };
            any = true;
            if let Some(se) = table.column(&format!("{metric}_se")) {
                let bars = x
                    .iter()
                    .zip(pd)
                    .zip(se)
                    .map(|((&a, &p), &s)| (a, p - 2.0 * s, p, p + 2.0 * s))
                    .collect();
                fig.layers.push(Layer::ErrorBars {
                    bars,
                    color,
                    label: None,
                });
            }
            fig.layers.push(Layer::Line {
                x: x.clone(),
                y: pd.to_vec(),
                color,
                width: 3,
                dashed,
                label: Some(label.into()),
            });
            fig.layers.push(Layer::Points {
                x: x.clone(),
                y: pd.to_vec(),
                color,
                label: None,
            });
        }
        any.then_some(fig)
    }
}
