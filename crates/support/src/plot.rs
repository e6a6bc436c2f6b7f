//! PNG (and GIF) pictures drawn with `plotters`' bitmap backend: training
//! curves, the decision boundary of a 2-input classifier, a 2-D embedding
//! with the output layer's separating line, what a 2x2 layer's linear and
//! affine maps do to the plane, and animations of the boundary and the
//! embedding over training.
//!
//! Text is drawn with DejaVu Sans embedded in the binary (the `dejavu`
//! crate, rasterised by `ab_glyph`), so no system font, fontconfig or
//! freetype is needed: the pictures come out the same on any machine.
//!
//! ```no_run
//! use std::path::Path;
//! let loss = [0.69, 0.41, 0.22, 0.12];
//! let acc = [0.55, 0.83, 0.94, 0.98];
//! support::plot::plot_curves(
//!     Path::new("curves.png"),
//!     "training",
//!     "value",
//!     &[("loss", &loss), ("accuracy", &acc)],
//!     (640, 400),
//! )
//! .unwrap();
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Once;

use matrix::{Matrix, MatrixView};
use nn::dataset::Dataset;
use nn::Network;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::types::{RangedCoordf64, RangedCoordu32};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

/// A picture that could not be drawn or written, with the file it was for.
#[derive(Debug, Clone)]
pub struct PlotError {
    /// The file being written.
    pub path: PathBuf,
    /// What went wrong.
    pub message: String,
}

impl PlotError {
    fn new(path: &Path, e: impl fmt::Display) -> Self {
        PlotError {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot draw {}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for PlotError {}

/// Makes the embedded DejaVu Sans (regular and bold) the `sans-serif`
/// family `plotters` draws text with. Every plotting function here calls it;
/// call it yourself before drawing text with `plotters` directly.
pub fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Both are well-formed TTF files shipped inside the `dejavu` crate.
        let regular =
            register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular()).is_ok();
        let bold = register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold()).is_ok();
        debug_assert!(regular && bold, "the embedded DejaVu fonts do not parse");
    });
}

/// Colour of each class's points (class 0 blue, class 1 red).
pub const CLASS_COLORS: [RGBColor; 2] = [RGBColor(31, 100, 180), RGBColor(200, 40, 40)];

/// Colours of the series of [`plot_curves`], in order (then repeated).
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

/// A network's output (probability of class 1) on a regular grid of
/// `(nx + 1) x (ny + 1)` nodes covering an [`Extent`].
#[derive(Clone, Debug)]
pub struct ProbabilityGrid {
    /// The area covered.
    pub extent: Extent,
    /// Cells across.
    pub nx: usize,
    /// Cells up.
    pub ny: usize,
    /// `p[j * (nx + 1) + i]`: the output at node `(x_i, y_j)`.
    pub p: Vec<f32>,
}

impl ProbabilityGrid {
    /// Runs `net` (2 inputs, 1 sigmoid output) on every node, in one batch,
    /// through [`Network::forward`] (the parameters are only read).
    ///
    /// # Errors
    /// If the network does not take 2 inputs and give 1 output.
    pub fn compute(
        net: &mut Network<f32>,
        extent: Extent,
        nx: usize,
        ny: usize,
    ) -> Result<ProbabilityGrid, nn::NnError> {
        if net.input_width() != 2 || net.output_width() != 1 {
            return Err(nn::NnError::Shape(format!(
                "a decision-boundary picture needs a network with 2 inputs and 1 output, not {}",
                net.describe()
            )));
        }
        let (nx, ny) = (nx.max(1), ny.max(1));
        let grid = Matrix::<f32>::from_fn((nx + 1) * (ny + 1), 2, |r, c| {
            let (i, j) = (r % (nx + 1), r / (nx + 1));
            if c == 0 {
                lerp(extent.x, i as f64 / nx as f64) as f32
            } else {
                lerp(extent.y, j as f64 / ny as f64) as f32
            }
        });
        let out = net.forward(grid.view())?;
        Ok(ProbabilityGrid {
            extent,
            nx,
            ny,
            p: out.iter().copied().collect(),
        })
    }

    /// Coordinates of node `(i, j)`.
    pub fn node(&self, i: usize, j: usize) -> (f64, f64) {
        (
            lerp(self.extent.x, i as f64 / self.nx as f64),
            lerp(self.extent.y, j as f64 / self.ny as f64),
        )
    }

    fn at(&self, i: usize, j: usize) -> f64 {
        self.p[j * (self.nx + 1) + i] as f64
    }

