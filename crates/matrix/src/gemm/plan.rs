//! The plan of one product: every decision about *how* gemm computes
//! `C <- alpha * op(A) * op(B) + beta * C`, made once, before any work, from
//! the shapes, the strides, the kernel, the caches and the thread count.
//! The loop drivers (`driver.rs`, `skinny.rs`) only execute a plan.
//!
//! | decision | rule |
//! |---|---|
//! | [`swapped`](Plan::swapped) | solve `Cᵀ = Bᵀ Aᵀ` when C is tall with at most 16 columns and A is column-major, or C is one row and B column-major; never with a bias (`swap_pays`) |
//! | [`algorithm`](Plan::algorithm) | one row of C with row-major B: a sum of B's rows; dot products along k when A is row-major, C has at most 16 columns and k spans a vector; the narrow kernel when C fits one of its panels; else the full BLIS kernel (`algorithm_for`) |
//! | [`kc`](Plan::kc) | the k block, from L2, evened over k (`Blocking::new`) |
//! | [`parts`](Plan::parts), [`split`](Plan::split) | one part per thread above `PARALLEL_MIN_FLOPS`, cut where the busiest part computes the least padding (`split_rows_first`) |
//! | per part: [`a`](PartPlan::a) | A read in place when row-major, cheap to read and its rows do not collide in L1 (`reads_a_in_place`) |
//! | per part: [`b`](PartPlan::b) | B read in place for a few row panels; packed by the first row of tiles when its rows are short; else packed by a pass (`b_source`) |
//! | per part: [`whole_b`](PartPlan::whole_b) | all of B packed once when A comes in several chunks and packed B is at most 16 MiB (`packs_whole_b`) |
//!
//! [`PlanChoices`] forces any of these decisions where the operands' layout
//! allows it: tests use it to run every path on any machine, whatever its
//! caches, and assert which plan a shape gets.

use super::blocking::{Blocking, CacheSizes};
use super::problem::{Operand, Problem};
use crate::arch::KernelKind;
use crate::{MatrixError, Scalar};

/// Which loop nest computes the product.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// Each C element a dot product vectorised along k, A read in place, B
    /// packed once as `Bᵀ` (`skinny.rs`): C with a few columns.
    Dot,
    /// The BLIS loops with the kernel's narrow tile (one vector of columns,
    /// twice the rows), for C no wider than that.
    Narrow,
    /// The BLIS loops with the kernel's full tile.
    Blis,
    /// One row of C as a sum of B's rows scaled by A's elements, vectorised
    /// along n (`vector.rs`): a row vector times a row-major matrix.
    Vector,
}

/// How a part splits C between workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Split {
    /// Each worker computes a band of rows.
    Rows,
    /// Each worker computes a band of columns.
    Columns,
}

/// Where the micro-kernel reads A's full micro-panels from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ASource {
    /// Packed into `MR`-row panels, once per (row chunk, k block).
    Packed,
    /// Row-major A's own rows, `MR` row pointers broadcast by the kernel (a
    /// partial last panel is still packed).
    InPlace,
}

/// Where the micro-kernel reads B's full micro-panels from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BSource {
    /// Packed into `NR`-column panels by a pass before the block's tiles.
    Packed,
    /// Row-major B's own rows, prefetched by the kernel.
    InPlace,
    /// Read in place by the first row of tiles, which also stores each row
    /// it loads into the packed panel the other rows of tiles read.
    FilledByFirstRow,
}

/// The BLIS decisions for one part of the product (one worker's band of C).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PartPlan {
    /// Rows of the packed A chunk.
    pub mc: usize,
    /// Depth of a k block (the whole product's).
    pub kc: usize,
    /// Columns of a packed B block.
    pub nc: usize,
    /// Where A's full panels are read from.
    pub a: ASource,
    /// Where B's full panels are read from.
    pub b: BSource,
    /// All of B packed once, by the first row chunk, and read back by the
    /// others.
    pub whole_b: bool,
}

