//! Block-sparse rows: groups of [`GROUP`] rows, each stored as the columns
//! where any of its rows is nonzero, with the group's values there.

use crate::{Matrix, MatrixView, Scalar};

/// Rows per group (the block height of the format, and the number of C
/// rows the kernel accumulates at once).
pub const GROUP: usize = 4;

/// A sparse `rows x cols` matrix in block-sparse-row form with
/// [`GROUP`] x 1 blocks: rows are taken [`GROUP`] at a time, and each group
/// stores the columns (ascending) where any of its rows is nonzero, with
/// all [`GROUP`] values of that column (zeros included; a short last group
/// is padded with zero rows).
///
/// Made for inputs that are mostly zeros with shared structure, as MNIST
/// images are (81% zero pixels, mostly the same ones), to multiply with
/// [`sparse_gemm`](crate::sparse_gemm): each stored column loads one row of
/// B and uses it for [`GROUP`] rows of C. On MNIST, 4 images have 307
/// distinct nonzero pixels against 600 nonzeros in all.
///
/// The buffers are reused: [`assign_from_dense`](Self::assign_from_dense)
/// allocates only when a matrix needs more room than any before it (see
/// [`reserve`](Self::reserve)).
///
/// ```
/// use matrix::{SparseMatrix, Matrix};
/// let dense = Matrix::from_vec(2, 3, vec![0.0f32, 2.0, 0.0, 1.0, 0.0, 0.0]);
/// let s = SparseMatrix::from_dense(&dense);
/// assert_eq!(s.nnz(), 2);
/// assert_eq!(s.stored_columns(), 2); // columns 0 and 1 of the one group
/// assert_eq!(s.to_dense(), dense);
/// // The transpose is the sparse form of a transposed view.
/// assert_eq!(SparseMatrix::from_dense(dense.t()).to_dense(), dense.transposed());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SparseMatrix<T> {
    rows: usize,
    cols: usize,
    nnz: usize,
    /// Group `g`'s stored columns are `group_start[g]..group_start[g + 1]`.
    group_start: Vec<usize>,
    col_index: Vec<u32>,
    /// `GROUP` values per stored column: `values[GROUP * u + r]` is row
    /// `GROUP * g + r` at column `col_index[u]`.
    values: Vec<T>,
}

impl<T: Scalar> Default for SparseMatrix<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Scalar> SparseMatrix<T> {
    /// An empty `0 x 0` matrix, to [`assign_from_dense`](Self::assign_from_dense)
    /// into. Allocates nothing.
    pub fn new() -> Self {
        SparseMatrix {
            rows: 0,
            cols: 0,
            nnz: 0,
            group_start: Vec::new(),
            col_index: Vec::new(),
            values: Vec::new(),
        }
    }

