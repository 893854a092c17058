//! Draws a [`Figure`] with plotters onto any backend; writes PNG and SVG files.
//!
//! Owns axis styling, legends and tick formatting so every chart looks the same. Must not: know
//! which table a figure came from or compute anything beyond display ranges.

use std::path::Path;

use plotters::chart::SeriesAnno;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::figure::{AxisFormat, Figure, Layer, LegendAt};
use crate::report::style::{self, palette, FONT_FAMILY};

/// Writes `<stem>.png` and `<stem>.svg` of `figure` into `dir`.
pub fn write_png_and_svg(figure: &Figure, dir: &Path, stem: &str) -> Result<(), String> {
    if !style::ensure_font() {
        return Err("the embedded font could not be registered".to_string());
    }
    let png = dir.join(format!("{stem}.png"));
    let svg = dir.join(format!("{stem}.svg"));
    draw(
        BitMapBackend::new(&png, style::CHART_SIZE).into_drawing_area(),
        figure,
    )?;
    draw(
        SVGBackend::new(&svg, style::CHART_SIZE).into_drawing_area(),
        figure,
    )?;
    Ok(())
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Draws the figure onto a drawing area and presents it.
pub fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    figure: &Figure,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let ((x0, x1), (y0, y1)) = figure.ranges();
    let mut chart = ChartBuilder::on(&root)
        .caption(
            &figure.title,
            (FONT_FAMILY, style::TITLE_PX)
                .into_font()
                .color(&palette::INK),
        )
        .margin(24)
        .x_label_area_size(64)
        .y_label_area_size(110)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;
    let x_fmt = |v: &f64| tick(*v, figure.x_format);
    let y_fmt = |v: &f64| tick(*v, figure.y_format);
    chart
        .configure_mesh()
        .x_desc(figure.x_label.as_str())
        .y_desc(figure.y_label.as_str())
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_labels(x_label_count(figure.x_format, x0, x1))
        .y_labels(10)
        .axis_desc_style(
            (FONT_FAMILY, style::AXIS_DESC_PX)
                .into_font()
                .color(&palette::INK),
        )
        .label_style(
            (FONT_FAMILY, style::TICK_PX)
                .into_font()
                .color(&palette::INK),
        )
        .light_line_style(palette::GRID_LIGHT)
        .bold_line_style(palette::GRID_BOLD)
        .axis_style(palette::INK)
        .draw()
        .map_err(err)?;

    let mut notes = Vec::new();
    let mut has_legend = false;
    for layer in &figure.layers {
        match layer {
            Layer::Band {
                x,
                lower,
                upper,
                color,
                opacity,
                label,
            } => {
                let mut outline: Vec<(f64, f64)> =
                    x.iter().copied().zip(upper.iter().copied()).collect();
                outline.extend(x.iter().copied().zip(lower.iter().copied()).rev());
                let fill = color.mix(*opacity).filled();
                chart
                    .draw_series(std::iter::once(Polygon::new(outline, fill)))
                    .map_err(err)?
                    .label(label.as_str())
                    .legend(move |(x, y)| Rectangle::new([(x, y - 7), (x + 24, y + 7)], fill));
                has_legend = true;
            }
            Layer::Line {
                x,
                y,
                color,
                width,
                dashed,
                label,
            } => {
                let stroke = color.stroke_width(*width);
                let points: Vec<(f64, f64)> = x.iter().copied().zip(y.iter().copied()).collect();
                let anno = if *dashed {
                    chart
                        .draw_series(DashedLineSeries::new(points, 10, 6, stroke))
                        .map_err(err)?
                } else {
                    chart
                        .draw_series(LineSeries::new(points, stroke))
                        .map_err(err)?
                };
                if let Some(label) = label {
                    anno.label(label.as_str());
                    legend_line(anno, stroke, *dashed);
                    has_legend = true;
                }
            }
            Layer::Bars {
                rects,
                color,
                opacity,
                label,
            } => {
                let fill = color.mix(*opacity).filled();
                let edge = color.stroke_width(1);
                let y_top = y1;
                let anno = chart
                    .draw_series(rects.iter().map(|&(a, b, lo, hi)| {
                        Rectangle::new([(a, lo.max(y0)), (b, hi.min(y_top))], fill)
                    }))
                    .map_err(err)?;
                if let Some(label) = label {
                    anno.label(label.as_str())
                        .legend(move |(x, y)| Rectangle::new([(x, y - 7), (x + 24, y + 7)], fill));
                    has_legend = true;
                }
                chart
                    .draw_series(rects.iter().map(|&(a, b, lo, hi)| {
                        Rectangle::new([(a, lo.max(y0)), (b, hi.min(y_top))], edge)
                    }))
                    .map_err(err)?;
            }
            Layer::ErrorBars { bars, color, label } => {
                let stroke = color.stroke_width(2);
                // Whisker: vertical line plus end caps (the `errorbar` feature is not enabled).
                let cap = (x1 - x0) * 0.006;
                let anno = chart
                    .draw_series(bars.iter().flat_map(|&(x, lo, _mid, hi)| {
                        [
                            PathElement::new(vec![(x, lo), (x, hi)], stroke),
                            PathElement::new(vec![(x - cap, lo), (x + cap, lo)], stroke),
                            PathElement::new(vec![(x - cap, hi), (x + cap, hi)], stroke),
                        ]
                    }))
                    .map_err(err)?;
                if let Some(label) = label {
                    anno.label(label.as_str()).legend(move |(x, y)| {
                        PathElement::new(vec![(x + 12, y - 8), (x + 12, y + 8)], stroke)
                    });
                    has_legend = true;
                }
            }
            Layer::Points { x, y, color, label } => {
                let fill = color.filled();
                let anno = chart
                    .draw_series(x.iter().zip(y).map(|(&a, &b)| Circle::new((a, b), 5, fill)))
                    .map_err(err)?;
                if let Some(label) = label {
                    anno.label(label.as_str())
                        .legend(move |(x, y)| Circle::new((x + 12, y), 5, fill));
                    has_legend = true;
                }
            }
            Layer::VMarker {
                x,
                color,
                dashed,
                label,
            } => {
                let stroke = color.stroke_width(3);
                let points = vec![(*x, y0), (*x, y1)];
                let anno = if *dashed {
                    chart
                        .draw_series(DashedLineSeries::new(points, 12, 6, stroke))
                        .map_err(err)?
                } else {
                    chart
                        .draw_series(LineSeries::new(points, stroke))
                        .map_err(err)?
                };
                anno.label(label.as_str());
                legend_line(anno, stroke, *dashed);
                has_legend = true;
            }
            Layer::HMarker { y, color, label } => {
                let stroke = color.stroke_width(2);
                let anno = chart
                    .draw_series(LineSeries::new(vec![(x0, *y), (x1, *y)], stroke))
                    .map_err(err)?;
                if let Some(label) = label {
                    anno.label(label.as_str())
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], stroke));
                    has_legend = true;
                }
            }
            Layer::Note { text } => notes.push(text.clone()),
        }
    }
    if has_legend {
        let position = match figure.legend {
            LegendAt::UpperLeft => SeriesLabelPosition::UpperLeft,
            LegendAt::UpperRight => SeriesLabelPosition::UpperRight,
            LegendAt::LowerLeft => SeriesLabelPosition::LowerLeft,
            LegendAt::LowerRight => SeriesLabelPosition::LowerRight,
        };
        chart
            .configure_series_labels()
            .position(position)
            .margin(12)
            .legend_area_size(34)
            .background_style(WHITE.mix(0.92))
            .border_style(palette::GRID_BOLD)
            .label_font(
                (FONT_FAMILY, style::LEGEND_PX)
                    .into_font()
                    .color(&palette::INK),
            )
            .draw()
            .map_err(err)?;
    }
    if !notes.is_empty() {
        draw_notes(&root, &chart, figure, &notes)?;
    }
    root.present().map_err(err)
}

