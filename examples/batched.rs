//! Many small products: `gemm_batched` beside a loop of single `gemm`s and
//! beside numpy's batched matmul on a 3-D array, side by side in one run.
//!
//! ```text
//! cargo run --release --example batched -- [--batch 256] [--n 64] [--threads 1,2]
//! ```
//!
//! numpy's figure comes from `benches/peers/numpy_batched.py`, run with `$PYTHON`
//! (default `python3`); it is left out, with a note, where numpy is missing.
//! For numpy's fastest kernel, run the command with `env -u
//! OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE` where those are set.

use std::process::{Command, ExitCode};
use std::time::Instant;

use clap::Parser;
use matrix::{gemm, gemm_batched, Matrix};
use rand::{rngs::StdRng, Rng, SeedableRng};

#[derive(Parser)]
#[command(about = "gemm_batched vs a loop of gemm vs numpy's batched matmul (GFLOP/s)")]
struct Args {
    /// Products in the batch.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    batch: u32,
    /// Each product is N x N times N x N.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=1024))]
    n: u32,
    /// Thread counts to measure, comma-separated.
    #[arg(long, default_value = "1,2")]
    threads: String,
}

/// Best-of-5 seconds of `f`, each timing enough calls for about 0.2 s.
fn best_seconds(flop: f64, mut f: impl FnMut()) -> f64 {
    let reps = ((2e8 / flop) as usize).max(3);
    f();
    (0..5)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..reps {
                f();
            }
            t.elapsed().as_secs_f64() / reps as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn numpy(batch: usize, n: usize, threads: usize) -> Result<f64, String> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/peers/numpy_batched.py"
    );
    let out = Command::new(&python)
        .args([
            script,
            &batch.to_string(),
            &n.to_string(),
            &threads.to_string(),
        ])
        .output()
        .map_err(|e| format!("cannot run {python}: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(err.lines().last().unwrap_or("failed").to_string());
    }
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|_| "numpy printed no figure".to_string())
}

fn run(args: Args) -> Result<(), String> {
    let (batch, n) = (args.batch as usize, args.n as usize);
    let mut rng = StdRng::seed_from_u64(0);
    let mut rand = || Matrix::<f32>::from_fn(n, n, |_, _| rng.random_range(-1.0..1.0));
    let a: Vec<Matrix<f32>> = (0..batch).map(|_| rand()).collect();
    let b: Vec<Matrix<f32>> = (0..batch).map(|_| rand()).collect();
    let mut c: Vec<Matrix<f32>> = (0..batch).map(|_| Matrix::zeros(n, n)).collect();
    let flop = 2.0 * (batch * n * n * n) as f64;
    println!("# {batch} products of {n}x{n}x{n} f32, GFLOP/s (best of 5)");
    println!("# threads batched loop numpy batched/loop batched/numpy");
    for t in args.threads.split(',') {
        let threads: usize = t
            .trim()
            .parse()
            .ok()
            .filter(|&t| (1..=1024).contains(&t))
            .ok_or_else(|| format!("--threads: '{t}' is not a thread count in 1..=1024"))?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| format!("cannot start {threads} threads: {e}"))?;
        let av: Vec<_> = a.iter().map(|m| m.view()).collect();
        let bv: Vec<_> = b.iter().map(|m| m.view()).collect();
        let batched = pool.install(|| {
            best_seconds(flop, || {
                let mut cv: Vec<_> = c.iter_mut().map(|m| m.view_mut()).collect();
                gemm_batched(1.0, &av, &bv, 0.0, &mut cv);
            })
        });
        let looped = pool.install(|| {
            best_seconds(flop, || {
                for ((a, b), c) in a.iter().zip(&b).zip(c.iter_mut()) {
                    gemm(1.0, a, b, 0.0, c);
                }
            })
        });
        let (gb, gl) = (flop / batched / 1e9, flop / looped / 1e9);
        match numpy(batch, n, threads) {
            Ok(np) => println!(
                "{threads} {gb:.1} {gl:.1} {np:.1} {:.2} {:.2}",
                gb / gl,
                gb / np
            ),
            Err(e) => println!(
                "{threads} {gb:.1} {gl:.1} - {:.2} -   # numpy: {e}",
                gb / gl
            ),
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    support::report::exit(run(Args::parse()))
}
