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

mod kernel;
mod matrix;
mod problem;
pub(crate) mod rows;
mod tiles;
pub(crate) use kernel::{block_columns, groups, run_groups, sparse_kernel, SparseKernel, TileSink};
pub use matrix::{SparseMatrix, GROUP};
pub(crate) use problem::SparseProblem;
pub use rows::SparseRows;
pub(crate) use rows::TransposeFill;
pub use tiles::{sparse_gemm_tiles, sparse_gemm_tiles_with_kernel, tile_fn, OnTile, ProductTile};

use crate::arch::{with_workspace, Shared};
use crate::error::MatrixError;
use crate::gemm::plan::PARALLEL_MIN_FLOPS;
use crate::gemm::problem::OutOperand;
use crate::gemm::{check_product, selected_kernel, Epilogue, KernelKind};
use crate::{MatrixView, MatrixViewMut, Scalar};
use kernel::{prefetch_b_above, WriteC};

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
    unsafe { run_checked(kernel, alpha, s, b, beta, c, bias, epilogue.relu, &WriteC) };
    Ok(())
}

/// A checked product: B copied row-major first if it is strided, then the
/// groups run by [`run`], their sums written to C or handed to `sink`.
///
/// # Safety
/// The shapes were checked against S, B and C (or the sink's outputs); C
/// (or the sink's outputs) is writable, in that shape, and overlaps
/// nothing else.
#[allow(clippy::too_many_arguments)]
unsafe fn run_checked<T: Scalar, O: TileSink<T>>(
    kernel: KernelKind,
    alpha: T,
    s: &SparseMatrix<T>,
    b: MatrixView<'_, T>,
    beta: T,
    c: OutOperand<T>,
    bias: *const T,
    relu: bool,
    sink: &O,
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
                col0: 0,
            };
            run(
                kernel,
                &p,
                sink,
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
unsafe fn run<T: Scalar, O: TileSink<T>>(
    kernel: KernelKind,
    p: &SparseProblem<T>,
    sink: &O,
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
        return unsafe { run_groups(kernel, p, 0, groups, sink) };
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
                // sink's outputs); j0 < j1 <= n; p outlives the section.
                unsafe {
                    let part = (*shared.get()).columns(j0, j1);
                    run_groups(kernel, &part, 0, groups, sink);
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
            unsafe { run_groups(kernel, &*shared.get(), g0, g1, sink) };
        }
    });
}
