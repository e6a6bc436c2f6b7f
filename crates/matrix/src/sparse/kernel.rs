//! The sparse x dense kernel: one generic body ([`groups`]) that each
//! instruction set instantiates (`sparse_kernel!`, invoked in `arch/`),
//! and what it hands its finished sums to ([`TileSink`]): C itself, or a
//! caller's code ([`sparse_gemm_tiles`](super::sparse_gemm_tiles)).

use super::{SparseProblem, TransposeFill, GROUP};
use crate::arch::isa::{with_kernels, Kernels, WithKernels};
use crate::arch::{prefetch, Simd};
use crate::gemm::kernel::{write_row, TileEpilogue};
use crate::gemm::KernelKind;
use crate::Scalar;

/// The ISA-specific part: groups `g0..g1` of C's rows.
pub(crate) trait SparseKernel<T: Scalar> {
    /// Columns of the widest column block (`NV` vectors): where a column
    /// split between threads may fall.
    const BLOCK_COLUMNS: usize;
    /// Computes the rows of groups `g0..g1` of C, into C or `sink`.
    ///
    /// # Safety
    /// The problem's pointers cover its checked shapes; those rows of C
    /// (or of the sink's outputs) are this caller's; the CPU supports the
    /// kernel's instructions.
    unsafe fn groups<O: TileSink<T>>(p: &SparseProblem<T>, g0: usize, g1: usize, sink: &O);
    /// The fill of [`SparseMatrix::assign_transpose_from_rows`] (see
    /// [`rows::fill_transpose`]).
    ///
    /// # Safety
    /// The CPU supports the kernel's instructions.
    unsafe fn fill_transpose(f: TransposeFill<'_, T>);
}

/// Where the kernel puts each finished block of sums: `GROUP` rows (fewer
/// at the bottom) by at most one column block of the kernel.
pub(crate) trait TileSink<T>: Sync {
    /// False for [`WriteC`]: the kernel then writes C itself, through the
    /// problem's epilogue, and never calls the methods below.
    const TAKES_TILES: bool;

    /// Starts fetching whatever [`tile`](TileSink::tile) will touch for
    /// rows `i0..i0 + GROUP` (those below `m`), columns `j0..j0 + cols`.
    /// Only forms addresses; never faults.
    fn prefetch(&self, i0: usize, m: usize, j0: usize, cols: usize);

    /// Takes the finished sums of rows `i0..i0 + rows`, columns
    /// `j0..j0 + cols` of the product: `values[r * stride + j]`.
    ///
    /// # Safety
    /// `values` holds `rows` rows of `cols` readable elements `stride`
    /// apart; the block lies in the product's shape, and no other call
    /// gets any of its positions.
    unsafe fn tile(
        &self,
        i0: usize,
        j0: usize,
        rows: usize,
        cols: usize,
        values: *const T,
        stride: usize,
    );
}

/// The sink of an ordinary product: the kernel writes C (see
/// [`TileSink::TAKES_TILES`]).
pub(crate) struct WriteC;

impl<T> TileSink<T> for WriteC {
    const TAKES_TILES: bool = false;
    fn prefetch(&self, _: usize, _: usize, _: usize, _: usize) {}
    unsafe fn tile(&self, _: usize, _: usize, _: usize, _: usize, _: *const T, _: usize) {}
}

/// Row groups `g0..g1` of a sparse product with `kind`'s sparse kernel.
///
/// # Safety
/// As [`SparseKernel::groups`]; `kind` is supported by this CPU.
pub(crate) unsafe fn run_groups<T: Scalar, O: TileSink<T>>(
    kind: KernelKind,
    p: &SparseProblem<T>,
    g0: usize,
    g1: usize,
    sink: &O,
) {
    /// The arguments, with the contract of [`run_groups`].
    struct Groups<'a, T: Scalar, O>(&'a SparseProblem<T>, usize, usize, &'a O);
    impl<T: Scalar, O: TileSink<T>> WithKernels<T> for Groups<'_, T, O> {
        type Output = ();
        fn run<K: Kernels<T>>(self) {
            // SAFETY: built only by `run_groups`, whose caller upholds
            // the kernel's contract; `K` is the kind it asked for.
            unsafe { K::Sparse::groups(self.0, self.1, self.2, self.3) }
        }
    }
    with_kernels(kind, Groups(p, g0, g1, sink))
}

