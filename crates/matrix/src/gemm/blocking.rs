//! Cache blocking sizes, derived from the cache sizes of the machine it runs on.
//!
//! With the loop order of `driver.rs` (ic -> pc -> jc -> ir -> jr):
//! - what bounds KC is the `KC x NR` B micro-panel streamed from L2 for
//!   every tile: at most an eighth of L2, so that the B block holds at
//!   least four of them (`KC = L2 / 8 / (NR * size)`, 1024 with a 1 MiB
//!   L2, f32 and f64 alike). The `MR x KC` A micro-panel (48 KiB for f32)
//!   then no longer fits in L1: it streams from L2 beside B, packed or read
//!   in place, which the kernel's loads keep up with (12 broadcasts and 2
//!   vector loads per 24 FMAs). What a larger KC buys is fewer passes over
//!   C, one per KC block, which outweighed an A micro-panel in L1 on every
//!   shape measured (BENCHMARKS.md has the figures).
//! - the packed `KC x NC` B block is swept once per A micro-panel, so it should
//!   sit in half of L2: `NC = L2 / 2 / (KC * size)`;
//! - the packed `MC x KC` A chunk is packed once and read once per B block,
//!   a micro-panel at a time, from L3: `MC = A_CHUNK_BYTES / (KC * size)`.
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
}

impl CacheSizes {
    /// Sizes read once from `/sys/devices/system/cpu/cpu0/cache` (Linux);
    /// 32 KiB / 1 MiB where that is not available.
    pub fn detect() -> CacheSizes {
        static CACHED: OnceLock<CacheSizes> = OnceLock::new();
        *CACHED.get_or_init(|| read_sysfs().unwrap_or(CacheSizes::DEFAULT))
    }

    /// The fallback when the machine does not say.
    pub const DEFAULT: CacheSizes = CacheSizes {
        l1d: 32 << 10,
        l2: 1 << 20,
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

    /// Whether both sizes are sizes a machine could have, in
    /// `[MIN_BYTES, MAX_BYTES]`: the blocking divides and multiplies them,
    /// so a forced [`PlanChoices::caches`](crate::gemm::PlanChoices) is
    /// checked here before any block is derived.
    ///
    /// # Errors
    /// [`MatrixError::InvalidPlan`] naming the size out of range.
    pub fn check(&self) -> Result<(), MatrixError> {
        for (name, bytes) in [("L1d", self.l1d), ("L2", self.l2)] {
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
            _ => continue,
        }
        found = true;
    }
    // Nonsense values (a VM reporting 0) fall back to the defaults.
    (found && sizes.l1d >= 8 << 10 && sizes.l2 >= 64 << 10).then_some(sizes)
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

/// Bytes of one packed A chunk (`MC x KC`): what a core's share of a
/// last-level cache holds on current x86 parts. Much smaller chunks repack
/// B too often; much larger ones fall out of cache between B blocks.
const A_CHUNK_BYTES: usize = 2 << 20;

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
        let mc_max = round_down(A_CHUNK_BYTES / (kc.max(1) * size), mr);
        let mc = even_blocks(m.max(1), mc_max, mr);
        Blocking { mc, kc, nc }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysfs_sizes_parse() {
        assert_eq!(parse_size("48K"), Some(48 << 10));
        assert_eq!(parse_size("2M"), Some(2 << 20));
        assert_eq!(parse_size("512"), Some(512));
        assert_eq!(parse_size("x"), None);
    }

    #[test]
    fn blocks_are_even_and_aligned() {
        let c = CacheSizes {
            l1d: 32 << 10,
            l2: 1 << 20,
        };
        // KC from L2: 1 MiB / 8 / (32 f32 = 128 bytes) = 1024, and the
        // same for f64 with 16-wide panels.
        let b = Blocking::new(c, 12, 32, 4, (10000, 1500, 800));
        assert_eq!(b.kc, 752, "1500 splits into two even k blocks");
        assert_eq!(b.nc % 32, 0);
        assert!(b.nc * b.kc * 4 <= c.l2 / 2);
        assert_eq!(b.mc % 12, 0);
        assert!(b.mc * b.kc * 4 <= A_CHUNK_BYTES);
        assert_eq!(b.mc, 672, "10000 rows in 15 even chunks of 2 MiB or less");
        assert_eq!(Blocking::new(c, 12, 32, 4, (1024, 1024, 1024)).kc, 1024);
        assert_eq!(Blocking::new(c, 12, 16, 8, (1024, 1024, 1024)).kc, 1024);
        let tiny = Blocking::new(c, 12, 32, 4, (5, 3, 1));
        assert_eq!((tiny.mc, tiny.kc, tiny.nc), (12, 3, 32));
        // A 2 MiB L2: KC up to 2048.
        let c2 = CacheSizes {
            l1d: 48 << 10,
            l2: 2 << 20,
        };
        let deep = Blocking::new(c2, 12, 32, 4, (100, 5000, 800));
        assert_eq!(deep.kc, 1672, "5000 in three even blocks of at most 2048");
    }
}
