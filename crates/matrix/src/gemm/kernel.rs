//! The micro-kernel contract and the one generic register-blocked body every
//! ISA instantiates.
//!
//! A micro-kernel computes, for one `MR x NR` tile of C,
//!
//! ```text
//! acc[i][j] = sum_{k < kc} a[k * MR + i] * b[k * NR + j]        (packed panels)
//! C[i][j]   = act(alpha * acc[i][j] + beta * C[i][j] + bias[j])  (write-back)
//! ```
//!
//! where `a` is an `MR`-tall packed panel of A and `b` an `NR`-wide packed
//! panel of B (see `pack.rs`). Either may instead be read in place from a
//! row-major operand ([`APanel`], [`BPanel`]: which one is the plan's
//! decision, `plan.rs`). `beta == 0` means C is never read. `NR` is `NV`
//! SIMD vectors wide; each row of the tile is written back by [`write_row`],
//! shared with the sparse kernel, or, for a tile of all `MR` rows with
//! `beta == 0`, by its twin with the rows unrolled, [`write_tile`].

use crate::arch::{load_lanes, prefetch, store_lanes, Simd};
use crate::Scalar;

/// Where one C tile lives and how much of it is real.
#[derive(Clone, Copy)]
pub(crate) struct Tile<T> {
    /// Element (0, 0) of the tile inside C.
    pub ptr: *mut T,
    /// Row stride of C.
    pub rs: usize,
    /// Column stride of C.
    pub cs: usize,
    /// Valid rows (`<= MR`).
    pub m: usize,
    /// Valid columns (`<= NR`).
    pub n: usize,
}

/// Where a micro-kernel reads its `MR x kc` A micro-panel.
#[derive(Clone, Copy)]
pub(crate) enum APanel<T> {
    /// Packed: element `(i, k)` at `ptr + k * MR + i`.
    Packed(*const T),
    /// Row-major A in place: element `(i, k)` at `ptr + i * rs + k`, all
    /// `MR` rows real (the driver packs a partial last panel).
    InPlace { ptr: *const T, rs: usize },
}

/// Where a micro-kernel reads its `kc x NR` B micro-panel.
#[derive(Clone, Copy)]
pub(crate) enum BPanel<T> {
    /// Packed: element `(k, j)` at `ptr + k * NR + j`.
    Packed(*const T),
    /// Row-major B in place: element `(k, j)` at `ptr + k * rs + j`.
    InPlace { ptr: *const T, rs: usize },
    /// As `InPlace`, and every row loaded is also stored to the packed
    /// panel at `copy` (`copy[k * NR + j]`), so that no packing pass is
    /// needed for the tiles that read the panel later; a full panel only.
    Filling {
        ptr: *const T,
        rs: usize,
        copy: *mut T,
    },
}

/// What the write-back does after `alpha * acc + beta * C`.
#[derive(Clone, Copy)]
pub(crate) struct TileEpilogue<T> {
    /// Bias for the tile's first column, or null: `bias[j]` is added to column `j`.
    pub bias: *const T,
    /// Apply `max(x, 0)` last.
    pub relu: bool,
}

impl<T> TileEpilogue<T> {
    pub(crate) const NONE: TileEpilogue<T> = TileEpilogue {
        bias: std::ptr::null(),
        relu: false,
    };

    /// The epilogue of a tile whose first column is column `j` of the
    /// product `bias` belongs to.
    ///
    /// # Safety
    /// `bias` is null or points to more than `j` elements.
    #[inline(always)]
    pub(crate) unsafe fn at(bias: *const T, relu: bool, j: usize) -> Self {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe {
            TileEpilogue {
                bias: bias_from(bias, j),
                relu,
            }
        }
    }
}

/// `bias + j`, or null for no bias.
///
/// # Safety
/// `bias` is null or points to more than `j` elements.
#[inline(always)]
pub(crate) unsafe fn bias_from<T>(bias: *const T, j: usize) -> *const T {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        if bias.is_null() {
            bias
        } else {
            bias.add(j)
        }
    }
}

