//! Householder QR, `A = Q R`, blocked with the compact WY form
//! `H_1 ⋯ H_b = I - V T Vᵀ` (Schreiber–Van Loan).
//!
//! The columns are taken [`NB`] at a time. Each panel is factored by the
//! recursive algorithm of Elmroth and Gustavson (LAPACK's `dgeqrt3`),
//! which returns `V` (stored below the diagonal, unit diagonal implied)
//! and the upper triangular `T` together; the rest of the matrix is then
//! updated as `C <- C - V Tᵀ (Vᵀ C)`: three gemms. Panels of at most
//! [`LEAF`] columns are factored unblocked (`dgeqr2` and `dlarft`) in a
//! contiguous copy.

use super::triangular::solve as trsm_solve;
use super::{check_finite, check_rhs, half, owned, split_cols, Axpy, Part};
use super::{Diagonal, Triangle};
use crate::error::dims;
use crate::{gemm, Matrix, MatrixError, MatrixView, MatrixViewMut, Scalar};

/// Columns per block of the outer loop (each block keeps its own `T`).
const NB: usize = 128;
/// Columns below which a panel is factored unblocked.
const LEAF: usize = 16;

/// `A = Q R` by Householder reflections, from [`Matrix::qr`] or
/// [`Qr::new`]. For an `m x n` matrix with `k = min(m, n)`, `Q` is kept
/// as `k` reflections (never formed unless asked for with [`q`](Self::q)).
///
/// ```
/// use matrix::Matrix;
/// let a = Matrix::from([[3.0f64, 1.0], [4.0, 2.0], [0.0, 5.0]]);
/// let qr = a.qr()?;
/// let (q, r) = (qr.q(), qr.r()); // 3x2 and 2x2
/// assert!((&q * &r).max_abs_diff(&a) < 1e-12);
/// assert!((q.t() * &q).max_abs_diff(&Matrix::identity(2)) < 1e-12);
/// # Ok::<(), matrix::MatrixError>(())
/// ```
#[derive(Clone)]
pub struct Qr<T> {
    /// `R` on and above the diagonal, the reflectors' `V` below it.
    factors: Matrix<T>,
    /// The `T` of each block of [`NB`] reflections.
    ts: Vec<Matrix<T>>,
}

impl<T: Scalar> Matrix<T> {
    /// The Householder QR factorization of this matrix (any shape). See
    /// [`Qr::new`].
    ///
    /// ```
    /// use matrix::Matrix;
    /// let r = Matrix::from([[0.0f64, 1.0], [2.0, 0.0]]).qr()?.r();
    /// assert_eq!(r[(1, 0)], 0.0);
    /// assert_eq!(r[(0, 0)].abs(), 2.0);
    /// # Ok::<(), matrix::MatrixError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Qr::new`].
    pub fn qr(&self) -> Result<Qr<T>, MatrixError> {
        Qr::new(self)
    }
}