/// Decisions to force instead of the rules, for tests and experiments.
/// `None` leaves a decision to its rule. A choice the operands' layout does
/// not allow (A in place with column-major A, say) is an error, never a
/// wrong result.
///
/// Every field is checked by one rule before any work (a caller's number
/// must never become an overflow, a zero step that loops forever, or a
/// buffer too small for what is packed into it):
///
/// | field | refused ([`MatrixError::InvalidPlan`]) when |
/// |---|---|
/// | `caches` | either size is outside [`CacheSizes::MIN_BYTES`]`..=`[`CacheSizes::MAX_BYTES`] ([`CacheSizes::check`]) |
/// | `swap` | `Some(true)` with a bias row |
/// | `algorithm` | the (swapped) layout does not allow it, or the kernel has no such variant |
/// | `a`, `b` | in place with an operand that is not row-major |
/// | `mc` | 0, or rounding it up to whole `MR`-row panels overflows `usize` |
/// | `whole_b` (and every block size) | the packing workspace it sizes overflows `usize` or `isize::MAX` bytes; one that cannot be allocated is an error too, never an abort |
///
/// Choices a loop nest does not use (`mc` in a dot-product plan) are
/// checked all the same and otherwise ignored. The thread count of
/// [`plan_gemm`](crate::gemm::plan_gemm) must be at least 1 (more than the
/// product has register steps are capped).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PlanChoices {
    /// Cache sizes to derive the blocking from instead of this machine's.
    pub caches: Option<CacheSizes>,
    /// Solve `Cᵀ = Bᵀ Aᵀ` or not.
    pub swap: Option<bool>,
    /// The loop nest.
    pub algorithm: Option<Algorithm>,
    /// Where every part reads A from.
    pub a: Option<ASource>,
    /// Where every part reads B from.
    pub b: Option<BSource>,
    /// Whether every part packs all of B once.
    pub whole_b: Option<bool>,
    /// Rows of a packed A chunk (rounded up to whole panels), instead of
    /// what a few MiB hold: a small one makes several chunks of a modest A.
    pub mc: Option<usize>,
}

/// Register-tile sizes of the kernel a plan uses (the associated constants
/// of `Kernel` or `SkinnyKernel`, looked up at run time by
/// `gemm::kernel_shape`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct KernelShape {
    pub(crate) mr: usize,
    pub(crate) nr: usize,
    pub(crate) mr_step: usize,
    pub(crate) nr_step: usize,
    /// Elements per SIMD vector.
    pub(crate) lanes: usize,
}

/// Every decision for one product. See the module docs for the rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Plan {
    /// The micro-kernel family.
    pub kernel: KernelKind,
    /// `Cᵀ = Bᵀ Aᵀ` is computed instead of `C = A B`; the fields below
    /// describe that product.
    pub swapped: bool,
    /// The loop nest.
    pub algorithm: Algorithm,
    /// The caches the blocking was derived from.
    pub caches: CacheSizes,
    /// Depth of a k block (BLIS; `beta` applies on the first block only).
    pub kc: usize,
    /// Workers the product is split between.
    pub parts: usize,
    /// How C is split between them.
    pub split: Split,
    /// The first part's BLIS decisions (`None` for [`Algorithm::Dot`]);
    /// every part follows the same rules on its own band.
    pub first_part: Option<PartPlan>,
    pub(crate) shape: KernelShape,
    pub(crate) choices: PlanChoices,
    /// Bytes of packing workspace the BLIS loops of every part need at
    /// most (0 for the other loop nests, which size theirs from the
    /// operands alone): computed in checked arithmetic when the plan is
    /// made, and reserved fallibly before it runs.
    pub(crate) workspace_bytes: usize,
}

/// Products below this many flops (2mnk) stay on the calling thread. A
/// rayon fork/join with warm workers costs about a microsecond, what 0.25
/// MFLOP take on one core.
pub(crate) const PARALLEL_MIN_FLOPS: f64 = 2.5e5;

/// Columns at most this many, with column-major A, make gemm solve `Cᵀ = Bᵀ Aᵀ`.
const SWAP_MAX_N: usize = 16;

/// Most columns the dot-product loop nest takes: beyond that the BLIS
/// kernel fills its vectors and reuses each A element across more columns.
pub(crate) const DOT_MAX_N: usize = 16;

/// Fewest vectors of k for which the rules pick the dot-product loop nest:
/// each C element ends in a horizontal reduction and a scalar k tail,
/// which a short k does not amortize (a 10 x 10 layer's products, k = 10,
/// run several times faster on the narrow BLIS tile). Forcing the loop
/// nest still works down to one vector.
const DOT_MIN_K_VECTORS: usize = 5;

