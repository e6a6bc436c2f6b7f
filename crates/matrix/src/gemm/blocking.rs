//! Cache blocking sizes, derived from the cache sizes of the machine it runs on.
//!
//! The derivation is BLIS's analytical one (Low, Igual, Smith and
//! Quintana-Ortí, "Analytical modeling is enough for high-performance
//! BLIS", ACM TOMS 2016), each block sized for the cache level that must
//! hold it, applied to the loop order of `driver.rs` (ic -> pc -> jc -> ir
//! -> jr), which differs from BLIS's (jc -> pc -> ic), so the levels the
//! blocks land in differ too:
//! - the `KC x NR` B micro-panel is streamed from L2 for every tile, so
//!   what bounds KC is that it takes at most an eighth of L2 and the B
//!   block holds at least four of them (`KC = L2 / 8 / (NR * size)`, 1024
//!   with a 1 MiB L2, f32 and f64 alike). The `MR x KC` A micro-panel (48
//!   KiB for f32) then no longer fits in L1, which BLIS's model asks for: it
//!   streams from L2 beside B, packed or read in place, which the kernel's
//!   loads keep up with (12 broadcasts and 2 vector loads per 24 FMAs).
//!   What a larger KC buys is fewer passes over C, one per KC block, which
//!   outweighed an A micro-panel in L1 on every shape measured.
//! - the packed `KC x NC` B block is swept once per A micro-panel, so it
//!   should sit in half of L2: `NC = L2 / 2 / (KC * size)`;
//! - the packed `MC x KC` A chunk is packed once and read once per B block,
//!   a micro-panel at a time, from the core's share of L3:
//!   `MC = chunk / (KC * size)`, the chunk that share but no more than 2
//!   MiB (larger ones repack B no less often and fall out of cache between
//!   B blocks) and no less than 512 KiB (smaller ones repack B too often).
//!
//! `KC` and `NC` are then evened out over the actual `k` and `n` so that no
//! block is a sliver (k = 784 with KC = 384 would leave a block of 16).

use std::sync::OnceLock;

use crate::MatrixError;

/// Cache sizes in bytes, per core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CacheSizes {
    /// Level-1 data cache.
    pub l1d: usize,
    /// Level-2 cache.
    pub l2: usize,
    /// One core's share of the last-level cache: its size over the logical
    /// CPUs that share it (a virtual machine may report the host's whole
    /// cache over its own few CPUs: the blocking caps what it uses).
    pub l3: usize,
}

impl CacheSizes {
    /// Sizes read once from `/sys/devices/system/cpu/cpu0/cache` (Linux);
    /// 32 KiB / 1 MiB / 2 MiB where that is not available.
    pub fn detect() -> CacheSizes {
        static CACHED: OnceLock<CacheSizes> = OnceLock::new();
        *CACHED.get_or_init(|| read_sysfs().unwrap_or(CacheSizes::DEFAULT))
    }

    /// The fallback when the machine does not say.
    pub const DEFAULT: CacheSizes = CacheSizes {
        l1d: 32 << 10,
        l2: 1 << 20,
        l3: 2 << 20,
    };

    /// The smallest cache size [`check`](CacheSizes::check) accepts
    /// (1 KiB): below it a block of k does not hold one cache line per row
    /// of a tile, and 0 is what a VM that does not know reports.
    pub const MIN_BYTES: usize = 1 << 10;

    /// The largest cache size [`check`](CacheSizes::check) accepts (1 TiB):
    /// far above any cache made, and small enough that every block size
    /// derived from it, times the element size and the tile, stays far
    /// from overflowing `usize`.
    pub const MAX_BYTES: usize = 1 << 40;

