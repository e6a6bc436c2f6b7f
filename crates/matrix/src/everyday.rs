//! The everyday operations an embedder reaches for next to products and
//! solves (issue 34, item 2): matrix-vector products, stacking, `ones`,
//! norms, `mean`, whole-matrix `argmax`/`argmin`, the elementwise product
//! and range slicing of views. Each is defined once on [`MatrixView`];
//! [`Matrix`] forwards to its view.

use std::ops::{Bound, RangeBounds};

use crate::error::dims;
use crate::{Matrix, MatrixError, MatrixView, MatrixViewMut, Scalar};

/// `start..end` of a range over `0..len`, or `None` if it reaches outside.
fn resolve(range: impl RangeBounds<usize>, len: usize) -> Option<(usize, usize)> {
    let start = match range.start_bound() {
        Bound::Included(&s) => s,
        Bound::Excluded(&s) => s.checked_add(1)?,
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(&e) => e.checked_add(1)?,
        Bound::Excluded(&e) => e,
        Bound::Unbounded => len,
    };
    (start <= end && end <= len).then_some((start, end))
}

fn slice_error(rows: usize, cols: usize, what: &str) -> MatrixError {
    MatrixError::OutOfBounds {
        detail: format!("{what} range outside a {} view", dims(rows, cols)),
    }
}

