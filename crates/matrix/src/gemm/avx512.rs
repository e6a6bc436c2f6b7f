//! AVX-512F micro-kernels: 12 x 32 (f32) and 12 x 16 (f64) tiles, plus
//! 24 x 16 / 24 x 8 narrow ones for C with at most one vector of columns.
//!
//! 32 zmm registers: 24 accumulators (12 rows x 2 vectors), 2 for the B row,
//! the broadcast A element (often folded into the FMA as an embedded broadcast).

use std::arch::x86_64::*;

use super::kernel::{simd_kernel, Simd};
use super::skinny::skinny_kernel;

pub(crate) struct F32x16;
pub(crate) struct F64x8;

impl Simd for F32x16 {
    type T = f32;
    type V = __m512;
    const LANES: usize = 16;
    #[inline(always)]
    unsafe fn zero() -> __m512 {
        _mm512_setzero_ps()
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> __m512 {
        _mm512_set1_ps(x)
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> __m512 {
        _mm512_loadu_ps(p)
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: __m512) {
        _mm512_storeu_ps(p, v)
    }
    #[inline(always)]
    unsafe fn mul_add(a: __m512, b: __m512, c: __m512) -> __m512 {
        _mm512_fmadd_ps(a, b, c)
    }
    #[inline(always)]
    unsafe fn add(a: __m512, b: __m512) -> __m512 {
        _mm512_add_ps(a, b)
    }
    #[inline(always)]
    unsafe fn mul(a: __m512, b: __m512) -> __m512 {
        _mm512_mul_ps(a, b)
    }
    #[inline(always)]
    unsafe fn relu(x: __m512) -> __m512 {
        // max returns its second operand when either is NaN or both are zero:
        // exactly `if x > 0 { x } else { 0 }`.
        _mm512_max_ps(x, _mm512_setzero_ps())
    }
    #[inline(always)]
    unsafe fn reduce_sum(x: __m512) -> f32 {
        _mm512_reduce_add_ps(x)
    }
}

impl Simd for F64x8 {
    type T = f64;
    type V = __m512d;
    const LANES: usize = 8;
    #[inline(always)]
    unsafe fn zero() -> __m512d {
        _mm512_setzero_pd()
    }
    #[inline(always)]
    unsafe fn splat(x: f64) -> __m512d {
        _mm512_set1_pd(x)
    }
    #[inline(always)]
    unsafe fn load(p: *const f64) -> __m512d {
        _mm512_loadu_pd(p)
    }
    #[inline(always)]
    unsafe fn store(p: *mut f64, v: __m512d) {
        _mm512_storeu_pd(p, v)
    }
    #[inline(always)]
    unsafe fn mul_add(a: __m512d, b: __m512d, c: __m512d) -> __m512d {
        _mm512_fmadd_pd(a, b, c)
    }
    #[inline(always)]
    unsafe fn add(a: __m512d, b: __m512d) -> __m512d {
        _mm512_add_pd(a, b)
    }
    #[inline(always)]
    unsafe fn mul(a: __m512d, b: __m512d) -> __m512d {
        _mm512_mul_pd(a, b)
    }
    #[inline(always)]
    unsafe fn relu(x: __m512d) -> __m512d {
        _mm512_max_pd(x, _mm512_setzero_pd())
    }
    #[inline(always)]
    unsafe fn reduce_sum(x: __m512d) -> f64 {
        _mm512_reduce_add_pd(x)
    }
}

simd_kernel!(
    /// The Avx512 kernel: 12 x 32 (f32) and 12 x 16 (f64) tiles.
    Avx512, "avx512f",
    f32 => F32x16, 12 x 2;
    f64 => F64x8, 12 x 2;
);

simd_kernel!(
    /// The Avx512 kernel for products with few columns (n <= one vector, as a
    /// 10-class output layer makes): 24 x 16 (f32) and 24 x 8 (f64)
    /// tiles, so a 10-wide C wastes 6 of 16 lanes instead of 22 of 32.
    Avx512Narrow, "avx512f",
    f32 => F32x16, 24 x 1;
    f64 => F64x8, 24 x 1;
);

skinny_kernel!(
    /// Dot-product kernel for row-major A and at most one vector of columns
    /// (`skinny.rs`): 4 rows x 4 columns of accumulators.
    Avx512Skinny, "avx512f",
    f32 => F32x16, 4;
    f64 => F64x8, 4;
);
