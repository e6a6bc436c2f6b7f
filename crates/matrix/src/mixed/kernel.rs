//! The kernels of the half-precision products, as [`BlisKernel`]s the gemm
//! driver runs like any other:
//!
//! - [`Widened`]: any `f32` [`Kernel`], behind a packing that widens `bf16`
//!   or `f16` to `f32` (exact) as it copies. Every CPU has one.
//! - [`DotBf16`] (x86-64 with AVX512_BF16): `VDPBF16PS`, which multiplies
//!   16 pairs of `bf16` and adds both products of a pair to an `f32` lane,
//!   twice the products of an `f32` FMA per instruction from half the
//!   bytes. Its panels interleave pairs of k:
//!
//! ```text
//! panel[q * 2 * width + 2 * r + t] = src(row r, k = 2q + t)     (zero past kc)
//! ```
//!
//! so one 32-bit broadcast of A's pair `(a[i][2q], a[i][2q+1])` and one
//! 512-bit load of B's 16 column pairs feed one instruction:
//! `acc[i][j] += a[i][2q] * b[2q][j] + a[i][2q+1] * b[2q+1][j]`.

use std::cell::RefCell;
use std::marker::PhantomData;

use crate::arch::isa::Kernels;
use crate::gemm::kernel::{APanel, BPanel, BlisKernel, Kernel, Tile, TileEpilogue};

use super::Half;

