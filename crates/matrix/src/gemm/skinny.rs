//! Products with few columns and row-major A: `C (m x n) = A (m x k) B (k x n)`
//! with `n` at most one vector, as a 10-class output layer makes (forward
//! `H W2`, and the full-batch `X W1` of a 784-10 network).
//!
//! Here the BLIS kernel wastes most of its lanes and packing A costs more
//! than the arithmetic. Instead each C element is a dot product vectorised
//! along k: B is packed once as Bᵀ (`n x k`, tiny), A is read in place, and a
//! block of `R` rows x `C` columns keeps `R * C` vector accumulators:
//!
//! ```text
//! for k in steps of LANES:  a[r] = A[i + r, k..]      (R loads)
//!                           b    = Bᵀ[j + c, k..]     (C loads)
//!                           acc[r][c] += a[r] * b     (R * C FMAs)
//! C[i + r][j + c] = epi(alpha * (reduce(acc[r][c]) + tail) + beta * C)
//! ```
//!
//! A is streamed exactly once per column block, so full-batch products run at
//! memory bandwidth. The k tail (k mod LANES) is summed in scalar after the
//! reduction, in a fixed order: results do not depend on the thread split.

use rayon::prelude::*;

use super::buffer::with_workspace;
use super::driver::{Problem, PARALLEL_MIN_FLOPS};
use super::kernel::{Simd, TileEpilogue};
use crate::Scalar;

/// Most columns the dot-product formulation takes: beyond that the BLIS
/// kernel fills its vectors and reuses each A element across more columns.
pub(crate) const MAX_N: usize = 16;

/// True if [`run`] handles this problem: A has contiguous rows, C has at
/// most [`MAX_N`] columns and k spans at least one vector.
pub(crate) fn applies<T>(p: &Problem<T>, lanes: usize) -> bool {
    p.a.cs == 1 && p.n <= MAX_N && p.k >= lanes
}

/// Rows per block: 4 rows x 4 columns = 16 accumulators (of 32 zmm / 16 ymm
/// with the 2-column variant on AVX2, chosen by the caller's `C`).
const R: usize = 4;

/// The ISA-specific part: rows `i0..i1` of C, compiled with the ISA's
/// target features (`skinny_kernel!` defines one per ISA).
pub(crate) trait SkinnyKernel<T: Scalar> {
    /// Vector width in elements.
    const LANES: usize;
    /// Computes rows `i0..i1` of C from A and the packed `Bᵀ` (`n x kp`).
    ///
    /// # Safety
    /// As [`run`]; `bt` holds `n * kp` elements.
    unsafe fn rows(p: &Problem<T>, bt: *const T, kp: usize, i0: usize, i1: usize);
}

/// Runs the problem (see [`applies`]) with kernel `K`.
///
/// # Safety
/// As `driver::run`, and the CPU supports `K`'s instructions.
pub(crate) unsafe fn run<T: Scalar, K: SkinnyKernel<T>>(p: &Problem<T>, threads: usize) {
    let (k, n) = (p.k, p.n);
    let kp = k.div_ceil(K::LANES) * K::LANES;
    with_workspace::<T, _>(n * kp, |bt| {
        for j in 0..n {
            let row = bt.add(j * kp);
            for kk in 0..k {
                *row.add(kk) = *p.b.ptr.add(kk * p.b.rs + j * p.b.cs);
            }
            for kk in k..kp {
                *row.add(kk) = T::ZERO;
            }
        }
        let flops = 2.0 * (p.m * n * k) as f64;
        let blocks = p.m.div_ceil(R);
        if threads > 1 && flops >= PARALLEL_MIN_FLOPS && blocks >= 2 * threads {
            let shared = Shared((p as *const Problem<T>, bt as *const T));
            let parts = threads;
            (0..parts).into_par_iter().for_each(|t| {
                let (p, bt) = shared.get();
                let (b0, b1) = (t * blocks / parts, (t + 1) * blocks / parts);
                // SAFETY: each part writes rows b0*R..b1*R of C only.
                unsafe { K::rows(&*p, bt, kp, b0 * R, (b1 * R).min((*p).m)) };
            });
        } else {
            K::rows(p, bt, kp, 0, p.m);
        }
    });
}

#[derive(Clone, Copy)]
struct Shared<P>(P);
// SAFETY: hands read-only inputs and disjoint C rows to rayon tasks.
unsafe impl<P> Send for Shared<P> {}
// SAFETY: as above.
unsafe impl<P> Sync for Shared<P> {}
impl<P: Copy> Shared<P> {
    /// By-value access, so closures capture the whole (Send) wrapper.
    fn get(self) -> P {
        self.0
    }
}

