//! Training curves: one or more series against the epoch ([`plot_curves`]),
//! and loss over accuracy in two panels ([`plot_training`]). The only
//! pictures with an epoch axis rather than the plane.

use std::fmt;
use std::path::Path;

use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordu32;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::chart::{tick, DrawResult};
use super::colors::SERIES_COLORS;
use super::{register_fonts, PlotError};

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
