//! Cholesky factorization `A = L Lᵀ` of a symmetric positive definite `A`.
//!
//! Recursive (ReLAPACK's `dpotrf`): with `A = [A11 ·; A21 A22]` split at
//! about `n / 2`,
//!
//! 1. `L11 = chol(A11)`,
//! 2. `L21 = A21 L11⁻ᵀ` (a [`trsm`](super::trsm) on transposed views),
//! 3. `A22 <- A22 - L21 L21ᵀ` (a symmetric rank-k update: only the lower
//!    triangle, itself recursive so that it is all gemm but for diagonal
//!    blocks of at most [`SYRK_LEAF`]),
//! 4. `L22 = chol(A22)`.
//!
//! Leaves of at most [`LEAF`] columns are factored unblocked, column by
//! column (the Cholesky–Crout dot products on contiguous rows).

use super::triangular::solve as trsm_solve;
use super::{check_finite, check_rhs, check_square, half, owned, split_cols, Part};
use super::{Diagonal, Triangle};
use crate::{gemm, Matrix, MatrixError, MatrixView, MatrixViewMut, Scalar};

/// Columns below which the factorization runs unblocked.
static LEAF: std::sync::LazyLock<usize> = std::sync::LazyLock::new(|| super::tune("T_CHOLESKY_LEAF", 32));
/// Rows of a diagonal block that the rank-k update computes whole (both
/// triangles) with one gemm rather than recursing.
static SYRK_LEAF: std::sync::LazyLock<usize> = std::sync::LazyLock::new(|| super::tune("T_CHOLESKY_SYRK_LEAF", 128));

/// The Cholesky factor `L` of a symmetric positive definite matrix
/// (`A = L Lᵀ`), from [`Matrix::cholesky`] or [`Cholesky::new`].
///
/// ```
/// use matrix::Matrix;
/// let a = Matrix::from([[4.0f64, 2.0], [2.0, 10.0]]);
/// let chol = a.cholesky()?;
/// assert_eq!(chol.l(), Matrix::from([[2.0, 0.0], [1.0, 3.0]]));
/// let x = chol.solve(&Matrix::from([[6.0], [12.0]]))?;
/// assert_eq!(x, Matrix::from([[1.0], [1.0]]));
/// # Ok::<(), matrix::MatrixError>(())
/// ```
#[derive(Clone)]
pub struct Cholesky<T> {
    /// `L` in the lower triangle, zeros above.
    l: Matrix<T>,
}

impl<T: Scalar> Matrix<T> {
    /// The Cholesky factorization of this symmetric positive definite
    /// matrix; only its lower triangle is read. See [`Cholesky::new`].
    ///
    /// ```
    /// use matrix::{Matrix, MatrixError};
    /// let a = Matrix::from([[1.0f64, 2.0], [2.0, 1.0]]); // eigenvalues 3 and -1
    /// assert_eq!(a.cholesky().unwrap_err(), MatrixError::NotPositiveDefinite { column: 1 });
    /// ```
    ///
    /// # Errors
    /// As [`Cholesky::new`].
    pub fn cholesky(&self) -> Result<Cholesky<T>, MatrixError> {
        Cholesky::new(self)
    }
}

