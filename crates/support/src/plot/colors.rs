//! The colours every picture shares: one per class, one per curve, and the
//! shading of a probability of class 1. Kept apart so that the boundary,
//! embedding and map pictures agree on them.

use plotters::prelude::*;

/// Colour of each class's points (class 0 blue, class 1 red).
pub const CLASS_COLORS: [RGBColor; 2] = [RGBColor(31, 100, 180), RGBColor(200, 40, 40)];

/// Colours of the series of [`plot_curves`], in order (then repeated).
///
/// [`plot_curves`]: super::plot_curves
pub const SERIES_COLORS: [RGBColor; 6] = [
    RGBColor(31, 100, 180),
    RGBColor(220, 100, 20),
    RGBColor(40, 150, 60),
    RGBColor(200, 40, 40),
    RGBColor(130, 80, 180),
    RGBColor(110, 110, 110),
];

/// Background shade for a probability of class 1: light blue at 0, white
/// at 0.5, light red at 1 (pale enough for the class colours to stand out).
pub fn probability_color(p: f64) -> RGBColor {
    let p = if p.is_finite() {
        p.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let (lo, hi) = ([150.0, 190.0, 235.0], [245.0, 160.0, 150.0]);
    let (end, t) = if p < 0.5 {
        (lo, 1.0 - 2.0 * p)
    } else {
        (hi, 2.0 * p - 1.0)
    };
    let mix = |k: usize| (255.0 + (end[k] - 255.0) * t).round() as u8;
    RGBColor(mix(0), mix(1), mix(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probability_colors_run_from_blue_through_white_to_red() {
        assert_eq!(probability_color(0.5), RGBColor(255, 255, 255));
        let (b, r) = (probability_color(0.0), probability_color(1.0));
        assert!(b.2 > b.0 && r.0 > r.2);
        assert_eq!(probability_color(f64::NAN), RGBColor(255, 255, 255));
    }
}
