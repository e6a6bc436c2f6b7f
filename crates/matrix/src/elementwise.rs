//! Elementwise maps and whole-matrix and row-wise reductions, as methods on
//! [`MatrixView`] with one-line forwards on [`Matrix`].
//!
//! NaN policy: [`max`](MatrixView::max), [`min`](MatrixView::min) and
//! [`row_max`](MatrixView::row_max) propagate NaN (a NaN anywhere makes the
//! result NaN), as numpy's `max` does, so a diverged computation is not
//! hidden behind a finite maximum. (`f32::max` and ndarray's `fold` with it
//! ignore NaN instead; ndarray's `max` returns an error.)

use crate::error::{dims, MatrixError};
use crate::{Matrix, MatrixView, Scalar};

/// The error every elementwise binary operation gives for unequal shapes:
/// `add: A is 2x3 but B is 3x2`.
pub(crate) fn same_shape(
    op: &'static str,
    a: (usize, usize),
    b: (usize, usize),
) -> Result<(), MatrixError> {
    if a == b {
        Ok(())
    } else {
        Err(MatrixError::shape(
            op,
            format!("A is {} but B is {}", dims(a.0, a.1), dims(b.0, b.1)),
        ))
    }
}

/// `f(a[(i, j)], b[(i, j)])` for every `(i, j)`, as a new matrix, or the
/// shape error named after `op`.
pub(crate) fn zip_with<T: Scalar>(
    op: &'static str,
    a: MatrixView<'_, T>,
    b: MatrixView<'_, T>,
    mut f: impl FnMut(T, T) -> T,
) -> Result<Matrix<T>, MatrixError> {
    same_shape(op, a.shape(), b.shape())?;
    let (rows, cols) = a.shape();
    let mut data = crate::pages::vec_with_capacity(rows * cols);
    for i in 0..rows {
        match (a.row(i), b.row(i)) {
            (Some(x), Some(y)) => data.extend(x.iter().zip(y).map(|(&x, &y)| f(x, y))),
            _ => data.extend((0..cols).map(|j| f(a[(i, j)], b[(i, j)]))),
        }
    }
    Matrix::try_from_vec(rows, cols, data)
}

/// The larger of `m` and `x`, NaN if either is NaN.
#[inline]
fn max_nan<T: Scalar>(m: T, x: T) -> T {
    if m.is_nan() {
        m
    } else if x.is_nan() || x > m {
        x
    } else {
        m
    }
}

/// The smaller of `m` and `x`, NaN if either is NaN.
#[inline]
fn min_nan<T: Scalar>(m: T, x: T) -> T {
    -max_nan(-m, -x)
}

impl<'a, T: Scalar> MatrixView<'a, T> {
    /// A new matrix of `f(x)` for every element `x` (the element type may
    /// change, as with nalgebra's `map`; ndarray calls it `mapv`).
    ///
    /// ```
    /// use matrix::Matrix;
    /// let m = Matrix::from([[1.0f32, -2.0], [3.0, -4.0]]);
    /// let relu_t = m.t().map(|x| x.max(0.0));
    /// assert_eq!(relu_t, Matrix::from([[1.0, 3.0], [0.0, 0.0]]));
    /// let wide: Matrix<f64> = m.view().map(f64::from);
    /// assert_eq!(wide[(1, 1)], -4.0);
    /// ```
    pub fn map<U: Scalar>(&self, f: impl FnMut(T) -> U) -> Matrix<U> {
        let data: Vec<U> = self.iter().copied().map(f).collect();
        Matrix::from_vec(self.rows(), self.cols(), data)
    }

