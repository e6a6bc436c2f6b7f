//! AVX2 + FMA micro-kernels: 6 x 16 (f32) and 6 x 8 (f64) tiles, plus
//! 12 x 8 / 12 x 4 narrow ones for C with at most one vector of columns.
//!
//! 16 ymm registers: 12 accumulators (6 rows x 2 vectors), 2 for the B row,
//! 1 for the broadcast A element.
//!
//! Every `unsafe fn` here implements a [`Simd`] method, whose `# Safety`
//! section is its contract: the CPU has the instructions, and pointers cover
//! the lanes the method reads or writes.

use std::arch::x86_64::*;

use super::Simd;

pub(crate) struct F32x8;
pub(crate) struct F64x4;

impl Simd for F32x8 {
    type T = f32;
    type V = __m256;
    const LANES: usize = 8;
    #[inline(always)]
    unsafe fn zero() -> __m256 {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm256_setzero_ps() }
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> __m256 {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm256_set1_ps(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> __m256 {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm256_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn load_partial(p: *const f32, n: usize) -> __m256 {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe {
            let lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
            _mm256_maskload_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(n as i32), lane))
        }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: __m256) {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm256_storeu_ps(p, v) }
    }
    #[inline(always)]
    unsafe fn store_stream(p: *mut f32, v: __m256) {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm256_stream_ps(p, v) }
    }
    /// In halving pieces (4, 2, 1 lanes) from the low end, each a plain
    /// store: the default's element loop becomes a `memcpy` call, and a
    /// masked store (`vmaskmovps`) is slow on some AMD cores.
    #[inline(always)]
    unsafe fn store_partial(p: *mut f32, v: __m256, n: usize) {
        // SAFETY: the caller upholds this function's `# Safety` contract:
        // each piece stores lanes below n, at p plus the lanes before it.
        unsafe {
            let (mut p, mut n) = (p, n.min(7));
            let mut low = _mm256_castps256_ps128(v);
            if n >= 4 {
                _mm_storeu_ps(p, low);
                low = _mm256_extractf128_ps(v, 1);
                (p, n) = (p.add(4), n - 4);
            }
            if n >= 2 {
                _mm_store_sd(p.cast::<f64>(), _mm_castps_pd(low));
                low = _mm_movehl_ps(low, low);
                (p, n) = (p.add(2), n - 2);
            }
            if n == 1 {
                _mm_store_ss(p, low);
            }
        }
    }
    #[inline(always)]
    unsafe fn mul_add(a: __m256, b: __m256, c: __m256) -> __m256 {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm256_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    unsafe fn add(a: __m256, b: __m256) -> __m256 {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm256_add_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn mul(a: __m256, b: __m256) -> __m256 {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm256_mul_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn relu(x: __m256) -> __m256 {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe {
            // max returns its second operand when either is NaN or both are zero:
            // exactly `if x > 0 { x } else { 0 }`.
            _mm256_max_ps(x, _mm256_setzero_ps())
        }
    }
    #[inline(always)]
    unsafe fn reduce_sum(x: __m256) -> f32 {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe {
            let s = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
            let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps(s, s, 1)))
        }
    }
    /// 8 x 8: `unpack{lo,hi}_ps` pairs rows, `unpack{lo,hi}_pd` makes 4-row
    /// columns in each 128-bit lane, `permute2f128` joins the two halves.
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
            let r = Self::load_rows::<8>(src, s_w, rows, depth);
            let mut t = [_mm256_setzero_ps(); 8];
            for i in 0..4 {
                t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
                t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
            }
            // u[4g + c], lane L: rows 4g..4g+4 of column 4L + c.
            let pd = _mm256_castps_pd;
            let ps = _mm256_castpd_ps;
            let mut u = [_mm256_setzero_ps(); 8];
            for g in 0..2 {
                let (lo, hi) = (t[4 * g], t[4 * g + 1]);
                let (lo2, hi2) = (t[4 * g + 2], t[4 * g + 3]);
                u[4 * g] = ps(_mm256_unpacklo_pd(pd(lo), pd(lo2)));
                u[4 * g + 1] = ps(_mm256_unpackhi_pd(pd(lo), pd(lo2)));
                u[4 * g + 2] = ps(_mm256_unpacklo_pd(pd(hi), pd(hi2)));
                u[4 * g + 3] = ps(_mm256_unpackhi_pd(pd(hi), pd(hi2)));
            }
            let lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
            let mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(out as i32), lane);
            for c in 0..4 {
                let lo = _mm256_permute2f128_ps::<0x20>(u[c], u[4 + c]);
                let hi = _mm256_permute2f128_ps::<0x31>(u[c], u[4 + c]);
                if c < depth {
                    _mm256_maskstore_ps(dst.add(c * d_stride), mask, lo);
                }
                if 4 + c < depth {
                    _mm256_maskstore_ps(dst.add((4 + c) * d_stride), mask, hi);
                }
            }
        }
    }
    /// One `vpermilps` moves each entry's value into place, and an AND
    /// zeroes the entries whose bit is clear.
    #[inline(always)]
    unsafe fn expand4(src: *const f32, nibble: usize, dst: *mut f32) {
        // SAFETY: the caller upholds this function's `# Safety` contract;
        // the tables have 16 rows and nibble < 16.
        unsafe {
            let packed = _mm_loadu_ps(src);
            let (from, keep) = (&EXPAND4_FROM[nibble], &EXPAND4_KEEP[nibble]);
            let moved = _mm_permutevar_ps(packed, _mm_loadu_si128(from.as_ptr().cast()));
            let keep = _mm_castsi128_ps(_mm_loadu_si128(keep.as_ptr().cast()));
            _mm_storeu_ps(dst, _mm_and_ps(moved, keep));
        }
    }
}

