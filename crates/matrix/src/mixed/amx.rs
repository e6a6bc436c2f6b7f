//! The `bf16` kernel on AMX (Intel Sapphire Rapids and later): `TDPBF16PS`
//! multiplies a 16 x 32 `bf16` tile of A by a 32 x 16 tile of B and adds
//! the result to a 16 x 16 `f32` tile, 8192 multiply-adds per instruction.
//!
//! A 32 x 32 block of C lives in four accumulator tiles (`tmm0..tmm3`);
//! each step of 32 k loads two tiles of A (`tmm4`, `tmm5`: rows 0-15 and
//! 16-31) and two of B (`tmm6`, `tmm7`: columns 0-15 and 16-31) and issues
//! four `TDPBF16PS`. The panels are packed in chunks of 32 k (`K_GROUP`),
//! zero past the block's depth:
//!
//! ```text
//! A chunk c, row r:        a_panel[c * 1024 + r * 32 + t]      = a(r, 32c + t)
//! B chunk c, k pair q:     b_panel[c * 1024 + q * 64 + 2j + u] = b(32c + 2q + u, j)
//! ```
//!
//! so a tile of A is 16 rows of 64 bytes, and a tile of B is 16 rows (k
//! pairs) of 64 bytes at a stride of 128 (B's panel interleaves the pairs
//! of all 32 columns, the layout `VDPBF16PS` also reads). The finished sums
//! are stored to a 32 x 32 scratch block and written back to C by the
//! `f32` AVX-512 kernel's own row write-back (alpha, beta, bias, ReLU).
//!
//! Per element, the sums run in the same order wherever the element sits
//! in a tile, so results are bitwise the same for any thread count. Like
//! `VDPBF16PS`, the instruction treats subnormal inputs and results as
//! zero.
//!
//! Linux hands out the tile registers only to a process that asks
//! (`arch_prctl(ARCH_REQ_XCOMP_PERM)`); [`available`] asks once.

use std::arch::asm;
use std::sync::OnceLock;

use half::bf16;

use crate::arch::avx512::F32x16;
use crate::arch::Simd;
use crate::gemm::kernel::{write_row, APanel, BPanel, BlisKernel, Tile, TileEpilogue};

/// Rows and columns of the C block a tile call computes.
pub(crate) const BLOCK: usize = 32;
/// k per chunk: the depth of one `TDPBF16PS`.
pub(crate) const CHUNK: usize = 32;

/// True if this CPU has AMX-TILE and AMX-BF16 and the OS lets this process
/// use the tile registers (asked for once, on first call).
pub(crate) fn available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| cpu_has_amx_bf16() && request_tile_data())
}

/// CPUID leaf 7: AMX-BF16 is EDX bit 22, AMX-TILE bit 24; and the AVX-512
/// the write-back uses.
fn cpu_has_amx_bf16() -> bool {
    // `__cpuid_count` is a safe function in newer compilers, not in the
    // oldest this crate supports.
    #[allow(unused_unsafe)]
    // SAFETY: CPUID leaf 0 exists on every x86-64 processor; leaf 7 is read
    // only when leaf 0 says it exists.
    let edx = unsafe {
        let max = std::arch::x86_64::__cpuid(0).eax;
        if max < 7 {
            return false;
        }
        std::arch::x86_64::__cpuid_count(7, 0).edx
    };
    edx & (1 << 22) != 0 && edx & (1 << 24) != 0 && is_x86_feature_detected!("avx512f")
}