/// A register-blocked micro-kernel for element type `T`.
///
/// The driver (`driver.rs`) packs A and B to this kernel's `MR` and `NR` and
/// calls [`tile`](Kernel::tile) once per C tile.
pub(crate) trait Kernel<T: Scalar>: 'static {
    /// Rows of C per tile (height of a packed A panel).
    const MR: usize;
    /// Columns of C per tile (width of a packed B panel).
    const NR: usize;
    /// The finest row count a tile runs without computing padding rows
    /// (the smallest register block of [`microkernel_fit`]): C's rows are
    /// best cut between workers at multiples of it.
    const MR_STEP: usize = Self::MR;
    /// As [`MR_STEP`](Kernel::MR_STEP), for columns.
    const NR_STEP: usize = Self::NR;

    /// Computes one tile (formula in the module docs) from the A and B
    /// micro-panels, wherever they are read from.
    ///
    /// # Safety
    /// The A panel holds `kc * MR` readable elements (packed) or each of
    /// its `MR` rows `kc` (in place, then `tile.m == MR`); each of the B
    /// panel's `kc` rows holds `NR` readable elements, and a `Filling`
    /// panel's `copy` `kc * NR` writable ones (then `tile.n == NR`); the
    /// tile (`tile.m x tile.n`, strides `(tile.rs, tile.cs)`) is writable
    /// (and readable if `beta != 0`); `epi.bias`, if not null, has `tile.n`
    /// readable elements; the CPU supports the kernel's instruction set.
    unsafe fn tile(
        kc: usize,
        a: APanel<T>,
        b: BPanel<T>,
        tile: Tile<T>,
        alpha: T,
        beta: T,
        epi: TileEpilogue<T>,
    );

    /// Packs a block of `len` rows into panels of `width` (`MR` for A, `NR`
    /// for B), as [`pack_block`](super::pack::pack_block) documents. ISA
    /// kernels override it with vector copies and in-register transposes
    /// ([`pack_block_simd`](super::pack::pack_block_simd)).
    ///
    /// # Safety
    /// As [`pack_block`](super::pack::pack_block); the CPU supports the
    /// kernel's instruction set.
    #[inline]
    unsafe fn pack(
        len: usize,
        kc: usize,
        width: usize,
        src: *const T,
        s_w: usize,
        s_k: usize,
        dst: *mut T,
    ) {
        // SAFETY: the caller upholds this function's `# Safety` contract.
        unsafe { super::pack::pack_block(len, kc, width, src, s_w, s_k, dst) }
    }
}

