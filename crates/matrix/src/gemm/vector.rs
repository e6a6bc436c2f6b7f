//! Products with one row: `c (1 x n) = a (1 x k) B (k x n)` with row-major
//! B, as one sample through a dense layer makes (inference on a single
//! input).
//!
//! The BLIS kernel would compute a whole register tile of rows for the one
//! that is real, and read B in narrow column stripes a row of B apart.
//! Instead C's row is a sum of B's rows scaled by a's elements,
//! vectorised along n, B streaming through row by row:
//!
//! ```text
//! for each chunk of C's columns (its accumulators stay in L1):
//!     acc = 0
//!     for k in steps of 4:  acc += a[k] B[k, chunk] + ... + a[k+3] B[k+3, chunk]
//!     c[chunk] = epi(alpha * acc + beta * c[chunk])
//! ```
//!
//! Every accumulator sees its FMAs in k order, one chain per element, so a
//! column's result does not depend on how the columns are split between
//! threads. The product is bound by reading B once.

use super::kernel::{write_row, TileEpilogue};
use super::plan::Plan;
use super::problem::Problem;
use crate::arch::{prefetch, whole_lines, with_workspace, Shared, Simd};
use crate::Scalar;

/// Columns per chunk: 4 KiB of f32 accumulators (8 KiB of f64), which stay
/// in L1 while B's rows stream past.
const CHUNK: usize = 1024;

/// The ISA-specific part: columns `j0..j1` of C, compiled with the ISA's
/// target features (`vector_kernel!` defines one per ISA).
pub(crate) trait VectorKernel<T: Scalar> {
    /// Vector width in elements.
    const LANES: usize;
    /// Computes columns `j0..j1` of C's one row.
    ///
    /// # Safety
    /// As `driver::run` for a problem with `m == 1` and row-major B
    /// (`b.cs == 1`); columns `j0..j1` of C are this caller's alone; `acc`
    /// is scratch of at least [`CHUNK`] elements rounded up to `LANES`.
    unsafe fn columns(p: &Problem<T>, acc: *mut T, j0: usize, j1: usize);
}

/// Runs the problem with kernel `K` on `plan.parts` workers, each a band of
/// whole vectors of columns.
///
/// # Safety
/// As `driver::run`, with `m == 1` and `b.cs == 1`; the CPU supports `K`'s
/// instructions.
pub(crate) unsafe fn run<T: Scalar, K: VectorKernel<T>>(p: &Problem<T>, plan: &Plan) {
    debug_assert!(p.m == 1 && p.b.cs == 1);
    let parts = plan.parts;
    let region = whole_lines::<T>(CHUNK.next_multiple_of(K::LANES));
    with_workspace::<T, _>(region * parts, |ws| {
        if parts == 1 {
            // SAFETY: all columns in one part, with the whole workspace.
            return unsafe { K::columns(p, ws, 0, p.n) };
        }
        let shared = Shared((p as *const Problem<T>, ws));
        crate::arch::threads::for_each_part(parts, |t| {
            let (p, ws) = shared.get();
            // SAFETY: `p` outlives the parallel section; bands are disjoint
            // columns of C, and each part has its own accumulator region.
            unsafe {
                let p = &*p;
                let (j0, j1) = plan.band(p, t);
                K::columns(p, ws.add(t * region), j0, j1)
            }
        });
    })
}

/// Columns `j0..j1`: the generic body each ISA instantiates.
///
/// # Safety
/// As [`VectorKernel::columns`], compiled with `S`'s target features.
#[inline(always)]
pub(crate) unsafe fn columns<S: Simd>(p: &Problem<S::T>, acc: *mut S::T, j0: usize, j1: usize) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        let lanes = S::LANES;
        // The operands' fields in locals: read through `p` they would be
        // reloaded after every store to the accumulators.
        let (a, a_cs, b, b_rs) = (p.a.ptr, p.a.cs, p.b.ptr, p.b.rs);
        let (c, c_cs, k) = (p.c.ptr, p.c.cs, p.k);
        let mut j = j0;
        while j < j1 {
            let width = CHUNK.min(j1 - j);
            let vectors = width.div_ceil(lanes);
            for v in 0..vectors {
                S::store(acc.add(v * lanes), S::zero());
            }
            // Four rows of B per pass over the accumulators: one load and
            // one store of each accumulator per four FMAs.
            let mut kk = 0;
            while kk + 4 <= k {
                let x = [0, 1, 2, 3].map(|d| S::splat(*a.add((kk + d) * a_cs)));
                let rows = [0, 1, 2, 3].map(|d| b.add((kk + d) * b_rs + j));
                // The rows 8 steps on, a row of B apart: the hardware
                // prefetcher does not cross into them by itself.
                for row in rows {
                    prefetch(row.wrapping_add(8 * b_rs));
                }
                for v in 0..vectors {
                    let off = v * lanes;
                    let full = off + lanes <= width;
                    let load = |r: *const S::T| {
                        if full {
                            S::load(r.add(off))
                        } else {
                            S::load_partial(r.add(off), width - off)
                        }
                    };
                    let mut y = S::load(acc.add(off));
                    for d in 0..4 {
                        y = S::mul_add(x[d], load(rows[d]), y);
                    }
                    S::store(acc.add(off), y);
                }
                kk += 4;
            }
            while kk < k {
                let x = S::splat(*a.add(kk * a_cs));
                let row = b.add(kk * b_rs + j);
                for v in 0..vectors {
                    let off = v * lanes;
                    let bv = if off + lanes <= width {
                        S::load(row.add(off))
                    } else {
                        S::load_partial(row.add(off), width - off)
                    };
                    S::store(acc.add(off), S::mul_add(x, bv, S::load(acc.add(off))));
                }
                kk += 1;
            }
            let epi = TileEpilogue::at(p.bias, p.relu, j);
            for v in 0..vectors {
                let off = v * lanes;
                let n = lanes.min(width - off);
                let epi_v = TileEpilogue::at(epi.bias, epi.relu, off);
                let accv = [S::load(acc.add(off))];
                write_row::<S, 1>(
                    c.add((j + off) * c_cs),
                    c_cs,
                    n,
                    &accv,
                    p.alpha,
                    p.beta,
                    epi_v,
                );
            }
            j += width;
        }
    }
}

/// Defines a [`VectorKernel`] for one ISA.
macro_rules! vector_kernel {
    ($(#[$doc:meta])* $name:ident, $feature:literal, $($t:ty => $simd:ty);+ $(;)?) => {
        $(#[$doc])*
        pub(crate) struct $name;
        $(
            impl $crate::gemm::vector::VectorKernel<$t> for $name {
                const LANES: usize = <$simd as $crate::arch::Simd>::LANES;
                unsafe fn columns(p: &$crate::gemm::problem::Problem<$t>, acc: *mut $t, j0: usize, j1: usize) {
                    /// # Safety
                    /// As the trait method it instantiates.
                    #[target_feature(enable = $feature)]
                    unsafe fn body(p: &$crate::gemm::problem::Problem<$t>, acc: *mut $t, j0: usize, j1: usize) {
                        // SAFETY: `body`'s contract is its caller's, passed on unchanged.
                        unsafe { $crate::gemm::vector::columns::<$simd>(p, acc, j0, j1) }
                    }
                    // SAFETY: selected only after run-time detection of the
                    // features; the memory contract is forwarded unchanged.
                    unsafe { body(p, acc, j0, j1) }
                }
            }
        )+
    };
}
pub(crate) use vector_kernel;
