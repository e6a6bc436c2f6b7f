//! [`MatrixViewMut`]: a mutable, borrowed matrix with any strides, an
//! exclusive borrow like `&mut [T]`: reborrows, blocks, disjoint splits by
//! rows, and in-place writes. Kept apart from the read-only view because
//! its `unsafe` blocks rest on exclusivity rather than shared reads.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Index, IndexMut};

use super::MatrixView;
use super::{check_block, check_layout, index_out_of_bounds, non_aliasing};
use crate::error::{dims, MatrixError};
use crate::{Element, Scalar};

/// A mutable, borrowed matrix with any row and column stride.
///
/// Unlike [`MatrixView`] it is not `Copy`: reborrow with [`rb_mut`](Self::rb_mut)
/// to pass it on and keep using it.
///
/// ```
/// use matrix::Matrix;
/// let mut m = Matrix::<f64>::zeros(3, 3);
/// let mut block = m.view_mut().submatrix_mut(1, 1, 2, 2);
/// block.set(0, 0, 5.0);
/// assert_eq!(m[(1, 1)], 5.0);
/// ```
pub struct MatrixViewMut<'a, T> {
    ptr: *mut T,
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
    _life: PhantomData<&'a mut T>,
}

// SAFETY: a mutable view is an exclusive borrow of `T`s, like `&mut [T]`.
unsafe impl<T: Send> Send for MatrixViewMut<'_, T> {}
// SAFETY: shared access to a mutable view only reads, like `&&mut [T]`.
unsafe impl<T: Sync> Sync for MatrixViewMut<'_, T> {}

impl<'a, T: Element> MatrixViewMut<'a, T> {
    /// A mutable view of `data` as a `rows x cols` matrix with the given strides.
    ///
    /// # Panics
    /// If the layout reaches past `data` or makes two elements share memory.
    pub fn from_slice(data: &'a mut [T], rows: usize, cols: usize, rs: usize, cs: usize) -> Self {
        Self::try_from_slice(data, rows, cols, rs, cs).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A mutable view of `data`; an error if the layout reaches past the end
    /// of `data` or if two `(i, j)` would share an element.
    pub fn try_from_slice(
        data: &'a mut [T],
        rows: usize,
        cols: usize,
        rs: usize,
        cs: usize,
    ) -> Result<Self, MatrixError> {
        check_layout(data.len(), rows, cols, rs, cs)?;
        if !non_aliasing(rows, cols, rs, cs) {
            return Err(MatrixError::InvalidStrides {
                detail: format!(
                    "strides ({rs}, {cs}) make elements of a {} mutable view overlap",
                    dims(rows, cols)
                ),
            });
        }
        Ok(MatrixViewMut {
            ptr: data.as_mut_ptr(),
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
    /// Pointer to element `(0, 0)`.
    #[inline]
    pub fn as_mut_ptr(&mut self) -> *mut T {
        self.ptr
    }

    /// A read-only view of the same elements, borrowing this one.
    #[inline]
    pub fn rb(&self) -> MatrixView<'_, T> {
        MatrixView {
            ptr: self.ptr,
            rows: self.rows,
            cols: self.cols,
            rs: self.rs,
            cs: self.cs,
            _life: PhantomData,
        }
    }

    /// A shorter-lived mutable view of the same elements.
    #[inline]
    pub fn rb_mut(&mut self) -> MatrixViewMut<'_, T> {
        MatrixViewMut {
            ptr: self.ptr,
            rows: self.rows,
            cols: self.cols,
            rs: self.rs,
            cs: self.cs,
            _life: PhantomData,
        }
    }

    /// Turns this mutable view into a read-only one with the same lifetime.
    #[inline]
    pub fn into_view(self) -> MatrixView<'a, T> {
        MatrixView {
            ptr: self.ptr,
            rows: self.rows,
            cols: self.cols,
            rs: self.rs,
            cs: self.cs,
            _life: PhantomData,
        }
    }

    /// A mutable view of `rows x cols` elements at `ptr` with strides
    /// `(rs, cs)`, for layouts another crate or the crate's own kernels
    /// already vouch for.
    ///
    /// # Safety
    /// `ptr` is non-null and aligned, even for an empty view, every
    /// in-shape offset `i * rs + j * cs` is inside one allocation of
    /// initialized `T`s borrowed exclusively for `'a`, and
    /// [`non_aliasing`] holds for the layout.
    pub(crate) unsafe fn from_raw_parts(
        ptr: *mut T,
        rows: usize,
        cols: usize,
        rs: usize,
        cs: usize,
    ) -> Self {
        debug_assert!(non_aliasing(rows, cols, rs, cs));
        MatrixViewMut {
            ptr,
            rows,
            cols,
            rs,
            cs,
            _life: PhantomData,
        }
    }

    /// Element `(i, j)`, or `None` outside the view; `view[(i, j)]` panics instead.
    #[inline]
    pub fn get(&self, i: usize, j: usize) -> Option<T> {
        self.rb().get(i, j)
    }

    /// Sets element `(i, j)`.
    ///
    /// # Panics
    /// If `(i, j)` is outside the view.
    #[inline]
    pub fn set(&mut self, i: usize, j: usize, value: T) {
        self[(i, j)] = value;
    }

    /// Mutable reference to element `(i, j)`, or `None` outside the view
    /// (as `slice::get_mut`); `view[(i, j)] = x` is the form that panics.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let mut m = Matrix::<f32>::zeros(2, 2);
    /// let mut v = m.view_mut();
    /// *v.get_mut(1, 0).unwrap() = 3.0;
    /// v[(0, 1)] = 2.0;
    /// assert!(v.get_mut(2, 0).is_none());
    /// assert_eq!(m.as_slice(), &[0.0, 2.0, 3.0, 0.0]);
    /// ```
    #[inline]
    pub fn get_mut(&mut self, i: usize, j: usize) -> Option<&mut T> {
        if i < self.rows && j < self.cols {
            // SAFETY: in-shape offsets are inside the exclusively borrowed
            // buffer, and `&mut self` keeps the reference unique.
            Some(unsafe { &mut *self.ptr.add(i * self.rs + j * self.cs) })
        } else {
            None
        }
    }

    /// The transposed mutable view: same memory, strides swapped.
    #[inline]
    pub fn t_mut(self) -> MatrixViewMut<'a, T> {
        MatrixViewMut {
            ptr: self.ptr,
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
            _life: PhantomData,
        }
    }

