//! The 2-D embedding picture: a 2-unit layer's outputs as points on a fixed
//! square, with the output layer's separating line and probability shading
//! ([`plot_embedding`]; a GIF frame of [`AnimatedGif`](super::AnimatedGif)).

use std::path::Path;

use matrix::MatrixView;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::chart::{draw_points, legend, tick, DrawResult, Extent};
use super::colors::probability_color;
use super::{register_fonts, PlotError};

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

pub(super) fn check_embedding(
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

pub(super) fn draw_embedding<DB: DrawingBackend>(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_line_finds_the_chord_of_the_square() {
        let seg = clip_line((1.0, -1.0, 0.0), 1.0).unwrap(); // y = x
        assert_eq!(seg, [(-1.0, -1.0), (1.0, 1.0)]);
        let seg = clip_line((0.0, 1.0, -0.5), 1.0).unwrap(); // y = 0.5
        assert_eq!(seg, [(-1.0, 0.5), (1.0, 0.5)]);
        assert!(clip_line((1.0, 0.0, -3.0), 1.0).is_none()); // x = 3
    }
}
