//! Sparse x dense products: `C <- act(alpha * S * B + beta * C + bias)`
//! with `S` a [`SparseMatrix`] and `B`, `C` dense.
//!
//! Where `S` is mostly zeros (MNIST pixels: 19% nonzero) this skips them:
//! a dense layer's forward `X W` and its weight gradient `Xᵀ dY` cost
//! about `stored_columns(X) * GROUP * n` multiply-adds instead of
//! `rows * cols * n`. Each group of [`GROUP`] rows of C is a sum over the
//! group's stored columns, each of which loads one row of B for all of the
//! group's rows (register blocking, as a gemm micro-kernel does):
//!
//! ```text
//! for each block of NV vectors of columns j:           (B's block: L1/L2)
//!   for each group g of S:
//!     acc[GROUP][NV] = 0                                (vector registers)
//!     for (col, x[GROUP]) in group g:
//!       b = B[col, j..j + NV*LANES]                     (NV loads)
//!       acc[r] += x[r] * b     for each row r           (GROUP * NV FMAs)
//!     C[g*GROUP + r, j..] = act(alpha * acc[r] + beta * C[..] + bias[j..])
//! ```
//!
//! A stored zero (a row lacking a column another row of its group has) is
//! multiplied like any dense gemm would; only columns zero in the whole
//! group are skipped. B is read in place when row-major (other layouts
//! are copied first), the last partial vector of columns with a masked
//! load.
//!
//! Threads split the groups (balanced by stored columns) or, when B is the
//! bigger operand, the columns; never the sums, so results
//! are bitwise identical for any thread count. The plain version the tests
//! compare with is [`reference::sparse_gemm`](crate::reference::sparse_gemm).

mod matrix;
mod problem;
pub(crate) mod rows;
pub use matrix::{SparseMatrix, GROUP};
pub(crate) use problem::{SparseProblem, StepOperands};
pub use rows::SparseRows;
pub(crate) use rows::TransposeFill;

use crate::arch::isa::{with_kernels, Kernels, WithKernels};
use crate::arch::{load_lanes, prefetch, store_lanes, with_workspace, Shared, Simd};
use crate::error::MatrixError;
use crate::gemm::driver::OutOperand;
use crate::gemm::kernel::{write_row, TileEpilogue};
use crate::gemm::plan::PARALLEL_MIN_FLOPS;
use crate::gemm::{check_product, selected_kernel, Epilogue, KernelKind};
use crate::{MatrixView, MatrixViewMut, Scalar};

