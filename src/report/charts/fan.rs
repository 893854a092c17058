//! Fan charts of a `periods` series: P5–P95 and P25–P75 bands, median and mean over time.
//!
//! One [`FanChart`] value per series (price, utilization, DSCR, cash, margin balance). Must
//! not: compute quantiles — it draws the `<series>_p05 … _p95`, `_p50`, `_mean` columns.

use super::figure::{AxisFormat, Figure, Layer, LegendAt};
use super::{columns, days_to_years, Chart};
use crate::report::style::palette;
use crate::report::RunOutput;

/// A fan chart of one series of the `periods` table.
#[derive(Debug, Clone, PartialEq)]
pub struct FanChart {
    /// File stem.
    pub name: &'static str,
    /// Column prefix in `periods` (`price` → `price_p05`, ...).
    pub series: &'static str,
    /// Chart title.
    pub title: &'static str,
    /// Y axis description with units.
    pub y_label: &'static str,
    /// Y tick format.
    pub y_format: AxisFormat,
    /// Caption in report.html.
    pub caption: &'static str,
    /// Draw a reference line at this level (e.g. DSCR 1.0).
    pub reference: Option<(f64, &'static str)>,
}

impl FanChart {
    /// The five fan charts of the report.
    pub fn all() -> Vec<FanChart> {
        vec![
            FanChart {
                name: "price_fan",
                series: "price",
                title: "Reference price: distribution over time",
                y_label: "Reference price ($/GPU-hour)",
                y_format: AxisFormat::UsdPerGpuHour,
                caption: "Reference (index) rental price across paths: bands hold 90 % and 50 % of paths each day.",
                reference: None,
            },
            FanChart {
                name: "utilization_fan",
                series: "utilization",
                title: "Realized utilization: distribution over time",
                y_label: "Utilization (share of reference capacity sold)",
                y_format: AxisFormat::Percent,
                caption: "Share of available GPU-hours sold across paths; the swap's strike utilization caps the hedged slice.",
                reference: None,
            },
            FanChart {
                name: "dscr_fan",
                series: "dscr",
                title: "Debt service coverage ratio over time",
                y_label: "DSCR (cash available / debt service)",
                y_format: AxisFormat::Number,
                caption: "DSCR per payment date across paths; below 1.0 the SPV draws on its DSRA.",
                reference: Some((1.0, "DSCR = 1.0")),
            },
            FanChart {
                name: "cash_fan",
                series: "cash_usd",
                title: "SPV cash balance over time",
                y_label: "Cash (USD)",
                y_format: AxisFormat::Usd,
                caption: "SPV operating cash across paths (hedged structure).",
                reference: None,
            },
            FanChart {
                name: "margin_balance_fan",
                series: "margin_balance_usd",
                title: "Variation margin balance over time",
                y_label: "Margin balance (USD, + = posted by the trader)",
                y_format: AxisFormat::Usd,
                caption: "Variation margin held under the CSA across paths.",
                reference: None,
            },
        ]
    }
}

impl Chart for FanChart {
    fn name(&self) -> &str {
        self.name
    }

    fn caption(&self) -> &str {
        self.caption
    }

    fn figure(&self, run: &RunOutput) -> Option<Figure> {
        let periods = run.table("periods")?;
        let s = self.series;
        let [day, p05, p25, p50, p75, p95, mean] = columns(
            periods,
            [
                "day",
                &format!("{s}_p05"),
                &format!("{s}_p25"),
                &format!("{s}_p50"),
                &format!("{s}_p75"),
                &format!("{s}_p95"),
                &format!("{s}_mean"),
            ],
        )?;
        // Keep only rows where some path has a value (`<series>_paths` > 0, when present).
        let keep: Vec<bool> = match periods.column(&format!("{s}_paths")) {
            Some(n) => n.iter().map(|&c| c > 0.0).collect(),
            None => vec![true; day.len()],
        };
        let pick = |c: &[f64]| -> Vec<f64> {
            c.iter()
                .zip(&keep)
                .filter(|(_, &k)| k)
                .map(|(v, _)| *v)
                .collect()
        };
        let (day, p05, p25, p50, p75, p95, mean) = (
            pick(day),
            pick(p05),
            pick(p25),
            pick(p50),
            pick(p75),
            pick(p95),
            pick(mean),
        );
        if day.is_empty() {
            return None;
        }
        let x = days_to_years(&day);
        let mut fig = Figure::new(
            self.title,
            "Years since financial close",
            self.y_label,
            AxisFormat::Number,
            self.y_format,
        );
        fig.legend = LegendAt::UpperRight;
        fig.layers.push(Layer::Band {
            x: x.clone(),
            lower: p05.to_vec(),
            upper: p95.to_vec(),
            color: palette::SKY_BLUE,
            opacity: 0.28,
            label: "P5–P95".into(),
        });
        fig.layers.push(Layer::Band {
            x: x.clone(),
            lower: p25.to_vec(),
            upper: p75.to_vec(),
            color: palette::BLUE,
            opacity: 0.35,
            label: "P25–P75".into(),
        });
        if let Some((level, label)) = self.reference {
            fig.layers.push(Layer::HMarker {
                y: level,
                color: palette::VERMILLION,
                label: Some(label.into()),
            });
        }
        fig.layers.push(Layer::Line {
            x: x.clone(),
            y: p50.to_vec(),
            color: palette::BLUE,
            width: 3,
            dashed: false,
            label: Some("Median".into()),
        });
        fig.layers.push(Layer::Line {
            x,
            y: mean.to_vec(),
            color: palette::ORANGE,
            width: 3,
            dashed: true,
            label: Some("Mean".into()),
        });
        Some(fig)
    }
}
