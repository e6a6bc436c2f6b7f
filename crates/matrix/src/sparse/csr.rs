//! Compressed sparse rows: the nonzeros of each row, in column order.

use crate::{Matrix, MatrixView, Scalar};

/// A sparse `rows x cols` matrix in compressed sparse row (CSR) form: row
/// `i`'s nonzeros are `values[row_start[i]..row_start[i + 1]]`, in columns
/// `col_index[..]` (ascending).
///
/// Made for inputs that are mostly zeros, as MNIST images are (81% of
/// their pixels), to multiply with [`sparse_gemm`](crate::sparse_gemm). The
/// buffers are reused: [`assign_from_dense`](Self::assign_from_dense) and
/// [`assign_transpose`](Self::assign_transpose) allocate only when a matrix
/// needs more room than any before it (see [`reserve`](Self::reserve)).
///
/// ```
/// use matrix::{CsrMatrix, Matrix};
/// let dense = Matrix::from_vec(2, 3, vec![0.0f32, 2.0, 0.0, 1.0, 0.0, 3.0]);
/// let s = CsrMatrix::from_dense(&dense);
/// assert_eq!(s.nnz(), 3);
/// assert_eq!(s.row(1), (&[0u32, 2][..], &[1.0f32, 3.0][..]));
/// assert_eq!(s.to_dense(), dense);
/// let t = CsrMatrix::transpose_of(&s);
/// assert_eq!(t.to_dense(), dense.transposed());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CsrMatrix<T> {
    rows: usize,
    cols: usize,
    row_start: Vec<usize>,
    col_index: Vec<u32>,
    values: Vec<T>,
}

impl<T: Scalar> Default for CsrMatrix<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Scalar> CsrMatrix<T> {
    /// An empty `0 x 0` matrix, to [`assign_from_dense`](Self::assign_from_dense)
    /// into. Allocates nothing.
    pub fn new() -> Self {
        CsrMatrix {
            rows: 0,
            cols: 0,
            // Empty rather than [0]: row_start is read only for rows < self.rows.
            row_start: Vec::new(),
            col_index: Vec::new(),
            values: Vec::new(),
        }
    }

