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

use super::kernel::TileEpilogue;
use super::plan::{Plan, DOT_ROWS};
use super::problem::Problem;
use crate::arch::{whole_lines, with_workspace, Shared, Simd};
use crate::Scalar;

/// Rows per block: 4 rows x 4 columns = 16 accumulators (of 32 zmm / 16 ymm
/// with the 2-column variant on AVX2, chosen by the caller's `C`).
const R: usize = DOT_ROWS;

/// The ISA-specific part: rows `i0..i1` of C, compiled with the ISA's
/// target features (`skinny_kernel!` defines one per ISA).
pub(crate) trait SkinnyKernel<T: Scalar> {
    /// Vector width in elements.
    const LANES: usize;
    /// Computes rows `i0..i1` of C from A and the packed `Bᵀ` (`n x kp`).
    ///
    /// # Safety
    /// As [`run`]; `bt` holds `n * kp` elements; `acc` is scratch of
    /// [`acc_elems`]`(i1 - i0, n, LANES)` elements when k is longer than one
    /// chunk ([`chunked`]), otherwise unused.
    unsafe fn rows(p: &Problem<T>, bt: *const T, kp: usize, acc: *mut T, i0: usize, i1: usize);
}

/// Bytes of each `Bᵀ` row per k chunk (see [`rows`]): a chunk of a
/// 10-column `Bᵀ` is 320 KiB, which stays in L2 while every row block of A
/// passes over it (an unchunked `Bᵀ` of k = 33,600 is 1.3 MB, more than a
/// 1 MiB L2). Smaller chunks cost more passes over the accumulators; of the
/// sizes tried, this one was fastest on 1 and 2 threads.
const CHUNK_BYTES: usize = 32768;

/// True when k is cut into chunks for this problem.
fn chunked<T>(k: usize, lanes: usize) -> bool {
    k / lanes * lanes > chunk_elems::<T>(lanes)
}

fn chunk_elems<T>(lanes: usize) -> usize {
    (CHUNK_BYTES / std::mem::size_of::<T>()).max(lanes)
}

/// Scratch elements for the vector accumulators of `rows` rows.
fn acc_elems(rows: usize, n: usize, lanes: usize) -> usize {
    rows * n * lanes
}

/// Runs the problem with kernel `K` on `plan.parts` workers, each a band
/// of whole row blocks.
///
/// # Safety
/// As `driver::run`, and the CPU supports `K`'s instructions.
pub(crate) unsafe fn run<T: Scalar, K: SkinnyKernel<T>>(p: &Problem<T>, plan: &Plan) {
    let (k, n, lanes) = (p.k, p.n, K::LANES);
    let kp = k.div_ceil(lanes) * lanes;
    let blocks = p.m.div_ceil(R);
    let parts = plan.parts;
    // Rows of part t: blocks t*blocks/parts.. of R rows each.
    let m = p.m;
    let part_rows = move |t: usize| {
        let (b0, b1) = (t * blocks / parts, (t + 1) * blocks / parts);
        (b0 * R, (b1 * R).min(m))
    };
    let bt_elems = whole_lines::<T>(n * kp);
    let acc_region = if chunked::<T>(k, lanes) {
        whole_lines::<T>(acc_elems(blocks.div_ceil(parts) * R, n, lanes))
    } else {
        0
    };
    // Bᵀ and every part's accumulators live in the calling thread's
    // workspace (see `arch/workspace.rs`: no allocation in steady state).
    with_workspace::<T, _>(bt_elems + parts * acc_region, |ws| {
        let bt = ws;
        // SAFETY: the workspace holds `bt_elems` elements for Bᵀ (n rows of
        // kp) and then every part's accumulators; B's in-shape offsets are
        // readable by the caller's contract.
        let acc = unsafe {
            // B's fields in locals: read through `p` inside this closure,
            // they would be reloaded after every store (which, for all the
            // compiler knows, could change them): 3x the instructions.
            let (b, b_rs, b_cs) = (p.b.ptr, p.b.rs, p.b.cs);
            for j in 0..n {
                let row = bt.add(j * kp);
                for kk in 0..k {
                    *row.add(kk) = *b.add(kk * b_rs + j * b_cs);
                }
                for kk in k..kp {
                    *row.add(kk) = T::ZERO;
                }
            }
            ws.add(bt_elems)
        };
        if parts == 1 {
            // SAFETY: all rows in one part, with the first accumulator region.
            return unsafe { K::rows(p, bt, kp, acc, 0, p.m) };
        }
        let shared = Shared((p as *const Problem<T>, bt as *const T, acc));
        crate::arch::threads::for_each_part(parts, |t| {
            let (p, bt, acc) = shared.get();
            let (i0, i1) = part_rows(t);
            // SAFETY: each part writes rows i0..i1 of C and its own
            // accumulator region only.
            unsafe { K::rows(&*p, bt, kp, acc.add(t * acc_region), i0, i1) };
        });
    })
}

