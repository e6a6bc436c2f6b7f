//! Elementwise operations and reductions a network needs, over views.
//!
//! Each works on any strides and takes a fast path over contiguous rows.
//! Plain reference versions live in this module's tests.

use crate::error::{dims, MatrixError};
use crate::{MatrixView, MatrixViewMut, Scalar};

fn len_error(
    op: &'static str,
    what: &str,
    got: usize,
    m: (usize, usize),
    need: usize,
) -> MatrixError {
    MatrixError::shape(
        op,
        format!(
            "{what} has {got} elements but the matrix is {} (needs {need})",
            dims(m.0, m.1)
        ),
    )
}

/// Adds the row vector `v` to every row of `m`: `m[i][j] += v[j]`.
///
/// ```
/// use matrix::{ops, Matrix};
/// let mut m = Matrix::<f32>::zeros(2, 2);
/// ops::add_row_vector(m.view_mut(), &[1.0, 2.0]).unwrap();
/// assert_eq!(m.as_slice(), &[1.0, 2.0, 1.0, 2.0]);
/// ```
pub fn add_row_vector<T: Scalar>(mut m: MatrixViewMut<'_, T>, v: &[T]) -> Result<(), MatrixError> {
    if v.len() != m.cols() {
        return Err(len_error(
            "add_row_vector",
            "the row vector",
            v.len(),
            m.shape(),
            m.cols(),
        ));
    }
    for i in 0..m.rows() {
        match m.row_mut(i) {
            Some(row) => row.iter_mut().zip(v).for_each(|(x, &b)| *x += b),
            None => (0..v.len()).for_each(|j| m[(i, j)] += v[j]),
        }
    }
    Ok(())
}

/// Writes the sum of each column of `m` into `out` (`out.len() == cols`).
///
/// ```
/// use matrix::{ops, Matrix};
/// let m = Matrix::from_vec(2, 2, vec![1.0f64, 2.0, 3.0, 4.0]);
/// let mut sums = [0.0; 2];
/// ops::col_sums_into(m.view(), &mut sums).unwrap();
/// assert_eq!(sums, [4.0, 6.0]);
/// ```
pub fn col_sums_into<T: Scalar>(m: MatrixView<'_, T>, out: &mut [T]) -> Result<(), MatrixError> {
    if out.len() != m.cols() {
        return Err(len_error(
            "col_sums",
            "the output",
            out.len(),
            m.shape(),
            m.cols(),
        ));
    }
    out.iter_mut().for_each(|x| *x = T::ZERO);
    for i in 0..m.rows() {
        match m.row(i) {
            Some(row) => out.iter_mut().zip(row).for_each(|(s, &x)| *s += x),
            None => (0..out.len()).for_each(|j| out[j] += m[(i, j)]),
        }
    }
    Ok(())
}

/// The sum of each column of `m`.
pub fn col_sums<T: Scalar>(m: MatrixView<'_, T>) -> Vec<T> {
    let mut out = vec![T::ZERO; m.cols()];
    col_sums_into(m, &mut out).expect("sized to fit");
    out
}

/// `m[i][j] = f(m[i][j], other[i][j])` for two views of the same shape.
///
/// ```
/// use matrix::{ops, Matrix};
/// let mut a = Matrix::from_vec(1, 3, vec![1.0f32, -2.0, 3.0]);
/// let mask = Matrix::from_vec(1, 3, vec![1.0f32, 0.0, 1.0]);
/// ops::zip_map_inplace(a.view_mut(), mask.view(), |x, m| x * m).unwrap();
/// assert_eq!(a.as_slice(), &[1.0, 0.0, 3.0]);
/// ```
pub fn zip_map_inplace<T: Scalar>(
    mut m: MatrixViewMut<'_, T>,
    other: MatrixView<'_, T>,
    mut f: impl FnMut(T, T) -> T,
) -> Result<(), MatrixError> {
    if m.shape() != other.shape() {
        return Err(MatrixError::shape(
            "zip_map",
            format!(
                "left is {} but right is {}",
                dims(m.rows(), m.cols()),
                dims(other.rows(), other.cols())
            ),
        ));
    }
    for i in 0..m.rows() {
        match (m.row_mut(i), other.row(i)) {
            (Some(a), Some(b)) => a.iter_mut().zip(b).for_each(|(x, &y)| *x = f(*x, y)),
            _ => {
                for j in 0..other.cols() {
                    let x = &mut m[(i, j)];
                    *x = f(*x, other[(i, j)]);
                }
            }
        }
    }
    Ok(())
}

/// Multiplies every element of `m` by `s`.
pub fn scale<T: Scalar>(mut m: MatrixViewMut<'_, T>, s: T) {
    m.map_inplace(|x| x * s);
}

/// `y += alpha * x` over slices of equal length.
///
/// ```
/// let mut y = [1.0f32, 1.0];
/// matrix::ops::axpy(2.0, &[1.0, 2.0], &mut y).unwrap();
/// assert_eq!(y, [3.0, 5.0]);
/// ```
pub fn axpy<T: Scalar>(alpha: T, x: &[T], y: &mut [T]) -> Result<(), MatrixError> {
    if x.len() != y.len() {
        return Err(MatrixError::shape(
            "axpy",
            format!("x has {} elements but y has {}", x.len(), y.len()),
        ));
    }
    y.iter_mut().zip(x).for_each(|(y, &x)| *y += alpha * x);
    Ok(())
}

