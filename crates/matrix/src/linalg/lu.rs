//! LU factorization with partial pivoting, `P A = L U`.
//!
//! Recursive over columns (Toledo; ReLAPACK's `dgetrf`): for the panel of
//! columns `c0..c0 + nc` of the rows not yet pivoted,
//!
//! 1. factor its left half (recursively), which swaps whole rows of the
//!    working matrix, so the swaps reach the columns to the left (`L`)
//!    and to the right (not yet factored) at once;
//! 2. `U12 = L11⁻¹ A12` (a unit lower [`trsm`](super::trsm));
//! 3. `A22 <- A22 - L21 U12` (one gemm);
//! 4. factor the right half's rows below the left half.
//!
//! Panels of at most [`LEAF`] columns are factored unblocked (LAPACK's
//! `dgetf2`): pick the largest magnitude in the column, swap, scale,
//! rank-1 update of the panel.

use super::triangular::solve as trsm_solve;
use super::{check_finite, check_rhs, check_square, half, owned, split_cols, Axpy, Part};
use super::{Diagonal, Triangle};
use crate::{copy_into, gemm, Matrix, MatrixError, MatrixView, MatrixViewMut, Scalar};

/// Panel width below which the factorization runs unblocked.
const LEAF: usize = 16;

/// `P A = L U` with partial pivoting, from [`Matrix::lu`] or [`Lu::new`]:
/// `L` unit lower triangular, `U` upper triangular, `P` a row permutation.
///
/// ```
/// use matrix::Matrix;
/// let a = Matrix::from([[1.0f64, 2.0], [3.0, 4.0]]);
/// let lu = a.lu()?;
/// assert_eq!(lu.permutation(), &[1, 0]); // row 0 of PA is row 1 of A
/// assert!((lu.determinant() - -2.0).abs() < 1e-12);
/// let inv = lu.inverse()?;
/// assert!((&a * &inv).max_abs_diff(&Matrix::identity(2)) < 1e-12);
/// # Ok::<(), matrix::MatrixError>(())
/// ```
#[derive(Clone)]
pub struct Lu<T> {
    /// `L` strictly below the diagonal (its unit diagonal implied), `U` on
    /// and above.
    factors: Matrix<T>,
    /// Row `i` of `P A` is row `perm[i]` of `A`.
    perm: Vec<usize>,
    /// Whether `P` is an odd permutation.
    odd: bool,
}

impl<T: Scalar> Matrix<T> {
    /// The LU factorization with partial pivoting of this square matrix.
    /// See [`Lu::new`].
    ///
    /// ```
    /// use matrix::{Matrix, MatrixError};
    /// let a = Matrix::from([[1.0f64, 2.0], [2.0, 4.0]]);
    /// assert_eq!(a.lu().unwrap_err(), MatrixError::Singular { pivot: 1 });
    /// ```
    ///
    /// # Errors
    /// As [`Lu::new`].
    pub fn lu(&self) -> Result<Lu<T>, MatrixError> {
        Lu::new(self)
    }
}

