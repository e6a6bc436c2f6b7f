//! Plain, obviously-correct versions of the fast kernels, for tests and for
//! checking results: every fast path is compared against these.

use crate::{MatrixView, MatrixViewMut, Scalar, SparseMatrix};

/// `C <- alpha * A * B + beta * C` by the textbook triple loop, accumulating
/// every dot product in `f64` whatever `T` is. `beta == 0` does not read C.
///
/// # Panics
/// If the shapes do not fit.
///
/// ```
/// use matrix::{gemm, reference, Matrix};
/// let a = Matrix::from_fn(5, 7, |i, j| (i + 2 * j) as f32 * 0.1);
/// let b = Matrix::from_fn(7, 3, |i, j| (i * j) as f32 * 0.01);
/// let (mut fast, mut slow) = (Matrix::zeros(5, 3), Matrix::zeros(5, 3));
/// gemm(1.0, &a, &b, 0.0, &mut fast);
/// reference::gemm(1.0, a.view(), b.view(), 0.0, slow.view_mut());
/// assert!(fast.max_abs_diff(&slow) < 1e-5);
/// ```
pub fn gemm<T: Scalar>(
    alpha: T,
    a: MatrixView<'_, T>,
    b: MatrixView<'_, T>,
    beta: T,
    mut c: MatrixViewMut<'_, T>,
) {
    let (m, k) = a.shape();
    let n = b.cols();
    assert_eq!(b.rows(), k, "reference gemm: inner dimensions differ");
    assert_eq!(c.shape(), (m, n), "reference gemm: C has the wrong shape");
    for i in 0..m {
        for j in 0..n {
            let dot: f64 = (0..k)
                .map(|p| a[(i, p)].to_f64() * b[(p, j)].to_f64())
                .sum();
            set_blas(&mut c, i, j, alpha, dot, beta);
        }
    }
}

/// `C <- alpha * S * B + beta * C` for a sparse `S`, by the textbook loop
/// over each row's nonzeros, accumulating in `f64`. `beta == 0` does not
/// read C.
///
/// # Panics
/// If the shapes do not fit.
pub fn sparse_gemm<T: Scalar>(
    alpha: T,
    s: &SparseMatrix<T>,
    b: MatrixView<'_, T>,
    beta: T,
    mut c: MatrixViewMut<'_, T>,
) {
    let (m, k) = s.shape();
    let n = b.cols();
    assert_eq!(
        b.rows(),
        k,
        "reference sparse_gemm: inner dimensions differ"
    );
    assert_eq!(
        c.shape(),
        (m, n),
        "reference sparse_gemm: C has the wrong shape"
    );
    for i in 0..m {
        for j in 0..n {
            let dot: f64 = s
                .row_entries(i)
                .map(|(p, v)| v.to_f64() * b[(p, j)].to_f64())
                .sum();
            set_blas(&mut c, i, j, alpha, dot, beta);
        }
    }
}

/// `c[i][j] <- alpha * dot + beta * c[i][j]` in f64, not reading C when
/// `beta == 0` (BLAS semantics: NaN there does not leak).
fn set_blas<T: Scalar>(
    c: &mut MatrixViewMut<'_, T>,
    i: usize,
    j: usize,
    alpha: T,
    dot: f64,
    beta: T,
) {
    let prior = if beta == T::ZERO {
        0.0
    } else {
        beta.to_f64() * c[(i, j)].to_f64()
    };
    c.set(i, j, T::from_f64(alpha.to_f64() * dot + prior));
}

pub use crate::linalg::reference::{cholesky, lu, qr, trsm};