/// Replaces each row `x` of `m` with `softmax(x) = exp(x - max x) / sum exp(x - max x)`.
///
/// Subtracting the row maximum keeps `exp` from overflowing, so logits of
/// ±1e4 give finite probabilities. A row containing NaN becomes all NaN.
///
/// ```
/// use matrix::{ops, Matrix};
/// let mut m = Matrix::from_vec(1, 3, vec![1000.0f32, 1000.0, -1000.0]);
/// ops::softmax_rows(m.view_mut());
/// assert_eq!(m.as_slice(), &[0.5, 0.5, 0.0]);
/// ```
pub fn softmax_rows<T: Scalar>(mut m: MatrixViewMut<'_, T>) {
    let cols = m.cols();
    if cols == 0 {
        return;
    }
    for i in 0..m.rows() {
        if let Some(row) = m.row_mut(i) {
            softmax_slice(row);
        } else {
            let mut row: Vec<T> = (0..cols).map(|j| m[(i, j)]).collect();
            softmax_slice(&mut row);
            (0..cols).for_each(|j| m.set(i, j, row[j]));
        }
    }
}

/// In-place numerically stable softmax of one slice.
pub fn softmax_slice<T: Scalar>(row: &mut [T]) {
    let max = row
        .iter()
        .copied()
        .fold(T::from_f64(f64::NEG_INFINITY), |a, b| {
            if a.is_nan() || b.is_nan() {
                T::from_f64(f64::NAN)
            } else {
                a.max(b)
            }
        });
    row.iter_mut().for_each(|x| *x -= max);
    T::exp_slice(row);
    let sum: T = row.iter().copied().sum();
    let inv = T::ONE / sum;
    row.iter_mut().for_each(|x| *x *= inv);
}

/// Index of the largest element of each row (the first one on ties; NaN is
/// never chosen over a number).
///
/// ```
/// use matrix::{ops, Matrix};
/// let m = Matrix::from_vec(2, 3, vec![0.1f32, 0.7, 0.2, 0.5, 0.1, 0.4]);
/// assert_eq!(ops::argmax_rows(m.view()), vec![1, 0]);
/// ```
pub fn argmax_rows<T: Scalar>(m: MatrixView<'_, T>) -> Vec<usize> {
    (0..m.rows())
        .map(|i| {
            let mut best = 0;
            let mut best_v = T::from_f64(f64::NEG_INFINITY);
            for j in 0..m.cols() {
                let v = m[(i, j)];
                if v > best_v {
                    best = j;
                    best_v = v;
                }
            }
            best
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Matrix;

    fn sample(r: usize, c: usize) -> Matrix<f64> {
        Matrix::from_fn(r, c, |i, j| ((i * 7 + j * 3) % 11) as f64 - 5.0)
    }

    #[test]
    fn strided_and_contiguous_paths_agree_with_the_reference() {
        let m = sample(5, 4);
        let t = m.transposed(); // 4x5; t.t() is a strided 5x4 view of m's values
        let sums_fast = col_sums(m.view());
        let sums_strided = col_sums(t.t());
        let sums_ref: Vec<f64> = (0..4).map(|j| (0..5).map(|i| m[(i, j)]).sum()).collect();
        assert_eq!(sums_fast, sums_ref);
        assert_eq!(sums_strided, sums_ref);

        let v = [1.0, 2.0, 3.0, 4.0];
        let mut a = m.clone();
        add_row_vector(a.view_mut(), &v).unwrap();
        let mut b = t.clone();
        add_row_vector(b.view_mut().t_mut(), &v).unwrap();
        assert_eq!(a, b.transposed());
        assert_eq!(a, Matrix::from_fn(5, 4, |i, j| m[(i, j)] + v[j]));
        assert!(add_row_vector(a.view_mut(), &v[..3]).is_err());
    }

    #[test]
    fn softmax_matches_the_textbook_formula_and_stays_finite() {
        let mut m = sample(3, 6);
        let want = Matrix::from_fn(3, 6, |i, j| {
            let z: f64 = (0..6).map(|k| m[(i, k)].exp()).sum();
            m[(i, j)].exp() / z
        });
        softmax_rows(m.view_mut());
        assert!(m.max_abs_diff(&want) < 1e-12);

        let mut big = Matrix::from_vec(1, 3, vec![1e4f32, -1e4, 0.0]);
        softmax_rows(big.view_mut());
        assert!(big.as_slice().iter().all(|x| x.is_finite()));
        assert_eq!(big.as_slice(), &[1.0, 0.0, 0.0]);

        let mut strided = sample(4, 3).transposed();
        let mut want = strided.transposed();
        softmax_rows(want.view_mut());
        softmax_rows(strided.view_mut().t_mut());
        assert_eq!(strided.transposed(), want);
    }

    #[test]
    fn argmax_takes_the_first_maximum() {
        let m = Matrix::from_vec(
            3,
            3,
            vec![1.0f32, 3.0, 3.0, f32::NAN, 0.0, -1.0, -5.0, -4.0, -6.0],
        );
        assert_eq!(argmax_rows(m.view()), vec![1, 1, 1]);
    }

    #[test]
    fn zip_and_axpy_check_lengths() {
        let mut a = Matrix::<f32>::zeros(2, 2);
        let b = Matrix::<f32>::zeros(2, 3);
        let err = zip_map_inplace(a.view_mut(), b.view(), |x, _| x).unwrap_err();
        assert_eq!(err.to_string(), "zip_map: left is 2x2 but right is 2x3");
        assert!(axpy(1.0, &[1.0f32], &mut [0.0, 0.0]).is_err());
        let mut y = [1.0f64, 2.0];
        axpy(-1.0, &[1.0, 2.0], &mut y).unwrap();
        assert_eq!(y, [0.0, 0.0]);
        scale(a.view_mut(), 3.0);
    }
}