    /// The `nr x nc` mutable block at `(r0, c0)`.
    ///
    /// # Panics
    /// If the block reaches outside the view.
    pub fn submatrix_mut(self, r0: usize, c0: usize, nr: usize, nc: usize) -> MatrixViewMut<'a, T> {
        self.try_submatrix_mut(r0, c0, nr, nc)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The `nr x nc` mutable block at `(r0, c0)`, or an error if it reaches outside.
    pub fn try_submatrix_mut(
        self,
        r0: usize,
        c0: usize,
        nr: usize,
        nc: usize,
    ) -> Result<MatrixViewMut<'a, T>, MatrixError> {
        check_block(self.rows, self.cols, r0, c0, nr, nc)?;
        let offset = if nr == 0 || nc == 0 {
            0
        } else {
            r0 * self.rs + c0 * self.cs
        };
        Ok(MatrixViewMut {
            // SAFETY: the block's corner is inside the buffer (or it is empty).
            ptr: unsafe { self.ptr.add(offset) },
            rows: nr,
            cols: nc,
            rs: self.rs,
            cs: self.cs,
            _life: PhantomData,
        })
    }

    /// Splits into rows `0..r` and `r..rows`, two disjoint mutable views.
    ///
    /// # Panics
    /// If `r > rows`.
    pub fn split_at_row(self, r: usize) -> (MatrixViewMut<'a, T>, MatrixViewMut<'a, T>) {
        assert!(
            r <= self.rows,
            "split at row {r} of a {} view",
            dims(self.rows, self.cols)
        );
        let offset = if r == self.rows || self.cols == 0 {
            0
        } else {
            r * self.rs
        };
        let top = MatrixViewMut {
            rows: r,
            _life: PhantomData,
            ..self
        };
        let bottom = MatrixViewMut {
            // SAFETY: row r is inside the view (or the bottom part is empty).
            ptr: unsafe { self.ptr.add(offset) },
            rows: self.rows - r,
            cols: self.cols,
            rs: self.rs,
            cs: self.cs,
            _life: PhantomData,
        };
        (top, bottom)
    }

    /// Row `i` as a mutable slice, if the view's rows are contiguous; empty,
    /// at the base pointer, if the view has no columns (as [`MatrixView::row`]).
    ///
    /// # Panics
    /// If `i >= rows`.
    #[inline]
    pub fn row_mut(&mut self, i: usize) -> Option<&mut [T]> {
        assert!(
            i < self.rows,
            "row {i} out of bounds for a {} view",
            dims(self.rows, self.cols)
        );
        if self.cols == 0 {
            // No columns, no element: the base pointer, never offset (as `row`).
            // SAFETY: the base pointer is non-null and aligned (it comes from
            // a slice), which is all an empty slice needs.
            Some(unsafe { std::slice::from_raw_parts_mut(self.ptr, 0) })
        } else if self.cs == 1 || self.cols == 1 {
            // SAFETY: row i is `cols` contiguous in-bounds elements, borrowed
            // exclusively through `&mut self`.
            Some(unsafe { std::slice::from_raw_parts_mut(self.ptr.add(i * self.rs), self.cols) })
        } else {
            None
        }
    }

    /// The whole view as one mutable slice, if it is row-major and contiguous.
    pub fn as_mut_slice(&mut self) -> Option<&mut [T]> {
        if self.rb().is_row_major_contiguous() {
            // SAFETY: contiguous row-major layout of rows*cols elements.
            Some(unsafe { std::slice::from_raw_parts_mut(self.ptr, self.rows * self.cols) })
        } else {
            None
        }
    }

    /// The whole view as one mutable slice for its whole lifetime, if it is
    /// row-major and contiguous.
    pub(crate) fn into_slice_mut(self) -> Option<&'a mut [T]> {
        if self.rb().is_row_major_contiguous() {
            // SAFETY: contiguous row-major layout of rows*cols elements,
            // borrowed exclusively for 'a, and `self` is consumed.
            Some(unsafe { std::slice::from_raw_parts_mut(self.ptr, self.rows * self.cols) })
        } else {
            None
        }
    }

    /// Sets every element to `value`.
    pub fn fill(&mut self, value: T) {
        self.map_inplace(|_| value);
    }

    /// Replaces every element `x` with `f(x)`.
    pub fn map_inplace(&mut self, mut f: impl FnMut(T) -> T) {
        for i in 0..self.rows {
            match self.row_mut(i) {
                Some(row) => row.iter_mut().for_each(|x| *x = f(*x)),
                None => {
                    for j in 0..self.cols {
                        let x = &mut self[(i, j)];
                        *x = f(*x);
                    }
                }
            }
        }
    }

    /// Copies `src` (same shape) into this view.
    ///
    /// # Panics
    /// If the shapes differ.
    pub fn copy_from(&mut self, src: MatrixView<'_, T>)
    where
        T: Scalar,
    {
        crate::transpose::copy_into(src, self.rb_mut());
    }
}

