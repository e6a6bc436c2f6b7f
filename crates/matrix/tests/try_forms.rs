//! `reshape`, `copy_into` and `from_col_major` have `try_` forms that
//! return a typed error naming the shapes, and their panicking forms panic
//! with exactly that message (issue 36).

use std::panic::{catch_unwind, AssertUnwindSafe};

use matrix::{copy_into, try_copy_into, Matrix, MatrixError};

/// The message a panicking call panics with.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn try_reshape_refuses_other_element_counts_naming_both_shapes() {
    let m = Matrix::from_fn(2, 3, |i, j| (3 * i + j) as f32);
    let r = m.clone().try_reshape(3, 2).unwrap();
    assert_eq!(r.as_slice(), m.as_slice());
    assert_eq!(r.shape(), (3, 2));
    assert_eq!(m.clone().try_reshape(6, 1).unwrap().shape(), (6, 1));
    assert_eq!(
        Matrix::<f32>::zeros(0, 4)
            .try_reshape(7, 0)
            .unwrap()
            .shape(),
        (7, 0)
    );
    for (rows, cols) in [
        (3, 3),
        (1, 5),
        (0, 6),
        (6, 0),
        (usize::MAX, 2),
        (2, usize::MAX / 2 + 1),
    ] {
        let err = m.clone().try_reshape(rows, cols).unwrap_err();
        assert!(
            matches!(err, MatrixError::ShapeMismatch { op: "reshape", .. }),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(text.contains("2x3"), "{text}");
        assert!(text.contains(&format!("{rows}x{cols}")), "{text}");
        let m = m.clone();
        assert_eq!(panic_message(move || drop(m.reshape(rows, cols))), text);
    }
}

#[test]
fn try_copy_into_refuses_other_shapes_naming_both_and_writes_nothing() {
    let src = Matrix::from_fn(2, 3, |i, j| (3 * i + j + 1) as f64);
    let mut dst = Matrix::<f64>::filled(3, 2, -1.0);
    let err = try_copy_into(src.view(), dst.view_mut()).unwrap_err();
    assert!(
        matches!(err, MatrixError::ShapeMismatch { op: "copy", .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "copy: source is 2x3 but destination is 3x2"
    );
    assert!(dst.iter().all(|&x| x == -1.0), "nothing is written");
    let text = panic_message(|| copy_into(src.view(), dst.view_mut()));
    assert_eq!(text, err.to_string());
    let text = panic_message(|| dst.view_mut().copy_from(src.view()));
    assert_eq!(text, err.to_string());
    // Empty shapes must match too.
    let empty = Matrix::<f64>::zeros(0, 3);
    let err = try_copy_into(empty.view(), dst.view_mut().submatrix_mut(0, 0, 0, 2)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "copy: source is 0x3 but destination is 0x2"
    );

    try_copy_into(src.t(), dst.view_mut()).unwrap();
    assert_eq!(dst, src.transposed());
}

#[test]
fn try_from_col_major_refuses_wrong_lengths_naming_the_shape() {
    let m = Matrix::try_from_col_major(2, 3, &[1.0f32, 4.0, 2.0, 5.0, 3.0, 6.0]).unwrap();
    assert_eq!(m, Matrix::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]));
    assert_eq!(
        Matrix::<f32>::try_from_col_major(0, 3, &[])
            .unwrap()
            .shape(),
        (0, 3)
    );
    for (rows, cols, len) in [(2, 3, 5), (2, 3, 7), (0, 3, 1), (usize::MAX, 2, 4)] {
        let data = vec![0.0f32; len];
        let err = Matrix::try_from_col_major(rows, cols, &data).unwrap_err();
        assert_eq!(
            err,
            MatrixError::LengthMismatch { rows, cols, len },
            "{rows}x{cols} from {len}"
        );
        assert!(err.to_string().contains(&format!("{rows}x{cols}")), "{err}");
        let text = panic_message(|| drop(Matrix::from_col_major(rows, cols, &data)));
        assert_eq!(text, err.to_string());
    }
}
