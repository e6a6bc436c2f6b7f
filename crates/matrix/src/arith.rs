//! Arithmetic operators on [`Matrix`] and its views.
//!
//! - `+` and `-` are elementwise between any two of `Matrix`, `&Matrix` and
//!   `MatrixView`; an owned operand's buffer is reused for the result.
//! - `*` between two matrices is the **matrix product** (through
//!   [`gemm`](crate::gemm())), as in nalgebra and faer; ndarray's `*` is
//!   elementwise, which here is [`zip_map`](Matrix::zip_map) or
//!   `a.zip_map(&b, |x, y| x * y)`.
//! - `*` and `/` with a scalar scale every element (`a * 2.0`, `2.0 * &a`,
//!   `a / 2.0`); unary `-` negates.
//! - `+=`, `-=` take a matrix or view on the right, `*=` and `/=` a scalar;
//!   the left side is a `Matrix` or a `MatrixViewMut` (a block of a larger
//!   matrix, a transposed view...).
//!
//! Operands whose shapes do not fit panic with the message the `try_` form
//! returns as a [`MatrixError`]: `add: A is 2x3 but B is 3x2`, the
//! style of [`try_gemm`](crate::try_gemm). The `try_` forms are
//! [`try_add`](Matrix::try_add), [`try_sub`](Matrix::try_sub),
//! [`try_add_assign`](Matrix::try_add_assign),
//! [`try_sub_assign`](Matrix::try_sub_assign) and
//! [`try_matmul`](Matrix::try_matmul).
//!
//! ```
//! use matrix::Matrix;
//! let a = Matrix::from([[1.0f32, 2.0], [3.0, 4.0]]);
//! let b = Matrix::<f32>::identity(2);
//! let c = &a + &b;            // elementwise, a new matrix
//! let d = &a * &b;            // matrix product
//! let e = a.t() - &a;         // views mix with matrices
//! assert_eq!(c, Matrix::from([[2.0, 2.0], [3.0, 5.0]]));
//! assert_eq!(d, a);
//! assert_eq!(e, Matrix::from([[0.0, 1.0], [-1.0, 0.0]]));
//! let mut f = c * 2.0;        // reuses c's buffer
//! f -= &b;
//! f /= 2.0;
//! assert_eq!(f, Matrix::from([[1.5, 2.0], [3.0, 4.5]]));
//! assert_eq!(a.try_add(a.t().submatrix(0, 0, 2, 1)).unwrap_err().to_string(),
//!            "add: A is 2x2 but B is 2x1");
//! ```

use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use crate::elementwise::{same_shape, zip_with};
use crate::error::MatrixError;
use crate::{Matrix, MatrixView, MatrixViewMut, Scalar};

/// `dst[(i, j)] = f(dst[(i, j)], src[(i, j)])`, or the shape error named `op`.
fn assign<T: Scalar>(
    op: &'static str,
    dst: MatrixViewMut<'_, T>,
    src: MatrixView<'_, T>,
    f: impl FnMut(T, T) -> T,
) -> Result<(), MatrixError> {
    same_shape(op, dst.shape(), src.shape())?;
    crate::ops::zip_map_inplace(dst, src, f)
}