/// Tick count: every integer for layer/year axes (up to 30), else about 12.
fn x_label_count(format: AxisFormat, x0: f64, x1: f64) -> usize {
    match format {
        AxisFormat::Integer | AxisFormat::Layer | AxisFormat::Log2Count => {
            ((x1 - x0).ceil() as usize + 1).clamp(2, 30)
        }
        _ => 12,
    }
}

/// Legend entry for a line: one segment, or two short ones when the line is dashed.
fn legend_line<'a, DB: DrawingBackend + 'a>(
    anno: &mut SeriesAnno<'a, DB>,
    stroke: ShapeStyle,
    dashed: bool,
) {
    if dashed {
        anno.legend(move |(x, y)| {
            EmptyElement::at((x, y))
                + PathElement::new(vec![(0, 0), (9, 0)], stroke)
                + PathElement::new(vec![(15, 0), (24, 0)], stroke)
        });
    } else {
        anno.legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], stroke));
    }
}

/// Notes go on the legend's side, below the legend, on a white box so bars never hide them.
fn draw_notes<DB: DrawingBackend, CT: CoordTranslate>(
    root: &DrawingArea<DB, Shift>,
    chart: &ChartContext<'_, DB, CT>,
    figure: &Figure,
    notes: &[String],
) -> Result<(), String> {
    let (px, py) = chart.plotting_area().get_pixel_range();
    let font = (FONT_FAMILY, style::LEGEND_PX)
        .into_font()
        .color(&palette::INK);
    let legend_rows = figure.layers.iter().filter(|l| l.has_legend()).count() as i32;
    let row_px = style::LEGEND_PX as i32 + 5;
    let right = matches!(figure.legend, LegendAt::UpperRight | LegendAt::LowerRight);
    let mut y = if matches!(figure.legend, LegendAt::UpperLeft | LegendAt::UpperRight) {
        py.start + 12 + legend_rows * row_px + 24
    } else {
        py.start + 12
    };
    for note in notes {
        let (w, h) = root.estimate_text_size(note, &font).map_err(err)?;
        let (w, h) = (w as i32, h as i32);
        let x = if right {
            px.end - 12 - w - 8
        } else {
            px.start + 12
        };
        root.draw(&Rectangle::new(
            [(x - 6, y - 4), (x + w + 6, y + h + 4)],
            WHITE.filled(),
        ))
        .map_err(err)?;
        root.draw(&Text::new(note.clone(), (x, y), font.clone()))
            .map_err(err)?;
        y += h + 12;
    }
    Ok(())
}