impl<T: Scalar> Lu<T> {
    /// Factors `P a = L U` for a square `a` (a view with any strides).
    ///
    /// ```
    /// use matrix::{Lu, Matrix};
    /// let a = Matrix::from_fn(5, 5, |i, j| ((i * 7 + j * 3) % 5) as f64 + if i == j { 0.5 } else { 0.0 });
    /// let lu = Lu::new(a.t())?; // factors aᵀ
    /// assert!((&lu.l() * &lu.u()).max_abs_diff(&lu.p().matmul(a.t())) < 1e-12);
    /// # Ok::<(), matrix::MatrixError>(())
    /// ```
    ///
    /// # Errors
    /// [`MatrixError::NotSquare`], [`MatrixError::NonFinite`] for a NaN or
    /// infinity in `a` (or one that the elimination produces by overflow),
    /// and [`MatrixError::Singular`] naming the first column whose pivot
    /// candidates are all zero.
    pub fn new<'a>(a: impl Into<MatrixView<'a, T>>) -> Result<Self, MatrixError> {
        let a = a.into();
        check_square("lu", a)?;
        let n = a.rows();
        let mut factors = owned(a)?;
        check_finite("lu", factors.view(), Part::All)?;
        let mut piv = vec![0; n];
        // One buffer for every panel's column-major copy: a fresh one per
        // panel cost a page fault per 4 KiB, on the calling thread only.
        let mut panel = Matrix::<T>::try_zeros(n, LEAF)?;
        factor(factors.view_mut(), 0, n, &mut piv, panel.as_mut_slice())?;
        check_finite("lu", factors.view(), Part::All)?;
        // piv[j]: row j was swapped with row piv[j] (>= j), in order.
        let mut perm: Vec<usize> = (0..n).collect();
        let mut odd = false;
        for (j, &p) in piv.iter().enumerate() {
            if p != j {
                perm.swap(j, p);
                odd = !odd;
            }
        }
        Ok(Lu { factors, perm, odd })
    }

    /// The row permutation: row `i` of `P A` is row `permutation()[i]` of
    /// `A`.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let lu = Matrix::from([[0.0f32, 1.0], [1.0, 0.0]]).lu()?;
    /// assert_eq!(lu.permutation(), &[1, 0]);
    /// # Ok::<(), matrix::MatrixError>(())
    /// ```
    pub fn permutation(&self) -> &[usize] {
        &self.perm
    }

    /// `P` as a matrix of zeros and ones.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let lu = Matrix::from([[0.0f64, 1.0], [1.0, 0.0]]).lu()?;
    /// assert_eq!(lu.p(), Matrix::from([[0.0, 1.0], [1.0, 0.0]]));
    /// # Ok::<(), matrix::MatrixError>(())
    /// ```
    pub fn p(&self) -> Matrix<T> {
        let n = self.perm.len();
        Matrix::from_fn(
            n,
            n,
            |i, j| if self.perm[i] == j { T::ONE } else { T::ZERO },
        )
    }

    /// The unit lower triangular factor `L`.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let lu = Matrix::from([[2.0f64, 1.0], [4.0, 1.0]]).lu()?;
    /// assert_eq!(lu.l(), Matrix::from([[1.0, 0.0], [0.5, 1.0]]));
    /// # Ok::<(), matrix::MatrixError>(())
    /// ```
    pub fn l(&self) -> Matrix<T> {
        let f = &self.factors;
        Matrix::from_fn(f.rows(), f.cols(), |i, j| match i.cmp(&j) {
            std::cmp::Ordering::Greater => f[(i, j)],
            std::cmp::Ordering::Equal => T::ONE,
            std::cmp::Ordering::Less => T::ZERO,
        })
    }

    /// The upper triangular factor `U`.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let lu = Matrix::from([[2.0f64, 1.0], [4.0, 1.0]]).lu()?;
    /// assert_eq!(lu.u(), Matrix::from([[4.0, 1.0], [0.0, 0.5]]));
    /// # Ok::<(), matrix::MatrixError>(())
    /// ```
    pub fn u(&self) -> Matrix<T> {
        let f = &self.factors;
        Matrix::from_fn(
            f.rows(),
            f.cols(),
            |i, j| if i <= j { f[(i, j)] } else { T::ZERO },
        )
    }

    /// `det(A)`: the product of `U`'s diagonal, negated for an odd `P`.
    /// It can overflow to infinity for a large matrix (it is a product of
    /// `n` numbers); the factorization itself does not.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let a = Matrix::from([[0.0f64, 2.0], [3.0, 1.0]]);
    /// assert_eq!(a.lu()?.determinant(), -6.0);
    /// # Ok::<(), matrix::MatrixError>(())
    /// ```
    pub fn determinant(&self) -> T {
        let n = self.perm.len();
        let det = (0..n).fold(T::ONE, |d, i| d * self.factors[(i, i)]);
        if self.odd {
            -det
        } else {
            det
        }
    }

    /// Solves `A X = B`, `B` with one column per right-hand side:
    /// `X = U⁻¹ L⁻¹ P B`.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let a = Matrix::from([[1.0f64, 1.0], [1.0, -1.0]]);
    /// let x = a.lu()?.solve(&Matrix::from([[3.0, 2.0], [1.0, 0.0]]))?;
    /// assert_eq!(x, Matrix::from([[2.0, 1.0], [1.0, 1.0]]));
    /// # Ok::<(), matrix::MatrixError>(())
    /// ```
    ///
    /// # Errors
    /// [`MatrixError::ShapeMismatch`] if `B` does not have `A`'s height;
    /// [`MatrixError::NonFinite`] for a NaN or infinity in `B` or in the
    /// result (an overflow: `A` is too ill-conditioned for `T`).
    pub fn solve<'b>(&self, b: impl Into<MatrixView<'b, T>>) -> Result<Matrix<T>, MatrixError> {
        let b = b.into();
        let n = self.perm.len();
        check_rhs("lu solve", n, b)?;
        check_finite("lu solve", b, Part::All)?;
        let mut x = Matrix::try_zeros(n, b.cols())?;
        for (i, &p) in self.perm.iter().enumerate() {
            x.view_mut()
                .submatrix_mut(i, 0, 1, b.cols())
                .copy_from(b.submatrix(p, 0, 1, b.cols()));
        }
        let f = self.factors.view();
        trsm_solve(f, Triangle::Lower, Diagonal::Unit, x.view_mut());
        trsm_solve(f, Triangle::Upper, Diagonal::NonUnit, x.view_mut());
        check_finite("lu solve", x.view(), Part::All)?;
        Ok(x)
    }

    /// `A⁻¹`, as the solve of `A X = I`. Prefer [`solve`](Self::solve)
    /// to multiplying by an inverse: it is faster and more accurate.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let inv = Matrix::from([[2.0f64, 0.0], [0.0, 4.0]]).lu()?.inverse()?;
    /// assert_eq!(inv, Matrix::from([[0.5, 0.0], [0.0, 0.25]]));
    /// # Ok::<(), matrix::MatrixError>(())
    /// ```
    ///
    /// # Errors
    /// [`MatrixError::NonFinite`] if an element of the inverse overflows.
    pub fn inverse(&self) -> Result<Matrix<T>, MatrixError> {
        self.solve(&Matrix::identity(self.perm.len()))
    }
}

