//! Textbook, unblocked versions of the decompositions, for tests: each
//! fast routine of [`linalg`](crate::linalg) is compared against these.
//! Re-exported from [`reference`](crate::reference).

use super::{Diagonal, Triangle};
use crate::{Matrix, MatrixError, MatrixView, MatrixViewMut, Scalar};

/// `L` with `A = L Lᵀ`, by the Cholesky–Banachiewicz loops, reading only
/// the lower triangle of the square `a`.
///
/// ```
/// use matrix::{reference, Matrix};
/// let a = Matrix::from([[4.0f64, 2.0], [2.0, 10.0]]);
/// let l = reference::cholesky(a.view())?;
/// assert_eq!(l, a.cholesky()?.l());
/// # Ok::<(), matrix::MatrixError>(())
/// ```
///
/// # Errors
/// [`MatrixError::NotPositiveDefinite`] naming the first column whose
/// pivot is not positive (or is NaN).
///
/// # Panics
/// If `a` is not square.
pub fn cholesky<T: Scalar>(a: MatrixView<'_, T>) -> Result<Matrix<T>, MatrixError> {
    let n = a.rows();
    assert_eq!(a.cols(), n, "reference cholesky: not square");
    let mut l = Matrix::zeros(n, n);
    for j in 0..n {
        let d = a[(j, j)] - (0..j).map(|p| l[(j, p)] * l[(j, p)]).sum::<T>();
        if d <= T::ZERO || d.is_nan() {
            return Err(MatrixError::NotPositiveDefinite { column: j });
        }
        l[(j, j)] = d.sqrt();
        for i in j + 1..n {
            let s = a[(i, j)] - (0..j).map(|p| l[(i, p)] * l[(j, p)]).sum::<T>();
            l[(i, j)] = s / l[(j, j)];
        }
    }
    Ok(l)
}

/// `P A = L U` by right-looking Gaussian elimination with partial
/// pivoting (the first largest magnitude in each column). Returns `L`
/// (strictly below the diagonal, its unit diagonal implied) and `U` (on and
/// above) in one matrix, and the permutation: row `i` of `P A` is row
/// `perm[i]` of `A`.
///
/// ```
/// use matrix::{reference, Matrix};
/// let a = Matrix::from([[1.0f64, 2.0], [3.0, 4.0]]);
/// let (lu, perm) = reference::lu(a.view())?;
/// assert_eq!(perm, vec![1, 0]);
/// assert_eq!(lu, Matrix::from([[3.0, 4.0], [1.0 / 3.0, 2.0 - 4.0 / 3.0]]));
/// # Ok::<(), matrix::MatrixError>(())
/// ```
///
/// # Errors
/// [`MatrixError::Singular`] naming the first column with no nonzero
/// pivot candidate.
///
/// # Panics
/// If `a` is not square.
pub fn lu<T: Scalar>(a: MatrixView<'_, T>) -> Result<(Matrix<T>, Vec<usize>), MatrixError> {
    let n = a.rows();
    assert_eq!(a.cols(), n, "reference lu: not square");
    let mut f = a.to_matrix();
    let mut perm: Vec<usize> = (0..n).collect();
    for j in 0..n {
        let mut p = j;
        for i in j + 1..n {
            if f[(i, j)].abs() > f[(p, j)].abs() {
                p = i;
            }
        }
        if f[(p, j)] == T::ZERO {
            return Err(MatrixError::Singular { pivot: j });
        }
        if p != j {
            for c in 0..n {
                let t = f[(j, c)];
                f[(j, c)] = f[(p, c)];
                f[(p, c)] = t;
            }
            perm.swap(j, p);
        }
        for i in j + 1..n {
            let l = f[(i, j)] / f[(j, j)];
            f[(i, j)] = l;
            for c in j + 1..n {
                let u = f[(j, c)];
                f[(i, c)] -= l * u;
            }
        }
    }
    Ok((f, perm))
}