impl<T: Scalar> Qr<T> {
    /// Factors `a = Q R` (a view with any strides, any shape).
    ///
    /// ```
    /// use matrix::{Matrix, Qr};
    /// let a = Matrix::from_fn(3, 5, |i, j| (i * 5 + j) as f32);
    /// let qr = Qr::new(a.view())?; // wide: Q is 3x3, R is 3x5
    /// assert!((qr.q() * qr.r()).max_abs_diff(&a) < 1e-4);
    /// # Ok::<(), matrix::MatrixError>(())
    /// ```
    ///
    /// # Errors
    /// [`MatrixError::NonFinite`] for a NaN or infinity in `a`.
    pub fn new<'a>(a: impl Into<MatrixView<'a, T>>) -> Result<Self, MatrixError> {
        let mut factors = owned(a.into())?;
        check_finite("qr", factors.view(), Part::All)?;
        let (m, n) = factors.shape();
        let k = m.min(n);
        let mut ts = Vec::with_capacity(k.div_ceil(NB));
        for j in (0..k).step_by(NB) {
            let jb = NB.min(k - j);
            let mut t = Matrix::try_zeros(jb, jb)?;
            let rows = factors.view_mut().submatrix_mut(j, j, m - j, n - j);
            let (mut panel, trailing) = split_cols(rows, jb);
            geqrt3(panel.rb_mut(), t.view_mut());
            if trailing.cols() > 0 {
                let v = explicit_v(panel.rb());
                larfb(v.view(), t.view(), trailing, true);
            }
            ts.push(t);
        }
        Ok(Qr { factors, ts })
    }

    /// The `m x k` matrix `Q` with orthonormal columns (`k = min(m, n)`).
    ///
    /// ```
    /// use matrix::Matrix;
    /// let q = Matrix::from([[1.0f64], [1.0]]).qr()?.q();
    /// assert!((q[(0, 0)].abs() - 0.5f64.sqrt()).abs() < 1e-15);
    /// # Ok::<(), matrix::MatrixError>(())
    /// ```
    pub fn q(&self) -> Matrix<T> {
        let (m, n) = self.factors.shape();
        let k = m.min(n);
        let mut q = Matrix::from_fn(m, k, |i, j| if i == j { T::ONE } else { T::ZERO });
        for (b, t) in self.ts.iter().enumerate().rev() {
            let j = b * NB;
            let v = explicit_v(self.factors.view().submatrix(j, j, m - j, t.rows()));
            let c = q.view_mut().submatrix_mut(j, j, m - j, k - j);
            larfb(v.view(), t.view(), c, false);
        }
        q
    }

    /// The `k x n` upper triangular (trapezoidal, for a wide matrix) `R`.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let r = Matrix::from([[3.0f64], [4.0]]).qr()?.r();
    /// assert_eq!(r.shape(), (1, 1));
    /// assert!((r[(0, 0)].abs() - 5.0).abs() < 1e-15);
    /// # Ok::<(), matrix::MatrixError>(())
    /// ```
    pub fn r(&self) -> Matrix<T> {
        let (m, n) = self.factors.shape();
        let f = &self.factors;
        Matrix::from_fn(m.min(n), n, |i, j| if j >= i { f[(i, j)] } else { T::ZERO })
    }

    /// The least-squares solution `X` minimizing `‖A X - B‖` (Frobenius)
    /// for an `m x n` `A` with `m >= n` and full column rank: `R X = Qᵀ B`.
    ///
    /// ```
    /// use matrix::Matrix;
    /// // Fit y = c0 + c1 x through (0, 1), (1, 3), (2, 5): exactly c = (1, 2).
    /// let a = Matrix::from([[1.0f64, 0.0], [1.0, 1.0], [1.0, 2.0]]);
    /// let c = a.qr()?.solve_least_squares(&Matrix::from([[1.0], [3.0], [5.0]]))?;
    /// assert!(c.max_abs_diff(&Matrix::from([[1.0], [2.0]])) < 1e-12);
    /// # Ok::<(), matrix::MatrixError>(())
    /// ```
    ///
    /// # Errors
    /// [`MatrixError::ShapeMismatch`] if `A` has fewer rows than columns or
    /// `B` does not have `A`'s height; [`MatrixError::Singular`] naming
    /// the first zero on `R`'s diagonal (`A` is rank deficient);
    /// [`MatrixError::NonFinite`] for a NaN or infinity in `B` or in the
    /// result.
    pub fn solve_least_squares<'b>(
        &self,
        b: impl Into<MatrixView<'b, T>>,
    ) -> Result<Matrix<T>, MatrixError> {
        let b = b.into();
        let (m, n) = self.factors.shape();
        if m < n {
            return Err(MatrixError::shape(
                "solve_least_squares",
                format!(
                    "A is {} (fewer rows than columns: the problem is underdetermined)",
                    dims(m, n)
                ),
            ));
        }
        check_rhs("solve_least_squares", m, b)?;
        let mut c = owned(b)?;
        check_finite("solve_least_squares", c.view(), Part::All)?;
        if let Some(pivot) = (0..n).find(|&i| self.factors[(i, i)] == T::ZERO) {
            return Err(MatrixError::Singular { pivot });
        }
        let nrhs = c.cols();
        for (blk, t) in self.ts.iter().enumerate() {
            let j = blk * NB;
            let v = explicit_v(self.factors.view().submatrix(j, j, m - j, t.rows()));
            larfb(
                v.view(),
                t.view(),
                c.view_mut().submatrix_mut(j, 0, m - j, nrhs),
                true,
            );
        }
        let mut x = owned(c.view().submatrix(0, 0, n, nrhs))?;
        let r = self.factors.view().submatrix(0, 0, n, n);
        trsm_solve(r, Triangle::Upper, Diagonal::NonUnit, x.view_mut());
        check_finite("solve_least_squares", x.view(), Part::All)?;
        Ok(x)
    }
}