/// What the loop driver (`driver.rs`) runs: a micro-kernel with its
/// packing, for operands stored as `Src` and packed as `Packed`, writing a
/// C of `T`.
///
/// Every [`Kernel`] is one, with `Src = Packed = T`. The half-precision
/// products (`mixed/`) add two kinds: an `f32` kernel behind a packing
/// that widens `bf16`/`f16` to `f32`, and a native `bf16` dot-product
/// kernel whose panels interleave pairs of k (`K_GROUP = 2`).
pub(crate) trait BlisKernel<T: Scalar>: 'static {
    /// How the caller stores op(A) and op(B).
    type Src: Copy;
    /// What packed panels hold.
    type Packed: Copy;
    /// As [`Kernel::MR`].
    const MR: usize;
    /// As [`Kernel::NR`].
    const NR: usize;
    /// As [`Kernel::MR_STEP`].
    const MR_STEP: usize;
    /// As [`Kernel::NR_STEP`].
    const NR_STEP: usize;
    /// Consecutive k a packed panel interleaves: a panel of a `kc` block
    /// holds `kc.next_multiple_of(K_GROUP)` k steps, the padding zero.
    const K_GROUP: usize;
    /// Whether the kernel can read A or B in place (`APanel::InPlace`,
    /// `BPanel::InPlace`/`Filling`): only when `Src == Packed`.
    const READS_IN_PLACE: bool;

    /// As [`Kernel::tile`], with panels of `Packed`.
    ///
    /// # Safety
    /// As [`Kernel::tile`], counting `kc.next_multiple_of(K_GROUP)` k steps
    /// in a packed panel.
    unsafe fn tile(
        kc: usize,
        a: APanel<Self::Packed>,
        b: BPanel<Self::Packed>,
        tile: Tile<T>,
        alpha: T,
        beta: T,
        epi: TileEpilogue<T>,
    );

    /// As [`Kernel::pack`], converting `Src` to `Packed`.
    ///
    /// # Safety
    /// As [`Kernel::pack`], `dst` with room for
    /// `len.div_ceil(width) * width * kc.next_multiple_of(K_GROUP)` elements.
    unsafe fn pack(
        len: usize,
        kc: usize,
        width: usize,
        src: *const Self::Src,
        s_w: usize,
        s_k: usize,
        dst: *mut Self::Packed,
    );

    /// [`pack`](BlisKernel::pack) for B's panels, for a kernel whose A and
    /// B panels differ in layout (the AMX kernel); the same by default.
    ///
    /// # Safety
    /// As [`pack`](BlisKernel::pack).
    #[inline]
    unsafe fn pack_b(
        len: usize,
        kc: usize,
        width: usize,
        src: *const Self::Src,
        s_w: usize,
        s_k: usize,
        dst: *mut Self::Packed,
    ) {
        // SAFETY: the same contract.
        unsafe { Self::pack(len, kc, width, src, s_w, s_k, dst) }
    }
}

impl<T: Scalar, K: Kernel<T>> BlisKernel<T> for K {
    type Src = T;
    type Packed = T;
    const MR: usize = <K as Kernel<T>>::MR;
    const NR: usize = <K as Kernel<T>>::NR;
    const MR_STEP: usize = <K as Kernel<T>>::MR_STEP;
    const NR_STEP: usize = <K as Kernel<T>>::NR_STEP;
    const K_GROUP: usize = 1;
    const READS_IN_PLACE: bool = true;

    #[inline(always)]
    unsafe fn tile(
        kc: usize,
        a: APanel<T>,
        b: BPanel<T>,
        tile: Tile<T>,
        alpha: T,
        beta: T,
        epi: TileEpilogue<T>,
    ) {
        // SAFETY: the same contract, forwarded.
        unsafe { <K as Kernel<T>>::tile(kc, a, b, tile, alpha, beta, epi) }
    }

    #[inline(always)]
    unsafe fn pack(
        len: usize,
        kc: usize,
        width: usize,
        src: *const T,
        s_w: usize,
        s_k: usize,
        dst: *mut T,
    ) {
        // SAFETY: the same contract, forwarded.
        unsafe { <K as Kernel<T>>::pack(len, kc, width, src, s_w, s_k, dst) }
    }
}

/// Scalar twin of [`Simd::relu`], bit for bit.
#[inline(always)]
fn relu_scalar<T: Scalar>(x: T) -> T {
    if x > T::ZERO {
        x
    } else {
        T::ZERO
    }
}

/// The shortest k loop (in steps) for which a kernel prefetches its C tile
/// (see [`microkernel`]).
const C_PREFETCH_MIN_KC: usize = 64;

/// How many k steps ahead a kernel reading B in place prefetches B's rows:
/// about a memory latency of FMAs (a step is 24 FMA cycles at 12 x 32).
const B_AHEAD: usize = 16;

