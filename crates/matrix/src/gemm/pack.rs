//! Packing: copying a block of A or B into the panel order the micro-kernel
//! streams through.
//!
//! Both operands pack the same way. A block of `len x kc` elements, element
//! `(w, k)` at `src + w * s_w + k * s_k`, is cut into panels of `width` rows
//! of `w` (MR for A, NR for B); panel `p` stores
//!
//! ```text
//! dst[p * kc * width + k * width + r] = src[(p * width + r) * s_w + k * s_k]
//! ```
//!
//! and the last panel is zero-padded to the full width, so the micro-kernel
//! never needs a bounds check. For A, `w` is the row index (`s_w = rs_a`,
//! `s_k = cs_a`); for B, `w` is the column index (`s_w = cs_b`, `s_k = rs_b`).

use crate::arch::{load_lanes, prefetch, store_lanes, Simd};
use crate::Scalar;

/// Packs a block of `len` rows of `w` into `len.div_ceil(width)` panels,
/// one after another (`width * kc` elements each), the last zero-padded:
/// the plain reference of every kernel's [`Kernel::pack`].
///
/// # Safety
/// `src + r * s_w + k * s_k` is readable for `r < len`, `k < kc`, and `dst`
/// has room for `len.div_ceil(width) * width * kc` elements.
///
/// [`Kernel::pack`]: super::kernel::Kernel::pack
pub(crate) unsafe fn pack_block<T: Scalar>(
    len: usize,
    kc: usize,
    width: usize,
    src: *const T,
    s_w: usize,
    s_k: usize,
    dst: *mut T,
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        for p in 0..len.div_ceil(width) {
            let rows = width.min(len - p * width);
            let (s, d) = (src.add(p * width * s_w), dst.add(p * width * kc));
            pack_panel(rows, kc, width, s, s_w, s_k, d);
        }
    }
}

/// [`pack_block`] with vector code, by layout:
///
/// - `s_w == 1` (row-major B, column-major A): a row sweep. For each k,
///   the block's whole source row (contiguous) is copied a vector at a
///   time into every panel. The source streams in order; packing panel by
///   panel would instead walk `kc` rows at a stride per panel, one page
///   each for a big operand, which made packing a large share of the
///   product's time.
/// - `s_k == 1` (row-major A, B as the transpose of a row-major matrix):
///   [`pack_panel_simd`]'s in-register transposes, panel by panel.
/// - anything else: the plain element loop.
///
/// # Safety
/// As [`pack_block`], compiled with the target features `S` needs.
#[inline(always)]
pub(crate) unsafe fn pack_block_simd<S: Simd>(
    len: usize,
    kc: usize,
    width: usize,
    src: *const S::T,
    s_w: usize,
    s_k: usize,
    dst: *mut S::T,
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        if s_w != 1 {
            for p in 0..len.div_ceil(width) {
                let rows = width.min(len - p * width);
                let (s, d) = (src.add(p * width * s_w), dst.add(p * width * kc));
                pack_panel_simd::<S>(rows, kc, width, s, s_w, s_k, d);
            }
            return;
        }
        if len == 0 {
            return;
        }
        let lanes = S::LANES;
        let panels = len.div_ceil(width);
        let line = (64 / std::mem::size_of::<S::T>()).max(1);
        for k in 0..kc {
            let s_row = src.add(k * s_k);
            // Each source row is only a few cache lines long, too short a run for
            // the hardware prefetcher: ask for the row PREFETCH_ROWS ahead.
            if k + PREFETCH_ROWS < kc {
                let ahead = s_row.add(PREFETCH_ROWS * s_k);
                let mut r = 0;
                while r < len {
                    prefetch(ahead.add(r));
                    r += line;
                }
                prefetch(ahead.add(len - 1));
            }
            for p in 0..panels {
                let rows = width.min(len - p * width);
                let (s, d) = (s_row.add(p * width), dst.add(p * width * kc + k * width));
                let mut r = 0;
                while r < width {
                    let n = lanes.min(width - r);
                    let real = rows.saturating_sub(r).min(n);
                    let v = load_lanes::<S>(s.add(r), real);
                    store_lanes::<S>(d.add(r), v, n);
                    r += lanes;
                }
            }
        }
    }
}

/// How many source rows ahead [`pack_block_simd`]'s row sweep prefetches.
const PREFETCH_ROWS: usize = 8;

