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
//! Everything this driver does differently from one product to the next
//! is decided beforehand by the product's [`Plan`] (`plan.rs`): the k block,
//! how C is split between workers, and for each part the block sizes,
//! whether A and B are read in place ([`ASource`], [`BSource`]: the kernel
//! then skips packing their full panels) and whether all of B is packed
//! once. A partial last panel always goes through `pack` (it needs zero
//! padding).
//!
//! Edge tiles (a part's last rows or columns) run the smallest register
//! block that covers them (`Kernel::MR_STEP`, `NR_STEP`), so parts are cut
//! at those steps.
//!
//! `beta` applies on the first KC block only (later blocks accumulate with
//! beta = 1) and the epilogue on the last. Workers split M or N, never K; KC
//! comes from the whole problem, and every C element is one FMA chain in k
//! order, so the result is bitwise identical for any number of threads.

use super::kernel::{APanel, BPanel, BlisKernel, Tile, TileEpilogue};
use super::plan::{ASource, BSource, PartPlan, Plan};
use super::problem::Problem;
use crate::arch::{whole_lines, with_workspace, Shared};
use crate::Scalar;

/// Runs one gemm with kernel `K` as `plan` says: one part per worker (a
/// band of rows or columns, whole tiles each), the single-threaded BLIS
/// loops on each part, so a product costs one fork/join however many blocks
/// it has.
///
/// The packing buffers of every part are regions of the calling thread's
/// workspace (see `arch/workspace.rs`), sized from the shapes alone.
///
/// # Safety
/// The problem's pointers cover its shapes and strides (checked by the
/// public API), C does not overlap A or B, the CPU supports `K`, and
/// `plan` was made for `p` with `K`'s shape and validated.
pub(crate) unsafe fn run<T: Scalar, K: BlisKernel<T>>(p: &Problem<T, K::Src>, plan: &Plan) {
    debug_assert_eq!((plan.shape.mr, plan.shape.nr), (K::MR, K::NR));
    debug_assert_eq!(
        (plan.shape.mr_step, plan.shape.nr_step),
        (K::MR_STEP, K::NR_STEP)
    );
    debug_assert!(
        K::READS_IN_PLACE
            || plan
                .first_part
                .is_none_or(|pp| pp.a == ASource::Packed && pp.b == BSource::Packed),
        "a kernel that converts while packing reads nothing in place"
    );
    let parts = plan.parts;
    // Every part's plan (validated for the first part when the plan was made;
    // the others follow the same rules and forced choices on their own band).
    let part_plan = move |p: &Problem<T, K::Src>, t: usize| {
        let part = plan.part(p, t);
        let pp = plan.part_plan(&part).expect("a validated plan");
        (part, pp)
    };
    let region = (0..parts)
        .map(|t| {
            let (part, pp) = part_plan(p, t);
            workspace_elems::<T, K>(&part, &pp)
        })
        .max()
        .unwrap_or(0);
    with_workspace::<K::Packed, _>(region * parts, |ws| {
        if parts == 1 {
            let (part, pp) = part_plan(p, 0);
            // SAFETY: the whole problem in one part, with the whole region.
            return unsafe { run_part::<T, K>(&part, &pp, ws) };
        }
        let shared = Shared((p as *const Problem<T, K::Src>, ws));
        crate::arch::threads::for_each_part(parts, |t| {
            let (p, ws) = shared.get();
            // SAFETY: `p` outlives the parallel section; parts cover disjoint
            // bands of C, whole tiles each, and own disjoint workspace
            // regions of `region` elements.
            unsafe {
                let (part, pp) = part_plan(&*p, t);
                run_part::<T, K>(&part, &pp, ws.add(t * region))
            }
        });
    });
}

/// Workspace elements of one part's packed B (one block, or all of B) and
/// packed A block, each rounded to whole cache lines; B comes first.
fn pack_sizes<T: Scalar, K: BlisKernel<T>>(
    p: &Problem<T, K::Src>,
    pp: &PartPlan,
) -> (usize, usize) {
    let line = whole_lines::<K::Packed>(1);
    super::checks::pack_elems((p.m, p.k, p.n), pp, (K::MR, K::NR), K::K_GROUP, line)
        .expect("checked, with larger groups and lines, when the plan was made")
}

/// Workspace elements [`run_part`] needs for `p`.
fn workspace_elems<T: Scalar, K: BlisKernel<T>>(p: &Problem<T, K::Src>, pp: &PartPlan) -> usize {
    let (b, a) = pack_sizes::<T, K>(p, pp);
    b + a
}