    /// The sparse form of `a` (any strides). Entries equal to zero (`+0` or
    /// `-0`) count as zeros; NaN and infinities as nonzeros.
    ///
    /// # Panics
    /// If `a` has more than `u32::MAX` columns.
    pub fn from_dense<'a>(a: impl Into<MatrixView<'a, T>>) -> Self {
        let mut s = Self::new();
        s.assign_from_dense(a);
        s
    }

    /// Room for matrices of up to `nnz` nonzeros, so that later
    /// assignments up to that many do not allocate (a training loop
    /// reserves for the densest batch it will take this way).
    pub fn reserve(&mut self, nnz: usize) {
        // A group stores at most one column per nonzero; one slot of slack
        // for the branch-free fill, which writes one past the count.
        let cols = nnz + 1;
        self.col_index
            .reserve(cols.saturating_sub(self.col_index.len()));
        self.values
            .reserve((GROUP * cols).saturating_sub(self.values.len()));
    }

    /// Replaces the contents with the sparse form of `a`, reusing the buffers.
    ///
    /// # Panics
    /// If `a` has more than `u32::MAX` columns.
    pub fn assign_from_dense<'a>(&mut self, a: impl Into<MatrixView<'a, T>>) {
        self.assign_from_dense_at_most(a, usize::MAX);
    }

    /// [`assign_from_dense`](Self::assign_from_dense) if `a` has at most
    /// `max_nnz` nonzeros; otherwise leaves `self` unchanged and returns
    /// false, having only counted them (how a caller picks the sparse or
    /// the dense product for a batch without allocating).
    ///
    /// ```
    /// use matrix::{SparseMatrix, Matrix};
    /// let mut s = SparseMatrix::new();
    /// assert!(!s.assign_from_dense_at_most(&Matrix::<f32>::filled(2, 2, 1.0), 3));
    /// assert!(s.assign_from_dense_at_most(&Matrix::<f32>::identity(2), 3));
    /// assert_eq!(s.nnz(), 2);
    /// ```
    ///
    /// # Panics
    /// If `a` has more than `u32::MAX` columns.
    pub fn assign_from_dense_at_most<'a>(
        &mut self,
        a: impl Into<MatrixView<'a, T>>,
        max_nnz: usize,
    ) -> bool {
        let a = a.into();
        let (rows, cols) = a.shape();
        assert!(
            u32::try_from(cols).is_ok(),
            "SparseMatrix: {cols} columns do not fit a u32 column index"
        );
        let nnz: usize = (0..rows)
            .map(|i| match a.row(i) {
                Some(row) => row.iter().filter(|&&v| v != T::ZERO).count(),
                None => (0..cols).filter(|&j| a.get(i, j) != T::ZERO).count(),
            })
            .sum();
        if nnz > max_nnz {
            return false;
        }
        let groups = rows.div_ceil(GROUP);
        self.rows = rows;
        self.cols = cols;
        self.nnz = nnz;
        self.group_start.clear();
        self.group_start.resize(groups + 1, 0);
        self.col_index.clear();
        self.values.clear();
        self.reserve(nnz);
        let (ip, vp) = (self.col_index.as_mut_ptr(), self.values.as_mut_ptr());
        let (ptr, rs, cs) = (a.as_ptr(), a.row_stride(), a.col_stride());
        let mut count = 0usize;
        for g in 0..groups {
            let r0 = g * GROUP;
            let real = GROUP.min(rows - r0);
            for j in 0..cols {
                let mut any = false;
                for r in 0..GROUP {
                    let v = if r < real {
                        // SAFETY: (r0 + r, j) is inside a's shape.
                        unsafe { *ptr.add((r0 + r) * rs + j * cs) }
                    } else {
                        T::ZERO
                    };
                    any |= v != T::ZERO;
                    // SAFETY: count <= stored columns <= nnz, and the
                    // buffers hold nnz + 1 columns (reserved above).
                    unsafe { vp.add(GROUP * count + r).write(v) };
                }
                // SAFETY: as above.
                unsafe { ip.add(count).write(j as u32) };
                count += usize::from(any);
            }
            self.group_start[g + 1] = count;
        }
        // SAFETY: the first `count` columns of both buffers were written.
        unsafe {
            self.col_index.set_len(count);
            self.values.set_len(GROUP * count);
        }
        true
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// `(rows, cols)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }
    /// Number of nonzero entries.
    pub fn nnz(&self) -> usize {
        self.nnz
    }
    /// Stored columns over all groups: a product costs
    /// `stored_columns() * GROUP * n` multiply-adds.
    pub fn stored_columns(&self) -> usize {
        self.col_index.len()
    }
    /// Fraction of entries that are nonzero (0 when empty).
    pub fn density(&self) -> f64 {
        let all = self.rows * self.cols;
        if all == 0 {
            0.0
        } else {
            self.nnz as f64 / all as f64
        }
    }
    /// The dense matrix.
    pub fn to_dense(&self) -> Matrix<T> {
        let mut m = Matrix::zeros(self.rows, self.cols);
        for g in 0..self.rows.div_ceil(GROUP) {
            for u in self.group_start[g]..self.group_start[g + 1] {
                for r in 0..GROUP.min(self.rows - g * GROUP) {
                    m[(g * GROUP + r, self.col_index[u] as usize)] = self.values[GROUP * u + r];
                }
            }
        }
        m
    }

    /// Row `i`'s nonzeros as (column, value) pairs, in column order.
    pub fn row_entries(&self, i: usize) -> impl Iterator<Item = (usize, T)> + '_ {
        let (g, r) = (i / GROUP, i % GROUP);
        (self.group_start[g]..self.group_start[g + 1])
            .map(move |u| (self.col_index[u] as usize, self.values[GROUP * u + r]))
            .filter(|&(_, v)| v != T::ZERO)
    }

    /// The raw arrays, for the kernel.
    pub(crate) fn parts(&self) -> (&[usize], &[u32], &[T]) {
        (&self.group_start, &self.col_index, &self.values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Once reserved for the densest matrix, reassigning never reallocates.
    #[test]
    fn reassigning_within_the_reservation_keeps_the_buffers() {
        let batch =
            |every: usize| Matrix::from_fn(128, 784, |i, j| f32::from((i * 7 + j) % every == 0));
        let mut s = SparseMatrix::<f32>::new();
        let mut st = SparseMatrix::<f32>::new();
        s.reserve(128 * 784 / 2);
        st.reserve(128 * 784 / 2);
        s.assign_from_dense(&batch(3));
        st.assign_from_dense(batch(3).t());
        let (p, pt) = (s.values.as_ptr(), st.values.as_ptr());
        for every in [9, 2, 5, 3] {
            let d = batch(every);
            s.assign_from_dense(&d);
            st.assign_from_dense(d.t());
            assert_eq!(s.to_dense(), d);
            assert_eq!(s.values.as_ptr(), p, "values moved");
            assert_eq!(st.values.as_ptr(), pt, "transposed values moved");
        }
    }
}