/// Asks Linux for the AMX tile data state (`ARCH_REQ_XCOMP_PERM`,
/// `XFEATURE_XTILEDATA`); true if granted. Other systems: false.
fn request_tile_data() -> bool {
    #[cfg(target_os = "linux")]
    {
        const SYS_ARCH_PRCTL: i64 = 158;
        const ARCH_REQ_XCOMP_PERM: i64 = 0x1023;
        const XFEATURE_XTILEDATA: i64 = 18;
        let ret: i64;
        // SAFETY: arch_prctl with this request only changes which extended
        // states the process may use; it reads and writes no memory of ours.
        unsafe {
            asm!(
                "syscall",
                inlateout("rax") SYS_ARCH_PRCTL => ret,
                in("rdi") ARCH_REQ_XCOMP_PERM,
                in("rsi") XFEATURE_XTILEDATA,
                lateout("rcx") _,
                lateout("r11") _,
                options(nostack),
            );
        }
        ret == 0
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// The tile configuration: palette 1, tiles 0-7 of 16 rows x 64 bytes.
#[repr(C, align(64))]
struct TileConfig([u8; 64]);

const CONFIG: TileConfig = {
    let mut c = [0u8; 64];
    c[0] = 1;
    let mut t = 0;
    while t < 8 {
        c[16 + 2 * t] = 64; // bytes per row (u16, little-endian)
        c[48 + t] = 16; // rows
        t += 1;
    }
    TileConfig(c)
};

/// The AMX `bf16` kernel (see the module docs).
pub(crate) struct AmxBf16;

impl BlisKernel<f32> for AmxBf16 {
    type Src = bf16;
    type Packed = bf16;
    const MR: usize = BLOCK;
    const NR: usize = BLOCK;
    const MR_STEP: usize = BLOCK;
    const NR_STEP: usize = BLOCK;
    const K_GROUP: usize = CHUNK;
    const READS_IN_PLACE: bool = false;

    unsafe fn tile(
        kc: usize,
        a: APanel<bf16>,
        b: BPanel<bf16>,
        tile: Tile<f32>,
        alpha: f32,
        beta: f32,
        epi: TileEpilogue<f32>,
    ) {
        let (APanel::Packed(a), BPanel::Packed(b)) = (a, b) else {
            unreachable!("the AMX kernel reads packed panels only")
        };
        // SAFETY: the kernel is selected only where `available()` (AMX with
        // the OS's permission, and AVX-512); the memory contract is the
        // caller's.
        unsafe { amx_tile(kc.div_ceil(CHUNK), a, b, tile, alpha, beta, epi) }
    }

    unsafe fn pack(
        len: usize,
        kc: usize,
        width: usize,
        src: *const bf16,
        s_w: usize,
        s_k: usize,
        dst: *mut bf16,
    ) {
        // SAFETY: as `BlisKernel::pack` with `K_GROUP = 32`.
        unsafe { pack_rows(len, kc, width, src.cast(), s_w, s_k, dst.cast()) }
    }

    unsafe fn pack_b(
        len: usize,
        kc: usize,
        width: usize,
        src: *const bf16,
        s_w: usize,
        s_k: usize,
        dst: *mut bf16,
    ) {
        let kp = kc.next_multiple_of(CHUNK);
        // SAFETY: as `BlisKernel::pack` with `K_GROUP = 32`: panels of
        // `width * kp` elements, pairs interleaved, zero past `kc`.
        unsafe {
            if s_k == 1 || s_w == 1 {
                super::kernel::pack_pairs(len, kc, kp, width, src.cast(), s_w, s_k, dst.cast())
            } else {
                pack_pairs_strided(len, kc, kp, width, src, s_w, s_k, dst)
            }
        }
    }
}

/// B's packing for a source with no unit stride: pairs of k interleaved
/// (the layout in the module docs), element by element.
///
/// # Safety
/// As `BlisKernel::pack`, panels `width * kp` apart.
#[allow(clippy::too_many_arguments)] // pack's arguments and the padded depth
unsafe fn pack_pairs_strided(
    len: usize,
    kc: usize,
    kp: usize,
    width: usize,
    src: *const bf16,
    s_w: usize,
    s_k: usize,
    dst: *mut bf16,
) {
    for p in 0..len.div_ceil(width) {
        let rows = width.min(len - p * width);
        // SAFETY: panel `p` of the source and of `dst` (the contract).
        unsafe {
            let (s, d) = (src.add(p * width * s_w), dst.add(p * width * kp));
            std::ptr::write_bytes(d, 0, width * kp);
            for k in 0..kc {
                for r in 0..rows {
                    *d.add(k / 2 * 2 * width + 2 * r + k % 2) = *s.add(r * s_w + k * s_k);
                }
            }
        }
    }
}

/// A's packing: each panel of `width` rows in chunks of 32 k, a chunk's
/// rows one after the other (32 elements each), zero past `kc` and past
/// the block's `len` rows.
///
/// # Safety
/// As `BlisKernel::pack` with `K_GROUP = 32`.
unsafe fn pack_rows(
    len: usize,
    kc: usize,
    width: usize,
    src: *const u16,
    s_w: usize,
    s_k: usize,
    dst: *mut u16,
) {
    let kp = kc.next_multiple_of(CHUNK);
    for p in 0..len.div_ceil(width) {
        let rows = width.min(len - p * width);
        // SAFETY: panel `p` starts at row `p * width < len` of the source
        // and at `p * width * kp` of `dst`, which has room for it.
        unsafe {
            let (s, d) = (src.add(p * width * s_w), dst.add(p * width * kp));
            for c in 0..kp / CHUNK {
                let k0 = c * CHUNK;
                let depth = CHUNK.min(kc.saturating_sub(k0));
                let chunk = d.add(c * width * CHUNK);
                for r in 0..width {
                    let out = chunk.add(r * CHUNK);
                    // Rows past the block's and k past its depth are zero.
                    let real = if r < rows { depth } else { 0 };
                    std::ptr::write_bytes(out.add(real), 0, CHUNK - real);
                    if real == 0 {
                        continue;
                    }
                    let row = s.add(r * s_w + k0 * s_k);
                    if s_k == 1 {
                        std::ptr::copy_nonoverlapping(row, out, real);
                    } else {
                        for t in 0..real {
                            *out.add(t) = *row.add(t * s_k);
                        }
                    }
                }
            }
        }
    }
}

/// One 32 x 32 block of C from `chunks` chunks of packed panels.
///
/// # Safety
/// `a` and `b` hold `chunks * 1024` elements each (layouts in the module
/// docs); the tile and epilogue as `Kernel::tile`; [`available`] is true.
#[target_feature(enable = "avx512f")]
unsafe fn amx_tile(
    chunks: usize,
    a: *const bf16,
    b: *const bf16,
    tile: Tile<f32>,
    alpha: f32,
    beta: f32,
    epi: TileEpilogue<f32>,
) {
    let mut sums = [[0f32; BLOCK]; BLOCK];
    let out = sums.as_mut_ptr().cast::<f32>();
    // SAFETY: the tile registers are this thread's (permission granted,
    // checked by `available`); every load reads 16 rows of 64 bytes inside
    // a chunk of `a` or `b` (the caller's contract), every store writes 16
    // rows of 64 bytes inside `sums`.
    unsafe {
        asm!(
            "ldtilecfg [{cfg}]",
            "tilezero tmm0",
            "tilezero tmm1",
            "tilezero tmm2",
            "tilezero tmm3",
            cfg = in(reg) CONFIG.0.as_ptr(),
            options(nostack, readonly),
        );
        for c in 0..chunks {
            let (a0, b0) = (a.add(c * BLOCK * CHUNK), b.add(c * BLOCK * CHUNK));
            asm!(
                "tileloadd tmm4, [{a0} + {s64}*1]",
                "tileloadd tmm5, [{a1} + {s64}*1]",
                "tileloadd tmm6, [{b0} + {s128}*1]",
                "tileloadd tmm7, [{b1} + {s128}*1]",
                "tdpbf16ps tmm0, tmm4, tmm6",
                "tdpbf16ps tmm1, tmm4, tmm7",
                "tdpbf16ps tmm2, tmm5, tmm6",
                "tdpbf16ps tmm3, tmm5, tmm7",
                a0 = in(reg) a0,
                a1 = in(reg) a0.add(16 * CHUNK),
                b0 = in(reg) b0,
                b1 = in(reg) b0.add(32),
                s64 = in(reg) 64usize,
                s128 = in(reg) 128usize,
                options(nostack, readonly),
            );
        }
        asm!(
            "tilestored [{c00} + {s}*1], tmm0",
            "tilestored [{c01} + {s}*1], tmm1",
            "tilestored [{c10} + {s}*1], tmm2",
            "tilestored [{c11} + {s}*1], tmm3",
            "tilerelease",
            c00 = in(reg) out,
            c01 = in(reg) out.add(16),
            c10 = in(reg) out.add(16 * BLOCK),
            c11 = in(reg) out.add(16 * BLOCK + 16),
            s = in(reg) BLOCK * 4,
            options(nostack),
        );
        for (i, row) in sums.iter().enumerate().take(tile.m) {
            let acc = [
                F32x16::load(row.as_ptr()),
                F32x16::load(row.as_ptr().add(16)),
            ];
            write_row::<F32x16, 2>(
                tile.ptr.add(i * tile.rs),
                tile.cs,
                tile.n,
                &acc,
                alpha,
                beta,
                epi,
            );
        }
    }
}
