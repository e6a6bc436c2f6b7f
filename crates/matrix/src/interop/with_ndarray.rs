//! ndarray: views both ways without copying, owned arrays by moving the
//! buffer where the layout allows (needs the `ndarray` feature).
//!
//! | from | to | how |
//! |---|---|---|
//! | `ArrayView2<'a, T>` | `MatrixView<'a, T>` | `try_from`: zero-copy; an error for a negative stride (an `a.slice(s![..;-1, ..])`) |
//! | `ArrayViewMut2<'a, T>` | `MatrixViewMut<'a, T>` | `try_from`: zero-copy; an error for a negative stride or a layout [`MatrixViewMut`] refuses |
//! | `&ArrayBase<S, Ix2>` | `Matrix<T>` | `from`: a copy, any strides |
//! | `Array2<T>` | `Matrix<T>` | `from`: moves the buffer if in standard (row-major) layout, else copies |
//! | `MatrixView<'a, T>` | `ArrayView2<'a, T>` | `from`: zero-copy, always |
//! | `MatrixViewMut<'a, T>` | `ArrayViewMut2<'a, T>` | `from`: zero-copy, always |
//! | `Matrix<T>` | `Array2<T>` | `from`: moves the buffer |
//!
//! ```
//! use matrix::{Matrix, MatrixView};
//! use ndarray::{array, ArrayView2};
//! let a = array![[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]];
//! let v = MatrixView::try_from(a.t()).unwrap(); // 3x2, no copy
//! assert_eq!(v[(2, 1)], 6.0);
//! assert_eq!(v.as_ptr(), a.as_ptr());
//! let p = v * &Matrix::from([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]); // 3x3
//! let back = ArrayView2::from(p.view());
//! assert_eq!(back[[2, 1]], 6.0);
//! ```

use ndarray::{Array2, ArrayBase, ArrayView2, ArrayViewMut2, Data, Ix2, ShapeBuilder};

use crate::error::{dims, MatrixError};
use crate::view::non_aliasing;
use crate::{Matrix, MatrixView, MatrixViewMut, Scalar};

fn negative_strides(rows: usize, cols: usize, s: &[isize]) -> MatrixError {
    MatrixError::InvalidStrides {
        detail: format!(
            "an ndarray view of {} with strides ({}, {}): a matrix view's strides are non-negative (copy it with Matrix::from)",
            dims(rows, cols),
            s[0],
            s[1]
        ),
    }
}

/// A zero-copy view of an ndarray view; an error if a stride is negative.
impl<'a, T: Scalar> TryFrom<ArrayView2<'a, T>> for MatrixView<'a, T> {
    type Error = MatrixError;
    fn try_from(a: ArrayView2<'a, T>) -> Result<Self, MatrixError> {
        let (rows, cols) = a.dim();
        let (rs, cs) = super::strides(rows, cols, a.strides()[0], a.strides()[1])
            .ok_or_else(|| negative_strides(rows, cols, a.strides()))?;
        // SAFETY: ndarray guarantees every in-shape element of the view is
        // valid and not mutated for 'a; the strides are the same steps,
        // non-negative, so the same offsets from the same first element.
        Ok(unsafe { MatrixView::from_raw_parts(a.as_ptr(), rows, cols, rs, cs) })
    }
}

/// A zero-copy mutable view of an ndarray mutable view; an error if a
/// stride is negative or the layout is one [`MatrixViewMut`] refuses (its
/// non-aliasing test accepts the nested layouts: row-major, column-major,
/// their blocks and transposes).
impl<'a, T: Scalar> TryFrom<ArrayViewMut2<'a, T>> for MatrixViewMut<'a, T> {
    type Error = MatrixError;
    fn try_from(mut a: ArrayViewMut2<'a, T>) -> Result<Self, MatrixError> {
        let (rows, cols) = a.dim();
        let (rs, cs) = super::strides(rows, cols, a.strides()[0], a.strides()[1])
            .ok_or_else(|| negative_strides(rows, cols, a.strides()))?;
        if !non_aliasing(rows, cols, rs, cs) {
            return Err(MatrixError::InvalidStrides {
                detail: format!(
                    "an ndarray view of {} with strides ({rs}, {cs}) is not a layout a mutable matrix view accepts",
                    dims(rows, cols)
                ),
            });
        }
        let ptr = a.as_mut_ptr();
        // SAFETY: the ndarray view borrowed its elements exclusively for 'a
        // and is consumed here; same offsets as above, and non-aliasing.
        Ok(unsafe { MatrixViewMut::from_raw_parts(ptr, rows, cols, rs, cs) })
    }
}

