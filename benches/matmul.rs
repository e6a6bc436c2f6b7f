//! gemm and transpose: every kernel this CPU has beside the peers built in
//! (matrixmultiply; faer and the `gemm` crate with `--features peers`;
//! OpenBLAS with `--features openblas`), one criterion group per shape,
//! element type and thread count.
//!
//! ```sh
//! cargo bench --bench matmul                          # everything, about 5 minutes
//! cargo bench --bench matmul --features peers,openblas # with every peer
//! cargo bench --bench matmul -- "gemm f32 NN 1024 "   # one group (a regex on the names)
//! cargo bench --bench matmul -- transpose             # transpose beside a copy
//! cargo bench --bench matmul -- batched               # many 64x64 products
//! cargo run --release --example gemm -- --table       # the results as one Markdown table
//! ```
//!
//! Groups are named `gemm {f32|f64} {shape} {threads}t` and hold
//! `matnet {kernel}` for each kernel (`avx512`, `avx2`, `portable`, those the
//! CPU supports) and each peer (matrixmultiply on one thread only); groups
//! `gemm {bf16|f16} {shape} {threads}t` hold the half-precision product on
//! every path the CPU has (`HalfPath`) beside the f32 product. Throughput is in
//! flops (2mnk), so the HTML report (`target/criterion/report/index.html`)
//! shows GFLOP/s. To compare two commits, run `cargo bench --bench matmul --
//! --save-baseline before` on the first and `-- --baseline before` on the
//! second.
//!
//! Criterion times the members of a group one after the other, and a burst
//! of load on a shared machine can move a mean by 10%; for the ratios of
//! record, `cargo run --release --example vs_peers` alternates every peer
//! in one process.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use matrix::gemm::PlanChoices;
use matrix::{
    bf16, f16, gemm, gemm_batched, transpose_into, try_gemm_half_with, try_gemm_with_kernel,
    Epilogue, Half, HalfPath, KernelKind, Matrix,
};

#[path = "support/peers.rs"]
mod peers;
use peers::{input, Peer, PeerScalar, SHAPES};

fn bench_gemm<T: PeerScalar>(c: &mut Criterion) {
    let kernels = KernelKind::supported();
    for &threads in &[1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        for &(label, m, k, n) in SHAPES {
            let (a, b) = (input::<T>(m, k), input::<T>(k, n));
            let mut out = Matrix::<T>::zeros(m, n);
            let mut group = c.benchmark_group(format!("gemm {} {label} {threads}t", T::NAME));
            group.throughput(Throughput::Elements((2 * m * k * n) as u64));
            group
                .sample_size(10)
                .warm_up_time(Duration::from_millis(300))
                .measurement_time(Duration::from_secs(1));
            for &kernel in &kernels {
                // Each batch of iterations runs on a worker of the pool:
                // entering the pool per call would add a cross-thread handoff
                // of several microseconds, a third of a 128x800x10 product.
                group.bench_function(format!("matnet {kernel}"), |bch| {
                    bch.iter_custom(|iters| {
                        pool.install(|| {
                            let start = Instant::now();
                            for _ in 0..iters {
                                try_gemm_with_kernel(
                                    kernel,
                                    T::ONE,
                                    &a,
                                    &b,
                                    T::ZERO,
                                    &mut out,
                                    Epilogue::none(),
                                )
                                .unwrap();
                            }
                            start.elapsed()
                        })
                    })
                });
            }
            for peer in Peer::built().into_iter().skip(1) {
                if !peer.runs_on(threads) {
                    continue;
                }
                group.bench_function(peer.name(), |bch| {
                    bch.iter_custom(|iters| {
                        pool.install(|| {
                            let start = Instant::now();
                            for _ in 0..iters {
                                peer.gemm(threads, &a, &b, &mut out);
                            }
                            start.elapsed()
                        })
                    })
                });
            }
            group.finish();
            black_box(&out);
        }
    }
}

