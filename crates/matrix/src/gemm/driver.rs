//! The BLIS loop driver, generic over the micro-kernel.
//!
//! ```text
//! split C's rows (or columns) into one part per worker, whole tiles each;
//! in each worker:
//! for ic in 0..m step MC            A row chunks (a few MiB packed, L3)
//!   for pc in 0..k step KC          inner dimension, never split
//!     pack A[ic.., pc..] -> MC x KC panels (once per chunk and KC block)
//!     for jc in 0..n step NC        B block columns (sized for L2)
//!       pack B[pc.., jc..] -> KC x NC panels (or in the first ir row)
//!       for ir in step MR:          A micro-panel from L2 (or L1)
//!         for jr in step NR:        B micro-panels stream from L2
//!           micro-kernel -> C[ic+ir.., jc+jr..]
//! ```
//!
//! This is BLIS's loop nest applied to `Cᵀ = Bᵀ Aᵀ` (our kernel broadcasts
//! A and loads B vectors, so A plays BLIS's B): the large operand chunk is
//! packed once and re-read from L3, while the L2-sized B block, which a
//! 1 MiB L2 keeps to NC = 128 columns at KC = 1024, would be packed once per
//! chunk. When A comes in several chunks, all of B (up to 16 MiB packed) is
//! packed by the first one and found again by the others. The plain BLIS
//! order would repack all of A once per NC block.
//!
//! Packing is skipped where the kernel can read an operand in place:
//! row-major A (the kernel broadcasts from `MR` row pointers) unless its
//! rows collide in L1 or packing is cheap ([`reads_a_in_place`]), and
//! row-major B for products of a few row panels. Otherwise row-major B
//! with rows of at most [`FILL_B_MAX_ROW_BYTES`] is packed by the first row
//! of tiles, whose kernels read it in place and store each row they load
//! into the panel, rather than by a pass of its own (`b_fill`). A partial
//! last panel always goes through `pack` (it needs zero padding).
//!
//! Edge tiles (a part's last rows or columns) run the smallest register
//! block that covers them (`Kernel::MR_STEP`, `NR_STEP`), so parts are cut
//! at those steps, in whichever dimension balances better
//! ([`split_rows_first`]).
//!
//! `beta` applies on the first KC block only (later blocks accumulate with
//! beta = 1) and the epilogue on the last. Workers split M or N, never K; KC
//! comes from the whole problem, and every C element is one FMA chain in k
//! order, so the result is bitwise identical for any number of threads.

use rayon::prelude::*;

use super::blocking::{Blocking, CacheSizes};
use super::buffer::{whole_lines, with_workspace};
use super::kernel::{bias_from, Kernel, Tile, TileEpilogue};
use crate::Scalar;

/// Products below this many flops (2mnk) stay on the calling thread. A
/// rayon fork/join with warm workers costs about a microsecond, what 0.25
/// MFLOP take on one core. Measured on Zen 5, 2 threads, best of 5
/// processes (GFLOP/s at 4e6 / 1e6 / 2.5e5): 64³ 151 / 151 / 181,
/// 128x784x10 134 / 169 / 187, `A Bᵀ` 128x10x800 142 / 178 / 206.
pub(crate) const PARALLEL_MIN_FLOPS: f64 = 2.5e5;

/// A raw operand: element `(i, j)` at `ptr + i * rs + j * cs`.
#[derive(Clone, Copy)]
pub struct Operand<T> {
    pub(crate) ptr: *const T,
    pub(crate) rs: usize,
    pub(crate) cs: usize,
}

impl<T> Operand<T> {
    /// The same memory seen as the transpose.
    pub(crate) fn t(self) -> Operand<T> {
        Operand {
            ptr: self.ptr,
            rs: self.cs,
            cs: self.rs,
        }
    }
}

/// The output operand.
#[derive(Clone, Copy)]
pub struct OutOperand<T> {
    pub(crate) ptr: *mut T,
    pub(crate) rs: usize,
    pub(crate) cs: usize,
}

/// One checked gemm call: `C (m x n) <- epi(alpha A (m x k) B (k x n) + beta C)`.
#[derive(Clone, Copy)]
pub struct Problem<T> {
    pub(crate) m: usize,
    pub(crate) n: usize,
    pub(crate) k: usize,
    pub(crate) alpha: T,
    pub(crate) beta: T,
    pub(crate) a: Operand<T>,
    pub(crate) b: Operand<T>,
    pub(crate) c: OutOperand<T>,
    /// Bias row of `n` elements, or null.
    pub(crate) bias: *const T,
    pub(crate) relu: bool,
}