impl<T: Scalar> Cholesky<T> {
    /// Factors `a = L Lᵀ`, reading only the lower triangle of `a` (a view
    /// with any strides).
    ///
    /// ```
    /// use matrix::{Cholesky, Matrix};
    /// let a = Matrix::from_fn(6, 6, |i, j| if i == j { 4.0f32 } else { 1.0 });
    /// let chol = Cholesky::new(a.t())?; // any view; a is symmetric anyway
    /// let l = chol.l();
    /// assert!((&l * l.t()).max_abs_diff(&a) < 1e-5);
    /// # Ok::<(), matrix::MatrixError>(())
    /// ```
    ///
    /// # Errors
    /// [`MatrixError::NotSquare`], [`MatrixError::NonFinite`] for a NaN or
    /// infinity in the lower triangle, and
    /// [`MatrixError::NotPositiveDefinite`] naming the first column whose
    /// pivot is not positive.
    pub fn new<'a>(a: impl Into<MatrixView<'a, T>>) -> Result<Self, MatrixError> {
        let a = a.into();
        check_square("cholesky", a)?;
        let mut l = owned(a)?;
        check_finite("cholesky", l.view(), Part::Lower)?;
        factor(l.view_mut(), 0)?;
        // The recursion leaves partial products above the diagonal.
        for i in 0..l.rows() {
            l.row_mut(i)[i + 1..].fill(T::ZERO);
        }
        Ok(Cholesky { l })
    }

    /// The lower triangular factor `L` (zeros above the diagonal).
    ///
    /// ```
    /// use matrix::Matrix;
    /// let l = Matrix::from([[9.0f64]]).cholesky()?.l();
    /// assert_eq!(l[(0, 0)], 3.0);
    /// # Ok::<(), matrix::MatrixError>(())
    /// ```
    pub fn l(&self) -> Matrix<T> {
        self.l.clone()
    }

    /// Solves `A X = B` (`B` with one column per right-hand side) by two
    /// triangular solves, `L Y = B` then `Lᵀ X = Y`.
    ///
    /// ```
    /// use matrix::{Matrix, MatrixError};
    /// let chol = Matrix::from([[4.0f64, 2.0], [2.0, 10.0]]).cholesky()?;
    /// let err = chol.solve(&Matrix::<f64>::zeros(3, 1)).unwrap_err();
    /// assert!(matches!(err, MatrixError::ShapeMismatch { .. }));
    /// # Ok::<(), MatrixError>(())
    /// ```
    ///
    /// # Errors
    /// [`MatrixError::ShapeMismatch`] if `B` does not have `A`'s height,
    /// [`MatrixError::NonFinite`] for a NaN or infinity in `B` or in the
    /// result (an overflow).
    pub fn solve<'b>(&self, b: impl Into<MatrixView<'b, T>>) -> Result<Matrix<T>, MatrixError> {
        let b = b.into();
        check_rhs("cholesky solve", self.l.rows(), b)?;
        let mut x = owned(b)?;
        check_finite("cholesky solve", x.view(), Part::All)?;
        let l = self.l.view();
        trsm_solve(l, Triangle::Lower, Diagonal::NonUnit, x.view_mut());
        trsm_solve(l.t(), Triangle::Upper, Diagonal::NonUnit, x.view_mut());
        check_finite("cholesky solve", x.view(), Part::All)?;
        Ok(x)
    }
}

/// Overwrites the lower triangle of `a` with its Cholesky factor; `offset`
/// is `a`'s first column in the whole matrix (for the error).
fn factor<T: Scalar>(a: MatrixViewMut<'_, T>, offset: usize) -> Result<(), MatrixError> {
    let n = a.rows();
    if n <= (*LEAF) {
        return leaf(a, offset);
    }
    let n1 = half(n);
    let (top, bottom) = a.split_at_row(n1);
    let mut a11 = top.submatrix_mut(0, 0, n1, n1);
    factor(a11.rb_mut(), offset)?;
    let (mut a21, a22) = split_cols(bottom, n1);
    // L21 L11ᵀ = A21  <=>  L11 L21ᵀ = A21ᵀ.
    trsm_solve(a11.rb(), Triangle::Lower, Diagonal::NonUnit, a21.rb_mut().t_mut());
    let mut a22 = a22.submatrix_mut(0, 0, n - n1, n - n1);
    syrk_lower(a21.rb(), a22.rb_mut());
    factor(a22, offset + n1)
}

/// `C <- C - A Aᵀ` on the lower triangle of `C` (the upper one of its
/// diagonal blocks of at most [`SYRK_LEAF`] rows is overwritten too).
pub(crate) fn syrk_lower<T: Scalar>(a: MatrixView<'_, T>, c: MatrixViewMut<'_, T>) {
    let n = c.rows();
    if n <= (*SYRK_LEAF) {
        return gemm(-T::ONE, a, a.t(), T::ONE, c);
    }
    let n1 = half(n);
    let (top, bottom) = c.split_at_row(n1);
    let (a1, a2) = (a.submatrix(0, 0, n1, a.cols()), a.submatrix(n1, 0, n - n1, a.cols()));
    syrk_lower(a1, top.submatrix_mut(0, 0, n1, n1));
    let (c21, c22) = split_cols(bottom, n1);
    gemm(-T::ONE, a2, a1.t(), T::ONE, c21);
    syrk_lower(a2, c22);
}

/// The unblocked Cholesky–Crout factorization of a small block.
fn leaf<T: Scalar>(mut a: MatrixViewMut<'_, T>, offset: usize) -> Result<(), MatrixError> {
    let n = a.rows();
    for j in 0..n {
        let mut d = a[(j, j)];
        for p in 0..j {
            d -= a[(j, p)] * a[(j, p)];
        }
        // `!(d > 0)` also catches a NaN.
        if !(d > T::ZERO) || !d.is_finite() {
            return Err(MatrixError::NotPositiveDefinite {
                column: offset + j,
            });
        }
        let d = d.sqrt();
        a[(j, j)] = d;
        for i in j + 1..n {
            let mut s = a[(i, j)];
            for p in 0..j {
                s -= a[(i, p)] * a[(j, p)];
            }
            a[(i, j)] = s / d;
        }
    }
    Ok(())
}
super::debug_as!(Cholesky { l });
