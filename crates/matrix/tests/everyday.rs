//! The everyday operations (issue 34, item 2) against plain loops, on
//! strided views, with their error cases.

use matrix::{Matrix, MatrixError};

fn sample() -> Matrix<f64> {
    Matrix::from_fn(5, 7, |i, j| ((i * 7 + j * 3) % 11) as f64 - 5.0)
}

#[test]
fn matvec_matches_loops_on_strided_views() {
    let a = sample();
    let x: Vec<f64> = (0..7).map(|k| k as f64 * 0.5 - 1.0).collect();
    let want: Vec<f64> = (0..5)
        .map(|i| (0..7).map(|j| a[(i, j)] * x[j]).sum())
        .collect();
    assert_eq!(a.matvec(&x).unwrap(), want);
    let xt: Vec<f64> = (0..5).map(|k| k as f64).collect();
    let want_t: Vec<f64> = (0..7)
        .map(|j| (0..5).map(|i| a[(i, j)] * xt[i]).sum())
        .collect();
    let mut y = vec![f64::NAN; 7];
    a.t().matvec_into(&xt, &mut y).unwrap();
    assert_eq!(y, want_t);
    assert!(matches!(
        a.matvec(&[1.0]),
        Err(MatrixError::ShapeMismatch { .. })
    ));
    assert!(matches!(
        a.matvec_into(&x, &mut [0.0; 4]),
        Err(MatrixError::ShapeMismatch { .. })
    ));
}

#[test]
fn stacking_and_slicing_round_trip() {
    let a = sample();
    let top = a.slice(..2, ..);
    let bottom = a.slice(2.., ..);
    assert_eq!(Matrix::vstack(&[top, bottom]).unwrap(), a);
    let left = a.slice(.., ..=2);
    let right = a.view().slice(.., 3..7);
    assert_eq!(Matrix::hstack(&[left, right]).unwrap(), a);
    assert_eq!(
        a.t().slice(1..3, 0..2).to_matrix(),
        a.view().submatrix(0, 1, 2, 2).t().to_matrix()
    );
    assert!(matches!(
        a.view().try_slice(4..9, ..),
        Err(MatrixError::OutOfBounds { .. })
    ));
    #[allow(clippy::reversed_empty_ranges)]
    let backwards = a.view().try_slice(3..2, ..);
    assert!(backwards.is_err());
    let err = Matrix::hstack(&[a.view(), Matrix::ones(2, 2).view()]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "hstack: part 0 has 5 rows but part 1 has 2"
    );
    assert!(Matrix::<f32>::vstack(&[]).unwrap().is_empty());
}

#[test]
fn norms_mean_and_arg_extrema() {
    let a = sample();
    let v: Vec<f64> = a.iter().copied().collect();
    let fro = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    assert!((a.norm_fro() - fro).abs() < 1e-12 * fro);
    assert_eq!(a.norm_max(), v.iter().fold(0.0f64, |m, x| m.max(x.abs())));
    let col = (0..7)
        .map(|j| (0..5).map(|i| a[(i, j)].abs()).sum::<f64>())
        .fold(0.0, f64::max);
    let row = (0..5)
        .map(|i| (0..7).map(|j| a[(i, j)].abs()).sum::<f64>())
        .fold(0.0, f64::max);
    assert_eq!((a.norm_1(), a.norm_inf()), (col, row));
    assert_eq!(a.t().to_matrix().norm_1(), row);
    assert!((a.mean() - v.iter().sum::<f64>() / 35.0).abs() < 1e-12);
    // Huge values do not overflow the Frobenius norm.
    assert_eq!(Matrix::from([[3e300f64, 4e300]]).norm_fro(), 5e300);
    let (i, j) = a.argmax().unwrap();
    assert_eq!(a[(i, j)], a.max().unwrap());
    let first_max = v.iter().position(|&x| x == a[(i, j)]).unwrap();
    assert_eq!((i, j), (first_max / 7, first_max % 7));
    let (i, j) = a.argmin().unwrap();
    assert_eq!(a[(i, j)], v.iter().copied().fold(f64::INFINITY, f64::min));
    let mut nan = a.clone();
    nan[(3, 3)] = f64::NAN;
    assert_eq!((nan.argmax(), nan.argmin()), (None, None));
    assert!(nan.norm_max().is_nan() && nan.norm_inf().is_nan() && nan.norm_fro().is_nan());
    assert_eq!(Matrix::<f32>::zeros(0, 3).argmax(), None);
}

#[test]
fn ones_and_hadamard() {
    let a = sample();
    assert_eq!(a.hadamard(&Matrix::ones(5, 7)).unwrap(), a);
    let sq = a.hadamard(&a).unwrap();
    assert_eq!(sq, a.map(|x| x * x));
    assert!(matches!(
        a.hadamard(a.t()),
        Err(MatrixError::ShapeMismatch { .. })
    ));
}