/// Runs the smallest register block of [`microkernel`] that covers the
/// tile, for a kernel of `MR x NV` vectors: a partial tile of at most
/// `MR - 4` rows (the bottom edge, or a 128-row product cut in tiles of
/// 12) or of at most one vector of columns (a part's right edge) would
/// otherwise spend FMAs on padding. Every variant computes each element as
/// the same FMA chain, so results do not depend on which one ran.
///
/// # Safety
/// As [`Kernel::tile`] with `NR = NV * S::LANES`, and the caller must be
/// compiled with the target features `S` needs.
#[inline(always)]
pub(crate) unsafe fn microkernel_fit<S: Simd, const MR: usize, const NV: usize>(
    kc: usize,
    a: APanel<S::T>,
    b: BPanel<S::T>,
    tile: Tile<S::T>,
    alpha: S::T,
    beta: S::T,
    epi: TileEpilogue<S::T>,
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        let nr = NV * S::LANES;
        let (a, a_rs, direct_a) = match a {
            APanel::Packed(ptr) => (ptr, 1, false),
            APanel::InPlace { ptr, rs } => (ptr, rs, true),
        };
        // B read in place: its rows are a full row of B apart, one page each
        // for a big B, which the hardware prefetcher does not follow; the
        // kernel prefetches them itself. (A B of exactly NR columns in place
        // has the layout of a packed panel, and needs no prefetch.)
        let (b, b_rs, b_copy, in_place) = match b {
            BPanel::Packed(ptr) => (ptr, nr, std::ptr::null_mut(), false),
            BPanel::InPlace { ptr, rs } => (ptr, rs, std::ptr::null_mut(), rs != nr),
            BPanel::Filling { ptr, rs, copy } => (ptr, rs, copy, true),
        };
        // The conditions on MR and NV are constants: each instantiation keeps
        // only the variants that fit inside its panel.
        let one_vector = NV == 2 && tile.n <= S::LANES;
        let copy_b = !b_copy.is_null();
        // Copying B while reading it is for full-width tiles only.
        debug_assert!(!copy_b || tile.n == nr);
        macro_rules! run {
            ($rows:expr, $direct_a:expr) => {
                match (one_vector, in_place, copy_b) {
                    (true, false, _) => {
                        microkernel::<S, { $rows }, 1, MR, false, false, { $direct_a }>(
                            kc, a, a_rs, b, b_rs, b_copy, tile, alpha, beta, epi,
                        )
                    }
                    (true, true, _) => {
                        microkernel::<S, { $rows }, 1, MR, true, false, { $direct_a }>(
                            kc, a, a_rs, b, b_rs, b_copy, tile, alpha, beta, epi,
                        )
                    }
                    (false, false, _) => {
                        microkernel::<S, { $rows }, NV, MR, false, false, { $direct_a }>(
                            kc, a, a_rs, b, b_rs, b_copy, tile, alpha, beta, epi,
                        )
                    }
                    (false, true, false) => {
                        microkernel::<S, { $rows }, NV, MR, true, false, { $direct_a }>(
                            kc, a, a_rs, b, b_rs, b_copy, tile, alpha, beta, epi,
                        )
                    }
                    (false, true, true) => {
                        microkernel::<S, { $rows }, NV, MR, true, true, { $direct_a }>(
                            kc, a, a_rs, b, b_rs, b_copy, tile, alpha, beta, epi,
                        )
                    }
                }
            };
        }
        if direct_a {
            // A read in place: whole panels only (the driver packs a partial
            // last one), so the edge variants are not needed here.
            run!(MR, true)
        } else if MR >= 8 && tile.m <= 4 {
            run!(4, false)
        } else if MR >= 12 && tile.m <= 8 {
            run!(8, false)
        } else {
            run!(MR, false)
        }
    }
}

