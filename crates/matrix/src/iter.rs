//! Iterators over elements, rows and columns, and single columns as views.
//!
//! Elements always come in row-major order (`(0, 0), (0, 1), ...`), whatever
//! the strides, as ndarray's `iter` does: a transposed view yields the
//! columns of the matrix it views. On a contiguous layout the iterators are
//! slice iterators underneath.

use std::iter::FusedIterator;

use crate::error::dims;
use crate::{Matrix, MatrixView, MatrixViewMut, Scalar};

/// Row-major iterator over references to a view's elements; see
/// [`MatrixView::iter`].
#[derive(Clone)]
pub struct Iter<'a, T> {
    inner: IterInner<'a, T>,
}

#[derive(Clone)]
enum IterInner<'a, T> {
    Contiguous(std::slice::Iter<'a, T>),
    Strided {
        view: MatrixView<'a, T>,
        /// Next position, as a row-major index `i * cols + j`.
        front: usize,
        /// One past the last position still to yield.
        back: usize,
    },
}

impl<'a, T: Scalar> Iter<'a, T> {
    fn new(view: MatrixView<'a, T>) -> Self {
        let inner = match view.as_slice() {
            Some(s) => IterInner::Contiguous(s.iter()),
            None => IterInner::Strided {
                view,
                front: 0,
                back: view.rows() * view.cols(),
            },
        };
        Iter { inner }
    }
}

impl<'a, T: Scalar> Iterator for Iter<'a, T> {
    type Item = &'a T;
    #[inline]
    fn next(&mut self) -> Option<&'a T> {
        match &mut self.inner {
            IterInner::Contiguous(it) => it.next(),
            IterInner::Strided { view, front, back } => {
                if *front == *back {
                    return None;
                }
                let k = *front;
                *front += 1;
                view.get_ref(k / view.cols(), k % view.cols())
            }
        }
    }
    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.len();
        (n, Some(n))
    }
}

impl<T: Scalar> DoubleEndedIterator for Iter<'_, T> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            IterInner::Contiguous(it) => it.next_back(),
            IterInner::Strided { view, front, back } => {
                if *front == *back {
                    return None;
                }
                *back -= 1;
                view.get_ref(*back / view.cols(), *back % view.cols())
            }
        }
    }
}

impl<T: Scalar> ExactSizeIterator for Iter<'_, T> {
    #[inline]
    fn len(&self) -> usize {
        match &self.inner {
            IterInner::Contiguous(it) => it.len(),
            IterInner::Strided { front, back, .. } => back - front,
        }
    }
}
impl<T: Scalar> FusedIterator for Iter<'_, T> {}

/// Row-major iterator over mutable references to a view's elements; see
/// [`MatrixViewMut::iter_mut`].
pub struct IterMut<'a, T> {
    inner: IterMutInner<'a, T>,
}

enum IterMutInner<'a, T> {
    Contiguous(std::slice::IterMut<'a, T>),
    Strided {
        view: MatrixViewMut<'a, T>,
        front: usize,
        back: usize,
    },
}

impl<'a, T: Scalar> IterMut<'a, T> {
    fn new(view: MatrixViewMut<'a, T>) -> Self {
        let inner = if view.rb().is_row_major_contiguous() {
            IterMutInner::Contiguous(view.into_slice_mut().unwrap_or_default().iter_mut())
        } else {
            let back = view.rows() * view.cols();
            IterMutInner::Strided {
                view,
                front: 0,
                back,
            }
        };
        IterMut { inner }
    }
}

impl<'a, T: Scalar> Iterator for IterMut<'a, T> {
    type Item = &'a mut T;
    #[inline]
    fn next(&mut self) -> Option<&'a mut T> {
        match &mut self.inner {
            IterMutInner::Contiguous(it) => it.next(),
            IterMutInner::Strided { view, front, back } => {
                if *front == *back {
                    return None;
                }
                let (i, j) = (*front / view.cols(), *front % view.cols());
                *front += 1;
                let offset = i * view.row_stride() + j * view.col_stride();
                // SAFETY: (i, j) is inside the view, whose layout is in
                // bounds and non-aliasing (checked when it was made), and
                // each position is yielded once, so the `&mut`s that live
                // for 'a are disjoint.
                Some(unsafe { &mut *view.as_mut_ptr().add(offset) })
            }
        }
    }
    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match &self.inner {
            IterMutInner::Contiguous(it) => it.len(),
            IterMutInner::Strided { front, back, .. } => back - front,
        };
        (n, Some(n))
    }
}
impl<T: Scalar> ExactSizeIterator for IterMut<'_, T> {}
impl<T: Scalar> FusedIterator for IterMut<'_, T> {}

