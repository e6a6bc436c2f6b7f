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