/// Rows `i0..i1` of C: the generic body each ISA instantiates.
///
/// # Safety
/// As [`SkinnyKernel::rows`], compiled with `S`'s target features.
#[inline(always)]
pub(crate) unsafe fn rows<S: Simd, const C: usize>(
    p: &Problem<S::T>,
    bt: *const S::T,
    kp: usize,
    i0: usize,
    i1: usize,
) {
    let mut i = i0;
    while i + R <= i1 {
        columns::<S, R, C>(p, bt, kp, i);
        i += R;
    }
    while i < i1 {
        columns::<S, 1, C>(p, bt, kp, i);
        i += 1;
    }
}

/// All columns of rows `i..i + RR`, in blocks of `C`, then 2, then 1.
#[inline(always)]
unsafe fn columns<S: Simd, const RR: usize, const C: usize>(
    p: &Problem<S::T>,
    bt: *const S::T,
    kp: usize,
    i: usize,
) {
    let mut j = 0;
    while j + C <= p.n {
        block::<S, RR, C>(p, bt, kp, i, j);
        j += C;
    }
    while j + 2 <= p.n && C > 2 {
        block::<S, RR, 2>(p, bt, kp, i, j);
        j += 2;
    }
    while j < p.n {
        block::<S, RR, 1>(p, bt, kp, i, j);
        j += 1;
    }
}

/// One `RR x CC` block of C at `(i, j)`.
#[inline(always)]
#[allow(clippy::needless_range_loop)] // acc is indexed by (row, column) pairs
unsafe fn block<S: Simd, const RR: usize, const CC: usize>(
    p: &Problem<S::T>,
    bt: *const S::T,
    kp: usize,
    i: usize,
    j: usize,
) {
    let k = p.k;
    let full = k / S::LANES * S::LANES;
    let mut acc = [[S::zero(); CC]; RR];
    let mut kk = 0;
    while kk < full {
        let mut av = [S::zero(); RR];
        for (r, a) in av.iter_mut().enumerate() {
            *a = S::load(p.a.ptr.add((i + r) * p.a.rs + kk));
        }
        for c in 0..CC {
            let b = S::load(bt.add((j + c) * kp + kk));
            for r in 0..RR {
                acc[r][c] = S::mul_add(av[r], b, acc[r][c]);
            }
        }
        kk += S::LANES;
    }
    let epi = TileEpilogue {
        bias: if p.bias.is_null() {
            p.bias
        } else {
            p.bias.add(j)
        },
        relu: p.relu,
    };
    for (r, acc_row) in acc.iter().enumerate() {
        let a_row = p.a.ptr.add((i + r) * p.a.rs);
        for (c, &v) in acc_row.iter().enumerate() {
            let b_row = bt.add((j + c) * kp);
            let mut dot = S::reduce_sum(v);
            for t in full..k {
                dot += *a_row.add(t) * *b_row.add(t);
            }
            let out = p.c.ptr.add((i + r) * p.c.rs + (j + c) * p.c.cs);
            let mut x = p.alpha * dot;
            if p.beta != S::T::ZERO {
                x += p.beta * *out;
            }
            if !epi.bias.is_null() {
                x += *epi.bias.add(c);
            }
            if epi.relu {
                x = if x > S::T::ZERO { x } else { S::T::ZERO };
            }
            *out = x;
        }
    }
}

/// Defines a [`SkinnyKernel`] for one ISA: `C` columns per block.
macro_rules! skinny_kernel {
    ($(#[$doc:meta])* $name:ident, $feature:literal, $($t:ty => $simd:ty, $c:literal);+ $(;)?) => {
        $(#[$doc])*
        pub(crate) struct $name;
        $(
            impl $crate::gemm::skinny::SkinnyKernel<$t> for $name {
                const LANES: usize = <$simd as $crate::gemm::kernel::Simd>::LANES;
                unsafe fn rows(p: &$crate::gemm::driver::Problem<$t>, bt: *const $t, kp: usize, i0: usize, i1: usize) {
                    #[target_feature(enable = $feature)]
                    unsafe fn body(p: &$crate::gemm::driver::Problem<$t>, bt: *const $t, kp: usize, i0: usize, i1: usize) {
                        $crate::gemm::skinny::rows::<$simd, $c>(p, bt, kp, i0, i1)
                    }
                    // SAFETY: selected only after run-time detection of the
                    // features; the memory contract is forwarded unchanged.
                    body(p, bt, kp, i0, i1)
                }
            }
        )+
    };
}
pub(crate) use skinny_kernel;
