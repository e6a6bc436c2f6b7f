//! Sparse x dense products: `C <- act(alpha * S * B + beta * C + bias)`
//! with `S` in [`CsrMatrix`] form and `B`, `C` dense.
//!
//! Where `S` is mostly zeros (MNIST pixels: 19% nonzero) this skips the
//! zeros instead of multiplying by them: a dense layer's forward `X W` and
//! its weight gradient `Xᵀ dY` cost `nnz(X) * n` multiply-adds instead of
//! `rows * cols * n`. Each row of C is a sum over that row's nonzeros:
//!
//! ```text
//! for each block of NV vectors of columns j:      (B's block stays in L2)
//!   for each row i of S:
//!     acc = 0                                      (NV vector registers)
//!     for (col, v) in S's row i:  acc += v * B[col, j..j + NV*LANES]
//!     C[i, j..] = act(alpha * acc + beta * C[i, j..] + bias[j..])
//! ```
//!
//! Full column vectors read B in place (row-major B; other layouts are
//! copied first); the last, partial vector reads a zero-padded copy of B's
//! tail columns. Threads split the rows of S (balanced by nonzeros), never
//! the sums, so results are bitwise identical for any thread count. The
//! plain version the tests compare with is [`reference::sparse_gemm`](crate::reference::sparse_gemm).

mod csr;
mod problem;
pub use csr::CsrMatrix;
pub(crate) use problem::SparseProblem;

use rayon::prelude::*;

use crate::error::{dims, MatrixError};
use crate::gemm::buffer::{whole_lines, with_workspace};
use crate::gemm::driver::{OutOperand, PARALLEL_MIN_FLOPS};
use crate::gemm::kernel::{write_row, Simd, TileEpilogue};
use crate::gemm::pack::prefetch;
use crate::gemm::{selected_kernel, Epilogue, KernelError, KernelKind};
use crate::{MatrixView, MatrixViewMut, Scalar};

/// `C <- act(alpha * S * B + beta * C + bias)`: `s` is `m x k` sparse, `b`
/// is `k x n`, `c` is `m x n`, with BLAS semantics for `beta` (0 means C
/// is not read) and the same [`Epilogue`] as [`gemm_fused`](crate::gemm_fused).
///
/// # Panics
/// If the shapes do not fit (the message names them) or `MATNET_KERNEL`
/// names a kernel this CPU lacks; see [`try_sparse_gemm`].
///
/// ```
/// use matrix::{gemm, sparse_gemm, CsrMatrix, Epilogue, Matrix};
/// let x = Matrix::from_fn(4, 6, |i, j| if (i + j) % 3 == 0 { 1.0f32 + i as f32 } else { 0.0 });
/// let w = Matrix::from_fn(6, 5, |i, j| (i as f32 - j as f32) * 0.25);
/// let (mut sparse, mut dense) = (Matrix::zeros(4, 5), Matrix::zeros(4, 5));
/// sparse_gemm(1.0, &CsrMatrix::from_dense(&x), &w, 0.0, &mut sparse, Epilogue::none());
/// gemm(1.0, &x, &w, 0.0, &mut dense);
/// assert!(sparse.max_abs_diff(&dense) < 1e-6);
/// ```
pub fn sparse_gemm<'b, 'c, T: Scalar>(
    alpha: T,
    s: &CsrMatrix<T>,
    b: impl Into<MatrixView<'b, T>>,
    beta: T,
    c: impl Into<MatrixViewMut<'c, T>>,
    epilogue: Epilogue<'_, T>,
) {
    try_sparse_gemm(alpha, s, b, beta, c, epilogue).unwrap_or_else(|e| panic!("{e}"))
}