/// Lets raw pointers cross into rayon tasks (the gemm driver, the skinny
/// and sparse kernels, transpose).
#[derive(Clone, Copy)]
pub(crate) struct Shared<P>(pub(crate) P);
// SAFETY: every user hands its tasks read-only inputs and disjoint parts of
// the output (C tiles, C rows, destination bands, workspace regions) that
// outlive the parallel section.
unsafe impl<P> Send for Shared<P> {}
impl<P: Copy> Shared<P> {
    /// By-value access, so closures capture the whole (Send) wrapper.
    pub(crate) fn get(self) -> P {
        self.0
    }
}
// SAFETY: as above.
unsafe impl<P> Sync for Shared<P> {}

/// Runs one gemm with kernel `K`: splits C into one part per worker (rows
/// or columns, whole tiles each) and runs the single-threaded BLIS loops on
/// each part, so a product costs one fork/join however many blocks it has.
///
/// The packing buffers of every part are regions of the calling thread's
/// workspace (see `buffer.rs`), sized from the shapes alone.
///
/// # Safety
/// The problem's pointers cover its shapes and strides (checked by the
/// public API), C does not overlap A or B, and the CPU supports `K`.
pub(crate) unsafe fn run<T: Scalar, K: Kernel<T>>(p: &Problem<T>, threads: usize) {
    let (mr, nr) = (K::MR, K::NR);
    let size = std::mem::size_of::<T>();
    let caches = CacheSizes::detect();
    // KC is fixed by the whole problem: it sets how partial sums are grouped,
    // so every part must use the same one for bitwise-equal results.
    let kc = Blocking::new(caches, mr, nr, size, (p.m, p.k, p.n)).kc;
    let flops = 2.0 * (p.m as f64) * (p.n as f64) * (p.k as f64);
    let threads = if flops < PARALLEL_MIN_FLOPS {
        1
    } else {
        threads.max(1)
    };
    let split_m = split_rows_first(p.m, K::MR_STEP, p.n, K::NR_STEP, threads);
    let (len, step) = if split_m {
        (p.m, K::MR_STEP)
    } else {
        (p.n, K::NR_STEP)
    };
    let total = len.div_ceil(step);
    let parts = threads.min(total).max(1);
    let shared_p = Shared(p as *const Problem<T>);
    // Part t of the problem: steps a0..a1 of the split dimension.
    let part = move |t: usize| {
        let (a0, a1) = (t * total / parts, (t + 1) * total / parts);
        let (i0, i1) = (a0 * step, (a1 * step).min(len));
        // SAFETY: p outlives every call (the parallel section included);
        // i0 <= i1 <= m or n, so the split is in bounds.
        unsafe {
            let p = &*shared_p.get();
            if parts == 1 {
                *p
            } else if split_m {
                split_rows(p, i0, i1)
            } else {
                split_columns(p, i0, i1)
            }
        }
    };
    let region = (0..parts)
        .map(|t| workspace_elems::<T, K>(&part(t), caches, kc))
        .max()
        .unwrap_or(0);
    with_workspace::<T, _>(region * parts, |ws| {
        if parts == 1 {
            // SAFETY: the whole problem in one part, with the whole region.
            return unsafe { run_part::<T, K>(p, caches, kc, ws) };
        }
        let shared = Shared(ws);
        (0..parts).into_par_iter().for_each(|t| {
            // SAFETY: p outlives the parallel section; parts cover disjoint
            // rows (or columns) of C, whole tiles each, and own disjoint
            // workspace regions of `region` elements.
            unsafe { run_part::<T, K>(&part(t), caches, kc, shared.get().add(t * region)) }
        });
    });
}

