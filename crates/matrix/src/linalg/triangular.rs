//! `trsm`: `X <- A⁻¹ B` for a triangular `A` and many right-hand sides.
//!
//! Recursive (as ReLAPACK): split `A` at `n1`, solve the first block row,
//! subtract its contribution from the rest with one gemm, solve the second
//! block row. With leaves of [`LEAF`] rows, all but a fraction `LEAF / n`
//! of the flops are in gemm. A leaf copies its right-hand sides, a band of
//! columns at a time, into a row-major buffer and solves there by row
//! operations (each a contiguous `axpy`), whatever `B`'s strides are.

use std::sync::Mutex;

use super::{check_finite, check_rhs, check_square, half, split_cols, Axpy, Part};
use crate::arch::threads::{current_num_threads, for_each_part};
use crate::{copy_into, gemm, MatrixError, MatrixView, MatrixViewMut, Scalar};

/// Rows of `A` below which [`trsm`] solves unblocked.
const LEAF: usize = 32;
/// Right-hand sides a leaf solves at a time (its buffer stays in L2).
const BAND: usize = 256;

/// Which triangle of a matrix holds the operand; the other is not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Triangle {
    /// On and below the diagonal.
    Lower,
    /// On and above the diagonal.
    Upper,
}

impl Triangle {
    /// The other triangle: that of the transpose.
    fn flip(self) -> Triangle {
        match self {
            Triangle::Lower => Triangle::Upper,
            Triangle::Upper => Triangle::Lower,
        }
    }
}

/// Whether the diagonal is read or taken to be all ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Diagonal {
    /// Ones on the diagonal, which is not read (the `L` of an LU).
    Unit,
    /// The diagonal as stored.
    NonUnit,
}

/// Triangular solve with many right-hand sides, in place:
/// `B <- A⁻¹ B`, where `A` is the `triangle` of a square view.
///
/// Only the left side is offered: for `X A = B` solve `Aᵀ Xᵀ = Bᵀ`, that
/// is pass `a.t()` with the other [`Triangle`] and `b.t_mut()` (views, no
/// copies). Any strides work for both operands. Most of the flops are
/// [`gemm`](crate::gemm()) calls, so large solves run on the rayon pool,
/// with bitwise the same result for any thread count.
///
/// ```
/// use matrix::{trsm, Diagonal, Matrix, Triangle};
/// let l = Matrix::from([[2.0f64, 0.0], [1.0, 1.0]]);
/// let mut b = Matrix::from([[4.0f64, 2.0], [3.0, 2.0]]);
/// trsm(&l, Triangle::Lower, Diagonal::NonUnit, &mut b)?; // b <- L⁻¹ b
/// assert_eq!(b, Matrix::from([[2.0, 1.0], [1.0, 1.0]]));
/// // X Lᵀ = C is L Xᵀ = Cᵀ: a transposed view of C.
/// let mut c = Matrix::from([[4.0f64, 5.0]]);
/// trsm(&l, Triangle::Lower, Diagonal::NonUnit, c.view_mut().t_mut())?;
/// assert_eq!(c, Matrix::from([[2.0, 3.0]]));
/// // X L = C is Lᵀ Xᵀ = Cᵀ: both transposed, Lᵀ upper.
/// let mut d = Matrix::from([[4.0f64, 5.0]]);
/// trsm(l.t(), Triangle::Upper, Diagonal::NonUnit, d.view_mut().t_mut())?;
/// assert_eq!(d, Matrix::from([[-0.5, 5.0]]));
/// # Ok::<(), matrix::MatrixError>(())
/// ```
///
/// # Errors
/// [`MatrixError::NotSquare`] if `a` is not square,
/// [`MatrixError::ShapeMismatch`] if `b` does not have `a`'s height,
/// [`MatrixError::NonFinite`] for a NaN or infinity in `a`'s triangle or in
/// `b` (and for a result that overflows), and [`MatrixError::Singular`]
/// naming a zero on the diagonal (with [`Diagonal::NonUnit`]). `b` is left
/// unchanged by every error except an overflowing result.
pub fn trsm<'a, 'b, T: Scalar>(
    a: impl Into<MatrixView<'a, T>>,
    triangle: Triangle,
    diagonal: Diagonal,
    b: impl Into<MatrixViewMut<'b, T>>,
) -> Result<(), MatrixError> {
    let (a, mut b) = (a.into(), b.into());
    check_square("trsm", a)?;
    check_rhs("trsm", a.rows(), b.rb())?;
    let part = match triangle {
        Triangle::Lower => Part::Lower,
        Triangle::Upper => Part::Upper,
    };
    check_finite("trsm", a, part)?;
    check_finite("trsm", b.rb(), Part::All)?;
    if diagonal == Diagonal::NonUnit {
        if let Some(pivot) = (0..a.rows()).find(|&i| a[(i, i)] == T::ZERO) {
            return Err(MatrixError::Singular { pivot });
        }
    }
    solve(a, triangle, diagonal, b.rb_mut());
    check_finite("trsm", b.rb(), Part::All)
}