/// Rows per block of the dot-product loop nest (`skinny.rs`).
pub(crate) const DOT_ROWS: usize = 4;

/// Products of at most this many row panels read row-major B in place.
const B_IN_PLACE_MAX_PANELS: usize = 4;

/// The longest B row (in bytes) that the first row of tiles packs while
/// reading it in place.
const FILL_B_MAX_ROW_BYTES: usize = 4096;

/// The largest B (packed, in bytes) packed whole, once, when A comes in
/// several chunks.
const WHOLE_B_MAX_BYTES: usize = 16 << 20;

/// Columns at most this many let A be read in place whatever its size.
const A_IN_PLACE_MAX_N: usize = 512;

pub(super) fn refuse(detail: String) -> MatrixError {
    MatrixError::InvalidPlan { detail }
}

/// The numeric choices checked by their rules, independent of the
/// operands' layout (see [`PlanChoices`]): caches in range, `mc` nonzero
/// with whole panels of it a number for the kernel's `mr`, at least one
/// thread.
fn check_numbers(
    choices: &PlanChoices,
    shape: &KernelShape,
    threads: usize,
) -> Result<(), MatrixError> {
    if let Some(caches) = choices.caches {
        caches.check()?;
    }
    if let Some(mc) = choices.mc {
        if mc == 0 || mc.checked_next_multiple_of(shape.mr.max(1)).is_none() {
            return Err(refuse(format!(
                "mc must be at least one row and round up to whole panels of {} rows (mc = {mc})",
                shape.mr
            )));
        }
    }
    if threads == 0 {
        return Err(refuse("a plan needs at least one thread".into()));
    }
    Ok(())
}

impl Plan {
    /// The plan for `p` (the product as the caller wrote it) with `kernel`
    /// on `threads` workers; `shape_of` gives the kernel's tile for each
    /// loop nest it has (`gemm::kernel_shape`: the plan is made from
    /// numbers, not from the kernels themselves).
    ///
    /// # Errors
    /// [`MatrixError::InvalidPlan`] if `choices` force a decision the
    /// operands' layout or the kernel does not allow.
    pub(crate) fn new<T: Scalar, I: Copy>(
        p: &Problem<T, I>,
        kernel: KernelKind,
        shape_of: impl Fn(Algorithm) -> Option<KernelShape>,
        threads: usize,
        choices: PlanChoices,
    ) -> Result<(Plan, Problem<T, I>), MatrixError> {
        let has_bias = !p.bias.is_null();
        let swapped = match choices.swap {
            Some(true) if has_bias => {
                return Err(refuse("a swapped product cannot take a bias row".into()))
            }
            Some(s) => s,
            None => swap_pays(p, has_bias),
        };
        let p = if swapped { p.swapped() } else { *p };
        let dot_lanes = shape_of(Algorithm::Dot).map(|s| s.lanes);
        let algorithm = match choices.algorithm {
            Some(Algorithm::Vector) if !vector_applies(&p) => {
                return Err(refuse(format!(
                    "the one-row loop needs one row and row-major B ({}x{}x{}, B strides ({}, {}))",
                    p.m, p.k, p.n, p.b.rs, p.b.cs
                )))
            }
            Some(Algorithm::Dot) if !dot_applies(&p, dot_lanes) => {
                return Err(refuse(format!(
                    "the dot-product loop needs row-major A, at most {DOT_MAX_N} columns \
                     and k of at least one vector ({}x{}x{}, A strides ({}, {}))",
                    p.m, p.k, p.n, p.a.rs, p.a.cs
                )))
            }
            Some(a) => a,
            None => algorithm_for(&p, &shape_of),
        };
        let shape = shape_of(algorithm).ok_or_else(|| {
            refuse(format!(
                "the {} kernel has no {algorithm:?} variant",
                kernel.name()
            ))
        })?;
        check_numbers(&choices, &shape, threads)?;
        let caches = choices.caches.unwrap_or_else(CacheSizes::detect);
        let size = std::mem::size_of::<I>();
        let flops = 2.0 * (p.m as f64) * (p.n as f64) * (p.k as f64);
        let big = flops >= PARALLEL_MIN_FLOPS;
        let mut plan = Plan {
            kernel,
            swapped,
            algorithm,
            caches,
            kc: p.k,
            parts: 1,
            split: Split::Rows,
            first_part: None,
            shape,
            choices,
            workspace_bytes: 0,
        };
        if algorithm == Algorithm::Vector {
            // Bands of whole steps of columns; every column is independent.
            let steps = p.n.div_ceil(shape.nr_step);
            if big {
                plan.parts = threads.clamp(1, steps.max(1));
            }
            plan.split = Split::Columns;
            return Ok((plan, p));
        }
        if algorithm == Algorithm::Dot {
            // Row blocks of DOT_ROWS, at least two per worker.
            let blocks = p.m.div_ceil(DOT_ROWS);
            if threads > 1 && big && blocks >= threads.saturating_mul(2) {
                plan.parts = threads;
            }
            return Ok((plan, p));
        }
        // KC is fixed by the whole problem: it sets how partial sums are
        // grouped, so every part uses the same one (bitwise-equal results
        // for any thread count).
        plan.kc = Blocking::new(caches, shape.mr, shape.nr, size, (p.m, p.k, p.n)).kc;
        let threads = if big { threads.max(1) } else { 1 };
        let rows = split_rows_first(p.m, shape.mr_step, p.n, shape.nr_step, threads);
        plan.split = if rows { Split::Rows } else { Split::Columns };
        let (len, step) = if rows {
            (p.m, shape.mr_step)
        } else {
            (p.n, shape.nr_step)
        };
        plan.parts = threads.min(len.div_ceil(step)).max(1);
        plan.first_part = Some(plan.part_plan(&plan.part(&p, 0))?);
        plan.workspace_bytes = plan.blis_workspace_bytes(&p, size)?;
        Ok((plan, p))
    }

