//! AVX2 + FMA micro-kernels: 6 x 16 (f32) and 6 x 8 (f64) tiles, plus
//! 12 x 8 / 12 x 4 narrow ones for C with at most one vector of columns.
//!
//! 16 ymm registers: 12 accumulators (6 rows x 2 vectors), 2 for the B row,
//! 1 for the broadcast A element.

use std::arch::x86_64::*;

use super::kernel::{simd_kernel, Simd};
use super::skinny::skinny_kernel;

pub(crate) struct F32x8;
pub(crate) struct F64x4;

impl Simd for F32x8 {
    type T = f32;
    type V = __m256;
    const LANES: usize = 8;
    #[inline(always)]
    unsafe fn zero() -> __m256 {
        _mm256_setzero_ps()
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> __m256 {
        _mm256_set1_ps(x)
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> __m256 {
        _mm256_loadu_ps(p)
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: __m256) {
        _mm256_storeu_ps(p, v)
    }
    #[inline(always)]
    unsafe fn mul_add(a: __m256, b: __m256, c: __m256) -> __m256 {
        _mm256_fmadd_ps(a, b, c)
    }
    #[inline(always)]
    unsafe fn add(a: __m256, b: __m256) -> __m256 {
        _mm256_add_ps(a, b)
    }
    #[inline(always)]
    unsafe fn mul(a: __m256, b: __m256) -> __m256 {
        _mm256_mul_ps(a, b)
    }
    #[inline(always)]
    unsafe fn relu(x: __m256) -> __m256 {
        // max returns its second operand when either is NaN or both are zero:
        // exactly `if x > 0 { x } else { 0 }`.
        _mm256_max_ps(x, _mm256_setzero_ps())
    }
    #[inline(always)]
    unsafe fn reduce_sum(x: __m256) -> f32 {
        let s = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps(s, s, 1)))
    }
}

impl Simd for F64x4 {
    type T = f64;
    type V = __m256d;
    const LANES: usize = 4;
    #[inline(always)]
    unsafe fn zero() -> __m256d {
        _mm256_setzero_pd()
    }
    #[inline(always)]
    unsafe fn splat(x: f64) -> __m256d {
        _mm256_set1_pd(x)
    }
    #[inline(always)]
    unsafe fn load(p: *const f64) -> __m256d {
        _mm256_loadu_pd(p)
    }
    #[inline(always)]
    unsafe fn store(p: *mut f64, v: __m256d) {
        _mm256_storeu_pd(p, v)
    }
    #[inline(always)]
    unsafe fn mul_add(a: __m256d, b: __m256d, c: __m256d) -> __m256d {
        _mm256_fmadd_pd(a, b, c)
    }
    #[inline(always)]
    unsafe fn add(a: __m256d, b: __m256d) -> __m256d {
        _mm256_add_pd(a, b)
    }
    #[inline(always)]
    unsafe fn mul(a: __m256d, b: __m256d) -> __m256d {
        _mm256_mul_pd(a, b)
    }
    #[inline(always)]
    unsafe fn relu(x: __m256d) -> __m256d {
        _mm256_max_pd(x, _mm256_setzero_pd())
    }
    #[inline(always)]
    unsafe fn reduce_sum(x: __m256d) -> f64 {
        let s = _mm_add_pd(_mm256_castpd256_pd128(x), _mm256_extractf128_pd(x, 1));
        _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)))
    }
}

simd_kernel!(
    /// The Avx2 kernel: 6 x 16 (f32) and 6 x 8 (f64) tiles.
    Avx2, "avx2,fma",
    f32 => F32x8, 6 x 2;
    f64 => F64x4, 6 x 2;
);

simd_kernel!(
    /// The Avx2 kernel for products with few columns (n <= one vector, as a
    /// 10-class output layer makes): 12 x 8 (f32) and 12 x 4 (f64)
    /// tiles, so a 10-wide C wastes 6 of 16 lanes instead of 22 of 32.
    Avx2Narrow, "avx2,fma",
    f32 => F32x8, 12 x 1;
    f64 => F64x4, 12 x 1;
);

skinny_kernel!(
    /// Dot-product kernel for row-major A and at most one vector of columns
    /// (`skinny.rs`): 4 rows x 2 columns of accumulators.
    Avx2Skinny, "avx2,fma",
    f32 => F32x8, 2;
    f64 => F64x4, 2;
);