#[track_caller]
fn or_panic<R>(r: Result<R, MatrixError>) -> R {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// `f(a, b)` elementwise into `a`'s buffer.
#[track_caller]
fn into_lhs<T: Scalar>(
    op: &'static str,
    mut a: Matrix<T>,
    b: MatrixView<'_, T>,
    f: impl FnMut(T, T) -> T,
) -> Matrix<T> {
    or_panic(assign(op, a.view_mut(), b, f));
    a
}

/// `f(a, b)` elementwise into `b`'s buffer.
#[track_caller]
fn into_rhs<T: Scalar>(
    op: &'static str,
    a: MatrixView<'_, T>,
    mut b: Matrix<T>,
    mut f: impl FnMut(T, T) -> T,
) -> Matrix<T> {
    or_panic(same_shape(op, a.shape(), b.shape()));
    or_panic(assign(op, b.view_mut(), a, |y, x| f(x, y)));
    b
}

/// `+` or `-` for every pairing of `Matrix`, `&Matrix` and `MatrixView`.
macro_rules! elementwise_ops {
    ($Trait:ident, $method:ident, $Assign:ident, $assign:ident, $op:literal, $assign_op:literal) => {
        impl<'a, 'b, T: Scalar> $Trait<&'b Matrix<T>> for &'a Matrix<T> {
            type Output = Matrix<T>;
            #[track_caller]
            fn $method(self, rhs: &'b Matrix<T>) -> Matrix<T> {
                or_panic(zip_with($op, self.view(), rhs.view(), T::$method))
            }
        }
        impl<'a, 'b, T: Scalar> $Trait<MatrixView<'b, T>> for &'a Matrix<T> {
            type Output = Matrix<T>;
            #[track_caller]
            fn $method(self, rhs: MatrixView<'b, T>) -> Matrix<T> {
                or_panic(zip_with($op, self.view(), rhs, T::$method))
            }
        }
        impl<'a, 'b, T: Scalar> $Trait<&'b Matrix<T>> for MatrixView<'a, T> {
            type Output = Matrix<T>;
            #[track_caller]
            fn $method(self, rhs: &'b Matrix<T>) -> Matrix<T> {
                or_panic(zip_with($op, self, rhs.view(), T::$method))
            }
        }
        impl<'a, 'b, T: Scalar> $Trait<MatrixView<'b, T>> for MatrixView<'a, T> {
            type Output = Matrix<T>;
            #[track_caller]
            fn $method(self, rhs: MatrixView<'b, T>) -> Matrix<T> {
                or_panic(zip_with($op, self, rhs, T::$method))
            }
        }
        impl<'b, T: Scalar> $Trait<&'b Matrix<T>> for Matrix<T> {
            type Output = Matrix<T>;
            #[track_caller]
            fn $method(self, rhs: &'b Matrix<T>) -> Matrix<T> {
                into_lhs($op, self, rhs.view(), T::$method)
            }
        }
        impl<'b, T: Scalar> $Trait<MatrixView<'b, T>> for Matrix<T> {
            type Output = Matrix<T>;
            #[track_caller]
            fn $method(self, rhs: MatrixView<'b, T>) -> Matrix<T> {
                into_lhs($op, self, rhs, T::$method)
            }
        }
        impl<T: Scalar> $Trait<Matrix<T>> for Matrix<T> {
            type Output = Matrix<T>;
            #[track_caller]
            fn $method(self, rhs: Matrix<T>) -> Matrix<T> {
                into_lhs($op, self, rhs.view(), T::$method)
            }
        }
        impl<'a, T: Scalar> $Trait<Matrix<T>> for &'a Matrix<T> {
            type Output = Matrix<T>;
            #[track_caller]
            fn $method(self, rhs: Matrix<T>) -> Matrix<T> {
                into_rhs($op, self.view(), rhs, T::$method)
            }
        }
        impl<'a, T: Scalar> $Trait<Matrix<T>> for MatrixView<'a, T> {
            type Output = Matrix<T>;
            #[track_caller]
            fn $method(self, rhs: Matrix<T>) -> Matrix<T> {
                into_rhs($op, self, rhs, T::$method)
            }
        }
        impl<'b, T: Scalar> $Assign<&'b Matrix<T>> for Matrix<T> {
            #[track_caller]
            fn $assign(&mut self, rhs: &'b Matrix<T>) {
                or_panic(assign($assign_op, self.view_mut(), rhs.view(), T::$method))
            }
        }
        impl<'b, T: Scalar> $Assign<MatrixView<'b, T>> for Matrix<T> {
            #[track_caller]
            fn $assign(&mut self, rhs: MatrixView<'b, T>) {
                or_panic(assign($assign_op, self.view_mut(), rhs, T::$method))
            }
        }
        impl<T: Scalar> $Assign<Matrix<T>> for Matrix<T> {
            #[track_caller]
            fn $assign(&mut self, rhs: Matrix<T>) {
                or_panic(assign($assign_op, self.view_mut(), rhs.view(), T::$method))
            }
        }
        impl<'a, 'b, T: Scalar> $Assign<&'b Matrix<T>> for MatrixViewMut<'a, T> {
            #[track_caller]
            fn $assign(&mut self, rhs: &'b Matrix<T>) {
                or_panic(assign($assign_op, self.rb_mut(), rhs.view(), T::$method))
            }
        }
        impl<'a, 'b, T: Scalar> $Assign<MatrixView<'b, T>> for MatrixViewMut<'a, T> {
            #[track_caller]
            fn $assign(&mut self, rhs: MatrixView<'b, T>) {
                or_panic(assign($assign_op, self.rb_mut(), rhs, T::$method))
            }
        }
    };
}

elementwise_ops!(Add, add, AddAssign, add_assign, "add", "add_assign");
elementwise_ops!(Sub, sub, SubAssign, sub_assign, "sub", "sub_assign");

/// Scalar `*` and `/` (and `*=`, `/=`), and unary `-`.
macro_rules! scalar_ops {
    ($Trait:ident, $method:ident, $Assign:ident, $assign:ident) => {
        impl<T: Scalar> $Trait<T> for Matrix<T> {
            type Output = Matrix<T>;
            fn $method(mut self, s: T) -> Matrix<T> {
                self.map_inplace(|x| T::$method(x, s));
                self
            }
        }
        impl<T: Scalar> $Trait<T> for &Matrix<T> {
            type Output = Matrix<T>;
            fn $method(self, s: T) -> Matrix<T> {
                self.map(|x| T::$method(x, s))
            }
        }
        impl<T: Scalar> $Trait<T> for MatrixView<'_, T> {
            type Output = Matrix<T>;
            fn $method(self, s: T) -> Matrix<T> {
                self.map(|x| T::$method(x, s))
            }
        }
        impl<T: Scalar> $Assign<T> for Matrix<T> {
            fn $assign(&mut self, s: T) {
                self.map_inplace(|x| T::$method(x, s));
            }
        }
        impl<T: Scalar> $Assign<T> for MatrixViewMut<'_, T> {
            fn $assign(&mut self, s: T) {
                self.map_inplace(|x| T::$method(x, s));
            }
        }
    };
}