    /// The curve where the output equals `level`, as line segments, by
    /// marching squares with linear interpolation along the cell edges
    /// (saddle cells are resolved by the value at the cell centre).
    pub fn contour(&self, level: f64) -> Vec<[(f64, f64); 2]> {
        let mut segments = Vec::new();
        for j in 0..self.ny {
            for i in 0..self.nx {
                // Corners counter-clockwise from the bottom left.
                let corners = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)];
                let v = corners.map(|(a, b)| self.at(a, b) - level);
                let pos = corners.map(|(a, b)| self.node(a, b));
                // Where the level crosses edge k (corner k to corner k+1).
                let cross = |k: usize| -> Option<(f64, f64)> {
                    let (a, b) = (v[k], v[(k + 1) % 4]);
                    if (a < 0.0) == (b < 0.0) {
                        return None;
                    }
                    let t = a / (a - b);
                    let (p, q) = (pos[k], pos[(k + 1) % 4]);
                    Some((p.0 + t * (q.0 - p.0), p.1 + t * (q.1 - p.1)))
                };
                let hits: Vec<(usize, (f64, f64))> =
                    (0..4).filter_map(|k| cross(k).map(|p| (k, p))).collect();
                match hits.len() {
                    2 => segments.push([hits[0].1, hits[1].1]),
                    4 => {
                        // Saddle: pair each crossing with its neighbour on the
                        // side the centre value puts together.
                        let centre = v.iter().sum::<f64>() / 4.0;
                        let (a, b) = if (centre < 0.0) == (v[0] < 0.0) {
                            (1, 3)
                        } else {
                            (0, 2)
                        };
                        segments.push([hits[a].1, hits[(a + 1) % 4].1]);
                        segments.push([hits[b].1, hits[(b + 1) % 4].1]);
                    }
                    _ => {}
                }
            }
        }
        segments
    }
}

fn lerp((a, b): (f64, f64), t: f64) -> f64 {
    a + (b - a) * t
}

/// Line charts of one or more named series against the epoch (x = 1, 2,
/// ...), one colour each, with a legend; non-finite values are skipped.
/// Written as a `size.0 x size.1` PNG at `path`.
///
/// # Errors
/// If the picture cannot be drawn or the file cannot be written.
pub fn plot_curves(
    path: &Path,
    title: &str,
    y_label: &str,
    series: &[(&str, &[f64])],
    size: (u32, u32),
) -> Result<(), PlotError> {
    register_fonts();
    let root = BitMapBackend::new(path, size).into_drawing_area();
    let fail = |e: &dyn fmt::Display| PlotError::new(path, e);
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    draw_curves(
        &root,
        title,
        y_label,
        series,
        SeriesLabelPosition::UpperRight,
        false,
    )
    .map_err(|e| fail(&e))?;
    root.present().map_err(|e| fail(&e))
}

/// Loss and accuracy per epoch in two panels one above the other: the
/// loss on top, the named accuracy series (e.g. train and test) below.
/// Written as a `size.0 x size.1` PNG at `path`.
///
/// # Errors
/// If the picture cannot be drawn or the file cannot be written.
pub fn plot_training(
    path: &Path,
    title: &str,
    loss: &[f64],
    accuracy: &[(&str, &[f64])],
    size: (u32, u32),
) -> Result<(), PlotError> {
    register_fonts();
    let root = BitMapBackend::new(path, size).into_drawing_area();
    let fail = |e: &dyn fmt::Display| PlotError::new(path, e);
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let root = root
        .titled(title, ("sans-serif", 22))
        .map_err(|e| fail(&e))?;
    let (top, bottom) = root.split_vertically(root.dim_in_pixel().1 / 2);
    let top_series: &[(&str, &[f64])] = &[("training loss", loss)];
    draw_curves(
        &top,
        "",
        "loss (log scale)",
        top_series,
        SeriesLabelPosition::UpperRight,
        true,
    )
    .map_err(|e| fail(&e))?;
    draw_curves(
        &bottom,
        "",
        "accuracy",
        accuracy,
        SeriesLabelPosition::LowerRight,
        false,
    )
    .map_err(|e| fail(&e))?;
    root.present().map_err(|e| fail(&e))
}

