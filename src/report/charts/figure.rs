//! A backend-neutral description of one chart: axes, formats and drawable layers.
//!
//! Chart files map table columns onto a [`Figure`]; `render` draws it to PNG and SVG. Must not:
//! compute statistics — every coordinate here is a table or summary value, or a layout offset.

use plotters::style::RGBColor;

/// How tick labels on an axis are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxisFormat {
    /// Plain number with up to three significant decimals.
    Number,
    /// Fraction shown as a percentage (`0.25` → `25%`).
    Percent,
    /// US dollars, compact (`$1.2m`).
    Usd,
    /// $/GPU-hour (`$2.10`).
    UsdPerGpuHour,
    /// Only integer ticks are labelled (years).
    Integer,
    /// Integer ticks labelled `L<n>` (seed-000 layers).
    Layer,
    /// Days since close shown as years (`365` → `1.0y`).
    DaysAsYears,
    /// The axis holds log2 of a count (a log scale); integer ticks are labelled with the count
    /// (`6` → `64`, `14` → `16,384`).
    Log2Count,
}

/// Where the legend sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegendAt {
    /// Upper left corner of the plot area.
    UpperLeft,
    /// Upper right corner of the plot area.
    UpperRight,
    /// Lower left corner of the plot area.
    LowerLeft,
    /// Lower right corner of the plot area.
    LowerRight,
}

/// One drawable element group; `label` (when set) adds a legend entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Layer {
    /// A filled band between `lower` and `upper` at each `x`.
    Band {
        x: Vec<f64>,
        lower: Vec<f64>,
        upper: Vec<f64>,
        color: RGBColor,
        opacity: f64,
        label: String,
    },
    /// A polyline.
    Line {
        x: Vec<f64>,
        y: Vec<f64>,
        color: RGBColor,
        width: u32,
        dashed: bool,
        label: Option<String>,
    },
    /// Filled rectangles `(x0, x1, y0, y1)`.
    Bars {
        rects: Vec<(f64, f64, f64, f64)>,
        color: RGBColor,
        opacity: f64,
        label: Option<String>,
    },
    /// Vertical error bars `(x, lower, centre, upper)`.
    ErrorBars {
        bars: Vec<(f64, f64, f64, f64)>,
        color: RGBColor,
        label: Option<String>,
    },
    /// Filled circles.
    Points {
        x: Vec<f64>,
        y: Vec<f64>,
        color: RGBColor,
        label: Option<String>,
    },
    /// A full-height vertical marker line at `x`.
    VMarker {
        x: f64,
        color: RGBColor,
        dashed: bool,
        label: String,
    },
    /// A full-width horizontal reference line at `y`.
    HMarker {
        y: f64,
        color: RGBColor,
        label: Option<String>,
    },
    /// A text note in the upper left corner of the plot area (below the legend if that is there).
    Note { text: String },
}

/// Everything needed to draw one chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Chart title.
    pub title: String,
    /// X axis description, with units.
    pub x_label: String,
    /// Y axis description, with units.
    pub y_label: String,
    /// X tick format.
    pub x_format: AxisFormat,
    /// Y tick format.
    pub y_format: AxisFormat,
    /// Legend position.
    pub legend: LegendAt,
    /// Upper end of the visible y range when a dominant bar would flatten the rest; taller bars
    /// are clipped (the chart says so in a [`Layer::Note`]).
    pub y_cap: Option<f64>,
    /// Whether y = 0 must be inside the visible range.
    pub y_include_zero: bool,
    /// Drawn in order (first = bottom).
    pub layers: Vec<Layer>,
}

impl Layer {
    /// Whether this layer adds a legend entry.
    pub fn has_legend(&self) -> bool {
        match self {
            Layer::Band { .. } | Layer::VMarker { .. } => true,
            Layer::Line { label, .. }
            | Layer::Bars { label, .. }
            | Layer::ErrorBars { label, .. }
            | Layer::Points { label, .. }
            | Layer::HMarker { label, .. } => label.is_some(),
            Layer::Note { .. } => false,
        }
    }
}