/// Whether to split C's rows (rather than its columns) between `threads`
/// workers, for cuts at multiples of `m_step` rows or `n_step` columns.
///
/// The dimension whose busiest part computes less padding wins: 800
/// columns cut in 16s over 2 workers is 400 + 400 exactly, 128 rows cut
/// in 4s is 64 + 64, but 784 rows on 3 workers is 264 + 260 + 260.
///
/// Within 2% of each other, rows are split unless C is more than 4 times
/// wider than tall. Each worker packs all of the operand not split (B when
/// rows are split), so a wide C (128 x 800 with k = 784: 2.5 MB of B per
/// worker) is better split by columns; otherwise splitting rows was
/// measured faster even where the packing is symmetric (Zen 4, f32, 2
/// threads, GFLOP/s rows / columns: `Aᵀ B` 784x128x800 187 / 160, 512³
/// 190 / 160, 10000x784x800 187 / 179; 128x784x800 173 / 182).
pub(crate) fn split_rows_first(
    m: usize,
    m_step: usize,
    n: usize,
    n_step: usize,
    threads: usize,
) -> bool {
    // Elements per worker over the busiest part's (padded) elements.
    let threads = threads.max(1);
    let balance = |len: usize, step: usize| {
        let busiest = len.div_ceil(step).div_ceil(threads) * step;
        len as f64 / (threads * busiest) as f64
    };
    let (bm, bn) = (balance(m, m_step), balance(n, n_step));
    if (bm - bn).abs() > 0.02 {
        bm > bn
    } else {
        m.saturating_mul(4) >= n
    }
}

/// Rows `i0..i1` of the problem.
///
/// # Safety
/// `i0 <= i1 <= p.m`.
unsafe fn split_rows<T: Scalar>(p: &Problem<T>, i0: usize, i1: usize) -> Problem<T> {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        Problem {
            m: i1 - i0,
            a: Operand {
                ptr: p.a.ptr.add(i0 * p.a.rs),
                ..p.a
            },
            c: OutOperand {
                ptr: p.c.ptr.add(i0 * p.c.rs),
                ..p.c
            },
            ..*p
        }
    }
}

/// Columns `j0..j1` of the problem (and of its bias).
///
/// # Safety
/// `j0 <= j1 <= p.n`.
unsafe fn split_columns<T: Scalar>(p: &Problem<T>, j0: usize, j1: usize) -> Problem<T> {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        Problem {
            n: j1 - j0,
            b: Operand {
                ptr: p.b.ptr.add(j0 * p.b.cs),
                ..p.b
            },
            c: OutOperand {
                ptr: p.c.ptr.add(j0 * p.c.cs),
                ..p.c
            },
            bias: bias_from(p.bias, j0),
            ..*p
        }
    }
}

/// The blocking of one part: the whole problem's `kc_block`, the part's NC
/// and MC.
fn part_blocking<T: Scalar, K: Kernel<T>>(
    p: &Problem<T>,
    caches: CacheSizes,
    kc_block: usize,
) -> Blocking {
    let size = std::mem::size_of::<T>();
    Blocking::around_kc(caches, K::MR, K::NR, size, (p.m, p.n), kc_block)
}

/// Products of at most this many row panels read row-major B in place.
const DIRECT_B_MAX_PANELS: usize = 4;

/// Whether the kernel reads row-major A in place rather than from packed
/// panels ([`run_part`] still packs a partial last panel).
///
/// Packing row-major A is a transpose, one pass over A that `n` columns
/// amortize: 4-5% of a 256³ product. Read in place, the kernel broadcasts
/// from `MR` row pointers instead, which costs a few address additions per
/// k step. That wins when `n` is at most [`A_IN_PLACE_MAX_N`], or when A
/// is larger than L2, so that packing it waits on memory while the kernel's
/// own reads overlap with its FMAs. It loses when the rows collide in L1: a
/// cache line's L1 set is its address modulo 4 KiB on current x86 (64 sets
/// of 64 bytes), so rows a multiple of 4 KiB apart put all `MR` current
/// lines in one 8-way set. In place needs no set to hold more than half the
/// rows.
///
/// Measured on Zen 4, one thread, packed -> in place, GFLOP/s: f32 256³
/// 105 -> 109, 512³ 109 -> 111, 10000x784x800 100 -> 105, 1009x997x1013
/// 98 -> 102, and the AVX2 kernel at 256³ 93 -> 106; but f32 1024³ (4 KiB
/// rows) 103 -> 96, f64 512³ 47 -> 41, and with A in L2 and n = 800,
/// 128xKx800 for k = 10..128 lost 1-3%.
fn reads_a_in_place<T>(p: &Problem<T>, mr: usize, l2: usize) -> bool {
    const LINE: usize = 64;
    const SETS: usize = 64;
    let a = &p.a;
    if a.cs != 1 || a.rs < 2 || p.k < 2 {
        return false;
    }
    let size = std::mem::size_of::<T>();
    let a_bytes = p.m.saturating_mul(p.k).saturating_mul(size);
    if p.n > A_IN_PLACE_MAX_N && a_bytes <= l2 {
        return false;
    }
    let set = |r: usize| (r * a.rs * size / LINE) % SETS;
    let busiest = (0..mr)
        .map(|r| (0..mr).filter(|&q| set(q) == set(r)).count())
        .max()
        .unwrap_or(0);
    busiest <= mr / 2
}

