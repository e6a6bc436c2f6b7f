//! AVX-512F micro-kernels: 12 x 32 (f32) and 12 x 16 (f64) tiles, plus
//! 24 x 16 / 24 x 8 narrow ones for C with at most one vector of columns.
//!
//! 32 zmm registers: 24 accumulators (12 rows x 2 vectors), 2 for the B row,
//! the broadcast A element (often folded into the FMA as an embedded broadcast).
//!
//! Every `unsafe fn` here implements a [`Simd`] method, whose `# Safety`
//! section is its contract: the CPU has the instructions, and pointers cover
//! the lanes the method reads or writes.

use std::arch::x86_64::*;

use super::Simd;

pub(crate) struct F32x16;
pub(crate) struct F64x8;

impl Simd for F32x16 {
    type T = f32;
    type V = __m512;
    const LANES: usize = 16;
    #[inline(always)]
    unsafe fn zero() -> __m512 {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm512_setzero_ps() }
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> __m512 {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm512_set1_ps(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> __m512 {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm512_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn load_partial(p: *const f32, n: usize) -> __m512 {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm512_maskz_loadu_ps(((1u32 << n.min(16)) - 1) as __mmask16, p) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: __m512) {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm512_storeu_ps(p, v) }
    }
    #[inline(always)]
    unsafe fn store_stream(p: *mut f32, v: __m512) {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm512_stream_ps(p, v) }
    }
    #[inline(always)]
    unsafe fn store_partial(p: *mut f32, v: __m512, n: usize) {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm512_mask_storeu_ps(p, ((1u32 << n.min(16)) - 1) as __mmask16, v) }
    }
    #[inline(always)]
    unsafe fn mul_add(a: __m512, b: __m512, c: __m512) -> __m512 {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm512_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    unsafe fn add(a: __m512, b: __m512) -> __m512 {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm512_add_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn mul(a: __m512, b: __m512) -> __m512 {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm512_mul_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn relu(x: __m512) -> __m512 {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe {
            // max returns its second operand when either is NaN or both are zero:
            // exactly `if x > 0 { x } else { 0 }`.
            _mm512_max_ps(x, _mm512_setzero_ps())
        }
    }
    #[inline(always)]
    unsafe fn reduce_sum(x: __m512) -> f32 {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm512_reduce_add_ps(x) }
    }
    /// 16 x 16 in four shuffle stages: `unpack{lo,hi}_ps` pairs rows,
    /// `unpack{lo,hi}_pd` makes 4-row columns in each 128-bit lane, and two
    /// rounds of `shuffle_f32x4` gather each column's four lanes.
    #[inline(always)]
    unsafe fn transpose_block(
        src: *const f32,
        s_w: usize,
        rows: usize,
        depth: usize,
        dst: *mut f32,
        d_stride: usize,
        out: usize,
    ) {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe {
            let r = Self::load_rows::<16>(src, s_w, rows, depth);
            let mut t = [_mm512_setzero_ps(); 16];
            for i in 0..8 {
                t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
                t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
            }
            // u[4g + c], 128-bit lane L: rows 4g..4g+4 of column 4L + c.
            let pd = _mm512_castps_pd;
            let ps = _mm512_castpd_ps;
            let mut u = [_mm512_setzero_ps(); 16];
            for g in 0..4 {
                let (lo, hi) = (t[4 * g], t[4 * g + 1]);
                let (lo2, hi2) = (t[4 * g + 2], t[4 * g + 3]);
                u[4 * g] = ps(_mm512_unpacklo_pd(pd(lo), pd(lo2)));
                u[4 * g + 1] = ps(_mm512_unpackhi_pd(pd(lo), pd(lo2)));
                u[4 * g + 2] = ps(_mm512_unpacklo_pd(pd(hi), pd(hi2)));
                u[4 * g + 3] = ps(_mm512_unpackhi_pd(pd(hi), pd(hi2)));
            }
            let mask: __mmask16 = if out >= 16 { 0xffff } else { (1u16 << out) - 1 };
            for c in 0..4 {
                let v = _mm512_shuffle_f32x4::<0x88>(u[c], u[4 + c]);
                let w = _mm512_shuffle_f32x4::<0xdd>(u[c], u[4 + c]);
                let v2 = _mm512_shuffle_f32x4::<0x88>(u[8 + c], u[12 + c]);
                let w2 = _mm512_shuffle_f32x4::<0xdd>(u[8 + c], u[12 + c]);
                let cols = [
                    (c, _mm512_shuffle_f32x4::<0x88>(v, v2)),
                    (4 + c, _mm512_shuffle_f32x4::<0x88>(w, w2)),
                    (8 + c, _mm512_shuffle_f32x4::<0xdd>(v, v2)),
                    (12 + c, _mm512_shuffle_f32x4::<0xdd>(w, w2)),
                ];
                for (k, col) in cols {
                    if k < depth {
                        _mm512_mask_storeu_ps(dst.add(k * d_stride), mask, col);
                    }
                }
            }
        }
    }
    /// The AVX2 version (AVX-512F implies AVX2): an expand from memory
    /// needs AVX-512VL for four lanes.
    #[inline(always)]
    unsafe fn expand4(src: *const f32, nibble: usize, dst: *mut f32) {
        // SAFETY: the caller upholds this function's `# Safety` contract,
        // which is the same.
        unsafe { <super::avx2::F32x8 as Simd>::expand4(src, nibble, dst) }
    }
}

impl Simd for F64x8 {
    type T = f64;
    type V = __m512d;
    const LANES: usize = 8;
    #[inline(always)]
    unsafe fn zero() -> __m512d {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm512_setzero_pd() }
    }
    #[inline(always)]
    unsafe fn splat(x: f64) -> __m512d {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm512_set1_pd(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f64) -> __m512d {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm512_loadu_pd(p) }
    }
    #[inline(always)]
    unsafe fn load_partial(p: *const f64, n: usize) -> __m512d {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm512_maskz_loadu_pd(((1u32 << n.min(8)) - 1) as __mmask8, p) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f64, v: __m512d) {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm512_storeu_pd(p, v) }
    }
    #[inline(always)]
    unsafe fn store_stream(p: *mut f64, v: __m512d) {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm512_stream_pd(p, v) }
    }
    #[inline(always)]
    unsafe fn store_partial(p: *mut f64, v: __m512d, n: usize) {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm512_mask_storeu_pd(p, ((1u32 << n.min(8)) - 1) as __mmask8, v) }
    }
    #[inline(always)]
    unsafe fn mul_add(a: __m512d, b: __m512d, c: __m512d) -> __m512d {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm512_fmadd_pd(a, b, c) }
    }
    #[inline(always)]
    unsafe fn add(a: __m512d, b: __m512d) -> __m512d {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm512_add_pd(a, b) }
    }
    #[inline(always)]
    unsafe fn mul(a: __m512d, b: __m512d) -> __m512d {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm512_mul_pd(a, b) }
    }
    #[inline(always)]
    unsafe fn relu(x: __m512d) -> __m512d {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm512_max_pd(x, _mm512_setzero_pd()) }
    }
    #[inline(always)]
    unsafe fn reduce_sum(x: __m512d) -> f64 {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm512_reduce_add_pd(x) }
    }
    /// 8 x 8: `unpack{lo,hi}_pd` pairs rows, two rounds of `shuffle_f64x2`
    /// gather each column's four 128-bit lanes.
    #[inline(always)]
    unsafe fn transpose_block(
        src: *const f64,
        s_w: usize,
        rows: usize,
        depth: usize,
        dst: *mut f64,
        d_stride: usize,
        out: usize,
    ) {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe {
            let r = Self::load_rows::<8>(src, s_w, rows, depth);
            // t[2g + c], lane L: rows 2g..2g+2 of column 2L + c.
            let mut t = [_mm512_setzero_pd(); 8];
            for g in 0..4 {
                t[2 * g] = _mm512_unpacklo_pd(r[2 * g], r[2 * g + 1]);
                t[2 * g + 1] = _mm512_unpackhi_pd(r[2 * g], r[2 * g + 1]);
            }
            let mask: __mmask8 = if out >= 8 { 0xff } else { (1u8 << out) - 1 };
            for c in 0..2 {
                let v = _mm512_shuffle_f64x2::<0x88>(t[c], t[2 + c]);
                let w = _mm512_shuffle_f64x2::<0xdd>(t[c], t[2 + c]);
                let v2 = _mm512_shuffle_f64x2::<0x88>(t[4 + c], t[6 + c]);
                let w2 = _mm512_shuffle_f64x2::<0xdd>(t[4 + c], t[6 + c]);
                let cols = [
                    (c, _mm512_shuffle_f64x2::<0x88>(v, v2)),
                    (2 + c, _mm512_shuffle_f64x2::<0x88>(w, w2)),
                    (4 + c, _mm512_shuffle_f64x2::<0xdd>(v, v2)),
                    (6 + c, _mm512_shuffle_f64x2::<0xdd>(w, w2)),
                ];
                for (k, col) in cols {
                    if k < depth {
                        _mm512_mask_storeu_pd(dst.add(k * d_stride), mask, col);
                    }
                }
            }
        }
    }
    /// The AVX2 version (AVX-512F implies AVX2): an expand from memory
    /// needs AVX-512VL for four lanes.
    #[inline(always)]
    unsafe fn expand4(src: *const f64, nibble: usize, dst: *mut f64) {
        // SAFETY: the caller upholds this function's `# Safety` contract,
        // which is the same.
        unsafe { <super::avx2::F64x4 as Simd>::expand4(src, nibble, dst) }
    }
}