scalar_ops!(Mul, mul, MulAssign, mul_assign);
scalar_ops!(Div, div, DivAssign, div_assign);

/// `s * a` for the two element types (a generic `impl Mul<Matrix<T>> for T`
/// is not allowed for a foreign `T`).
macro_rules! scalar_times_matrix {
    ($($t:ty),*) => {$(
        impl Mul<Matrix<$t>> for $t {
            type Output = Matrix<$t>;
            fn mul(self, m: Matrix<$t>) -> Matrix<$t> {
                m * self
            }
        }
        impl Mul<&Matrix<$t>> for $t {
            type Output = Matrix<$t>;
            fn mul(self, m: &Matrix<$t>) -> Matrix<$t> {
                m * self
            }
        }
        impl<'a> Mul<MatrixView<'a, $t>> for $t {
            type Output = Matrix<$t>;
            fn mul(self, m: MatrixView<'a, $t>) -> Matrix<$t> {
                m * self
            }
        }
    )*};
}

scalar_times_matrix!(f32, f64);

impl<T: Scalar> Neg for Matrix<T> {
    type Output = Matrix<T>;
    fn neg(mut self) -> Matrix<T> {
        self.map_inplace(T::neg);
        self
    }
}
impl<T: Scalar> Neg for &Matrix<T> {
    type Output = Matrix<T>;
    fn neg(self) -> Matrix<T> {
        self.map(T::neg)
    }
}
impl<T: Scalar> Neg for MatrixView<'_, T> {
    type Output = Matrix<T>;
    fn neg(self) -> Matrix<T> {
        self.map(T::neg)
    }
}

/// The matrix product `*` for every pairing of `Matrix`, `&Matrix` and
/// `MatrixView`, through [`MatrixView::matmul`].
macro_rules! matmul_ops {
    ($(<$($lt:lifetime),*> $L:ty, $R:ty;)*) => {$(
        impl<$($lt,)* T: Scalar> Mul<$R> for $L {
            type Output = Matrix<T>;
            #[track_caller]
            fn mul(self, rhs: $R) -> Matrix<T> {
                self.as_view().matmul(rhs.as_view())
            }
        }
    )*};
}

matmul_ops! {
    <'a, 'b> &'a Matrix<T>, &'b Matrix<T>;
    <'a, 'b> &'a Matrix<T>, MatrixView<'b, T>;
    <'a> &'a Matrix<T>, Matrix<T>;
    <'a, 'b> MatrixView<'a, T>, &'b Matrix<T>;
    <'a, 'b> MatrixView<'a, T>, MatrixView<'b, T>;
    <'a> MatrixView<'a, T>, Matrix<T>;
    <'b> Matrix<T>, &'b Matrix<T>;
    <'b> Matrix<T>, MatrixView<'b, T>;
    <> Matrix<T>, Matrix<T>;
}

