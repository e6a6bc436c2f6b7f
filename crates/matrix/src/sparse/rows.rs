//! Sparse rows ([`SparseRows`]): each row's nonzeros on their own, the form
//! a data set keeps so that any selection of its rows becomes a
//! [`SparseMatrix`], and the transpose of one, without a dense copy.
//!
//! A training step on a mini-batch of MNIST otherwise gathers 128 dense
//! rows (400 KB of `f32`, four fifths zeros, from random places of a 188 MB
//! array) and then scans them once per sparse form. From sparse rows it
//! reads a row's nonzero bitmap (104 bytes for 784 columns) and its
//! nonzeros, about 700 bytes, fetched a group ahead.

use super::matrix::{for_each_group_bit, group_leads, nonzero_bits, GROUP};
use super::SparseMatrix;
use crate::arch::Simd;
use crate::gemm::KernelKind;
use crate::{Matrix, MatrixView, Scalar};

/// A sparse `rows x cols` matrix stored by rows: a bit per entry (set where
/// the entry is nonzero), `cols.div_ceil(64)` words a row, and each row's
/// nonzeros in column order.
///
/// Made once from a data set, it builds the block-sparse form of any batch
/// of its rows, and of that batch's transpose, the two forms a first
/// layer's forward and weight gradient read
/// ([`SparseMatrix::assign_from_rows`],
/// [`SparseMatrix::assign_transpose_from_rows`]). Both builds walk the bits
/// a word at a time, without comparisons per entry. The bitmap costs
/// `cols / 8` bytes a row whatever the density: made for rows a few
/// thousand wide at most, as images are.
///
/// ```
/// use matrix::{Matrix, SparseMatrix, SparseRows};
/// let data = Matrix::from_vec(3, 4, vec![0.0f32, 2.0, 0.0, 1.0,
///                                        0.0, 0.0, 0.0, 0.0,
///                                        5.0, 0.0, 0.0, 3.0]);
/// let rows = SparseRows::from_dense(&data);
/// assert_eq!(rows.nnz(), 4);
/// assert_eq!(rows.row_entries(0).collect::<Vec<_>>(), [(1, 2.0), (3, 1.0)]);
/// assert_eq!(rows.to_dense(), data);
///
/// // Rows 2 and 0, in that order, without a dense copy of them.
/// let mut batch = SparseMatrix::new();
/// assert!(batch.assign_from_rows(&rows, &[2, 0], usize::MAX));
/// let copied = Matrix::from_fn(2, 4, |r, j| data[([2, 0][r], j)]);
/// assert_eq!(batch, SparseMatrix::from_dense(&copied));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SparseRows<T> {
    cols: usize,
    /// Words of `bits` per row: `cols.div_ceil(64)`.
    words: usize,
    /// Row `i`'s bits are `bits[words * i..words * (i + 1)]`; bit `b` of
    /// word `w` is column `64 * w + b`.
    bits: Vec<u64>,
    /// Row `i`'s nonzeros are `values[row_start[i]..row_start[i + 1]]`.
    row_start: Vec<usize>,
    values: Vec<T>,
}