thread_local! {
    /// The widened copy of the block being packed: reused, so a product
    /// allocates only the first time a thread packs a block this large.
    static WIDE: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// The `f32` gemm kernel of instruction set `I` reading `H` operands,
/// widened while packing (by code compiled for the same instruction set).
pub(crate) struct Widened<I, H>(PhantomData<(I, H)>);

/// The `f32` micro-kernel behind [`Widened`].
type K<I> = <I as Kernels<f32>>::Gemm;

impl<I: Kernels<f32>, H: Half> BlisKernel<f32> for Widened<I, H> {
    type Src = H;
    type Packed = f32;
    const MR: usize = <K<I> as Kernel<f32>>::MR;
    const NR: usize = <K<I> as Kernel<f32>>::NR;
    const MR_STEP: usize = <K<I> as Kernel<f32>>::MR_STEP;
    const NR_STEP: usize = <K<I> as Kernel<f32>>::NR_STEP;
    const K_GROUP: usize = 1;
    const READS_IN_PLACE: bool = false;

    #[inline(always)]
    unsafe fn tile(
        kc: usize,
        a: APanel<f32>,
        b: BPanel<f32>,
        tile: Tile<f32>,
        alpha: f32,
        beta: f32,
        epi: TileEpilogue<f32>,
    ) {
        // SAFETY: the same contract, forwarded.
        unsafe { <K<I> as Kernel<f32>>::tile(kc, a, b, tile, alpha, beta, epi) }
    }

    unsafe fn pack(
        len: usize,
        kc: usize,
        width: usize,
        src: *const H,
        s_w: usize,
        s_k: usize,
        dst: *mut f32,
    ) {
        // A block with contiguous rows (row-major A, `s_k == 1`) or
        // contiguous k rows (row-major B, `s_w == 1`) is widened a panel at
        // a time into a scratch copy of the same orientation (a vector at a
        // time; small enough to stay in L1 or L2), which `K`'s own packing
        // (in-register transposes, row sweeps) then packs. Exact either way:
        // the same panels as converting element by element.
        let widened = WIDE.with(|cell| {
            let Ok(mut wide) = cell.try_borrow_mut() else {
                return false;
            };
            if s_k != 1 && s_w != 1 {
                return false;
            }
            if wide.len() < width * kc {
                wide.resize(width * kc, 0.0);
            }
            for p in 0..len.div_ceil(width) {
                let rows = width.min(len - p * width);
                // SAFETY: panel `p` starts at row `p * width < len`.
                let s = unsafe { src.add(p * width * s_w) };
                // Lines of the panel: its rows (each kc long) or its k rows
                // (each `rows` long).
                let (lines, line_len, stride) = if s_k == 1 {
                    (rows, kc, s_w)
                } else {
                    (kc, rows, s_k)
                };
                for l in 0..lines {
                    // SAFETY: line `l` is `line_len` readable elements from
                    // `s + l * stride` (the caller's contract).
                    let line = unsafe { std::slice::from_raw_parts(s.add(l * stride), line_len) };
                    H::widen(I::KIND, line, &mut wide[l * line_len..(l + 1) * line_len]);
                }
                let (w_w, w_k) = if s_k == 1 { (kc, 1) } else { (1, rows) };
                // SAFETY: `wide` holds the panel as `rows x kc` elements
                // with strides `(w_w, w_k)`; panel `p` of `dst` has room for
                // `width * kc` elements (the caller's contract).
                unsafe {
                    <K<I> as Kernel<f32>>::pack(
                        rows,
                        kc,
                        width,
                        wide.as_ptr(),
                        w_w,
                        w_k,
                        dst.add(p * width * kc),
                    )
                };
            }
            true
        });
        if !widened {
            // SAFETY: the caller upholds `BlisKernel::pack`'s contract, which
            // is `pack_panels`' with a group of 1.
            unsafe { pack_panels::<H, f32, 1>(len, kc, width, src, s_w, s_k, dst, H::to_f32) }
        }
    }
}

/// Packs `len` rows of `w` into panels of `width` as `pack.rs` documents,
/// converting each element with `convert`, with k in groups of `G`: element
/// `(r, k)` of panel `p` goes to
/// `dst[p * width * kp + (k / G) * G * width + G * r + k % G]`, where
/// `kp = kc.next_multiple_of(G)`, and padding (rows past `len`, k past
/// `kc`) is zero.
///
/// # Safety
/// `src + r * s_w + k * s_k` is readable for `r < len`, `k < kc`; `dst` has
/// room for `len.div_ceil(width) * width * kp` elements.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn pack_panels<S: Copy, P: Copy + Default, const G: usize>(
    len: usize,
    kc: usize,
    width: usize,
    src: *const S,
    s_w: usize,
    s_k: usize,
    dst: *mut P,
    convert: impl Fn(S) -> P,
) {
    let kp = kc.next_multiple_of(G);
    for p in 0..len.div_ceil(width) {
        let rows = width.min(len - p * width);
        // SAFETY: panel `p` starts at row `p * width < len` of the source
        // and at element `p * width * kp` of `dst`, both in bounds.
        let (s, d) = unsafe { (src.add(p * width * s_w), dst.add(p * width * kp)) };
        for q in 0..kp / G {
            for r in 0..width {
                for t in 0..G {
                    let k = q * G + t;
                    let x = if r < rows && k < kc {
                        // SAFETY: `r < rows` and `k < kc` are in the block.
                        convert(unsafe { *s.add(r * s_w + k * s_k) })
                    } else {
                        P::default()
                    };
                    // SAFETY: `q * G * width + G * r + t < kp * width`.
                    unsafe { *d.add(q * G * width + G * r + t) = x };
                }
            }
        }
    }
}

/// The `VDPBF16PS` kernel: a 12 x 32 tile (24 zmm accumulators), the
/// shape and steps of the `f32` AVX-512 kernel, so that the same plan
/// drives either.
#[cfg(target_arch = "x86_64")]
pub(crate) struct DotBf16;

#[cfg(target_arch = "x86_64")]
const DOT_MR: usize = 12;
#[cfg(target_arch = "x86_64")]
const DOT_NV: usize = 2;

#[cfg(target_arch = "x86_64")]
impl BlisKernel<f32> for DotBf16 {
    type Src = half::bf16;
    type Packed = half::bf16;
    const MR: usize = DOT_MR;
    const NR: usize = DOT_NV * 16;
    const MR_STEP: usize = 4;
    const NR_STEP: usize = 16;
    const K_GROUP: usize = 2;
    const READS_IN_PLACE: bool = false;