/// Factors columns `c0..c0 + nc` of `a`, whose row 0 is the diagonal row
/// `c0` of the whole matrix; `piv[j]` receives the row (of `a`, then
/// shifted to the whole matrix by the caller's `c0`) swapped with row `j`.
/// Swaps move whole rows of `a`.
fn factor<T: Scalar>(
    mut a: MatrixViewMut<'_, T>,
    c0: usize,
    nc: usize,
    piv: &mut [usize],
    panel: &mut [T],
) -> Result<(), MatrixError> {
    if nc <= LEAF {
        return leaf(a, c0, nc, piv, panel);
    }
    let n1 = half(nc);
    factor(a.rb_mut(), c0, n1, &mut piv[..n1], panel)?;
    let m = a.rows();
    {
        let (top, bottom) = a.rb_mut().split_at_row(n1);
        let (top_l, top_r) = split_cols(top, c0 + n1);
        let l11 = top_l.into_view().submatrix(0, c0, n1, n1);
        let mut a12 = top_r.submatrix_mut(0, 0, n1, nc - n1);
        trsm_solve(l11, Triangle::Lower, Diagonal::Unit, a12.rb_mut());
        let (bot_l, bot_r) = split_cols(bottom, c0 + n1);
        let l21 = bot_l.into_view().submatrix(0, c0, m - n1, n1);
        let a22 = bot_r.submatrix_mut(0, 0, m - n1, nc - n1);
        gemm(-T::ONE, l21, a12.into_view(), T::ONE, a22);
    }
    let (_, bottom) = a.split_at_row(n1);
    factor(bottom, c0 + n1, nc - n1, &mut piv[n1..], panel)?;
    piv[n1..].iter_mut().for_each(|p| *p += n1);
    Ok(())
}

/// The unblocked factorization of a panel of at most [`LEAF`] columns, in
/// a column-major copy (in `panel`, at least `nc` times the rows long) so
/// that the pivot search, the scaling and the rank-1 updates all run down
/// contiguous columns.
fn leaf<T: Scalar>(
    mut a: MatrixViewMut<'_, T>,
    c0: usize,
    nc: usize,
    piv: &mut [usize],
    panel: &mut [T],
) -> Result<(), MatrixError> {
    let m = a.rows();
    let axpy = Axpy::new();
    let p = &mut panel[..nc * m];
    // Cache-blocked transposing copies in and (below) out.
    copy_into(
        a.rb().submatrix(0, c0, m, nc),
        MatrixViewMut::from_slice(p, m, nc, 1, m),
    );
    for j in 0..nc.min(m) {
        let (left, right) = p.split_at_mut((j + 1) * m);
        let col = &mut left[j * m..];
        // The first largest magnitude, as LAPACK's idamax.
        let mut best = col[j].abs();
        let mut r = j;
        for (i, x) in col.iter().enumerate().skip(j + 1) {
            if x.abs() > best {
                best = x.abs();
                r = i;
            }
        }
        if best == T::ZERO {
            return Err(MatrixError::Singular { pivot: c0 + j });
        }
        piv[j] = r;
        if r != j {
            // Whole rows of `a` (the panel's part is rewritten below) and
            // the panel's copy.
            swap_rows(a.rb_mut(), j, r);
            for k in 0..nc {
                let (x, y) = (k * m + j, k * m + r);
                if k <= j {
                    left.swap(x, y);
                } else {
                    right.swap(x - (j + 1) * m, y - (j + 1) * m);
                }
            }
        }
        let col = &mut left[j * m..];
        // A reciprocal, as LAPACK's dgetf2, unless the pivot is so tiny
        // that it overflows.
        let d = col[j];
        let r = T::ONE / d;
        if r.is_finite() {
            col[j + 1..].iter_mut().for_each(|x| *x *= r);
        } else {
            col[j + 1..].iter_mut().for_each(|x| *x /= d);
        }
        let l = &col[j + 1..];
        for k in j + 1..nc {
            let ck = &mut right[(k - j - 1) * m..(k - j) * m];
            let u = ck[j];
            if u != T::ZERO {
                axpy.sub(&mut ck[j + 1..], u, l);
            }
        }
    }
    copy_into(
        MatrixView::from_slice(p, m, nc, 1, m),
        a.submatrix_mut(0, c0, m, nc),
    );
    Ok(())
}

/// Swaps rows `i < j` of `a`, all columns.
fn swap_rows<T: Scalar>(a: MatrixViewMut<'_, T>, i: usize, j: usize) {
    let cols = a.cols();
    let (top, bottom) = a.split_at_row(j);
    let mut r_i = top.submatrix_mut(i, 0, 1, cols);
    let mut r_j = bottom.submatrix_mut(0, 0, 1, cols);
    if let (Some(x), Some(y)) = (r_i.row_mut(0), r_j.row_mut(0)) {
        x.swap_with_slice(y);
        return;
    }
    for k in 0..cols {
        std::mem::swap(&mut r_i[(0, k)], &mut r_j[(0, k)]);
    }
}
super::debug_as!(Lu { factors, perm });