impl<T: Scalar> SparseRows<T> {
    /// The nonzeros of each row of `a` (any strides). Entries equal to zero
    /// (`+0` or `-0`) count as zeros; NaN and infinities as nonzeros, as in
    /// [`SparseMatrix::from_dense`].
    ///
    /// # Panics
    /// If `a` has more than `u32::MAX` columns.
    pub fn from_dense<'a>(a: impl Into<MatrixView<'a, T>>) -> Self {
        let a = a.into();
        let (rows, cols) = a.shape();
        assert!(
            u32::try_from(cols).is_ok(),
            "SparseRows: {cols} columns do not fit a u32 column index"
        );
        let words = cols.div_ceil(64);
        let mut bits = vec![0u64; rows * words];
        let mut row_start = Vec::with_capacity(rows + 1);
        row_start.push(0);
        let mut values = Vec::new();
        for i in 0..rows {
            for (w, word) in bits[words * i..words * (i + 1)].iter_mut().enumerate() {
                let (j0, j1) = (64 * w, (64 * w + 64).min(cols));
                *word = match a.row(i) {
                    Some(row) => nonzero_bits(&row[j0..j1]),
                    None => {
                        (j0..j1).fold(0, |b, j| b | u64::from(a[(i, j)] != T::ZERO) << (j - j0))
                    }
                };
                let mut left = *word;
                while left != 0 {
                    values.push(a[(i, j0 + left.trailing_zeros() as usize)]);
                    left &= left - 1;
                }
            }
            row_start.push(values.len());
        }
        SparseRows {
            cols,
            words,
            bits,
            row_start,
            values,
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.row_start.len() - 1
    }
    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// `(rows, cols)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.rows(), self.cols)
    }
    /// Number of nonzero entries.
    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    /// Nonzeros of row `i`, or `None` past the last row.
    pub fn row_nnz(&self, i: usize) -> Option<usize> {
        Some(self.row_start.get(i + 1)? - self.row_start[i])
    }

    /// Row `i`'s nonzeros as (column, value) pairs, in column order.
    ///
    /// # Panics
    /// If `i` is not a row.
    pub fn row_entries(&self, i: usize) -> impl Iterator<Item = (usize, T)> + '_ {
        let (bits, values) = self.row(i);
        let columns = bits.iter().enumerate().flat_map(|(w, &word)| {
            std::iter::successors((word != 0).then_some(word), |&left| {
                let rest = left & (left - 1);
                (rest != 0).then_some(rest)
            })
            .map(move |left| 64 * w + left.trailing_zeros() as usize)
        });
        columns.zip(values.iter().copied())
    }

    /// The dense matrix.
    pub fn to_dense(&self) -> Matrix<T> {
        let mut m = Matrix::zeros(self.rows(), self.cols);
        for i in 0..self.rows() {
            for (j, v) in self.row_entries(i) {
                m[(i, j)] = v;
            }
        }
        m
    }

    /// Row `i`'s bits and nonzeros.
    ///
    /// # Panics
    /// If `i` is not a row, naming it.
    #[inline]
    fn row(&self, i: usize) -> (&[u64], &[T]) {
        assert!(
            i < self.rows(),
            "SparseRows: row {i} selected but there are {} rows",
            self.rows()
        );
        (
            &self.bits[self.words * i..self.words * (i + 1)],
            &self.values[self.row_start[i]..self.row_start[i + 1]],
        )
    }

    /// Nonzeros of the selected rows together, `None` if more than `max`
    /// (what both builds check before they touch their buffers).
    fn nnz_of(&self, selection: &[usize], max: usize) -> Option<usize> {
        let nnz = selection.iter().map(|&i| self.row(i).1.len()).sum();
        (nnz <= max).then_some(nnz)
    }

    /// Starts fetching the bits and nonzeros of the rows `selection` names
    /// (those it has) into the cache, and returns at once: a hint, which
    /// changes no result. A training loop calls it for the next batch
    /// before it works on this one, so that the next batch's build finds its
    /// rows in the cache instead of waiting for them.
    pub fn prefetch(&self, selection: &[usize]) {
        for &i in selection {
            self.prefetch_row(i);
        }
    }

    /// Starts fetching row `i`'s bits and nonzeros (nothing past the last
    /// row).
    fn prefetch_row(&self, i: usize) {
        if i < self.rows() {
            let (bits, values) = self.row(i);
            prefetch_lines(bits);
            prefetch_lines(values);
        }
    }
}

