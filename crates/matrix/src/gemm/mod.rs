//! General matrix multiply: `C <- act(alpha * op(A) * op(B) + beta * C + bias)`.
//!
//! `op(A)` and `op(B)` are whatever views you pass: a transposed operand is
//! just `x.t()` (no copy), a sub-block is `x.view().submatrix(..)`. Any row
//! and column strides work; row-major contiguous ones are fastest.
//!
//! BLAS semantics: `beta == 0` means C is not read (NaN or garbage in C does
//! not leak into the result); `k == 0` or `alpha == 0` means C is only scaled
//! by beta.
//!
//! Structure (Goto/BLIS, as bluss/matrixmultiply): `driver.rs` runs five loops
//! around a register-blocked `MR x NR` micro-kernel (`kernel.rs`, one file per
//! ISA: `avx512.rs`, `avx2.rs`, `portable.rs`), packing A and B (`pack.rs`)
//! into reused aligned buffers (`buffer.rs`) with block sizes derived from the
//! machine's caches (`blocking.rs`). The kernel is picked once at run time
//! (`select.rs`).

// Micro-kernels take the BLIS argument list (k, A panel, B panel and its
// stride, C tile, alpha, beta, epilogue); bundling it would only hide it.
#![allow(clippy::too_many_arguments)]

pub(crate) mod blocking;
pub(crate) mod buffer;
pub(crate) mod driver;
pub(crate) mod kernel;
pub(crate) mod pack;
pub(crate) mod portable;
pub(crate) mod select;
pub(crate) mod skinny;

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;

pub use blocking::CacheSizes;
pub(crate) use driver::Problem;
pub use select::{selected_kernel, KernelError, KernelKind};

use crate::error::{dims, MatrixError};
use crate::{MatrixView, MatrixViewMut, Scalar};
use driver::{Operand, OutOperand};

/// What gemm applies to each C tile while it is still in registers, after
/// `alpha * op(A) * op(B) + beta * C`: add a bias row, then optionally ReLU.
///
/// This is how a dense layer's forward pass (`relu(X W + b)`) becomes one
/// sweep over the output instead of three.
///
/// ```
/// use matrix::{gemm_fused, Epilogue, Matrix};
/// let x = Matrix::from_vec(1, 2, vec![1.0f32, -1.0]);
/// let w = Matrix::from_vec(2, 2, vec![1.0f32, 2.0, 3.0, 4.0]);
/// let bias = [0.5f32, 0.0];
/// let mut out = Matrix::zeros(1, 2);
/// gemm_fused(1.0, &x, &w, 0.0, &mut out, Epilogue::bias(&bias).relu());
/// assert_eq!(out.as_slice(), &[0.0, 0.0]); // relu(1-3+0.5, 2-4+0)
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Epilogue<'a, T> {
    /// Added to every row of the result: `bias[j]` to column `j`.
    pub bias: Option<&'a [T]>,
    /// Replace every result `x` by `max(x, 0)` (NaN becomes 0).
    pub relu: bool,
}

impl<'a, T> Epilogue<'a, T> {
    /// Plain gemm: nothing after `alpha * A B + beta * C`.
    pub fn none() -> Self {
        Epilogue {
            bias: None,
            relu: false,
        }
    }
    /// Add `bias` (one element per column of C) to every row.
    pub fn bias(bias: &'a [T]) -> Self {
        Epilogue {
            bias: Some(bias),
            relu: false,
        }
    }
    /// Also apply ReLU last.
    pub fn relu(self) -> Self {
        Epilogue { relu: true, ..self }
    }
}

/// `C <- alpha * op(A) * op(B) + beta * C`.
///
/// `a` is `m x k`, `b` is `k x n`, `c` is `m x n`; pass `x.t()` for a
/// transposed operand. Uses the kernel [`selected_kernel`] picks and the
/// current rayon pool's threads for large products.
///
/// # Panics
/// If the shapes do not fit (the message names them, e.g.
/// `gemm: op(A) is 128x784 but op(B) is 800x10`), or if `MATNET_KERNEL` names
/// a kernel this CPU lacks. See [`try_gemm`] for a `Result`.
///
/// ```
/// use matrix::{gemm, Matrix};
/// let a = Matrix::from_vec(2, 3, vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]);
/// let b = Matrix::from_vec(2, 3, vec![1.0f32, 0.0, 1.0, 0.0, 1.0, 0.0]);
/// let mut c = Matrix::from_vec(2, 2, vec![f32::NAN; 4]);
/// gemm(1.0, &a, b.t(), 0.0, &mut c); // C = A * B^T; beta = 0 ignores the NaNs
/// assert_eq!(c.as_slice(), &[4.0, 2.0, 10.0, 5.0]);
/// ```
pub fn gemm<'a, 'b, 'c, T: Scalar>(
    alpha: T,
    a: impl Into<MatrixView<'a, T>>,
    b: impl Into<MatrixView<'b, T>>,
    beta: T,
    c: impl Into<MatrixViewMut<'c, T>>,
) {
    try_gemm(alpha, a, b, beta, c).unwrap_or_else(|e| panic!("{e}"))
}