/// Packs one panel of `rows <= width` real rows.
///
/// # Safety
/// `src + r * s_w + k * s_k` is readable for `r < rows`, `k < kc`, and
/// `dst` has room for `width * kc` elements.
#[inline]
pub(crate) unsafe fn pack_panel<T: Scalar>(
    rows: usize,
    kc: usize,
    width: usize,
    src: *const T,
    s_w: usize,
    s_k: usize,
    dst: *mut T,
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        if s_w == 1 {
            // The panel's rows are contiguous in memory for each k: one copy per k.
            // A plain loop, not `copy_nonoverlapping`: the runs are 4 to 32
            // elements, where a libc call costs more than the copy.
            for k in 0..kc {
                let (d, s) = (dst.add(k * width), src.add(k * s_k));
                for r in 0..rows {
                    *d.add(r) = *s.add(r);
                }
                for r in rows..width {
                    *d.add(r) = T::ZERO;
                }
            }
        } else if s_k == 1 {
            // Each row is contiguous along k: read rows sequentially, scatter by
            // `width`. Blocks of 8 k's keep the writes inside a few cache lines.
            const KB: usize = 8;
            let mut k0 = 0;
            while k0 < kc {
                let kb = KB.min(kc - k0);
                for r in 0..rows {
                    let s = src.add(r * s_w + k0);
                    for kk in 0..kb {
                        *dst.add((k0 + kk) * width + r) = *s.add(kk);
                    }
                }
                for r in rows..width {
                    for kk in 0..kb {
                        *dst.add((k0 + kk) * width + r) = T::ZERO;
                    }
                }
                k0 += kb;
            }
        } else {
            for k in 0..kc {
                let d = dst.add(k * width);
                for r in 0..rows {
                    *d.add(r) = *src.add(r * s_w + k * s_k);
                }
                for r in rows..width {
                    *d.add(r) = T::ZERO;
                }
            }
        }
    }
}

