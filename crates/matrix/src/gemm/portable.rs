//! The portable micro-kernel: plain arrays that LLVM auto-vectorizes for
//! whatever the target offers (SSE2 on baseline x86-64, NEON on aarch64).
//! No `unsafe` intrinsics; the only unsafety is the raw-pointer contract of
//! [`Kernel::tile`]. Also the kernel of every non-x86 target.

use std::marker::PhantomData;

use super::kernel::{microkernel_fit, APanel, BPanel, Kernel, Simd, Tile, TileEpilogue};
use crate::Scalar;

/// Lanes of one portable "vector": 16 bytes, one SSE/NEON register.
const fn lanes<T>() -> usize {
    16 / std::mem::size_of::<T>()
}

/// `[T; 4]` for f32, `[T; 2]` for f64 would need const generics over T's
/// size; four lanes serve both (f64 then spans two registers).
pub(crate) struct Arr<T>(PhantomData<T>);

const L: usize = 4;

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

/// Portable kernel: 4 x 8 tiles (eight 128-bit accumulators for f32).
pub(crate) struct Portable;

const _: () = assert!(lanes::<f32>() == L);

impl<T: Scalar> Kernel<T> for Portable {
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
        // SAFETY: the caller upholds this function's `# Safety` contract
        // (forwarded); the portable body needs no CPU feature.
        unsafe { microkernel_fit::<Arr<T>, 4, 2>(kc, a, b, tile, alpha, beta, epi) }
    }
}

/// The portable dot-product kernel for skinny products (`skinny.rs`).
pub(crate) struct PortableSkinny;

impl<T: Scalar> super::skinny::SkinnyKernel<T> for PortableSkinny {
    const LANES: usize = L;
    unsafe fn rows(
        p: &super::driver::Problem<T>,
        bt: *const T,
        kp: usize,
        acc: *mut T,
        i0: usize,
        i1: usize,
    ) {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe {
            // SAFETY: forwarded contract; no CPU feature needed.
            super::skinny::rows::<Arr<T>, 2>(p, bt, kp, acc, i0, i1)
        }
    }
}

/// The portable sparse x dense kernel (`sparse/mod.rs`).
pub(crate) struct PortableSparse;

impl<T: Scalar> crate::sparse::SparseKernel<T> for PortableSparse {
    unsafe fn groups(p: &crate::sparse::SparseProblem<T>, g0: usize, g1: usize) {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe {
            // SAFETY: forwarded contract; no CPU feature needed.
            crate::sparse::groups::<Arr<T>, 2>(p, g0, g1)
        }
    }
}
