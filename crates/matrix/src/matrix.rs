//! The owned, row-major, contiguous matrix.

use std::fmt;
use std::ops::{Index, IndexMut};

use crate::error::{dims, MatrixError};
use crate::{Element, MatrixView, MatrixViewMut, Scalar};

/// An owned `rows x cols` matrix, stored row-major in one `Vec`.
///
/// Element `(i, j)` is `data[i * cols + j]`.
///
/// ```
/// use matrix::Matrix;
/// let a = Matrix::from_vec(2, 2, vec![1.0f32, 2.0, 3.0, 4.0]);
/// let i = Matrix::<f32>::identity(2);
/// assert_eq!(a.matmul(&i), a);
/// assert_eq!(a[(1, 0)], 3.0);
/// assert_eq!(a.row(1), &[3.0, 4.0]);
/// ```
#[derive(Clone, PartialEq)]
pub struct Matrix<T> {
    data: Vec<T>,
    rows: usize,
    cols: usize,
}

impl<T: Element> Matrix<T> {
    /// A `rows x cols` matrix of zeros.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self::filled(rows, cols, T::default())
    }

    /// A `rows x cols` matrix with every element `value`.
    ///
    /// # Panics
    /// If `rows * cols` overflows `usize`.
    pub fn filled(rows: usize, cols: usize, value: T) -> Self {
        Self::try_filled(rows, cols, value).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`zeros`](Self::zeros), or [`MatrixError::Allocation`] where the
    /// memory cannot be had, instead of aborting the process. For shapes that
    /// come from input (a file, a command line).
    ///
    /// ```
    /// use matrix::{Matrix, MatrixError};
    /// assert_eq!(Matrix::<f32>::try_zeros(2, 3).unwrap().shape(), (2, 3));
    /// let huge = Matrix::<f32>::try_zeros(1 << 40, 1 << 30);
    /// assert!(matches!(huge, Err(MatrixError::Allocation { .. })));
    /// ```
    pub fn try_zeros(rows: usize, cols: usize) -> Result<Self, MatrixError> {
        Self::try_filled(rows, cols, T::default())
    }

    /// [`filled`](Self::filled), or [`MatrixError::Allocation`] where the
    /// memory cannot be had.
    pub fn try_filled(rows: usize, cols: usize, value: T) -> Result<Self, MatrixError> {
        let mut data = Self::try_storage(rows, cols)?;
        data.resize(rows * cols, value);
        Ok(Matrix { data, rows, cols })
    }

    /// An empty buffer with room for a `rows x cols` matrix, advised for
    /// huge pages when it is large (before anything is written to it), or
    /// [`MatrixError::Allocation`] where the memory cannot be had.
    pub(crate) fn try_storage(rows: usize, cols: usize) -> Result<Vec<T>, MatrixError> {
        let refused = || MatrixError::Allocation {
            rows,
            cols,
            bytes: rows
                .checked_mul(cols)
                .and_then(|n| n.checked_mul(std::mem::size_of::<T>())),
        };
        let len = rows.checked_mul(cols).ok_or_else(refused)?;
        crate::pages::try_vec_with_capacity(len).map_err(|_| refused())
    }

    /// The `n x n` identity matrix.
    pub fn identity(n: usize) -> Self
    where
        T: Scalar,
    {
        Self::from_fn(n, n, |i, j| if i == j { T::ONE } else { T::ZERO })
    }

    /// A matrix whose element `(i, j)` is `f(i, j)`, filled row by row.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let m = Matrix::from_fn(2, 3, |i, j| (i * 3 + j) as f64);
    /// assert_eq!(m.as_slice(), &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    /// ```
    pub fn from_fn(rows: usize, cols: usize, mut f: impl FnMut(usize, usize) -> T) -> Self {
        let len = rows
            .checked_mul(cols)
            .unwrap_or_else(|| panic!("a {} matrix is too large", dims(rows, cols)));
        let mut data = crate::pages::vec_with_capacity(len);
        for i in 0..rows {
            for j in 0..cols {
                data.push(f(i, j));
            }
        }
        Matrix { data, rows, cols }
    }

    /// Takes ownership of a **row-major** buffer of `rows * cols` elements:
    /// element `(i, j)` is `data[i * cols + j]`.
    ///
    /// **Row-major, unlike nalgebra's `DMatrix::from_vec`, which reads the
    /// same buffer column by column** (ndarray's `from_shape_vec` is
    /// row-major by default, as here). [`from_row_major`](Self::from_row_major)
    /// is the same function by a name that says so;
    /// [`from_col_major`](Self::from_col_major) reads nalgebra's order.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let m = Matrix::from_vec(2, 3, vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]);
    /// assert_eq!(m.row(1), &[4.0, 5.0, 6.0]); // rows first
    /// ```
    ///
    /// # Panics
    /// If `data.len() != rows * cols`; see [`try_from_vec`](Self::try_from_vec).
    pub fn from_vec(rows: usize, cols: usize, data: Vec<T>) -> Self {
        Self::try_from_vec(rows, cols, data).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Takes ownership of a row-major buffer, or says why its length is wrong.
    ///
    /// ```
    /// use matrix::Matrix;
    /// assert!(Matrix::try_from_vec(2, 2, vec![1.0f32; 3]).is_err());
    /// ```
    pub fn try_from_vec(rows: usize, cols: usize, data: Vec<T>) -> Result<Self, MatrixError> {
        if rows.checked_mul(cols) != Some(data.len()) {
            return Err(MatrixError::LengthMismatch {
                rows,
                cols,
                len: data.len(),
            });
        }
        Ok(Matrix { data, rows, cols })
    }

    /// A matrix of samples of `dist` drawn from `rng`, row by row.
    ///
    /// Needs the crate feature `rand`.
    ///
    /// ```
    /// use matrix::Matrix;
    /// use rand::{rngs::StdRng, SeedableRng};
    /// use rand::distr::Uniform;
    /// let mut rng = StdRng::seed_from_u64(7);
    /// let m: Matrix<f32> = Matrix::random(3, 4, &mut rng, Uniform::new(-1.0, 1.0).unwrap());
    /// assert!(m.as_slice().iter().all(|x| (-1.0..1.0).contains(x)));
    /// ```
    #[cfg(feature = "rand")]
    pub fn random<R, D>(rows: usize, cols: usize, rng: &mut R, dist: D) -> Self
    where
        R: rand::Rng + ?Sized,
        D: rand::distr::Distribution<T>,
    {
        Self::from_fn(rows, cols, |_, _| dist.sample(rng))
    }

    /// Number of rows.
    #[inline]
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Number of columns.
    #[inline]
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// `(rows, cols)`.
    #[inline]
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }
    /// Number of elements.
    #[inline]
    pub fn len(&self) -> usize {
        self.data.len()
    }
    /// True if the matrix has no elements.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// All elements, row-major.
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        &self.data
    }
    /// All elements, row-major, mutable.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.data
    }
    /// The row-major buffer.
    pub fn into_vec(self) -> Vec<T> {
        self.data
    }

    /// Element `(i, j)`, or `None` outside the matrix (as `slice::get`);
    /// `m[(i, j)]` is the form that panics.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let m = Matrix::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// assert_eq!(m.get(1, 0), Some(3.0));
    /// assert_eq!(m.get(0, 2), None);
    /// ```
    #[inline]
    pub fn get(&self, i: usize, j: usize) -> Option<T> {
        (i < self.rows && j < self.cols).then(|| self.data[i * self.cols + j])
    }

    /// Mutable reference to element `(i, j)`, or `None` outside the matrix;
    /// `m[(i, j)] = x` is the form that panics.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let mut m = Matrix::<f64>::zeros(2, 2);
    /// *m.get_mut(0, 1).unwrap() = 5.0;
    /// assert!(m.get_mut(2, 0).is_none());
    /// assert_eq!(m.as_slice(), &[0.0, 5.0, 0.0, 0.0]);
    /// ```
    #[inline]
    pub fn get_mut(&mut self, i: usize, j: usize) -> Option<&mut T> {
        if i < self.rows && j < self.cols {
            Some(&mut self.data[i * self.cols + j])
        } else {
            None
        }
    }

    /// Row `i`.
    ///
    /// # Panics
    /// If `i >= rows`.
    #[inline]
    pub fn row(&self, i: usize) -> &[T] {
        assert!(
            i < self.rows,
            "row {i} of a {} matrix",
            dims(self.rows, self.cols)
        );
        &self.data[i * self.cols..(i + 1) * self.cols]
    }
    /// Row `i`, mutable.
    ///
    /// # Panics
    /// If `i >= rows`.
    #[inline]
    pub fn row_mut(&mut self, i: usize) -> &mut [T] {
        assert!(
            i < self.rows,
            "row {i} of a {} matrix",
            dims(self.rows, self.cols)
        );
        &mut self.data[i * self.cols..(i + 1) * self.cols]
    }
    /// Iterator over the rows as slices.
    pub fn row_iter(&self) -> impl ExactSizeIterator<Item = &[T]> + '_ {
        // `max(1)`: chunks_exact panics on 0; a 0-column matrix has empty data anyway.
        self.data
            .chunks_exact(self.cols.max(1))
            .take(if self.cols == 0 { 0 } else { self.rows })
    }

    /// A read-only view of the whole matrix (strides `(cols, 1)`).
    #[inline]
    pub fn view(&self) -> MatrixView<'_, T> {
        MatrixView::from_slice(&self.data, self.rows, self.cols, self.cols, 1)
    }
    /// A mutable view of the whole matrix.
    #[inline]
    pub fn view_mut(&mut self) -> MatrixViewMut<'_, T> {
        let (r, c) = (self.rows, self.cols);
        MatrixViewMut::from_slice(&mut self.data, r, c, c, 1)
    }
    /// The transpose as a free view (no copy). Use [`transpose`](crate::transpose)
    /// or [`MatrixView::to_matrix`] for an owned copy.
    #[inline]
    pub fn t(&self) -> MatrixView<'_, T> {
        self.view().t()
    }
    /// Rows `r0..r0 + n` as a view.
    ///
    /// # Panics
    /// If the rows reach past the end.
    pub fn rows_view(&self, r0: usize, n: usize) -> MatrixView<'_, T> {
        self.view().submatrix(r0, 0, n, self.cols)
    }

    /// The owned transpose, computed by the cache-blocked [`transpose`](crate::transpose).
    pub fn transposed(&self) -> Matrix<T>
    where
        T: Scalar,
    {
        crate::transpose::transpose(self.view())
    }

    /// `self * other` as a new matrix, computed by [`gemm`](crate::gemm()).
    ///
    /// # Panics
    /// If `self.cols() != other.rows()`; the message names both shapes.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let a = Matrix::from_vec(1, 2, vec![1.0f32, 2.0]);
    /// let b = Matrix::from_vec(2, 1, vec![3.0f32, 4.0]);
    /// assert_eq!(a.matmul(&b).as_slice(), &[11.0]);
    /// ```
    pub fn matmul<'b>(&self, other: impl Into<MatrixView<'b, T>>) -> Matrix<T>
    where
        T: Scalar,
    {
        self.view().matmul(other)
    }

    /// `self * other`, or a shape error.
    pub fn try_matmul<'b>(
        &self,
        other: impl Into<MatrixView<'b, T>>,
    ) -> Result<Matrix<T>, MatrixError>
    where
        T: Scalar,
    {
        self.view().try_matmul(other)
    }

    /// Reinterprets the buffer as `rows x cols` (same number of elements).
    ///
    /// # Panics
    /// If `rows * cols` differs from the number of elements; the message
    /// names both shapes. See [`try_reshape`](Self::try_reshape).
    ///
    /// ```
    /// use matrix::Matrix;
    /// let m = Matrix::from([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]]).reshape(3, 2);
    /// assert_eq!(m, Matrix::from([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]));
    /// ```
    #[track_caller]
    pub fn reshape(self, rows: usize, cols: usize) -> Matrix<T> {
        self.try_reshape(rows, cols)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`reshape`](Self::reshape), or [`MatrixError::ShapeMismatch`] naming
    /// both shapes if `rows * cols` is not the number of elements (the
    /// matrix is dropped then: a shape from input is checked before the
    /// data is built, or the data is cheap).
    ///
    /// ```
    /// use matrix::{Matrix, MatrixError};
    /// let m = Matrix::<f64>::zeros(2, 3);
    /// assert_eq!(m.clone().try_reshape(1, 6)?.shape(), (1, 6));
    /// let err = m.try_reshape(4, 2).unwrap_err();
    /// assert_eq!(err.to_string(), "reshape: a 2x3 matrix (6 elements) cannot be 4x2 (8 elements)");
    /// # Ok::<(), MatrixError>(())
    /// ```
    pub fn try_reshape(self, rows: usize, cols: usize) -> Result<Matrix<T>, MatrixError> {
        if rows.checked_mul(cols) != Some(self.data.len()) {
            let wanted = rows
                .checked_mul(cols)
                .map_or_else(|| "too many".to_string(), |n| n.to_string());
            return Err(MatrixError::shape(
                "reshape",
                format!(
                    "a {} matrix ({} elements) cannot be {} ({wanted} elements)",
                    dims(self.rows, self.cols),
                    self.data.len(),
                    dims(rows, cols)
                ),
            ));
        }
        Ok(Matrix {
            data: self.data,
            rows,
            cols,
        })
    }

    /// Largest absolute difference to `other` (same shape), for tests and checks.
    ///
    /// A NaN where the other side holds a number (or the other infinity)
    /// counts as an infinite difference, so `assert!(d <= tol)` and
    /// `assert!(d < tol)` fail on a result that is NaN where the reference
    /// is not (`f32::max` alone ignores NaN: an all-NaN result once
    /// "differed" by 0). NaN on both sides, like equal infinities, counts
    /// as no difference: the two agree.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let want = Matrix::from([[1.0f32, 2.0]]);
    /// assert_eq!(Matrix::from([[1.0f32, 2.5]]).max_abs_diff(&want), 0.5);
    /// let broken = Matrix::from([[f32::NAN, f32::NAN]]);
    /// assert_eq!(broken.max_abs_diff(&want), f32::INFINITY);
    /// assert_eq!(broken.max_abs_diff(&broken), 0.0);
    /// ```
    ///
    /// # Panics
    /// If the shapes differ.
    pub fn max_abs_diff(&self, other: &Matrix<T>) -> T
    where
        T: Scalar,
    {
        assert_eq!(
            self.shape(),
            other.shape(),
            "max_abs_diff of different shapes"
        );
        self.data
            .iter()
            .zip(&other.data)
            .fold(T::ZERO, |m, (&a, &b)| m.max(abs_diff(a, b)))
    }
}