impl Simd for F64x4 {
    type T = f64;
    type V = __m256d;
    const LANES: usize = 4;
    #[inline(always)]
    unsafe fn zero() -> __m256d {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm256_setzero_pd() }
    }
    #[inline(always)]
    unsafe fn splat(x: f64) -> __m256d {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm256_set1_pd(x) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f64) -> __m256d {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm256_loadu_pd(p) }
    }
    #[inline(always)]
    unsafe fn load_partial(p: *const f64, n: usize) -> __m256d {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe {
            let lane = _mm256_setr_epi64x(0, 1, 2, 3);
            _mm256_maskload_pd(p, _mm256_cmpgt_epi64(_mm256_set1_epi64x(n as i64), lane))
        }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f64, v: __m256d) {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm256_storeu_pd(p, v) }
    }
    #[inline(always)]
    unsafe fn store_stream(p: *mut f64, v: __m256d) {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm256_stream_pd(p, v) }
    }
    /// In halving pieces (2, 1 lanes), as for f32.
    #[inline(always)]
    unsafe fn store_partial(p: *mut f64, v: __m256d, n: usize) {
        // SAFETY: the caller upholds this function's `# Safety` contract:
        // each piece stores lanes below n, at p plus the lanes before it.
        unsafe {
            let (mut p, mut n) = (p, n.min(3));
            let mut low = _mm256_castpd256_pd128(v);
            if n >= 2 {
                _mm_storeu_pd(p, low);
                low = _mm256_extractf128_pd(v, 1);
                (p, n) = (p.add(2), n - 2);
            }
            if n == 1 {
                _mm_store_sd(p, low);
            }
        }
    }
    #[inline(always)]
    unsafe fn mul_add(a: __m256d, b: __m256d, c: __m256d) -> __m256d {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm256_fmadd_pd(a, b, c) }
    }
    #[inline(always)]
    unsafe fn add(a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm256_add_pd(a, b) }
    }
    #[inline(always)]
    unsafe fn mul(a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm256_mul_pd(a, b) }
    }
    #[inline(always)]
    unsafe fn relu(x: __m256d) -> __m256d {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { _mm256_max_pd(x, _mm256_setzero_pd()) }
    }
    #[inline(always)]
    unsafe fn reduce_sum(x: __m256d) -> f64 {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe {
            let s = _mm_add_pd(_mm256_castpd256_pd128(x), _mm256_extractf128_pd(x, 1));
            _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)))
        }
    }
    /// 4 x 4: `unpack{lo,hi}_pd` pairs rows, `permute2f128` joins the halves.
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
            let r = Self::load_rows::<4>(src, s_w, rows, depth);
            // t[2g + c], lane L: rows 2g..2g+2 of column 2L + c.
            let t = [
                _mm256_unpacklo_pd(r[0], r[1]),
                _mm256_unpackhi_pd(r[0], r[1]),
                _mm256_unpacklo_pd(r[2], r[3]),
                _mm256_unpackhi_pd(r[2], r[3]),
            ];
            let lane = _mm256_setr_epi64x(0, 1, 2, 3);
            let mask = _mm256_cmpgt_epi64(_mm256_set1_epi64x(out as i64), lane);
            for c in 0..2 {
                let lo = _mm256_permute2f128_pd::<0x20>(t[c], t[2 + c]);
                let hi = _mm256_permute2f128_pd::<0x31>(t[c], t[2 + c]);
                if c < depth {
                    _mm256_maskstore_pd(dst.add(c * d_stride), mask, lo);
                }
                if 2 + c < depth {
                    _mm256_maskstore_pd(dst.add((2 + c) * d_stride), mask, hi);
                }
            }
        }
    }
    /// As for f32, on pairs of 32-bit lanes: one `vpermps` and an AND.
    #[inline(always)]
    unsafe fn expand4(src: *const f64, nibble: usize, dst: *mut f64) {
        // SAFETY: the caller upholds this function's `# Safety` contract;
        // the tables have 16 rows and nibble < 16.
        unsafe {
            let packed = _mm256_castpd_ps(_mm256_loadu_pd(src));
            let (from, keep) = (&EXPAND4_FROM_PAIRS[nibble], &EXPAND4_KEEP_PAIRS[nibble]);
            let from = _mm256_loadu_si256(from.as_ptr().cast());
            let keep = _mm256_castsi256_ps(_mm256_loadu_si256(keep.as_ptr().cast()));
            let moved = _mm256_and_ps(_mm256_permutevar8x32_ps(packed, from), keep);
            _mm256_storeu_pd(dst, _mm256_castps_pd(moved));
        }
    }
}

