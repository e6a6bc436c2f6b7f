//! Decompositions and solves built on the crate's own [`gemm`](crate::gemm()):
//! [`Cholesky`], [`Lu`] with partial pivoting, Householder [`Qr`], and the
//! triangular solve [`trsm`] with many right-hand sides.
//!
//! Every factorization is recursive (ReLAPACK, faer): split the matrix in
//! two, factor the left half, update the right half with one triangular
//! solve and one large product, recurse. Nearly all flops are then large
//! gemms, which run at the kernel's peak on the current rayon pool; only
//! narrow leaves (a few dozen columns) run unblocked. Threads split only
//! the output of those products, so results are bitwise identical for any
//! thread count.
//!
//! Inputs may be views with any strides: each factorization copies its
//! input once into a row-major matrix that becomes the factor. Bad input
//! is a [`MatrixError`] naming the problem (not square, not positive
//! definite and at which column, singular and at which pivot, a NaN or
//! infinity and where, a right-hand side of the wrong height), never a
//! panic or a silent NaN.
//!
//! ```
//! use matrix::Matrix;
//! let a = Matrix::from([[4.0f64, 2.0], [2.0, 3.0]]);
//! let b = Matrix::from([[2.0f64], [1.0]]);
//! let x = a.solve(&b)?; // LU with partial pivoting underneath
//! assert!((&a * &x).max_abs_diff(&b) < 1e-12);
//! let chol = a.cholesky()?; // a is symmetric positive definite
//! assert!(chol.solve(&b)?.max_abs_diff(&x) < 1e-12);
//! # Ok::<(), matrix::MatrixError>(())
//! ```
//!
//! Plain unblocked versions of each, for tests, are in
//! [`reference`](crate::reference).

mod cholesky;
mod lu;
mod qr;
pub(crate) mod reference;
mod triangular;

pub use cholesky::Cholesky;
pub use lu::Lu;
pub use qr::Qr;
pub use triangular::{trsm, Diagonal, Triangle};

use crate::error::dims;
use crate::{Matrix, MatrixError, MatrixView, MatrixViewMut, Scalar};

impl<T: Scalar> Matrix<T> {
    /// Solves `A X = B` for a square `A` (this matrix) by [`Lu`] with
    /// partial pivoting; `B` has one column per right-hand side.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let a = Matrix::from([[0.0f64, 2.0], [1.0, 1.0]]);
    /// let x = a.solve(&Matrix::from([[4.0], [3.0]]))?;
    /// assert_eq!(x, Matrix::from([[1.0], [2.0]]));
    /// # Ok::<(), matrix::MatrixError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Lu::new`] and [`Lu::solve`]: [`MatrixError::NotSquare`],
    /// [`MatrixError::Singular`], [`MatrixError::NonFinite`], and
    /// [`MatrixError::ShapeMismatch`] if `B` does not have `A`'s height.
    pub fn solve<'b>(&self, b: impl Into<MatrixView<'b, T>>) -> Result<Matrix<T>, MatrixError> {
        let b = b.into();
        check_rhs("solve", self.rows(), b)?;
        self.lu()?.solve(b)
    }
}

/// [`MatrixError::NotSquare`] unless `a` is square.
fn check_square<T: Scalar>(op: &'static str, a: MatrixView<'_, T>) -> Result<(), MatrixError> {
    if a.rows() == a.cols() {
        Ok(())
    } else {
        Err(MatrixError::NotSquare {
            op,
            rows: a.rows(),
            cols: a.cols(),
        })
    }
}

/// Which part of a matrix a routine reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    All,
    Lower,
    Upper,
}

/// [`MatrixError::NonFinite`] naming the first NaN or infinity in `part`
/// of `a`, in row-major order.
fn check_finite<T: Scalar>(
    op: &'static str,
    a: MatrixView<'_, T>,
    part: Part,
) -> Result<(), MatrixError> {
    for i in 0..a.rows() {
        let cols = match part {
            Part::All => 0..a.cols(),
            Part::Lower => 0..(i + 1).min(a.cols()),
            Part::Upper => i.min(a.cols())..a.cols(),
        };
        let start = cols.start;
        let bad = match a.row(i) {
            Some(row) if !row.is_empty() => {
                // Fast pass over a contiguous row; locate only on failure.
                if all_finite(&row[cols.clone()]) {
                    None
                } else {
                    row[cols]
                        .iter()
                        .position(|x| !x.is_finite())
                        .map(|j| j + start)
                }
            }
            _ => cols.into_iter().find(|&j| !a[(i, j)].is_finite()),
        };
        if let Some(col) = bad {
            return Err(MatrixError::NonFinite { op, row: i, col });
        }
    }
    Ok(())
}