/// See [`reads_a_in_place`].
const A_IN_PLACE_MAX_N: usize = 512;

/// The longest B row (in bytes) for which the first row of tiles packs B
/// while reading it in place (`b_fill`), instead of a packing pass.
///
/// The pass is a row sweep, a few percent of a product with a large B;
/// reading B in place costs that first row of tiles little while B's rows
/// are close. Measured on Zen 4, one thread, pass -> fill, GFLOP/s: f32
/// 128x784x800 (3200-byte rows) 106 -> 110, 256³ 110 -> 112, f64 256³ and
/// 512³ (4 KiB) even; but with 6 KiB rows the in-place reads fall behind:
/// f64 128x784x800 44 -> 38, f32 128x784x1600 89 -> 75.
const FILL_B_MAX_ROW_BYTES: usize = 4096;

/// The largest B (packed, in bytes) that [`run_part`] packs whole, once,
/// when A comes in several chunks.
///
/// The packed B blocks are otherwise repacked for every A chunk: 8 times
/// for the 10000x784x800 test-set forward pass, 3% of its time (perf, Zen
/// 4, f32, one thread). Packed whole, each block is read back from L3
/// instead, and the workspace grows by up to this much.
const WHOLE_B_MAX_BYTES: usize = 16 << 20;

/// Whether `run_part` packs all of B once (see [`WHOLE_B_MAX_BYTES`]).
fn packs_whole_b<T: Scalar, K: Kernel<T>>(p: &Problem<T>, bl: &Blocking) -> bool {
    let packed = p.k.saturating_mul(p.n.div_ceil(K::NR) * K::NR);
    p.m > bl.mc && packed.saturating_mul(std::mem::size_of::<T>()) <= WHOLE_B_MAX_BYTES
}

/// Workspace elements of one part's packed B (one block, or all of B) and
/// packed A block, each rounded to whole cache lines; B comes first.
fn pack_sizes<T: Scalar, K: Kernel<T>>(p: &Problem<T>, bl: &Blocking) -> (usize, usize) {
    let (mr, nr) = (K::MR, K::NR);
    let kc = bl.kc.min(p.k);
    let b = if packs_whole_b::<T, K>(p, bl) {
        p.n.div_ceil(nr) * nr * p.k
    } else {
        bl.nc.min(p.n).div_ceil(nr) * nr * kc
    };
    let a = (bl.mc / mr).min(p.m.div_ceil(mr)) * mr * kc;
    (whole_lines::<T>(b), whole_lines::<T>(a))
}

/// Workspace elements [`run_part`] needs for `p`.
fn workspace_elems<T: Scalar, K: Kernel<T>>(
    p: &Problem<T>,
    caches: CacheSizes,
    kc_block: usize,
) -> usize {
    let (b, a) = pack_sizes::<T, K>(p, &part_blocking::<T, K>(p, caches, kc_block));
    b + a
}

