//! The typed error the `try_` functions return.

use std::fmt;

/// What went wrong in a `try_` call of this crate.
///
/// The panicking twins (`gemm`, `Matrix::from_vec`, ...) panic with exactly
/// this error's `Display` text, so the message is the same either way.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MatrixError {
    /// Two operands whose shapes do not fit together, e.g.
    /// `gemm: op(A) is 128x784 but op(B) is 800x10`.
    ShapeMismatch {
        /// The operation that was called.
        op: &'static str,
        /// Which shapes clashed, named with their roles.
        detail: String,
    },
    /// A buffer whose length is not `rows * cols`.
    LengthMismatch {
        /// Rows asked for.
        rows: usize,
        /// Columns asked for.
        cols: usize,
        /// Length of the buffer given.
        len: usize,
    },
    /// Strides that would read past the end of the buffer, or (for a mutable
    /// view) make two elements alias.
    InvalidStrides {
        /// Why the layout was refused.
        detail: String,
    },
    /// `MATNET_KERNEL` (or an explicit kernel) that this CPU cannot run.
    Kernel(crate::KernelError),
    /// A row, column or block outside the matrix.
    OutOfBounds {
        /// What was asked for and how big the matrix is.
        detail: String,
    },
    /// A [`PlanChoices`](crate::gemm::PlanChoices) decision that the
    /// operands' layout or the kernel does not allow.
    InvalidPlan {
        /// Which decision, and why not.
        detail: String,
    },
    /// A matrix whose memory cannot be had: its size overflows `usize`
    /// (`bytes` is `None`) or the allocator refused it.
    Allocation {
        /// Rows asked for.
        rows: usize,
        /// Columns asked for.
        cols: usize,
        /// Bytes that were asked for, if that number fits in `usize`.
        bytes: Option<usize>,
    },
}

impl MatrixError {
    pub(crate) fn shape(op: &'static str, detail: impl Into<String>) -> Self {
        MatrixError::ShapeMismatch {
            op,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for MatrixError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatrixError::ShapeMismatch { op, detail } => write!(f, "{op}: {detail}"),
            MatrixError::LengthMismatch { rows, cols, len } => write!(
                f,
                "a {rows}x{cols} matrix needs {} elements but the buffer has {len}",
                rows.saturating_mul(*cols)
            ),
            MatrixError::InvalidStrides { detail } => write!(f, "invalid strides: {detail}"),
            MatrixError::OutOfBounds { detail } => write!(f, "out of bounds: {detail}"),
            MatrixError::Kernel(e) => write!(f, "{e}"),
            MatrixError::InvalidPlan { detail } => write!(f, "gemm plan: {detail}"),
            MatrixError::Allocation {
                rows,
                cols,
                bytes: Some(bytes),
            } => write!(
                f,
                "out of memory: a {rows}x{cols} matrix needs {bytes} bytes, which cannot be allocated"
            ),
            MatrixError::Allocation {
                rows,
                cols,
                bytes: None,
            } => write!(f, "a {rows}x{cols} matrix is too large to address"),
        }
    }
}

impl std::error::Error for MatrixError {}

/// Formats a shape as `RxC`, the way every message of this crate does.
pub(crate) fn dims(rows: usize, cols: usize) -> String {
    format!("{rows}x{cols}")
}
