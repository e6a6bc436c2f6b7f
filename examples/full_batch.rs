//! Bandwidth of the full-batch first-layer products against a plain copy.
//!
//! The `--preset seed000` network multiplies the 33,600 x 784 training
//! images by a 784 x 10 weight matrix (forward) and their transpose by the
//! 33,600 x 10 logit gradient (backward), once each per epoch. With 10
//! output columns these products move far more bytes than they compute, so
//! the yardstick is a copy of the same input bytes. This prints, for 1 and 2
//! threads, milliseconds and input GB/s of: a parallel copy of the images,
//! the dense `X W` and `Xᵀ dZ` (gemm), and the sparse ones (`sparse_gemm`
//! on the block-sparse rows the network builds for MNIST's 19% nonzeros).
//!
//! ```text
//! cargo run --release --example full_batch -- [--data DIR] [--rows 33600]
//! ```
//!
//! MNIST is found as the `mnist` example finds it: `--data DIR`, else
//! `$MNIST_DIR`, else `data/mnist/` (downloaded there if missing, from
//! `$MATNET_MNIST_MIRRORS` or the built-in mirrors).

use matrix::{gemm, sparse_gemm, Epilogue, Matrix, SparseMatrix};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Instant;
use support::download::{locate_mnist, mirrors_from_env, DEFAULT_DATA_DIR, MNIST_DIR_ENV};

/// Best of 5 rounds of `reps` calls, in milliseconds per call.
fn best_ms(reps: usize, mut f: impl FnMut()) -> f64 {
    (0..5)
        .map(|_| {
            let t = Instant::now();
            (0..reps).for_each(|_| f());
            t.elapsed().as_secs_f64() * 1e3 / reps as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (mut dir, mut rows) = (None::<PathBuf>, 33_600usize);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--data" => dir = Some(args.next().ok_or("--data needs a directory")?.into()),
            "--rows" => {
                rows = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--rows needs a number")?
            }
            "-h" | "--help" => {
                println!(
                    "usage: full_batch [--data DIR] [--rows N]  (data as for the mnist example: \
                     --data, else $MNIST_DIR, else data/mnist/, downloaded there from \
                     $MATNET_MNIST_MIRRORS or the built-in mirrors; rows default 33600)"
                );
                return Ok(());
            }
            other => return Err(format!("unknown argument '{other}' (try --help)")),
        }
    }
    let mirrors = mirrors_from_env();
    let mirrors: Vec<&str> = mirrors.iter().map(String::as_str).collect();
    let env = std::env::var_os(MNIST_DIR_ENV);
    let dir = locate_mnist(
        dir.as_deref(),
        env.as_deref(),
        Path::new(DEFAULT_DATA_DIR),
        &mirrors,
        true,
    )
    .map_err(|e| e.to_string())?;
    let mnist = nn::dataset::load_mnist(&dir).map_err(|e| e.to_string())?;
    let rows = rows.min(mnist.train.len());
    let x = mnist
        .train
        .images
        .view()
        .submatrix(0, 0, rows, 784)
        .to_matrix();
    let (xs, xts) = (
        SparseMatrix::from_dense(&x),
        SparseMatrix::from_dense(x.t()),
    );
    let w = Matrix::<f32>::from_fn(784, 10, |i, j| ((i * 7 + j) % 13) as f32 * 0.01);
    let dz = Matrix::<f32>::from_fn(rows, 10, |i, j| ((i * 3 + j) % 11) as f32 * 0.01);
    let (mut z, mut dw) = (
        Matrix::<f32>::zeros(rows, 10),
        Matrix::<f32>::zeros(784, 10),
    );
    let mut copy = Matrix::<f32>::zeros(rows, 784);
    let dense_bytes = (rows * 784 * 4) as f64;
    // A stored column of the sparse form: GROUP f32 values and a u32 index.
    let sparse_bytes = |s: &SparseMatrix<f32>| (s.stored_columns() * (4 * 4 + 4)) as f64;
    println!(
        "# {rows} x 784 images: dense {:.0} MB, sparse {:.0} MB (X) / {:.0} MB (Xᵀ), {:.1}% nonzero",
        dense_bytes / 1e6,
        sparse_bytes(&xs) / 1e6,
        sparse_bytes(&xts) / 1e6,
        100.0 * xs.density()
    );
    println!("threads what ms input_GB/s");
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| e.to_string())?;
        pool.install(|| {
            let row = |what: &str, ms: f64, bytes: f64| {
                println!("{threads} {what} {ms:.2} {:.1}", bytes / ms / 1e6)
            };
            let ms = best_ms(10, || {
                copy.as_mut_slice()
                    .par_chunks_mut(1 << 16)
                    .zip(x.as_slice().par_chunks(1 << 16))
                    .for_each(|(d, s)| d.copy_from_slice(s))
            });
            row("copy_X", ms, dense_bytes);
            let ms = best_ms(10, || gemm(1.0, &x, &w, 0.0, &mut z));
            row("dense_XW", ms, dense_bytes);
            let ms = best_ms(10, || gemm(1.0, x.t(), &dz, 0.0, &mut dw));
            row("dense_XtdZ", ms, dense_bytes);
            let ms = best_ms(10, || {
                sparse_gemm(1.0, &xs, &w, 0.0, &mut z, Epilogue::none())
            });
            row("sparse_XW", ms, sparse_bytes(&xs));
            let ms = best_ms(10, || {
                sparse_gemm(1.0, &xts, &dz, 0.0, &mut dw, Epilogue::none())
            });
            row("sparse_XtdZ", ms, sparse_bytes(&xts));
        });
    }
    Ok(())
}
