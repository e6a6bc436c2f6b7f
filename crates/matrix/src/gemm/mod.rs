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
//! Structure (Goto/BLIS, as bluss/matrixmultiply), in the order data flows:
//!
//! 0. `problem.rs`: the checked description of one product (shapes,
//!    scalars, raw operands), which every step below reads;
//! 1. `plan.rs`: every choice of how to compute one product (swap the
//!    operands, dot products or BLIS, block sizes from the machine's caches
//!    (`blocking.rs`), which operands are read in place, how threads split
//!    C) is made up front by its [`Plan`], after every number a caller
//!    forces into it is checked by its field's rule (`checks.rs`);
//! 2. `driver.rs` executes a plan: the five BLIS loops around a
//!    register-blocked `MR x NR` micro-kernel (`skinny.rs` runs the
//!    dot-product plans);
//! 3. `pack.rs` packs A and B into panels, in the calling thread's reused
//!    workspace;
//! 4. `kernel.rs`: the micro-kernel, one generic body instantiated for each
//!    instruction set.
//!
//! The instruction sets themselves (vector types, detection, workspace) are
//! the crate's `arch` layer, shared with the sparse product, transpose and
//! `exp`.

// Micro-kernels take the BLIS argument list (k, A panel, B panel and its
// stride, C tile, alpha, beta, epilogue); bundling it would only hide it.
#![allow(clippy::too_many_arguments)]

mod batched;
pub(crate) mod blocking;
mod checks;
pub(crate) mod driver;
pub(crate) mod kernel;
pub(crate) mod pack;
pub mod plan;
pub(crate) mod problem;
pub(crate) mod skinny;
pub(crate) mod vector;

pub use crate::arch::{selected_kernel, KernelError, KernelKind};
pub use batched::{gemm_batched, try_gemm_batched};
pub use blocking::CacheSizes;
pub use plan::{ASource, Algorithm, BSource, PartPlan, Plan, PlanChoices, Split};
pub(crate) use problem::Problem;

use crate::error::{dims, MatrixError};
use crate::{MatrixView, MatrixViewMut, Scalar};
use plan::KernelShape;
use problem::OutOperand;

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
/// `gemm: op(A) is 128x784 but op(B) is 800x10`). See [`try_gemm`] for a
/// `Result`. A `MATNET_KERNEL` this CPU cannot run is reported once on
/// stderr and the fastest kernel runs instead; [`try_gemm`] returns it as
/// an error.
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
    let kernel = crate::arch::kernel_in_use();
    try_gemm_with_kernel(kernel, alpha, a, b, beta, c, Epilogue::none())
        .unwrap_or_else(|e| panic!("{e}"))
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
    let kernel = crate::arch::kernel_in_use();
    try_gemm_with_kernel(kernel, alpha, a, b, beta, c, epilogue).unwrap_or_else(|e| panic!("{e}"))
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
    let choices = PlanChoices::default();
    try_gemm_planned(kernel, choices, alpha, a, b, beta, c, epilogue).map(|_| ())
}

