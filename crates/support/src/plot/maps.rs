//! What a 2x2 layer does to the plane: the affine map `x -> W x + b`
//! ([`Affine2`]) and panels showing the data, the input grid, the unit
//! vectors and the origin after it ([`MapPanel`], [`plot_maps`]), with the
//! segment clipping and equal axis scales those panels need.

use std::fmt;
use std::path::Path;

use matrix::Matrix;
use nn::dataset::Dataset;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::chart::{draw_points, legend, tick, DrawResult, Extent};
use super::{register_fonts, PlotError};

/// The map `x -> W x + b` of the plane, which a Dense layer with 2 inputs
/// and 2 outputs computes before its activation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Affine2 {
    /// `W` by rows: output `i` is `w[i][0] x1 + w[i][1] x2 + b[i]`. Its
    /// columns are where the unit vectors e1 and e2 go.
    pub w: [[f64; 2]; 2],
    /// The translation; where the origin goes.
    pub b: [f64; 2],
}

impl Affine2 {
    /// The map that leaves every point where it is.
    pub const IDENTITY: Affine2 = Affine2 {
        w: [[1.0, 0.0], [0.0, 1.0]],
        b: [0.0, 0.0],
    };

    /// The image of `(x1, x2)`.
    pub fn apply(&self, (x1, x2): (f64, f64)) -> (f64, f64) {
        (
            self.w[0][0] * x1 + self.w[0][1] * x2 + self.b[0],
            self.w[1][0] * x1 + self.w[1][1] * x2 + self.b[1],
        )
    }

    /// The same `W` without the translation (`x -> W x`).
    pub fn linear(&self) -> Affine2 {
        Affine2 {
            w: self.w,
            b: [0.0, 0.0],
        }
    }

    /// `W` written as `[[a, b], [c, d]]` with two decimals.
    pub fn describe_w(&self) -> String {
        let w = self.w;
        format!(
            "[[{:.2}, {:.2}], [{:.2}, {:.2}]]",
            w[0][0], w[0][1], w[1][0], w[1][1]
        )
    }

    /// `b` written as `[b1, b2]` with two decimals.
    pub fn describe_b(&self) -> String {
        format!("[{:.2}, {:.2}]", self.b[0], self.b[1])
    }
}

/// One panel of [`plot_maps`]: the data after `map`, under `title`.
#[derive(Clone, Copy, Debug)]
pub struct MapPanel<'a> {
    /// The panel's caption.
    pub title: &'a str,
    /// The map applied to every point and to the grid.
    pub map: Affine2,
}

/// Colours of the images of e1 and e2 in [`plot_maps`].
const BASIS_COLORS: [RGBColor; 2] = [RGBColor(40, 150, 60), RGBColor(220, 130, 20)];