/// The five BLIS loops on one thread, packing into `ws`
/// ([`workspace_elems`] elements, 64-byte aligned).
///
/// # Safety
/// As [`run`], `pp` is the plan of this part, and `ws` is this part's alone.
unsafe fn run_part<T: Scalar, K: BlisKernel<T>>(
    p: &Problem<T, K::Src>,
    pp: &PartPlan,
    ws: *mut K::Packed,
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        let (mr, nr) = (K::MR, K::NR);
        let direct_a = pp.a == ASource::InPlace;
        let direct_b = pp.b == BSource::InPlace;
        let fill_b = pp.b == BSource::FilledByFirstRow;
        let (b_elems, _) = pack_sizes::<T, K>(p, pp);
        let (bpack, apack) = (ws, ws.add(b_elems));
        // All of B packed once: the block (pc, jc) sits at pc * n_pad + jc * kc,
        // its panels in order, and is packed by the first A chunk only.
        let n_pad = p.n.div_ceil(nr) * nr;

        let mut ic = 0;
        while ic < p.m {
            let mc = pp.mc.min(p.m - ic);
            let mut pc = 0;
            while pc < p.k {
                let kc = pp.kc.min(p.k - pc);
                // k steps in a packed panel (zero-padded to whole groups).
                let kp = kc.next_multiple_of(K::K_GROUP);
                let first = pc == 0;
                let last = pc + kc == p.k;
                let a_src = p.a.ptr.add(ic * p.a.rs + pc * p.a.cs);
                // Read in place, A's full panels need no packing; the last,
                // partial one still does (the kernel reads all MR rows).
                let skip = if direct_a { mc / mr * mr } else { 0 };
                let (src, dst) = (a_src.add(skip * p.a.rs), apack.add(skip * kp));
                K::pack(mc - skip, kc, mr, src, p.a.rs, p.a.cs, dst);
                let mut jc = 0;
                while jc < p.n {
                    let nc = pp.nc.min(p.n - jc);
                    let b_src = p.b.ptr.add(pc * p.b.rs + jc * p.b.cs);
                    let b_block = if pp.whole_b {
                        bpack.add(pc * n_pad + jc * kp)
                    } else {
                        bpack
                    };
                    let pack_b = !pp.whole_b || ic == 0;
                    let fill = fill_b && pack_b;
                    if pack_b {
                        // Full panels read in place (or packed by the kernels
                        // that read them first) are skipped: only the last,
                        // partial panel needs packing here (zero padding).
                        let skip = if direct_b || fill { nc / nr * nr } else { 0 };
                        let (src, dst) = (b_src.add(skip * p.b.cs), b_block.add(skip * kp));
                        K::pack_b(nc - skip, kc, nr, src, p.b.cs, p.b.rs, dst);
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
struct Block<T, S, P> {
    ic: usize,
    jc: usize,
    mc: usize,
    nc: usize,
    kc: usize,
    beta: T,
    epi: TileEpilogue<T>,
    apack: *const P,
    bpack: *mut P,
    /// B's block origin when full panels are read in place (else null).
    b_direct: *const S,
    /// Full B panels are read in place by the first row of tiles only,
    /// which packs them into `bpack` for the others.
    b_fill: bool,
    /// A's block origin when full panels are read in place (else null).
    a_direct: *const S,
}

/// Every tile of one block: A micro-panels outside (each read once per tile
/// of its row, from L1 when KC is short enough, else from L2), B
/// micro-panels inside (streamed from L2). With
/// `b_fill`, the first row of tiles packs the full B panels it reads.
///
/// # Safety
/// As [`run`]; the block's packed buffers hold its panels.
unsafe fn compute_block<T: Scalar, K: BlisKernel<T>>(
    p: &Problem<T, K::Src>,
    blk: &Block<T, K::Src, K::Packed>,
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        let (mr, nr, kc) = (K::MR, K::NR, blk.kc);
        let kp = kc.next_multiple_of(K::K_GROUP);
        for ir in 0..blk.mc.div_ceil(mr) {
            let i0 = ir * mr;
            let a = if !blk.a_direct.is_null() && i0 + mr <= blk.mc {
                // `Src` is `Packed` for every kernel that reads in place
                // (`READS_IN_PLACE`, checked by `run`).
                APanel::InPlace {
                    ptr: blk.a_direct.add(i0 * p.a.rs).cast::<K::Packed>(),
                    rs: p.a.rs,
                }
            } else {
                APanel::Packed(blk.apack.add(ir * mr * kp))
            };
            // In place: always, or (filling) in the first row of tiles only.
            let b_in_place = !blk.b_direct.is_null() && (!blk.b_fill || ir == 0);
            for jr in 0..blk.nc.div_ceil(nr) {
                let j0 = jr * nr;
                let packed = blk.bpack.add(jr * nr * kp);
                let tile = Tile {
                    ptr: p.c.ptr.add((blk.ic + i0) * p.c.rs + (blk.jc + j0) * p.c.cs),
                    rs: p.c.rs,
                    cs: p.c.cs,
                    m: mr.min(blk.mc - i0),
                    n: nr.min(blk.nc - j0),
                };
                let epi = TileEpilogue::at(blk.epi.bias, blk.epi.relu, j0);
                let b = if b_in_place && j0 + nr <= blk.nc {
                    // As for A: `Src` is `Packed` here.
                    let (ptr, rs) = (blk.b_direct.add(j0).cast::<K::Packed>(), p.b.rs);
                    if blk.b_fill {
                        BPanel::Filling {
                            ptr,
                            rs,
                            copy: packed,
                        }
                    } else {
                        BPanel::InPlace { ptr, rs }
                    }
                } else {
                    BPanel::Packed(packed as *const K::Packed)
                };
                K::tile(kc, a, b, tile, p.alpha, blk.beta, epi);
            }
        }
    }
}
