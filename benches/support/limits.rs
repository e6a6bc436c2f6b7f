//! The machine's limits a gemm figure is held against, measured where it
//! runs (included with `#[path]` by `examples/vs_peers.rs`):
//!
//! - the **FMA peak** of each kernel's instructions: independent
//!   multiply-adds on registers only (12 accumulators, more than the FMA
//!   units times their latency), on every thread of a pool at once. That
//!   is what a compute-bound product can reach at best, frequency effects
//!   of the wide instructions included.
//! - the **stream bandwidth** of each level of the memory hierarchy, read
//!   alone and copied: what a product that streams one operand once (a
//!   one-row or one-column product) can reach at best is a read of the same
//!   bytes from the level that holds them. Counted in bytes of the source
//!   per second.

use std::hint::black_box;
use std::time::Instant;

use matrix::KernelKind;
use rayon::prelude::*;

/// Independent accumulators per thread in the FMA loop.
const ACCUMULATORS: usize = 12;

/// Iterations of the FMA loop per timing (about 10 to 50 ms).
const ITERATIONS: usize = 4_000_000;

/// Runs `iters` steps of 12 independent vector FMAs on `$vec` registers
/// and returns a sum, so that the work cannot be dropped.
macro_rules! fma_loop {
    ($name:ident, $t:ty, $vec:ty, $feat:literal, $set1:ident, $fma:ident, $store:ident, $lanes:expr) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $feat)]
        unsafe fn $name(iters: usize, x: $t) -> $t {
            use std::arch::x86_64::*;
            let (mul, add) = ($set1(x), $set1(1e-7));
            let mut acc = [$set1(0.5); ACCUMULATORS];
            for _ in 0..iters {
                for a in acc.iter_mut() {
                    *a = $fma(*a, mul, add);
                }
            }
            let mut total: $t = 0.0;
            for a in acc {
                let mut lanes = [0.0 as $t; $lanes];
                // SAFETY: `lanes` holds exactly one vector; unaligned store.
                unsafe { $store(lanes.as_mut_ptr(), a) };
                total += lanes.iter().sum::<$t>();
            }
            total
        }
    };
}

fma_loop!(
    fma_avx512_f32,
    f32,
    __m512,
    "avx512f",
    _mm512_set1_ps,
    _mm512_fmadd_ps,
    _mm512_storeu_ps,
    16
);
fma_loop!(
    fma_avx512_f64,
    f64,
    __m512d,
    "avx512f",
    _mm512_set1_pd,
    _mm512_fmadd_pd,
    _mm512_storeu_pd,
    8
);
fma_loop!(
    fma_avx2_f32,
    f32,
    __m256,
    "avx2,fma",
    _mm256_set1_ps,
    _mm256_fmadd_ps,
    _mm256_storeu_ps,
    8
);
fma_loop!(
    fma_avx2_f64,
    f64,
    __m256d,
    "avx2,fma",
    _mm256_set1_pd,
    _mm256_fmadd_pd,
    _mm256_storeu_pd,
    4
);

/// The portable kernel's arithmetic: plain multiplies and adds over arrays
/// that the compiler vectorizes with the baseline instruction set.
fn portable_loop<T: matrix::Scalar, const W: usize>(iters: usize, x: T) -> (T, usize) {
    let mut acc = [[T::from_f64(0.5); W]; ACCUMULATORS];
    let add = T::from_f64(1e-7);
    for _ in 0..iters {
        for a in acc.iter_mut() {
            for v in a.iter_mut() {
                *v = *v * x + add;
            }
        }
    }
    let total = acc.iter().flatten().fold(T::ZERO, |s, &v| s + v);
    (total, W)
}

/// Flops of one call of the FMA loop for `kernel` and element size, and the
/// call itself; `None` if the CPU lacks the kernel's instructions.
fn fma_probe(kernel: KernelKind, size: usize) -> Option<(f64, Box<dyn Fn() + Sync>)> {
    if !KernelKind::supported().contains(&kernel) {
        return None;
    }
    let x = 0.999_999;
    let per_step = |lanes: usize| (2 * ACCUMULATORS * lanes) as f64;
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY (each call below): `supported()` checked the kernel's
        // instructions on this CPU.
        let probe: Option<(usize, Box<dyn Fn() + Sync>)> = match (kernel, size) {
            (KernelKind::Avx512, 4) => Some((
                16,
                Box::new(move || {
                    black_box(unsafe { fma_avx512_f32(ITERATIONS, x as f32) });
                }),
            )),
            (KernelKind::Avx512, _) => Some((
                8,
                Box::new(move || {
                    black_box(unsafe { fma_avx512_f64(ITERATIONS, x) });
                }),
            )),
            (KernelKind::Avx2, 4) => Some((
                8,
                Box::new(move || {
                    black_box(unsafe { fma_avx2_f32(ITERATIONS, x as f32) });
                }),
            )),
            (KernelKind::Avx2, _) => Some((
                4,
                Box::new(move || {
                    black_box(unsafe { fma_avx2_f64(ITERATIONS, x) });
                }),
            )),
            _ => None,
        };
        if let Some((lanes, f)) = probe {
            return Some((per_step(lanes) * ITERATIONS as f64, f));
        }
    }
    // Portable (and every kernel off x86): 16 lanes of f32 or 8 of f64,
    // which the compiler splits over whatever vectors the baseline has.
    let iters = ITERATIONS / 4;
    if size == 4 {
        let (_, w) = portable_loop::<f32, 16>(0, 1.0);
        Some((
            per_step(w) * iters as f64,
            Box::new(move || {
                black_box(portable_loop::<f32, 16>(iters, black_box(x as f32)));
            }),
        ))
    } else {
        let (_, w) = portable_loop::<f64, 8>(0, 1.0);
        Some((
            per_step(w) * iters as f64,
            Box::new(move || {
                black_box(portable_loop::<f64, 8>(iters, black_box(x)));
            }),
        ))
    }
}

