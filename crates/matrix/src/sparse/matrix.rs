//! Block-sparse rows: groups of [`GROUP`] rows, each stored as the columns
//! where any of its rows is nonzero, with the group's values there.

use crate::arch::with_target_features;
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
    pub(super) group_start: Vec<usize>,
    pub(super) col_index: Vec<u32>,
    /// `GROUP` values per stored column: `values[GROUP * u + r]` is row
    /// `GROUP * g + r` at column `col_index[u]`.
    pub(super) values: Vec<T>,
}

/// Bit `t` set for every element `xs[t]` (at most 64) that is nonzero: a
/// loop LLVM turns into vector compares and mask moves.
#[inline(always)]
pub(super) fn nonzero_bits<T: Scalar>(xs: &[T]) -> u64 {
    debug_assert!(xs.len() <= 64);
    xs.iter()
        .enumerate()
        .fold(0, |bits, (t, &v)| bits | (u64::from(v != T::ZERO) << t))
}

/// Calls `visit(g)` for each group `g` of `GROUP` consecutive elements of
/// `col` with a nonzero element, in order: 64 elements at a time, a bit
/// per nonzero element folded into a bit per nonzero group.
#[inline(always)]
fn for_each_nonzero_group<T: Scalar>(col: &[T], mut visit: impl FnMut(usize)) {
    for (block, xs) in col.chunks(64).enumerate() {
        for_each_group_bit(nonzero_bits(xs), |t| visit(64 / GROUP * block + t / GROUP));
    }
}

/// Calls `visit(t)` for each group of `GROUP` bits of `word` (bits
/// `t..t + GROUP`, `t` a multiple of `GROUP`) with a bit set, in order.
#[inline(always)]
pub(super) fn for_each_group_bit(word: u64, mut visit: impl FnMut(usize)) {
    let mut any = group_leads(word);
    while any != 0 {
        visit(any.trailing_zeros() as usize);
        any &= any - 1;
    }
}

/// The lowest bit of each group of `GROUP` bits of `word` that has a bit
/// set: `word` with each group reduced to whether it is nonzero.
#[inline(always)]
pub(super) fn group_leads(word: u64) -> u64 {
    (word | word >> 1 | word >> 2 | word >> 3) & GROUP_LEADS
}

