//! `e^x` over a slice of `f32`, vectorized.
//!
//! libm's `expf` is a call per element (about 8 ns each in a softmax over
//! 10 classes); this is the Cephes `expf` algorithm written branch-free so
//! that LLVM vectorizes the loop:
//!
//! 1. clamp `x` to `[-104, 89]` (outside, `e^x` rounds to 0 or overflows
//!    to infinity either way; NaN passes the clamp unchanged);
//! 2. `n = round(x log2 e)` by the add-and-subtract-1.5·2²³ trick, which
//!    also leaves `n` in the low bits of the sum;
//! 3. `r = x - n ln 2` in two steps (Cody–Waite: `ln 2 = C1 + C2` with `C1`
//!    exact in few bits, so `n C1` is exact), `|r| <= ln 2 / 2`;
//! 4. `e^r` by Cephes' degree-7 polynomial;
//! 5. times `2^n`, built from exponent bits as `2^(n/2) · 2^(n - n/2)` so
//!    that each factor is a normal number even when `e^x` is subnormal or
//!    just below `f32::MAX`.
//!
//! Only `+`, `-`, `*` and integer bit operations: Rust does not contract
//! them into FMAs, so the AVX-512, AVX2 and plain builds of the loop give
//! bitwise the same results. Accuracy: within 2 ulp of the correctly rounded
//! `e^x` wherever that is a normal number (tested against `f64::exp`).

use crate::arch::{with_target_features, KernelKind};

/// `e^x` for each element of `xs`, in place, with the widest vector unit
/// the selected kernel (`MATNET_KERNEL` or CPU detection) allows. An
/// unusable `MATNET_KERNEL` is reported once and the fastest kernel runs,
/// as for gemm (`arch::kernel_in_use`), rather than silently the plain one.
pub(crate) fn exp_f32_slice(xs: &mut [f32]) {
    exp_with(crate::arch::kernel_in_use(), xs)
}

/// [`exp_f32_slice`] compiled for `kind`'s instruction set (one the CPU
/// supports).
fn exp_with(kind: KernelKind, xs: &mut [f32]) {
    with_target_features!(
        kind,
        fn exp_all(xs: &mut [f32]) {
            exp_loop(xs)
        },
        (xs)
    )
}

#[inline(always)]
fn exp_loop(xs: &mut [f32]) {
    xs.iter_mut().for_each(|x| *x = exp_f32(*x));
}

/// One element of the vectorized `e^x` (see the module docs).
#[inline(always)]
pub(crate) fn exp_f32(x: f32) -> f32 {
    const LOG2_E: f32 = std::f32::consts::LOG2_E;
    const C1: f32 = 0.693_359_4; // 0.693359375: 9 significant bits
    const C2: f32 = -2.121_944_4e-4; // ln 2 - C1
    const ROUND: f32 = 12_582_912.0; // 1.5 * 2^23
    let x = x.clamp(-104.0, 89.0); // NaN stays NaN
    let t = x * LOG2_E + ROUND;
    let n = t - ROUND;
    let n_bits = (t.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
    let r = (x - n * C1) - n * C2;
    let r2 = r * r;
    let poly =
        (((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
            + 1.666_666_5e-1)
            * r
            + 0.5)
            * r2
            + r
            + 1.0;
    let half = n_bits >> 1;
    let pow2 = |k: i32| f32::from_bits((k.wrapping_add(127) as u32) << 23);
    poly * pow2(half) * pow2(n_bits.wrapping_sub(half))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place between `got` and the correctly
    /// rounded `e^x`.
    fn ulps(got: f32, x: f32) -> u32 {
        let want = (x as f64).exp() as f32;
        (got.to_bits() as i64 - want.to_bits() as i64).unsigned_abs() as u32
    }

    #[test]
    fn within_two_ulp_over_the_normal_range() {
        let (lo, hi) = (f32::MIN_POSITIVE.ln(), f32::MAX.ln());
        let mut worst = (0, 0.0f32);
        let steps = 2_000_000;
        let xs: Vec<f32> = (0..=steps)
            .map(|i| lo + (hi - lo) * i as f32 / steps as f32)
            .chain([0.0, -0.0, 1.0, -1.0, 1e-30, -1e-30, 0.5, 88.72, -87.3])
            .collect();
        let mut got = xs.clone();
        exp_f32_slice(&mut got);
        for (&x, &g) in xs.iter().zip(&got) {
            let u = ulps(g, x);
            if u > worst.0 {
                worst = (u, x);
            }
        }
        assert!(worst.0 <= 2, "{} ulp at x = {}", worst.0, worst.1);
    }

    #[test]
    fn edges_underflow_overflow_and_nan() {
        let mut xs = vec![
            -1e30,
            -200.0,
            -103.0,
            -90.0,
            89.0,
            88.8,
            1e30,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
        ];
        exp_f32_slice(&mut xs);
        assert_eq!(&xs[..2], &[0.0, 0.0]);
        // Subnormal results: close to the true value in absolute terms.
        for (got, x) in xs[2..4].iter().zip([-103.0f64, -90.0]) {
            assert!(
                (*got as f64 - x.exp()).abs() <= 1.5e-45,
                "{got} vs {}",
                x.exp()
            );
        }
        assert!(xs[4..8].iter().all(|&v| v == f32::INFINITY), "{xs:?}");
        assert_eq!(xs[8], 0.0);
        assert!(xs[9].is_nan());
    }

    /// Every ISA build of the loop gives bitwise the plain loop's results.
    #[test]
    fn every_isa_build_equals_the_plain_loop() {
        let xs: Vec<f32> = (0..10_000).map(|i| (i as f32 - 5000.0) * 0.0191).collect();
        let mut plain = xs.clone();
        exp_loop(&mut plain);
        for kind in KernelKind::supported() {
            let mut got = xs.clone();
            exp_with(kind, &mut got);
            assert_eq!(
                got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                plain.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                "{kind:?}"
            );
        }
    }
}
