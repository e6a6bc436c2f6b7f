//! Shared by the integration tests (each uses its own part of it).
#![allow(dead_code)]

use matrix::{Epilogue, KernelKind, Matrix, Scalar};
use rand::{rngs::StdRng, Rng};

/// The kernels to test: only `MATNET_KERNEL`'s if it is set (how
/// `.ci/valgrind.sh` keeps AVX-512 away from valgrind), else every kernel
/// this CPU supports.
pub fn kernels() -> Vec<KernelKind> {
    match std::env::var("MATNET_KERNEL")
        .ok()
        .as_deref()
        .and_then(KernelKind::from_name)
    {
        Some(k) => {
            assert!(k.is_supported(), "MATNET_KERNEL={k}: not supported here");
            vec![k]
        }
        None => KernelKind::supported(),
    }
}

/// A matrix of values uniform in [-1, 1].
pub fn random<T: Scalar>(rows: usize, cols: usize, rng: &mut StdRng) -> Matrix<T> {
    Matrix::from_fn(rows, cols, |_, _| T::from_f64(rng.random_range(-1.0..1.0)))
}

/// Tolerance for a k-long dot product of values in [-1, 1] in precision T.
pub fn tol<T: Scalar>(k: usize) -> f64 {
    let eps = if T::NAME == "f32" { 1.2e-7 } else { 2.3e-16 };
    4.0 * eps * (k as f64 + 4.0)
}

/// Applies `epi` to a reference result the plain way: add the bias row,
/// then ReLU.
pub fn apply_epilogue<T: Scalar>(c: &mut Matrix<T>, epi: Epilogue<'_, T>) {
    if let Some(bias) = epi.bias {
        matrix::ops::add_row_vector(c.view_mut(), bias).unwrap();
    }
    if epi.relu {
        c.view_mut()
            .map_inplace(|x| if x > T::ZERO { x } else { T::ZERO });
    }
}

/// Every element of `got` within `tol` of `want`; `what` names the case.
pub fn assert_within<T: Scalar>(got: &Matrix<T>, want: &Matrix<T>, tol: f64, what: &str) {
    for i in 0..want.rows() {
        for j in 0..want.cols() {
            let (g, w) = (got[(i, j)].to_f64(), want[(i, j)].to_f64());
            assert!(
                (g - w).abs() <= tol,
                "{what}: C[{i},{j}] = {g}, reference {w}"
            );
        }
    }
}

/// `got` and `want` hold the same bits, element for element; `what` names
/// the case.
pub fn assert_bitwise_equal<T: Scalar>(got: &Matrix<T>, want: &Matrix<T>, what: &str) {
    assert_eq!(got.shape(), want.shape(), "{what}: shapes");
    assert!(
        got.as_slice()
            .iter()
            .zip(want.as_slice())
            .all(|(g, w)| g.to_f64().to_bits() == w.to_f64().to_bits()),
        "{what}"
    );
}