/// The generic `MR x (NV * LANES)` micro-kernel body over A panels `PANEL`
/// rows wide (`MR <= PANEL`; the rows past `MR` are not computed), or with
/// `DIRECT_A` over A's rows in place, `a_rs` apart (LLVM keeps the row
/// addresses in general registers; the loop has no spills). With
/// `PREFETCH_B`, each step also prefetches the B row [`B_AHEAD`] steps on;
/// with `COPY_B`, it also stores the B row it loaded to `b_copy`, packing
/// the panel on the way (two stores per step of 24 FMAs).
///
/// # Safety
/// As [`Kernel::tile`] with `NR = NV * S::LANES`, `tile.m <= MR`, and the
/// caller must be compiled with the target features `S` needs.
#[inline(always)]
pub(crate) unsafe fn microkernel<
    S: Simd,
    const MR: usize,
    const NV: usize,
    const PANEL: usize,
    const PREFETCH_B: bool,
    const COPY_B: bool,
    const DIRECT_A: bool,
>(
    kc: usize,
    mut a: *const S::T,
    a_rs: usize,
    mut b: *const S::T,
    b_rs: usize,
    mut b_copy: *mut S::T,
    tile: Tile<S::T>,
    alpha: S::T,
    beta: S::T,
    epi: TileEpilogue<S::T>,
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        let nr = NV * S::LANES;
        // Ask for the C tile now: its rows are far apart (one page each in a
        // big C), and the write-back would otherwise wait on them after the
        // k loop. By then, kc iterations later, they have arrived. A short
        // loop hides little, and the 2 * MR prefetches then cost more than
        // they save.
        if tile.cs == 1 && kc >= C_PREFETCH_MIN_KC {
            for i in 0..tile.m {
                let row = tile.ptr.add(i * tile.rs) as *const S::T;
                prefetch(row);
                prefetch(row.wrapping_add(nr - 1));
            }
        }
        let mut acc = [[S::zero(); NV]; MR];
        for _ in 0..kc {
            if PREFETCH_B {
                let ahead = b.wrapping_add(B_AHEAD * b_rs);
                prefetch(ahead);
                prefetch(ahead.wrapping_add(nr - 1));
            }
            let mut bv = [S::zero(); NV];
            for (v, bv) in bv.iter_mut().enumerate() {
                *bv = S::load(b.add(v * S::LANES));
                if COPY_B {
                    S::store(b_copy.add(v * S::LANES), *bv);
                }
            }
            if COPY_B {
                b_copy = b_copy.add(nr);
            }
            for (i, acc_row) in acc.iter_mut().enumerate() {
                let ai = if DIRECT_A {
                    S::splat(*a.add(i * a_rs))
                } else {
                    S::splat(*a.add(i))
                };
                for v in 0..NV {
                    acc_row[v] = S::mul_add(ai, bv[v], acc_row[v]);
                }
            }
            a = a.add(if DIRECT_A { 1 } else { PANEL });
            b = b.add(b_rs);
        }

        // A tile of all `MR` rows with `beta == 0` (the first k block of a
        // product with beta = 0: all of a mini-batch step's products) is
        // written straight from the registers, every row and vector known at
        // compile time; a C narrower than the tile (10 columns of a 16-wide
        // one) ends each row with a partial store. Through `write_row`'s
        // run-time row count the accumulators would go through memory, which
        // costs as much as the k loop in a product with a short k (the k = 10
        // of a 10-class layer's input gradient).
        if tile.m == MR && tile.cs == 1 && beta == S::T::ZERO {
            let (c, rs, n, bias) = (tile.ptr, tile.rs, tile.n, epi.bias);
            match (!bias.is_null(), epi.relu) {
                (false, false) => {
                    write_tile::<S, MR, NV, false, false>(&acc, c, rs, n, alpha, bias)
                }
                (false, true) => write_tile::<S, MR, NV, false, true>(&acc, c, rs, n, alpha, bias),
                (true, false) => write_tile::<S, MR, NV, true, false>(&acc, c, rs, n, alpha, bias),
                (true, true) => write_tile::<S, MR, NV, true, true>(&acc, c, rs, n, alpha, bias),
            }
            return;
        }
        // A partial one indexes rows up to a run-time count, so they go
        // through memory. A copy keeps that off `acc` itself: indexing `acc`
        // makes the compiler zero its stack home before the k loop, a 1.5 KiB
        // memset per tile (9% of a k = 10 product).
        let rows: [[S::V; NV]; MR] = acc;
        for (i, acc_row) in rows.iter().enumerate().take(tile.m) {
            write_row::<S, NV>(
                tile.ptr.add(i * tile.rs),
                tile.cs,
                tile.n,
                acc_row,
                alpha,
                beta,
                epi,
            );
        }
    }
}