    /// The nonzeros of `a` (any strides). Entries equal to zero (`+0` or
    /// `-0`) are dropped; NaN and infinities are kept.
    ///
    /// # Panics
    /// If `a` has more than `u32::MAX` columns.
    pub fn from_dense<'a>(a: impl Into<MatrixView<'a, T>>) -> Self {
        let mut s = Self::new();
        s.assign_from_dense(a);
        s
    }

    /// The transpose of `other`, in CSR form (that is, `other` by columns).
    pub fn transpose_of(other: &CsrMatrix<T>) -> Self {
        let mut s = Self::new();
        s.assign_transpose(other);
        s
    }

    /// Room for `nnz` nonzeros, so that later assignments up to that many
    /// do not allocate (a training loop reserves its batch's worst case).
    pub fn reserve(&mut self, nnz: usize) {
        // One slot of slack: the branch-free fill writes one past the count.
        let want = nnz + 1;
        self.values.reserve(want.saturating_sub(self.values.len()));
        self.col_index
            .reserve(want.saturating_sub(self.col_index.len()));
    }

    /// Replaces the contents with the nonzeros of `a`, reusing the buffers.
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
    /// use matrix::{CsrMatrix, Matrix};
    /// let mut s = CsrMatrix::new();
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
            "CsrMatrix: {cols} columns do not fit a u32 column index"
        );
        // Count first, so the fill needs one reservation.
        let nnz: usize = (0..rows)
            .map(|i| match a.row(i) {
                Some(row) => row.iter().filter(|&&v| v != T::ZERO).count(),
                None => (0..cols).filter(|&j| a.get(i, j) != T::ZERO).count(),
            })
            .sum();
        if nnz > max_nnz {
            return false;
        }
        self.rows = rows;
        self.cols = cols;
        self.row_start.clear();
        self.row_start.resize(rows + 1, 0);
        self.values.clear();
        self.col_index.clear();
        self.reserve(nnz);
        let (vp, ip) = (self.values.as_mut_ptr(), self.col_index.as_mut_ptr());
        let mut count = 0usize;
        for i in 0..rows {
            match a.row(i) {
                Some(row) => {
                    for (j, &v) in row.iter().enumerate() {
                        // SAFETY: count <= nnz < capacity (reserved nnz + 1):
                        // each slot is written, then kept only if v != 0.
                        unsafe {
                            vp.add(count).write(v);
                            ip.add(count).write(j as u32);
                        }
                        count += usize::from(v != T::ZERO);
                    }
                }
                None => {
                    for j in 0..cols {
                        let v = a.get(i, j);
                        // SAFETY: as above.
                        unsafe {
                            vp.add(count).write(v);
                            ip.add(count).write(j as u32);
                        }
                        count += usize::from(v != T::ZERO);
                    }
                }
            }
            self.row_start[i + 1] = count;
        }
        debug_assert_eq!(count, nnz);
        // SAFETY: the first `count` slots of both buffers were written above.
        unsafe {
            self.values.set_len(count);
            self.col_index.set_len(count);
        }
        true
    }

    /// Replaces the contents with the transpose of `other` (a counting
    /// sort by column: two passes over its nonzeros), reusing the buffers.
    ///
    /// # Panics
    /// If `other` has more than `u32::MAX` rows.
    pub fn assign_transpose(&mut self, other: &CsrMatrix<T>) {
        assert!(
            u32::try_from(other.rows).is_ok(),
            "CsrMatrix: {} rows do not fit a u32 column index",
            other.rows
        );
        let (rows, cols, nnz) = (other.cols, other.rows, other.nnz());
        self.rows = rows;
        self.cols = cols;
        self.row_start.clear();
        self.row_start.resize(rows + 1, 0);
        for &j in &other.col_index {
            self.row_start[j as usize + 1] += 1;
        }
        for r in 0..rows {
            self.row_start[r + 1] += self.row_start[r];
        }
        self.values.clear();
        self.col_index.clear();
        self.reserve(nnz);
        self.values.resize(nnz, T::ZERO);
        self.col_index.resize(nnz, 0);
        // row_start[r] serves as row r's write cursor, then is shifted back.
        for i in 0..other.rows {
            let (cols_i, vals_i) = other.row(i);
            for (&j, &v) in cols_i.iter().zip(vals_i) {
                let at = &mut self.row_start[j as usize];
                self.col_index[*at] = i as u32;
                self.values[*at] = v;
                *at += 1;
            }
        }
        for r in (1..=rows).rev() {
            self.row_start[r] = self.row_start[r - 1];
        }
        self.row_start[0] = 0;
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
    /// Number of stored nonzeros.
    pub fn nnz(&self) -> usize {
        self.values.len()
    }
    /// Fraction of entries stored: `nnz / (rows * cols)` (0 when empty).
    pub fn density(&self) -> f64 {
        let all = self.rows * self.cols;
        if all == 0 {
            0.0
        } else {
            self.nnz() as f64 / all as f64
        }
    }
    /// Row `i`'s column indices and values.
    ///
    /// # Panics
    /// If `i >= rows`.
    pub fn row(&self, i: usize) -> (&[u32], &[T]) {
        let r = self.row_start[i]..self.row_start[i + 1];
        (&self.col_index[r.clone()], &self.values[r])
    }
    /// The dense matrix, zeros filled in.
    pub fn to_dense(&self) -> Matrix<T> {
        let mut m = Matrix::zeros(self.rows, self.cols);
        for i in 0..self.rows {
            let (cols, vals) = self.row(i);
            for (&j, &v) in cols.iter().zip(vals) {
                m[(i, j as usize)] = v;
            }
        }
        m
    }

    /// The raw arrays, for the kernel.
    pub(crate) fn parts(&self) -> (&[usize], &[u32], &[T]) {
        (&self.row_start, &self.col_index, &self.values)
    }
}