/// `V` of the reflections stored below the diagonal of `a` (`m x k`,
/// `m >= k`) as an explicit matrix: ones on the diagonal, zeros above.
fn explicit_v<T: Scalar>(a: MatrixView<'_, T>) -> Matrix<T> {
    let (m, k) = a.shape();
    let mut v = Matrix::zeros(m, k);
    for i in 0..m {
        let row = v.row_mut(i);
        for (j, x) in row.iter_mut().enumerate().take(i.min(k)) {
            *x = a[(i, j)];
        }
        if i < k {
            row[i] = T::ONE;
        }
    }
    v
}

/// `C <- (I - V T Vᵀ)ᵀ C` if `trans`, else `C <- (I - V T Vᵀ) C`: three
/// gemms (LAPACK's `dlarfb`).
fn larfb<T: Scalar>(
    v: MatrixView<'_, T>,
    t: MatrixView<'_, T>,
    mut c: MatrixViewMut<'_, T>,
    trans: bool,
) {
    let k = v.cols();
    let nc = c.cols();
    let mut w = Matrix::zeros(k, nc);
    gemm(T::ONE, v.t(), c.rb(), T::ZERO, &mut w);
    let mut tw = Matrix::zeros(k, nc);
    let op_t = if trans { t.t() } else { t };
    gemm(T::ONE, op_t, &w, T::ZERO, &mut tw);
    gemm(-T::ONE, v, &tw, T::ONE, c.rb_mut());
}

/// Factors the `m x n` panel `a` (`m >= n`) in place and writes its `T`
/// (upper triangular; `t` comes in zeroed).
fn geqrt3<T: Scalar>(mut a: MatrixViewMut<'_, T>, t: MatrixViewMut<'_, T>) {
    let (m, n) = a.shape();
    if n <= LEAF {
        return leaf(a, t);
    }
    let n1 = half(n);
    let n2 = n - n1;
    let (t_top, t_bot) = t.split_at_row(n1);
    let (mut t11, mut t12) = split_cols(t_top, n1);
    let (_, mut t22) = split_cols(t_bot, n1);
    let (mut left, mut right) = split_cols(a.rb_mut(), n1);
    geqrt3(left.rb_mut(), t11.rb_mut());
    let v1 = explicit_v(left.rb());
    larfb(v1.view(), t11.rb(), right.rb_mut(), true);
    let mut right2 = right.submatrix_mut(n1, 0, m - n1, n2);
    geqrt3(right2.rb_mut(), t22.rb_mut());
    let v2 = explicit_v(right2.rb());
    // T12 = -T1 (V1ᵀ V2) T2, where V2 is zero in V1's first n1 rows.
    let mut w = Matrix::zeros(n1, n2);
    gemm(
        T::ONE,
        v1.view().submatrix(n1, 0, m - n1, n1).t(),
        &v2,
        T::ZERO,
        &mut w,
    );
    let mut tw = Matrix::zeros(n1, n2);
    gemm(T::ONE, t11.rb(), &w, T::ZERO, &mut tw);
    gemm(-T::ONE, &tw, t22.rb(), T::ZERO, t12.rb_mut());
}

