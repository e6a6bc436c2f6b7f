//! nalgebra: views both ways without copying, owned matrices by copying
//! (needs the `nalgebra` feature).
//!
//! nalgebra stores column-major: element `(i, j)` of a `DMatrix` is at
//! `i + j * nrows`, so its view here has strides `(1, nrows)`: a
//! transposed-strides [`MatrixView`] that [`gemm`](crate::gemm()) and every
//! operation here take as it is. Every nalgebra matrix or view has
//! non-negative strides, so shared views always convert without a copy.
//!
//! | from | to | how |
//! |---|---|---|
//! | `&'a nalgebra::Matrix<T, R, C, S>` (`DMatrix`, `SMatrix`, views) | `MatrixView<'a, T>` | `from`: zero-copy |
//! | `nalgebra::MatrixView<'a, T, ...>` | `MatrixView<'a, T>` | `from`: zero-copy |
//! | `&'a mut nalgebra::Matrix<T, R, C, S>`, `nalgebra::MatrixViewMut<'a, ...>` | `MatrixViewMut<'a, T>` | `try_from`: zero-copy; an error for a layout [`MatrixViewMut`] refuses |
//! | `&nalgebra::Matrix<T, R, C, S>` | `Matrix<T>` | `from`: a copy |
//! | `MatrixView<'a, T>` | `DMatrixView<'a, T, Dyn, Dyn>` | `from`: zero-copy |
//! | `MatrixViewMut<'a, T>` | `DMatrixViewMut<'a, T, Dyn, Dyn>` | `from`: zero-copy |
//! | `Matrix<T>` | `DMatrix<T>` | `from`: a copy (the orders differ) |
//!
//! ```
//! use matrix::{Matrix, MatrixView};
//! let d = nalgebra::DMatrix::from_row_slice(2, 3, &[1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0]);
//! let v = MatrixView::from(&d); // no copy: strides (1, 2)
//! assert_eq!((v.row_stride(), v.col_stride()), (1, 2));
//! assert_eq!(v[(1, 0)], 4.0);
//! let p = v * v.t(); // 2x2, through gemm
//! assert_eq!(nalgebra::DMatrix::from(p), &d * d.transpose());
//! ```

use nalgebra::{DMatrix, DMatrixView, DMatrixViewMut, Dim, Dyn, Storage, StorageMut};

use crate::error::{dims, MatrixError};
use crate::view::non_aliasing;
use crate::{Matrix, MatrixView, MatrixViewMut, Scalar};

/// `(rows, cols, row stride, col stride)` of a nalgebra matrix, with the
/// stride of a dimension of length 0 or 1 (never stepped) set to 0.
fn layout<T: Scalar, R: Dim, C: Dim, S: Storage<T, R, C>>(
    m: &nalgebra::Matrix<T, R, C, S>,
) -> (usize, usize, usize, usize) {
    let (rows, cols) = m.shape();
    let (rs, cs) = m.strides();
    let (rs, cs) = super::strides(rows, cols, rs as isize, cs as isize).unwrap_or((rs, cs));
    (rows, cols, rs, cs)
}

/// A zero-copy view of any nalgebra matrix or view (column-major strides).
impl<'a, T: Scalar, R: Dim, C: Dim, S: Storage<T, R, C>> From<&'a nalgebra::Matrix<T, R, C, S>>
    for MatrixView<'a, T>
{
    fn from(m: &'a nalgebra::Matrix<T, R, C, S>) -> Self {
        let (rows, cols, rs, cs) = layout(m);
        // SAFETY: nalgebra's `Storage` holds initialized elements at every
        // in-shape offset `i * rs + j * cs` from `ptr`, borrowed shared for 'a.
        unsafe { MatrixView::from_raw_parts(m.as_ptr(), rows, cols, rs, cs) }
    }
}

/// A zero-copy view of a nalgebra view, for the view's whole lifetime.
///
/// ```
/// use matrix::MatrixView;
/// let d = nalgebra::DMatrix::<f32>::from_fn(4, 4, |i, j| (10 * i + j) as f32);
/// let v = MatrixView::from(d.view((1, 2), (3, 2)));
/// assert_eq!(v[(2, 1)], 33.0);
/// ```
impl<'a, T: Scalar, R: Dim, C: Dim, RS: Dim, CS: Dim>
    From<nalgebra::MatrixView<'a, T, R, C, RS, CS>> for MatrixView<'a, T>
{
    fn from(m: nalgebra::MatrixView<'a, T, R, C, RS, CS>) -> Self {
        let (rows, cols, rs, cs) = layout(&m);
        // SAFETY: as above; the nalgebra view's borrow lives for 'a, beyond
        // this value.
        unsafe { MatrixView::from_raw_parts(m.as_ptr(), rows, cols, rs, cs) }
    }
}

fn aliasing(rows: usize, cols: usize, rs: usize, cs: usize) -> MatrixError {
    MatrixError::InvalidStrides {
        detail: format!(
            "a nalgebra view of {} with strides ({rs}, {cs}) is not a layout a mutable matrix view accepts",
            dims(rows, cols)
        ),
    }
}