impl<T: Scalar> SparseMatrix<T> {
    /// Replaces the contents with the sparse form of the matrix whose row
    /// `r` is row `selection[r]` of `src` (rows may repeat), if it has at
    /// most `max_nnz` nonzeros; otherwise leaves `self` unchanged and
    /// returns false. The same matrix as
    /// [`assign_from_dense`](Self::assign_from_dense) of those rows copied
    /// out densely, made from the nonzeros alone. Allocates only beyond the
    /// [`reserve`](Self::reserve)d room.
    ///
    /// ```
    /// use matrix::{Matrix, SparseMatrix, SparseRows};
    /// let data = Matrix::from_fn(9, 70, |i, j| if (i * j) % 5 == 1 { 0.5f32 } else { 0.0 });
    /// let src = SparseRows::from_dense(&data);
    /// let pick = [7, 2, 2, 8, 0];
    /// let mut s = SparseMatrix::new();
    /// let copied = Matrix::from_fn(pick.len(), 70, |r, j| data[(pick[r], j)]);
    /// assert!(s.assign_from_rows(&src, &pick, usize::MAX));
    /// assert_eq!(s, SparseMatrix::from_dense(&copied));
    /// assert!(!s.assign_from_rows(&src, &pick, 3)); // more than 3 nonzeros
    /// ```
    ///
    /// # Panics
    /// If `selection` names a row `src` does not have.
    pub fn assign_from_rows(
        &mut self,
        src: &SparseRows<T>,
        selection: &[usize],
        max_nnz: usize,
    ) -> bool {
        let Some(nnz) = src.nnz_of(selection, max_nnz) else {
            return false;
        };
        let (rows, cols) = (selection.len(), src.cols);
        self.start_assign(rows, cols, nnz);
        // Per group and 64 columns: the group's stored columns are the set
        // bits of its rows' words ORed, in order. Each one's place among
        // them is noted at its bit, where every row's values then find it.
        let mut count = 0;
        for (g, members) in selection.chunks(GROUP).enumerate() {
            // The next group's rows are somewhere in a large data set.
            for &i in selection.iter().skip((g + 1) * GROUP).take(GROUP) {
                src.prefetch_row(i);
            }
            let mut rows = [(&[][..], &[][..]); GROUP];
            for (row, &i) in rows.iter_mut().zip(members) {
                *row = src.row(i);
            }
            let mut taken = [0usize; GROUP];
            for w in 0..src.words {
                let union = rows
                    .iter()
                    .fold(0, |u, (bits, _)| u | bits.get(w).unwrap_or(&0));
                if union == 0 {
                    continue;
                }
                let mut place = [0u8; 64];
                let mut left = union;
                let mut added = 0u8;
                while left != 0 {
                    let b = left.trailing_zeros() as usize;
                    self.col_index.push((64 * w + b) as u32);
                    place[b] = added;
                    added += 1;
                    left &= left - 1;
                }
                let base = count;
                count += usize::from(added);
                self.values.resize(GROUP * count, T::ZERO);
                let group_values = &mut self.values[GROUP * base..];
                for (r, (bits, values)) in rows.iter().enumerate() {
                    let mut left = bits.get(w).copied().unwrap_or(0);
                    while left != 0 {
                        let b = left.trailing_zeros() as usize;
                        group_values[GROUP * usize::from(place[b]) + r] = values[taken[r]];
                        taken[r] += 1;
                        left &= left - 1;
                    }
                }
            }
            self.group_start[g + 1] = count;
        }
        true
    }

    /// Replaces the contents with the sparse form of the transpose of the
    /// matrix [`assign_from_rows`](Self::assign_from_rows) would make (so
    /// `src.cols() x selection.len()`), if it has at most `max_nnz`
    /// nonzeros; otherwise leaves `self` unchanged and returns false. The
    /// same matrix as [`assign_from_dense`](Self::assign_from_dense) of the
    /// transposed dense selection. Made with the selected kernel's
    /// instructions (`MATNET_KERNEL`, else the best this CPU has; see
    /// [`assign_transpose_from_rows_with_kernel`](Self::assign_transpose_from_rows_with_kernel)).
    ///
    /// ```
    /// use matrix::{Matrix, SparseMatrix, SparseRows};
    /// let data = Matrix::from_fn(9, 70, |i, j| if (i * j) % 5 == 1 { 0.5f32 } else { 0.0 });
    /// let src = SparseRows::from_dense(&data);
    /// let pick = [7, 2, 2, 8, 0];
    /// let mut s = SparseMatrix::new();
    /// let copied = Matrix::from_fn(pick.len(), 70, |r, j| data[(pick[r], j)]);
    /// assert!(s.assign_transpose_from_rows(&src, &pick, usize::MAX));
    /// assert_eq!(s, SparseMatrix::from_dense(copied.t()));
    /// ```
    ///
    /// # Panics
    /// If `selection` names a row `src` does not have, or has more than
    /// `u32::MAX` rows.
    pub fn assign_transpose_from_rows(
        &mut self,
        src: &SparseRows<T>,
        selection: &[usize],
        max_nnz: usize,
    ) -> bool {
        // A `MATNET_KERNEL` this CPU cannot run is reported once and the
        // fastest kernel builds, as for the products.
        let kernel = crate::arch::kernel_in_use();
        self.assign_transpose_from_rows_with_kernel(kernel, src, selection, max_nnz)
    }