/// The columns of `kind`'s widest sparse block (see
/// [`SparseKernel::BLOCK_COLUMNS`]).
pub(crate) fn block_columns<T: Scalar>(kind: KernelKind) -> usize {
    struct Columns;
    impl<T: Scalar> WithKernels<T> for Columns {
        type Output = usize;
        fn run<K: Kernels<T>>(self) -> usize {
            K::Sparse::BLOCK_COLUMNS
        }
    }
    with_kernels::<T, _>(kind, Columns)
}

/// Groups `g0..g1`, all columns: the generic body each ISA instantiates,
/// in column blocks of `NV`, then 2 vectors, then what is left (less than
/// two vectors) in one pass: a masked 2-vector block if it is more than one
/// vector, else a 1-vector block. Each block is a pass over the groups'
/// stored columns, which are what a narrow product (10 columns: 8 + 2 on
/// AVX2) spends its time streaming, so the remainder takes one pass, not
/// two.
///
/// # Safety
/// As [`SparseKernel::groups`], compiled with `S`'s target features.
#[inline(always)]
pub(crate) unsafe fn groups<S: Simd, const NV: usize, O: TileSink<S::T>>(
    p: &SparseProblem<S::T>,
    g0: usize,
    g1: usize,
    sink: &O,
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        let lanes = S::LANES;
        let full = p.n / lanes;
        let mut v = 0;
        v = blocks::<S, NV, O>(p, g0, g1, v, full, sink);
        v = blocks::<S, 2, O>(p, g0, g1, v, full, sink);
        let j0 = v * lanes;
        let rest = p.n - j0;
        debug_assert!(rest < 2 * lanes);
        if rest > lanes {
            for g in g0..g1 {
                group_block::<S, 2, O>(p, g, j0, p.b.add(j0), p.b_rs, rest, sink);
            }
        } else if rest > 0 {
            for g in g0..g1 {
                group_block::<S, 1, O>(p, g, j0, p.b.add(j0), p.b_rs, rest, sink);
            }
        }
    }
}

/// Column blocks of `V` vectors from vector `v` while they fit in `full`;
/// returns the next vector.
///
/// # Safety
/// The CPU supports `S`'s instruction set; `p` describes a readable S and B
/// and a writable C whose rows of the groups concerned are this caller's
/// alone; `full` and `cols` do not exceed B's and C's columns.
#[inline(always)]
unsafe fn blocks<S: Simd, const V: usize, O: TileSink<S::T>>(
    p: &SparseProblem<S::T>,
    g0: usize,
    g1: usize,
    mut v: usize,
    full: usize,
    sink: &O,
) -> usize {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        let lanes = S::LANES;
        while v + V <= full {
            let j0 = v * lanes;
            for g in g0..g1 {
                group_block::<S, V, O>(p, g, j0, p.b.add(j0), p.b_rs, V * lanes, sink);
            }
            v += V;
        }
        v
    }
}