/// [`try_gemm_with_kernel`] with some of the [`Plan`]'s decisions forced by
/// `choices` (the rest made by the usual rules); returns the plan that ran.
/// For tests that must reach every path on any machine, and for
/// experiments with the blocking. `None` for a product with nothing to
/// plan (empty, or `k = 0`, or `alpha = 0`: C is only scaled).
///
/// ```
/// use matrix::gemm::{ASource, Algorithm, PlanChoices};
/// use matrix::{selected_kernel, try_gemm_planned, CacheSizes, Epilogue, Matrix};
/// let a = Matrix::from_fn(40, 300, |i, j| (i + j) as f32);
/// let b = Matrix::from_fn(300, 50, |i, j| (i * j % 7) as f32);
/// let mut c = Matrix::zeros(40, 50);
/// // A 64 KiB L2 makes k blocks of 64: five passes over C for k = 300.
/// let small = CacheSizes { l1d: 16 << 10, l2: 64 << 10, l3: 1 << 20 };
/// let choices = PlanChoices { caches: Some(small), a: Some(ASource::Packed), ..Default::default() };
/// let plan = try_gemm_planned(selected_kernel().unwrap(), choices, 1.0, &a, &b, 0.0, &mut c, Epilogue::none())?
///     .expect("a nonempty product has a plan");
/// assert_eq!(plan.algorithm, Algorithm::Blis);
/// assert!(plan.kc < 300);
/// assert_eq!(c, a.matmul(&b));
/// # Ok::<(), matrix::MatrixError>(())
/// ```
///
/// # Errors
/// As [`try_gemm_fused`], and [`MatrixError::InvalidPlan`] when a forced
/// decision does not fit the operands (A read in place while column-major,
/// say).
#[allow(clippy::too_many_arguments)] // gemm's own argument list, plus two
pub fn try_gemm_planned<'a, 'b, 'c, T: Scalar>(
    kernel: KernelKind,
    choices: PlanChoices,
    alpha: T,
    a: impl Into<MatrixView<'a, T>>,
    b: impl Into<MatrixView<'b, T>>,
    beta: T,
    c: impl Into<MatrixViewMut<'c, T>>,
    epilogue: Epilogue<'_, T>,
) -> Result<Option<Plan>, MatrixError> {
    let threads = crate::arch::threads::current_num_threads();
    let (a, b, c) = (a.into(), b.into(), c.into());
    gemm_on(kernel, threads, choices, alpha, a, b, beta, c, epilogue)
}

/// [`try_gemm_planned`] on at most `threads` workers of the current pool.
#[allow(clippy::too_many_arguments)] // as try_gemm_planned
pub(crate) fn gemm_on<T: Scalar>(
    kernel: KernelKind,
    threads: usize,
    choices: PlanChoices,
    alpha: T,
    a: MatrixView<'_, T>,
    b: MatrixView<'_, T>,
    beta: T,
    mut c: MatrixViewMut<'_, T>,
    epilogue: Epilogue<'_, T>,
) -> Result<Option<Plan>, MatrixError> {
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
        return Ok(None);
    }
    if k == 0 || alpha == T::ZERO {
        scale_only(beta, c.rb_mut(), epilogue);
        return Ok(None);
    }
    let bias = epilogue.bias.map_or(std::ptr::null(), |b| b.as_ptr());
    let problem = Problem::new(
        alpha,
        a,
        b,
        beta,
        OutOperand::of(&mut c),
        bias,
        epilogue.relu,
    );
    let shape_of = |a| kernel_shape::<T>(kernel, a);
    let (plan, problem) = Plan::new(&problem, kernel, shape_of, threads, choices)?;
    plan.reserve_workspace()?;
    // SAFETY: shapes checked above; the views guarantee every in-shape offset
    // is in bounds; C is an exclusive borrow so it cannot overlap A or B;
    // the kernel is supported (checked above); the plan was made and
    // validated for this problem.
    unsafe { run_plan(&plan, &problem) };
    Ok(Some(plan))
}

/// The tile sizes of `kind`'s kernel for `algorithm`, or `None` if it has
/// no such variant.
pub(crate) fn kernel_shape<T: Scalar>(
    kind: KernelKind,
    algorithm: Algorithm,
) -> Option<KernelShape> {
    use crate::arch::isa::{with_kernels, Kernels, WithKernels};
    use crate::gemm::kernel::Kernel;
    use crate::gemm::skinny::SkinnyKernel;
    use crate::gemm::vector::VectorKernel;
    struct Shape(Algorithm);
    impl<T: Scalar> WithKernels<T> for Shape {
        type Output = Option<KernelShape>;
        fn run<K: Kernels<T>>(self) -> Option<KernelShape> {
            fn blis<T: Scalar, G: Kernel<T>>() -> KernelShape {
                KernelShape {
                    mr: G::MR,
                    nr: G::NR,
                    mr_step: G::MR_STEP,
                    nr_step: G::NR_STEP,
                    lanes: 0,
                }
            }
            match self.0 {
                Algorithm::Blis => Some(blis::<T, K::Gemm>()),
                Algorithm::Narrow => K::HAS_NARROW.then(blis::<T, K::Narrow>),
                Algorithm::Dot => Some(KernelShape {
                    mr: 1,
                    nr: 1,
                    mr_step: 1,
                    nr_step: 1,
                    lanes: <K::Dot as SkinnyKernel<T>>::LANES,
                }),
                // Columns are split between threads in steps of four vectors.
                Algorithm::Vector => {
                    let lanes = <K::Vector as VectorKernel<T>>::LANES;
                    Some(KernelShape {
                        mr: 1,
                        nr: 1,
                        mr_step: 1,
                        nr_step: 4 * lanes,
                        lanes,
                    })
                }
            }
        }
    }
    with_kernels::<T, _>(kind, Shape(algorithm))
}