    /// [`assign_transpose_from_rows`](Self::assign_transpose_from_rows)
    /// with an explicit kernel's instructions, whatever `MATNET_KERNEL`
    /// says (how the tests run every kernel the CPU has). Every kernel
    /// makes the same matrix.
    ///
    /// ```
    /// use matrix::{KernelKind, Matrix, SparseMatrix, SparseRows};
    /// let data = Matrix::from_fn(6, 9, |i, j| if (i + j) % 3 == 0 { 1.0f32 + j as f32 } else { 0.0 });
    /// let src = SparseRows::from_dense(&data);
    /// let (mut plain, mut best) = (SparseMatrix::new(), SparseMatrix::new());
    /// plain.assign_transpose_from_rows_with_kernel(KernelKind::Portable, &src, &[5, 0, 3], usize::MAX);
    /// best.assign_transpose_from_rows_with_kernel(KernelKind::best(), &src, &[5, 0, 3], usize::MAX);
    /// assert_eq!(plain, best);
    /// ```
    ///
    /// # Panics
    /// As [`assign_transpose_from_rows`](Self::assign_transpose_from_rows),
    /// and if this CPU cannot run `kernel`.
    pub fn assign_transpose_from_rows_with_kernel(
        &mut self,
        kernel: KernelKind,
        src: &SparseRows<T>,
        selection: &[usize],
        max_nnz: usize,
    ) -> bool {
        assert!(
            kernel.is_supported(),
            "SparseMatrix: this CPU cannot run the {} kernel",
            kernel.name()
        );
        let Some(nnz) = src.nnz_of(selection, max_nnz) else {
            return false;
        };
        let (rows, cols) = (src.cols, selection.len());
        assert!(
            u32::try_from(cols).is_ok(),
            "SparseMatrix: {cols} selected rows do not fit a u32 column index"
        );
        let groups = self.start_assign(rows, cols, nnz);
        // Group g holds src's columns GROUP*g.. (a nibble of a word) and
        // stores, in ascending order, each selected row nonzero there. A
        // counting sort over the rows: pass 1 counts each group's stored
        // columns, pass 2 fills, with group_start[g] as group g's write
        // cursor (shifted back after).
        const _: () = assert!(64 % GROUP == 0, "a group's bits lie in one word");
        count_groups(src, selection, &mut self.group_start[1..]);
        for g in 0..groups {
            self.group_start[g + 1] += self.group_start[g];
        }
        let stored = self.group_start[groups];
        self.col_index.resize(stored, 0);
        self.values.resize(GROUP * stored, T::ZERO);
        let fill = TransposeFill {
            src,
            selection,
            cursor: &mut self.group_start,
            col_index: &mut self.col_index,
            values: &mut self.values,
        };
        // SAFETY: checked above: this CPU has the kernel's instructions.
        unsafe { fill_transpose_with(kernel, fill) };
        for g in (1..=groups).rev() {
            self.group_start[g] = self.group_start[g - 1];
        }
        self.group_start[0] = 0;
        true
    }
}

/// Adds to `counts[g]`, for each group `g` of `GROUP` columns, how many of
/// the rows `selection` has a nonzero in it.
///
/// A word's groups are counted side by side: its groups' lowest bits, set
/// where the group has a nonzero ([`group_leads`]), summed over rows as
/// plain integers, add up in `GROUP`-bit fields, one per group, which hold
/// up to 15 before one would carry into the next. So 15 rows at a time
/// are summed that way, and then the fields are added to the counts: a
/// few instructions a word instead of a counter update for every group of
/// every row.
fn count_groups<T: Scalar>(src: &SparseRows<T>, selection: &[usize], counts: &mut [usize]) {
    const FIELD_MAX: usize = (1 << GROUP) - 1;
    const PER_WORD: usize = 64 / GROUP;
    for (w, counts) in counts.chunks_mut(PER_WORD).enumerate() {
        for rows in selection.chunks(FIELD_MAX) {
            let fields: u64 = rows.iter().map(|&i| group_leads(src.row(i).0[w])).sum();
            for (k, count) in counts.iter_mut().enumerate() {
                *count += ((fields >> (GROUP * k)) & FIELD_MAX as u64) as usize;
            }
        }
    }
}

