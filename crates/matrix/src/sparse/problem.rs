//! The raw form of one checked sparse product (in a private module: the
//! type is reachable only inside the crate).

use crate::gemm::problem::OutOperand;

/// One checked sparse product, as raw parts.
pub struct SparseProblem<T> {
    /// Rows of C (the last group may be short).
    pub(crate) m: usize,
    pub(crate) n: usize,
    pub(crate) alpha: T,
    pub(crate) beta: T,
    /// Stored columns in all (how far ahead the kernel may look).
    pub(crate) stored: usize,
    pub(crate) group_start: *const usize,
    pub(crate) col_index: *const u32,
    pub(crate) values: *const T,
    /// Row-major B (`k x n`, row stride `b_rs`).
    pub(crate) b: *const T,
    pub(crate) b_rs: usize,
    /// Bytes of B's blocks above which the kernel prefetches B's rows (see
    /// [`prefetch_b_above`](super::prefetch_b_above)).
    pub(crate) prefetch_b_above: usize,
    pub(crate) c: OutOperand<T>,
    /// Bias of `n` elements, or null.
    pub(crate) bias: *const T,
    pub(crate) relu: bool,
    /// The column of the whole product where this one's column 0 is (a
    /// part of a column split, [`columns`](Self::columns)): what a
    /// [`TileSink`](super::TileSink) is told.
    pub(crate) col0: usize,
}

impl<T: Copy> SparseProblem<T> {
    /// Columns `j0..j1` of this product (of B, C and the bias) as a
    /// product of their own, over the same S.
    ///
    /// # Safety
    /// `j0 <= j1 <= n`.
    pub(crate) unsafe fn columns(&self, j0: usize, j1: usize) -> SparseProblem<T> {
        debug_assert!(j0 <= j1 && j1 <= self.n);
        let at = |o: OutOperand<T>| OutOperand {
            // A null C (a product into a tile sink has none) stays null.
            ptr: o.ptr.wrapping_add(j0 * o.cs),
            ..o
        };
        SparseProblem {
            n: j1 - j0,
            // SAFETY: j0 <= n columns into B's rows, by the contract.
            b: unsafe { self.b.add(j0) },
            c: at(self.c),
            bias: self
                .bias
                .wrapping_add(if self.bias.is_null() { 0 } else { j0 }),
            col0: self.col0 + j0,
            ..*self
        }
    }
}