/// [`sparse_gemm`] returning shape and kernel errors instead of panicking.
///
/// ```
/// use matrix::{try_sparse_gemm, CsrMatrix, Epilogue, Matrix};
/// let s = CsrMatrix::from_dense(&Matrix::<f32>::identity(3));
/// let b = Matrix::<f32>::zeros(4, 2);
/// let mut c = Matrix::<f32>::zeros(3, 2);
/// let err = try_sparse_gemm(1.0, &s, &b, 0.0, &mut c, Epilogue::none()).unwrap_err();
/// assert_eq!(err.to_string(), "sparse_gemm: S is 3x3 but B is 4x2");
/// ```
pub fn try_sparse_gemm<'b, 'c, T: Scalar>(
    alpha: T,
    s: &CsrMatrix<T>,
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
    s: &CsrMatrix<T>,
    b: impl Into<MatrixView<'b, T>>,
    beta: T,
    c: impl Into<MatrixViewMut<'c, T>>,
    epilogue: Epilogue<'_, T>,
) -> Result<(), MatrixError> {
    let (b, mut c) = (b.into(), c.into());
    let (m, k) = s.shape();
    let n = b.cols();
    if b.rows() != k {
        return Err(MatrixError::shape(
            "sparse_gemm",
            format!("S is {} but B is {}", dims(m, k), dims(b.rows(), n)),
        ));
    }
    if c.shape() != (m, n) {
        return Err(MatrixError::shape(
            "sparse_gemm",
            format!(
                "S * B is {} (S {}, B {}) but C is {}",
                dims(m, n),
                dims(m, k),
                dims(k, n),
                dims(c.rows(), c.cols())
            ),
        ));
    }
    if let Some(bias) = epilogue.bias {
        if bias.len() != n {
            return Err(MatrixError::shape(
                "sparse_gemm",
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
    if m == 0 || n == 0 {
        return Ok(());
    }
    if s.nnz() == 0 || alpha == T::ZERO {
        crate::gemm::scale_only(beta, c.rb_mut(), epilogue);
        return Ok(());
    }
    let lanes = T::sparse_lanes(kernel);
    let (b_rs, copy_b) = if b.col_stride() == 1 {
        (b.row_stride(), false)
    } else {
        (n, true)
    };
    let full = n / lanes * lanes;
    let tail = n - full;
    let b_elems = if copy_b { whole_lines::<T>(k * n) } else { 0 };
    let tail_elems = if tail > 0 { k * lanes } else { 0 };
    with_workspace::<T, _>(b_elems + tail_elems, |ws| {
        // SAFETY: ws holds b_elems + tail_elems elements; every index below
        // is within the checked shapes of b.
        unsafe {
            let b_ptr = if copy_b {
                for i in 0..k {
                    for j in 0..n {
                        *ws.add(i * n + j) = b.get(i, j);
                    }
                }
                ws as *const T
            } else {
                b.as_ptr()
            };
            let b_tail = ws.add(b_elems);
            if tail > 0 {
                for i in 0..k {
                    for t in 0..lanes {
                        *b_tail.add(i * lanes + t) = if t < tail {
                            *b_ptr.add(i * b_rs + full + t)
                        } else {
                            T::ZERO
                        };
                    }
                }
            }
            let (row_start, col_index, values) = s.parts();
            let p = SparseProblem {
                n,
                alpha,
                beta,
                nnz: s.nnz(),
                row_start: row_start.as_ptr(),
                col_index: col_index.as_ptr(),
                values: values.as_ptr(),
                b: b_ptr,
                b_rs,
                b_tail,
                c: OutOperand {
                    ptr: c.as_mut_ptr(),
                    rs: c.row_stride(),
                    cs: c.col_stride(),
                },
                bias: epilogue.bias.map_or(std::ptr::null(), |b| b.as_ptr()),
                relu: epilogue.relu,
            };
            run(kernel, &p, row_start, rayon::current_num_threads());
        }
    });
    Ok(())
}

/// Lets the raw problem cross into rayon tasks.
struct Shared<P>(P);
// SAFETY: the tasks read the problem's inputs and write disjoint rows of C.
unsafe impl<P> Send for Shared<P> {}
// SAFETY: as above.
unsafe impl<P> Sync for Shared<P> {}
impl<P: Copy> Shared<P> {
    fn get(&self) -> P {
        self.0
    }
}

/// Splits the rows into parts of about equal nonzero counts and runs each.
///
/// # Safety
/// As [`SparseKernel::rows`] for all rows.
unsafe fn run<T: Scalar>(
    kernel: KernelKind,
    p: &SparseProblem<T>,
    row_start: &[usize],
    threads: usize,
) {
    let m = row_start.len() - 1;
    let nnz = row_start[m];
    let flops = 2.0 * nnz as f64 * p.n as f64;
    let parts = if flops >= PARALLEL_MIN_FLOPS {
        threads.clamp(1, m.max(1))
    } else {
        1
    };
    if parts == 1 {
        return T::run_sparse(kernel, p, 0, m);
    }
    // Part t ends at the first row whose nonzeros reach (t + 1) / parts.
    let bound = |t: usize| {
        if t == parts {
            m
        } else {
            row_start.partition_point(|&s| s < t * nnz / parts)
        }
    };
    let shared = Shared(p as *const SparseProblem<T>);
    (0..parts).into_par_iter().for_each(|t| {
        let (i0, i1) = (bound(t).min(m), bound(t + 1).min(m));
        if i0 < i1 {
            // SAFETY: parts cover disjoint row ranges of C; p outlives the section.
            unsafe { T::run_sparse(kernel, &*shared.get(), i0, i1) };
        }
    });
}

/// The ISA-specific part: rows `i0..i1` of C.
pub(crate) trait SparseKernel<T: Scalar> {
    /// Vector width in elements.
    const LANES: usize;
    /// Computes rows `i0..i1` of C.
    ///
    /// # Safety
    /// The problem's pointers cover its checked shapes; rows `i0..i1` of C
    /// are this caller's; the CPU supports the kernel's instructions.
    unsafe fn rows(p: &SparseProblem<T>, i0: usize, i1: usize);
}

/// Rows `i0..i1`, all columns: the generic body each ISA instantiates, in
/// column blocks of `NV`, then 4, 2 and 1 vectors, then the padded tail.
///
/// # Safety
/// As [`SparseKernel::rows`], compiled with `S`'s target features.
#[inline(always)]
pub(crate) unsafe fn rows<S: Simd, const NV: usize>(p: &SparseProblem<S::T>, i0: usize, i1: usize) {
    let lanes = S::LANES;
    let full = p.n / lanes;
    let mut v = 0;
    v = blocks::<S, NV>(p, i0, i1, v, full);
    v = blocks::<S, 4>(p, i0, i1, v, full);
    v = blocks::<S, 2>(p, i0, i1, v, full);
    v = blocks::<S, 1>(p, i0, i1, v, full);
    debug_assert_eq!(v, full);
    let tail = p.n - full * lanes;
    if tail > 0 {
        for i in i0..i1 {
            row_block::<S, 1>(p, i, full * lanes, p.b_tail, lanes, tail);
        }
    }
}

/// Column blocks of `V` vectors from vector `v` while they fit in `full`;
/// returns the next vector.
#[inline(always)]
unsafe fn blocks<S: Simd, const V: usize>(
    p: &SparseProblem<S::T>,
    i0: usize,
    i1: usize,
    mut v: usize,
    full: usize,
) -> usize {
    let lanes = S::LANES;
    while v + V <= full {
        let j0 = v * lanes;
        for i in i0..i1 {
            row_block::<S, V>(p, i, j0, p.b.add(j0), p.b_rs, V * lanes);
        }
        v += V;
    }
    v
}

/// Row `i` of C, columns `j0..j0 + cols`, from B's columns at `b` (row
/// stride `b_rs`, `V * LANES` readable per row).
#[inline(always)]
unsafe fn row_block<S: Simd, const V: usize>(
    p: &SparseProblem<S::T>,
    i: usize,
    j0: usize,
    b: *const S::T,
    b_rs: usize,
    cols: usize,
) {
    let (e0, e1) = (*p.row_start.add(i), *p.row_start.add(i + 1));
    let mut acc = [S::zero(); V];
    for e in e0..e1 {
        // B's rows come in an order only the column indices know, so the
        // hardware prefetchers cannot help: fetch the row PREFETCH_AHEAD
        // nonzeros ahead (into the next row of S too: same B block).
        if e + PREFETCH_AHEAD < p.nnz {
            let ahead = b.add(*p.col_index.add(e + PREFETCH_AHEAD) as usize * b_rs);
            for t in 0..(V * S::LANES * std::mem::size_of::<S::T>()).div_ceil(64) {
                prefetch(ahead.cast::<u8>().wrapping_add(t * 64));
            }
        }
        let x = S::splat(*p.values.add(e));
        let b_row = b.add(*p.col_index.add(e) as usize * b_rs);
        for (t, a) in acc.iter_mut().enumerate() {
            *a = S::mul_add(x, S::load(b_row.add(t * S::LANES)), *a);
        }
    }
    let epi = TileEpilogue {
        bias: if p.bias.is_null() {
            p.bias
        } else {
            p.bias.add(j0)
        },
        relu: p.relu,
    };
    let dst = p.c.ptr.add(i * p.c.rs + j0 * p.c.cs);
    write_row::<S, V>(dst, p.c.cs, cols, &acc, p.alpha, p.beta, epi);
}

/// How many nonzeros ahead [`row_block`] prefetches B's row.
const PREFETCH_AHEAD: usize = 16;

/// Defines a [`SparseKernel`] for one ISA: blocks of `NV` vectors.
macro_rules! sparse_kernel {
    ($(#[$doc:meta])* $name:ident, $feature:literal, $($t:ty => $simd:ty, $nv:literal);+ $(;)?) => {
        $(#[$doc])*
        pub(crate) struct $name;
        $(
            impl $crate::sparse::SparseKernel<$t> for $name {
                const LANES: usize = <$simd as $crate::gemm::kernel::Simd>::LANES;
                unsafe fn rows(p: &$crate::sparse::SparseProblem<$t>, i0: usize, i1: usize) {
                    #[target_feature(enable = $feature)]
                    unsafe fn body(p: &$crate::sparse::SparseProblem<$t>, i0: usize, i1: usize) {
                        $crate::sparse::rows::<$simd, $nv>(p, i0, i1)
                    }
                    // SAFETY: selected only after run-time detection of the
                    // features; the memory contract is forwarded unchanged.
                    body(p, i0, i1)
                }
            }
        )+
    };
}
pub(crate) use sparse_kernel;