/// A zero-copy mutable view of a nalgebra matrix; an error for a layout
/// [`MatrixViewMut`] refuses (never for a `DMatrix` or a block of one).
///
/// ```
/// use matrix::MatrixViewMut;
/// let mut d = nalgebra::DMatrix::<f64>::zeros(2, 3);
/// let mut v = MatrixViewMut::try_from(&mut d).unwrap();
/// v[(1, 2)] = 5.0;
/// assert_eq!(d[(1, 2)], 5.0);
/// ```
impl<'a, T: Scalar, R: Dim, C: Dim, S: StorageMut<T, R, C>>
    TryFrom<&'a mut nalgebra::Matrix<T, R, C, S>> for MatrixViewMut<'a, T>
{
    type Error = MatrixError;
    fn try_from(m: &'a mut nalgebra::Matrix<T, R, C, S>) -> Result<Self, MatrixError> {
        let (rows, cols, rs, cs) = layout(m);
        if !non_aliasing(rows, cols, rs, cs) {
            return Err(aliasing(rows, cols, rs, cs));
        }
        // SAFETY: initialized in-shape elements borrowed exclusively for 'a,
        // in a layout checked not to alias.
        Ok(unsafe { MatrixViewMut::from_raw_parts(m.as_mut_ptr(), rows, cols, rs, cs) })
    }
}

/// A zero-copy mutable view of a nalgebra mutable view.
impl<'a, T: Scalar, R: Dim, C: Dim, RS: Dim, CS: Dim>
    TryFrom<nalgebra::MatrixViewMut<'a, T, R, C, RS, CS>> for MatrixViewMut<'a, T>
{
    type Error = MatrixError;
    fn try_from(mut m: nalgebra::MatrixViewMut<'a, T, R, C, RS, CS>) -> Result<Self, MatrixError> {
        let (rows, cols, rs, cs) = layout(&m);
        if !non_aliasing(rows, cols, rs, cs) {
            return Err(aliasing(rows, cols, rs, cs));
        }
        // SAFETY: as above; the nalgebra view's exclusive borrow for 'a is
        // handed over with it.
        Ok(unsafe { MatrixViewMut::from_raw_parts(m.as_mut_ptr(), rows, cols, rs, cs) })
    }
}

/// A row-major copy of any nalgebra matrix or view.
///
/// ```
/// use matrix::Matrix;
/// let d = nalgebra::DMatrix::from_row_slice(1, 2, &[1.0f32, 2.0]);
/// assert_eq!(Matrix::from(&d), Matrix::from([[1.0, 2.0]]));
/// ```
impl<T: Scalar, R: Dim, C: Dim, S: Storage<T, R, C>> From<&nalgebra::Matrix<T, R, C, S>>
    for Matrix<T>
{
    fn from(m: &nalgebra::Matrix<T, R, C, S>) -> Self {
        MatrixView::from(m).to_matrix()
    }
}

/// A zero-copy nalgebra view of a matrix view (any strides).
///
/// ```
/// use matrix::Matrix;
/// let m = Matrix::from([[1.0f32, 2.0], [3.0, 4.0]]);
/// let d = nalgebra::DMatrixView::from(m.view());
/// assert_eq!(d[(1, 0)], 3.0);
/// assert_eq!(d.as_ptr(), m.as_slice().as_ptr());
/// ```
impl<'a, T: Scalar> From<MatrixView<'a, T>> for DMatrixView<'a, T, Dyn, Dyn> {
    fn from(v: MatrixView<'a, T>) -> Self {
        let (rows, cols) = v.shape();
        let storage = (Dyn(rows), Dyn(cols));
        let strides = (Dyn(v.row_stride()), Dyn(v.col_stride()));
        // SAFETY: every in-shape offset of the view is an initialized
        // element borrowed shared for 'a (what nalgebra's view needs), and
        // the storage's shape is the matrix's.
        unsafe {
            let data = nalgebra::ViewStorage::from_raw_parts(v.as_ptr(), storage, strides);
            nalgebra::Matrix::from_data_statically_unchecked(data)
        }
    }
}

/// A zero-copy mutable nalgebra view of a mutable matrix view.
///
/// ```
/// use matrix::Matrix;
/// let mut m = Matrix::<f64>::zeros(2, 2);
/// let mut d = nalgebra::DMatrixViewMut::from(m.view_mut());
/// d[(0, 1)] = 2.0;
/// assert_eq!(m[(0, 1)], 2.0);
/// ```
impl<'a, T: Scalar> From<MatrixViewMut<'a, T>> for DMatrixViewMut<'a, T, Dyn, Dyn> {
    fn from(mut v: MatrixViewMut<'a, T>) -> Self {
        let (rows, cols) = v.shape();
        let storage = (Dyn(rows), Dyn(cols));
        let strides = (Dyn(v.row_stride()), Dyn(v.col_stride()));
        // SAFETY: as above, borrowed exclusively for 'a (handed over with
        // `v`) in a layout MatrixViewMut checked not to alias.
        unsafe {
            let data = nalgebra::ViewStorageMut::from_raw_parts(v.as_mut_ptr(), storage, strides);
            nalgebra::Matrix::from_data_statically_unchecked(data)
        }
    }
}

/// A column-major copy.
impl<T: Scalar> From<Matrix<T>> for DMatrix<T> {
    fn from(m: Matrix<T>) -> Self {
        DMatrix::from_row_slice(m.rows(), m.cols(), m.as_slice())
    }
}