/// The lowest bit of each group of `GROUP` bits in a u64.
const GROUP_LEADS: u64 = 0x1111_1111_1111_1111;
const _: () = assert!(GROUP == 4, "GROUP_LEADS assumes groups of 4 bits");

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
        // The scans below are compare-and-collect-bits loops: compiled for
        // the widest vector unit the kernel selection allows, they run
        // 2-3x faster than the baseline x86-64 (SSE2) build.
        // An unusable `MATNET_KERNEL` is reported once and the fastest
        // kernel runs, as for the products.
        let kind = crate::arch::kernel_in_use();
        with_target_features!(
            kind,
            fn assign<T: Scalar>(
                s: &mut SparseMatrix<T>,
                a: MatrixView<'_, T>,
                max_nnz: usize,
            ) -> bool {
                s.assign(a, max_nnz)
            },
            (self, a, max_nnz)
        )
    }

    #[inline(always)]
    fn assign(&mut self, a: MatrixView<'_, T>, max_nnz: usize) -> bool {
        let (rows, cols) = a.shape();
        assert!(
            u32::try_from(cols).is_ok(),
            "SparseMatrix: {cols} columns do not fit a u32 column index"
        );
        let (ptr, rs, cs) = (a.as_ptr(), a.row_stride(), a.col_stride());
        // A transposed row-major matrix (rows contiguous across, columns
        // strided) is read in memory order: its columns are the rows of
        // the matrix it views.
        let by_columns = rs == 1 && cs != 1 && cols > 1;
        let nnz: usize = if by_columns {
            (0..cols)
                .map(|j| {
                    // SAFETY: column j of a is rows contiguous elements.
                    let col = unsafe { std::slice::from_raw_parts(ptr.add(j * cs), rows) };
                    col.iter().filter(|&&v| v != T::ZERO).count()
                })
                .sum()
        } else {
            (0..rows)
                .map(|i| match a.row(i) {
                    Some(row) => row.iter().filter(|&&v| v != T::ZERO).count(),
                    None => (0..cols).filter(|&j| a[(i, j)] != T::ZERO).count(),
                })
                .sum()
        };
        if nnz > max_nnz {
            return false;
        }
        let groups = self.start_assign(rows, cols, nnz);
        // Group g's values at column j: rows GROUP*g.. of a (zero past the end).
        let group_at = |g: usize, j: usize| -> ([T; GROUP], bool) {
            let mut x = [T::ZERO; GROUP];
            for (r, v) in x.iter_mut().enumerate().take(rows - g * GROUP) {
                // SAFETY: (GROUP*g + r, j) is inside a's shape.
                *v = unsafe { *ptr.add((g * GROUP + r) * rs + j * cs) };
            }
            (x, x.iter().any(|&v| v != T::ZERO))
        };
        let (ip, vp) = (self.col_index.as_mut_ptr(), self.values.as_mut_ptr());
        // Writes column j of a group at slot `at` (kept by the caller only
        // if the group is nonzero there: the fill is branch-free).
        let put = |at: usize, j: usize, x: [T; GROUP]| {
            // SAFETY: at <= stored columns <= nnz, and the buffers hold
            // nnz + 1 columns (reserved above).
            unsafe {
                ip.add(at).write(j as u32);
                for (r, &v) in x.iter().enumerate() {
                    vp.add(GROUP * at + r).write(v);
                }
            }
        };
        let stored = if by_columns {
            // Column j of `a` is contiguous: visit only the groups stored at
            // column j (for_each_nonzero_group). Pass 1 counts each group's stored columns; pass 2 fills, with
            // group_start[g] as group g's write cursor, shifted back after.
            // SAFETY: column j of a is `rows` contiguous elements.
            let column = |j: usize| unsafe { std::slice::from_raw_parts(ptr.add(j * cs), rows) };
            for j in 0..cols {
                for_each_nonzero_group(column(j), |g| self.group_start[g + 1] += 1);
            }
            for g in 0..groups {
                self.group_start[g + 1] += self.group_start[g];
            }
            for j in 0..cols {
                for_each_nonzero_group(column(j), |g| {
                    put(self.group_start[g], j, group_at(g, j).0);
                    self.group_start[g] += 1;
                });
            }
            for g in (1..=groups).rev() {
                self.group_start[g] = self.group_start[g - 1];
            }
            self.group_start[0] = 0;
            self.group_start[groups]
        } else if cs == 1 {
            // Rows contiguous: a bit per column where any of the group's
            // rows is nonzero, 64 columns at a time; write only those.
            let mut count = 0usize;
            for g in 0..groups {
                let group_rows = GROUP.min(rows - g * GROUP);
                for j0 in (0..cols).step_by(64) {
                    let w = 64.min(cols - j0);
                    let mut bits = 0u64;
                    for r in 0..group_rows {
                        // SAFETY: row GROUP*g + r of a has `cols` contiguous
                        // elements, of which j0..j0 + w.
                        let xs = unsafe {
                            std::slice::from_raw_parts(ptr.add((g * GROUP + r) * rs + j0), w)
                        };
                        bits |= nonzero_bits(xs);
                    }
                    while bits != 0 {
                        let j = j0 + bits.trailing_zeros() as usize;
                        put(count, j, group_at(g, j).0);
                        count += 1;
                        bits &= bits - 1;
                    }
                }
                self.group_start[g + 1] = count;
            }
            count
        } else {
            let mut count = 0usize;
            for g in 0..groups {
                for j in 0..cols {
                    let (x, any) = group_at(g, j);
                    put(count, j, x);
                    count += usize::from(any);
                }
                self.group_start[g + 1] = count;
            }
            count
        };
        // SAFETY: the first `stored` columns of both buffers were written.
        unsafe {
            self.col_index.set_len(stored);
            self.values.set_len(GROUP * stored);
        }
        true
    }

    /// Empties `self` for a new `rows x cols` matrix of `nnz` nonzeros:
    /// every group's start 0, no stored column, room for all of them
    /// reserved. Returns the number of groups.
    pub(super) fn start_assign(&mut self, rows: usize, cols: usize, nnz: usize) -> usize {
        let groups = rows.div_ceil(GROUP);
        self.rows = rows;
        self.cols = cols;
        self.nnz = nnz;
        self.group_start.clear();
        self.group_start.resize(groups + 1, 0);
        self.col_index.clear();
        self.values.clear();
        self.reserve(nnz);
        groups
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
