//! matnet's gemm beside `matrixmultiply`'s, on one thread, alternating
//! between the two in one process and printing the ratio.
//!
//! ```text
//! cargo run --release --example vs_matrixmultiply -- [--dtype f32,f64] [--rounds 40] [--shape M:K:N ...]
//! ```
//!
//! `benches/matmul.rs` (criterion) measures the same pairs, one after the
//! other, and compares means; on a shared machine a burst of load during
//! one of them moves that ratio by 10% either way. Here each round times
//! one batch of products of each (about 2 ms), so load bursts hit both
//! alike, and the median and the best of the rounds are printed for each:
//!
//! ```text
//! M K N DTYPE matnet_best matnet_median mm_best mm_median ratio_best ratio_median
//! ```
//!
//! GFLOP/s throughout. matrixmultiply is a dev-dependency (built with its
//! default features: AVX-512 kernels where the CPU has them), used here and
//! in the benches only.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use matrix::{gemm, Matrix};

#[path = "../benches/support/matrixmultiply.rs"]
mod anchor;
use anchor::{input, MmGemm, SHAPES};

#[derive(Parser)]
#[command(about = "matnet gemm vs matrixmultiply, one thread, alternated rounds")]
struct Args {
    /// Element types to measure, comma-separated: f32, f64.
    #[arg(long, default_value = "f32")]
    dtype: String,
    /// Rounds per shape (each times one batch of products of each library).
    #[arg(long, default_value_t = 40)]
    rounds: usize,
    /// Shapes as M:K:N (C = A B, all row-major); repeatable. Default: the
    /// criterion bench's shapes.
    #[arg(long)]
    shape: Vec<String>,
}

fn parse_shape(s: &str) -> Result<(usize, usize, usize), String> {
    let dims: Vec<usize> = s
        .split(':')
        .map(|x| {
            x.parse::<usize>()
                .ok()
                .filter(|&d| (1..=1 << 14).contains(&d))
        })
        .collect::<Option<_>>()
        .ok_or_else(|| format!("--shape {s}: dimensions must be in 1..=16384"))?;
    match dims[..] {
        [m, k, n] => Ok((m, k, n)),
        _ => Err(format!("--shape {s}: expected M:K:N, e.g. 128:784:800")),
    }
}

/// (best, median) GFLOP/s of each library over `rounds` alternated rounds.
fn compare<T: MmGemm>((m, k, n): (usize, usize, usize), rounds: usize) -> [(f64, f64); 2] {
    let (a, b) = (input::<T>(m, k), input::<T>(k, n));
    let mut c = Matrix::<T>::zeros(m, n);
    let flop = 2.0 * (m * k * n) as f64;
    // About 2 ms of products per timing at 100 GFLOP/s.
    let reps = ((2e8 / flop) as usize).max(1);
    let mut times = [Vec::new(), Vec::new()];
    for round in 0..=rounds {
        for (lib, t) in times.iter_mut().enumerate() {
            let start = Instant::now();
            for _ in 0..reps {
                if lib == 0 {
                    gemm(T::ONE, &a, &b, T::ZERO, &mut c);
                } else {
                    T::mm(&a, &b, &mut c);
                }
            }
            // Round 0 warms up both (buffers, caches, the rayon pool).
            if round > 0 {
                t.push(start.elapsed().as_secs_f64() / reps as f64);
            }
        }
    }
    times.map(|mut t| {
        t.sort_by(f64::total_cmp);
        (flop / t[0] / 1e9, flop / t[t.len() / 2] / 1e9)
    })
}

fn run(args: Args) -> Result<(), String> {
    if args.rounds == 0 {
        return Err("--rounds must be at least 1".into());
    }
    let dtypes: Vec<&str> = args.dtype.split(',').map(str::trim).collect();
    if let Some(bad) = dtypes.iter().find(|d| !["f32", "f64"].contains(d)) {
        return Err(format!("--dtype: '{bad}' is not f32 or f64"));
    }
    let shapes = if args.shape.is_empty() {
        SHAPES.iter().map(|&(_, m, k, n)| (m, k, n)).collect()
    } else {
        args.shape
            .iter()
            .map(|s| parse_shape(s))
            .collect::<Result<Vec<_>, _>>()?
    };
    let kernel = matrix::selected_kernel().map_err(|e| e.to_string())?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| format!("cannot start a thread: {e}"))?;
    println!(
        "# matnet kernel={kernel}, one thread, {} rounds",
        args.rounds
    );
    println!("# M K N DTYPE matnet_best matnet_median mm_best mm_median ratio_best ratio_median");
    for dtype in &dtypes {
        for &(m, k, n) in &shapes {
            let [(ob, om), (mb, mm)] = pool.install(|| match *dtype {
                "f32" => compare::<f32>((m, k, n), args.rounds),
                _ => compare::<f64>((m, k, n), args.rounds),
            });
            println!(
                "{m} {k} {n} {dtype} {ob:.1} {om:.1} {mb:.1} {mm:.1} {:.2} {:.2}",
                ob / mb,
                om / mm
            );
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