    /// Whether the three sizes are sizes a machine could have, in
    /// `[MIN_BYTES, MAX_BYTES]`: the blocking divides and multiplies them,
    /// so a forced [`PlanChoices::caches`](crate::gemm::PlanChoices) is
    /// checked here before any block is derived.
    ///
    /// # Errors
    /// [`MatrixError::InvalidPlan`] naming the size out of range.
    pub fn check(&self) -> Result<(), MatrixError> {
        for (name, bytes) in [("L1d", self.l1d), ("L2", self.l2), ("L3", self.l3)] {
            if !(Self::MIN_BYTES..=Self::MAX_BYTES).contains(&bytes) {
                return Err(MatrixError::InvalidPlan {
                    detail: format!(
                        "an {name} cache of {bytes} bytes is outside [{}, {}]",
                        Self::MIN_BYTES,
                        Self::MAX_BYTES
                    ),
                });
            }
        }
        Ok(())
    }
}

fn read_sysfs() -> Option<CacheSizes> {
    let mut sizes = CacheSizes::DEFAULT;
    let mut found = false;
    for index in 0..8 {
        let dir = format!("/sys/devices/system/cpu/cpu0/cache/index{index}");
        let read = |f: &str| std::fs::read_to_string(format!("{dir}/{f}")).ok();
        let (Some(level), Some(kind), Some(size)) = (read("level"), read("type"), read("size"))
        else {
            continue;
        };
        let Some(bytes) = parse_size(size.trim()) else {
            continue;
        };
        match (level.trim(), kind.trim()) {
            ("1", "Data") => sizes.l1d = bytes,
            ("2", _) => sizes.l2 = bytes,
            ("3", _) => {
                let sharing = read("shared_cpu_list").map_or(1, |l| count_cpus(l.trim()));
                sizes.l3 = bytes / sharing;
            }
            _ => continue,
        }
        found = true;
    }
    // Nonsense values (a VM reporting 0) fall back to the defaults; a
    // machine without an L3 keeps the default share (what the chunk would
    // take from memory is bounded by the caps below anyway).
    if sizes.l3 < CacheSizes::MIN_BYTES {
        sizes.l3 = CacheSizes::DEFAULT.l3;
    }
    (found && sizes.l1d >= 8 << 10 && sizes.l2 >= 64 << 10).then_some(sizes)
}

/// Counts the CPUs of a sysfs list such as `0-3,8-11` or `0`; 1 for a list
/// it cannot read.
fn count_cpus(list: &str) -> usize {
    let count = list.split(',').try_fold(0usize, |n, range| {
        let mut ends = range.split('-').map(|x| x.trim().parse::<usize>().ok());
        let first = ends.next()??;
        let last = ends.next().unwrap_or(Some(first))?;
        Some(n + last.checked_sub(first)? + 1)
    });
    count.unwrap_or(1).max(1)
}

/// Parses sysfs sizes such as `48K`, `2048K`, `4M`.
fn parse_size(s: &str) -> Option<usize> {
    let (num, mult) = match s.as_bytes().last()? {
        b'K' => (&s[..s.len() - 1], 1 << 10),
        b'M' => (&s[..s.len() - 1], 1 << 20),
        b'G' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<usize>().ok()?.checked_mul(mult)
}

/// The bounds of one packed A chunk (`MC x KC`) in bytes: see the module
/// documentation.
const A_CHUNK_BYTES: std::ops::RangeInclusive<usize> = (512 << 10)..=(2 << 20);

impl CacheSizes {
    /// Bytes of one packed A chunk: the core's share of L3 within
    /// [`A_CHUNK_BYTES`].
    fn a_chunk(&self) -> usize {
        self.l3.clamp(*A_CHUNK_BYTES.start(), *A_CHUNK_BYTES.end())
    }
}

/// Block sizes for one gemm call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Blocking {
    pub mc: usize,
    pub kc: usize,
    pub nc: usize,
}

fn round_down(x: usize, to: usize) -> usize {
    (x / to * to).max(to)
}

fn round_up(x: usize, to: usize) -> usize {
    x.div_ceil(to) * to
}

/// Splits `total` into equal blocks of at most `max`, each a multiple of `align`.
fn even_blocks(total: usize, max: usize, align: usize) -> usize {
    let blocks = total.div_ceil(max).max(1);
    round_up(total.div_ceil(blocks), align).min(round_up(max, align))
}