/// The five BLIS loops on one thread, with inner blocks of `kc_block`,
/// packing into `ws` ([`workspace_elems`] elements, 64-byte aligned).
///
/// # Safety
/// As [`run`], and `ws` is this part's alone.
unsafe fn run_part<T: Scalar, K: Kernel<T>>(
    p: &Problem<T>,
    caches: CacheSizes,
    kc_block: usize,
    ws: *mut T,
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        let (mr, nr) = (K::MR, K::NR);
        // With a few row panels each B panel is used a few times, and packing
        // it costs about as much as the product: row-major B is then read in
        // place, the kernel prefetching its rows (a row of B apart, too far for
        // the hardware prefetcher). Measured on Zen 4, f32, one thread, packed
        // -> in place, GFLOP/s: 10x784x800 55 -> 89, 12x784x800 70 -> 109,
        // 8x1000x1000 53 -> 99, 24x784x800 75 -> 105, 48x784x800 87 -> 95;
        // from 96 rows on, packing wins (128x784x800: 85 in place, 95 packed).
        let direct_b = p.m <= DIRECT_B_MAX_PANELS * mr && p.b.cs == 1;
        // Otherwise row-major B's full panels are packed by the first row of
        // tiles, whose kernels read B in place and store each row they load
        // into the panel, instead of by a pass of their own (see
        // FILL_B_MAX_ROW_BYTES).
        let fill_b = !direct_b
            && p.b.cs == 1
            && p.b.rs.saturating_mul(std::mem::size_of::<T>()) <= FILL_B_MAX_ROW_BYTES;
        let direct_a = reads_a_in_place(p, mr, caches.l2);
        let bl = part_blocking::<T, K>(p, caches, kc_block);
        let (b_elems, _) = pack_sizes::<T, K>(p, &bl);
        let (bpack, apack) = (ws, ws.add(b_elems));
        // All of B packed once: the block (pc, jc) sits at pc * n_pad + jc * kc,
        // its panels in order, and is packed by the first A chunk only.
        let whole_b = packs_whole_b::<T, K>(p, &bl);
        let n_pad = p.n.div_ceil(nr) * nr;

        let mut ic = 0;
        while ic < p.m {
            let mc = bl.mc.min(p.m - ic);
            let mut pc = 0;
            while pc < p.k {
                let kc = bl.kc.min(p.k - pc);
                let first = pc == 0;
                let last = pc + kc == p.k;
                let a_src = p.a.ptr.add(ic * p.a.rs + pc * p.a.cs);
                // Read in place, A's full panels need no packing; the last,
                // partial one still does (the kernel reads all MR rows).
                let skip = if direct_a { mc / mr * mr } else { 0 };
                let (src, dst) = (a_src.add(skip * p.a.rs), apack.add(skip * kc));
                K::pack(mc - skip, kc, mr, src, p.a.rs, p.a.cs, dst);
                let mut jc = 0;
                while jc < p.n {
                    let nc = bl.nc.min(p.n - jc);
                    let b_src = p.b.ptr.add(pc * p.b.rs + jc * p.b.cs);
                    let b_block = if whole_b {
                        bpack.add(pc * n_pad + jc * kc)
                    } else {
                        bpack
                    };
                    let pack_b = !whole_b || ic == 0;
                    let fill = fill_b && pack_b;
                    if pack_b {
                        // Full panels read in place (or packed by the kernels
                        // that read them first) are skipped: only the last,
                        // partial panel needs packing here (zero padding).
                        let skip = if direct_b || fill { nc / nr * nr } else { 0 };
                        let (src, dst) = (b_src.add(skip * p.b.cs), b_block.add(skip * kc));
                        K::pack(nc - skip, kc, nr, src, p.b.cs, p.b.rs, dst);
                    }
                    let block = Block {
                        ic,
                        jc,
                        mc,
                        nc,
                        kc,
                        beta: if first { p.beta } else { T::ONE },
                        epi: if last {
                            TileEpilogue::at(p.bias, p.relu, jc)
                        } else {
                            TileEpilogue::NONE
                        },
                        apack,
                        bpack: b_block,
                        b_direct: if direct_b || fill {
                            b_src
                        } else {
                            std::ptr::null()
                        },
                        b_fill: fill,
                        a_direct: if direct_a { a_src } else { std::ptr::null() },
                    };
                    compute_block::<T, K>(p, &block);
                    jc += nc;
                }
                pc += kc;
            }
            ic += mc;
        }
    }
}

/// One (ic, pc, jc) block with its packed A chunk and B block.
struct Block<T> {
    ic: usize,
    jc: usize,
    mc: usize,
    nc: usize,
    kc: usize,
    beta: T,
    epi: TileEpilogue<T>,
    apack: *const T,
    bpack: *mut T,
    /// B's block origin when full panels are read in place (else null).
    b_direct: *const T,
    /// Full B panels are read in place by the first row of tiles only,
    /// which packs them into `bpack` for the others.
    b_fill: bool,
    /// A's block origin when full panels are read in place (else null).
    a_direct: *const T,
}