    unsafe fn tile(
        kc: usize,
        a: APanel<half::bf16>,
        b: BPanel<half::bf16>,
        tile: Tile<f32>,
        alpha: f32,
        beta: f32,
        epi: TileEpilogue<f32>,
    ) {
        let (APanel::Packed(a), BPanel::Packed(b)) = (a, b) else {
            unreachable!("the bf16 dot kernel reads packed panels only")
        };
        // SAFETY: the kernel is selected only where the CPU has AVX512F and
        // AVX512_BF16 (`HalfPath::is_supported`); the memory contract is
        // the caller's.
        unsafe { dot_bf16_tile(kc.div_ceil(2), a, b, tile, alpha, beta, epi) }
    }

    unsafe fn pack(
        len: usize,
        kc: usize,
        width: usize,
        src: *const half::bf16,
        s_w: usize,
        s_k: usize,
        dst: *mut half::bf16,
    ) {
        if s_k == 1 || s_w == 1 {
            // SAFETY: as `BlisKernel::pack`; the kernel is selected only
            // where the CPU has AVX-512 (F, BW: every AVX512_BF16 CPU).
            unsafe {
                pack_pairs(
                    len,
                    kc,
                    kc.next_multiple_of(2),
                    width,
                    src.cast(),
                    s_w,
                    s_k,
                    dst.cast(),
                )
            }
        } else {
            // SAFETY: `BlisKernel::pack`'s contract is `pack_panels`' with
            // a group of 2.
            unsafe { pack_panels::<_, _, 2>(len, kc, width, src, s_w, s_k, dst, |x| x) }
        }
    }
}

/// [`pack_panels`] with `G = 2` for the two layouts with a unit stride,
/// on the raw 16-bit patterns: row-major A (`s_k == 1`), where a k pair is
/// one 32-bit word of a row, and row-major B (`s_w == 1`), where a panel's
/// two k rows interleave. Each panel holds `kp` k (an even number, at least
/// `kc`; zero past `kc`: the AMX kernel pads to its 32-k chunks). Written
/// as plain loops that LLVM vectorizes for AVX-512.
///
/// # Safety
/// As [`pack_panels`] with `G = 2`, panels `width * kp` apart, `s_k == 1
/// || s_w == 1`; the CPU has AVX512F and AVX512BW.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
#[allow(clippy::too_many_arguments)] // pack's arguments and the padded depth
pub(crate) unsafe fn pack_pairs(
    len: usize,
    kc: usize,
    kp: usize,
    width: usize,
    src: *const u16,
    s_w: usize,
    s_k: usize,
    dst: *mut u16,
) {
    debug_assert!(kp >= kc && kp.is_multiple_of(2));
    let whole = kc / 2;
    for p in 0..len.div_ceil(width) {
        let rows = width.min(len - p * width);
        // SAFETY: panel `p` is in the block and in `dst` (the contract).
        unsafe {
            let (s, d) = (src.add(p * width * s_w), dst.add(p * width * kp));
            // Zero: the pairs past `kc` (the odd last k, and `kp`'s
            // padding), and in a partial panel the rows past `rows`.
            let full = whole * 2 * width;
            std::ptr::write_bytes(d.add(full), 0, width * kp - full);
            if rows < width {
                for q in 0..whole {
                    let pad = d.add(q * 2 * width + 2 * rows);
                    std::ptr::write_bytes(pad, 0, 2 * (width - rows));
                }
            }
            if s_k == 1 {
                for r in 0..rows {
                    let row = s.add(r * s_w);
                    for q in 0..whole {
                        let pair = row.add(2 * q).cast::<u32>().read_unaligned();
                        d.add(q * 2 * width + 2 * r)
                            .cast::<u32>()
                            .write_unaligned(pair);
                    }
                    if kc % 2 == 1 {
                        *d.add(whole * 2 * width + 2 * r) = *row.add(kc - 1);
                    }
                }
            } else {
                // Two k rows interleaved into 32-bit pairs: a form LLVM
                // vectorizes (unpacks of two vectors of u16).
                for q in 0..whole {
                    let k0 = std::slice::from_raw_parts(s.add(2 * q * s_k), rows);
                    let k1 = std::slice::from_raw_parts(s.add((2 * q + 1) * s_k), rows);
                    let out =
                        std::slice::from_raw_parts_mut(d.add(q * 2 * width).cast::<u32>(), rows);
                    for ((o, &lo), &hi) in out.iter_mut().zip(k0).zip(k1) {
                        *o = u32::from(lo) | (u32::from(hi) << 16);
                    }
                }
                if kc % 2 == 1 {
                    let k0 = s.add((kc - 1) * s_k);
                    for r in 0..rows {
                        *d.add(full + 2 * r) = *k0.add(r);
                    }
                }
            }
        }
    }
}