impl Figure {
    /// An empty figure with these texts and formats (legend upper right, zero not forced).
    pub fn new(
        title: &str,
        x_label: &str,
        y_label: &str,
        x_format: AxisFormat,
        y_format: AxisFormat,
    ) -> Self {
        Self {
            title: title.to_string(),
            x_label: x_label.to_string(),
            y_label: y_label.to_string(),
            x_format,
            y_format,
            legend: LegendAt::UpperRight,
            y_cap: None,
            y_include_zero: false,
            layers: Vec::new(),
        }
    }

    /// Visible (x, y) ranges: the data extent padded by 4 % (markers included).
    pub fn ranges(&self) -> ((f64, f64), (f64, f64)) {
        let mut xs = Extent::default();
        let mut ys = Extent::default();
        for layer in &self.layers {
            match layer {
                Layer::Band {
                    x, lower, upper, ..
                } => {
                    xs.add_all(x);
                    ys.add_all(lower);
                    ys.add_all(upper);
                }
                Layer::Line { x, y, .. } | Layer::Points { x, y, .. } => {
                    xs.add_all(x);
                    ys.add_all(y);
                }
                Layer::Bars { rects, .. } => {
                    for &(x0, x1, y0, y1) in rects {
                        xs.add_all(&[x0, x1]);
                        ys.add_all(&[y0, y1]);
                    }
                }
                Layer::ErrorBars { bars, .. } => {
                    for &(x, lo, mid, hi) in bars {
                        xs.add(x);
                        ys.add_all(&[lo, mid, hi]);
                    }
                }
                Layer::VMarker { x, .. } => xs.add(*x),
                Layer::HMarker { y, .. } => ys.add(*y),
                Layer::Note { .. } => {}
            }
        }
        if self.y_include_zero {
            ys.add(0.0);
        }
        if let Some(cap) = self.y_cap {
            ys.hi = ys.hi.min(cap);
        }
        (xs.padded(0.02), ys.padded(0.06))
    }
}

#[derive(Debug, Clone, Copy)]
struct Extent {
    lo: f64,
    hi: f64,
}

impl Default for Extent {
    fn default() -> Self {
        Self {
            lo: f64::INFINITY,
            hi: f64::NEG_INFINITY,
        }
    }
}

impl Extent {
    fn add(&mut self, v: f64) {
        if v.is_finite() {
            self.lo = self.lo.min(v);
            self.hi = self.hi.max(v);
        }
    }
    fn add_all(&mut self, vs: &[f64]) {
        vs.iter().for_each(|&v| self.add(v));
    }
    fn padded(self, share: f64) -> (f64, f64) {
        if !(self.lo.is_finite() && self.hi.is_finite()) {
            return (0.0, 1.0);
        }
        let span = self.hi - self.lo;
        let pad = if span > 0.0 {
            span * share
        } else {
            self.hi.abs().max(1.0) * 0.5
        };
        (self.lo - pad, self.hi + pad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_all_layers_with_padding() {
        let mut f = Figure::new("t", "x", "y", AxisFormat::Number, AxisFormat::Number);
        f.layers.push(Layer::Line {
            x: vec![0.0, 10.0],
            y: vec![1.0, 2.0],
            color: RGBColor(0, 0, 0),
            width: 1,
            dashed: false,
            label: None,
        });
        f.layers.push(Layer::VMarker {
            x: 20.0,
            color: RGBColor(0, 0, 0),
            dashed: false,
            label: "m".into(),
        });
        let ((x0, x1), (y0, y1)) = f.ranges();
        assert!((x0 - (-0.4)).abs() < 1e-12 && (x1 - 20.4).abs() < 1e-12);
        assert!((y0 - 0.94).abs() < 1e-12 && (y1 - 2.06).abs() < 1e-12);
        f.y_include_zero = true;
        assert!(f.ranges().1 .0 < 0.0);
    }

    #[test]
    fn degenerate_ranges_are_widened() {
        let f = Figure::new("t", "x", "y", AxisFormat::Number, AxisFormat::Number);
        assert_eq!(f.ranges(), ((0.0, 1.0), (0.0, 1.0)));
    }
}