/// [`gemm`] that returns shape and kernel errors instead of panicking.
///
/// ```
/// use matrix::{try_gemm, Matrix, MatrixError};
/// let a = Matrix::<f32>::zeros(128, 784);
/// let b = Matrix::<f32>::zeros(800, 10);
/// let mut c = Matrix::<f32>::zeros(128, 10);
/// let err = try_gemm(1.0, &a, &b, 0.0, &mut c).unwrap_err();
/// assert_eq!(err.to_string(), "gemm: op(A) is 128x784 but op(B) is 800x10");
/// ```
pub fn try_gemm<'a, 'b, 'c, T: Scalar>(
    alpha: T,
    a: impl Into<MatrixView<'a, T>>,
    b: impl Into<MatrixView<'b, T>>,
    beta: T,
    c: impl Into<MatrixViewMut<'c, T>>,
) -> Result<(), MatrixError> {
    try_gemm_fused(alpha, a, b, beta, c, Epilogue::none())
}

/// [`gemm`] followed by an [`Epilogue`] (bias row, ReLU) fused into the
/// write-back of each tile.
///
/// # Panics
/// As [`gemm`], and if the bias length differs from C's column count.
pub fn gemm_fused<'a, 'b, 'c, T: Scalar>(
    alpha: T,
    a: impl Into<MatrixView<'a, T>>,
    b: impl Into<MatrixView<'b, T>>,
    beta: T,
    c: impl Into<MatrixViewMut<'c, T>>,
    epilogue: Epilogue<'_, T>,
) {
    try_gemm_fused(alpha, a, b, beta, c, epilogue).unwrap_or_else(|e| panic!("{e}"))
}

/// [`gemm_fused`] returning errors instead of panicking.
pub fn try_gemm_fused<'a, 'b, 'c, T: Scalar>(
    alpha: T,
    a: impl Into<MatrixView<'a, T>>,
    b: impl Into<MatrixView<'b, T>>,
    beta: T,
    c: impl Into<MatrixViewMut<'c, T>>,
    epilogue: Epilogue<'_, T>,
) -> Result<(), MatrixError> {
    let kernel = selected_kernel().map_err(MatrixError::Kernel)?;
    try_gemm_with_kernel(kernel, alpha, a, b, beta, c, epilogue)
}

