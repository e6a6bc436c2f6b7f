//! The raw form of one checked sparse product (in a private module: the
//! type is reachable only inside the crate).

use crate::gemm::driver::OutOperand;

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
    /// With a momentum step, C is not stored: each element of the product
    /// updates the same element of the weights and the velocity instead.
    pub(crate) step: Option<StepOperands<T>>,
}

impl<T: Copy> SparseProblem<T> {
    /// Columns `j0..j1` of this product (of B, C, the bias and the step's
    /// operands) as a product of their own, over the same S.
    ///
    /// # Safety
    /// `j0 <= j1 <= n`.
    pub(crate) unsafe fn columns(&self, j0: usize, j1: usize) -> SparseProblem<T> {
        debug_assert!(j0 <= j1 && j1 <= self.n);
        let at = |o: OutOperand<T>| OutOperand {
            // A null C (a momentum step stores none) stays null.
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
            step: self.step.map(|s| StepOperands {
                weights: at(s.weights),
                velocity: at(s.velocity),
                ..s
            }),
            ..*self
        }
    }
}

/// The raw operands of a momentum step (see
/// [`MomentumStep`](crate::sparse::MomentumStep)), `m x n` like C.
#[derive(Clone, Copy)]
pub struct StepOperands<T> {
    pub(crate) weights: OutOperand<T>,
    pub(crate) velocity: OutOperand<T>,
    pub(crate) momentum: T,
    /// The learning rate, negated: `mu v - lr g` is computed as
    /// `mu v + (-lr) g`, which IEEE arithmetic rounds identically.
    pub(crate) neg_lr: T,
    pub(crate) weight_decay: T,
}