/// `C <- act(alpha * S * B + beta * C + bias)`: `s` is `m x k` sparse, `b`
/// is `k x n`, `c` is `m x n`, with BLAS semantics for `beta` (0 means C
/// is not read) and the same [`Epilogue`] as [`gemm_fused`](crate::gemm_fused).
///
/// Runs the kernel `MATNET_KERNEL` names, or the fastest this CPU has if
/// that variable is unusable (reported once on stderr; see
/// [`selected_kernel`]).
///
/// # Panics
/// If the shapes do not fit (the message names them); see
/// [`try_sparse_gemm`], which also reports an unusable `MATNET_KERNEL`.
///
/// ```
/// use matrix::{gemm, sparse_gemm, Epilogue, Matrix, SparseMatrix};
/// let x = Matrix::from_fn(4, 6, |i, j| if (i + j) % 3 == 0 { 1.0f32 + i as f32 } else { 0.0 });
/// let w = Matrix::from_fn(6, 5, |i, j| (i as f32 - j as f32) * 0.25);
/// let (mut sparse, mut dense) = (Matrix::zeros(4, 5), Matrix::zeros(4, 5));
/// sparse_gemm(1.0, &SparseMatrix::from_dense(&x), &w, 0.0, &mut sparse, Epilogue::none());
/// gemm(1.0, &x, &w, 0.0, &mut dense);
/// assert!(sparse.max_abs_diff(&dense) < 1e-6);
/// ```
pub fn sparse_gemm<'b, 'c, T: Scalar>(
    alpha: T,
    s: &SparseMatrix<T>,
    b: impl Into<MatrixView<'b, T>>,
    beta: T,
    c: impl Into<MatrixViewMut<'c, T>>,
    epilogue: Epilogue<'_, T>,
) {
    let kernel = crate::arch::kernel_in_use();
    try_sparse_gemm_with_kernel(kernel, alpha, s, b, beta, c, epilogue)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// [`sparse_gemm`] returning shape and kernel errors instead of panicking.
///
/// ```
/// use matrix::{try_sparse_gemm, Epilogue, Matrix, SparseMatrix};
/// let s = SparseMatrix::from_dense(&Matrix::<f32>::identity(3));
/// let b = Matrix::<f32>::zeros(4, 2);
/// let mut c = Matrix::<f32>::zeros(3, 2);
/// let err = try_sparse_gemm(1.0, &s, &b, 0.0, &mut c, Epilogue::none()).unwrap_err();
/// assert_eq!(err.to_string(), "sparse_gemm: S is 3x3 but B is 4x2");
/// ```
pub fn try_sparse_gemm<'b, 'c, T: Scalar>(
    alpha: T,
    s: &SparseMatrix<T>,
    b: impl Into<MatrixView<'b, T>>,
    beta: T,
    c: impl Into<MatrixViewMut<'c, T>>,
    epilogue: Epilogue<'_, T>,
) -> Result<(), MatrixError> {
    let kernel = selected_kernel().map_err(MatrixError::Kernel)?;
    try_sparse_gemm_with_kernel(kernel, alpha, s, b, beta, c, epilogue)
}

/// [`try_sparse_gemm`] with an explicit kernel, whatever `MATNET_KERNEL`
/// says (how the tests run every kernel the CPU has).
pub fn try_sparse_gemm_with_kernel<'b, 'c, T: Scalar>(
    kernel: KernelKind,
    alpha: T,
    s: &SparseMatrix<T>,
    b: impl Into<MatrixView<'b, T>>,
    beta: T,
    c: impl Into<MatrixViewMut<'c, T>>,
    epilogue: Epilogue<'_, T>,
) -> Result<(), MatrixError> {
    let (b, mut c) = (b.into(), c.into());
    let (m, k) = s.shape();
    let n = b.cols();
    check_product(
        "sparse_gemm",
        ("S", "B"),
        (m, k),
        b.shape(),
        c.shape(),
        &epilogue,
        kernel,
    )?;
    if m == 0 || n == 0 {
        return Ok(());
    }
    if s.nnz() == 0 || alpha == T::ZERO {
        crate::gemm::scale_only(beta, c.rb_mut(), epilogue);
        return Ok(());
    }
    let c = OutOperand::of(&mut c);
    let bias = epilogue.bias.map_or(std::ptr::null(), |b| b.as_ptr());
    // SAFETY: the shapes were checked; C is an exclusive borrow.
    unsafe { run_checked(kernel, alpha, s, b, beta, c, bias, epilogue.relu, None) };
    Ok(())
}

/// The parameters of [`sparse_gemm_momentum_step`]: the weights and the
/// velocity it updates (both `m x n`, like the product), the momentum `mu`,
/// the learning rate and the L2 weight decay.
pub struct MomentumStep<'a, T: Scalar> {
    /// `W`, updated in place.
    pub weights: MatrixViewMut<'a, T>,
    /// `V`, updated in place.
    pub velocity: MatrixViewMut<'a, T>,
    /// `mu`, the momentum coefficient.
    pub momentum: T,
    /// `lr`, the learning rate.
    pub learning_rate: T,
    /// `wd`, the L2 weight decay (0 for none).
    pub weight_decay: T,
}

/// One step of SGD with classical momentum whose gradient is a sparse
/// product, fused into the product: for each element of `G = S B`,
///
/// ```text
/// g = G[i, j] + wd W[i, j]          (without the second term when wd = 0)
/// V[i, j] = mu V[i, j] - lr g
/// W[i, j] = W[i, j] + V[i, j]
/// ```
///
/// in that order of operations, so the result is bitwise what computing `G`
/// with [`sparse_gemm`] and then running the loop does. `G` itself is never
/// stored: where it is as big as the weights (a network's first layer,
/// `Xᵀ dY`), that saves writing it out and reading it back, which is most
/// of the memory traffic of the update.
///
/// # Panics
/// If the shapes do not fit; see [`try_sparse_gemm_momentum_step`].
///
/// ```
/// use matrix::{sparse_gemm, sparse_gemm_momentum_step, Epilogue, Matrix, MomentumStep, SparseMatrix};
/// let s = SparseMatrix::from_dense(&Matrix::from_fn(3, 4, |i, j| if i == j { 2.0f32 } else { 0.0 }));
/// let b = Matrix::from_fn(4, 2, |i, j| (i + j) as f32);
/// let (mut w, mut v) = (Matrix::<f32>::from_fn(3, 2, |i, _| i as f32), Matrix::<f32>::zeros(3, 2));
/// let (w0, mut g) = (w.clone(), Matrix::zeros(3, 2));
/// sparse_gemm_momentum_step(&s, &b, MomentumStep {
///     weights: w.view_mut(),
///     velocity: v.view_mut(),
///     momentum: 0.9,
///     learning_rate: 0.1,
///     weight_decay: 0.0,
/// });
/// sparse_gemm(1.0, &s, &b, 0.0, &mut g, Epilogue::none());
/// // From zero velocity: V = -lr G, W = W0 + V.
/// assert_eq!(v, g.map(|x| 0.0 - 0.1 * x));
/// assert_eq!(w, w0.zip_map(&v, |a, b| a + b));
/// ```
pub fn sparse_gemm_momentum_step<'b, T: Scalar>(
    s: &SparseMatrix<T>,
    b: impl Into<MatrixView<'b, T>>,
    step: MomentumStep<'_, T>,
) {
    let kernel = crate::arch::kernel_in_use();
    try_sparse_gemm_momentum_step_with_kernel(kernel, s, b, step).unwrap_or_else(|e| panic!("{e}"))
}

