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
//!
//! One file per kind of picture, over what they share:
//!
//! - `chart.rs`: the plane ([`Extent`]), tick labels, class-coloured
//!   points and a legend placed where the points are not;
//! - `colors.rs`: the class, series and probability colours;
//! - `curves.rs`: training curves ([`plot_curves`], [`plot_training`]);
//! - `boundary.rs`: a 2-input classifier's output over the plane
//!   ([`ProbabilityGrid`], [`plot_boundary`]);
//! - `embedding.rs`: a 2-D embedding and its separating line
//!   ([`plot_embedding`]);
//! - `maps.rs`: what a 2x2 layer's maps do to the plane ([`Affine2`],
//!   [`plot_maps`]);
//! - `animation.rs`: boundary and embedding frames as a GIF
//!   ([`AnimatedGif`]).
//!
//! This file holds the error type and the embedded fonts every picture uses.

mod animation;
mod boundary;
mod chart;
mod colors;
mod curves;
mod embedding;
mod maps;

pub use animation::AnimatedGif;
pub use boundary::{plot_boundary, ProbabilityGrid, BOUNDARY_GRID};
pub use chart::Extent;
pub use colors::{probability_color, CLASS_COLORS, SERIES_COLORS};
pub use curves::{plot_curves, plot_training};
pub use embedding::{plot_embedding, EMBEDDING_RANGE};
pub use maps::{plot_maps, Affine2, MapPanel};

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Once;

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
