//! AVX-512F micro-kernels: 12 x 32 (f32) and 12 x 16 (f64) tiles.
//!
//! 32 zmm registers: 24 accumulators (12 rows x 2 vectors), 2 for the B row,
//! the broadcast A element (often folded into the FMA as an embedded broadcast).

use std::arch::x86_64::*;

use super::kernel::{microkernel, Kernel, Simd, Tile, TileEpilogue};

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
}

/// The AVX-512F kernel.
pub(crate) struct Avx512;

#[target_feature(enable = "avx512f")]
unsafe fn tile_f32(
    kc: usize,
    a: *const f32,
    b: *const f32,
    tile: Tile<f32>,
    alpha: f32,
    beta: f32,
    epi: TileEpilogue<f32>,
) {
    microkernel::<F32x16, 12, 2>(kc, a, b, tile, alpha, beta, epi)
}

#[target_feature(enable = "avx512f")]
unsafe fn tile_f64(
    kc: usize,
    a: *const f64,
    b: *const f64,
    tile: Tile<f64>,
    alpha: f64,
    beta: f64,
    epi: TileEpilogue<f64>,
) {
    microkernel::<F64x8, 12, 2>(kc, a, b, tile, alpha, beta, epi)
}

impl Kernel<f32> for Avx512 {
    const MR: usize = 12;
    const NR: usize = 32;
    unsafe fn tile(
        kc: usize,
        a: *const f32,
        b: *const f32,
        tile: Tile<f32>,
        alpha: f32,
        beta: f32,
        epi: TileEpilogue<f32>,
    ) {
        // SAFETY: the driver only picks this kernel after detecting avx512f;
        // the memory contract is forwarded unchanged.
        tile_f32(kc, a, b, tile, alpha, beta, epi)
    }
}

impl Kernel<f64> for Avx512 {
    const MR: usize = 12;
    const NR: usize = 16;
    unsafe fn tile(
        kc: usize,
        a: *const f64,
        b: *const f64,
        tile: Tile<f64>,
        alpha: f64,
        beta: f64,
        epi: TileEpilogue<f64>,
    ) {
        // SAFETY: as for f32: avx512f detected before selection.
        tile_f64(kc, a, b, tile, alpha, beta, epi)
    }
}