/// Group `g`'s rows of C, columns `j0..j0 + cols`, from B's columns at `b`
/// (row stride `b_rs`, `cols` readable per row: a last partial vector is
/// read with a masked load).
///
/// # Safety
/// The CPU supports `S`'s instruction set; `p` describes a readable S and B
/// and a writable C whose rows of the groups concerned are this caller's
/// alone; `full` and `cols` do not exceed B's and C's columns.
#[inline(always)]
unsafe fn group_block<S: Simd, const V: usize, O: TileSink<S::T>>(
    p: &SparseProblem<S::T>,
    g: usize,
    j0: usize,
    b: *const S::T,
    b_rs: usize,
    cols: usize,
    sink: &O,
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        let (u0, u1) = (*p.group_start.add(g), *p.group_start.add(g + 1));
        if O::TAKES_TILES {
            sink.prefetch((g + SINK_PREFETCH_GROUPS) * GROUP, p.m, p.col0 + j0, cols);
        }
        let mut acc = [[S::zero(); V]; GROUP];
        if V == 1 {
            // One vector per row: GROUP accumulators alone are one dependent
            // FMA chain each, a column per FMA latency; a second set for odd
            // columns puts two columns in flight.
            let mut odd = [[S::zero(); V]; GROUP];
            let mut u = u0;
            while u + 2 <= u1 {
                column::<S, V, false>(p, b, b_rs, cols, &mut acc, u);
                column::<S, V, false>(p, b, b_rs, cols, &mut odd, u + 1);
                u += 2;
            }
            if u < u1 {
                column::<S, V, false>(p, b, b_rs, cols, &mut acc, u);
            }
            for (a, o) in acc.iter_mut().zip(&odd) {
                a[0] = S::add(a[0], o[0]);
            }
        } else {
            // Prefetching B's rows (see `prefetch_b_above`) up to the
            // columns that have one `prefetch_ahead` further on; two loops,
            // so that the loop without costs nothing for the choice.
            let row_bytes = V * S::LANES * std::mem::size_of::<S::T>();
            let fetched = if row_bytes > p.prefetch_b_above {
                p.stored
                    .saturating_sub(prefetch_ahead(row_bytes))
                    .clamp(u0, u1)
            } else {
                u0
            };
            for u in u0..fetched {
                column::<S, V, true>(p, b, b_rs, cols, &mut acc, u);
            }
            for u in fetched..u1 {
                column::<S, V, false>(p, b, b_rs, cols, &mut acc, u);
            }
        }
        let i0 = g * GROUP;
        if O::TAKES_TILES {
            // The sums as rows of `V * LANES` elements (`acc` is laid out
            // as that array of vectors), of which `cols` are the product's.
            let values = acc.as_ptr() as *const S::T;
            let rows = GROUP.min(p.m - i0);
            sink.tile(i0, p.col0 + j0, rows, cols, values, V * S::LANES);
            return;
        }
        let epi = TileEpilogue::at(p.bias, p.relu, j0);
        for (r, acc_row) in acc.iter().enumerate().take(GROUP.min(p.m - i0)) {
            let dst = p.c.ptr.add((i0 + r) * p.c.rs + j0 * p.c.cs);
            write_row::<S, V>(dst, p.c.cs, cols, acc_row, p.alpha, p.beta, epi);
        }
    }
}

/// One stored column `u`: loads its B row (masked past `cols`) and adds
/// `x[r] * b` to each row's accumulators; with `PREFETCH`, first starts
/// fetching the B row of column `u + prefetch_ahead(..)`, which must exist. (A
/// function, not a closure: a closure would not inherit the caller's
/// target features.)
///
/// # Safety
/// The CPU supports `S`'s instruction set; `p` describes a readable S and B
/// and a writable C whose rows of the groups concerned are this caller's
/// alone; `full` and `cols` do not exceed B's and C's columns.
#[inline(always)]
unsafe fn column<S: Simd, const V: usize, const PREFETCH: bool>(
    p: &SparseProblem<S::T>,
    b: *const S::T,
    b_rs: usize,
    cols: usize,
    acc: &mut [[S::V; V]; GROUP],
    u: usize,
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        if PREFETCH {
            // The row some columns ahead (into the next group too: same B
            // block).
            let row_bytes = V * S::LANES * std::mem::size_of::<S::T>();
            let ahead = *p.col_index.add(u + prefetch_ahead(row_bytes)) as usize;
            let ahead = b.add(ahead * b_rs);
            for t in (0..row_bytes).step_by(64) {
                prefetch(ahead.cast::<u8>().wrapping_add(t));
            }
        }
        let b_row = b.add(*p.col_index.add(u) as usize * b_rs);
        let mut bv = [S::zero(); V];
        for (t, v) in bv.iter_mut().enumerate() {
            let rem = cols - t * S::LANES;
            *v = if rem >= S::LANES {
                S::load(b_row.add(t * S::LANES))
            } else {
                S::load_partial(b_row.add(t * S::LANES), rem)
            };
        }
        let x = p.values.add(GROUP * u);
        for (r, acc_row) in acc.iter_mut().enumerate() {
            let xr = S::splat(*x.add(r));
            for t in 0..V {
                acc_row[t] = S::mul_add(xr, bv[t], acc_row[t]);
            }
        }
    }
}

