//! `f32` to and from `bf16` / `f16`, round to nearest even, a slice at a
//! time.
//!
//! `bf16` is the top half of an `f32`: widening is a shift, and narrowing
//! adds `0x7FFF` plus the lowest kept bit before the shift (round to
//! nearest, ties to even; a NaN stays a NaN, made quiet). Written as
//! integer operations on whole slices, LLVM vectorizes both directions for
//! each instruction set (`with_target_features!`). `VCVTNE2PS2BF16` is not
//! used: it flushes subnormal inputs to zero, so it would disagree with
//! [`half::bf16::from_f32`] (and with this crate on other CPUs) for them,
//! and a conversion is bound by memory, not by its arithmetic.
//!
//! `f16` uses the F16C instructions (`VCVTPS2PH` with round to nearest
//! even, `VCVTPH2PS`) where the CPU has them, and `half`'s own conversion
//! elsewhere; both are IEEE conversions and agree bit for bit (tested).

use half::{bf16, f16};

use crate::arch::{with_target_features, KernelKind};

/// `x` rounded to the nearest `bf16`, ties to even; NaN to a quiet NaN of
/// the same sign. The same bits as [`half::bf16::from_f32`].
#[inline(always)]
pub(crate) fn bf16_from_f32(x: f32) -> bf16 {
    let bits = x.to_bits();
    let rounded = bits.wrapping_add(0x7FFF + ((bits >> 16) & 1)) >> 16;
    let nan = (bits >> 16) | 0x0040;
    let is_nan = bits & 0x7FFF_FFFF > 0x7F80_0000;
    bf16::from_bits(if is_nan { nan } else { rounded } as u16)
}

/// The `f32` with the same value as `x` (exact).
#[inline(always)]
pub(crate) fn bf16_to_f32(x: bf16) -> f32 {
    f32::from_bits((x.to_bits() as u32) << 16)
}

/// `dst[i] = bf16(src[i])` (equal lengths).
pub(crate) fn f32_to_bf16(kind: KernelKind, src: &[f32], dst: &mut [bf16]) {
    debug_assert_eq!(src.len(), dst.len());
    with_target_features!(
        kind,
        fn narrow(src: &[f32], dst: &mut [bf16]) {
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = bf16_from_f32(s);
            }
        },
        (src, dst)
    )
}

/// `dst[i] = f32(src[i])` (equal lengths).
pub(crate) fn bf16_to_f32_slice(kind: KernelKind, src: &[bf16], dst: &mut [f32]) {
    debug_assert_eq!(src.len(), dst.len());
    with_target_features!(
        kind,
        fn widen(src: &[bf16], dst: &mut [f32]) {
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = bf16_to_f32(s);
            }
        },
        (src, dst)
    )
}

/// True where the F16C conversions can run.
pub(crate) fn has_f16c() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("f16c") && is_x86_feature_detected!("avx")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `dst[i] = f16(src[i])`, round to nearest even (equal lengths); F16C
/// where `use_f16c` (the caller checked [`has_f16c`]).
pub(crate) fn f32_to_f16(use_f16c: bool, src: &[f32], dst: &mut [f16]) {
    debug_assert_eq!(src.len(), dst.len());
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if use_f16c && has_f16c() {
        // SAFETY: the CPU has F16C and AVX (checked just above).
        done = unsafe { f16c::narrow(src, dst) };
    }
    for (d, &s) in dst[done..].iter_mut().zip(&src[done..]) {
        *d = f16::from_f32(s);
    }
}

/// `dst[i] = f32(src[i])` (exact; equal lengths); F16C where `use_f16c`.
pub(crate) fn f16_to_f32_slice(use_f16c: bool, src: &[f16], dst: &mut [f32]) {
    debug_assert_eq!(src.len(), dst.len());
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if use_f16c && has_f16c() {
        // SAFETY: the CPU has F16C and AVX (checked just above).
        done = unsafe { f16c::widen(src, dst) };
    }
    for (d, &s) in dst[done..].iter_mut().zip(&src[done..]) {
        *d = s.to_f32();
    }
}

#[cfg(target_arch = "x86_64")]
mod f16c {
    use half::f16;
    use std::arch::x86_64::*;

    /// Converts the whole 8-element blocks of `src` into `dst`; returns how
    /// many elements it converted.
    ///
    /// # Safety
    /// The CPU has F16C and AVX; `dst` is as long as `src`.
    #[target_feature(enable = "avx,f16c")]
    pub(super) unsafe fn narrow(src: &[f32], dst: &mut [f16]) -> usize {
        let n = src.len() / 8 * 8;
        for i in (0..n).step_by(8) {
            // SAFETY: `i + 8 <= n <= len` for both slices; unaligned
            // loads and stores.
            unsafe {
                let v = _mm256_loadu_ps(src.as_ptr().add(i));
                let h = _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(v);
                _mm_storeu_si128(dst.as_mut_ptr().add(i).cast(), h);
            }
        }
        n
    }

    /// As [`narrow`], the other way.
    ///
    /// # Safety
    /// As [`narrow`].
    #[target_feature(enable = "avx,f16c")]
    pub(super) unsafe fn widen(src: &[f16], dst: &mut [f32]) -> usize {
        let n = src.len() / 8 * 8;
        for i in (0..n).step_by(8) {
            // SAFETY: as in `narrow`.
            unsafe {
                let h = _mm_loadu_si128(src.as_ptr().add(i).cast());
                _mm256_storeu_ps(dst.as_mut_ptr().add(i), _mm256_cvtph_ps(h));
            }
        }
        n
    }
}