impl Blocking {
    /// Blocking for a kernel of `mr x nr` tiles over `size`-byte elements,
    /// for an `m x n` product with inner dimension `k` (`shape = (m, k,
    /// n)`).
    pub(crate) fn new(
        caches: CacheSizes,
        mr: usize,
        nr: usize,
        size: usize,
        (m, k, n): (usize, usize, usize),
    ) -> Blocking {
        let kc_max = round_down(caches.l2 / 8 / (nr * size), 8).clamp(64, 2048);
        let kc = even_blocks(k.max(1), kc_max, 8).min(k.max(1));
        Blocking::around_kc(caches, mr, nr, size, (m, n), kc)
    }

    /// NC and MC for an `m x n` product cut in k blocks of `kc`.
    pub(crate) fn around_kc(
        caches: CacheSizes,
        mr: usize,
        nr: usize,
        size: usize,
        (m, n): (usize, usize),
        kc: usize,
    ) -> Blocking {
        let nc_max = round_down(caches.l2 / 2 / (kc.max(64) * size), nr).clamp(nr, 4096);
        let nc = even_blocks(n.max(1), nc_max, nr);
        let mc_max = round_down(caches.a_chunk() / (kc.max(1) * size), mr);
        let mc = even_blocks(m.max(1), mc_max, mr);
        Blocking { mc, kc, nc }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::{kernel_shape, Algorithm};
    use crate::KernelKind;

    #[test]
    fn sysfs_sizes_parse() {
        assert_eq!(parse_size("48K"), Some(48 << 10));
        assert_eq!(parse_size("2M"), Some(2 << 20));
        assert_eq!(parse_size("512"), Some(512));
        assert_eq!(parse_size("x"), None);
    }

    #[test]
    fn cpu_lists_count() {
        assert_eq!(count_cpus("0"), 1);
        assert_eq!(count_cpus("0-1"), 2);
        assert_eq!(count_cpus("0-3,8-11"), 8);
        assert_eq!(count_cpus("junk"), 1);
        assert_eq!(count_cpus("3-1"), 1);
    }

    /// The four cache layouts of the CPUs the project meets (L1d / L2 per
    /// core), each with a 4 MiB share of L3.
    const LAYOUTS: [(usize, usize); 4] = [
        (32 << 10, 512 << 10),
        (32 << 10, 1 << 20),
        (48 << 10, 1 << 20),
        (48 << 10, 2 << 20),
    ];

    fn caches((l1d, l2): (usize, usize), l3: usize) -> CacheSizes {
        CacheSizes { l1d, l2, l3 }
    }

    /// Every kernel's BLIS tile, f32 and f64, whatever this CPU has.
    fn tiles() -> Vec<(KernelKind, usize, usize, usize)> {
        let mut tiles = Vec::new();
        for kind in KernelKind::ALL {
            let f32 = kernel_shape::<f32>(kind, Algorithm::Blis).unwrap();
            let f64 = kernel_shape::<f64>(kind, Algorithm::Blis).unwrap();
            tiles.push((kind, f32.mr, f32.nr, 4));
            tiles.push((kind, f64.mr, f64.nr, 8));
        }
        tiles
    }

    #[test]
    fn every_layout_and_kernel_gets_the_analytic_blocks() {
        for layout in LAYOUTS {
            for l3 in [1 << 20, 4 << 20, 1 << 30] {
                let c = caches(layout, l3);
                let chunk = l3.clamp(512 << 10, 2 << 20);
                for (kind, mr, nr, size) in tiles() {
                    // A deep, wide, tall product: the maxima themselves.
                    let b = Blocking::new(c, mr, nr, size, (1 << 16, 1 << 13, 1 << 14));
                    let what = format!("{kind} {mr}x{nr}x{size}B, {c:?}: {b:?}");
                    // KC: the B micro-panel in an eighth of L2, the largest
                    // multiple of 8 that fits (within 64..=2048).
                    let panel = |kc: usize| kc * nr * size;
                    assert!(b.kc == 64 || panel(b.kc) <= c.l2 / 8, "{what}");
                    assert!(b.kc == 2048 || panel(b.kc + 8) > c.l2 / 8, "{what}");
                    // NC: the B block in half of L2, the largest multiple of NR.
                    let block = |nc: usize| nc * b.kc * size;
                    assert!(b.nc.is_multiple_of(nr) && block(b.nc) <= c.l2 / 2, "{what}");
                    assert!(b.nc == 4096 || block(b.nc + nr) > c.l2 / 2, "{what}");
                    // MC: the A chunk in the L3 share (capped), the largest
                    // multiple of MR.
                    let a_chunk = |mc: usize| mc * b.kc * size;
                    assert!(b.mc.is_multiple_of(mr) && a_chunk(b.mc) <= chunk, "{what}");
                    assert!(a_chunk(b.mc + mr) > chunk, "{what}");
                }
            }
        }
    }

    #[test]
    fn the_four_layouts_block_1024_cubed_as_derived_by_hand() {
        // AVX-512 f32, 12x32 tiles: KC = L2 / 8 / 128 B, evened over 1024;
        // NC = L2 / 2 / (KC * 4); MC = 2 MiB / (KC * 4) evened over 1024.
        let want = [
            (512, 128, 516),
            (1024, 128, 348),
            (1024, 128, 348),
            (1024, 256, 348),
        ];
        for (layout, (kc, nc, mc)) in LAYOUTS.into_iter().zip(want) {
            let b = Blocking::new(caches(layout, 4 << 20), 12, 32, 4, (1024, 1024, 1024));
            assert_eq!((b.kc, b.nc, b.mc), (kc, nc, mc), "{layout:?}");
        }
        // A 1 MiB share of L3 halves the A chunk: 1 MiB / (512 * 4) = 512
        // rows, 504 in whole tiles, evened to 348.
        let small_l3 = Blocking::new(caches(LAYOUTS[0], 1 << 20), 12, 32, 4, (1024, 1024, 1024));
        assert_eq!(small_l3.mc, 348);
        // AVX2 f64, 6x8 tiles (64 B per k): KC 2048 on a 2 MiB L2, evened
        // to 1024 over k = 1024 either way.
        let avx2 = Blocking::new(caches(LAYOUTS[3], 4 << 20), 6, 8, 8, (1024, 1024, 1024));
        assert_eq!((avx2.kc, avx2.nc), (1024, 128));
    }

    #[test]
    fn blocks_are_even_and_aligned() {
        let c = CacheSizes {
            l1d: 32 << 10,
            l2: 1 << 20,
            l3: 2 << 20,
        };
        // KC from L2: 1 MiB / 8 / (32 f32 = 128 bytes) = 1024, and the
        // same for f64 with 16-wide panels.
        let b = Blocking::new(c, 12, 32, 4, (10000, 1500, 800));
        assert_eq!(b.kc, 752, "1500 splits into two even k blocks");
        assert_eq!(b.nc % 32, 0);
        assert!(b.nc * b.kc * 4 <= c.l2 / 2);
        assert_eq!(b.mc % 12, 0);
        assert!(b.mc * b.kc * 4 <= c.a_chunk());
        assert_eq!(b.mc, 672, "10000 rows in 15 even chunks of 2 MiB or less");
        assert_eq!(Blocking::new(c, 12, 32, 4, (1024, 1024, 1024)).kc, 1024);
        assert_eq!(Blocking::new(c, 12, 16, 8, (1024, 1024, 1024)).kc, 1024);
        let tiny = Blocking::new(c, 12, 32, 4, (5, 3, 1));
        assert_eq!((tiny.mc, tiny.kc, tiny.nc), (12, 3, 32));
        // A 2 MiB L2: KC up to 2048.
        let c2 = CacheSizes {
            l1d: 48 << 10,
            l2: 2 << 20,
            l3: 2 << 20,
        };
        let deep = Blocking::new(c2, 12, 32, 4, (100, 5000, 800));
        assert_eq!(deep.kc, 1672, "5000 in three even blocks of at most 2048");
    }
}