/// [`sparse_gemm_momentum_step`] returning shape and kernel errors instead
/// of panicking.
///
/// ```
/// use matrix::{try_sparse_gemm_momentum_step, Matrix, MomentumStep, SparseMatrix};
/// let s = SparseMatrix::from_dense(&Matrix::<f32>::identity(3));
/// let b = Matrix::<f32>::zeros(3, 2);
/// let (mut w, mut v) = (Matrix::<f32>::zeros(3, 2), Matrix::<f32>::zeros(2, 2));
/// let step = MomentumStep { weights: w.view_mut(), velocity: v.view_mut(),
///                           momentum: 0.9, learning_rate: 0.1, weight_decay: 0.0 };
/// let err = try_sparse_gemm_momentum_step(&s, &b, step).unwrap_err();
/// assert!(err.to_string().contains("velocity"), "{err}");
/// ```
pub fn try_sparse_gemm_momentum_step<'b, T: Scalar>(
    s: &SparseMatrix<T>,
    b: impl Into<MatrixView<'b, T>>,
    step: MomentumStep<'_, T>,
) -> Result<(), MatrixError> {
    let kernel = selected_kernel().map_err(MatrixError::Kernel)?;
    try_sparse_gemm_momentum_step_with_kernel(kernel, s, b, step)
}

/// [`try_sparse_gemm_momentum_step`] with an explicit kernel, whatever
/// `MATNET_KERNEL` says (how the tests run every kernel the CPU has).
pub fn try_sparse_gemm_momentum_step_with_kernel<'b, T: Scalar>(
    kernel: KernelKind,
    s: &SparseMatrix<T>,
    b: impl Into<MatrixView<'b, T>>,
    mut step: MomentumStep<'_, T>,
) -> Result<(), MatrixError> {
    let b = b.into();
    let (m, k) = s.shape();
    // The product's own shape is checked as C; the weights and the
    // velocity must have it.
    let op = "sparse_gemm_momentum_step";
    let n = b.cols();
    let c_shape = if k == b.rows() { (m, n) } else { (m, 0) };
    check_product(
        op,
        ("S", "B"),
        (m, k),
        b.shape(),
        c_shape,
        &Epilogue::<T>::none(),
        kernel,
    )?;
    for (name, shape) in [
        ("W (the weights)", step.weights.shape()),
        ("V (the velocity)", step.velocity.shape()),
    ] {
        if shape != (m, n) {
            return Err(MatrixError::shape(
                op,
                format!("S * B is {m}x{n} but {name} is {}x{}", shape.0, shape.1),
            ));
        }
    }
    if m == 0 || n == 0 {
        return Ok(());
    }
    let operands = StepOperands {
        weights: OutOperand::of(&mut step.weights),
        velocity: OutOperand::of(&mut step.velocity),
        momentum: step.momentum,
        neg_lr: -step.learning_rate,
        weight_decay: step.weight_decay,
    };
    let c = OutOperand {
        ptr: std::ptr::null_mut(),
        rs: 0,
        cs: 0,
    };
    // SAFETY: the shapes were checked; the weights and the velocity are
    // exclusive borrows of the product's shape, so they overlap nothing.
    unsafe {
        run_checked(
            kernel,
            T::ONE,
            s,
            b,
            T::ZERO,
            c,
            std::ptr::null(),
            false,
            Some(operands),
        )
    };
    Ok(())
}

