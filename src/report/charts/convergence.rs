//! Running hedged and unhedged PD estimates against the number of paths, with ±2 SE bands, from
//! the `convergence` table (one row per checkpoint: the first `paths` paths in path order).
//!
//! The x axis is log2 of the path count, so the doubling checkpoints are evenly spaced. Bands are
//! clipped to [0, 1] for display only. Must not: compute estimates or standard errors.

use super::figure::{AxisFormat, Figure, Layer, LegendAt};
use super::{columns, Chart};
use crate::report::style::palette;
use crate::report::RunOutput;

/// Convergence chart.
#[derive(Debug, Clone, Copy, Default)]
pub struct Convergence;

impl Chart for Convergence {
    fn name(&self) -> &str {
        "convergence"
    }

    fn caption(&self) -> &str {
        "Running PD estimates on the first N paths: they settle as N doubles, and the ±2 standard-error bands shrink like 1/√N."
    }

    fn figure(&self, run: &RunOutput) -> Option<Figure> {
        let table = run.table("convergence")?;
        let [paths, hedged, hedged_se, unhedged, unhedged_se] = columns(
            table,
            [
                "paths",
                "hedged_pd",
                "hedged_pd_se",
                "unhedged_pd",
                "unhedged_pd_se",
            ],
        )?;
        // log2 needs a positive count; a table without one has nothing to draw.
        if paths.is_empty() || paths.iter().any(|&n| n < 1.0) {
            return None;
        }
        let x: Vec<f64> = paths.iter().map(|n| n.log2()).collect();
        let mut fig = Figure::new(
            "Convergence of the estimates",
            "Paths used (log scale, first N paths in path order)",
            "PD over the tenor (share of paths)",
            AxisFormat::Log2Count,
            AxisFormat::Percent,
        );
        fig.legend = LegendAt::UpperRight;
        fig.y_include_zero = true;
        let series = [
            (unhedged, unhedged_se, "Unhedged", palette::VERMILLION, true),
            (hedged, hedged_se, "Hedged", palette::BLUE, false),
        ];
        for (pd, se, name, color, _) in series {
            let band = |sign: f64| -> Vec<f64> {
                pd.iter()
                    .zip(se)
                    .map(|(&p, &s)| (p + sign * 2.0 * s).clamp(0.0, 1.0))
                    .collect()
            };
            fig.layers.push(Layer::Band {
                x: x.clone(),
                lower: band(-1.0),
                upper: band(1.0),
                color,
                opacity: 0.18,
                label: format!("{name} ±2 SE"),
            });
        }
        for (pd, _, name, color, dashed) in series {
            fig.layers.push(Layer::Line {
                x: x.clone(),
                y: pd.to_vec(),
                color,
                width: 3,
                dashed,
                label: Some(format!("{name} loan PD")),
            });
            fig.layers.push(Layer::Points {
                x: x.clone(),
                y: pd.to_vec(),
                color,
                label: None,
            });
        }
        Some(fig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Table;

    #[test]
    fn absent_or_incomplete_table_gives_no_figure() {
        let mut run = crate::report::sample::sample_output();
        assert!(Convergence.figure(&run).is_some());
        run.tables.retain(|t| t.name != "convergence");
        assert!(Convergence.figure(&run).is_none());
        run.tables
            .push(Table::new("convergence").with("paths", vec![64.0]));
        assert!(Convergence.figure(&run).is_none());
    }

    #[test]
    fn x_is_log2_of_paths_and_bands_are_two_se_clipped_at_zero() {
        let mut run = crate::report::sample::sample_output();
        run.tables.retain(|t| t.name != "convergence");
        run.tables.push(
            Table::new("convergence")
                .with("paths", vec![64.0, 128.0])
                .with("hedged_pd", vec![0.01, 0.1])
                .with("hedged_pd_se", vec![0.02, 0.01])
                .with("unhedged_pd", vec![0.2, 0.2])
                .with("unhedged_pd_se", vec![0.05, 0.03])
                .with("trader_pnl_mean_usd", vec![0.0, 0.0])
                .with("trader_pnl_se_usd", vec![1.0, 1.0]),
        );
        let fig = Convergence.figure(&run).unwrap();
        let hedged_band = fig
            .layers
            .iter()
            .find_map(|l| match l {
                Layer::Band {
                    x,
                    lower,
                    upper,
                    label,
                    ..
                } if label.starts_with("Hedged") => Some((x, lower, upper)),
                _ => None,
            })
            .unwrap();
        assert_eq!(hedged_band.0, &vec![6.0, 7.0]);
        // 0.01 − 2 × 0.02 < 0 is shown at 0; 0.1 ± 0.02 otherwise.
        assert_eq!(hedged_band.1[0], 0.0);
        assert!((hedged_band.1[1] - 0.08).abs() < 1e-12);
        assert!((hedged_band.2[0] - 0.05).abs() < 1e-12);
        assert!((hedged_band.2[1] - 0.12).abs() < 1e-12);
    }
}