impl<'a, T: Scalar> MatrixView<'a, T> {
    /// `self * other` as a new matrix.
    ///
    /// Runs the kernel `MATNET_KERNEL` names, or the fastest this CPU has if
    /// that variable is unusable (reported once on stderr; see
    /// [`selected_kernel`](crate::selected_kernel)).
    ///
    /// # Panics
    /// If the inner dimensions differ.
    pub fn matmul<'b>(self, other: impl Into<MatrixView<'b, T>>) -> Matrix<T> {
        self.matmul_with(other.into(), || Ok(crate::arch::kernel_in_use()))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// `self * other`, or a shape error naming both shapes, or
    /// [`MatrixError::Kernel`] if `MATNET_KERNEL` is unusable.
    pub fn try_matmul<'b>(
        self,
        other: impl Into<MatrixView<'b, T>>,
    ) -> Result<Matrix<T>, MatrixError> {
        self.matmul_with(other.into(), || {
            crate::arch::selected_kernel().map_err(MatrixError::Kernel)
        })
    }

    /// `self * other` on the kernel `kernel` gives, asked for once the
    /// shapes are known to fit.
    fn matmul_with(
        self,
        other: MatrixView<'_, T>,
        kernel: impl FnOnce() -> Result<crate::KernelKind, MatrixError>,
    ) -> Result<Matrix<T>, MatrixError> {
        if self.cols() != other.rows() {
            return Err(MatrixError::shape(
                "matmul",
                format!(
                    "A is {} but B is {}",
                    dims(self.rows(), self.cols()),
                    dims(other.rows(), other.cols())
                ),
            ));
        }
        let kernel = kernel()?;
        let mut c = Matrix::zeros(self.rows(), other.cols());
        crate::gemm::try_gemm_with_kernel(
            kernel,
            T::ONE,
            self,
            other,
            T::ZERO,
            &mut c,
            crate::Epilogue::none(),
        )?;
        Ok(c)
    }
}

