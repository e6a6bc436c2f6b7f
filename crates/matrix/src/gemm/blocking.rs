//! Cache blocking sizes, derived from the cache sizes of the machine it runs on.
//!
//! With the loop order of `driver.rs` (ic -> pc -> jc -> ir -> jr):
//! - the `MR x KC` A micro-panel is reused across a whole row of tiles, so it
//!   should sit in L1: `KC = L1 / (MR * size)`, at most 512. (Half of L1,
//!   which leaves room for the streaming B panels, measured 3-10% slower on
//!   Zen 4 with its 32 KiB L1, f32 and f64 alike: each KC block costs a
//!   pass over C, and the B panels stream from L2 fast enough; on Zen 5,
//!   48 KiB, the two were even.)
//! - when A is read in place (`driver::reads_a_in_place`), its `MR` rows
//!   stream through L1 rather than sit in it, and what bounds KC is the
//!   `KC x NR` B micro-panel streamed from L2: at most an eighth of L2, so
//!   the B block holds at least four of them (`KC = L2 / 8 / (NR * size)`,
//!   1024 with a 1 MiB L2). Fewer KC blocks means fewer passes over C:
//!   measured on Zen 4, f32, one thread, KC 512 -> 1024, GFLOP/s:
//!   10000x784x800 104 -> 108 (one k block instead of two), 3000x3000x400
//!   107 -> 109, 20000x1500x256 106 -> 108; f64 10000x784x800 52 -> 54.
//! - the packed `KC x NC` B block is swept once per A micro-panel, so it should
//!   sit in half of L2: `NC = L2 / 2 / (KC * size)`;
//! - the packed `MC x KC` A chunk is packed once and read once per B block,
//!   a micro-panel at a time, from L3: `MC = A_CHUNK_BYTES / (KC * size)`.
//!
//! `KC` and `NC` are then evened out over the actual `k` and `n` so that no
//! block is a sliver (k = 784 with KC = 384 would leave a block of 16).

use std::sync::OnceLock;

/// Cache sizes in bytes, per core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
/// last-level cache holds on current x86 parts. Measured on Zen 5 (1 MiB
/// L2, 32 MiB L3), f32, one thread: 256 KiB repacks B too often (148
/// GFLOP/s at 2048³), 4-16 MiB lets the chunk fall out of cache between B
/// blocks (177 at 10000x784x800); 1-2 MiB gives 195-220 on both.
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
    /// n)`), with A packed or read in place (`a_in_place`).
    pub(crate) fn new(
        caches: CacheSizes,
        mr: usize,
        nr: usize,
        size: usize,
        (m, k, n): (usize, usize, usize),
        a_in_place: bool,
    ) -> Blocking {
        let kc_max = if a_in_place {
            round_down(caches.l2 / 8 / (nr * size), 8).clamp(64, 2048)
        } else {
            round_down(caches.l1d / (mr * size), 8).clamp(64, 512)
        };
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
            l1d: 48 << 10,
            l2: 2 << 20,
        };
        let b = Blocking::new(c, 12, 32, 4, (10000, 784, 800), false);
        assert_eq!(b.kc, 392, "784 splits into two even k blocks");
        assert_eq!(b.nc % 32, 0);
        assert!(b.nc >= 800 / 2);
        assert_eq!(b.mc % 12, 0);
        assert!(b.mc * b.kc * 4 <= A_CHUNK_BYTES);
        assert_eq!(b.mc, 1260, "10000 rows in 8 even chunks of 2 MiB or less");
        let tiny = Blocking::new(c, 12, 32, 4, (5, 3, 1), false);
        assert_eq!((tiny.mc, tiny.kc, tiny.nc), (12, 3, 32));
        // A in place: KC from L2 (2 MiB / 8 / 128 bytes = 2048), one block.
        let direct = Blocking::new(c, 12, 32, 4, (10000, 784, 800), true);
        assert_eq!(direct.kc, 784);
        let deep = Blocking::new(c, 12, 32, 4, (100, 5000, 800), true);
        assert_eq!(deep.kc, 1672, "5000 in three even blocks of at most 2048");
    }
}