    /// The band of C that part `t` computes: rows (or columns, per
    /// [`split`](Plan::split)) `start..end` of `p`, in whole register steps,
    /// the parts as even as the steps allow.
    pub(crate) fn band<T, I>(&self, p: &Problem<T, I>, t: usize) -> (usize, usize) {
        let (len, step) = match self.split {
            Split::Rows => (p.m, self.shape.mr_step),
            Split::Columns => (p.n, self.shape.nr_step),
        };
        let total = len.div_ceil(step);
        let (a0, a1) = (t * total / self.parts, (t + 1) * total / self.parts);
        (a0 * step, (a1 * step).min(len))
    }

    /// Part `t` of `p` as a product of its own.
    pub(crate) fn part<T: Copy, I>(&self, p: &Problem<T, I>, t: usize) -> Problem<T, I> {
        if self.parts == 1 {
            return *p;
        }
        let (start, end) = self.band(p, t);
        match self.split {
            Split::Rows => p.rows(start, end),
            Split::Columns => p.columns(start, end),
        }
    }

    /// The BLIS decisions for one part `p` of the product: the rules, or
    /// the choices that force them.
    ///
    /// # Errors
    /// [`MatrixError::InvalidPlan`] for a forced source the layout does not
    /// allow.
    pub(crate) fn part_plan<T, I>(&self, p: &Problem<T, I>) -> Result<PartPlan, MatrixError> {
        let (mr, nr) = (self.shape.mr, self.shape.nr);
        let size = std::mem::size_of::<I>();
        let bl = Blocking::around_kc(self.caches, mr, nr, size, (p.m, p.n), self.kc);
        let a = match self.choices.a {
            Some(ASource::InPlace) if !a_in_place_possible(p) => {
                return Err(refuse(format!(
                    "A is read in place only when row-major with a row stride of at least 2 \
                     (strides ({}, {}))",
                    p.a.rs, p.a.cs
                )))
            }
            Some(a) => a,
            None if reads_a_in_place(p, mr, self.caches.l2) => ASource::InPlace,
            None => ASource::Packed,
        };
        let b = match self.choices.b {
            Some(BSource::InPlace | BSource::FilledByFirstRow) if p.b.cs != 1 => {
                return Err(refuse(format!(
                    "B is read in place only when row-major (strides ({}, {}))",
                    p.b.rs, p.b.cs
                )))
            }
            Some(b) => b,
            None => b_source(p, mr),
        };
        let mc = match self.choices.mc {
            // Checked (nonzero, no overflow) by `check_numbers`.
            Some(mc) => mc
                .checked_next_multiple_of(mr)
                .filter(|&mc| mc > 0)
                .ok_or_else(|| refuse(format!("mc = {mc} is not whole panels of {mr} rows")))?,
            None => bl.mc,
        };
        let whole_b = self
            .choices
            .whole_b
            .unwrap_or_else(|| packs_whole_b(p, nr, mc));
        Ok(PartPlan {
            mc,
            kc: bl.kc,
            nc: bl.nc,
            a,
            b,
            whole_b,
        })
    }
}