/// Rows `i0..i1` of C: the generic body each ISA instantiates.
///
/// For a long k (a full-batch weight gradient, k = 33,600) the k range is cut
/// into chunks and the row blocks sweep each chunk in turn, keeping their
/// vector accumulators in a buffer between chunks: `Bᵀ` is then read from L2
/// instead of once per row block from L3. Each accumulator still sees its
/// FMAs in k order, so the result is bit for bit that of one long sweep.
///
/// # Safety
/// As [`SkinnyKernel::rows`], compiled with `S`'s target features.
#[inline(always)]
pub(crate) unsafe fn rows<S: Simd, const C: usize>(
    p: &Problem<S::T>,
    bt: *const S::T,
    kp: usize,
    acc: *mut S::T,
    i0: usize,
    i1: usize,
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        let full = p.k / S::LANES * S::LANES;
        let chunk = chunk_elems::<S::T>(S::LANES);
        if !chunked::<S::T>(p.k, S::LANES) || i1 == i0 {
            let sweep = Sweep {
                bt,
                kp,
                k0: 0,
                k1: full,
                acc: std::ptr::null_mut(),
                i0,
            };
            return for_each_block::<S, C>(p, &sweep, i0, i1, Phase::Whole);
        }
        let mut k0 = 0;
        while k0 < full {
            let k1 = (k0 + chunk).min(full);
            let sweep = Sweep {
                bt,
                kp,
                k0,
                k1,
                acc,
                i0,
            };
            let phase = if k0 == 0 { Phase::First } else { Phase::Next };
            for_each_block::<S, C>(p, &sweep, i0, i1, phase);
            k0 = k1;
        }
        let sweep = Sweep {
            bt,
            kp,
            k0: full,
            k1: full,
            acc,
            i0,
        };
        for_each_block::<S, C>(p, &sweep, i0, i1, Phase::Finish);
    }
}

/// One pass over `k0..k1` of the vectorised part of k.
struct Sweep<T> {
    bt: *const T,
    kp: usize,
    k0: usize,
    k1: usize,
    /// Vector accumulators, `LANES` elements per (row - i0, column), or null.
    acc: *mut T,
    i0: usize,
}

/// What a block does with its accumulators.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// All of k in one pass, then write C.
    Whole,
    /// First chunk: start from zero, store the accumulators.
    First,
    /// Later chunks: load, accumulate, store.
    Next,
    /// After the last chunk: load the accumulators and write C.
    Finish,
}

/// Every `R`-row (then 1-row) block of rows `i0..i1`, all columns.
///
/// # Safety
/// The CPU supports `S`'s instruction set; `p` describes readable A and
/// writable C, rows `i0..i1` of C are this caller's alone, and `sw` holds
/// Bᵀ (`n` rows of `kp`) and the accumulators of rows `sw.i0..` (see [`run`]).
#[inline(always)]
unsafe fn for_each_block<S: Simd, const C: usize>(
    p: &Problem<S::T>,
    sw: &Sweep<S::T>,
    i0: usize,
    i1: usize,
    phase: Phase,
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        let mut i = i0;
        while i + R <= i1 {
            columns::<S, R, C>(p, sw, i, phase);
            i += R;
        }
        while i < i1 {
            columns::<S, 1, C>(p, sw, i, phase);
            i += 1;
        }
    }
}