/// The second pass of [`SparseMatrix::assign_transpose_from_rows`]: each
/// selected row's nonzeros into the groups they belong to, at the groups'
/// write cursors (advanced as they are written).
pub struct TransposeFill<'a, T> {
    src: &'a SparseRows<T>,
    selection: &'a [usize],
    cursor: &'a mut [usize],
    col_index: &'a mut [u32],
    values: &'a mut [T],
}

const _: () = assert!(GROUP == 4, "Simd::expand4 writes a group of 4 entries");

/// [`TransposeFill`] with `S`'s instructions: each group of 4 of a row's
/// columns with a nonzero becomes stored column `c` (the row's place in the
/// selection) of its group, its 4 entries written by one [`Simd::expand4`]
/// from the row's packed nonzeros.
///
/// # Safety
/// The CPU supports `S`'s instruction set.
#[inline(always)]
pub(crate) unsafe fn fill_transpose<S: Simd>(f: TransposeFill<'_, S::T>) {
    let TransposeFill {
        src,
        selection,
        cursor,
        col_index,
        values,
    } = f;
    for (c, &i) in selection.iter().enumerate() {
        let bits = src.row(i).0;
        // The row's nonzeros and those after it: expand4 reads 4 values
        // from each group's first, of which it uses the group's own.
        let packed = &src.values[src.row_start[i]..];
        let mut taken = 0;
        for_each_group_of(bits, |g, nibble| {
            let slot = cursor[g];
            cursor[g] += 1;
            col_index[slot] = c as u32;
            let quad = &mut values[GROUP * slot..GROUP * (slot + 1)];
            let mut last = [S::T::ZERO; GROUP];
            let from = match packed.get(taken..taken + GROUP) {
                Some(four) => four,
                // Within 4 of the set's end: the rest, padded.
                None => {
                    let rest = &packed[taken.min(packed.len())..];
                    last[..rest.len()].copy_from_slice(rest);
                    &last[..]
                }
            };
            // SAFETY: `from` holds 4 readable values, `quad` 4 writable
            // ones; nibble < 16; the CPU is the caller's contract.
            unsafe { S::expand4(from.as_ptr(), nibble as usize, quad.as_mut_ptr()) };
            taken += nibble.count_ones() as usize;
        });
    }
}

/// Calls `visit(g, nibble)` for each group `g` of `GROUP` columns with a set
/// bit in `bits`, in order, with the group's `GROUP` bits.
#[inline(always)]
fn for_each_group_of(bits: &[u64], mut visit: impl FnMut(usize, u64)) {
    let nibble = (1u64 << GROUP) - 1;
    for (w, &word) in bits.iter().enumerate() {
        for_each_group_bit(word, |b| visit((64 * w + b) / GROUP, (word >> b) & nibble));
    }
}

/// Starts fetching every cache line of `xs`.
fn prefetch_lines<T>(xs: &[T]) {
    let (p, bytes) = (xs.as_ptr().cast::<u8>(), std::mem::size_of_val(xs));
    for t in (0..bytes).step_by(64) {
        crate::arch::prefetch(p.wrapping_add(t));
    }
}

/// The fill of a sparse transpose build with `kind`'s instructions.
///
/// # Safety
/// The CPU supports `kind`'s instructions.
unsafe fn fill_transpose_with<T: Scalar>(kind: KernelKind, fill: TransposeFill<'_, T>) {
    use crate::arch::isa::{with_kernels, Kernels, WithKernels};
    use crate::sparse::SparseKernel;
    /// The fill, with the contract of [`fill_transpose_with`].
    struct Fill<'a, T>(TransposeFill<'a, T>);
    impl<T: Scalar> WithKernels<T> for Fill<'_, T> {
        type Output = ();
        fn run<K: Kernels<T>>(self) {
            // SAFETY: built only by `fill_transpose_with`, whose caller
            // checked that the CPU has `K`'s instructions.
            unsafe { K::Sparse::fill_transpose(self.0) }
        }
    }
    with_kernels(kind, Fill(fill))
}