impl<T: Scalar> fmt::Debug for MatrixViewMut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::display::write_matrix(f, self.rb(), "MatrixViewMut")
    }
}

/// `view[(i, j)]`: element `(i, j)`; panics outside the view.
impl<T: Element> Index<(usize, usize)> for MatrixViewMut<'_, T> {
    type Output = T;
    #[inline]
    #[track_caller]
    fn index(&self, (i, j): (usize, usize)) -> &T {
        if i < self.rows && j < self.cols {
            // SAFETY: in-shape offsets are inside the borrowed buffer; the
            // shared borrow of `self` keeps writes out while it lives.
            unsafe { &*self.ptr.add(i * self.rs + j * self.cs) }
        } else {
            index_out_of_bounds(i, j, self.shape(), "view")
        }
    }
}

/// `view[(i, j)] = x`: element `(i, j)`, mutable; panics outside the view
/// ([`get_mut`](MatrixViewMut::get_mut) returns an `Option` instead).
///
/// ```
/// use matrix::Matrix;
/// let mut m = Matrix::<f32>::zeros(2, 3);
/// let mut col = m.view_mut().t_mut();
/// col[(2, 1)] = 7.0;
/// assert_eq!(m[(1, 2)], 7.0);
/// ```
impl<T: Element> IndexMut<(usize, usize)> for MatrixViewMut<'_, T> {
    #[inline]
    #[track_caller]
    fn index_mut(&mut self, (i, j): (usize, usize)) -> &mut T {
        let shape = self.shape();
        match self.get_mut(i, j) {
            Some(x) => x,
            None => index_out_of_bounds(i, j, shape, "view"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Matrix;

    #[test]
    fn aliasing_strides_are_refused_for_mutable_views() {
        let mut buf = vec![0.0f32; 16];
        assert!(MatrixViewMut::try_from_slice(&mut buf, 4, 4, 1, 1).is_err());
        assert!(MatrixViewMut::try_from_slice(&mut buf, 4, 4, 4, 1).is_ok());
        assert!(MatrixViewMut::try_from_slice(&mut buf, 4, 4, 1, 4).is_ok());
        assert!(MatrixViewMut::try_from_slice(&mut buf, 4, 4, 4, 2).is_err());
        // A one-column view whose rows all start at one element: every row
        // would hand out the same `&mut`.
        let mut one = [0.0f32];
        assert!(MatrixViewMut::try_from_slice(&mut one, 1000, 1, 0, 1).is_err());
        assert!(MatrixViewMut::try_from_slice(&mut one, 1, 1000, 1, 0).is_err());
        assert!(MatrixViewMut::try_from_slice(&mut one, 1, 1, 0, 0).is_ok());
        assert!(MatrixViewMut::try_from_slice(&mut buf, 16, 1, 1, 0).is_ok());
        assert!(MatrixViewMut::try_from_slice(&mut buf, 1, 16, 0, 1).is_ok());
    }

    #[test]
    fn split_at_row_gives_disjoint_halves() {
        let mut m = Matrix::<f32>::zeros(5, 3);
        let (mut top, mut bottom) = m.view_mut().split_at_row(2);
        top.fill(1.0);
        bottom.fill(2.0);
        assert_eq!(m.row(1), &[1.0, 1.0, 1.0]);
        assert_eq!(m.row(2), &[2.0, 2.0, 2.0]);
    }
}