/// A checked product (or momentum step): B copied row-major first if it is
/// strided, then the groups run by [`run`]. With nothing stored in S, a
/// product is `beta C` (then the epilogue) and a step is the update with a
/// zero gradient.
///
/// # Safety
/// The shapes were checked against S, B and C (or the step's operands); C
/// (or the step's operands) is writable, in that shape, and overlaps
/// nothing else.
#[allow(clippy::too_many_arguments)]
unsafe fn run_checked<T: Scalar>(
    kernel: KernelKind,
    alpha: T,
    s: &SparseMatrix<T>,
    b: MatrixView<'_, T>,
    beta: T,
    c: OutOperand<T>,
    bias: *const T,
    relu: bool,
    step: Option<StepOperands<T>>,
) {
    let (m, k) = s.shape();
    let n = b.cols();
    let (b_rs, copy_b) = if b.col_stride() == 1 {
        (b.row_stride(), false)
    } else {
        (n, true)
    };
    let b_elems = if copy_b { k * n } else { 0 };
    with_workspace::<T, _>(b_elems, |ws| {
        // SAFETY: ws holds b_elems elements (k x n when B is copied), and
        // the kernels read B only within its checked shape; the rest is
        // the caller's contract.
        unsafe {
            let b_ptr = if copy_b {
                // A strided B (such as a transposed view) becomes row-major
                // through the blocked copy that transpose uses.
                let dst = std::slice::from_raw_parts_mut(ws, b_elems);
                crate::transpose::copy_into(b, MatrixViewMut::from_slice(dst, k, n, n, 1));
                ws as *const T
            } else {
                b.as_ptr()
            };
            let (group_start, col_index, values) = s.parts();
            let p = SparseProblem {
                m,
                n,
                alpha,
                beta,
                stored: s.stored_columns(),
                group_start: group_start.as_ptr(),
                col_index: col_index.as_ptr(),
                values: values.as_ptr(),
                b: b_ptr,
                b_rs,
                prefetch_b_above: prefetch_b_above(k, b_rs * std::mem::size_of::<T>()),
                c,
                bias,
                relu,
                step,
            };
            run(
                kernel,
                &p,
                group_start,
                k,
                crate::arch::threads::current_num_threads(),
            );
        }
    });
}

/// Runs the product (`k` rows of B) on up to `threads` parts: above
/// [`PARALLEL_MIN_FLOPS`], one part per thread, split by rows or by columns
/// of C, whichever has each part read less.
///
/// A row split reads all of B and a part of S on each thread; a column
/// split all of S and a part of B. So columns when B outweighs S and
/// column blocks share the columns out evenly: a first layer's
/// forward (S a batch of 128 images, about 160 KB; B its 784x800 weights,
/// 2.5 MB, more than a core's L2) then streams half of the weights per
/// core, and its weight gradient updates, on each thread, the columns that
/// thread reads in the next forward.
///
/// # Safety
/// As [`SparseKernel::groups`] for all groups.
unsafe fn run<T: Scalar>(
    kernel: KernelKind,
    p: &SparseProblem<T>,
    group_start: &[usize],
    k: usize,
    threads: usize,
) {
    let groups = group_start.len() - 1;
    let stored = group_start[groups];
    let flops = 2.0 * (stored * GROUP) as f64 * p.n as f64;
    let parts = if flops >= PARALLEL_MIN_FLOPS {
        threads.clamp(1, groups.max(1))
    } else {
        1
    };
    if parts == 1 {
        // SAFETY: the caller's contract, for all groups.
        return unsafe { run_groups(kernel, p, 0, groups) };
    }
    let size = std::mem::size_of::<T>();
    let s_bytes = stored * (GROUP * size + std::mem::size_of::<u32>());
    let b_bytes = k * p.n * size;
    // Part t starts at the multiple of the kernel's widest block nearest
    // t * n / parts: every column is then summed in a block of the same
    // shape, in the same order, as on one thread.
    let split = block_columns::<T>(kernel);
    let n = p.n;
    let start = |t: usize| {
        if t == parts {
            n
        } else {
            let nearest = (t * n + parts * split / 2) / (parts * split);
            (nearest * split).min(n)
        }
    };
    let widest = (0..parts)
        .map(|t| start(t + 1).saturating_sub(start(t)))
        .max();
    // Columns only if no part is more than a quarter over its share.
    let balanced = widest.is_some_and(|w| 4 * w * parts <= 5 * n);
    if b_bytes > s_bytes && balanced {
        let shared = Shared(p as *const SparseProblem<T>);
        crate::arch::threads::for_each_part(parts, |t| {
            let (j0, j1) = (start(t), start(t + 1));
            if j0 < j1 {
                // SAFETY: parts cover disjoint columns of C (and of the
                // step's operands); j0 < j1 <= n; p outlives the section.
                unsafe {
                    let part = (*shared.get()).columns(j0, j1);
                    run_groups(kernel, &part, 0, groups);
                }
            }
        });
        return;
    }
    // Part t starts at the first group whose columns reach t / parts.
    let bound = |t: usize| {
        if t == parts {
            groups
        } else {
            group_start.partition_point(|&s| s < t * stored / parts)
        }
    };
    let shared = Shared(p as *const SparseProblem<T>);
    crate::arch::threads::for_each_part(parts, |t| {
        let (g0, g1) = (bound(t).min(groups), bound(t + 1).min(groups));
        if g0 < g1 {
            // SAFETY: parts cover disjoint groups (rows) of C; p outlives the section.
            unsafe { run_groups(kernel, &*shared.get(), g0, g1) };
        }
    });
}

