//! Building a [`Matrix`] from nested arrays, vectors and views, and the
//! empty `Default`.
//!
//! Nested data is read as a list of **rows** (`[[1, 2, 3], [4, 5, 6]]` is
//! 2x3), as ndarray's `arr2` and nalgebra's `matrix!` macro read it. Flat
//! buffers are row-major here ([`Matrix::from_row_major`]); nalgebra's
//! `from_vec` is column-major, which here is [`Matrix::from_col_major`].

use crate::error::MatrixError;
use crate::{Matrix, MatrixView, Scalar};

/// The empty `0 x 0` matrix (as ndarray's and nalgebra's `Default`).
///
/// ```
/// use matrix::Matrix;
/// let m = Matrix::<f32>::default();
/// assert_eq!(m.shape(), (0, 0));
/// assert!(m.is_empty());
/// ```
impl<T: Scalar> Default for Matrix<T> {
    fn default() -> Self {
        Matrix::from_vec(0, 0, Vec::new())
    }
}

/// An `R x C` matrix from `R` rows of `C` elements.
///
/// ```
/// use matrix::Matrix;
/// let m = Matrix::from([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]]);
/// assert_eq!(m.shape(), (2, 3));
/// assert_eq!(m[(1, 0)], 4.0);
/// ```
impl<T: Scalar, const R: usize, const C: usize> From<[[T; C]; R]> for Matrix<T> {
    fn from(rows: [[T; C]; R]) -> Self {
        Matrix::from(&rows[..])
    }
}

/// A `rows.len() x C` matrix from a slice of rows of `C` elements.
///
/// ```
/// use matrix::Matrix;
/// let rows = vec![[1.0f64, 2.0]; 3];
/// assert_eq!(Matrix::from(&rows[..]).shape(), (3, 2));
/// ```
impl<T: Scalar, const C: usize> From<&[[T; C]]> for Matrix<T> {
    fn from(rows: &[[T; C]]) -> Self {
        Matrix::from_vec(rows.len(), C, rows.iter().flatten().copied().collect())
    }
}

/// Rows of equal length, or [`MatrixError::ShapeMismatch`] naming the first
/// row whose length differs from row 0's.
fn from_rows<T: Scalar, R: AsRef<[T]>>(rows: &[R]) -> Result<Matrix<T>, MatrixError> {
    let cols = rows.first().map_or(0, |r| r.as_ref().len());
    let mut data = Vec::with_capacity(rows.len() * cols);
    for (i, row) in rows.iter().enumerate() {
        let row = row.as_ref();
        if row.len() != cols {
            return Err(MatrixError::shape(
                "from_rows",
                format!("row 0 has {cols} elements but row {i} has {}", row.len()),
            ));
        }
        data.extend_from_slice(row);
    }
    Matrix::try_from_vec(rows.len(), cols, data)
}

/// A matrix from a slice of rows; an error if they differ in length.
///
/// ```
/// use matrix::Matrix;
/// let rows = vec![vec![1.0f32, 2.0], vec![3.0, 4.0]];
/// let m = Matrix::try_from(&rows[..]).unwrap();
/// assert_eq!(m, Matrix::from([[1.0, 2.0], [3.0, 4.0]]));
/// let ragged = vec![vec![1.0f32, 2.0], vec![3.0]];
/// let e = Matrix::try_from(&ragged[..]).unwrap_err();
/// assert_eq!(e.to_string(), "from_rows: row 0 has 2 elements but row 1 has 1");
/// ```
impl<T: Scalar> TryFrom<&[Vec<T>]> for Matrix<T> {
    type Error = MatrixError;
    fn try_from(rows: &[Vec<T>]) -> Result<Self, MatrixError> {
        from_rows(rows)
    }
}

/// A matrix from a slice of row slices; an error if they differ in length.
///
/// ```
/// use matrix::Matrix;
/// let (r0, r1) = ([1.0f32, 2.0], [3.0, 4.0]);
/// let m = Matrix::try_from(&[&r0[..], &r1[..]][..]).unwrap();
/// assert_eq!(m.shape(), (2, 2));
/// ```
impl<T: Scalar> TryFrom<&[&[T]]> for Matrix<T> {
    type Error = MatrixError;
    fn try_from(rows: &[&[T]]) -> Result<Self, MatrixError> {
        from_rows(rows)
    }
}