/// True when C is much taller than wide and A is stored column-major (as
/// `Xᵀ` in a weight gradient `Xᵀ dZ` with 10 outputs): the swapped product
/// `Cᵀ = Bᵀ Aᵀ` has few rows, and its B (`Aᵀ`, row-major) streams through
/// the kernel in place instead of being packed. Also when C is one row and
/// B column-major (`x Wᵀ`): the swapped product is a matrix times a column,
/// which dot products along W's rows compute. Not with a bias, which would
/// become a per-row bias.
fn swap_pays<T, I>(p: &Problem<T, I>, has_bias: bool) -> bool {
    let tall = p.n <= SWAP_MAX_N && p.m > p.n && is_column_major(&p.a);
    let row_times_columns = p.m == 1 && p.n > 1 && is_column_major(&p.b);
    !has_bias && (tall || row_times_columns)
}

/// Unit row stride and a longer column stride.
fn is_column_major<I>(x: &Operand<I>) -> bool {
    x.rs == 1 && x.cs != 1
}

/// The one-row loop reads B's rows contiguously: one row of C, row-major B.
fn vector_applies<T, I>(p: &Problem<T, I>) -> bool {
    p.m == 1 && p.b.cs == 1
}

/// The dot-product loop nest reads A's rows in place and vectorises along
/// k: it needs row-major A and at least one vector of k (`lanes`, `None`
/// for a kernel without it).
fn dot_applies<T, I>(p: &Problem<T, I>, lanes: Option<usize>) -> bool {
    lanes.is_some_and(|lanes| p.a.cs == 1 && p.n <= DOT_MAX_N && p.k >= lanes)
}

/// One row of C with row-major B is a sum of B's rows (B read once, in
/// order, instead of in column stripes by a tile of mostly padding rows).
/// Products no wider than 16 columns with row-major A and a k of at least
/// [`DOT_MIN_K_VECTORS`] vectors take dot products (no A packing, and a
/// 10-column C does not waste 22 of 32 lanes);
/// otherwise C no wider than the narrow kernel's one vector takes the
/// narrow tile (twice the rows, so a 10-column C fills 10 of 16 lanes);
/// everything else the full tile.
fn algorithm_for<T, I>(
    p: &Problem<T, I>,
    shape_of: &impl Fn(Algorithm) -> Option<KernelShape>,
) -> Algorithm {
    let dot = shape_of(Algorithm::Dot).map(|s| s.lanes);
    let narrow = shape_of(Algorithm::Narrow).map(|s| s.nr);
    if vector_applies(p) {
        Algorithm::Vector
    } else if dot_applies(p, dot) && dot.is_some_and(|lanes| p.k >= DOT_MIN_K_VECTORS * lanes) {
        Algorithm::Dot
    } else if narrow.is_some_and(|nr| p.n <= nr) {
        Algorithm::Narrow
    } else {
        Algorithm::Blis
    }
}

/// Whether to split C's rows (rather than its columns) between `threads`
/// workers, for cuts at multiples of `m_step` rows or `n_step` columns.
///
/// The dimension whose busiest part computes less padding wins: 800
/// columns cut in 16s over 2 workers is 400 + 400 exactly, 128 rows cut
/// in 4s is 64 + 64, but 784 rows on 3 workers is 264 + 260 + 260.
///
/// Within 2% of each other, rows are split unless C is more than 4 times
/// wider than tall: each worker packs all of the operand not split (B when
/// rows are split), so a wide C is better split by columns, while for other
/// shapes splitting rows measured faster even where the packing is
/// symmetric.
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
        let busiest = len.div_ceil(step).div_ceil(threads).saturating_mul(step);
        len as f64 / (threads as f64 * busiest as f64)
    };
    let (bm, bn) = (balance(m, m_step), balance(n, n_step));
    if (bm - bn).abs() > 0.02 {
        bm > bn
    } else {
        m.saturating_mul(4) >= n
    }
}

