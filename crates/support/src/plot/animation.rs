//! An animated GIF of training as it happens: one decision-boundary or
//! embedding frame per call, drawn as the still pictures are and encoded as
//! it goes ([`AnimatedGif`]). Separate because it owns a drawing area that
//! lives across frames.

use std::path::{Path, PathBuf};

use matrix::MatrixView;
use nn::dataset::Dataset;
use nn::Network;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::boundary::{draw_boundary, ProbabilityGrid, BOUNDARY_GRID};
use super::chart::Extent;
use super::embedding::{check_embedding, draw_embedding};
use super::{register_fonts, PlotError};

/// An animated GIF of decision-boundary or embedding pictures (as
/// [`plot_boundary`] and [`plot_embedding`] draw them), one frame per
/// `add_*` call, encoded as it goes: the moons example's pictures of
/// training as it happens.
///
/// [`plot_boundary`]: super::plot_boundary
/// [`plot_embedding`]: super::plot_embedding
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
    ///
    /// [`plot_embedding`]: super::plot_embedding
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
    ///
    /// [`plot_boundary`]: super::plot_boundary
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