/// All columns of rows `i..i + RR`, in blocks of `C`, then 2, then 1.
///
/// # Safety
/// The CPU supports `S`'s instruction set; `p` describes readable A and
/// writable C, rows `i..i + RR` of C are this caller's alone, and `sw` holds
/// Bᵀ (`n` rows of `kp`) and the accumulators of rows `sw.i0..` (see [`run`]).
#[inline(always)]
unsafe fn columns<S: Simd, const RR: usize, const C: usize>(
    p: &Problem<S::T>,
    sw: &Sweep<S::T>,
    i: usize,
    phase: Phase,
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        let mut j = 0;
        while j + C <= p.n {
            block::<S, RR, C>(p, sw, i, j, phase);
            j += C;
        }
        while j + 2 <= p.n && C > 2 {
            block::<S, RR, 2>(p, sw, i, j, phase);
            j += 2;
        }
        while j < p.n {
            block::<S, RR, 1>(p, sw, i, j, phase);
            j += 1;
        }
    }
}

/// One `RR x CC` block of C at `(i, j)`, for one phase.
///
/// # Safety
/// The CPU supports `S`'s instruction set; `p` describes readable A and
/// writable C, rows `i..i + RR` of C are this caller's alone, and `sw` holds
/// Bᵀ (`n` rows of `kp`) and the accumulators of rows `sw.i0..` (see [`run`]).
#[inline(always)]
#[allow(clippy::needless_range_loop)] // acc is indexed by (row, column) pairs
unsafe fn block<S: Simd, const RR: usize, const CC: usize>(
    p: &Problem<S::T>,
    sw: &Sweep<S::T>,
    i: usize,
    j: usize,
    phase: Phase,
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        let lanes = S::LANES;
        // Accumulator of (row i + r, column j + c) in the chunk buffer.
        let slot = |r: usize, c: usize| sw.acc.add(((i + r - sw.i0) * p.n + j + c) * lanes);
        let mut acc = [[S::zero(); CC]; RR];
        if matches!(phase, Phase::Next | Phase::Finish) {
            for r in 0..RR {
                for c in 0..CC {
                    acc[r][c] = S::load(slot(r, c));
                }
            }
        }
        let mut kk = sw.k0;
        while kk < sw.k1 {
            let mut av = [S::zero(); RR];
            for (r, a) in av.iter_mut().enumerate() {
                *a = S::load(p.a.ptr.add((i + r) * p.a.rs + kk));
            }
            for c in 0..CC {
                let b = S::load(sw.bt.add((j + c) * sw.kp + kk));
                for r in 0..RR {
                    acc[r][c] = S::mul_add(av[r], b, acc[r][c]);
                }
            }
            kk += lanes;
        }
        if matches!(phase, Phase::First | Phase::Next) {
            for r in 0..RR {
                for c in 0..CC {
                    S::store(slot(r, c), acc[r][c]);
                }
            }
            return;
        }
        let (k, full) = (p.k, p.k / lanes * lanes);
        let epi = TileEpilogue::at(p.bias, p.relu, j);
        for (r, acc_row) in acc.iter().enumerate() {
            let a_row = p.a.ptr.add((i + r) * p.a.rs);
            for (c, &v) in acc_row.iter().enumerate() {
                let b_row = sw.bt.add((j + c) * sw.kp);
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
}

/// Defines a [`SkinnyKernel`] for one ISA: `C` columns per block.
macro_rules! skinny_kernel {
    ($(#[$doc:meta])* $name:ident, $feature:literal, $($t:ty => $simd:ty, $c:literal);+ $(;)?) => {
        $(#[$doc])*
        pub(crate) struct $name;
        $(
            impl $crate::gemm::skinny::SkinnyKernel<$t> for $name {
                const LANES: usize = <$simd as $crate::arch::Simd>::LANES;
                unsafe fn rows(p: &$crate::gemm::problem::Problem<$t>, bt: *const $t, kp: usize, acc: *mut $t, i0: usize, i1: usize) {
                    /// # Safety
                    /// As the trait method it instantiates.
                    #[target_feature(enable = $feature)]
                    unsafe fn body(p: &$crate::gemm::problem::Problem<$t>, bt: *const $t, kp: usize, acc: *mut $t, i0: usize, i1: usize) {
                        // SAFETY: `body`'s contract is its caller's, passed on unchanged.
                        unsafe { $crate::gemm::skinny::rows::<$simd, $c>(p, bt, kp, acc, i0, i1) }
                    }
                    // SAFETY: selected only after run-time detection of the
                    // features; the memory contract is forwarded unchanged.
                    unsafe { body(p, bt, kp, acc, i0, i1) }
                }
            }
        )+
    };
}
pub(crate) use skinny_kernel;
