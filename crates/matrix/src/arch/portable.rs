//! The portable "vectors": plain arrays that LLVM auto-vectorizes for
//! whatever the target offers (SSE2 on baseline x86-64, NEON on aarch64).
//! No intrinsics; the only unsafety is the raw-pointer contract of the
//! [`Simd`] loads and stores. The kernels built on it are those of every
//! non-x86 target.

use std::marker::PhantomData;

use super::Simd;
use crate::Scalar;

/// A portable "vector" of [`L`] elements. One 16-byte SSE/NEON register
/// holds four f32; `[T; 2]` for f64 would need const generics over T's
/// size, so four lanes serve both (f64 then spans two registers).
pub(crate) struct Arr<T>(PhantomData<T>);

/// Lanes of an [`Arr`].
pub(crate) const L: usize = 4;

impl<T: Scalar> Simd for Arr<T> {
    type T = T;
    type V = [T; L];
    const LANES: usize = L;
    #[inline(always)]
    unsafe fn zero() -> [T; L] {
        [T::ZERO; L]
    }
    #[inline(always)]
    unsafe fn splat(x: T) -> [T; L] {
        [x; L]
    }
    #[inline(always)]
    unsafe fn load(p: *const T) -> [T; L] {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { std::ptr::read_unaligned(p as *const [T; L]) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut T, v: [T; L]) {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { std::ptr::write_unaligned(p as *mut [T; L], v) }
    }
    #[inline(always)]
    unsafe fn mul_add(a: [T; L], b: [T; L], c: [T; L]) -> [T; L] {
        std::array::from_fn(|i| a[i] * b[i] + c[i])
    }
    #[inline(always)]
    unsafe fn add(a: [T; L], b: [T; L]) -> [T; L] {
        std::array::from_fn(|i| a[i] + b[i])
    }
    #[inline(always)]
    unsafe fn mul(a: [T; L], b: [T; L]) -> [T; L] {
        std::array::from_fn(|i| a[i] * b[i])
    }
    #[inline(always)]
    unsafe fn relu(x: [T; L]) -> [T; L] {
        x.map(|v| if v > T::ZERO { v } else { T::ZERO })
    }
    #[inline(always)]
    unsafe fn reduce_sum(x: [T; L]) -> T {
        (x[0] + x[1]) + (x[2] + x[3])
    }
}

// Every kernel family on `Arr`, and the marker type through which dispatch
// (`isa.rs`) finds them. No CPU feature is needed: each `unsafe` below
// only forwards its trait method's memory contract.

use super::isa::Kernels;
use super::KernelKind;
use crate::gemm::kernel::{microkernel_fit, APanel, BPanel, Kernel, Tile, TileEpilogue};
use crate::gemm::problem::Problem;
use crate::gemm::skinny::SkinnyKernel;
use crate::gemm::vector::VectorKernel;
use crate::sparse::{SparseKernel, SparseProblem, TileSink, TransposeFill};
use crate::transpose::PortableTranspose;

/// Plain Rust, for `MATNET_KERNEL=portable` and every non-x86 target.
pub(crate) struct Portable;

impl<T: Scalar> Kernels<T> for Portable {
    const KIND: KernelKind = KernelKind::Portable;
    type Gemm = Gemm;
    // A narrow tile of 4-lane vectors would gain nothing over the full one.
    type Narrow = Gemm;
    const HAS_NARROW: bool = false;
    type Dot = Dot;
    type Vector = Vector;
    type Sparse = Sparse;
    type Transpose = PortableTranspose;
}

/// The BLIS micro-kernel: 4 x 8 tiles (eight 128-bit accumulators for f32).
pub(crate) struct Gemm;

impl<T: Scalar> Kernel<T> for Gemm {
    const MR: usize = 4;
    const NR: usize = 2 * L;

    unsafe fn tile(
        kc: usize,
        a: APanel<T>,
        b: BPanel<T>,
        tile: Tile<T>,
        alpha: T,
        beta: T,
        epi: TileEpilogue<T>,
    ) {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { microkernel_fit::<Arr<T>, 4, 2>(kc, a, b, tile, alpha, beta, epi) }
    }
}

/// The dot-product kernel for skinny products (`skinny.rs`): 4 rows x 2
/// columns of accumulators.
pub(crate) struct Dot;

impl<T: Scalar> SkinnyKernel<T> for Dot {
    const LANES: usize = L;
    unsafe fn rows(p: &Problem<T>, bt: *const T, kp: usize, acc: *mut T, i0: usize, i1: usize) {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { crate::gemm::skinny::rows::<Arr<T>, 2>(p, bt, kp, acc, i0, i1) }
    }
}

/// The one-row kernel (`vector.rs`).
pub(crate) struct Vector;

impl<T: Scalar> VectorKernel<T> for Vector {
    const LANES: usize = L;
    unsafe fn columns(p: &Problem<T>, acc: *mut T, j0: usize, j1: usize) {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { crate::gemm::vector::columns::<Arr<T>>(p, acc, j0, j1) }
    }
}

/// The sparse x dense kernel (`sparse/mod.rs`): 4 rows x 2 vectors.
pub(crate) struct Sparse;

/// Vectors per column block of [`Sparse`].
const SPARSE_NV: usize = 2;

impl<T: Scalar> SparseKernel<T> for Sparse {
    const BLOCK_COLUMNS: usize = SPARSE_NV * L;
    unsafe fn groups<O: TileSink<T>>(p: &SparseProblem<T>, g0: usize, g1: usize, sink: &O) {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { crate::sparse::groups::<Arr<T>, SPARSE_NV, O>(p, g0, g1, sink) }
    }
    unsafe fn fill_transpose(f: TransposeFill<'_, T>) {
        // SAFETY: as above.
        unsafe { crate::sparse::rows::fill_transpose::<Arr<T>>(f) }
    }
}
