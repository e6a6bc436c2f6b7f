//! [`MatrixView`]: a read-only, borrowed matrix with any strides, `Copy`
//! like `&[T]`. Its fields are visible to the rest of `view` so that a
//! mutable view can hand out a read-only one of the same memory.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Index;

use super::{check_block, check_layout, index_out_of_bounds};
use crate::error::{dims, MatrixError};
use crate::{Element, Matrix, Scalar};

/// A read-only, borrowed matrix with any row and column stride.
///
/// Cheap to copy: it is a pointer, a shape and two strides.
///
/// ```
/// use matrix::Matrix;
/// let m = Matrix::from_vec(2, 3, vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]);
/// let t = m.t(); // 3x2, no copy
/// assert_eq!(t.shape(), (3, 2));
/// assert_eq!(t[(2, 1)], 6.0);
/// assert_eq!(t.get(2, 2), None);
/// let block = m.view().submatrix(0, 1, 2, 2); // columns 1..3
/// assert_eq!(block[(1, 0)], 5.0);
/// ```
pub struct MatrixView<'a, T> {
    pub(super) ptr: *const T,
    pub(super) rows: usize,
    pub(super) cols: usize,
    pub(super) rs: usize,
    pub(super) cs: usize,
    pub(super) _life: PhantomData<&'a T>,
}

impl<T> Clone for MatrixView<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for MatrixView<'_, T> {}

// SAFETY: a view is a shared borrow of `T`s; sending or sharing it is as safe
// as sending or sharing `&[T]`.
unsafe impl<T: Sync> Send for MatrixView<'_, T> {}
// SAFETY: as above, only shared reads happen through a view.
unsafe impl<T: Sync> Sync for MatrixView<'_, T> {}

impl<'a, T: Element> MatrixView<'a, T> {
    /// A view of `data` as a `rows x cols` matrix with the given strides.
    ///
    /// # Panics
    /// If the layout reaches past the end of `data`; see [`try_from_slice`](Self::try_from_slice).
    pub fn from_slice(data: &'a [T], rows: usize, cols: usize, rs: usize, cs: usize) -> Self {
        Self::try_from_slice(data, rows, cols, rs, cs).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A view of `data` as a `rows x cols` matrix with row stride `rs` and
    /// column stride `cs`; an error if the layout reaches past the end of `data`.
    pub fn try_from_slice(
        data: &'a [T],
        rows: usize,
        cols: usize,
        rs: usize,
        cs: usize,
    ) -> Result<Self, MatrixError> {
        check_layout(data.len(), rows, cols, rs, cs)?;
        Ok(MatrixView {
            ptr: data.as_ptr(),
            rows,
            cols,
            rs,
            cs,
            _life: PhantomData,
        })
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
    /// Distance in elements between `(i, j)` and `(i + 1, j)`.
    #[inline]
    pub fn row_stride(&self) -> usize {
        self.rs
    }
    /// Distance in elements between `(i, j)` and `(i, j + 1)`.
    #[inline]
    pub fn col_stride(&self) -> usize {
        self.cs
    }
    /// Pointer to element `(0, 0)`; with the strides, the whole layout.
    #[inline]
    pub fn as_ptr(&self) -> *const T {
        self.ptr
    }

    /// A view of `rows x cols` elements at `ptr` with strides `(rs, cs)`,
    /// for layouts another crate (ndarray, nalgebra) or the crate's own
    /// kernels already vouch for.
    ///
    /// # Safety
    /// `ptr` is non-null and aligned, even for an empty view, and every
    /// in-shape offset `i * rs + j * cs` is inside one allocation of
    /// initialized `T`s that nothing mutates for `'a`.
    pub(crate) unsafe fn from_raw_parts(
        ptr: *const T,
        rows: usize,
        cols: usize,
        rs: usize,
        cs: usize,
    ) -> Self {
        MatrixView {
            ptr,
            rows,
            cols,
            rs,
            cs,
            _life: PhantomData,
        }
    }

    /// Element `(i, j)`, or `None` outside the view (as `slice::get`);
    /// `view[(i, j)]` is the form that panics.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let m = Matrix::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// assert_eq!(m.t().get(0, 1), Some(3.0));
    /// assert_eq!(m.t().get(2, 0), None);
    /// assert_eq!(m.t()[(0, 1)], 3.0);
    /// ```
    #[inline]
    pub fn get(&self, i: usize, j: usize) -> Option<T> {
        self.get_ref(i, j).copied()
    }

    /// A reference to element `(i, j)` that lives as long as the borrow, or
    /// `None` outside the view.
    #[inline]
    pub(crate) fn get_ref(&self, i: usize, j: usize) -> Option<&'a T> {
        if i < self.rows && j < self.cols {
            // SAFETY: (i, j) is inside the shape, and construction checked
            // that every in-shape offset is inside the borrowed buffer.
            Some(unsafe { &*self.ptr.add(i * self.rs + j * self.cs) })
        } else {
            None
        }
    }

    /// The transposed view: same memory, strides swapped.
    #[inline]
    pub fn t(self) -> MatrixView<'a, T> {
        MatrixView {
            ptr: self.ptr,
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
            _life: PhantomData,
        }
    }

