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

use matrix::{Matrix, MatrixView, Scalar, SparseMatrix, SparseRows};

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

/// A batch in the form a sparse first layer reads, in buffers reused from
/// batch to batch: its nonzeros and, for a training step, those of its
/// transpose. Built from the dense batch, or straight from a data set's
/// [`SparseRows`] (how [`crate::fit`] makes its mini-batches: no dense copy
/// of the batch is made at all).
///
/// ```
/// use matrix::{Matrix, SparseRows};
/// use nn::{InputSparsity, SparseBatch};
/// let data = Matrix::from_fn(10, 6, |i, j| if (i + j) % 5 == 0 { 1.0f32 } else { 0.0 });
/// let rows = SparseRows::from_dense(&data);
/// let mut batch = SparseBatch::new();
/// assert!(batch.assign_rows(&rows, &[3, 1, 4], InputSparsity::Auto));
/// assert_eq!(batch.shape(), (3, 6));
/// assert_eq!(batch.nonzeros().to_dense().as_slice()[..6], *data.row(3));
/// // A batch denser than the policy allows is refused, and left as it was.
/// let dense = SparseRows::from_dense(&Matrix::<f32>::filled(4, 6, 1.0));
/// assert!(!batch.assign_rows(&dense, &[0, 1], InputSparsity::Auto));
/// assert!(!batch.assign_rows(&rows, &[3], InputSparsity::Dense));
/// assert_eq!(batch.shape(), (3, 6));
/// ```
#[derive(Default)]
pub struct SparseBatch<T: Scalar> {
    x: SparseMatrix<T>,
    x_t: SparseMatrix<T>,
    /// Whether `x_t` is the transpose of `x` (else stale).
    transposed: bool,
    /// Batch rows the two above are reserved for.
    reserved_rows: usize,
}

impl<T: Scalar> SparseBatch<T> {
    /// An empty batch; allocates nothing until the first assignment.
    pub fn new() -> Self {
        Self::default()
    }

    /// The most nonzeros `sparsity` lets a `rows x cols` batch have, with
    /// room reserved for that many the first time a batch of `rows` comes
    /// (so that a training loop allocates here for its first batch only).
    fn room(&mut self, rows: usize, cols: usize, sparsity: InputSparsity) -> Option<usize> {
        let max_nnz = sparsity.max_nnz(rows, cols)?;
        if rows > self.reserved_rows {
            self.x.reserve(max_nnz);
            self.x_t.reserve(max_nnz);
            self.reserved_rows = rows;
        }
        Some(max_nnz)
    }

    /// The sparse form of `x` (and of `xᵀ` with `with_transpose`), if
    /// `sparsity` and the batch's density allow; otherwise false, with
    /// `self` unchanged.
    pub fn assign_dense(
        &mut self,
        x: MatrixView<'_, T>,
        sparsity: InputSparsity,
        with_transpose: bool,
    ) -> bool {
        let Some(max_nnz) = self.room(x.rows(), x.cols(), sparsity) else {
            return false;
        };
        let sparse = if with_transpose {
            assign_sparse_with_transpose(&mut self.x, &mut self.x_t, x, max_nnz)
        } else {
            self.x.assign_from_dense_at_most(x, max_nnz)
        };
        if sparse {
            self.transposed = with_transpose;
        }
        sparse
    }

    /// The batch of rows `selection` of `src`, and its transpose, made from
    /// their nonzeros alone (no dense copy), if `sparsity` and the batch's
    /// density allow; otherwise false, with `self` unchanged. The same
    /// matrices as [`assign_dense`](Self::assign_dense) of those rows.
    /// Both at once on two threads.
    ///
    /// # Panics
    /// If `selection` names a row `src` does not have.
    pub fn assign_rows(
        &mut self,
        src: &SparseRows<T>,
        selection: &[usize],
        sparsity: InputSparsity,
    ) -> bool {
        let Some(max_nnz) = self.room(selection.len(), src.cols(), sparsity) else {
            return false;
        };
        let (x, x_t) = (&mut self.x, &mut self.x_t);
        let (rows_ok, _) = join_unless_alone(
            || x.assign_from_rows(src, selection, max_nnz),
            || x_t.assign_transpose_from_rows(src, selection, max_nnz),
        );
        if rows_ok {
            self.transposed = true;
        }
        rows_ok
    }

    /// `(rows, cols)` of the batch.
    pub fn shape(&self) -> (usize, usize) {
        self.x.shape()
    }

    /// The batch's nonzeros.
    pub fn nonzeros(&self) -> &SparseMatrix<T> {
        &self.x
    }

    /// What the first Dense layer reads: the nonzeros, with their transpose
    /// if the last assignment made it.
    pub fn input(&self) -> DenseInput<'_, T> {
        DenseInput::Sparse {
            nonzeros: &self.x,
            transposed: self.transposed.then_some(&self.x_t),
        }
    }
}

/// Both closures, at once when there are two threads or more. On one
/// thread, no join: called from outside a pool, it would park this thread
/// on a latch per batch, a large share of a one-thread training step.
fn join_unless_alone<A: Send, B: Send>(
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if rayon::current_num_threads() == 1 {
        (a(), b())
    } else {
        rayon::join(a, b)
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
    Sparse(SparseBatch<T>),
    Transposed(Matrix<T>),
}

impl<'a, T: Scalar> PreparedBatch<'a, T> {
    /// Prepares `x` (one sample per row) under `sparsity`.
    pub fn new(x: MatrixView<'a, T>, sparsity: InputSparsity) -> Self {
        let mut sparse = SparseBatch::new();
        let form = if sparse.assign_dense(x, sparsity, true) {
            PreparedForm::Sparse(sparse)
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
            PreparedForm::Sparse(batch) => batch.input(),
            PreparedForm::Transposed(x_t) => DenseInput::Transposed {
                x: self.x,
                x_t: x_t.view(),
            },
        }
    }

    /// True if the first layer will skip its zeros.
    pub fn is_sparse(&self) -> bool {
        matches!(self.form, PreparedForm::Sparse(_))
    }
}

/// `x` into `sparse_x` and `xᵀ` into `x_t` if `x` has at most `max_nnz`
/// nonzeros (else false, and neither is changed): both at once on two
/// threads, each giving up after counting if the batch is too dense.
fn assign_sparse_with_transpose<T: Scalar>(
    sparse_x: &mut SparseMatrix<T>,
    x_t: &mut SparseMatrix<T>,
    x: MatrixView<'_, T>,
    max_nnz: usize,
) -> bool {
    join_unless_alone(
        || sparse_x.assign_from_dense_at_most(x, max_nnz),
        || x_t.assign_from_dense_at_most(x.t(), max_nnz),
    )
    .0
}