/// The ISA-specific part: groups `g0..g1` of C's rows.
pub(crate) trait SparseKernel<T: Scalar> {
    /// Columns of the widest column block (`NV` vectors): where a column
    /// split between threads may fall.
    const BLOCK_COLUMNS: usize;
    /// Computes the rows of groups `g0..g1` of C.
    ///
    /// # Safety
    /// The problem's pointers cover its checked shapes; those rows of C
    /// are this caller's; the CPU supports the kernel's instructions.
    unsafe fn groups(p: &SparseProblem<T>, g0: usize, g1: usize);
    /// The fill of [`SparseMatrix::assign_transpose_from_rows`] (see
    /// [`rows::fill_transpose`]).
    ///
    /// # Safety
    /// The CPU supports the kernel's instructions.
    unsafe fn fill_transpose(f: TransposeFill<'_, T>);
}

/// Row groups `g0..g1` of a sparse product with `kind`'s sparse kernel.
///
/// # Safety
/// As [`SparseKernel::groups`]; `kind` is supported by this CPU.
pub(crate) unsafe fn run_groups<T: Scalar>(
    kind: KernelKind,
    p: &SparseProblem<T>,
    g0: usize,
    g1: usize,
) {
    /// The arguments, with the contract of [`run_groups`].
    struct Groups<'a, T: Scalar>(&'a SparseProblem<T>, usize, usize);
    impl<T: Scalar> WithKernels<T> for Groups<'_, T> {
        type Output = ();
        fn run<K: Kernels<T>>(self) {
            // SAFETY: built only by `run_groups`, whose caller upholds
            // the kernel's contract; `K` is the kind it asked for.
            unsafe { K::Sparse::groups(self.0, self.1, self.2) }
        }
    }
    with_kernels(kind, Groups(p, g0, g1))
}

/// The columns of `kind`'s widest sparse block (see
/// [`SparseKernel::BLOCK_COLUMNS`]).
pub(crate) fn block_columns<T: Scalar>(kind: KernelKind) -> usize {
    struct Columns;
    impl<T: Scalar> WithKernels<T> for Columns {
        type Output = usize;
        fn run<K: Kernels<T>>(self) -> usize {
            K::Sparse::BLOCK_COLUMNS
        }
    }
    with_kernels::<T, _>(kind, Columns)
}

/// Groups `g0..g1`, all columns: the generic body each ISA instantiates,
/// in column blocks of `NV`, then 2 vectors, then what is left (less than
/// two vectors) in one pass: a masked 2-vector block if it is more than one
/// vector, else a 1-vector block. Each block is a pass over the groups'
/// stored columns, which are what a narrow product (10 columns: 8 + 2 on
/// AVX2) spends its time streaming, so the remainder takes one pass, not
/// two.
///
/// # Safety
/// As [`SparseKernel::groups`], compiled with `S`'s target features.
#[inline(always)]
pub(crate) unsafe fn groups<S: Simd, const NV: usize>(
    p: &SparseProblem<S::T>,
    g0: usize,
    g1: usize,
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        let lanes = S::LANES;
        let full = p.n / lanes;
        let mut v = 0;
        v = blocks::<S, NV>(p, g0, g1, v, full);
        v = blocks::<S, 2>(p, g0, g1, v, full);
        let j0 = v * lanes;
        let rest = p.n - j0;
        debug_assert!(rest < 2 * lanes);
        if rest > lanes {
            for g in g0..g1 {
                group_block::<S, 2>(p, g, j0, p.b.add(j0), p.b_rs, rest);
            }
        } else if rest > 0 {
            for g in g0..g1 {
                group_block::<S, 1>(p, g, j0, p.b.add(j0), p.b_rs, rest);
            }
        }
    }
}