/// One tile from `pairs` k pairs of packed panels (layout in the module
/// docs), written back as the `f32` AVX-512 kernel writes its tiles.
///
/// # Safety
/// `a` holds `pairs * 2 * 12` elements, `b` `pairs * 2 * 32`; the tile and
/// epilogue as [`Kernel::tile`]; the CPU has AVX512F and AVX512_BF16.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bf16")]
unsafe fn dot_bf16_tile(
    pairs: usize,
    a: *const half::bf16,
    b: *const half::bf16,
    tile: Tile<f32>,
    alpha: f32,
    beta: f32,
    epi: TileEpilogue<f32>,
) {
    use crate::arch::avx512::F32x16;
    use crate::gemm::kernel::{write_row, write_tile};
    use std::arch::x86_64::*;

    // SAFETY: the caller upholds this function's `# Safety` contract; every
    // offset below stays inside the panels it states.
    unsafe {
        let mut acc = [[_mm512_setzero_ps(); DOT_NV]; DOT_MR];
        let (mut a, mut b) = (a.cast::<i32>(), b);
        for _ in 0..pairs {
            let mut bv = [_mm512_setzero_ps(); DOT_NV];
            for (v, bv) in bv.iter_mut().enumerate() {
                *bv = _mm512_loadu_ps(b.add(v * 32).cast());
            }
            for (i, row) in acc.iter_mut().enumerate() {
                let ai: __m512bh =
                    std::mem::transmute(_mm512_set1_epi32(a.add(i).read_unaligned()));
                for v in 0..DOT_NV {
                    let bh: __m512bh = std::mem::transmute(bv[v]);
                    row[v] = _mm512_dpbf16_ps(row[v], ai, bh);
                }
            }
            a = a.add(DOT_MR);
            b = b.add(2 * DOT_NV * 16);
        }
        if tile.m == DOT_MR && tile.cs == 1 && beta == 0.0 {
            let (c, rs, n, bias) = (tile.ptr, tile.rs, tile.n, epi.bias);
            match (!bias.is_null(), epi.relu) {
                (false, false) => {
                    write_tile::<F32x16, DOT_MR, DOT_NV, false, false>(&acc, c, rs, n, alpha, bias)
                }
                (false, true) => {
                    write_tile::<F32x16, DOT_MR, DOT_NV, false, true>(&acc, c, rs, n, alpha, bias)
                }
                (true, false) => {
                    write_tile::<F32x16, DOT_MR, DOT_NV, true, false>(&acc, c, rs, n, alpha, bias)
                }
                (true, true) => {
                    write_tile::<F32x16, DOT_MR, DOT_NV, true, true>(&acc, c, rs, n, alpha, bias)
                }
            }
            return;
        }
        for (i, row) in acc.iter().enumerate().take(tile.m) {
            write_row::<F32x16, DOT_NV>(
                tile.ptr.add(i * tile.rs),
                tile.cs,
                tile.n,
                row,
                alpha,
                beta,
                epi,
            );
        }
    }
}