/// GFLOP/s of `kernel`'s FMA instructions over elements of `size` bytes (4
/// or 8), on all threads of `pool` at once: the best of `trials` timings.
/// `None` if the CPU lacks the kernel.
pub fn fma_peak(
    pool: &rayon::ThreadPool,
    kernel: KernelKind,
    size: usize,
    trials: usize,
) -> Option<f64> {
    let (flops, probe) = fma_probe(kernel, size)?;
    let threads = pool.current_num_threads();
    let best = (0..trials.max(1))
        .map(|_| {
            let start = Instant::now();
            pool.broadcast(|_| probe());
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min);
    Some(flops * threads as f64 / best / 1e9)
}

/// Sums `data` in 8 independent vector accumulators (so that the adds'
/// latency does not bound it): one read stream at the speed of the level
/// that holds it, with the widest vectors the CPU has.
pub fn read_stream(data: &[f32]) -> f32 {
    macro_rules! sum_with {
        ($name:ident, $feat:literal, $lanes:expr, $zero:ident, $load:ident, $add:ident, $store:ident) => {
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = $feat)]
            fn $name(data: &[f32]) -> f32 {
                use std::arch::x86_64::*;
                let mut acc = [$zero(); 8];
                let chunks = data.chunks_exact(8 * $lanes);
                let mut total: f32 = chunks.remainder().iter().sum();
                for c in chunks {
                    for (j, a) in acc.iter_mut().enumerate() {
                        // SAFETY: `c` holds 8 vectors; `j` < 8.
                        *a = $add(*a, unsafe { $load(c.as_ptr().add(j * $lanes)) });
                    }
                }
                for a in acc {
                    let mut lanes = [0f32; $lanes];
                    // SAFETY: `lanes` holds exactly one vector.
                    unsafe { $store(lanes.as_mut_ptr(), a) };
                    total += lanes.iter().sum::<f32>();
                }
                total
            }
        };
    }
    sum_with!(
        sum_avx512,
        "avx512f",
        16,
        _mm512_setzero_ps,
        _mm512_loadu_ps,
        _mm512_add_ps,
        _mm512_storeu_ps
    );
    sum_with!(
        sum_avx2,
        "avx",
        8,
        _mm256_setzero_ps,
        _mm256_loadu_ps,
        _mm256_add_ps,
        _mm256_storeu_ps
    );
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F, checked just above.
            return unsafe { sum_avx512(data) };
        }
        if is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has AVX, checked just above.
            return unsafe { sum_avx2(data) };
        }
    }
    data.iter().sum()
}

/// Reads `data` once, split into one piece per thread of the current pool.
pub fn read_split(data: &[f32]) -> f32 {
    let piece = data.len().div_ceil(rayon::current_num_threads()).max(1);
    data.par_chunks(piece).map(read_stream).sum()
}

/// GB/s of one read stream and of one copy over a buffer of `bytes` bytes,
/// on each thread of `pool` at once with a buffer of its own (the sum over
/// threads): the median of `trials` timings, each of enough passes to last
/// about a millisecond.
pub fn stream_bandwidth(pool: &rayon::ThreadPool, bytes: usize, trials: usize) -> (f64, f64) {
    let len = (bytes / 4).max(16);
    let reps = (1 << 22) / len + 1;
    let threads = pool.current_num_threads() as f64;
    let median = |mut t: Vec<f64>| {
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    };
    let mut read = Vec::new();
    let mut copy = Vec::new();
    for _ in 0..trials.max(1) {
        let times = pool.broadcast(|_| {
            let src = vec![1f32; len];
            let mut dst = vec![0f32; len];
            black_box(read_stream(&src));
            dst.copy_from_slice(&src);
            let start = Instant::now();
            for _ in 0..reps {
                black_box(read_stream(black_box(&src)));
            }
            let read = start.elapsed().as_secs_f64() / reps as f64;
            let start = Instant::now();
            for _ in 0..reps {
                black_box(&mut dst).copy_from_slice(black_box(&src));
            }
            (read, start.elapsed().as_secs_f64() / reps as f64)
        });
        // The slowest thread decides how long the level takes.
        read.push(times.iter().map(|t| t.0).fold(0.0, f64::max));
        copy.push(times.iter().map(|t| t.1).fold(0.0, f64::max));
    }
    let gbs = |t: f64| (len * 4) as f64 * threads / t / 1e9;
    (gbs(median(read)), gbs(median(copy)))
}

/// (level name, buffer bytes per thread) to measure streams at: a quarter
/// of L1d and of L2 (a copy's source and destination fit with room to
/// spare), four times L2 (past every core's L2, within any L3) and 128 MiB
/// (memory on any machine).
pub fn stream_levels(caches: matrix::CacheSizes) -> [(&'static str, usize); 4] {
    [
        ("L1", caches.l1d / 4),
        ("L2", caches.l2 / 4),
        ("L3", caches.l2 * 4),
        ("memory", 128 << 20),
    ]
}
