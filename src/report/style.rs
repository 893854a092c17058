//! The look of every chart: size, embedded font, colour-blind-safe palette, font sizes.
//!
//! Owns the one-time registration of the embedded DejaVu Sans TTF with plotters (no system
//! fonts are needed). Palette: Okabe & Ito (2008), safe for the common colour-vision
//! deficiencies and distinguishable in greyscale print by lightness. Must not: draw.

use std::sync::OnceLock;

use plotters::style::{register_font, FontStyle, RGBColor};

/// Chart size in pixels (width, height); PNG and SVG share it.
pub const CHART_SIZE: (u32, u32) = (1200, 700);

/// The font family every chart asks for.
pub const FONT_FAMILY: &str = "sans-serif";

/// Title, axis description, tick label and legend font sizes in pixels.
pub const TITLE_PX: u32 = 30;
/// Axis description size in pixels.
pub const AXIS_DESC_PX: u32 = 21;
/// Tick label size in pixels.
pub const TICK_PX: u32 = 17;
/// Legend text size in pixels.
pub const LEGEND_PX: u32 = 17;

static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static FONT_REGISTERED: OnceLock<bool> = OnceLock::new();

/// Registers the embedded font as `sans-serif` once per process; false if the TTF is invalid.
pub fn ensure_font() -> bool {
    *FONT_REGISTERED
        .get_or_init(|| register_font(FONT_FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok())
}

/// Okabe–Ito colours by role.
pub mod palette {
    use super::RGBColor;
    /// Blue: hedged loan, medians, the main series.
    pub const BLUE: RGBColor = RGBColor(0, 114, 178);
    /// Vermillion: unhedged loan, risk markers.
    pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
    /// Sky blue: fan bands.
    pub const SKY_BLUE: RGBColor = RGBColor(86, 180, 233);
    /// Orange: means.
    pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
    /// Bluish green: trader / third series.
    pub const GREEN: RGBColor = RGBColor(0, 158, 115);
    /// Reddish purple: extreme quantile markers.
    pub const PURPLE: RGBColor = RGBColor(204, 121, 167);
    /// Near-black: text and reference lines.
    pub const INK: RGBColor = RGBColor(34, 34, 34);
    /// Light grey: minor grid lines.
    pub const GRID_LIGHT: RGBColor = RGBColor(236, 236, 236);
    /// Mid grey: major grid lines.
    pub const GRID_BOLD: RGBColor = RGBColor(205, 205, 205);
}

#[cfg(test)]
mod tests {
    #[test]
    fn embedded_font_registers() {
        assert!(super::ensure_font());
        assert!(super::ensure_font());
    }
}