/// Every tile of one block: A micro-panels outside (each read once per tile
/// of its row, from L1 when KC is short enough, else from L2), B
/// micro-panels inside (streamed from L2). With
/// `b_fill`, the first row of tiles packs the full B panels it reads.
///
/// # Safety
/// As [`run`]; the block's packed buffers hold its panels.
unsafe fn compute_block<T: Scalar, K: Kernel<T>>(p: &Problem<T>, blk: &Block<T>) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        let (mr, nr, kc) = (K::MR, K::NR, blk.kc);
        for ir in 0..blk.mc.div_ceil(mr) {
            let i0 = ir * mr;
            let (a, a_rs) = if !blk.a_direct.is_null() && i0 + mr <= blk.mc {
                (blk.a_direct.add(i0 * p.a.rs), p.a.rs)
            } else {
                (blk.apack.add(ir * mr * kc), 1)
            };
            // In place: always, or (filling) in the first row of tiles only.
            let b_in_place = !blk.b_direct.is_null() && (!blk.b_fill || ir == 0);
            for jr in 0..blk.nc.div_ceil(nr) {
                let j0 = jr * nr;
                let packed = blk.bpack.add(jr * nr * kc);
                let tile = Tile {
                    ptr: p.c.ptr.add((blk.ic + i0) * p.c.rs + (blk.jc + j0) * p.c.cs),
                    rs: p.c.rs,
                    cs: p.c.cs,
                    m: mr.min(blk.mc - i0),
                    n: nr.min(blk.nc - j0),
                };
                let epi = TileEpilogue::at(blk.epi.bias, blk.epi.relu, j0);
                let (b, b_rs, b_copy) = if b_in_place && j0 + nr <= blk.nc {
                    let copy = if blk.b_fill {
                        packed
                    } else {
                        std::ptr::null_mut()
                    };
                    (blk.b_direct.add(j0), p.b.rs, copy)
                } else {
                    (packed as *const T, nr, std::ptr::null_mut())
                };
                K::tile(kc, a, a_rs, b, b_rs, b_copy, tile, p.alpha, blk.beta, epi);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{reads_a_in_place, split_rows_first, Operand, OutOperand, Problem};

    #[test]
    fn a_is_read_in_place_unless_its_rows_collide_or_it_is_cheap_to_pack() {
        let l2 = 1 << 20;
        let problem = |m: usize, k: usize, n: usize, rs: usize, cs: usize| Problem::<f32> {
            m,
            n,
            k,
            alpha: 1.0,
            beta: 0.0,
            a: Operand {
                ptr: std::ptr::null(),
                rs,
                cs,
            },
            b: Operand {
                ptr: std::ptr::null(),
                rs: n,
                cs: 1,
            },
            c: OutOperand {
                ptr: std::ptr::null_mut(),
                rs: n,
                cs: 1,
            },
            bias: std::ptr::null(),
            relu: false,
        };
        // 784 floats = 3136 bytes: 12 rows in 12 different sets; A (31 MB)
        // is larger than L2.
        assert!(reads_a_in_place(&problem(10000, 784, 800, 784, 1), 12, l2));
        // The same rows, but A fits in L2 and 800 columns amortize packing.
        assert!(!reads_a_in_place(&problem(128, 784, 800, 784, 1), 12, l2));
        // 256 floats = 1 KiB: 4 sets, 3 rows each; n = 256.
        assert!(reads_a_in_place(&problem(256, 256, 256, 256, 1), 12, l2));
        // 512 floats = 2 KiB: two sets, 6 rows each (half of 12).
        assert!(reads_a_in_place(&problem(512, 512, 512, 512, 1), 12, l2));
        // 1024 floats = 4 KiB: every row in the same set.
        assert!(!reads_a_in_place(
            &problem(1024, 1024, 1024, 1024, 1),
            12,
            l2
        ));
        assert!(!reads_a_in_place(&problem(300, 100, 300, 2048, 1), 12, l2));
        // Column-major A (Aᵀ B) is packed, and so is a single column.
        assert!(!reads_a_in_place(&problem(784, 128, 300, 1, 784), 12, l2));
        assert!(!reads_a_in_place(&problem(100, 1, 300, 1, 1), 12, l2));
    }

    #[test]
    fn the_better_balanced_dimension_is_split() {
        // 800 columns in 16s halve exactly, 128 rows in 4s too: C is wide.
        assert!(!split_rows_first(128, 4, 800, 16, 2));
        // 784 x 800 on 2 threads: both exact, C is about square: rows.
        assert!(split_rows_first(784, 4, 800, 16, 2));
        // Columns in 32s over 2 workers: 416 + 384; rows in 4s: 392 + 392.
        assert!(split_rows_first(784, 4, 800, 32, 2));
        // One worker: nothing to balance, the longer dimension.
        assert!(split_rows_first(1000, 4, 10, 16, 1));
        // 10 columns cannot be shared by 2 workers; 1000 rows can.
        assert!(split_rows_first(1000, 4, 10, 16, 2));
    }
}