/// A chart over the plane.
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw_curves<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    y_label: &str,
    series: &[(&str, &[f64])],
    legend_at: SeriesLabelPosition,
    log_y: bool,
) -> DrawResult<DB> {
    let epochs = series
        .iter()
        .map(|(_, v)| v.len())
        .max()
        .unwrap_or(0)
        .max(2);
    let finite = || {
        series
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .filter(|v| v.is_finite())
    };
    let (lo, hi) = finite().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let log_y = log_y && lo > 0.0 && lo <= hi;
    let mut builder = ChartBuilder::on(area);
    if !title.is_empty() {
        builder.caption(title, ("sans-serif", 22));
    }
    builder
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(64);
    let x_range = 1u32..epochs as u32;
    if log_y {
        let chart = builder.build_cartesian_2d(x_range, (lo / 1.25..hi * 1.25).log_scale())?;
        finish_curves(chart, y_label, series, legend_at)
    } else {
        let (lo, hi) = if lo > hi {
            (0.0, 1.0)
        } else if hi - lo < 1e-9 {
            (lo - 0.5, hi + 0.5)
        } else {
            let pad = 0.05 * (hi - lo);
            (lo - pad, hi + pad)
        };
        let chart = builder.build_cartesian_2d(x_range, lo..hi)?;
        finish_curves(chart, y_label, series, legend_at)
    }
}

/// A tick label: plain decimals, scientific notation for tiny values, and
/// never "-0.0".
fn tick(v: f64) -> String {
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

fn finish_curves<'a, DB, Y>(
    mut chart: ChartContext<'a, DB, Cartesian2d<RangedCoordu32, Y>>,
    y_label: &str,
    series: &[(&str, &[f64])],
    legend_at: SeriesLabelPosition,
) -> DrawResult<DB>
where
    DB: DrawingBackend + 'a,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc(y_label)
        .y_label_formatter(&|v| tick(*v))
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16))
        .light_line_style(RGBColor(245, 245, 245))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()?;
    for (k, (name, values)) in series.iter().enumerate() {
        let color = SERIES_COLORS[k % SERIES_COLORS.len()];
        let points = values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(e, &v)| ((e + 1) as u32, v));
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))?
            .label(*name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(2))
            });
    }
    if !series.is_empty() {
        chart
            .configure_series_labels()
            .position(legend_at)
            .label_font(("sans-serif", 15))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(160, 160, 160))
            .draw()?;
    }
    Ok(())
}

/// Draws `points` (n x 2) coloured by `labels` (0 or 1) with a thin dark
/// outline, and adds a legend entry per class to `chart`'s series labels.
fn draw_points<'a, DB: DrawingBackend + 'a>(
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
fn legend<'a, DB: DrawingBackend + 'a>(
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

/// Cells of the boundary picture's shading, across and up.
pub const BOUNDARY_GRID: usize = 160;

/// The decision picture of a 2-input, 1-output (sigmoid) network: the plane
/// around `data`'s points shaded by the predicted probability of class 1
/// (computed on a [`BOUNDARY_GRID`]-cell grid), the p = 0.5 boundary drawn
/// in black (marching squares), and the points coloured by class. Written
/// as a `size.0 x size.1` PNG at `path`.
///
/// # Errors
/// If the network does not fit, or the file cannot be written.
pub fn plot_boundary(
    path: &Path,
    net: &mut Network<f32>,
    data: &Dataset,
    title: &str,
    size: (u32, u32),
) -> Result<(), PlotError> {
    register_fonts();
    let extent = Extent::around(data.images.view(), 0.5);
    let grid = ProbabilityGrid::compute(net, extent, BOUNDARY_GRID, BOUNDARY_GRID)
        .map_err(|e| PlotError::new(path, e))?;
    let root = BitMapBackend::new(path, size).into_drawing_area();
    draw_boundary(&root, &grid, data, title).map_err(|e| PlotError::new(path, e))?;
    root.present().map_err(|e| PlotError::new(path, e))
}

fn draw_boundary<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    grid: &ProbabilityGrid,
    data: &Dataset,
    title: &str,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let e = grid.extent;
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(52)
        .build_cartesian_2d(e.x.0..e.x.1, e.y.0..e.y.1)?;
    // Shading first, the mesh's labels and the points on top of it.
    let cells = (0..grid.ny).flat_map(|j| (0..grid.nx).map(move |i| (i, j)));
    chart.draw_series(cells.map(|(i, j)| {
        let p =
            (grid.at(i, j) + grid.at(i + 1, j) + grid.at(i, j + 1) + grid.at(i + 1, j + 1)) / 4.0;
        Rectangle::new(
            [grid.node(i, j), grid.node(i + 1, j + 1)],
            probability_color(p).filled(),
        )
    }))?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .x_desc("x₁")
        .y_desc("x₂")
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16))
        .draw()?;
    chart
        .draw_series(
            grid.contour(0.5)
                .into_iter()
                .map(|s| PathElement::new(s.to_vec(), BLACK.stroke_width(2))),
        )?
        .label("p = 0.5")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLACK.stroke_width(2)));
    draw_points(&mut chart, data.images.view(), &data.labels, 3)?;
    legend(&mut chart, e, data.images.view())
}