/// Any operand of `*` as a view, so the one macro body serves all nine pairs.
trait AsView<T> {
    fn as_view(&self) -> MatrixView<'_, T>;
}
impl<T: Scalar> AsView<T> for Matrix<T> {
    fn as_view(&self) -> MatrixView<'_, T> {
        self.view()
    }
}
impl<T: Scalar> AsView<T> for &Matrix<T> {
    fn as_view(&self) -> MatrixView<'_, T> {
        self.view()
    }
}
impl<T: Scalar> AsView<T> for MatrixView<'_, T> {
    fn as_view(&self) -> MatrixView<'_, T> {
        *self
    }
}

impl<T: Scalar> Matrix<T> {
    /// `self + other` elementwise, or `add: A is RxC but B is RxC`.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let a = Matrix::from([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    /// assert_eq!(a.try_add(&a).unwrap(), &a * 2.0);
    /// let e = a.try_add(a.t()).unwrap_err();
    /// assert_eq!(e.to_string(), "add: A is 2x3 but B is 3x2");
    /// ```
    pub fn try_add<'b>(
        &self,
        other: impl Into<MatrixView<'b, T>>,
    ) -> Result<Matrix<T>, MatrixError> {
        self.view().try_add(other)
    }

    /// `self - other` elementwise, or `sub: A is RxC but B is RxC`.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let a = Matrix::from([[1.0f32, 2.0]]);
    /// assert_eq!(a.try_sub(&a).unwrap(), Matrix::zeros(1, 2));
    /// assert!(a.try_sub(a.t()).is_err());
    /// ```
    pub fn try_sub<'b>(
        &self,
        other: impl Into<MatrixView<'b, T>>,
    ) -> Result<Matrix<T>, MatrixError> {
        self.view().try_sub(other)
    }

    /// `self += other`, or `add_assign: A is RxC but B is RxC` (and `self`
    /// unchanged).
    ///
    /// ```
    /// use matrix::Matrix;
    /// let mut a = Matrix::from([[1.0f64, 2.0]]);
    /// a.try_add_assign(&Matrix::from([[1.0, 1.0]])).unwrap();
    /// assert_eq!(a, Matrix::from([[2.0, 3.0]]));
    /// assert!(a.try_add_assign(&Matrix::zeros(2, 1)).is_err());
    /// ```
    pub fn try_add_assign<'b>(
        &mut self,
        other: impl Into<MatrixView<'b, T>>,
    ) -> Result<(), MatrixError> {
        self.view_mut().try_add_assign(other)
    }

    /// `self -= other`, or `sub_assign: A is RxC but B is RxC` (and `self`
    /// unchanged).
    ///
    /// ```
    /// use matrix::Matrix;
    /// let mut a = Matrix::from([[1.0f64, 2.0]]);
    /// a.try_sub_assign(&Matrix::from([[1.0, 1.0]])).unwrap();
    /// assert_eq!(a, Matrix::from([[0.0, 1.0]]));
    /// ```
    pub fn try_sub_assign<'b>(
        &mut self,
        other: impl Into<MatrixView<'b, T>>,
    ) -> Result<(), MatrixError> {
        self.view_mut().try_sub_assign(other)
    }
}

impl<T: Scalar> MatrixView<'_, T> {
    /// `self + other` elementwise as a new matrix, or a shape error.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let a = Matrix::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// let sym = a.view().try_add(a.t()).unwrap();
    /// assert_eq!(sym, Matrix::from([[2.0, 5.0], [5.0, 8.0]]));
    /// ```
    pub fn try_add<'b>(
        &self,
        other: impl Into<MatrixView<'b, T>>,
    ) -> Result<Matrix<T>, MatrixError> {
        zip_with("add", *self, other.into(), T::add)
    }

    /// `self - other` elementwise as a new matrix, or a shape error.
    ///
    /// ```
    /// use matrix::Matrix;
    /// let a = Matrix::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// let skew = a.view().try_sub(a.t()).unwrap();
    /// assert_eq!(skew, Matrix::from([[0.0, -1.0], [1.0, 0.0]]));
    /// ```
    pub fn try_sub<'b>(
        &self,
        other: impl Into<MatrixView<'b, T>>,
    ) -> Result<Matrix<T>, MatrixError> {
        zip_with("sub", *self, other.into(), T::sub)
    }
}

