//! `Matrix::max_abs_diff` is what the tests compare fast results with the
//! reference by (`assert!(d <= tol)`); a NaN in a result must never pass
//! that check (issue 36: `f32::max` ignores NaN, so an all-NaN result once
//! "differed" by 0).

use matrix::Matrix;

#[test]
fn a_nan_against_a_number_is_never_within_tolerance() {
    let want = Matrix::from_fn(3, 4, |i, j| (i * 4 + j) as f32 * 0.5);
    let all_nan = Matrix::filled(3, 4, f32::NAN);
    let d = all_nan.max_abs_diff(&want);
    assert!(d > 1e30, "an all-NaN result differs by {d}");
    let d = want.max_abs_diff(&all_nan);
    assert!(d > 1e30, "from an all-NaN reference by {d}");
    // One NaN anywhere, among otherwise equal elements.
    for k in 0..12 {
        let mut got = want.clone();
        got.as_mut_slice()[k] = f32::NAN;
        assert_eq!(got.max_abs_diff(&want), f32::INFINITY, "NaN at {k}");
        assert_eq!(
            want.max_abs_diff(&got),
            f32::INFINITY,
            "NaN at {k}, reversed"
        );
    }
    // NaN against an infinity, f64 too.
    let inf = Matrix::from([[f64::INFINITY, 1.0]]);
    let nan = Matrix::from([[f64::NAN, 1.0]]);
    assert_eq!(nan.max_abs_diff(&inf), f64::INFINITY);
    assert_eq!(inf.max_abs_diff(&nan), f64::INFINITY);
}

#[test]
fn agreeing_nans_and_infinities_and_plain_numbers_keep_their_difference() {
    let a = Matrix::from([[1.0f32, f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -2.0]]);
    assert_eq!(a.max_abs_diff(&a), 0.0);
    let b = Matrix::from([[1.25f32, f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -2.0]]);
    assert_eq!(a.max_abs_diff(&b), 0.25);
    let c = Matrix::from([[1.0f32, f32::NAN, f32::NEG_INFINITY, f32::NEG_INFINITY, -2.0]]);
    assert_eq!(a.max_abs_diff(&c), f32::INFINITY);
    assert_eq!(
        Matrix::<f64>::zeros(0, 3).max_abs_diff(&Matrix::zeros(0, 3)),
        0.0
    );
}