/// Whether no element is NaN or infinite: `x * 0` is 0 for every finite
/// `x` and NaN otherwise, summed in 8 lanes so that it vectorizes.
fn all_finite<T: Scalar>(xs: &[T]) -> bool {
    let mut acc = [T::ZERO; 8];
    let chunks = xs.chunks_exact(8);
    let tail = chunks.remainder();
    for c in chunks {
        for k in 0..8 {
            acc[k] += c[k] * T::ZERO;
        }
    }
    tail.iter().all(|x| x.is_finite()) && acc.iter().all(|&x| x == T::ZERO)
}

/// [`MatrixError::ShapeMismatch`] unless the right-hand side `b` has `n`
/// rows.
fn check_rhs<T: Scalar>(
    op: &'static str,
    n: usize,
    b: MatrixView<'_, T>,
) -> Result<(), MatrixError> {
    if b.rows() == n {
        Ok(())
    } else {
        Err(MatrixError::shape(
            op,
            format!(
                "the matrix has {n} rows but the right-hand side is {}",
                dims(b.rows(), b.cols())
            ),
        ))
    }
}

/// Columns `0..c` and `c..cols` of `a` as two disjoint mutable views.
fn split_cols<T: Scalar>(
    a: MatrixViewMut<'_, T>,
    c: usize,
) -> (MatrixViewMut<'_, T>, MatrixViewMut<'_, T>) {
    let (l, r) = a.t_mut().split_at_row(c);
    (l.t_mut(), r.t_mut())
}

/// Where to split `n` columns in a recursion: about half, rounded to a
/// multiple of 16 once there is room, so that gemm's blocks stay aligned.
fn half(n: usize) -> usize {
    let h = n / 2;
    if h >= 32 {
        h / 16 * 16
    } else {
        h
    }
}

/// A copy of `a` as an owned row-major matrix (the workspace a
/// factorization overwrites with its factors).
fn owned<T: Scalar>(a: MatrixView<'_, T>) -> Result<Matrix<T>, MatrixError> {
    if let Some(data) = a.as_slice() {
        // One pass, no zero fill first, into memory advised for huge pages
        // as `Matrix::zeros` is: a large copy in 4 KiB pages faults once a
        // page, on the calling thread.
        let mut copy = Matrix::try_storage(a.rows(), a.cols())?;
        copy.extend_from_slice(data);
        return Ok(Matrix::from_vec(a.rows(), a.cols(), copy));
    }
    let mut m = Matrix::try_zeros(a.rows(), a.cols())?;
    m.view_mut().copy_from(a);
    Ok(m)
}

/// How the unblocked leaves compute `y <- y - a x`: with FMA instructions
/// when the kernel in use (see [`selected_kernel`](crate::selected_kernel))
/// is one of the x86 SIMD kernels, so that `MATNET_KERNEL=portable` also
/// keeps the leaves portable. Either way a leaf's result does not depend on
/// the thread count.
#[derive(Clone, Copy)]
struct Axpy {
    fma: bool,
}

impl Axpy {
    fn new() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            use crate::KernelKind;
            let simd = matches!(
                crate::selected_kernel(),
                Ok(KernelKind::Avx512 | KernelKind::Avx2)
            );
            Axpy {
                fma: simd
                    && std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma"),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        Axpy { fma: false }
    }

    /// `y <- y - a x`, element by element (`x` as long as `y`).
    #[inline]
    fn sub<T: Scalar>(self, y: &mut [T], a: T, x: &[T]) {
        #[cfg(target_arch = "x86_64")]
        if self.fma {
            // SAFETY: `fma` is set only when the CPU has AVX2 and FMA.
            return unsafe { sub_fma(y, a, x) };
        }
        y.iter_mut().zip(x).for_each(|(y, &x)| *y -= a * x);
    }
}

/// [`Axpy::sub`] compiled for AVX2 and FMA.
///
/// # Safety
/// The CPU has AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn sub_fma<T: Scalar>(y: &mut [T], a: T, x: &[T]) {
    let na = -a;
    y.iter_mut()
        .zip(x)
        .for_each(|(y, &x)| *y = na.mul_add(x, *y));
}

macro_rules! debug_as {
    ($($ty:ident { $($field:ident),* }),*) => {$(
        impl<T: Scalar> std::fmt::Debug for $ty<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty))$(.field(stringify!($field), &self.$field))*.finish()
            }
        }
    )*};
}
pub(crate) use debug_as;