/// A tick label in the axis format.
pub fn tick(v: f64, format: AxisFormat) -> String {
    let near_int = (v - v.round()).abs() < 1e-6;
    match format {
        AxisFormat::Number => trim(format!("{v:.3}")),
        AxisFormat::Percent => trim(format!("{:.2}", v * 100.0)) + "%",
        AxisFormat::Usd => {
            crate::report::summary::format(v, crate::report::summary::Unit::UsdCompact)
        }
        AxisFormat::UsdPerGpuHour => format!("${v:.2}"),
        AxisFormat::Integer if near_int => format!("{:.0}", v.round()),
        AxisFormat::Layer if near_int && v >= -0.5 => format!("L{:.0}", v.round()),
        AxisFormat::Log2Count if near_int && (0.0..=52.0).contains(&v) => {
            crate::report::summary::format(v.round().exp2(), crate::report::summary::Unit::Integer)
        }
        AxisFormat::Integer | AxisFormat::Layer | AxisFormat::Log2Count => String::new(),
        AxisFormat::DaysAsYears => trim(format!("{:.2}", v / 365.0)) + "y",
    }
}

fn trim(s: String) -> String {
    if s.contains('.') {
        let t = s.trim_end_matches('0').trim_end_matches('.');
        if t == "-0" {
            "0".to_string()
        } else {
            t.to_string()
        }
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_follow_their_format() {
        assert_eq!(tick(0.25, AxisFormat::Percent), "25%");
        assert_eq!(tick(0.125, AxisFormat::Percent), "12.5%");
        assert_eq!(tick(3.0, AxisFormat::Integer), "3");
        assert_eq!(tick(2.5, AxisFormat::Integer), "");
        assert_eq!(tick(7.0, AxisFormat::Layer), "L7");
        assert_eq!(tick(730.0, AxisFormat::DaysAsYears), "2y");
        assert_eq!(tick(1.5, AxisFormat::Number), "1.5");
        assert_eq!(tick(-0.0001, AxisFormat::Number), "0");
        assert_eq!(tick(2_000_000.0, AxisFormat::Usd), "$2.0m");
        assert_eq!(tick(6.0, AxisFormat::Log2Count), "64");
        assert_eq!(tick(14.0, AxisFormat::Log2Count), "16,384");
        assert_eq!(tick(6.5, AxisFormat::Log2Count), "");
    }
}