/// The layout in-place A needs: row-major, the kernel broadcasting from
/// `MR` row pointers.
fn a_in_place_possible<T, I>(p: &Problem<T, I>) -> bool {
    p.a.cs == 1
}

/// Whether the kernel should read row-major A in place rather than from
/// packed panels.
///
/// Packing row-major A is a transpose, one pass over A that `n` columns
/// amortize. Read in place, the kernel broadcasts from `MR` row pointers
/// instead, which costs a few address additions per k step. That wins when
/// `n` is at most [`A_IN_PLACE_MAX_N`], or when A is larger than L2, so
/// that packing it waits on memory while the kernel's own reads overlap
/// with its FMAs. It loses when the rows collide in L1: a cache line's L1
/// set is its address modulo 4 KiB on current x86 (64 sets of 64 bytes),
/// so rows a multiple of 4 KiB apart put all `MR` current lines in one
/// 8-way set. In place needs no set to hold more than half the rows.
fn reads_a_in_place<T, I>(p: &Problem<T, I>, mr: usize, l2: usize) -> bool {
    const LINE: usize = 64;
    const SETS: usize = 64;
    let a = &p.a;
    if !a_in_place_possible(p) || a.rs < 2 || p.k < 2 {
        return false;
    }
    let size = std::mem::size_of::<I>();
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

/// Where B's full panels come from.
///
/// With a few row panels each B panel is used a few times, and packing it
/// costs about as much as the product: row-major B is then read in place,
/// the kernel prefetching its rows (a row of B apart, too far for the
/// hardware prefetcher). Otherwise row-major B with short rows is packed
/// by the first row of tiles, which reads it in place anyway, instead of by
/// a pass of its own; with long rows those in-place reads fall behind, and
/// a pass packs it.
fn b_source<T, I>(p: &Problem<T, I>, mr: usize) -> BSource {
    let row_bytes = p.b.rs.saturating_mul(std::mem::size_of::<I>());
    if p.b.cs != 1 {
        BSource::Packed
    } else if p.m <= B_IN_PLACE_MAX_PANELS * mr {
        BSource::InPlace
    } else if row_bytes <= FILL_B_MAX_ROW_BYTES {
        BSource::FilledByFirstRow
    } else {
        BSource::Packed
    }
}

/// Whether all of B is packed once: otherwise the packed B blocks are
/// packed again for every A chunk, and a large product (the 10,000-image
/// test-set forward pass) makes several; packed whole, each block is read
/// back from L3 instead, for up to [`WHOLE_B_MAX_BYTES`] of workspace.
fn packs_whole_b<T, I>(p: &Problem<T, I>, nr: usize, mc: usize) -> bool {
    let packed = p.k.saturating_mul(p.n.div_ceil(nr) * nr);
    p.m > mc && packed.saturating_mul(std::mem::size_of::<T>()) <= WHOLE_B_MAX_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::problem::OutOperand;

    fn problem(m: usize, k: usize, n: usize, rs: usize, cs: usize) -> Problem<f32> {
        Problem::<f32> {
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
        }
    }

    #[test]
    fn a_is_read_in_place_unless_its_rows_collide_or_it_is_cheap_to_pack() {
        let l2 = 1 << 20;
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

    #[test]
    fn b_is_read_in_place_for_few_panels_and_filled_when_its_rows_are_short() {
        assert_eq!(
            b_source(&problem(48, 784, 800, 784, 1), 12),
            BSource::InPlace
        );
        assert_eq!(
            b_source(&problem(49, 784, 800, 784, 1), 12),
            BSource::FilledByFirstRow
        );
        // 1100 f32 = 4400-byte rows: packed by a pass.
        assert_eq!(
            b_source(&problem(128, 784, 1100, 784, 1), 12),
            BSource::Packed
        );
    }
}
