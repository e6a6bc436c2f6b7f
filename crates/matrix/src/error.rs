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
    /// A decomposition or solve that needs a square matrix was given a
    /// rectangular one.
    NotSquare {
        /// The operation that was called.
        op: &'static str,
        /// Rows of the matrix given.
        rows: usize,
        /// Columns of the matrix given.
        cols: usize,
    },
    /// A Cholesky factorization met a pivot that is not positive: the
    /// matrix is not (numerically) symmetric positive definite.
    NotPositiveDefinite {
        /// The column (0-based) whose diagonal pivot was `<= 0`.
        column: usize,
    },
    /// A factorization or triangular solve met an exactly zero pivot (or
    /// one so small that dividing by it overflows): the matrix is singular.
    Singular {
        /// The 0-based index of the zero pivot.
        pivot: usize,
    },
    /// A NaN or infinite value in an input, or one that a solve produced
    /// (the system is too ill-conditioned for the element type).
    NonFinite {
        /// The operation that was called.
        op: &'static str,
        /// Row of the first such value.
        row: usize,
        /// Column of the first such value.
        col: usize,
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
            MatrixError::NotSquare { op, rows, cols } => {
                write!(f, "{op}: needs a square matrix but it is {rows}x{cols}")
            }
            MatrixError::NotPositiveDefinite { column } => write!(
                f,
                "cholesky: the matrix is not positive definite (pivot {column} is not positive)"
            ),
            MatrixError::Singular { pivot } => {
                write!(f, "the matrix is singular (pivot {pivot} is zero)")
            }
            MatrixError::NonFinite { op, row, col } => {
                write!(f, "{op}: non-finite value (NaN or infinity) at ({row}, {col})")
            }
        }
    }
}

impl std::error::Error for MatrixError {}

/// Formats a shape as `RxC`, the way every message of this crate does.
pub(crate) fn dims(rows: usize, cols: usize) -> String {
    format!("{rows}x{cols}")
}