// Every kernel family compiled for AVX-512F, and the marker type through
// which dispatch (`isa.rs`) finds them.

use super::isa::simd_isa;
use crate::gemm::kernel::simd_kernel;
use crate::gemm::skinny::skinny_kernel;
use crate::gemm::vector::vector_kernel;
use crate::sparse::sparse_kernel;
use crate::transpose::transpose_kernel;

/// AVX-512F: the kernels below, for `MATNET_KERNEL=avx512`.
pub(crate) struct Avx512;

simd_isa!(Avx512);

simd_kernel!(
    /// The BLIS micro-kernel: 12 x 32 (f32) and 12 x 16 (f64) tiles.
    Gemm, "avx512f",
    f32 => F32x16, 12 x 2;
    f64 => F64x8, 12 x 2;
);

simd_kernel!(
    /// The micro-kernel for products with few columns (n <= one vector, as a
    /// 10-class output layer makes): 24 x 16 (f32) and 24 x 8 (f64)
    /// tiles, so a 10-wide C wastes 6 of 16 lanes instead of 22 of 32.
    Narrow, "avx512f",
    f32 => F32x16, 24 x 1;
    f64 => F64x8, 24 x 1;
);

skinny_kernel!(
    /// Dot-product kernel for row-major A and at most one vector of columns
    /// (`skinny.rs`): 4 rows x 4 columns of accumulators.
    Dot, "avx512f",
    f32 => F32x16, 4;
    f64 => F64x8, 4;
);

vector_kernel!(
    /// One-row kernel on 16-lane (f32) or 8-lane (f64) vectors.
    Vector, "avx512f",
    f32 => F32x16;
    f64 => F64x8;
);

sparse_kernel!(
    /// Sparse x dense kernel (`sparse/mod.rs`): 4 rows x 4 vectors (64 f32
    /// or 32 f64 columns) of accumulators, 16 of the 32 zmm registers.
    Sparse, "avx512f",
    f32 => F32x16, 4;
    f64 => F64x8, 4;
);

transpose_kernel!(
    /// Out-of-place transpose in `LANES x LANES` register blocks.
    Transpose, "avx512f",
    f32 => F32x16;
    f64 => F64x8;
);
