//! What the pictures over the plane share: the rectangle they show
//! ([`Extent`]), the chart and result types of `plotters`, tick labels, the
//! points coloured by class, and the legend put in the corner with the
//! fewest points. The boundary, embedding and map pictures all draw with
//! these; the training curves use the tick labels.

use matrix::MatrixView;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::colors::CLASS_COLORS;

/// A rectangle of the plane, `x.0 < x.1`, `y.0 < y.1`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Extent {
    /// Horizontal range.
    pub x: (f64, f64),
    /// Vertical range.
    pub y: (f64, f64),
}

impl Extent {
    /// The bounding box of the first two columns of `points`, grown by
    /// `margin` on every side (the unit square around the origin if there
    /// are no finite points).
    pub fn around(points: MatrixView<'_, f32>, margin: f64) -> Extent {
        let (mut x, mut y) = (
            (f64::INFINITY, f64::NEG_INFINITY),
            (f64::INFINITY, f64::NEG_INFINITY),
        );
        for i in 0..points.rows() {
            let (px, py) = (points[(i, 0)] as f64, points[(i, 1)] as f64);
            if px.is_finite() && py.is_finite() {
                x = (x.0.min(px), x.1.max(px));
                y = (y.0.min(py), y.1.max(py));
            }
        }
        if x.0 > x.1 {
            return Extent {
                x: (-1.0, 1.0),
                y: (-1.0, 1.0),
            };
        }
        Extent {
            x: (x.0 - margin, x.1 + margin),
            y: (y.0 - margin, y.1 + margin),
        }
    }
}

/// A chart over the plane.
pub(super) type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

pub(super) type DrawResult<DB> =
    Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A tick label: plain decimals, scientific notation for tiny values, and
/// never "-0.0".
pub(super) fn tick(v: f64) -> String {
    // Ticks computed as lo + k * step can miss zero by a rounding error.
    let v = if v.abs() < 1e-12 { 0.0 } else { v };
    if v != 0.0 && v.abs() < 0.01 {
        format!("{v:.0e}")
    } else if v.fract().abs() < 1e-9 && v.abs() < 1e6 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Draws `points` (n x 2) coloured by `labels` (0 or 1) with a thin dark
/// outline, and adds a legend entry per class to `chart`'s series labels.
pub(super) fn draw_points<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    points: MatrixView<'_, f32>,
    labels: &[u8],
    radius: i32,
) -> DrawResult<DB> {
    for class in 0..2u8 {
        let color = CLASS_COLORS[class as usize];
        let coords: Vec<(f64, f64)> = (0..points.rows())
            .filter(|&i| labels.get(i) == Some(&class))
            .map(|i| (points[(i, 0)] as f64, points[(i, 1)] as f64))
            .collect();
        let dot = move |c: (f64, f64)| {
            EmptyElement::at(c)
                + Circle::new((0, 0), radius, color.filled())
                + Circle::new((0, 0), radius, BLACK.mix(0.6).stroke_width(1))
        };
        chart
            .draw_series(coords.into_iter().map(dot))?
            .label(format!("class {class}"))
            .legend(move |(x, y)| {
                EmptyElement::at((x + 8, y))
                    + Circle::new((0, 0), 5, color.filled())
                    + Circle::new((0, 0), 5, BLACK.mix(0.6).stroke_width(1))
            });
    }
    Ok(())
}

/// Draws the series labels in the corner of `extent` that covers the fewest
/// of `points`.
pub(super) fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    extent: Extent,
    points: MatrixView<'_, f32>,
) -> DrawResult<DB> {
    chart
        .configure_series_labels()
        .position(emptiest_corner(extent, points))
        .label_font(("sans-serif", 15))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(160, 160, 160))
        .draw()
}

/// The corner (upper right preferred on ties) whose box, 45% of the width
/// and 30% of the height, holds the fewest points.
fn emptiest_corner(e: Extent, points: MatrixView<'_, f32>) -> SeriesLabelPosition {
    let (w, h) = (e.x.1 - e.x.0, e.y.1 - e.y.0);
    let corners = [
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::UpperLeft, false, true),
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::LowerLeft, false, false),
    ];
    let count = |right: bool, upper: bool| {
        (0..points.rows())
            .filter(|&i| {
                let (x, y) = (points[(i, 0)] as f64, points[(i, 1)] as f64);
                let in_x = if right {
                    x >= e.x.1 - 0.45 * w
                } else {
                    x <= e.x.0 + 0.45 * w
                };
                let in_y = if upper {
                    y >= e.y.1 - 0.3 * h
                } else {
                    y <= e.y.0 + 0.3 * h
                };
                in_x && in_y
            })
            .count()
    };
    let mut best = (usize::MAX, SeriesLabelPosition::UpperRight);
    for (pos, right, upper) in corners {
        let n = count(right, upper);
        if n < best.0 {
            best = (n, pos);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;
    use matrix::Matrix;

    #[test]
    fn ticks_read_well() {
        assert_eq!(tick(-2e-16), "0");
        assert_eq!(tick(-0.0), "0");
        assert_eq!(tick(1.0), "1");
        assert_eq!(tick(0.25), "0.25");
        assert_eq!(tick(-0.2), "-0.2");
        assert_eq!(tick(0.001), "1e-3");
        assert_eq!(tick(20.0), "20");
    }

    #[test]
    fn the_legend_goes_where_the_points_are_not() {
        let e = Extent {
            x: (-1.0, 1.0),
            y: (-1.0, 1.0),
        };
        let pts = Matrix::from_vec(3, 2, vec![0.9f32, 0.9, -0.9, 0.9, 0.9, -0.9]);
        assert!(matches!(
            emptiest_corner(e, pts.view()),
            SeriesLabelPosition::LowerLeft
        ));
        let none = Matrix::<f32>::zeros(0, 2);
        assert!(matches!(
            emptiest_corner(e, none.view()),
            SeriesLabelPosition::UpperRight
        ));
    }
}
