//! gemm and transpose, ours beside the anchors, grouped by shape.
//!
//! `cargo bench --bench matmul` — each group holds matnet and matrixmultiply
//! for one shape, dtype and thread count, so criterion's report compares
//! them directly; `transpose` sets our out-of-place transpose beside a plain
//! copy of the same bytes.
//!
//! Criterion times the two of a group one after the other and compares
//! means, which a burst of load on a shared machine can move by 10%. For
//! the matrixmultiply ratio alone, `cargo run --release --example
//! vs_matrixmultiply` alternates the two in one process and prints the
//! ratio of their medians and of their bests.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use matrix::{gemm, transpose_into, Matrix};

#[path = "support/matrixmultiply.rs"]
mod anchor;
use anchor::{input, MmGemm, SHAPES};

fn bench_gemm<T: MmGemm>(c: &mut Criterion) {
    for &threads in &[1usize, 2] {
        // matrixmultiply is built without its "threading" feature (which
        // would take every physical core whatever the group says), so it
        // runs, and is compared, on one thread only.
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
            // Each batch of iterations runs on a worker of the pool: entering
            // the pool per call would add a cross-thread handoff of several
            // microseconds, a third of a 128x800x10 product.
            group.bench_function("matnet", |bch| {
                bch.iter_custom(|iters| {
                    pool.install(|| {
                        let start = Instant::now();
                        for _ in 0..iters {
                            gemm(T::ONE, &a, &b, T::ZERO, &mut out);
                        }
                        start.elapsed()
                    })
                })
            });
            if threads == 1 {
                group.bench_function("matrixmultiply", |bch| bch.iter(|| T::mm(&a, &b, &mut out)));
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

fn all(c: &mut Criterion) {
    bench_gemm::<f32>(c);
    bench_gemm::<f64>(c);
    bench_transpose(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