/// Writes an `MR x n` tile of accumulators (`n <= NV * LANES`) to C (row
/// stride `rs`, unit column stride) with `beta = 0`: [`write_row`]'s
/// operations in the same order, the epilogue chosen at compile time (adds
/// `bias` if `BIAS`, applies ReLU if `RELU`).
///
/// # Safety
/// As [`write_row`] for each of the `MR` rows.
#[inline(always)]
pub(crate) unsafe fn write_tile<
    S: Simd,
    const MR: usize,
    const NV: usize,
    const BIAS: bool,
    const RELU: bool,
>(
    acc: &[[S::V; NV]; MR],
    c: *mut S::T,
    rs: usize,
    n: usize,
    alpha: S::T,
    bias: *const S::T,
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        let alpha_v = S::splat(alpha);
        for (i, acc_row) in acc.iter().enumerate() {
            for (v, &x) in acc_row.iter().enumerate() {
                let lanes = n.saturating_sub(v * S::LANES);
                if lanes == 0 {
                    break;
                }
                let mut r = S::mul(alpha_v, x);
                if BIAS {
                    r = S::add(r, load_lanes::<S>(bias.add(v * S::LANES), lanes));
                }
                if RELU {
                    r = S::relu(r);
                }
                store_lanes::<S>(c.add(i * rs + v * S::LANES), r, lanes);
            }
        }
    }
}

/// Writes one row of `NV` vector accumulators to C:
///
/// ```text
/// dst[j * cs] = act(alpha * acc[j] + beta * dst[j * cs] + bias[j])   for j < n
/// ```
///
/// as vectors when the row is contiguous (the last one partial when `n` is
/// not a whole number of vectors), else element by element through a spill,
/// with exactly the same IEEE operations in the same order: a value never
/// depends on which path wrote it (this is what keeps results bitwise equal
/// for any thread split).
/// `beta == 0` never reads `dst`.
///
/// # Safety
/// `dst + j * cs` is writable (and readable if `beta != 0`) for `j < n`,
/// `n <= NV * LANES`; `epi.bias`, if not null, has `n` readable elements;
/// compiled with the target features `S` needs.
#[inline(always)]
pub(crate) unsafe fn write_row<S: Simd, const NV: usize>(
    dst: *mut S::T,
    cs: usize,
    n: usize,
    acc: &[S::V; NV],
    alpha: S::T,
    beta: S::T,
    epi: TileEpilogue<S::T>,
) {
    // SAFETY: the caller upholds this function's `# Safety` contract.
    unsafe {
        if cs == 1 {
            let alpha_v = S::splat(alpha);
            if n == NV * S::LANES && beta == S::T::ZERO && epi.bias.is_null() && !epi.relu {
                // The plain product: tested once per row, not once per vector.
                for (v, &x) in acc.iter().enumerate() {
                    S::store(dst.add(v * S::LANES), S::mul(alpha_v, x));
                }
                return;
            }
            let beta_v = S::splat(beta);
            for (v, &x) in acc.iter().enumerate() {
                let lanes = n.saturating_sub(v * S::LANES);
                if lanes == 0 {
                    break;
                }
                let p = dst.add(v * S::LANES);
                let mut r = S::mul(alpha_v, x);
                if beta != S::T::ZERO {
                    r = S::add(r, S::mul(beta_v, load_lanes::<S>(p, lanes)));
                }
                if !epi.bias.is_null() {
                    r = S::add(r, load_lanes::<S>(epi.bias.add(v * S::LANES), lanes));
                }
                if epi.relu {
                    r = S::relu(r);
                }
                store_lanes::<S>(p, r, lanes);
            }
        } else {
            let mut spill = [S::zero(); NV];
            let vals = spill.as_mut_ptr() as *mut S::T;
            for (v, &x) in acc.iter().enumerate() {
                S::store(vals.add(v * S::LANES), x);
            }
            for j in 0..n {
                let p = dst.add(j * cs);
                let mut r = alpha * *vals.add(j);
                if beta != S::T::ZERO {
                    r += beta * *p;
                }
                if !epi.bias.is_null() {
                    r += *epi.bias.add(j);
                }
                if epi.relu {
                    r = relu_scalar(r);
                }
                *p = r;
            }
        }
    }
}