impl<'a, T: Scalar> MatrixView<'a, T> {
    /// The elements in row-major order, by reference, whatever the strides.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let m = Matrix::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// let by_cols: Vec<f32> = m.t().iter().copied().collect();
    /// assert_eq!(by_cols, [1.0, 3.0, 2.0, 4.0]);
    /// ```
    pub fn iter(&self) -> Iter<'a, T> {
        Iter::new(*self)
    }

    /// The rows, each a `1 x cols` view (use [`row`](Self::row) for a slice
    /// where the row is contiguous).
    ///
    /// ```
    /// use matrix::Matrix;
    /// let m = Matrix::from([[1.0f64, 2.0], [3.0, 4.0]]);
    /// let firsts: Vec<f64> = m.t().row_iter().map(|r| r[(0, 0)]).collect();
    /// assert_eq!(firsts, [1.0, 2.0]);
    /// ```
    pub fn row_iter(&self) -> impl ExactSizeIterator<Item = MatrixView<'a, T>> + 'a {
        let v = *self;
        (0..v.rows()).map(move |i| v.submatrix(i, 0, 1, v.cols()))
    }

    /// Column `j` as an `rows x 1` view: no copy, row stride unchanged.
    ///
    /// # Panics
    /// If `j >= cols`.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let m = Matrix::from([[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]]);
    /// let c = m.view().col(1);
    /// assert_eq!(c.shape(), (3, 1));
    /// assert_eq!(c.iter().sum::<f32>(), 12.0);
    /// ```
    pub fn col(&self, j: usize) -> MatrixView<'a, T> {
        assert!(
            j < self.cols(),
            "column {j} out of bounds for a {} view",
            dims(self.rows(), self.cols())
        );
        self.submatrix(0, j, self.rows(), 1)
    }

    /// The columns, each an `rows x 1` view.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let m = Matrix::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// let sums: Vec<f32> = m.view().col_iter().map(|c| c.sum()).collect();
    /// assert_eq!(sums, [4.0, 6.0]);
    /// ```
    pub fn col_iter(&self) -> impl ExactSizeIterator<Item = MatrixView<'a, T>> + 'a {
        let v = *self;
        (0..v.cols()).map(move |j| v.submatrix(0, j, v.rows(), 1))
    }
}

impl<'a, T: Scalar> MatrixViewMut<'a, T> {
    /// The elements in row-major order, by reference.
    pub fn iter(&self) -> Iter<'_, T> {
        Iter::new(self.rb())
    }

    /// The elements in row-major order, by mutable reference.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let mut m = Matrix::<f32>::zeros(2, 3);
    /// for (k, x) in m.view_mut().t_mut().iter_mut().enumerate() {
    ///     *x = k as f32;
    /// }
    /// assert_eq!(m.as_slice(), &[0.0, 2.0, 4.0, 1.0, 3.0, 5.0]);
    /// ```
    pub fn iter_mut(&mut self) -> IterMut<'_, T> {
        IterMut::new(self.rb_mut())
    }

    /// Column `j` as an `rows x 1` mutable view.
    ///
    /// # Panics
    /// If `j >= cols`.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let mut m = Matrix::<f64>::zeros(2, 2);
    /// m.view_mut().col_mut(1).fill(3.0);
    /// assert_eq!(m.as_slice(), &[0.0, 3.0, 0.0, 3.0]);
    /// ```
    pub fn col_mut(self, j: usize) -> MatrixViewMut<'a, T> {
        assert!(
            j < self.cols(),
            "column {j} out of bounds for a {} view",
            dims(self.rows(), self.cols())
        );
        let rows = self.rows();
        self.submatrix_mut(0, j, rows, 1)
    }
}

