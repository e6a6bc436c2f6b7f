//! Decompositions: matnet's Cholesky, LU (with a one-column solve) and QR
//! beside faer's and nalgebra's (with `--features peers`), one criterion
//! group per routine, size and thread count.
//!
//! ```sh
//! cargo bench --bench linalg                           # matnet alone
//! cargo bench --bench linalg --features peers          # beside faer and nalgebra
//! cargo bench --bench linalg --features peers -- "lu f64 1024"
//! ```
//!
//! Groups are named `{routine} {dtype} {n} {threads}t` and hold `matnet`,
//! `faer` (its parallelism set to the group's threads) and, on one thread,
//! `nalgebra` (which has no threads). Throughput is in the flops numpy's
//! comparison counts (Cholesky n³/3, LU 2n³/3, QR 4n³/3), so the HTML report
//! shows GFLOP/s. Every implementation factors the same inputs: a
//! symmetric positive definite `G Gᵀ + n I` and a Gaussian `G`. For one
//! run's ratios beside numpy.linalg too: `cargo run --release --example
//! linalg --features peers -- --peer numpy,faer`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion, Throughput};
use matrix::Matrix;
use rand::{rngs::StdRng, Rng, SeedableRng};

/// The inputs: `(spd, g, b)` with `b` one right-hand side.
fn inputs(n: usize) -> (Matrix<f64>, Matrix<f64>, Matrix<f64>) {
    let mut rng = StdRng::seed_from_u64(n as u64);
    let g = Matrix::from_fn(n, n, |_, _| rng.random_range(-1.0..1.0));
    let mut spd = &g * g.t();
    for i in 0..n {
        spd[(i, i)] += n as f64;
    }
    let b = Matrix::from_fn(n, 1, |i, _| (i % 7) as f64 - 3.0);
    (spd, g, b)
}

/// The three routines with their flop counts.
const ROUTINES: [(&str, f64); 3] = [
    ("cholesky", 1.0 / 3.0),
    ("lu", 2.0 / 3.0),
    ("qr", 4.0 / 3.0),
];

fn matnet(routine: &str, (spd, g, b): &(Matrix<f64>, Matrix<f64>, Matrix<f64>)) {
    match routine {
        "cholesky" => drop(black_box(spd.cholesky().expect("SPD"))),
        "lu" => drop(black_box(g.solve(b).expect("nonsingular"))),
        _ => drop(black_box(g.qr().expect("finite"))),
    }
}

#[cfg(feature = "peers")]
mod peers {
    use super::black_box;
    use matrix::Matrix;

    /// faer's and nalgebra's copies of the inputs.
    pub struct Copies {
        faer: [faer::Mat<f64>; 3],
        nalgebra: [nalgebra::DMatrix<f64>; 3],
    }

    pub fn copies(inputs: &(Matrix<f64>, Matrix<f64>, Matrix<f64>)) -> Copies {
        let all = [&inputs.0, &inputs.1, &inputs.2];
        Copies {
            faer: all.map(|m| faer::Mat::from_fn(m.rows(), m.cols(), |i, j| m[(i, j)])),
            nalgebra: all.map(|m| nalgebra::DMatrix::from_fn(m.rows(), m.cols(), |i, j| m[(i, j)])),
        }
    }

    pub fn faer(routine: &str, c: &Copies, threads: usize) {
        use faer::linalg::solvers::Solve;
        faer::set_global_parallelism(if threads > 1 {
            faer::Par::rayon(threads)
        } else {
            faer::Par::Seq
        });
        let [spd, g, b] = &c.faer;
        match routine {
            "cholesky" => drop(black_box(spd.llt(faer::Side::Lower).expect("SPD"))),
            "lu" => drop(black_box(g.partial_piv_lu().solve(b))),
            _ => drop(black_box(g.qr())),
        }
    }

    pub fn nalgebra(routine: &str, c: &Copies) {
        let [spd, g, b] = &c.nalgebra;
        match routine {
            "cholesky" => drop(black_box(spd.clone().cholesky().expect("SPD"))),
            "lu" => drop(black_box(g.clone().lu().solve(b))),
            _ => drop(black_box(g.clone().qr())),
        }
    }
}

fn bench(c: &mut Criterion) {
    for &threads in &[1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        for n in [512usize, 1024] {
            let x = inputs(n);
            #[cfg(feature = "peers")]
            let copies = peers::copies(&x);
            for (routine, per_n3) in ROUTINES {
                let mut group = c.benchmark_group(format!("{routine} f64 {n} {threads}t"));
                group.throughput(Throughput::Elements((per_n3 * (n as f64).powi(3)) as u64));
                group
                    .sample_size(10)
                    .warm_up_time(Duration::from_millis(300))
                    .measurement_time(Duration::from_secs(1));
                // Each batch runs on a worker of the pool, as a user's call
                // inside `install` would.
                let timed = |iters: u64, f: &(dyn Fn() + Sync)| {
                    pool.install(|| {
                        let start = Instant::now();
                        for _ in 0..iters {
                            f();
                        }
                        start.elapsed()
                    })
                };
                group.bench_function("matnet", |b| {
                    b.iter_custom(|iters| timed(iters, &|| matnet(routine, &x)))
                });
                #[cfg(feature = "peers")]
                {
                    group.bench_function("faer", |b| {
                        b.iter_custom(|iters| {
                            timed(iters, &|| peers::faer(routine, &copies, threads))
                        })
                    });
                    if threads == 1 {
                        // nalgebra factors a copy it owns; the copy is timed
                        // with it (a small part of an O(n³) routine).
                        group.bench_function("nalgebra", |b| {
                            b.iter_custom(|iters| {
                                timed(iters, &|| peers::nalgebra(routine, &copies))
                            })
                        });
                    }
                }
                group.finish();
            }
        }
    }
}

criterion_group!(benches, bench);

// criterion_main!, after registering the plots' font (see benches/matmul.rs).
fn main() {
    support::plot::register_fonts();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