/// Half-width of the square the embedding pictures show: tanh outputs lie
/// in (-1, 1).
pub const EMBEDDING_RANGE: f64 = 1.1;

/// The 2-D embedding picture: every row of `embedding` (n x 2, e.g. the
/// outputs of a 2-unit tanh layer) as a point coloured by its label, on the
/// square [-1.1, 1.1]², shaded by `sigmoid(w1 h1 + w2 h2 + b)` with the
/// separating line `w1 h1 + w2 h2 + b = 0` drawn, when `line = Some((w1,
/// w2, b))`. Written as a `size.0 x size.1` PNG at `path`.
///
/// # Errors
/// If `embedding` is not n x 2 with n labels, or the file cannot be written.
pub fn plot_embedding(
    path: &Path,
    embedding: MatrixView<'_, f32>,
    labels: &[u8],
    line: Option<(f32, f32, f32)>,
    title: &str,
    size: (u32, u32),
) -> Result<(), PlotError> {
    register_fonts();
    check_embedding(path, embedding, labels)?;
    let root = BitMapBackend::new(path, size).into_drawing_area();
    draw_embedding(&root, embedding, labels, line, title).map_err(|e| PlotError::new(path, e))?;
    root.present().map_err(|e| PlotError::new(path, e))
}

fn check_embedding(
    path: &Path,
    embedding: MatrixView<'_, f32>,
    labels: &[u8],
) -> Result<(), PlotError> {
    if embedding.cols() != 2 || embedding.rows() != labels.len() {
        return Err(PlotError::new(
            path,
            format!(
                "an embedding picture needs n x 2 points and n labels, got {}x{} and {}",
                embedding.rows(),
                embedding.cols(),
                labels.len()
            ),
        ));
    }
    Ok(())
}

/// Where the line `w1 x + w2 y + b = 0` crosses the square `[-r, r]²`, if it does.
fn clip_line((w1, w2, b): (f64, f64, f64), r: f64) -> Option<[(f64, f64); 2]> {
    let mut pts: Vec<(f64, f64)> = Vec::new();
    if w2.abs() > 1e-12 {
        for x in [-r, r] {
            let y = -(w1 * x + b) / w2;
            if y.abs() <= r {
                pts.push((x, y));
            }
        }
    }
    if w1.abs() > 1e-12 {
        for y in [-r, r] {
            let x = -(w2 * y + b) / w1;
            if x.abs() <= r {
                pts.push((x, y));
            }
        }
    }
    pts.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    pts.dedup_by(|a, b| (a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9);
    (pts.len() >= 2).then(|| [pts[0], pts[pts.len() - 1]])
}

fn draw_embedding<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    embedding: MatrixView<'_, f32>,
    labels: &[u8],
    line: Option<(f32, f32, f32)>,
    title: &str,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let r = EMBEDDING_RANGE;
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(52)
        .build_cartesian_2d(-r..r, -r..r)?;
    let line = line.map(|(a, b, c)| (a as f64, b as f64, c as f64));
    if let Some((w1, w2, b)) = line {
        // The output layer's probability over the square: same colours as
        // the boundary picture.
        const N: usize = 160;
        let at = |k: usize| -r + 2.0 * r * k as f64 / N as f64;
        let cells = (0..N).flat_map(|j| (0..N).map(move |i| (i, j)));
        chart.draw_series(cells.map(|(i, j)| {
            let (x, y) = ((at(i) + at(i + 1)) / 2.0, (at(j) + at(j + 1)) / 2.0);
            let p = 1.0 / (1.0 + (-(w1 * x + w2 * y + b)).exp());
            Rectangle::new(
                [(at(i), at(j)), (at(i + 1), at(j + 1))],
                probability_color(p).filled(),
            )
        }))?;
    }
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(BLACK.mix(0.08))
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .x_desc("h₁ (tanh unit 1)")
        .y_desc("h₂ (tanh unit 2)")
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16))
        .draw()?;
    if let Some(seg) = line.and_then(|l| clip_line(l, r)) {
        chart
            .draw_series(std::iter::once(PathElement::new(
                seg.to_vec(),
                BLACK.stroke_width(2),
            )))?
            .label("w₁h₁ + w₂h₂ + b = 0")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLACK.stroke_width(2)));
    }
    draw_points(&mut chart, embedding, labels, 3)?;
    let square = Extent {
        x: (-r, r),
        y: (-r, r),
    };
    legend(&mut chart, square, embedding)
}