impl<T: Scalar> Matrix<T> {
    /// The elements in row-major order, by reference (the buffer's order).
    ///
    /// ```
    /// use matrix::Matrix;
    /// let m = Matrix::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// assert_eq!(m.iter().copied().fold(0.0, f32::max), 4.0);
    /// for x in &m {
    ///     assert!(*x > 0.0);
    /// }
    /// ```
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.as_slice().iter()
    }

    /// The elements in row-major order, by mutable reference.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let mut m = Matrix::<f32>::zeros(1, 3);
    /// m.iter_mut().enumerate().for_each(|(k, x)| *x = k as f32);
    /// assert_eq!(m.as_slice(), &[0.0, 1.0, 2.0]);
    /// ```
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.as_mut_slice().iter_mut()
    }

    /// Column `j` as an `rows x 1` view (row stride `cols`).
    ///
    /// # Panics
    /// If `j >= cols`.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let m = Matrix::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// assert_eq!(m.col(0).to_matrix(), Matrix::from([[1.0], [3.0]]));
    /// ```
    pub fn col(&self, j: usize) -> MatrixView<'_, T> {
        self.view().col(j)
    }

    /// Column `j` as an `rows x 1` mutable view.
    ///
    /// # Panics
    /// If `j >= cols`.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let mut m = Matrix::<f32>::zeros(2, 2);
    /// m.col_mut(0).fill(1.0);
    /// assert_eq!(m.as_slice(), &[1.0, 0.0, 1.0, 0.0]);
    /// ```
    pub fn col_mut(&mut self, j: usize) -> MatrixViewMut<'_, T> {
        self.view_mut().col_mut(j)
    }

    /// The columns, each an `rows x 1` view.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let m = Matrix::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// assert_eq!(m.col_iter().map(|c| c.max().unwrap()).collect::<Vec<_>>(), [3.0, 4.0]);
    /// ```
    pub fn col_iter(&self) -> impl ExactSizeIterator<Item = MatrixView<'_, T>> + '_ {
        self.view().col_iter()
    }
}

impl<'a, T: Scalar> IntoIterator for &'a Matrix<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, T: Scalar> IntoIterator for &'a mut Matrix<T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

/// The elements by value, row-major: the matrix's buffer.
///
/// ```
/// use matrix::Matrix;
/// let v: Vec<f32> = Matrix::from([[1.0, 2.0]]).into_iter().collect();
/// assert_eq!(v, [1.0, 2.0]);
/// ```
impl<T: Scalar> IntoIterator for Matrix<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.into_vec().into_iter()
    }
}

impl<'a, T: Scalar> IntoIterator for MatrixView<'a, T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        Iter::new(self)
    }
}

impl<'a, T: Scalar> IntoIterator for MatrixViewMut<'a, T> {
    type Item = &'a mut T;
    type IntoIter = IterMut<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        IterMut::new(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strided_iterators_visit_row_major_from_both_ends() {
        let m = Matrix::from_fn(3, 4, |i, j| (10 * i + j) as f32);
        let t = m.t().submatrix(1, 0, 2, 3);
        let want: Vec<f32> = vec![1.0, 11.0, 21.0, 2.0, 12.0, 22.0];
        assert_eq!(t.iter().copied().collect::<Vec<_>>(), want);
        let mut back: Vec<f32> = t.iter().rev().copied().collect();
        back.reverse();
        assert_eq!(back, want);
        let mut it = t.iter();
        it.next();
        it.next_back();
        assert_eq!(it.len(), 4);
        assert_eq!(m.view().iter().len(), 12);
    }

    #[test]
    fn iter_mut_touches_each_element_once() {
        let mut m = Matrix::<f64>::zeros(3, 5);
        let mut block = m.view_mut().submatrix_mut(1, 1, 2, 3).t_mut();
        block.iter_mut().for_each(|x| *x += 1.0);
        assert_eq!(block.iter_mut().len(), 6);
        assert_eq!(m.iter().filter(|&&x| x == 1.0).count(), 6);
        assert_eq!(m.iter().sum::<f64>(), 6.0);
        let mut empty = Matrix::<f32>::zeros(0, 3);
        assert_eq!(empty.view_mut().t_mut().iter_mut().count(), 0);
    }
}
