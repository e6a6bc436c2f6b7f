//! The decision picture of a 2-input classifier: its output sampled on a
//! grid over the plane ([`ProbabilityGrid`], with the p = 0.5 contour by
//! marching squares) and drawn as shading, boundary and points
//! ([`plot_boundary`]; a GIF frame of [`AnimatedGif`](super::AnimatedGif)).

use std::path::Path;

use matrix::Matrix;
use nn::dataset::Dataset;
use nn::Network;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::chart::{draw_points, legend, tick, DrawResult, Extent};
use super::colors::probability_color;
use super::{register_fonts, PlotError};

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

pub(super) fn draw_boundary<DB: DrawingBackend>(
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