/// What a 2x2 layer does to the plane, in panels side by side: each draws
/// `data`'s points (n x 2, coloured by label) after its panel's map, with
/// the image of the input plane's grid (lines every 0.5, the axes darker),
/// of the unit vectors e1 and e2 (the columns of `W`, drawn from the image
/// of the origin) and of the origin itself (`b`). Axes have equal scales,
/// so angles and shapes are as the map makes them. With
/// [`Affine2::IDENTITY`] it is the data set itself. Each panel is
/// `panel_size` pixels; the PNG at `path` has them in a row under `title`.
///
/// # Errors
/// If `data` is not n x 2, `panels` is empty, or the file cannot be written.
pub fn plot_maps(
    path: &Path,
    data: &Dataset,
    panels: &[MapPanel<'_>],
    title: &str,
    panel_size: (u32, u32),
) -> Result<(), PlotError> {
    register_fonts();
    if data.images.cols() != 2 || panels.is_empty() {
        return Err(PlotError::new(
            path,
            format!(
                "a map picture needs n x 2 points and at least one panel, got {}x{} and {}",
                data.images.rows(),
                data.images.cols(),
                panels.len()
            ),
        ));
    }
    let title_height = if title.is_empty() { 0 } else { 36 };
    let size = (
        panel_size.0 * panels.len() as u32,
        panel_size.1 + title_height,
    );
    let root = BitMapBackend::new(path, size).into_drawing_area();
    let fail = |e: &dyn fmt::Display| PlotError::new(path, e);
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let body = if title.is_empty() {
        root.clone()
    } else {
        root.titled(title, ("sans-serif", 24))
            .map_err(|e| fail(&e))?
    };
    let areas = body.split_evenly((1, panels.len()));
    for (area, panel) in areas.iter().zip(panels) {
        draw_map(area, data, panel).map_err(|e| fail(&e))?;
    }
    root.present().map_err(|e| fail(&e))
}

/// A line segment of the plane, from one end to the other.
type Segment = [(f64, f64); 2];

/// The grid of the input plane [`plot_maps`] maps: lines every 0.5 over
/// the data's extent (grown by 0.5), as segments, the axes last.
fn input_grid(data: &Dataset) -> (Vec<Segment>, Vec<Segment>) {
    let e = Extent::around(data.images.view(), 0.5);
    let (x0, x1) = ((e.x.0 * 2.0).floor() / 2.0, (e.x.1 * 2.0).ceil() / 2.0);
    let (y0, y1) = ((e.y.0 * 2.0).floor() / 2.0, (e.y.1 * 2.0).ceil() / 2.0);
    let steps = |a: f64, b: f64| {
        let n = ((b - a) * 2.0).round() as i64;
        (0..=n).map(move |k| a + k as f64 / 2.0)
    };
    let mut lines = Vec::new();
    lines.extend(steps(x0, x1).map(|x| [(x, y0), (x, y1)]));
    lines.extend(steps(y0, y1).map(|y| [(x0, y), (x1, y)]));
    let axes = vec![
        [(0.0, y0.min(0.0)), (0.0, y1.max(0.0))],
        [(x0.min(0.0), 0.0), (x1.max(0.0), 0.0)],
    ];
    (lines, axes)
}

/// The part of segment `pq` inside `e` (Liang-Barsky), if any: plotters
/// does not clip lines to the chart, so a mapped grid line would run over
/// the axis labels.
fn clip_segment(p: (f64, f64), q: (f64, f64), e: Extent) -> Option<Segment> {
    let (dx, dy) = (q.0 - p.0, q.1 - p.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (d, lo, hi, v) in [(dx, e.x.0, e.x.1, p.0), (dy, e.y.0, e.y.1, p.1)] {
        for (num, den) in [(v - lo, -d), (hi - v, d)] {
            if den == 0.0 {
                if num < 0.0 {
                    return None;
                }
            } else {
                let t = num / den;
                if den < 0.0 {
                    t0 = t0.max(t);
                } else {
                    t1 = t1.min(t);
                }
            }
        }
    }
    (t0 <= t1).then_some([
        (p.0 + t0 * dx, p.1 + t0 * dy),
        (p.0 + t1 * dx, p.1 + t1 * dy),
    ])
}

/// `e` grown along one axis so that a unit spans as many pixels across as
/// up in a plotting area of `pixels`.
fn equal_scales(e: Extent, pixels: (f64, f64)) -> Extent {
    let (w, h) = (e.x.1 - e.x.0, e.y.1 - e.y.0);
    let (cx, cy) = ((e.x.0 + e.x.1) / 2.0, (e.y.0 + e.y.1) / 2.0);
    let per_pixel = (w / pixels.0).max(h / pixels.1);
    let (hw, hh) = (per_pixel * pixels.0 / 2.0, per_pixel * pixels.1 / 2.0);
    Extent {
        x: (cx - hw, cx + hw),
        y: (cy - hh, cy + hh),
    }
}

fn draw_map<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &Dataset,
    panel: &MapPanel<'_>,
) -> DrawResult<DB> {
    let map = panel.map;
    let n = data.images.rows();
    let moved: Vec<f32> = (0..n)
        .flat_map(|i| {
            let (x, y) = map.apply((data.images[(i, 0)] as f64, data.images[(i, 1)] as f64));
            [x as f32, y as f32]
        })
        .collect();
    let mut with_origin = moved.clone();
    with_origin.extend([map.b[0] as f32, map.b[1] as f32]);
    let bounds = Extent::around(Matrix::from_vec(n + 1, 2, with_origin).view(), 0.3);
    // The plotting area: the panel less the label areas, margins and caption.
    let (w, h) = area.dim_in_pixel();
    let plot = (
        (w as f64 - 52.0 - 24.0).max(1.0),
        (h as f64 - 42.0 - 24.0 - 28.0).max(1.0),
    );
    let e = equal_scales(bounds, plot);
    let mut chart = ChartBuilder::on(area)
        .caption(panel.title, ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(52)
        .build_cartesian_2d(e.x.0..e.x.1, e.y.0..e.y.1)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .label_style(("sans-serif", 14))
        .draw()?;
    let (lines, axes) = input_grid(data);
    let mapped = |segments: Vec<Segment>| -> Vec<Segment> {
        segments
            .into_iter()
            .filter_map(|[p, q]| clip_segment(map.apply(p), map.apply(q), e))
            .collect()
    };
    chart.draw_series(
        mapped(lines)
            .into_iter()
            .map(|s| PathElement::new(s.to_vec(), RGBColor(215, 215, 215).stroke_width(1))),
    )?;
    chart.draw_series(
        mapped(axes)
            .into_iter()
            .map(|s| PathElement::new(s.to_vec(), RGBColor(120, 120, 120).stroke_width(1))),
    )?;
    draw_points(
        &mut chart,
        Matrix::from_vec(n, 2, moved.clone()).view(),
        &data.labels,
        3,
    )?;
    let origin = (map.b[0], map.b[1]);
    for (k, color) in BASIS_COLORS.iter().enumerate() {
        let tip = (origin.0 + map.w[0][k], origin.1 + map.w[1][k]);
        let name = if map == Affine2::IDENTITY {
            format!("e{}", ["₁", "₂"][k])
        } else {
            format!(
                "W·e{} = ({:.2}, {:.2})",
                ["₁", "₂"][k],
                map.w[0][k],
                map.w[1][k]
            )
        };
        let color = *color;
        if let Some(seg) = clip_segment(origin, tip, e) {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    seg.to_vec(),
                    color.stroke_width(3),
                )))?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(3))
                });
        }
        if clip_segment(tip, tip, e).is_some() {
            chart.draw_series(std::iter::once(Circle::new(tip, 4, color.filled())))?;
        }
    }
    if clip_segment(origin, origin, e).is_some() {
        let name = if map.b == [0.0, 0.0] {
            "origin".to_string()
        } else {
            format!("origin → b = {}", map.describe_b())
        };
        chart
            .draw_series(std::iter::once(Cross::new(
                origin,
                6,
                BLACK.stroke_width(2),
            )))?
            .label(name)
            .legend(|(x, y)| Cross::new((x + 9, y), 5, BLACK.stroke_width(2)));
    }
    let moved = Matrix::from_vec(n, 2, moved);
    legend(&mut chart, e, moved.view())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_clipped_to_the_chart() {
        let e = Extent {
            x: (0.0, 1.0),
            y: (0.0, 1.0),
        };
        let seg = clip_segment((-1.0, 0.5), (2.0, 0.5), e).unwrap();
        assert_eq!(seg, [(0.0, 0.5), (1.0, 0.5)]);
        let seg = clip_segment((0.25, 0.25), (0.75, 0.5), e).unwrap();
        assert_eq!(seg, [(0.25, 0.25), (0.75, 0.5)]);
        assert!(clip_segment((2.0, 0.0), (3.0, 1.0), e).is_none());
        assert!(clip_segment((0.5, 0.5), (0.5, 0.5), e).is_some());
        assert!(clip_segment((1.5, 0.5), (1.5, 0.5), e).is_none());
    }

    #[test]
    fn equal_scales_grow_the_short_side_only() {
        let e = Extent {
            x: (0.0, 4.0),
            y: (-1.0, 1.0),
        };
        // 400 x 100 pixels: 4 units across need 1 unit up; 2 are kept.
        let r = equal_scales(e, (400.0, 100.0));
        assert_eq!(r.y, (-1.0, 1.0));
        assert_eq!(r.x, (-2.0, 6.0));
        let r = equal_scales(e, (400.0, 400.0));
        assert_eq!((r.x, r.y), ((0.0, 4.0), (-2.0, 2.0)));
    }

    #[test]
    fn affine_maps_apply_and_drop_their_translation() {
        let m = Affine2 {
            w: [[1.0, 2.0], [3.0, 4.0]],
            b: [0.5, -0.5],
        };
        assert_eq!(m.apply((1.0, 0.0)), (1.5, 2.5));
        assert_eq!(m.linear().apply((0.0, 1.0)), (2.0, 4.0));
        assert_eq!(Affine2::IDENTITY.apply((0.3, -2.0)), (0.3, -2.0));
        assert_eq!(m.describe_w(), "[[1.00, 2.00], [3.00, 4.00]]");
    }
}