/// `(Q, R)` with `A = Q R` for an `m x n` `a`, `k = min(m, n)`: `Q` is
/// `m x k` with orthonormal columns, `R` is `k x n` upper triangular. One
/// Householder reflection at a time (LAPACK's `dgeqr2`, then `Q` by
/// applying the reflections to the identity in reverse, as `dorg2r`).
///
/// ```
/// use matrix::{reference, Matrix};
/// let a = Matrix::from([[3.0f64, 1.0], [4.0, 2.0]]);
/// let (q, r) = reference::qr(a.view());
/// assert!((&q * &r).max_abs_diff(&a) < 1e-12);
/// ```
pub fn qr<T: Scalar>(a: MatrixView<'_, T>) -> (Matrix<T>, Matrix<T>) {
    let (m, n) = a.shape();
    let k = m.min(n);
    let mut f = a.to_matrix();
    let mut vs: Vec<(Vec<T>, T)> = Vec::with_capacity(k);
    for j in 0..k {
        let mut x: Vec<T> = (j..m).map(|i| f[(i, j)]).collect();
        let norm = x.iter().map(|&v| v * v).sum::<T>().sqrt();
        let (v, tau) = if norm == T::ZERO || x[1..].iter().all(|&v| v == T::ZERO) {
            (x, T::ZERO)
        } else {
            let beta = if x[0] >= T::ZERO { -norm } else { norm };
            let tau = (beta - x[0]) / beta;
            let s = T::ONE / (x[0] - beta);
            x[1..].iter_mut().for_each(|v| *v *= s);
            x[0] = T::ONE;
            (x, tau)
        };
        let mut v = v;
        v[0] = T::ONE;
        reflect(&mut f, j, &v, tau, j..n);
        vs.push((v, tau));
    }
    let mut q = Matrix::from_fn(m, k, |i, j| if i == j { T::ONE } else { T::ZERO });
    for (j, (v, tau)) in vs.iter().enumerate().rev() {
        reflect(&mut q, j, v, *tau, 0..k);
    }
    let r = Matrix::from_fn(k, n, |i, j| if j >= i { f[(i, j)] } else { T::ZERO });
    (q, r)
}

/// `C[j.., cols] <- (I - tau v vᵀ) C[j.., cols]`.
fn reflect<T: Scalar>(c: &mut Matrix<T>, j: usize, v: &[T], tau: T, cols: std::ops::Range<usize>) {
    for col in cols {
        let w: T = v
            .iter()
            .enumerate()
            .map(|(i, &vi)| vi * c[(j + i, col)])
            .sum();
        for (i, &vi) in v.iter().enumerate() {
            c[(j + i, col)] -= tau * vi * w;
        }
    }
}

/// `B <- A⁻¹ B` for the `triangle` of the square `a`, by forward or back
/// substitution one column of `B` at a time.
///
/// ```
/// use matrix::{reference, Diagonal, Matrix, Triangle};
/// let u = Matrix::from([[2.0f64, 1.0], [0.0, 4.0]]);
/// let mut b = Matrix::from([[4.0f64], [8.0]]);
/// reference::trsm(u.view(), Triangle::Upper, Diagonal::NonUnit, b.view_mut());
/// assert_eq!(b, Matrix::from([[1.0], [2.0]]));
/// ```
///
/// # Panics
/// If `a` is not square or `b` does not have its height.
pub fn trsm<T: Scalar>(
    a: MatrixView<'_, T>,
    triangle: Triangle,
    diagonal: Diagonal,
    mut b: MatrixViewMut<'_, T>,
) {
    let n = a.rows();
    assert_eq!(a.cols(), n, "reference trsm: not square");
    assert_eq!(b.rows(), n, "reference trsm: B has the wrong height");
    for c in 0..b.cols() {
        let order: Vec<usize> = match triangle {
            Triangle::Lower => (0..n).collect(),
            Triangle::Upper => (0..n).rev().collect(),
        };
        for i in order {
            let others = match triangle {
                Triangle::Lower => 0..i,
                Triangle::Upper => i + 1..n,
            };
            let s = b[(i, c)] - others.map(|p| a[(i, p)] * b[(p, c)]).sum::<T>();
            b[(i, c)] = match diagonal {
                Diagonal::Unit => s,
                Diagonal::NonUnit => s / a[(i, i)],
            };
        }
    }
}