    /// A new matrix of `f(a, b)` for the elements at the same place in
    /// `self` and `other`.
    ///
    /// # Panics
    /// If the shapes differ; see [`try_zip_map`](Self::try_zip_map).
    ///
    /// ```
    /// use matrix::Matrix;
    /// let a = Matrix::from([[1.0f32, 2.0]]);
    /// let b = Matrix::from([[3.0f32, 5.0]]);
    /// assert_eq!(a.view().zip_map(&b, f32::max), b);
    /// ```
    #[track_caller]
    pub fn zip_map<'b>(
        &self,
        other: impl Into<MatrixView<'b, T>>,
        f: impl FnMut(T, T) -> T,
    ) -> Matrix<T> {
        self.try_zip_map(other, f).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`zip_map`](Self::zip_map), or `zip_map: A is RxC but B is RxC`.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let a = Matrix::<f32>::zeros(2, 3);
    /// let e = a.view().try_zip_map(a.t(), |x, y| x + y).unwrap_err();
    /// assert_eq!(e.to_string(), "zip_map: A is 2x3 but B is 3x2");
    /// ```
    pub fn try_zip_map<'b>(
        &self,
        other: impl Into<MatrixView<'b, T>>,
        f: impl FnMut(T, T) -> T,
    ) -> Result<Matrix<T>, MatrixError> {
        zip_with("zip_map", *self, other.into(), f)
    }

    /// The sum of all elements (0 for an empty view), in row-major order.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let m = Matrix::from([[1.0f64, 2.0], [3.0, 4.0]]);
    /// assert_eq!(m.view().sum(), 10.0);
    /// ```
    pub fn sum(&self) -> T {
        match self.as_slice() {
            Some(s) => s.iter().copied().sum(),
            None => self.iter().copied().sum(),
        }
    }

    /// The largest element, `None` for an empty view. NaN propagates: if
    /// any element is NaN the result is NaN (the policy of numpy's `max`).
    ///
    /// ```
    /// use matrix::Matrix;
    /// let m = Matrix::from([[1.0f32, 7.0], [3.0, -4.0]]);
    /// assert_eq!(m.view().max(), Some(7.0));
    /// assert!(Matrix::from([[1.0f32, f32::NAN]]).view().max().unwrap().is_nan());
    /// assert_eq!(Matrix::<f32>::default().view().max(), None);
    /// ```
    pub fn max(&self) -> Option<T> {
        self.iter().copied().reduce(max_nan)
    }

    /// The smallest element, `None` for an empty view; NaN propagates as in
    /// [`max`](Self::max).
    ///
    /// ```
    /// use matrix::Matrix;
    /// assert_eq!(Matrix::from([[1.0f32, 7.0], [3.0, -4.0]]).view().min(), Some(-4.0));
    /// ```
    pub fn min(&self) -> Option<T> {
        self.iter().copied().reduce(min_nan)
    }

    /// The sum of each row (`rows` values).
    ///
    /// ```
    /// use matrix::Matrix;
    /// let m = Matrix::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// assert_eq!(m.view().row_sums(), [3.0, 7.0]);
    /// assert_eq!(m.t().row_sums(), [4.0, 6.0]);
    /// ```
    pub fn row_sums(&self) -> Vec<T> {
        self.row_iter().map(|r| r.sum()).collect()
    }

    /// The sum of each column (`cols` values), as [`ops::col_sums`](crate::ops::col_sums).
    ///
    /// ```
    /// use matrix::Matrix;
    /// let m = Matrix::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// assert_eq!(m.view().col_sums(), [4.0, 6.0]);
    /// ```
    pub fn col_sums(&self) -> Vec<T> {
        crate::ops::col_sums(*self)
    }

    /// The largest element of each row (`rows` values); a row with no
    /// elements gives negative infinity, and NaN propagates as in
    /// [`max`](Self::max). [`ops::argmax_rows`](crate::ops::argmax_rows)
    /// gives the positions.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let m = Matrix::from([[1.0f32, 9.0], [3.0, 4.0]]);
    /// assert_eq!(m.view().row_max(), [9.0, 4.0]);
    /// ```
    pub fn row_max(&self) -> Vec<T> {
        let neg_inf = T::from_f64(f64::NEG_INFINITY);
        self.row_iter()
            .map(|r| r.max().unwrap_or(neg_inf))
            .collect()
    }
}

impl<T: Scalar> Matrix<T> {
    /// A new matrix of `f(x)` for every element; see [`MatrixView::map`].
    ///
    /// ```
    /// use matrix::Matrix;
    /// let m = Matrix::from([[1.0f32, 4.0]]);
    /// assert_eq!(m.map(|x| x.sqrt()), Matrix::from([[1.0, 2.0]]));
    /// ```
    pub fn map<U: Scalar>(&self, f: impl FnMut(T) -> U) -> Matrix<U> {
        Matrix::from_vec(
            self.rows(),
            self.cols(),
            self.iter().copied().map(f).collect(),
        )
    }

    /// Replaces every element `x` with `f(x)` (nalgebra's `apply`,
    /// ndarray's `mapv_inplace`).
    ///
    /// ```
    /// use matrix::Matrix;
    /// let mut m = Matrix::from([[1.0f32, -4.0]]);
    /// m.map_inplace(f32::abs);
    /// assert_eq!(m, Matrix::from([[1.0, 4.0]]));
    /// ```
    pub fn map_inplace(&mut self, mut f: impl FnMut(T) -> T) {
        self.iter_mut().for_each(|x| *x = f(*x));
    }