/// `|a - b|` for [`Matrix::max_abs_diff`], never NaN: `a - b` is NaN only
/// if a side is NaN or both are the same infinity. Equal infinities and NaN
/// on both sides agree (0); NaN against anything else is infinitely far.
fn abs_diff<T: Scalar>(a: T, b: T) -> T {
    let d = (a - b).abs();
    if !d.is_nan() {
        d
    } else if a == b || (a.is_nan() && b.is_nan()) {
        T::ZERO
    } else {
        T::from_f64(f64::INFINITY)
    }
}

impl<T: Element> Index<(usize, usize)> for Matrix<T> {
    type Output = T;
    #[inline]
    fn index(&self, (i, j): (usize, usize)) -> &T {
        assert!(
            i < self.rows && j < self.cols,
            "index ({i}, {j}) out of bounds for a {} matrix",
            dims(self.rows, self.cols)
        );
        &self.data[i * self.cols + j]
    }
}

impl<T: Element> IndexMut<(usize, usize)> for Matrix<T> {
    #[inline]
    fn index_mut(&mut self, (i, j): (usize, usize)) -> &mut T {
        assert!(
            i < self.rows && j < self.cols,
            "index ({i}, {j}) out of bounds for a {} matrix",
            dims(self.rows, self.cols)
        );
        &mut self.data[i * self.cols + j]
    }
}

impl<T: Scalar> fmt::Display for Matrix<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::display::write_matrix(f, self.view(), "")
    }
}

impl<T: Scalar> fmt::Debug for Matrix<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::display::write_matrix(f, self.view(), "Matrix")
    }
}
