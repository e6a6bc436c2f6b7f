//! How the first Dense layer reads its input: dense, or skipping zeros.
//!
//! MNIST images are mostly zero pixels. The first layer's two big products,
//! the forward `X W` and the weight gradient `Xᵀ dY`, then cost
//! `nnz(X) * outputs` multiply-adds through [`matrix::sparse_gemm`] instead
//! of `rows * inputs * outputs` through `gemm`. The sum is the same (the
//! skipped terms are `0 * w`), so only rounding differs.
//!
//! Building the sparse form costs a pass over the batch, and a sparse
//! product loses to the packed dense gemm once the batch is dense enough;
//! [`SPARSE_MAX_DENSITY`] is where the two meet (the figures are in the
//! commit that set it). This module decides per batch; the products
//! themselves are [`crate::dense::Dense`]'s, fed a [`DenseInput`].

use matrix::{Matrix, MatrixView, Scalar, SparseMatrix};

use crate::dense::DenseInput;

/// Batches at most this dense (nonzeros / entries) take the sparse
/// products under [`InputSparsity::Auto`]: about where the cost of building
/// the sparse form and skipping zeros meets the dense gemm.
pub const SPARSE_MAX_DENSITY: f64 = 0.25;

/// Whether a network's first Dense layer may skip the zeros of its input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InputSparsity {
    /// Sparse products for batches at most [`SPARSE_MAX_DENSITY`] dense,
    /// dense gemm otherwise (decided per batch).
    #[default]
    Auto,
    /// Always dense gemm.
    Dense,
}

impl InputSparsity {
    /// The most nonzeros a `rows x cols` batch may have to be taken as
    /// sparse (0 under [`Dense`](Self::Dense): never).
    pub fn max_nnz(self, rows: usize, cols: usize) -> Option<usize> {
        match self {
            InputSparsity::Auto => {
                Some((SPARSE_MAX_DENSITY * rows as f64 * cols as f64).floor() as usize)
            }
            InputSparsity::Dense => None,
        }
    }
}

/// A batch trained on many times (full-batch gradient descent), with the
/// form of it the first layer reads made once: its nonzeros and their
/// transpose if it is sparse enough, else its dense transpose (so that the
/// weight gradient `Xᵀ dY` streams rows instead of repacking `X` each step).
pub struct PreparedBatch<'a, T: Scalar> {
    x: MatrixView<'a, T>,
    form: PreparedForm<T>,
}

enum PreparedForm<T: Scalar> {
    Sparse {
        x: SparseMatrix<T>,
        x_t: SparseMatrix<T>,
    },
    Transposed(Matrix<T>),
}

impl<'a, T: Scalar> PreparedBatch<'a, T> {
    /// Prepares `x` (one sample per row) under `sparsity`.
    pub fn new(x: MatrixView<'a, T>, sparsity: InputSparsity) -> Self {
        let (mut sparse_x, mut x_t) = (SparseMatrix::new(), SparseMatrix::new());
        let sparse = sparsity
            .max_nnz(x.rows(), x.cols())
            .is_some_and(|max| assign_sparse_with_transpose(&mut sparse_x, &mut x_t, x, max));
        let form = if sparse {
            PreparedForm::Sparse { x: sparse_x, x_t }
        } else {
            PreparedForm::Transposed(matrix::transpose(x))
        };
        PreparedBatch { x, form }
    }

    /// The batch.
    pub fn x(&self) -> MatrixView<'a, T> {
        self.x
    }

    /// The form the first Dense layer reads, for a training step.
    pub fn input(&self) -> DenseInput<'_, T> {
        match &self.form {
            PreparedForm::Sparse { x, x_t } => DenseInput::Sparse {
                x: self.x,
                nonzeros: x,
                transposed: Some(x_t),
            },
            PreparedForm::Transposed(x_t) => DenseInput::Transposed {
                x: self.x,
                x_t: x_t.view(),
            },
        }
    }

    /// True if the first layer will skip its zeros.
    pub fn is_sparse(&self) -> bool {
        matches!(self.form, PreparedForm::Sparse { .. })
    }
}

/// `x` into `sparse_x` and `xᵀ` into `x_t` if `x` has at most `max_nnz`
/// nonzeros (else false, and neither is changed): both at once on two
/// threads, each giving up after counting if the batch is too dense. On one
/// thread, no join: called from outside a pool, it would park this thread on
/// a latch per batch, a large share of a one-thread training step.
pub(crate) fn assign_sparse_with_transpose<T: Scalar>(
    sparse_x: &mut SparseMatrix<T>,
    x_t: &mut SparseMatrix<T>,
    x: MatrixView<'_, T>,
    max_nnz: usize,
) -> bool {
    if rayon::current_num_threads() == 1 {
        if !sparse_x.assign_from_dense_at_most(x, max_nnz) {
            return false;
        }
        x_t.assign_from_dense(x.t());
        return true;
    }
    let (rows_ok, _) = rayon::join(
        || sparse_x.assign_from_dense_at_most(x, max_nnz),
        || x_t.assign_from_dense_at_most(x.t(), max_nnz),
    );
    rows_ok
}