    /// A new matrix of `f(a, b)` elementwise; see [`MatrixView::zip_map`].
    ///
    /// # Panics
    /// If the shapes differ.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let a = Matrix::from([[1.0f32, 2.0]]);
    /// assert_eq!(a.zip_map(&a, |x, y| x * y), Matrix::from([[1.0, 4.0]]));
    /// ```
    #[track_caller]
    pub fn zip_map<'b>(
        &self,
        other: impl Into<MatrixView<'b, T>>,
        f: impl FnMut(T, T) -> T,
    ) -> Matrix<T> {
        self.view().zip_map(other, f)
    }

    /// [`zip_map`](Self::zip_map), or a shape error naming both shapes.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let a = Matrix::<f64>::zeros(1, 2);
    /// assert!(a.try_zip_map(a.t(), |x, y| x - y).is_err());
    /// ```
    pub fn try_zip_map<'b>(
        &self,
        other: impl Into<MatrixView<'b, T>>,
        f: impl FnMut(T, T) -> T,
    ) -> Result<Matrix<T>, MatrixError> {
        self.view().try_zip_map(other, f)
    }

    /// The sum of all elements; see [`MatrixView::sum`].
    ///
    /// ```
    /// use matrix::Matrix;
    /// assert_eq!(Matrix::from([[1.0f32, 2.0], [3.0, 4.0]]).sum(), 10.0);
    /// ```
    pub fn sum(&self) -> T {
        self.view().sum()
    }

    /// The largest element, `None` if empty; NaN propagates (see
    /// [`MatrixView::max`]).
    ///
    /// ```
    /// use matrix::Matrix;
    /// assert_eq!(Matrix::from([[1.0f32, 2.0], [3.0, 4.0]]).max(), Some(4.0));
    /// ```
    pub fn max(&self) -> Option<T> {
        self.view().max()
    }

    /// The smallest element, `None` if empty; NaN propagates.
    ///
    /// ```
    /// use matrix::Matrix;
    /// assert_eq!(Matrix::from([[1.0f32, 2.0], [3.0, 4.0]]).min(), Some(1.0));
    /// ```
    pub fn min(&self) -> Option<T> {
        self.view().min()
    }

    /// The sum of each row.
    ///
    /// ```
    /// use matrix::Matrix;
    /// assert_eq!(Matrix::from([[1.0f32, 2.0], [3.0, 4.0]]).row_sums(), [3.0, 7.0]);
    /// ```
    pub fn row_sums(&self) -> Vec<T> {
        self.view().row_sums()
    }

    /// The sum of each column.
    ///
    /// ```
    /// use matrix::Matrix;
    /// assert_eq!(Matrix::from([[1.0f32, 2.0], [3.0, 4.0]]).col_sums(), [4.0, 6.0]);
    /// ```
    pub fn col_sums(&self) -> Vec<T> {
        self.view().col_sums()
    }

    /// The largest element of each row; see [`MatrixView::row_max`].
    ///
    /// ```
    /// use matrix::Matrix;
    /// assert_eq!(Matrix::from([[1.0f32, 2.0], [5.0, 4.0]]).row_max(), [2.0, 5.0]);
    /// ```
    pub fn row_max(&self) -> Vec<T> {
        self.view().row_max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_propagates_through_max_and_min_wherever_it_is() {
        for pos in 0..3 {
            let mut v = [1.0f32, 2.0, 3.0];
            v[pos] = f32::NAN;
            let m = Matrix::from([v]);
            assert!(m.max().unwrap().is_nan(), "max, NaN at {pos}");
            assert!(m.min().unwrap().is_nan(), "min, NaN at {pos}");
            assert!(m.row_max()[0].is_nan());
        }
        let m = Matrix::from([[f32::NEG_INFINITY, -1.0]]);
        assert_eq!(m.max(), Some(-1.0));
        assert_eq!(m.min(), Some(f32::NEG_INFINITY));
        assert_eq!(Matrix::<f64>::zeros(2, 0).row_max(), [f64::NEG_INFINITY; 2]);
    }

    #[test]
    fn reductions_of_strided_views_match_plain_loops() {
        let m = Matrix::from_fn(5, 7, |i, j| ((i * 7 + j) % 5) as f64 - 2.0);
        let v = m.t().submatrix(1, 1, 5, 3);
        let (r, c) = v.shape();
        let plain_sum: f64 = (0..r)
            .flat_map(|i| (0..c).map(move |j| (i, j)))
            .map(|p| v[p])
            .sum();
        assert_eq!(v.sum(), plain_sum);
        for i in 0..r {
            let row: Vec<f64> = (0..c).map(|j| v[(i, j)]).collect();
            assert_eq!(v.row_sums()[i], row.iter().sum::<f64>());
            assert_eq!(v.row_max()[i], row.iter().copied().fold(f64::MIN, f64::max));
        }
        let doubled = v.zip_map(v, |x, y| x + y);
        assert_eq!(doubled, v.map(|x| 2.0 * x));
    }
}
