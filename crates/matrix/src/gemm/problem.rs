//! The checked description of one product: [`Problem`] (shapes, `alpha`,
//! `beta`, bias and ReLU) over raw operands ([`Operand`] for A and B,
//! [`OutOperand`] for C), and the views of it a plan cuts out (the swapped
//! product, a band of rows or columns).
//!
//! The public API builds a `Problem` once its shapes are checked;
//! `plan.rs` decides how to compute it and `driver.rs`, `skinny.rs`,
//! `vector.rs`, the half-precision and sparse products execute it. It is
//! its own module so that the dependency runs one way along that flow
//! (`problem` <- `plan` <- `driver`): the plan reads the problem, the
//! driver reads both, and neither the problem nor the plan knows the
//! driver.

use crate::Scalar;

/// A raw operand: element `(i, j)` at `ptr + i * rs + j * cs`.
pub struct Operand<T> {
    pub(crate) ptr: *const T,
    pub(crate) rs: usize,
    pub(crate) cs: usize,
}

// Copy whatever the element type (a derive would ask `T: Copy`).
impl<T> Clone for Operand<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Operand<T> {}

impl<T: crate::Element> Operand<T> {
    /// The pointer and strides of a view.
    pub(crate) fn of(v: crate::MatrixView<'_, T>) -> Operand<T> {
        Operand {
            ptr: v.as_ptr(),
            rs: v.row_stride(),
            cs: v.col_stride(),
        }
    }
}

impl<T> Operand<T> {
    /// The same memory seen as the transpose.
    pub(crate) fn t(self) -> Operand<T> {
        Operand {
            ptr: self.ptr,
            rs: self.cs,
            cs: self.rs,
        }
    }
}

/// The output operand.
#[derive(Clone, Copy)]
pub struct OutOperand<T> {
    pub(crate) ptr: *mut T,
    pub(crate) rs: usize,
    pub(crate) cs: usize,
}

impl<T: Scalar> OutOperand<T> {
    /// The pointer and strides of a mutable view.
    pub(crate) fn of(v: &mut crate::MatrixViewMut<'_, T>) -> OutOperand<T> {
        OutOperand {
            ptr: v.as_mut_ptr(),
            rs: v.row_stride(),
            cs: v.col_stride(),
        }
    }
}

/// One checked gemm call: `C (m x n) <- epi(alpha A (m x k) B (k x n) + beta C)`,
/// C of `T`, A and B of `I` (`T` too, except in the half-precision
/// products, `mixed/`).
pub struct Problem<T, I = T> {
    pub(crate) m: usize,
    pub(crate) n: usize,
    pub(crate) k: usize,
    pub(crate) alpha: T,
    pub(crate) beta: T,
    pub(crate) a: Operand<I>,
    pub(crate) b: Operand<I>,
    pub(crate) c: OutOperand<T>,
    /// Bias row of `n` elements, or null.
    pub(crate) bias: *const T,
    pub(crate) relu: bool,
}

impl<T: Scalar> Problem<T> {
    /// `c <- epi(alpha a b + beta c)` as raw parts, `bias` null or `n` long.
    pub(crate) fn new(
        alpha: T,
        a: crate::MatrixView<'_, T>,
        b: crate::MatrixView<'_, T>,
        beta: T,
        c: OutOperand<T>,
        bias: *const T,
        relu: bool,
    ) -> Problem<T> {
        let (m, k) = a.shape();
        Problem {
            m,
            n: b.cols(),
            k,
            alpha,
            beta,
            a: Operand::of(a),
            b: Operand::of(b),
            c,
            bias,
            relu,
        }
    }
}

impl<T: Copy, I> Clone for Problem<T, I> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: Copy, I> Copy for Problem<T, I> {}

impl<T: Copy, I> Problem<T, I> {
    /// The same product transposed, `Cᵀ (n x m) = Bᵀ Aᵀ`: the operands
    /// swap places and every stride pair swaps (no data moves). The bias is
    /// dropped: the caller only swaps a product without one.
    pub(crate) fn swapped(&self) -> Problem<T, I> {
        Problem {
            m: self.n,
            n: self.m,
            a: self.b.t(),
            b: self.a.t(),
            c: OutOperand {
                ptr: self.c.ptr,
                rs: self.c.cs,
                cs: self.c.rs,
            },
            bias: std::ptr::null(),
            ..*self
        }
    }

    /// Rows `i0..i1` (`i0 <= i1 <= m`) as a product of their own. The
    /// pointers are offset with `wrapping_add`: nothing is read here, and
    /// in-bounds offsets give in-bounds pointers.
    pub(crate) fn rows(&self, i0: usize, i1: usize) -> Problem<T, I> {
        debug_assert!(i0 <= i1 && i1 <= self.m);
        Problem {
            m: i1 - i0,
            a: Operand {
                ptr: self.a.ptr.wrapping_add(i0 * self.a.rs),
                ..self.a
            },
            c: OutOperand {
                ptr: self.c.ptr.wrapping_add(i0 * self.c.rs),
                ..self.c
            },
            ..*self
        }
    }

    /// Columns `j0..j1` (`j0 <= j1 <= n`), and their part of the bias, as a
    /// product of their own.
    pub(crate) fn columns(&self, j0: usize, j1: usize) -> Problem<T, I> {
        debug_assert!(j0 <= j1 && j1 <= self.n);
        Problem {
            n: j1 - j0,
            b: Operand {
                ptr: self.b.ptr.wrapping_add(j0 * self.b.cs),
                ..self.b
            },
            c: OutOperand {
                ptr: self.c.ptr.wrapping_add(j0 * self.c.cs),
                ..self.c
            },
            bias: if self.bias.is_null() {
                self.bias
            } else {
                self.bias.wrapping_add(j0)
            },
            ..*self
        }
    }
}