/// `dgeqr2` and `dlarft` on a panel of at most [`LEAF`] columns, in a
/// contiguous row-major copy.
fn leaf<T: Scalar>(mut a: MatrixViewMut<'_, T>, mut t: MatrixViewMut<'_, T>) {
    let (m, n) = a.shape();
    let mut p = vec![T::ZERO; m * n];
    for i in 0..m {
        for j in 0..n {
            p[i * n + j] = a[(i, j)];
        }
    }
    let axpy = Axpy::new();
    let mut x = vec![T::ZERO; m];
    let mut w = vec![T::ZERO; n];
    let mut z = vec![T::ZERO; n];
    for j in 0..n {
        let len = m - j;
        for i in 0..len {
            x[i] = p[(j + i) * n + j];
        }
        let (beta, tau) = householder(&mut x[..len]);
        p[j * n + j] = beta;
        for i in 1..len {
            p[(j + i) * n + j] = x[i];
        }
        // H = I - tau v vᵀ, v = (1, x[1..]), on columns j+1.. of rows j..
        if tau != T::ZERO && j + 1 < n {
            w[j + 1..n].copy_from_slice(&p[j * n + j + 1..j * n + n]);
            for i in 1..len {
                let row = &p[(j + i) * n + j + 1..(j + i) * n + n];
                axpy.sub(&mut w[j + 1..n], -x[i], row);
            }
            for i in 0..len {
                let s = tau * if i == 0 { T::ONE } else { x[i] };
                let row = &mut p[(j + i) * n + j + 1..(j + i) * n + n];
                axpy.sub(row, s, &w[j + 1..n]);
            }
        }
        // T[0..j, j] = -tau T[0..j, 0..j] (V[:, 0..j]ᵀ v).
        z[..j].copy_from_slice(&p[j * n..j * n + j]);
        for i in 1..len {
            let row = &p[(j + i) * n..(j + i) * n + j];
            axpy.sub(&mut z[..j], -x[i], row);
        }
        for r in 0..j {
            let s: T = (r..j).map(|q| t[(r, q)] * z[q]).sum();
            t[(r, j)] = -tau * s;
        }
        t[(j, j)] = tau;
    }
    for i in 0..m {
        for j in 0..n {
            a[(i, j)] = p[i * n + j];
        }
    }
}

/// LAPACK's `dlarfg` on `x = (alpha, tail)`: finds `beta`, `tau` and `v =
/// (1, tail')` with `(I - tau v vᵀ) x = (beta, 0, …, 0)`; overwrites the
/// tail with `tail'` and returns `(beta, tau)`. The norm is computed
/// scaled, so it neither overflows nor underflows.
fn householder<T: Scalar>(x: &mut [T]) -> (T, T) {
    let alpha = x[0];
    let tail = &mut x[1..];
    let scale = tail.iter().fold(T::ZERO, |m, v| m.max(v.abs()));
    if scale == T::ZERO {
        return (alpha, T::ZERO);
    }
    let ssq: T = tail.iter().map(|&v| (v / scale) * (v / scale)).sum();
    let xnorm = scale * ssq.sqrt();
    let (big, small) = (alpha.abs().max(xnorm), alpha.abs().min(xnorm));
    let norm = big * (T::ONE + (small / big) * (small / big)).sqrt();
    let beta = if alpha >= T::ZERO { -norm } else { norm };
    let tau = (beta - alpha) / beta;
    let s = T::ONE / (alpha - beta);
    tail.iter_mut().for_each(|v| *v *= s);
    (beta, tau)
}
super::debug_as!(Qr { factors, ts });