/// The widest block of B (bytes of each row it reads) for which the kernel
/// leaves B's rows to the hardware: it prefetches each row
/// [`prefetch_ahead`] stored columns ahead only for blocks wider than this.
///
/// B's rows come in an order only the column indices know. Rows at most a
/// line apart (a 10-class layer's: 40 bytes) are found by the hardware
/// prefetchers in the ascending indices, and so are all rows of a block
/// that stays in half of L1 after its first pass (a weight gradient's:
/// 128 rows of `dY`): software prefetches there only take issue slots. A
/// first layer's forward reads 784 rows of its weights at a stride of
/// the layer's width, a block that does not fit: each row is fetched ahead.
pub(crate) fn prefetch_b_above(k: usize, b_row_stride_bytes: usize) -> usize {
    if b_row_stride_bytes <= 64 {
        return usize::MAX;
    }
    // The widest block whose k rows fit in half of L1, and at most a line:
    // wider rows are always fetched ahead.
    let half_l1 = crate::gemm::CacheSizes::detect().l1d / 2;
    (half_l1 / k.max(1)).min(64)
}

/// How many stored columns ahead [`group_block`] prefetches B's row, for a
/// block reading `row_bytes` of each: about 1 KB of B ahead of the loads (16
/// rows of one line: 8 ahead left the forward of 784-200-10 waiting on L2),
/// and never fewer than 8 rows.
const fn prefetch_ahead(row_bytes: usize) -> usize {
    let rows = 1024 / row_bytes;
    if rows > 8 {
        rows
    } else {
        8
    }
}

/// How many groups ahead the kernel asks a [`TileSink`] to prefetch what
/// it will touch (a momentum step's weights and velocity, say). Each
/// group's rows of them are read once, at the end of the group, at a row
/// stride the hardware prefetchers do not follow across the group's sums;
/// a weight gradient's group (a few pixels over a batch) is short, so the
/// fetch is started a few groups early.
const SINK_PREFETCH_GROUPS: usize = 4;

/// Defines a [`SparseKernel`] for one ISA: column blocks of `NV` vectors.
macro_rules! sparse_kernel {
    ($(#[$doc:meta])* $name:ident, $feature:literal, $($t:ty => $simd:ty, $nv:literal);+ $(;)?) => {
        $(#[$doc])*
        pub(crate) struct $name;
        $(
            impl $crate::sparse::SparseKernel<$t> for $name {
                const BLOCK_COLUMNS: usize = $nv * <$simd as $crate::arch::Simd>::LANES;
                unsafe fn groups<O: $crate::sparse::TileSink<$t>>(
                    p: &$crate::sparse::SparseProblem<$t>,
                    g0: usize,
                    g1: usize,
                    sink: &O,
                ) {
                    /// # Safety
                    /// As the trait method it instantiates.
                    #[target_feature(enable = $feature)]
                    unsafe fn body<O: $crate::sparse::TileSink<$t>>(
                        p: &$crate::sparse::SparseProblem<$t>,
                        g0: usize,
                        g1: usize,
                        sink: &O,
                    ) {
                        // SAFETY: `body`'s contract is its caller's, passed on unchanged.
                        unsafe { $crate::sparse::groups::<$simd, $nv, O>(p, g0, g1, sink) }
                    }
                    // SAFETY: selected only after run-time detection of the
                    // features; the memory contract is forwarded unchanged.
                    unsafe { body(p, g0, g1, sink) }
                }
                unsafe fn fill_transpose(f: $crate::sparse::TransposeFill<'_, $t>) {
                    /// # Safety
                    /// As the trait method it instantiates.
                    #[target_feature(enable = $feature)]
                    unsafe fn body(f: $crate::sparse::TransposeFill<'_, $t>) {
                        // SAFETY: `body`'s contract is its caller's, passed on unchanged.
                        unsafe { $crate::sparse::rows::fill_transpose::<$simd>(f) }
                    }
                    // SAFETY: selected only after run-time detection of the
                    // features.
                    unsafe { body(f) }
                }
            }
        )+
    };
}
pub(crate) use sparse_kernel;