impl<'a, T: Scalar> MatrixView<'a, T> {
    /// The block of rows `rows` and columns `cols` (any ranges:
    /// `1..3`, `..`, `2..=4`), a view of the same memory.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let m = Matrix::from_fn(4, 5, |i, j| (10 * i + j) as f64);
    /// let s = m.view().slice(1..3, 2..);
    /// assert_eq!(s.shape(), (2, 3));
    /// assert_eq!(s[(1, 0)], 22.0);
    /// assert!(m.view().try_slice(3..5, ..).is_err());
    /// ```
    ///
    /// # Panics
    /// If a range reaches outside the view; see [`try_slice`](Self::try_slice).
    pub fn slice(
        self,
        rows: impl RangeBounds<usize>,
        cols: impl RangeBounds<usize>,
    ) -> MatrixView<'a, T> {
        self.try_slice(rows, cols).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`slice`](Self::slice), or [`MatrixError::OutOfBounds`].
    pub fn try_slice(
        self,
        rows: impl RangeBounds<usize>,
        cols: impl RangeBounds<usize>,
    ) -> Result<MatrixView<'a, T>, MatrixError> {
        let (r, c) = self.shape();
        let (r0, r1) = resolve(rows, r).ok_or_else(|| slice_error(r, c, "row"))?;
        let (c0, c1) = resolve(cols, c).ok_or_else(|| slice_error(r, c, "column"))?;
        self.try_submatrix(r0, c0, r1 - r0, c1 - c0)
    }

    /// `A x` for a vector `x` of `cols` elements.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let a = Matrix::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// assert_eq!(a.view().matvec(&[1.0, 1.0])?, vec![3.0, 7.0]);
    /// # Ok::<(), matrix::MatrixError>(())
    /// ```
    ///
    /// # Errors
    /// [`MatrixError::ShapeMismatch`] if `x` has the wrong length.
    pub fn matvec(self, x: &[T]) -> Result<Vec<T>, MatrixError> {
        let mut y = vec![T::ZERO; self.rows()];
        self.matvec_into(x, &mut y)?;
        Ok(y)
    }

    /// `y <- A x` into a caller's buffer (`rows` elements), allocating
    /// nothing.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let a = Matrix::from([[1.0f64, 2.0], [3.0, 4.0]]);
    /// let mut y = [0.0; 2];
    /// a.t().matvec_into(&[1.0, 0.0], &mut y)?; // Aᵀ x
    /// assert_eq!(y, [1.0, 2.0]);
    /// # Ok::<(), matrix::MatrixError>(())
    /// ```
    ///
    /// # Errors
    /// [`MatrixError::ShapeMismatch`] if `x` or `y` has the wrong length.
    pub fn matvec_into(self, x: &[T], y: &mut [T]) -> Result<(), MatrixError> {
        let (m, n) = self.shape();
        if x.len() != n || y.len() != m {
            return Err(MatrixError::shape(
                "matvec",
                format!(
                    "A is {} but x has {} elements and y {}",
                    dims(m, n),
                    x.len(),
                    y.len()
                ),
            ));
        }
        let xv = MatrixView::from_slice(x, n, 1, 1, 1);
        let yv = MatrixViewMut::from_slice(y, m, 1, 1, 1);
        crate::try_gemm(T::ONE, self, xv, T::ZERO, yv)
    }

    /// The Frobenius norm `sqrt(Σ aᵢⱼ²)`, computed scaled so that it
    /// neither overflows nor underflows.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let a = Matrix::from([[3.0f64, 0.0], [0.0, -4.0]]);
    /// assert_eq!(a.view().norm_fro(), 5.0);
    /// ```
    pub fn norm_fro(self) -> T {
        let scale = self.norm_max();
        if scale == T::ZERO || !scale.is_finite() {
            return scale;
        }
        let ssq: T = self.iter().map(|&x| (x / scale) * (x / scale)).sum();
        scale * ssq.sqrt()
    }

    /// The largest magnitude `max |aᵢⱼ|` (NaN if there is one, 0 if empty).
    ///
    /// ```
    /// use matrix::Matrix;
    /// assert_eq!(Matrix::from([[1.0f32, -7.0]]).view().norm_max(), 7.0);
    /// ```
    pub fn norm_max(self) -> T {
        self.iter().fold(T::ZERO, |m, &x| {
            if x.is_nan() || m.is_nan() {
                T::from_f64(f64::NAN)
            } else {
                m.max(x.abs())
            }
        })
    }

    /// The 1-norm: the largest column sum of magnitudes.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let a = Matrix::from([[1.0f64, -2.0], [3.0, 4.0]]);
    /// assert_eq!(a.view().norm_1(), 6.0);
    /// ```
    pub fn norm_1(self) -> T {
        self.t().norm_inf()
    }

    /// The ∞-norm: the largest row sum of magnitudes.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let a = Matrix::from([[1.0f64, -2.0], [3.0, 4.0]]);
    /// assert_eq!(a.view().norm_inf(), 7.0);
    /// ```
    pub fn norm_inf(self) -> T {
        (0..self.rows())
            .map(|i| (0..self.cols()).map(|j| self[(i, j)].abs()).sum::<T>())
            .fold(T::ZERO, |m, s| {
                if s.is_nan() || m.is_nan() {
                    s + m
                } else {
                    m.max(s)
                }
            })
    }

    /// The mean of all elements (NaN for an empty view).
    ///
    /// ```
    /// use matrix::Matrix;
    /// assert_eq!(Matrix::from([[1.0f32, 2.0], [3.0, 6.0]]).view().mean(), 3.0);
    /// ```
    pub fn mean(self) -> T {
        let n = self.rows() * self.cols();
        let sum: T = self.iter().copied().sum();
        sum / T::from_f64(n as f64)
    }

    /// `(row, col)` of the largest element, the first in row-major order
    /// on ties; `None` if empty or if any element is NaN.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let a = Matrix::from([[1.0f64, 9.0], [9.0, -3.0]]);
    /// assert_eq!(a.view().argmax(), Some((0, 1)));
    /// assert_eq!(a.view().argmin(), Some((1, 1)));
    /// ```
    pub fn argmax(self) -> Option<(usize, usize)> {
        self.arg_best(|x, best| x > best)
    }

    /// `(row, col)` of the smallest element; as [`argmax`](Self::argmax).
    pub fn argmin(self) -> Option<(usize, usize)> {
        self.arg_best(|x, best| x < best)
    }

    fn arg_best(self, better: impl Fn(T, T) -> bool) -> Option<(usize, usize)> {
        let mut best: Option<((usize, usize), T)> = None;
        for i in 0..self.rows() {
            for j in 0..self.cols() {
                let x = self[(i, j)];
                if x.is_nan() {
                    return None;
                }
                if best.is_none_or(|(_, b)| better(x, b)) {
                    best = Some(((i, j), x));
                }
            }
        }
        best.map(|(at, _)| at)
    }

    /// The elementwise (Hadamard) product `aᵢⱼ bᵢⱼ`.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let a = Matrix::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// assert_eq!(a.view().hadamard(a.t())?, Matrix::from([[1.0, 6.0], [6.0, 16.0]]));
    /// # Ok::<(), matrix::MatrixError>(())
    /// ```
    ///
    /// # Errors
    /// [`MatrixError::ShapeMismatch`] if the shapes differ.
    pub fn hadamard<'b>(
        self,
        other: impl Into<MatrixView<'b, T>>,
    ) -> Result<Matrix<T>, MatrixError> {
        let other = other.into();
        if self.shape() != other.shape() {
            return Err(MatrixError::shape(
                "hadamard",
                format!(
                    "A is {} but B is {}",
                    dims(self.rows(), self.cols()),
                    dims(other.rows(), other.cols())
                ),
            ));
        }
        Ok(Matrix::from_fn(self.rows(), self.cols(), |i, j| {
            self[(i, j)] * other[(i, j)]
        }))
    }
}