/// [`try_gemm_fused`] with an explicit kernel, whatever `MATNET_KERNEL` says:
/// how tests and benchmarks compare every kernel the CPU has in one process.
pub fn try_gemm_with_kernel<'a, 'b, 'c, T: Scalar>(
    kernel: KernelKind,
    alpha: T,
    a: impl Into<MatrixView<'a, T>>,
    b: impl Into<MatrixView<'b, T>>,
    beta: T,
    c: impl Into<MatrixViewMut<'c, T>>,
    epilogue: Epilogue<'_, T>,
) -> Result<(), MatrixError> {
    let (a, b, mut c) = (a.into(), b.into(), c.into());
    let (m, k) = a.shape();
    let n = b.cols();
    check_product(
        "gemm",
        ("op(A)", "op(B)"),
        (m, k),
        b.shape(),
        c.shape(),
        &epilogue,
        kernel,
    )?;
    if m == 0 || n == 0 {
        return Ok(());
    }
    if k == 0 || alpha == T::ZERO {
        scale_only(beta, c.rb_mut(), epilogue);
        return Ok(());
    }
    let a_op = Operand {
        ptr: a.as_ptr(),
        rs: a.row_stride(),
        cs: a.col_stride(),
    };
    let b_op = Operand {
        ptr: b.as_ptr(),
        rs: b.row_stride(),
        cs: b.col_stride(),
    };
    let c_op = OutOperand {
        ptr: c.as_mut_ptr(),
        rs: c.row_stride(),
        cs: c.col_stride(),
    };
    let problem = if transpose_pays(m, n, &a_op, epilogue.bias.is_some()) {
        // Cᵀ = Bᵀ Aᵀ: the few columns become few rows, and Aᵀ (row-major)
        // streams through the kernel in place instead of being packed.
        Problem {
            m: n,
            n: m,
            k,
            alpha,
            beta,
            a: b_op.t(),
            b: a_op.t(),
            c: OutOperand {
                ptr: c_op.ptr,
                rs: c_op.cs,
                cs: c_op.rs,
            },
            bias: std::ptr::null(),
            relu: epilogue.relu,
        }
    } else {
        Problem {
            m,
            n,
            k,
            alpha,
            beta,
            a: a_op,
            b: b_op,
            c: c_op,
            bias: epilogue.bias.map_or(std::ptr::null(), |b| b.as_ptr()),
            relu: epilogue.relu,
        }
    };
    // SAFETY: shapes checked above; the views guarantee every in-shape offset
    // is in bounds; C is an exclusive borrow so it cannot overlap A or B;
    // the kernel is supported (checked above).
    unsafe { T::run_gemm(kernel, &problem, rayon::current_num_threads()) };
    Ok(())
}

/// Columns at most this many, with column-major A, make gemm solve `Cᵀ = Bᵀ Aᵀ`.
const TRANSPOSE_MAX_N: usize = 16;

/// True when C is much taller than wide and A is stored column-major (as
/// `Xᵀ` in a weight gradient `Xᵀ dZ` with 10 outputs): the transposed
/// problem has a row-major, in-place B and fills whole vectors. Only
/// without a bias (which would become a per-row bias).
fn transpose_pays<T>(m: usize, n: usize, a: &Operand<T>, has_bias: bool) -> bool {
    n <= TRANSPOSE_MAX_N && m > n && a.rs == 1 && a.cs != 1 && !has_bias
}

/// The checks every product (`gemm`, `sparse_gemm`) makes before it runs:
/// op(A) (`m x k`) and op(B) (`b`) fit, C is `m x n`, a bias has `n`
/// elements, and this CPU has `kernel`. `names` are what the messages call
/// the two operands.
pub(crate) fn check_product<T: Scalar>(
    op: &'static str,
    (a_name, b_name): (&str, &str),
    (m, k): (usize, usize),
    b: (usize, usize),
    c: (usize, usize),
    epilogue: &Epilogue<'_, T>,
    kernel: KernelKind,
) -> Result<(), MatrixError> {
    let n = b.1;
    if b.0 != k {
        return Err(MatrixError::shape(
            op,
            format!(
                "{a_name} is {} but {b_name} is {}",
                dims(m, k),
                dims(b.0, n)
            ),
        ));
    }
    if c != (m, n) {
        return Err(MatrixError::shape(
            op,
            format!(
                "{a_name} * {b_name} is {} ({a_name} {}, {b_name} {}) but C is {}",
                dims(m, n),
                dims(m, k),
                dims(k, n),
                dims(c.0, c.1)
            ),
        ));
    }
    if let Some(bias) = epilogue.bias {
        if bias.len() != n {
            return Err(MatrixError::shape(
                op,
                format!("bias has {} elements but C is {}", bias.len(), dims(m, n)),
            ));
        }
    }
    if !kernel.is_supported() {
        return Err(MatrixError::Kernel(KernelError {
            requested: kernel.name().to_string(),
            reason: "this CPU does not support it".to_string(),
        }));
    }
    Ok(())
}

/// `C <- act(beta * C + bias)` for the degenerate products (k = 0 or alpha = 0).
pub(crate) fn scale_only<T: Scalar>(beta: T, mut c: MatrixViewMut<'_, T>, epi: Epilogue<'_, T>) {
    for i in 0..c.rows() {
        for j in 0..c.cols() {
            let mut r = if beta == T::ZERO {
                T::ZERO
            } else {
                beta * c.get(i, j)
            };
            if let Some(bias) = epi.bias {
                r += bias[j];
            }
            if epi.relu {
                r = if r > T::ZERO { r } else { T::ZERO };
            }
            c.set(i, j, r);
        }
    }
}