/// For each 4-bit mask, where [`Simd::expand4`] takes entry `r` from (the
/// number of set bits below `r`), and all ones in the entries whose bit is
/// set: in 32-bit lanes for f32, and in pairs of them for f64.
static EXPAND4_FROM: [[i32; 4]; 16] = expand4_table(1, false);
static EXPAND4_KEEP: [[i32; 4]; 16] = expand4_table(1, true);
static EXPAND4_FROM_PAIRS: [[i32; 8]; 16] = expand4_table(2, false);
static EXPAND4_KEEP_PAIRS: [[i32; 8]; 16] = expand4_table(2, true);

/// [`EXPAND4_FROM`] (`keep` false) or [`EXPAND4_KEEP`] (`keep` true) with
/// each entry `width` 32-bit lanes wide (`N = 4 * width`).
const fn expand4_table<const N: usize>(width: usize, keep: bool) -> [[i32; N]; 16] {
    let mut table = [[0; N]; 16];
    let mut nibble = 0;
    while nibble < 16 {
        let mut lane = 0;
        while lane < N {
            let r = lane / width;
            table[nibble][lane] = if keep {
                -(((nibble >> r) & 1) as i32)
            } else {
                let below = (nibble & ((1 << r) - 1)).count_ones() as usize;
                (below * width + lane % width) as i32
            };
            lane += 1;
        }
        nibble += 1;
    }
    table
}

// Every kernel family compiled for AVX2 + FMA, and the marker type through
// which dispatch (`isa.rs`) finds them.

use super::isa::simd_isa;
use crate::gemm::kernel::simd_kernel;
use crate::gemm::skinny::skinny_kernel;
use crate::gemm::vector::vector_kernel;
use crate::sparse::sparse_kernel;
use crate::transpose::transpose_kernel;

/// AVX2 + FMA: the kernels below, for `MATNET_KERNEL=avx2`.
pub(crate) struct Avx2;

simd_isa!(Avx2);

simd_kernel!(
    /// The BLIS micro-kernel: 6 x 16 (f32) and 6 x 8 (f64) tiles.
    Gemm, "avx2,fma",
    f32 => F32x8, 6 x 2;
    f64 => F64x4, 6 x 2;
);

simd_kernel!(
    /// The micro-kernel for products with few columns (n <= one vector, as a
    /// 10-class output layer makes): 12 x 8 (f32) and 12 x 4 (f64)
    /// tiles, so a 10-wide C wastes 6 of 16 lanes instead of 22 of 32.
    Narrow, "avx2,fma",
    f32 => F32x8, 12 x 1;
    f64 => F64x4, 12 x 1;
);

skinny_kernel!(
    /// Dot-product kernel for row-major A and at most one vector of columns
    /// (`skinny.rs`): 4 rows x 2 columns of accumulators.
    Dot, "avx2,fma",
    f32 => F32x8, 2;
    f64 => F64x4, 2;
);

vector_kernel!(
    /// One-row kernel on 8-lane (f32) or 4-lane (f64) vectors.
    Vector, "avx2,fma",
    f32 => F32x8;
    f64 => F64x4;
);

sparse_kernel!(
    /// Sparse x dense kernel (`sparse/mod.rs`): 4 rows x 2 vectors (16 f32
    /// or 8 f64 columns) of accumulators, 8 of the 16 ymm registers.
    Sparse, "avx2,fma",
    f32 => F32x8, 2;
    f64 => F64x4, 2;
);

transpose_kernel!(
    /// Out-of-place transpose in `LANES x LANES` register blocks.
    Transpose, "avx2,fma",
    f32 => F32x8;
    f64 => F64x4;
);