/// An animated GIF of decision-boundary or embedding pictures (as
/// [`plot_boundary`] and [`plot_embedding`] draw them), one frame per
/// `add_*` call, encoded as it goes: the moons example's pictures of
/// training as it happens.
pub struct AnimatedGif {
    area: DrawingArea<BitMapBackend<'static>, Shift>,
    path: PathBuf,
    frames: usize,
}

impl AnimatedGif {
    /// Creates the file: `size` pixels, `delay_ms` per frame, looping.
    ///
    /// # Errors
    /// If the file cannot be created.
    pub fn create(path: &Path, size: (u32, u32), delay_ms: u32) -> Result<AnimatedGif, PlotError> {
        register_fonts();
        let backend =
            BitMapBackend::gif(path, size, delay_ms).map_err(|e| PlotError::new(path, e))?;
        Ok(AnimatedGif {
            area: backend.into_drawing_area(),
            path: path.to_path_buf(),
            frames: 0,
        })
    }

    /// Draws one embedding frame (as [`plot_embedding`]) and appends it.
    ///
    /// # Errors
    /// Bad shapes, or the frame cannot be written.
    pub fn add_embedding(
        &mut self,
        embedding: MatrixView<'_, f32>,
        labels: &[u8],
        line: Option<(f32, f32, f32)>,
        title: &str,
    ) -> Result<(), PlotError> {
        check_embedding(&self.path, embedding, labels)?;
        draw_embedding(&self.area, embedding, labels, line, title)
            .map_err(|e| PlotError::new(&self.path, e))?;
        self.present()
    }

    /// Draws one decision-boundary frame (as [`plot_boundary`]: `net`'s
    /// probability over the plane around `data`, the p = 0.5 curve, the
    /// points) and appends it.
    ///
    /// # Errors
    /// If the network does not take 2 inputs and give 1 output, or the
    /// frame cannot be written.
    pub fn add_boundary(
        &mut self,
        net: &mut Network<f32>,
        data: &Dataset,
        title: &str,
    ) -> Result<(), PlotError> {
        let extent = Extent::around(data.images.view(), 0.5);
        let grid = ProbabilityGrid::compute(net, extent, BOUNDARY_GRID, BOUNDARY_GRID)
            .map_err(|e| PlotError::new(&self.path, e))?;
        draw_boundary(&self.area, &grid, data, title).map_err(|e| PlotError::new(&self.path, e))?;
        self.present()
    }

    fn present(&mut self) -> Result<(), PlotError> {
        self.area
            .present()
            .map_err(|e| PlotError::new(&self.path, e))?;
        self.frames += 1;
        Ok(())
    }

    /// Frames written so far.
    pub fn frames(&self) -> usize {
        self.frames
    }
}

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
    fn probability_colors_run_from_blue_through_white_to_red() {
        assert_eq!(probability_color(0.5), RGBColor(255, 255, 255));
        let (b, r) = (probability_color(0.0), probability_color(1.0));
        assert!(b.2 > b.0 && r.0 > r.2);
        assert_eq!(probability_color(f64::NAN), RGBColor(255, 255, 255));
    }

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
    fn contour_of_a_cone_is_a_circle() {
        let extent = Extent {
            x: (-1.0, 1.0),
            y: (-1.0, 1.0),
        };
        let n = 40;
        let mut grid = ProbabilityGrid {
            extent,
            nx: n,
            ny: n,
            p: Vec::new(),
        };
        grid.p = (0..=n)
            .flat_map(|j| (0..=n).map(move |i| (i, j)))
            .map(|(i, j)| {
                let (x, y) = grid.node(i, j);
                (x * x + y * y).sqrt() as f32
            })
            .collect();
        let segments = grid.contour(0.5);
        assert!(segments.len() > 40, "{} segments", segments.len());
        for s in &segments {
            for (x, y) in s {
                assert!(((x * x + y * y).sqrt() - 0.5).abs() < 0.01);
            }
        }
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

    #[test]
    fn clip_line_finds_the_chord_of_the_square() {
        let seg = clip_line((1.0, -1.0, 0.0), 1.0).unwrap(); // y = x
        assert_eq!(seg, [(-1.0, -1.0), (1.0, 1.0)]);
        let seg = clip_line((0.0, 1.0, -0.5), 1.0).unwrap(); // y = 0.5
        assert_eq!(seg, [(-1.0, 0.5), (1.0, 0.5)]);
        assert!(clip_line((1.0, 0.0, -3.0), 1.0).is_none()); // x = 3
    }
}