/// `Matrix` methods that are those of its view.
macro_rules! forward {
    ($($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        impl<T: Scalar> Matrix<T> {
            $(
                $(#[$doc])*
                pub fn $name(&self, $($arg: $ty),*) -> $ret {
                    self.view().$name($($arg),*)
                }
            )*
        }
    };
}

forward! {
    /// [`MatrixView::matvec`] on the whole matrix.
    ///
    /// ```
    /// use matrix::Matrix;
    /// assert_eq!(Matrix::from([[2.0f64, 0.0]]).matvec(&[3.0, 5.0])?, vec![6.0]);
    /// # Ok::<(), matrix::MatrixError>(())
    /// ```
    fn matvec(x: &[T]) -> Result<Vec<T>, MatrixError>;
    /// [`MatrixView::matvec_into`] on the whole matrix.
    fn matvec_into(x: &[T], y: &mut [T]) -> Result<(), MatrixError>;
    /// [`MatrixView::norm_fro`] of the whole matrix.
    fn norm_fro() -> T;
    /// [`MatrixView::norm_max`] of the whole matrix.
    fn norm_max() -> T;
    /// [`MatrixView::norm_1`] of the whole matrix.
    fn norm_1() -> T;
    /// [`MatrixView::norm_inf`] of the whole matrix.
    fn norm_inf() -> T;
    /// [`MatrixView::mean`] of the whole matrix.
    ///
    /// ```
    /// use matrix::Matrix;
    /// assert_eq!(Matrix::<f64>::ones(3, 3).mean(), 1.0);
    /// ```
    fn mean() -> T;
    /// [`MatrixView::argmax`] of the whole matrix.
    fn argmax() -> Option<(usize, usize)>;
    /// [`MatrixView::argmin`] of the whole matrix.
    fn argmin() -> Option<(usize, usize)>;
}

impl<T: Scalar> Matrix<T> {
    /// [`MatrixView::hadamard`] of the whole matrix.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let a = Matrix::from([[2.0f64, 3.0]]);
    /// assert_eq!(a.hadamard(&a)?, Matrix::from([[4.0, 9.0]]));
    /// # Ok::<(), matrix::MatrixError>(())
    /// ```
    ///
    /// # Errors
    /// As [`MatrixView::hadamard`].
    pub fn hadamard<'b>(
        &self,
        other: impl Into<MatrixView<'b, T>>,
    ) -> Result<Matrix<T>, MatrixError> {
        self.view().hadamard(other)
    }

    /// [`MatrixView::slice`] of the whole matrix.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let m = Matrix::from_fn(3, 3, |i, j| (3 * i + j) as f32);
    /// assert_eq!(m.slice(1.., ..1).to_matrix(), Matrix::from([[3.0], [6.0]]));
    /// ```
    ///
    /// # Panics
    /// As [`MatrixView::slice`].
    pub fn slice(
        &self,
        rows: impl RangeBounds<usize>,
        cols: impl RangeBounds<usize>,
    ) -> MatrixView<'_, T> {
        self.view().slice(rows, cols)
    }

    /// A `rows x cols` matrix of ones.
    ///
    /// ```
    /// use matrix::Matrix;
    /// assert_eq!(Matrix::<f32>::ones(1, 2).as_slice(), &[1.0, 1.0]);
    /// ```
    pub fn ones(rows: usize, cols: usize) -> Self {
        Matrix::filled(rows, cols, T::ONE)
    }

    /// The matrices side by side (all with the same number of rows).
    ///
    /// ```
    /// use matrix::Matrix;
    /// let a = Matrix::from([[1.0f64], [2.0]]);
    /// let h = Matrix::hstack(&[a.view(), Matrix::ones(2, 2).view()])?;
    /// assert_eq!(h, Matrix::from([[1.0, 1.0, 1.0], [2.0, 1.0, 1.0]]));
    /// # Ok::<(), matrix::MatrixError>(())
    /// ```
    ///
    /// # Errors
    /// [`MatrixError::ShapeMismatch`] naming the first part whose height
    /// differs from the first's.
    pub fn hstack(parts: &[MatrixView<'_, T>]) -> Result<Self, MatrixError> {
        let t: Vec<MatrixView<'_, T>> = parts.iter().map(|p| p.t()).collect();
        Self::vstack(&t)
            .map(|m| m.transposed())
            .map_err(|e| match e {
                MatrixError::ShapeMismatch { detail, .. } => MatrixError::ShapeMismatch {
                    op: "hstack",
                    detail: detail.replace("columns", "rows"),
                },
                e => e,
            })
    }

    /// The matrices one above the other (all with the same number of
    /// columns).
    ///
    /// ```
    /// use matrix::Matrix;
    /// let v = Matrix::vstack(&[Matrix::<f32>::ones(1, 2).view(), Matrix::zeros(1, 2).view()])?;
    /// assert_eq!(v, Matrix::from([[1.0, 1.0], [0.0, 0.0]]));
    /// assert!(Matrix::vstack(&[Matrix::<f32>::ones(1, 2).view(), Matrix::zeros(1, 3).view()]).is_err());
    /// # Ok::<(), matrix::MatrixError>(())
    /// ```
    ///
    /// # Errors
    /// [`MatrixError::ShapeMismatch`] naming the first part whose width
    /// differs from the first's.
    pub fn vstack(parts: &[MatrixView<'_, T>]) -> Result<Self, MatrixError> {
        let cols = parts.first().map_or(0, |p| p.cols());
        if let Some((k, p)) = parts.iter().enumerate().find(|(_, p)| p.cols() != cols) {
            return Err(MatrixError::shape(
                "vstack",
                format!("part 0 has {cols} columns but part {k} has {}", p.cols()),
            ));
        }
        let rows = parts.iter().map(|p| p.rows()).sum();
        let mut out = Matrix::try_zeros(rows, cols)?;
        let mut r0 = 0;
        for p in parts {
            out.view_mut()
                .submatrix_mut(r0, 0, p.rows(), cols)
                .copy_from(*p);
            r0 += p.rows();
        }
        Ok(out)
    }
}