impl<T: Scalar> MatrixViewMut<'_, T> {
    /// `self += other`, or a shape error (and `self` unchanged).
    ///
    /// ```
    /// use matrix::Matrix;
    /// let mut a = Matrix::<f32>::zeros(3, 3);
    /// let ones = Matrix::filled(2, 2, 1.0);
    /// a.view_mut().submatrix_mut(1, 1, 2, 2).try_add_assign(&ones).unwrap();
    /// assert_eq!(a.sum(), 4.0);
    /// ```
    pub fn try_add_assign<'b>(
        &mut self,
        other: impl Into<MatrixView<'b, T>>,
    ) -> Result<(), MatrixError> {
        assign("add_assign", self.rb_mut(), other.into(), T::add)
    }

    /// `self -= other`, or a shape error (and `self` unchanged).
    ///
    /// ```
    /// use matrix::Matrix;
    /// let mut a = Matrix::<f32>::zeros(2, 2);
    /// let e = a.view_mut().try_sub_assign(&Matrix::zeros(1, 2)).unwrap_err();
    /// assert_eq!(e.to_string(), "sub_assign: A is 2x2 but B is 1x2");
    /// ```
    pub fn try_sub_assign<'b>(
        &mut self,
        other: impl Into<MatrixView<'b, T>>,
    ) -> Result<(), MatrixError> {
        assign("sub_assign", self.rb_mut(), other.into(), T::sub)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(rows: usize, cols: usize, seed: usize) -> Matrix<f64> {
        Matrix::from_fn(rows, cols, |i, j| {
            ((i * 7 + j * 3 + seed) % 11) as f64 - 5.0
        })
    }

    #[test]
    fn every_operand_pairing_agrees_with_zip_map() {
        let (a, b) = (m(3, 4, 1), m(4, 3, 2));
        let bt = b.t();
        let want_add = a.zip_map(bt, |x, y| x + y);
        let want_sub = a.zip_map(bt, |x, y| x - y);
        let bt_owned = bt.to_matrix();
        assert_eq!(&a + bt, want_add);
        assert_eq!(&a + &bt_owned, want_add);
        assert_eq!(a.view() + bt, want_add);
        assert_eq!(bt + &a, want_add);
        assert_eq!(a.clone() + bt, want_add);
        assert_eq!(a.clone() + bt_owned.clone(), want_add);
        assert_eq!(&a - bt_owned.clone(), want_sub);
        assert_eq!(a.view() - bt_owned.clone(), want_sub);
        assert_eq!(a.clone() - &bt_owned, want_sub);
        assert_eq!(bt - &a, -&want_sub);
        let mut c = a.clone();
        c += bt;
        c -= &bt_owned;
        c += bt_owned.clone();
        assert_eq!(c, want_add);
        assert_eq!(2.0 * &a, a.view() * 2.0);
        assert_eq!((&a * 4.0) / 2.0, a.clone() + &a);
        assert_eq!(-a.view(), a.clone() * -1.0);
    }

    #[test]
    fn products_of_every_pairing_match_matmul() {
        let (a, b) = (m(3, 5, 1), m(5, 2, 2));
        let want = a.matmul(&b);
        assert_eq!(&a * &b, want);
        assert_eq!(&a * b.view(), want);
        assert_eq!(a.view() * &b, want);
        assert_eq!(a.view() * b.t().t(), want);
        assert_eq!(&a * b.clone(), want);
        assert_eq!(a.clone() * &b, want);
        assert_eq!(a.clone() * b.view(), want);
        assert_eq!(a.view() * b.clone(), want);
        assert_eq!(a.clone() * b.clone(), want);
    }

    #[test]
    fn mutable_views_take_compound_assignment() {
        let mut a = Matrix::<f32>::zeros(3, 4);
        let mut block = a.view_mut().submatrix_mut(1, 0, 2, 4).t_mut();
        block += &Matrix::filled(4, 2, 2.0);
        block *= 3.0;
        block -= Matrix::filled(4, 2, 1.0).view();
        block /= 5.0;
        assert_eq!(a.row(0), &[0.0; 4]);
        assert_eq!(a.row(2), &[1.0; 4]);
    }

    #[test]
    #[should_panic(expected = "add: A is 2x3 but B is 3x2")]
    fn add_of_different_shapes_panics_naming_both() {
        let a = Matrix::<f32>::zeros(2, 3);
        let _ = &a + a.t();
    }

    #[test]
    #[should_panic(expected = "sub_assign: A is 2x3 but B is 3x2")]
    fn sub_assign_of_different_shapes_panics_naming_both() {
        let mut a = Matrix::<f32>::zeros(2, 3);
        a -= Matrix::zeros(3, 2);
    }

    #[test]
    #[should_panic(expected = "matmul: A is 2x3 but B is 2x3")]
    fn product_of_unfit_shapes_panics_naming_both() {
        let a = Matrix::<f32>::zeros(2, 3);
        let _ = &a * &a;
    }
}