/// The half-precision products (operands in `bf16` or `f16`, C and sums in
/// f32) on every path this CPU has, beside the f32 product on the selected
/// kernel, in one group per shape: criterion's report shows the ratio.
fn bench_half<H: Half>(c: &mut Criterion) {
    let kernel = matrix::selected_kernel().expect("a usable MATNET_KERNEL");
    for &threads in &[1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        for &(label, m, k, n) in SHAPES.iter().filter(|s| s.1 > 1 && s.3 > 1) {
            let (a, b) = (input::<f32>(m, k), input::<f32>(k, n));
            let (ah, bh) = (Matrix::<H>::from(&a), Matrix::<H>::from(&b));
            let mut out = Matrix::<f32>::zeros(m, n);
            let mut group = c.benchmark_group(format!("gemm {} {label} {threads}t", H::NAME));
            group.throughput(Throughput::Elements((2 * m * k * n) as u64));
            group
                .sample_size(10)
                .warm_up_time(Duration::from_millis(300))
                .measurement_time(Duration::from_secs(1));
            group.bench_function(format!("matnet f32 {kernel}"), |bch| {
                bch.iter(|| pool.install(|| gemm(1.0, &a, &b, 0.0, &mut out)))
            });
            for path in HalfPath::supported::<H>() {
                group.bench_function(format!("matnet {} {path}", H::NAME), |bch| {
                    bch.iter(|| {
                        pool.install(|| {
                            let (choices, epi) = (PlanChoices::default(), Epilogue::none());
                            try_gemm_half_with(path, choices, 1.0, &ah, &bh, 0.0, &mut out, epi)
                                .unwrap()
                        })
                    })
                });
            }
            group.finish();
            black_box(&out);
        }
    }
}

fn bench_transpose(c: &mut Criterion) {
    let n = 4096;
    let src = input::<f32>(n, n);
    let mut dst = Matrix::<f32>::zeros(n, n);
    let mut group = c.benchmark_group("transpose f32 4096x4096");
    group.throughput(Throughput::Bytes((n * n * 4) as u64));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(2));
    group.bench_function(BenchmarkId::new("matnet", "transpose"), |b| {
        b.iter(|| transpose_into(src.view(), dst.view_mut()))
    });
    group.bench_function(BenchmarkId::new("copy", "same bytes"), |b| {
        b.iter(|| {
            dst.as_mut_slice()
                .copy_from_slice(black_box(src.as_slice()))
        })
    });
    group.finish();
}

/// 256 products of 64x64 matrices: the batched entry point (products shared
/// out between threads) beside a loop of single products.
fn bench_batched(c: &mut Criterion) {
    let (batch, n) = (256, 64);
    let a: Vec<Matrix<f32>> = (0..batch).map(|i| input(n + i % 2, n)).collect();
    let b: Vec<Matrix<f32>> = (0..batch).map(|_| input(n, n)).collect();
    let mut out: Vec<Matrix<f32>> = a.iter().map(|a| Matrix::zeros(a.rows(), n)).collect();
    let flops: usize = a.iter().map(|a| 2 * a.rows() * n * n).sum();
    for &threads in &[1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut group = c.benchmark_group(format!("batched f32 {batch}x 64x64x64 {threads}t"));
        group.throughput(Throughput::Elements(flops as u64));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1));
        let av: Vec<_> = a.iter().map(|m| m.view()).collect();
        let bv: Vec<_> = b.iter().map(|m| m.view()).collect();
        group.bench_function("matnet gemm_batched", |bch| {
            bch.iter(|| {
                let mut cv: Vec<_> = out.iter_mut().map(|m| m.view_mut()).collect();
                pool.install(|| gemm_batched(1.0, &av, &bv, 0.0, &mut cv))
            })
        });
        group.bench_function("matnet loop of gemm", |bch| {
            bch.iter(|| {
                pool.install(|| {
                    for ((a, b), c) in a.iter().zip(&b).zip(out.iter_mut()) {
                        gemm(1.0, a, b, 0.0, c);
                    }
                })
            })
        });
        group.finish();
    }
}

fn all(c: &mut Criterion) {
    bench_gemm::<f32>(c);
    bench_gemm::<f64>(c);
    bench_half::<bf16>(c);
    bench_half::<f16>(c);
    bench_batched(c);
    bench_transpose(c);
}

criterion_group!(benches, all);

// criterion_main!, after registering the plots' font: the workspace builds
// plotters with built-in fonts only (no system font lookup), so criterion's
// charts need one registered.
fn main() {
    support::plot::register_fonts();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