/// A copy of any 2-D ndarray (any strides, negative included).
impl<T: Scalar, S: Data<Elem = T>> From<&ArrayBase<S, Ix2>> for Matrix<T> {
    fn from(a: &ArrayBase<S, Ix2>) -> Self {
        match MatrixView::try_from(a.view()) {
            Ok(v) => v.to_matrix(),
            Err(_) => Matrix::from_vec(a.nrows(), a.ncols(), a.iter().copied().collect()),
        }
    }
}

/// Moves the buffer of an array in standard (row-major, contiguous)
/// layout; copies any other.
///
/// ```
/// use matrix::Matrix;
/// let a = ndarray::Array2::from_shape_fn((2, 3), |(i, j)| (i * 3 + j) as f64);
/// let ptr = a.as_ptr();
/// let m = Matrix::from(a);
/// assert_eq!(m.as_slice().as_ptr(), ptr); // moved, not copied
/// assert_eq!(m.row(1), &[3.0, 4.0, 5.0]);
/// ```
impl<T: Scalar> From<Array2<T>> for Matrix<T> {
    fn from(a: Array2<T>) -> Self {
        let (rows, cols) = a.dim();
        if !a.is_standard_layout() {
            return Matrix::from(&a);
        }
        let (mut data, offset) = a.into_raw_vec_and_offset();
        let (start, len) = (offset.unwrap_or(0), rows * cols);
        if start != 0 || data.len() != len {
            // A row-major block of a larger buffer: keep just the block.
            data = data[start..start + len].to_vec();
        }
        Matrix::from_vec(rows, cols, data)
    }
}

/// A zero-copy ndarray view of a matrix view (any strides).
impl<'a, T: Scalar> From<MatrixView<'a, T>> for ArrayView2<'a, T> {
    fn from(v: MatrixView<'a, T>) -> Self {
        let (rows, cols) = v.shape();
        let (rs, cs) = nd_strides(rows, cols, v.row_stride(), v.col_stride());
        // SAFETY: every in-shape offset of the view is inside one buffer
        // borrowed shared for 'a, which a MatrixView guarantees; strides are
        // non-negative and their extent fits the buffer (so isize::MAX);
        // the pointer comes from a slice, so it is non-null and aligned.
        unsafe { ArrayView2::from_shape_ptr((rows, cols).strides((rs, cs)), v.as_ptr()) }
    }
}

/// A zero-copy mutable ndarray view of a mutable matrix view.
///
/// ```
/// use matrix::Matrix;
/// use ndarray::ArrayViewMut2;
/// let mut m = Matrix::<f32>::zeros(2, 3);
/// let mut a = ArrayViewMut2::from(m.view_mut().t_mut()); // 3x2
/// a[[2, 1]] = 7.0;
/// assert_eq!(m[(1, 2)], 7.0);
/// ```
impl<'a, T: Scalar> From<MatrixViewMut<'a, T>> for ArrayViewMut2<'a, T> {
    fn from(mut v: MatrixViewMut<'a, T>) -> Self {
        let (rows, cols) = v.shape();
        let (rs, cs) = nd_strides(rows, cols, v.row_stride(), v.col_stride());
        // SAFETY: as for the shared view, with an exclusive borrow for 'a
        // that `v` hands over, and a layout that MatrixViewMut already
        // checked does not alias.
        unsafe { ArrayViewMut2::from_shape_ptr((rows, cols).strides((rs, cs)), v.as_mut_ptr()) }
    }
}

/// Moves the row-major buffer into an array in standard layout.
///
/// ```
/// use matrix::Matrix;
/// let m = Matrix::from([[1.0f32, 2.0], [3.0, 4.0]]);
/// let a = ndarray::Array2::from(m);
/// assert_eq!(a, ndarray::array![[1.0, 2.0], [3.0, 4.0]]);
/// ```
impl<T: Scalar> From<Matrix<T>> for Array2<T> {
    fn from(m: Matrix<T>) -> Self {
        let shape = m.shape();
        Array2::from_shape_vec(shape, m.into_vec())
            .expect("a matrix's buffer has rows * cols elements")
    }
}

/// Our strides as ndarray's: 0 along a dimension of length 0 or 1 (which
/// never steps), so that ndarray's checks see no offsets beyond the buffer.
fn nd_strides(rows: usize, cols: usize, rs: usize, cs: usize) -> (usize, usize) {
    if rows == 0 || cols == 0 {
        return (0, 0);
    }
    (
        if rows == 1 { 0 } else { rs },
        if cols == 1 { 0 } else { cs },
    )
}