/// Column blocks of `V` vectors from vector `v` while they fit in `full`;
/// returns the next vector.
///
/// # Safety
/// The CPU supports `S`'s instruction set; `p` describes a readable S and B
/// and a writable C whose rows of the groups concerned are this caller's
/// alone; `full` and `cols` do not exceed B's and C's columns.
#[inline(always)]
unsafe fn blocks<S: Simd, const V: usize>(
    p: &SparseProblem<S::T>,
    g0: usize,
    g1: usize,
    mut v: usize,
    full: usize,
) -> usize {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        let lanes = S::LANES;
        while v + V <= full {
            let j0 = v * lanes;
            for g in g0..g1 {
                group_block::<S, V>(p, g, j0, p.b.add(j0), p.b_rs, V * lanes);
            }
            v += V;
        }
        v
    }
}

/// Group `g`'s rows of C, columns `j0..j0 + cols`, from B's columns at `b`
/// (row stride `b_rs`, `cols` readable per row: a last partial vector is
/// read with a masked load).
///
/// # Safety
/// The CPU supports `S`'s instruction set; `p` describes a readable S and B
/// and a writable C whose rows of the groups concerned are this caller's
/// alone; `full` and `cols` do not exceed B's and C's columns.
#[inline(always)]
unsafe fn group_block<S: Simd, const V: usize>(
    p: &SparseProblem<S::T>,
    g: usize,
    j0: usize,
    b: *const S::T,
    b_rs: usize,
    cols: usize,
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        let (u0, u1) = (*p.group_start.add(g), *p.group_start.add(g + 1));
        if let Some(step) = &p.step {
            prefetch_step_rows::<S::T>(step, (g + STEP_PREFETCH_GROUPS) * GROUP, p.m, j0, cols);
        }
        let mut acc = [[S::zero(); V]; GROUP];
        if V == 1 {
            // One vector per row: GROUP accumulators alone are one dependent
            // FMA chain each, a column per FMA latency; a second set for odd
            // columns puts two columns in flight (forward 33600x784x10: -10%).
            let mut odd = [[S::zero(); V]; GROUP];
            let mut u = u0;
            while u + 2 <= u1 {
                column::<S, V, false>(p, b, b_rs, cols, &mut acc, u);
                column::<S, V, false>(p, b, b_rs, cols, &mut odd, u + 1);
                u += 2;
            }
            if u < u1 {
                column::<S, V, false>(p, b, b_rs, cols, &mut acc, u);
            }
            for (a, o) in acc.iter_mut().zip(&odd) {
                a[0] = S::add(a[0], o[0]);
            }
        } else {
            // Prefetching B's rows (see `prefetch_b_above`) up to the
            // columns that have one `prefetch_ahead` further on; two loops,
            // so that the loop without costs nothing for the choice.
            let row_bytes = V * S::LANES * std::mem::size_of::<S::T>();
            let fetched = if row_bytes > p.prefetch_b_above {
                p.stored
                    .saturating_sub(prefetch_ahead(row_bytes))
                    .clamp(u0, u1)
            } else {
                u0
            };
            for u in u0..fetched {
                column::<S, V, true>(p, b, b_rs, cols, &mut acc, u);
            }
            for u in fetched..u1 {
                column::<S, V, false>(p, b, b_rs, cols, &mut acc, u);
            }
        }
        let i0 = g * GROUP;
        if let Some(step) = &p.step {
            for (r, acc_row) in acc.iter().enumerate().take(GROUP.min(p.m - i0)) {
                step_row::<S, V>(step, i0 + r, j0, cols, acc_row);
            }
            return;
        }
        let epi = TileEpilogue::at(p.bias, p.relu, j0);
        for (r, acc_row) in acc.iter().enumerate().take(GROUP.min(p.m - i0)) {
            let dst = p.c.ptr.add((i0 + r) * p.c.rs + j0 * p.c.cs);
            write_row::<S, V>(dst, p.c.cs, cols, acc_row, p.alpha, p.beta, epi);
        }
    }
}

