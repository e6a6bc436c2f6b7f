//! Many small products at once: `C[i] <- alpha * A[i] * B[i] + beta * C[i]`.
//!
//! A 64x64 product is too small to split between threads (a fork/join
//! costs about what it computes), so a loop of single products runs on one
//! core. Here the batch is split instead: each product runs whole, on one
//! thread, and the threads share out the products. Every product is computed
//! exactly as [`gemm`](super::gemm) computes it on one thread, so the results
//! are bitwise the same for any thread count, and the same as a loop of
//! single products.

use std::sync::Mutex;

use super::{check_product, gemm_on, selected_kernel, Epilogue, PlanChoices};
use crate::arch::Shared;
use crate::error::MatrixError;
use crate::{MatrixView, MatrixViewMut, Scalar};

/// `C[i] <- alpha * op(A[i]) * op(B[i]) + beta * C[i]` for every `i`, the
/// products shared out between the current rayon pool's threads.
///
/// # Panics
/// As [`try_gemm_batched`] returns errors.
///
/// ```
/// use matrix::{gemm_batched, Matrix, MatrixView, MatrixViewMut};
/// let a: Vec<Matrix<f32>> = (0..8).map(|i| Matrix::from_fn(4, 3, |r, c| (i + r + c) as f32)).collect();
/// let b = Matrix::from_fn(3, 2, |r, c| (r * 2 + c) as f32);
/// let mut c: Vec<Matrix<f32>> = (0..8).map(|_| Matrix::zeros(4, 2)).collect();
/// let a_views: Vec<MatrixView<f32>> = a.iter().map(|m| m.view()).collect();
/// let b_views = vec![b.view(); 8]; // one B for every product
/// let mut c_views: Vec<MatrixViewMut<f32>> = c.iter_mut().map(|m| m.view_mut()).collect();
/// gemm_batched(1.0, &a_views, &b_views, 0.0, &mut c_views);
/// assert_eq!(c[5], a[5].matmul(&b));
/// ```
pub fn gemm_batched<T: Scalar>(
    alpha: T,
    a: &[MatrixView<'_, T>],
    b: &[MatrixView<'_, T>],
    beta: T,
    c: &mut [MatrixViewMut<'_, T>],
) {
    batched_on(crate::arch::kernel_in_use(), alpha, a, b, beta, c).unwrap_or_else(|e| panic!("{e}"))
}

/// [`gemm_batched`] returning errors instead of panicking: a batch whose
/// three lists differ in length, or a product whose shapes do not fit (the
/// message names its index), or a `MATNET_KERNEL` this CPU lacks. Nothing
/// is computed unless every product's shapes fit.
///
/// ```
/// use matrix::{try_gemm_batched, Matrix, MatrixError};
/// let a = Matrix::<f64>::zeros(2, 3);
/// let b = Matrix::<f64>::zeros(2, 2);
/// let mut c = Matrix::<f64>::zeros(2, 2);
/// let err = try_gemm_batched(1.0, &[a.view()], &[b.view()], 0.0, &mut [c.view_mut()]).unwrap_err();
/// assert_eq!(err.to_string(), "gemm_batched: product 0: op(A) is 2x3 but op(B) is 2x2");
/// ```
pub fn try_gemm_batched<T: Scalar>(
    alpha: T,
    a: &[MatrixView<'_, T>],
    b: &[MatrixView<'_, T>],
    beta: T,
    c: &mut [MatrixViewMut<'_, T>],
) -> Result<(), MatrixError> {
    let kernel = selected_kernel().map_err(MatrixError::Kernel)?;
    batched_on(kernel, alpha, a, b, beta, c)
}

/// [`try_gemm_batched`] with `kernel`.
fn batched_on<T: Scalar>(
    kernel: crate::KernelKind,
    alpha: T,
    a: &[MatrixView<'_, T>],
    b: &[MatrixView<'_, T>],
    beta: T,
    c: &mut [MatrixViewMut<'_, T>],
) -> Result<(), MatrixError> {
    if a.len() != b.len() || a.len() != c.len() {
        return Err(MatrixError::shape(
            "gemm_batched",
            format!(
                "{} A, {} B and {} C matrices: a batch needs one of each per product",
                a.len(),
                b.len(),
                c.len()
            ),
        ));
    }
    // gemm's own checks, each message naming the product it is about.
    for (i, ((a, b), c)) in a.iter().zip(b).zip(c.iter()).enumerate() {
        let names = ("op(A)", "op(B)");
        let none = Epilogue::<T>::none();
        check_product(
            "gemm_batched",
            names,
            a.shape(),
            b.shape(),
            c.shape(),
            &none,
            kernel,
        )
        .map_err(|e| match e {
            MatrixError::ShapeMismatch { op, detail } => MatrixError::ShapeMismatch {
                op,
                detail: format!("product {i}: {detail}"),
            },
            other => other,
        })?;
    }
    let first_error = Mutex::new(None);
    let c_all = Shared(c.as_mut_ptr());
    crate::arch::threads::for_each_part(c.len(), |i| {
        // SAFETY: `i < c.len()`, and each part writes only its own C (the
        // views of one batch are distinct mutable borrows).
        let c = unsafe { &mut *c_all.get().add(i) };
        let choices = PlanChoices::default();
        let (a, b) = (a[i], b[i]);
        if let Err(e) = gemm_on(
            kernel,
            1,
            choices,
            alpha,
            a,
            b,
            beta,
            c.rb_mut(),
            Epilogue::none(),
        ) {
            let mut first = first_error.lock().unwrap_or_else(|p| p.into_inner());
            first.get_or_insert(e);
        }
    });
    match first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