/// A matrix from a vector of rows; an error if they differ in length.
///
/// ```
/// use matrix::Matrix;
/// let m = Matrix::try_from(vec![vec![1.0f64, 2.0, 3.0]]).unwrap();
/// assert_eq!(m.shape(), (1, 3));
/// assert!(Matrix::try_from(vec![vec![1.0f64], vec![]]).is_err());
/// ```
impl<T: Scalar> TryFrom<Vec<Vec<T>>> for Matrix<T> {
    type Error = MatrixError;
    fn try_from(rows: Vec<Vec<T>>) -> Result<Self, MatrixError> {
        from_rows(&rows)
    }
}

/// A contiguous row-major copy of a view ([`MatrixView::to_matrix`]).
///
/// ```
/// use matrix::Matrix;
/// let m = Matrix::from([[1.0f32, 2.0], [3.0, 4.0]]);
/// assert_eq!(Matrix::from(m.t()), Matrix::from([[1.0, 3.0], [2.0, 4.0]]));
/// ```
impl<T: Scalar> From<MatrixView<'_, T>> for Matrix<T> {
    fn from(v: MatrixView<'_, T>) -> Self {
        v.to_matrix()
    }
}

impl<T: Scalar> Matrix<T> {
    /// Takes ownership of a **row-major** buffer: element `(i, j)` is
    /// `data[i * cols + j]`. The same as [`from_vec`](Self::from_vec), by a
    /// name that says the order (nalgebra's `from_vec` is column-major).
    ///
    /// # Panics
    /// If `data.len() != rows * cols`.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let m = Matrix::from_row_major(2, 3, vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]);
    /// assert_eq!(m.row(0), &[1.0, 2.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn from_row_major(rows: usize, cols: usize, data: Vec<T>) -> Self {
        Self::from_vec(rows, cols, data)
    }

    /// Copies a **column-major** buffer (element `(i, j)` is
    /// `data[i + j * rows]`, the order of nalgebra, Fortran and LAPACK)
    /// into a row-major matrix.
    ///
    /// # Panics
    /// If `data.len() != rows * cols`; see
    /// [`try_from_col_major`](Self::try_from_col_major).
    ///
    /// ```
    /// use matrix::Matrix;
    /// let m = Matrix::from_col_major(2, 3, &[1.0f32, 4.0, 2.0, 5.0, 3.0, 6.0]);
    /// assert_eq!(m, Matrix::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]));
    /// ```
    #[track_caller]
    pub fn from_col_major(rows: usize, cols: usize, data: &[T]) -> Self {
        Self::try_from_col_major(rows, cols, data).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`from_col_major`](Self::from_col_major), or
    /// [`MatrixError::LengthMismatch`] naming the shape and the buffer's
    /// length if `data.len() != rows * cols` (as
    /// [`try_from_vec`](Self::try_from_vec)).
    ///
    /// ```
    /// use matrix::Matrix;
    /// let m = Matrix::try_from_col_major(2, 2, &[1.0f64, 3.0, 2.0, 4.0]).unwrap();
    /// assert_eq!(m, Matrix::from([[1.0, 2.0], [3.0, 4.0]]));
    /// let err = Matrix::try_from_col_major(3, 2, &[1.0f64; 5]).unwrap_err();
    /// assert_eq!(err.to_string(), "a 3x2 matrix needs 6 elements but the buffer has 5");
    /// ```
    pub fn try_from_col_major(rows: usize, cols: usize, data: &[T]) -> Result<Self, MatrixError> {
        if rows.checked_mul(cols) != Some(data.len()) {
            return Err(MatrixError::LengthMismatch {
                rows,
                cols,
                len: data.len(),
            });
        }
        Ok(MatrixView::from_slice(data, cols, rows, rows, 1)
            .t()
            .to_matrix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_inputs_give_empty_matrices() {
        let none: [[f32; 3]; 0] = [];
        assert_eq!(Matrix::from(none).shape(), (0, 3));
        assert_eq!(
            Matrix::<f32>::try_from(Vec::<Vec<f32>>::new())
                .unwrap()
                .shape(),
            (0, 0)
        );
        assert_eq!(
            Matrix::<f32>::try_from(vec![vec![], vec![]])
                .unwrap()
                .shape(),
            (2, 0)
        );
        assert_eq!(Matrix::<f64>::from_col_major(0, 4, &[]).shape(), (0, 4));
    }
}