    /// The `nr x nc` block whose top-left corner is `(r0, c0)`.
    ///
    /// # Panics
    /// If the block reaches outside the view.
    pub fn submatrix(self, r0: usize, c0: usize, nr: usize, nc: usize) -> MatrixView<'a, T> {
        self.try_submatrix(r0, c0, nr, nc)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The `nr x nc` block at `(r0, c0)`, or an error if it reaches outside.
    pub fn try_submatrix(
        self,
        r0: usize,
        c0: usize,
        nr: usize,
        nc: usize,
    ) -> Result<MatrixView<'a, T>, MatrixError> {
        check_block(self.rows, self.cols, r0, c0, nr, nc)?;
        let offset = if nr == 0 || nc == 0 {
            0
        } else {
            r0 * self.rs + c0 * self.cs
        };
        Ok(MatrixView {
            // SAFETY: the block is inside the view, so its corner is inside
            // the buffer (or the block is empty and never dereferenced).
            ptr: unsafe { self.ptr.add(offset) },
            rows: nr,
            cols: nc,
            rs: self.rs,
            cs: self.cs,
            _life: PhantomData,
        })
    }

    /// Row `i` as a slice, if the view's rows are contiguous (`col_stride == 1`).
    ///
    /// A view with no columns gives an empty slice at its base pointer:
    /// its strides may be anything (a `0 x 5` matrix's transpose has row
    /// stride 1 over no memory), so `i * row_stride` is never computed.
    ///
    /// # Panics
    /// If `i >= rows`.
    #[inline]
    pub fn row(&self, i: usize) -> Option<&'a [T]> {
        assert!(
            i < self.rows,
            "row {i} out of bounds for a {} view",
            dims(self.rows, self.cols)
        );
        if self.cols == 0 {
            // A view with no columns owns no element, so `i * rs` may point
            // anywhere (or overflow): no arithmetic on the base pointer.
            // SAFETY: the base pointer comes from a slice (or a layout
            // another crate vouches for), so it is non-null and aligned,
            // which is all an empty slice needs.
            Some(unsafe { std::slice::from_raw_parts(self.ptr, 0) })
        } else if self.cs == 1 || self.cols == 1 {
            // SAFETY: row i spans offsets i*rs .. i*rs + cols, all inside the
            // buffer by construction, and the borrow lives for 'a.
            Some(unsafe { std::slice::from_raw_parts(self.ptr.add(i * self.rs), self.cols) })
        } else {
            None
        }
    }

    /// The whole view as one slice, if it is row-major and contiguous.
    pub fn as_slice(&self) -> Option<&'a [T]> {
        if self.is_row_major_contiguous() {
            // SAFETY: contiguous row-major: offsets 0..rows*cols are the view.
            Some(unsafe { std::slice::from_raw_parts(self.ptr, self.rows * self.cols) })
        } else {
            None
        }
    }

    /// True if the view is a plain row-major block with no gaps.
    pub fn is_row_major_contiguous(&self) -> bool {
        (self.cs == 1 || self.cols <= 1) && (self.rs == self.cols || self.rows <= 1)
    }

    /// Copies the view into a new contiguous row-major matrix.
    pub fn to_matrix(&self) -> Matrix<T>
    where
        T: Scalar,
    {
        let mut out = Matrix::zeros(self.rows, self.cols);
        crate::transpose::copy_into(*self, out.view_mut());
        out
    }
}

impl<T: Scalar> fmt::Debug for MatrixView<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::display::write_matrix(f, *self, "MatrixView")
    }
}

impl<T: Scalar> fmt::Display for MatrixView<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::display::write_matrix(f, *self, "")
    }
}

/// `view[(i, j)]`: element `(i, j)`; panics outside the view
/// ([`get`](MatrixView::get) returns an `Option` instead).
///
/// ```
/// use matrix::Matrix;
/// let m = Matrix::from([[1.0f64, 2.0, 3.0]]);
/// assert_eq!(m.t()[(2, 0)], 3.0);
/// ```
impl<T: Element> Index<(usize, usize)> for MatrixView<'_, T> {
    type Output = T;
    #[inline]
    #[track_caller]
    fn index(&self, (i, j): (usize, usize)) -> &T {
        match self.get_ref(i, j) {
            Some(x) => x,
            None => index_out_of_bounds(i, j, self.shape(), "view"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_past_the_buffer_are_refused() {
        let buf = vec![0.0f64; 10];
        assert!(MatrixView::try_from_slice(&buf, 2, 5, 5, 1).is_ok());
        assert!(MatrixView::try_from_slice(&buf, 2, 6, 5, 1).is_err());
        assert!(MatrixView::try_from_slice(&buf, 0, 6, 5, 1).is_ok());
        assert!(MatrixView::try_from_slice(&buf, 2, 2, usize::MAX, 1).is_err());
    }

    #[test]
    fn submatrix_of_a_transpose_addresses_the_right_elements() {
        let m = Matrix::from_fn(4, 5, |i, j| (10 * i + j) as f32);
        let b = m.t().submatrix(1, 2, 3, 2);
        for i in 0..3 {
            for j in 0..2 {
                assert_eq!(b[(i, j)], m[(2 + j, 1 + i)]);
            }
        }
        assert!(m.t().try_submatrix(4, 0, 2, 1).is_err());
    }
}