/// One stored column `u`: loads its B row (masked past `cols`) and adds
/// `x[r] * b` to each row's accumulators; with `PREFETCH`, first starts
/// fetching the B row of column `u + prefetch_ahead(..)`, which must exist. (A
/// function, not a closure: a closure would not inherit the caller's
/// target features.)
///
/// # Safety
/// The CPU supports `S`'s instruction set; `p` describes a readable S and B
/// and a writable C whose rows of the groups concerned are this caller's
/// alone; `full` and `cols` do not exceed B's and C's columns.
#[inline(always)]
unsafe fn column<S: Simd, const V: usize, const PREFETCH: bool>(
    p: &SparseProblem<S::T>,
    b: *const S::T,
    b_rs: usize,
    cols: usize,
    acc: &mut [[S::V; V]; GROUP],
    u: usize,
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        if PREFETCH {
            // The row some columns ahead (into the next group too: same B
            // block).
            let row_bytes = V * S::LANES * std::mem::size_of::<S::T>();
            let ahead = *p.col_index.add(u + prefetch_ahead(row_bytes)) as usize;
            let ahead = b.add(ahead * b_rs);
            for t in (0..row_bytes).step_by(64) {
                prefetch(ahead.cast::<u8>().wrapping_add(t));
            }
        }
        let b_row = b.add(*p.col_index.add(u) as usize * b_rs);
        let mut bv = [S::zero(); V];
        for (t, v) in bv.iter_mut().enumerate() {
            let rem = cols - t * S::LANES;
            *v = if rem >= S::LANES {
                S::load(b_row.add(t * S::LANES))
            } else {
                S::load_partial(b_row.add(t * S::LANES), rem)
            };
        }
        let x = p.values.add(GROUP * u);
        for (r, acc_row) in acc.iter_mut().enumerate() {
            let xr = S::splat(*x.add(r));
            for t in 0..V {
                acc_row[t] = S::mul_add(xr, bv[t], acc_row[t]);
            }
        }
    }
}

/// Row `i`, columns `j0..j0 + cols`, of a momentum step from the finished
/// sums `acc` (see [`sparse_gemm_momentum_step`] for the formula and its
/// order of operations, which both paths keep).
///
/// # Safety
/// The CPU supports `S`'s instruction set; the step's weights and velocity
/// hold row `i`, columns `j0..j0 + cols`, which are this caller's alone;
/// `cols <= V * S::LANES`.
#[inline(always)]
unsafe fn step_row<S: Simd, const V: usize>(
    step: &StepOperands<S::T>,
    i: usize,
    j0: usize,
    cols: usize,
    acc: &[S::V; V],
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        let (wo, vo) = (&step.weights, &step.velocity);
        let w = wo.ptr.add(i * wo.rs + j0 * wo.cs);
        let v = vo.ptr.add(i * vo.rs + j0 * vo.cs);
        let (mu, neg_lr, wd) = (step.momentum, step.neg_lr, step.weight_decay);
        let decay = wd != S::T::ZERO;
        if wo.cs == 1 && vo.cs == 1 {
            // Contiguous rows: as vectors, the last one partial when `cols`
            // is not a whole number of them (a 10-class layer's).
            let (mu_v, neg_lr_v, wd_v) = (S::splat(mu), S::splat(neg_lr), S::splat(wd));
            for (t, &sum) in acc.iter().enumerate() {
                let lanes = cols.saturating_sub(t * S::LANES);
                if lanes == 0 {
                    break;
                }
                let (wp, vp) = (w.add(t * S::LANES), v.add(t * S::LANES));
                let wt = load_lanes::<S>(wp, lanes);
                let g = if decay {
                    S::add(sum, S::mul(wd_v, wt))
                } else {
                    sum
                };
                let vt = S::add(
                    S::mul(mu_v, load_lanes::<S>(vp, lanes)),
                    S::mul(neg_lr_v, g),
                );
                store_lanes::<S>(vp, vt, lanes);
                store_lanes::<S>(wp, S::add(wt, vt), lanes);
            }
        } else {
            let mut spill = [S::zero(); V];
            let sums = spill.as_mut_ptr() as *mut S::T;
            for (t, &sum) in acc.iter().enumerate() {
                S::store(sums.add(t * S::LANES), sum);
            }
            for j in 0..cols {
                let (wp, vp) = (w.add(j * wo.cs), v.add(j * vo.cs));
                let mut g = *sums.add(j);
                if decay {
                    g += wd * *wp;
                }
                *vp = mu * *vp + neg_lr * g;
                *wp += *vp;
            }
        }
    }
}