/// Defines a kernel type for one instruction set: for each element type, an
/// `MR x (NV * LANES)` instantiation of [`microkernel`] compiled with the
/// ISA's target features.
macro_rules! simd_kernel {
    ($(#[$doc:meta])* $name:ident, $feature:literal,
     $($t:ty => $simd:ty, $mr:literal x $nv:literal);+ $(;)?) => {
        $(#[$doc])*
        pub(crate) struct $name;
        $(
            impl $crate::gemm::kernel::Kernel<$t> for $name {
                const MR: usize = $mr;
                const NR: usize = $nv * <$simd as $crate::arch::Simd>::LANES;
                const MR_STEP: usize = if $mr >= 8 { 4 } else { $mr };
                const NR_STEP: usize = <$simd as $crate::arch::Simd>::LANES;
                unsafe fn tile(
                    kc: usize,
                    a: $crate::gemm::kernel::APanel<$t>,
                    b: $crate::gemm::kernel::BPanel<$t>,
                    tile: $crate::gemm::kernel::Tile<$t>,
                    alpha: $t,
                    beta: $t,
                    epi: $crate::gemm::kernel::TileEpilogue<$t>,
                ) {
                    /// # Safety
                    /// As the trait method it instantiates.
                    #[target_feature(enable = $feature)]
                    unsafe fn body(
                        kc: usize,
                        a: $crate::gemm::kernel::APanel<$t>,
                        b: $crate::gemm::kernel::BPanel<$t>,
                        tile: $crate::gemm::kernel::Tile<$t>,
                        alpha: $t,
                        beta: $t,
                        epi: $crate::gemm::kernel::TileEpilogue<$t>,
                    ) {
                        // SAFETY: `body`'s contract is its caller's, passed on unchanged.
                        unsafe { $crate::gemm::kernel::microkernel_fit::<$simd, $mr, $nv>(kc, a, b, tile, alpha, beta, epi) }
                    }
                    // SAFETY: the kernel is only selected after run-time
                    // detection of its features (arch/select.rs); the memory
                    // contract is the caller's, forwarded unchanged.
                    unsafe { body(kc, a, b, tile, alpha, beta, epi) }
                }
                unsafe fn pack(
                    len: usize,
                    kc: usize,
                    width: usize,
                    src: *const $t,
                    s_w: usize,
                    s_k: usize,
                    dst: *mut $t,
                ) {
                    /// # Safety
                    /// As the trait method it instantiates.
                    #[target_feature(enable = $feature)]
                    unsafe fn body(
                        len: usize,
                        kc: usize,
                        width: usize,
                        src: *const $t,
                        s_w: usize,
                        s_k: usize,
                        dst: *mut $t,
                    ) {
                        // SAFETY: `body`'s contract is its caller's, passed on unchanged.
                        unsafe { $crate::gemm::pack::pack_block_simd::<$simd>(len, kc, width, src, s_w, s_k, dst) }
                    }
                    // SAFETY: as for `tile`.
                    unsafe { body(len, kc, width, src, s_w, s_k, dst) }
                }
            }
        )+
    };
}
pub(crate) use simd_kernel;