/// [`pack_panel`] with the source contiguous along k (`s_k == 1`: row-major
/// A, or B read as the transpose of a row-major matrix) done as
/// `LANES x LANES` in-register transposes ([`Simd::transpose_block`]): each
/// source row is read a whole vector (a cache line with AVX-512) at a time
/// and each packed k row is written with vector stores, instead of one
/// scattered store per element. Other layouts go to [`pack_panel`].
///
/// # Safety
/// As [`pack_panel`], compiled with the target features `S` needs.
#[inline(always)]
pub(crate) unsafe fn pack_panel_simd<S: Simd>(
    rows: usize,
    kc: usize,
    width: usize,
    src: *const S::T,
    s_w: usize,
    s_k: usize,
    dst: *mut S::T,
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        let lanes = S::LANES;
        if s_k != 1 || s_w == 1 {
            return pack_panel(rows, kc, width, src, s_w, s_k, dst);
        }
        let mut k0 = 0;
        while k0 < kc {
            // The source rows are short runs (kc elements) spread over many
            // pages, too short for the hardware prefetcher to lock on to: ask
            // for the next panel's rows (one cache line each) a panel ahead.
            for r in 0..width {
                prefetch(src.wrapping_add((width + r) * s_w + k0));
            }
            // The last block may be shallower than a vector (k = 10 for the
            // 10-class layer's `dZ Wᵀ`): masked loads, fewer stores.
            let depth = lanes.min(kc - k0);
            let mut r0 = 0;
            while r0 < width {
                let real = rows.saturating_sub(r0).min(lanes);
                let out = lanes.min(width - r0);
                S::transpose_block(
                    src.add(r0 * s_w + k0),
                    s_w,
                    real,
                    depth,
                    dst.add(k0 * width + r0),
                    width,
                    out,
                );
                r0 += lanes;
            }
            k0 += lanes;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every layout path gives the documented panel order.
    #[test]
    fn pack_matches_the_formula_for_every_stride_case() {
        let (len, kc, width) = (7, 5, 4);
        let src: Vec<f64> = (0..200).map(|x| x as f64 + 1.0).collect();
        for (s_w, s_k) in [(1, 9), (9, 1), (3, 25)] {
            let mut dst = vec![-1.0; 2 * width * kc];
            for p in 0..2 {
                let rows = width.min(len - p * width);
                // SAFETY: max offset (len-1)*s_w + (kc-1)*s_k < 200; each panel
                // writes its own kc*width slice of dst.
                unsafe {
                    let src = src.as_ptr().add(p * width * s_w);
                    pack_panel(
                        rows,
                        kc,
                        width,
                        src,
                        s_w,
                        s_k,
                        dst.as_mut_ptr().add(p * width * kc),
                    )
                };
            }
            for p in 0..2 {
                for k in 0..kc {
                    for r in 0..width {
                        let w = p * width + r;
                        let want = if w < len { src[w * s_w + k * s_k] } else { 0.0 };
                        assert_eq!(
                            dst[p * kc * width + k * width + r],
                            want,
                            "s_w={s_w} s_k={s_k}"
                        );
                    }
                }
            }
        }
    }

    /// Every kernel's `pack` (vector row sweeps and in-register transposes)
    /// equals the plain [`pack_block`], for one to three panels, partial
    /// and full, k below, at and around multiples of the vector width, and
    /// writes nothing past the block.
    fn pack_equals_plain<T: Scalar, K: crate::gemm::kernel::Kernel<T>>(name: &str) {
        for width in [K::MR, K::NR] {
            for len in (0..=width).chain([width + 1, 2 * width + width / 2, 3 * width]) {
                for kc in [0, 1, 3, 4, 7, 8, 15, 16, 17, 33, 40] {
                    for (s_w, s_k) in [(kc + 5, 1), (1, len + 3), (kc + 2, len + 1)] {
                        let src_len = len.max(1) * s_w.max(1) + kc * s_k + 64;
                        let src: Vec<T> =
                            (0..src_len).map(|x| T::from_f64(x as f64 + 0.5)).collect();
                        let packed = len.div_ceil(width) * width * kc;
                        let mut want = vec![T::from_f64(-7.0); packed + 3];
                        let mut got = want.clone();
                        // SAFETY: offsets (len-1)*s_w + (kc-1)*s_k < src_len;
                        // dst holds the packed block; the kernel was checked
                        // as supported.
                        unsafe {
                            pack_block(len, kc, width, src.as_ptr(), s_w, s_k, want.as_mut_ptr());
                            K::pack(len, kc, width, src.as_ptr(), s_w, s_k, got.as_mut_ptr());
                        }
                        assert!(
                            want.iter()
                                .zip(&got)
                                .all(|(a, b)| a.to_f64().to_bits() == b.to_f64().to_bits()),
                            "{name}: width {width} len {len} kc {kc} s_w {s_w} s_k {s_k}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn every_kernels_pack_equals_the_plain_pack() {
        use crate::arch::isa::{with_kernels, Kernels, WithKernels};
        struct Check;
        impl<T: Scalar> WithKernels<T> for Check {
            type Output = ();
            fn run<K: Kernels<T>>(self) {
                let name = format!("{} {}", K::KIND, T::NAME);
                pack_equals_plain::<T, K::Gemm>(&name);
                if K::HAS_NARROW {
                    pack_equals_plain::<T, K::Narrow>(&format!("{name} narrow"));
                }
            }
        }
        for kind in crate::KernelKind::supported() {
            with_kernels::<f32, _>(kind, Check);
            with_kernels::<f64, _>(kind, Check);
        }
    }

    /// Each ISA's masked `load_partial` equals the plain one for every
    /// count, reading from the very end of a buffer (nothing past it), and
    /// `store_partial` writes exactly the first `n` lanes.
    #[test]
    fn partial_loads_match_the_plain_version() {
        fn check<S: Simd>(name: &str) {
            let lanes = S::LANES;
            let data: Vec<S::T> = (0..lanes).map(|i| S::T::from_f64(i as f64 + 1.0)).collect();
            for n in 0..lanes {
                let src = data[lanes - n..].as_ptr();
                let mut got = vec![S::T::ZERO; lanes];
                let mut want = data[lanes - n..].to_vec();
                want.resize(lanes, S::T::ZERO);
                // SAFETY: n elements readable at src; lanes writable in got.
                unsafe { S::store(got.as_mut_ptr(), S::load_partial(src, n)) };
                assert_eq!(got, want, "{name} n={n}");
                // store_partial writes the first n lanes and nothing after.
                let mut out = vec![S::T::from_f64(-1.0); lanes];
                // SAFETY: lanes readable in data, n <= lanes writable in out.
                unsafe { S::store_partial(out.as_mut_ptr(), S::load(data.as_ptr()), n) };
                for (i, &x) in out.iter().enumerate() {
                    let expect = if i < n { data[i] } else { S::T::from_f64(-1.0) };
                    assert_eq!(x, expect, "{name} store_partial n={n} lane {i}");
                }
            }
        }
        #[cfg(target_arch = "x86_64")]
        {
            #[target_feature(enable = "avx512f")]
            fn avx512() {
                check::<crate::arch::avx512::F32x16>("avx512 f32");
                check::<crate::arch::avx512::F64x8>("avx512 f64");
            }
            #[target_feature(enable = "avx2,fma")]
            fn avx2() {
                check::<crate::arch::avx2::F32x8>("avx2 f32");
                check::<crate::arch::avx2::F64x4>("avx2 f64");
            }
            // SAFETY: each runs only where the CPU has its features.
            unsafe {
                if crate::KernelKind::Avx512.is_supported() {
                    avx512();
                }
                if crate::KernelKind::Avx2.is_supported() {
                    avx2();
                }
            }
        }
        check::<crate::arch::portable::Arr<f32>>("portable f32");
    }
}