/// The widest block of B (bytes of each row it reads) for which the kernel
/// leaves B's rows to the hardware: it prefetches each row
/// [`prefetch_ahead`] stored columns ahead only for blocks wider than this.
///
/// B's rows come in an order only the column indices know. Rows at most a
/// line apart (a 10-class layer's: 40 bytes) are found by the hardware
/// prefetchers in the ascending indices, and so are all rows of a block
/// that stays in half of L1 after its first pass (a weight gradient's:
/// 128 rows of `dY`): software prefetches there only take issue slots. A
/// first layer's forward reads 784 rows of its weights at a stride of
/// the layer's width, a block that does not fit: each row is fetched ahead.
fn prefetch_b_above(k: usize, b_row_stride_bytes: usize) -> usize {
    if b_row_stride_bytes <= 64 {
        return usize::MAX;
    }
    // The widest block whose k rows fit in half of L1, and at most a line:
    // wider rows are always fetched ahead.
    let half_l1 = crate::gemm::CacheSizes::detect().l1d / 2;
    (half_l1 / k.max(1)).min(64)
}

/// How many stored columns ahead [`group_block`] prefetches B's row, for a
/// block reading `row_bytes` of each: about 1 KB of B ahead of the loads (16
/// rows of one line: 8 ahead left the forward of 784-200-10 waiting on L2),
/// and never fewer than 8 rows.
const fn prefetch_ahead(row_bytes: usize) -> usize {
    let rows = 1024 / row_bytes;
    if rows > 8 {
        rows
    } else {
        8
    }
}

/// How many groups ahead a momentum step prefetches the weights and the
/// velocity it updates. Each group's rows of them are read once, at the end
/// of the group, at a row stride the hardware prefetchers do not follow
/// across the group's sums; a weight gradient's group (a few pixels over a
/// batch) is short, so the fetch is started a few groups early.
const STEP_PREFETCH_GROUPS: usize = 4;

/// Starts fetching rows `i0..i0 + GROUP` (those below `m`), columns
/// `j0..j0 + cols`, of the step's weights and velocity.
#[inline(always)]
fn prefetch_step_rows<T>(step: &StepOperands<T>, i0: usize, m: usize, j0: usize, cols: usize) {
    let bytes = cols * std::mem::size_of::<T>();
    for i in i0..(i0 + GROUP).min(m) {
        for o in [&step.weights, &step.velocity] {
            // Every line the row's bytes touch (they need not start on
            // one). The addresses are only formed, with wrapping arithmetic,
            // and a prefetch never faults.
            let row = o.ptr.wrapping_add(i * o.rs + j0 * o.cs).cast::<u8>();
            let skew = row as usize % 64;
            for t in (0..skew + bytes).step_by(64) {
                prefetch(row.wrapping_sub(skew).wrapping_add(t));
            }
        }
    }
}

/// Defines a [`SparseKernel`] for one ISA: column blocks of `NV` vectors.
macro_rules! sparse_kernel {
    ($(#[$doc:meta])* $name:ident, $feature:literal, $($t:ty => $simd:ty, $nv:literal);+ $(;)?) => {
        $(#[$doc])*
        pub(crate) struct $name;
        $(
            impl $crate::sparse::SparseKernel<$t> for $name {
                const BLOCK_COLUMNS: usize = $nv * <$simd as $crate::arch::Simd>::LANES;
                unsafe fn groups(p: &$crate::sparse::SparseProblem<$t>, g0: usize, g1: usize) {
                    /// # Safety
                    /// As the trait method it instantiates.
                    #[target_feature(enable = $feature)]
                    unsafe fn body(p: &$crate::sparse::SparseProblem<$t>, g0: usize, g1: usize) {
                        // SAFETY: `body`'s contract is its caller's, passed on unchanged.
                        unsafe { $crate::sparse::groups::<$simd, $nv>(p, g0, g1) }
                    }
                    // SAFETY: selected only after run-time detection of the
                    // features; the memory contract is forwarded unchanged.
                    unsafe { body(p, g0, g1) }
                }
                unsafe fn fill_transpose(f: $crate::sparse::TransposeFill<'_, $t>) {
                    /// # Safety
                    /// As the trait method it instantiates.
                    #[target_feature(enable = $feature)]
                    unsafe fn body(f: $crate::sparse::TransposeFill<'_, $t>) {
                        // SAFETY: `body`'s contract is its caller's, passed on unchanged.
                        unsafe { $crate::sparse::rows::fill_transpose::<$simd>(f) }
                    }
                    // SAFETY: selected only after run-time detection of the
                    // features.
                    unsafe { body(f) }
                }
            }
        )+
    };
}
pub(crate) use sparse_kernel;
