//! Cholesky factorization `A = L Lᵀ` of a symmetric positive definite `A`.
//!
//! The factor is computed as `U = Lᵀ` in a row-major matrix (that is, `L`
//! column-major, as LAPACK stores it), so that every triangular solve has
//! right-hand sides with contiguous rows and every gemm writes a row-major
//! C. Recursive (ReLAPACK's `dpotrf`): with `A = [A11 A12; · A22]` split at
//! about `n / 2`,
//!
//! 1. `U11 = chol(A11)`,
//! 2. `U12 = U11⁻ᵀ A12` (a [`trsm`](super::trsm)),
//! 3. `A22 <- A22 - U12ᵀ U12` (a symmetric rank-k update: only the upper
//!    triangle, itself recursive so that it is all gemm but for diagonal
//!    blocks of at most [`SYRK_LEAF`]),
//! 4. `U22 = chol(A22)`.
//!
//! Leaves of at most [`LEAF`] columns are factored unblocked,
//! right-looking, by contiguous row operations.

use super::triangular::solve as trsm_solve;
use super::{check_finite, check_rhs, check_square, half, owned, split_cols, Axpy, Part};
use super::{Diagonal, Triangle};
use crate::{gemm, Matrix, MatrixError, MatrixView, MatrixViewMut, Scalar};

/// Columns below which the factorization runs unblocked.
const LEAF: usize = 32;
/// Rows of a diagonal block that the rank-k update computes whole (both
/// triangles) with one gemm rather than recursing.
const SYRK_LEAF: usize = 128;

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
    /// `U = Lᵀ` in the upper triangle, zeros below.
    u: Matrix<T>,
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
        // The upper triangle of aᵀ is the lower one of a.
        let mut u = owned(a.t())?;
        check_finite("cholesky", u.view(), Part::Upper).map_err(|e| match e {
            MatrixError::NonFinite { op, row, col } => MatrixError::NonFinite {
                op,
                row: col,
                col: row,
            },
            e => e,
        })?;
        factor(u.view_mut(), 0)?;
        // The recursion leaves partial products below the diagonal.
        for i in 0..u.rows() {
            u.row_mut(i)[..i].fill(T::ZERO);
        }
        Ok(Cholesky { u })
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
        self.u.transposed()
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
        check_rhs("cholesky solve", self.u.rows(), b)?;
        let mut x = owned(b)?;
        check_finite("cholesky solve", x.view(), Part::All)?;
        let u = self.u.view();
        trsm_solve(u.t(), Triangle::Lower, Diagonal::NonUnit, x.view_mut());
        trsm_solve(u, Triangle::Upper, Diagonal::NonUnit, x.view_mut());
        check_finite("cholesky solve", x.view(), Part::All)?;
        Ok(x)
    }
}

/// Overwrites the upper triangle of `a` with `U = Lᵀ`; `offset` is `a`'s
/// first column in the whole matrix (for the error).
fn factor<T: Scalar>(a: MatrixViewMut<'_, T>, offset: usize) -> Result<(), MatrixError> {
    let n = a.rows();
    if n <= LEAF {
        return leaf(a, offset);
    }
    let n1 = half(n);
    let (top, bottom) = a.split_at_row(n1);
    let (mut u11, mut a12) = split_cols(top, n1);
    factor(u11.rb_mut(), offset)?;
    // U11ᵀ U12 = A12.
    trsm_solve(
        u11.rb().t(),
        Triangle::Lower,
        Diagonal::NonUnit,
        a12.rb_mut(),
    );
    let a22 = bottom.submatrix_mut(0, n1, n - n1, n - n1);
    let mut a22 = a22;
    syrk_upper(a12.rb(), a22.rb_mut());
    factor(a22, offset + n1)
}

/// `C <- C - Xᵀ X` on the upper triangle of `C` (the lower one of its
/// diagonal blocks of at most [`SYRK_LEAF`] rows is overwritten too).
fn syrk_upper<T: Scalar>(x: MatrixView<'_, T>, c: MatrixViewMut<'_, T>) {
    let n = c.rows();
    if n <= SYRK_LEAF {
        return gemm(-T::ONE, x.t(), x, T::ONE, c);
    }
    let n1 = half(n);
    let k = x.rows();
    let (x1, x2) = (x.submatrix(0, 0, k, n1), x.submatrix(0, n1, k, n - n1));
    let (top, bottom) = c.split_at_row(n1);
    let (c11, c12) = split_cols(top, n1);
    syrk_upper(x1, c11);
    gemm(-T::ONE, x1.t(), x2, T::ONE, c12);
    syrk_upper(x2, bottom.submatrix_mut(0, n1, n - n1, n - n1));
}

/// The unblocked, right-looking factorization of a small block: row `j`
/// of `U` is row `j` of what is left, scaled; then the rows below lose
/// their part of it.
fn leaf<T: Scalar>(mut a: MatrixViewMut<'_, T>, offset: usize) -> Result<(), MatrixError> {
    let n = a.rows();
    let axpy = Axpy::new();
    let mut uj = vec![T::ZERO; n];
    for j in 0..n {
        let d = a[(j, j)];
        // A NaN is not finite.
        if d <= T::ZERO || !d.is_finite() {
            return Err(MatrixError::NotPositiveDefinite { column: offset + j });
        }
        let d = d.sqrt();
        let r = T::ONE / d;
        a[(j, j)] = d;
        for k in j + 1..n {
            let v = a[(j, k)] * r;
            a[(j, k)] = v;
            uj[k] = v;
        }
        for i in j + 1..n {
            let u = uj[i];
            match a.row_mut(i) {
                Some(row) => axpy.sub(&mut row[i..n], u, &uj[i..n]),
                None => (i..n).for_each(|k| a[(i, k)] -= u * uj[k]),
            }
        }
    }
    Ok(())
}

super::debug_as!(Cholesky { u });