/// [`trsm`] without the checks: `a` square, `b` of its height, and (for
/// [`Diagonal::NonUnit`]) no zero on the diagonal.
pub(crate) fn solve<T: Scalar>(
    a: MatrixView<'_, T>,
    triangle: Triangle,
    diagonal: Diagonal,
    b: MatrixViewMut<'_, T>,
) {
    let n = a.rows();
    if n == 0 || b.cols() == 0 {
        return;
    }
    if b.row_stride() == 1 && b.col_stride() != 1 && b.cols() > 1 {
        // Column-major B: solve Xᵀ Aᵀ = Bᵀ instead, so that every gemm
        // writes a row-major C (gemm is up to 2.5x slower into a
        // column-major C with a small inner dimension).
        return solve_right(a.t(), triangle.flip(), diagonal, b.t_mut());
    }
    if n <= LEAF {
        return leaf(a, triangle, diagonal, b);
    }
    let n1 = half(n);
    let (mut b1, mut b2) = b.split_at_row(n1);
    let (a11, a22) = (
        a.submatrix(0, 0, n1, n1),
        a.submatrix(n1, n1, n - n1, n - n1),
    );
    match triangle {
        Triangle::Lower => {
            solve(a11, triangle, diagonal, b1.rb_mut());
            let a21 = a.submatrix(n1, 0, n - n1, n1);
            gemm(-T::ONE, a21, b1.rb(), T::ONE, b2.rb_mut());
            solve(a22, triangle, diagonal, b2);
        }
        Triangle::Upper => {
            solve(a22, triangle, diagonal, b2.rb_mut());
            let a12 = a.submatrix(0, n1, n1, n - n1);
            gemm(-T::ONE, a12, b2.rb(), T::ONE, b1.rb_mut());
            solve(a11, triangle, diagonal, b1);
        }
    }
}

/// `B <- B A⁻¹` (`X A = B`), recursing on `A` as [`solve`] does but
/// splitting B's columns, for a B whose rows are contiguous.
fn solve_right<T: Scalar>(
    a: MatrixView<'_, T>,
    triangle: Triangle,
    diagonal: Diagonal,
    b: MatrixViewMut<'_, T>,
) {
    let n = a.rows();
    if n <= LEAF {
        return leaf(a.t(), triangle.flip(), diagonal, b.t_mut());
    }
    let n1 = half(n);
    let (mut b1, mut b2) = split_cols(b, n1);
    let (a11, a22) = (
        a.submatrix(0, 0, n1, n1),
        a.submatrix(n1, n1, n - n1, n - n1),
    );
    match triangle {
        // [X1 X2] [A11 0; A21 A22] = [B1 B2]: X2 first.
        Triangle::Lower => {
            solve_right(a22, triangle, diagonal, b2.rb_mut());
            let a21 = a.submatrix(n1, 0, n - n1, n1);
            gemm(-T::ONE, b2.rb(), a21, T::ONE, b1.rb_mut());
            solve_right(a11, triangle, diagonal, b1);
        }
        Triangle::Upper => {
            solve_right(a11, triangle, diagonal, b1.rb_mut());
            let a12 = a.submatrix(0, n1, n1, n - n1);
            gemm(-T::ONE, b1.rb(), a12, T::ONE, b2.rb_mut());
            solve_right(a22, triangle, diagonal, b2);
        }
    }
}

/// The unblocked solve of at most [`LEAF`] rows, [`BAND`] right-hand sides
/// at a time, the bands on the rayon pool (they are independent, so the
/// result does not depend on which thread solves which).
fn leaf<T: Scalar>(
    a: MatrixView<'_, T>,
    triangle: Triangle,
    diagonal: Diagonal,
    b: MatrixViewMut<'_, T>,
) {
    let m = b.cols();
    let axpy = Axpy::new();
    if m <= BAND || current_num_threads() == 1 {
        let mut rest = b;
        while rest.cols() > 0 {
            let w = BAND.min(rest.cols());
            let (band, next) = split_cols(rest, w);
            leaf_band(a, triangle, diagonal, band, axpy);
            rest = next;
        }
        return;
    }
    let mut bands = Vec::with_capacity(m.div_ceil(BAND));
    let mut rest = b;
    while rest.cols() > 0 {
        let w = BAND.min(rest.cols());
        let (band, next) = split_cols(rest, w);
        bands.push(Mutex::new(Some(band)));
        rest = next;
    }
    for_each_part(bands.len(), |t| {
        let band = bands[t].lock().ok().and_then(|mut b| b.take());
        if let Some(band) = band {
            leaf_band(a, triangle, diagonal, band, axpy);
        }
    });
}

/// [`leaf`] on one band of at most [`BAND`] right-hand sides, in a
/// row-major buffer whose rows are updated by contiguous `axpy`s.
fn leaf_band<T: Scalar>(
    a: MatrixView<'_, T>,
    triangle: Triangle,
    diagonal: Diagonal,
    mut b: MatrixViewMut<'_, T>,
    axpy: Axpy,
) {
    let (n, w) = b.shape();
    let mut x = vec![T::ZERO; n * w];
    // A cache-blocked (transposing, if B is column-major) copy.
    copy_into(b.rb(), MatrixViewMut::from_slice(&mut x, n, w, w, 1));
    let order: Box<dyn Iterator<Item = usize>> = match triangle {
        Triangle::Lower => Box::new(0..n),
        Triangle::Upper => Box::new((0..n).rev()),
    };
    for i in order {
        // Row i of X is B's row minus the rows already solved, each
        // times A's entry: p < i for a lower A, p > i for an upper one.
        let (done, rest) = x.split_at_mut(i * w);
        let (xi, after) = rest.split_at_mut(w);
        let solved = match triangle {
            Triangle::Lower => 0..i,
            Triangle::Upper => i + 1..n,
        };
        for p in solved {
            let l = a[(i, p)];
            if l == T::ZERO {
                continue;
            }
            let xp = if p < i {
                &done[p * w..(p + 1) * w]
            } else {
                &after[(p - i - 1) * w..(p - i) * w]
            };
            axpy.sub(xi, l, xp);
        }
        if diagonal == Diagonal::NonUnit {
            // One division, then products (as BLIS and OpenBLAS):
            // a division per element would cost more than the axpys.
            let r = T::ONE / a[(i, i)];
            xi.iter_mut().for_each(|x| *x *= r);
        }
    }
    copy_into(MatrixView::from_slice(&x, n, w, w, 1), b.rb_mut());
}