/// Runs `p` as `plan` says, with the kernel of the plan's instruction set
/// and algorithm.
///
/// # Safety
/// As `driver::run`: pointers cover the checked shapes, C does not overlap
/// A or B, the plan's kernel is supported by this CPU, and the plan was
/// made (and validated) for `p`.
pub(crate) unsafe fn run_plan<T: Scalar>(plan: &Plan, p: &Problem<T>) {
    use crate::arch::isa::{with_kernels, Kernels, WithKernels};
    /// The plan and problem, with the contract of [`run_plan`].
    struct Run<'a, T: Scalar>(&'a Plan, &'a Problem<T>);
    impl<T: Scalar> WithKernels<T> for Run<'_, T> {
        type Output = ();
        fn run<K: Kernels<T>>(self) {
            let Run(plan, p) = self;
            // SAFETY: `Run` is only built by `run_plan`, whose caller
            // upholds its contract; `with_kernels` passes the plan's own
            // instruction set.
            unsafe {
                match plan.algorithm {
                    Algorithm::Blis => driver::run::<T, K::Gemm>(p, plan),
                    Algorithm::Narrow => driver::run::<T, K::Narrow>(p, plan),
                    Algorithm::Dot => skinny::run::<T, K::Dot>(p, plan),
                    Algorithm::Vector => vector::run::<T, K::Vector>(p, plan),
                }
            }
        }
    }
    with_kernels(plan.kernel, Run(plan, p))
}

/// The plan [`try_gemm_planned`] would follow for `op(A) * op(B)` into a
/// row-major C on `threads` workers, without computing anything; `None`
/// for an empty product or `k = 0`. What the `gemm` example's `--plan`
/// prints.
///
/// ```
/// use matrix::gemm::{plan_gemm, Algorithm, PlanChoices};
/// use matrix::{selected_kernel, Matrix};
/// let h = Matrix::<f32>::zeros(128, 800);
/// let w = Matrix::<f32>::zeros(800, 10);
/// let plan = plan_gemm(selected_kernel().unwrap(), 1, PlanChoices::default(), h.view(), w.view(), false)?;
/// assert_eq!(plan.unwrap().algorithm, Algorithm::Dot); // 10 outputs: dot products
/// # Ok::<(), matrix::MatrixError>(())
/// ```
///
/// # Errors
/// As [`try_gemm_planned`] (shapes and kernel are checked as for a C of
/// the right shape).
pub fn plan_gemm<T: Scalar>(
    kernel: KernelKind,
    threads: usize,
    choices: PlanChoices,
    a: MatrixView<'_, T>,
    b: MatrixView<'_, T>,
    has_bias: bool,
) -> Result<Option<Plan>, MatrixError> {
    let (m, k) = a.shape();
    let n = b.cols();
    // No C and no bias exist: the check is of the operands (a bias would
    // have n elements by construction).
    check_product(
        "gemm",
        ("op(A)", "op(B)"),
        (m, k),
        b.shape(),
        (m, n),
        &Epilogue::<T>::none(),
        kernel,
    )?;
    if m == 0 || n == 0 || k == 0 {
        return Ok(None);
    }
    // Never read or written: a plan reads C's strides, and of the bias only
    // whether there is one.
    let c = OutOperand {
        ptr: std::ptr::null_mut(),
        rs: n,
        cs: 1,
    };
    let bias = if has_bias {
        std::ptr::NonNull::<T>::dangling().as_ptr().cast_const()
    } else {
        std::ptr::null()
    };
    let problem = Problem::new(T::ONE, a, b, T::ZERO, c, bias, false);
    let shape_of = |a| kernel_shape::<T>(kernel, a);
    Ok(Some(
        Plan::new(&problem, kernel, shape_of, threads, choices)?.0,
    ))
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
                beta * c[(i, j)]
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
